"""The OpenAPI schema: generated without warnings, and the committed copy is current."""

from pathlib import Path

import pytest
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


@pytest.mark.django_db
def test_the_committed_openapi_schema_matches_the_code(tmp_path, capsys):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert generated.read_text() == SCHEMA.read_text(), "Run `make schema` and commit docs/openapi.yaml."
