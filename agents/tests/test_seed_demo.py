"""`seed_demo`: a demo user with a generated password and the example agents, idempotently."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agents.models import Agent

pytestmark = pytest.mark.django_db


def test_it_creates_a_demo_user_with_a_generated_password_once(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    first = capsys.readouterr().out
    password = (tmp_path / "demo-password.txt").read_text().strip()
    assert len(password) >= 12 and password in first
    assert get_user_model().objects.get(username="demo").check_password(password)
    assert (tmp_path / "demo-password.txt").stat().st_mode & 0o777 == 0o600

    call_command("seed_demo")
    assert password in capsys.readouterr().out
    agents = Agent.objects.filter(owner__username="demo")
    assert sorted(agents.values_list("runtime", flat=True)) == ["chat", "rag", "synthetic", "tools", "tools"]
    knowledge = agents.get(runtime="rag")
    assert knowledge.documents.count() >= 3
    assert set(knowledge.documents.values_list("status", flat=True)) == {"pending"}
