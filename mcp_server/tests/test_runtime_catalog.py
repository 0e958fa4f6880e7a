"""The runtime catalog the platform reads: exported from the runtimes, committed, and current."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contract.config import InputError, compile_schema, validate_input
from mcp_server.catalog import CATALOG_PATH, REGENERATE, export, render_catalog
from mcp_server.runtimes import Runtime, get_runtime, runtime_names

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_catalog_is_what_the_runtimes_export():
    assert CATALOG_PATH.read_text(encoding="utf-8") == render_catalog(), REGENERATE


def test_it_lists_every_registered_runtime_once_sorted_by_name():
    catalog = json.loads(render_catalog())

    assert [entry["name"] for entry in catalog] == runtime_names()
    assert all(set(entry) == {"name", "description", "config_schema", "input_schema", "input_example"}
               for entry in catalog)


@pytest.mark.parametrize("name", runtime_names())
def test_each_runtimes_input_example_matches_its_input_schema(name):
    runtime = get_runtime(name)

    assert validate_input(compile_schema(runtime.input_schema), runtime.input_example, name) == runtime.input_example


def test_a_runtime_whose_example_breaks_its_input_schema_fails_when_it_is_defined():
    with pytest.raises(InputError, match="message: This field is required."):

        class CarelessRuntime(Runtime):
            name = "careless"
            input_schema = {"type": "object", "required": ["message"]}
            input_example = {"prompt": "hi"}

            async def run(self, request):
                yield


def test_the_export_is_byte_for_byte_the_same_every_time():
    assert render_catalog() == render_catalog()
    assert render_catalog().endswith("}\n]\n")


def test_check_fails_with_advice_on_a_stale_file_and_passes_once_exported(tmp_path, capsys):
    path = tmp_path / "runtimes.json"
    path.write_text("[]\n", encoding="utf-8")

    assert export(path, check=True) == 1
    assert REGENERATE in capsys.readouterr().err
    assert export(path) == 0
    assert export(path, check=True) == 0
    assert path.read_text(encoding="utf-8") == render_catalog()


def test_the_command_checks_the_committed_file():
    finished = subprocess.run(
        [sys.executable, "-m", "mcp_server", "catalog", "--check"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
