"""Create the local demo user and example agents (idempotent), and say how to log in."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from agents.models import Agent
from contract.files import private_file
from knowledge import services

KNOWLEDGE = Path(__file__).resolve().parents[2] / "seed"

EXAMPLE_AGENTS = [
    {
        "name": "Synthetic demo",
        "description": "A deterministic load generator: progress and step events, then a token stream.",
        "runtime": "synthetic",
        "config": {"steps": 5, "tokens": 120, "delay_ms": 40, "fail_at": None},
    },
    {
        "name": "Knowledge assistant",
        "description": "Answers questions about this platform from its documents, with citations. "
        "Try: How does a client that reconnects catch up?",
        "runtime": "rag",
        "config": {"max_tokens": 200},
        "documents": sorted(KNOWLEDGE.glob("*.md")),
    },
    {
        "name": "Chat",
        "description": 'A plain conversation with the local model. Input: {"message": "Hello!"}',
        "runtime": "chat",
        "config": {"max_tokens": 200},
    },
    {
        "name": "Calculator",
        "description": 'Uses the calculator tool for arithmetic. Input: {"message": "What is 17 * 23 + 4?"}',
        "runtime": "tools",
        "config": {"tools": ["calculator", "current_time"], "max_tokens": 200},
    },
    {
        "name": "Assistant",
        "description": "Remembers what you tell it, across conversations (its remember and recall tools; "
        'see /api/memory/). Input: {"message": "My favourite colour is teal."}',
        "runtime": "tools",
        "config": {"tools": ["remember", "recall", "current_time"], "max_tokens": 200},
    },
]


class Command(BaseCommand):
    help = "Create the demo user (with a generated password) and the example agents."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, username, url, **options):
        user, password = self._demo_user(username)
        for spec in EXAMPLE_AGENTS:
            fields = {key: value for key, value in spec.items() if key != "documents"}
            agent, created = Agent.objects.get_or_create(owner=user, name=spec["name"], defaults=fields)
            if created:
                for path in spec.get("documents", []):
                    services.add_document(agent, path.name, "text/markdown", path.read_bytes())
        self.stdout.write(
            "\n  The example agents answer with a small local model (SmolLM2-135M): quick, offline, and"
            "\n  modest in quality. Point LLM_PROVIDER=openai and OPENAI_BASE_URL at a real model server"
            "\n  for better answers (see README)."
            f"\n\n  Dashboard  {url}\n  API docs   {url}api/docs/\n  Admin      {url}admin/\n"
            f"  Log in as  {username} / {password}\n"
        )

    def _demo_user(self, username):
        # The password is generated once and kept beside the database (mode
        # 600), so every `make run` can show it; there is no fixed password.
        credentials = settings.VAR_DIR / "demo-password.txt"
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None:
            stored = credentials.read_text().strip() if credentials.exists() else None
            if stored and user.check_password(stored):
                return user, stored
            return user, "(your password; reset it with: manage.py changepassword " + username + ")"
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email="", password=password)
        private_file(credentials).write_text(password + "\n")
        return user, password
