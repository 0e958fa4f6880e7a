"""The runtime catalog as the platform reads it: names, entries and checks, without the agent server."""

import pytest

from contract import runtimes
from contract.config import ConfigError, InputError
from contract.runtimes import UnknownRuntime, check_config, check_input, get_entry, runtime_catalog, runtime_names


def test_it_lists_the_runtimes_sorted_by_name():
    assert runtime_names() == ["chat", "rag", "synthetic", "tools"]
    assert [entry["name"] for entry in runtime_catalog()] == runtime_names()


def test_every_entry_has_a_description_schemas_and_an_example():
    for entry in runtime_catalog():
        assert set(entry) == {"name", "description", "config_schema", "input_schema", "input_example"}
        assert entry["description"]
        assert entry["config_schema"]["type"] == entry["input_schema"]["type"] == "object"


def test_every_example_passes_its_runtimes_input_check():
    for entry in runtime_catalog():
        assert check_input(entry["name"], entry["input_example"]) == entry["input_example"]


def test_callers_get_copies_and_cannot_change_the_catalog():
    get_entry("synthetic")["config_schema"]["properties"].clear()
    runtime_catalog().clear()

    assert "steps" in get_entry("synthetic")["config_schema"]["properties"]
    assert len(runtime_catalog()) == 4


def test_it_reads_the_file_and_compiles_each_runtimes_validators_once():
    check_config("synthetic", {})
    check_input("synthetic", {})
    reads, compiled = runtimes._entries.cache_info().misses, runtimes._validators.cache_info().currsize

    for _ in range(3):
        runtime_catalog()
        check_config("synthetic", {"steps": 1})

    assert runtimes._entries.cache_info().misses == reads
    assert runtimes._validators.cache_info().currsize == compiled


def test_check_config_fills_in_the_defaults():
    assert check_config("synthetic", {"steps": 1}) == {
        "steps": 1, "tokens": 20, "delay_ms": 0, "fail_at": None, "stamp": False, "ask": None}


def test_check_config_names_each_bad_option():
    with pytest.raises(ConfigError) as failure:
        check_config("synthetic", {"steps": -1, "tokens": 2.5, "colour": "red"})

    assert failure.value.fields == {
        "colour": "Unknown option.", "steps": "Must be at least 0.", "tokens": "Must be an integer."}
    assert (failure.value.code, failure.value.status) == ("invalid_config", 400)


@pytest.mark.parametrize("name", ["gpt-99", "", None, ["chat"]])
def test_an_unknown_runtime_is_refused_with_the_available_ones(name):
    with pytest.raises(UnknownRuntime) as failure:
        check_config(name, {})

    assert failure.value.message.endswith("Available runtimes: chat, rag, synthetic, tools.")
    assert failure.value.fields == {"runtime": failure.value.message}
    with pytest.raises(LookupError):
        get_entry(name)


def test_check_input_accepts_what_the_llm_runtimes_run_with():
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]

    assert check_input("chat", {"message": "And now?", "messages": history})
    assert check_input("rag", {"query": "refunds"})
    assert check_input("tools", {"messages": [{"role": "user", "content": "2+2?"}]})


def test_check_input_reports_field_paths():
    with pytest.raises(InputError) as failure:
        check_input("chat", {"messages": [{"role": "robot", "content": "Hi"}]})

    assert failure.value.fields == {"messages.0.role": "Must be one of: 'user', 'assistant', 'system'."}


def test_check_input_wants_a_message_from_the_llm_runtimes():
    with pytest.raises(InputError) as failure:
        check_input("tools", {"note": "no message here"})

    assert failure.value.fields == {"message": "Give one of: message, question, prompt, query, input, text, messages."}


def test_synthetic_takes_any_object_as_input():
    assert check_input("synthetic", {"anything": [1, 2]}) == {"anything": [1, 2]}
    with pytest.raises(InputError, match="must be a JSON object"):
        check_input("synthetic", "hello")
