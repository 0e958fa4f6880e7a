"""Create the local demo user and example agents (idempotent), and say how to log in."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from agents.models import Agent

EXAMPLE_AGENTS = [
    {
        "name": "Synthetic demo",
        "description": "A deterministic load generator: progress and step events, then a token stream.",
        "runtime": "synthetic",
        "config": {"steps": 5, "tokens": 120, "delay_ms": 40, "fail_at": None},
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
            Agent.objects.get_or_create(owner=user, name=spec["name"], defaults=spec)
        self.stdout.write(
            f"\n  Dashboard  {url}\n  API docs   {url}api/docs/\n  Admin      {url}admin/\n"
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
        credentials.parent.mkdir(parents=True, exist_ok=True)
        credentials.touch(mode=0o600)
        credentials.write_text(password + "\n")
        os.chmod(credentials, 0o600)
        return user, password
