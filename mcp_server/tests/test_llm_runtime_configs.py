"""Config validation of the LLM runtimes, and the promise that importing the registry stays light."""

import subprocess
import sys

import pytest

from mcp_server.runtimes import ConfigError, get_runtime, runtime_names
from testsupport import REPO_ROOT

LLM_DEFAULTS = {"provider": None, "model": None, "stop": [], "repeat_penalty": 1.1, "frequency_penalty": 0,
                "presence_penalty": 0, "stop_loops": True}


def test_every_runtime_describes_itself_in_one_line():
    for name in runtime_names():
        description = get_runtime(name).description
        assert description and "\n" not in description, name


@pytest.mark.parametrize(
    ("runtime", "defaults"),
    [
        ("chat", {"temperature": 0.7, "max_tokens": 512}),
        ("rag", {"temperature": 0.2, "max_tokens": 512, "top_k": 4}),
        ("tools", {"temperature": 0.2, "max_tokens": 512, "max_iterations": 5,
                   "tools": ["calculator", "current_time", "search_knowledge"], "confirm_tools": []}),
    ],
)
def test_an_empty_config_gets_the_runtimes_defaults(runtime, defaults):
    config = get_runtime(runtime).check_config({})

    assert config == {**LLM_DEFAULTS, "system_prompt": config["system_prompt"], **defaults}
    assert config["system_prompt"]


def test_it_accepts_a_full_config():
    config = {"provider": "openai", "model": "gpt-4o", "system_prompt": "Hi", "temperature": 0,
              "max_tokens": 100, "max_iterations": 3, "tools": ["calculator", "ask_human"],
              "confirm_tools": ["calculator"], "stop": ["###"], "repeat_penalty": 1.2, "frequency_penalty": 0.1,
              "presence_penalty": -0.1, "stop_loops": False}

    assert get_runtime("tools").check_config(config) == config


@pytest.mark.parametrize(
    ("runtime", "config", "fields"),
    [
        ("chat", {"provider": "anthropic"}, {"provider": "Must be one of: 'local', 'openai', None."}),
        ("chat", {"temperature": 3}, {"temperature": "Must be at most 2."}),
        ("chat", {"max_tokens": 0, "model": 7}, {"max_tokens": "Must be at least 1.",
                                                 "model": "Must be a string or null."}),
        ("chat", {"top_k": 3}, {"top_k": "Unknown option."}),
        ("rag", {"top_k": 21}, {"top_k": "Must be at most 20."}),
        ("rag", {"top_k": 2.0}, {"top_k": "Must be an integer."}),
        ("tools", {"max_iterations": 0}, {"max_iterations": "Must be at least 1."}),
        ("tools", {"tools": ["shell"]}, {"tools.0": "Must be one of: 'ask_human', 'calculator', 'current_time', "
                                                    "'recall', 'remember', 'search_knowledge'."}),
        ("tools", {"confirm_tools": ["ask_human"]}, {"confirm_tools.0": "Must be one of: 'calculator', "
                                                     "'current_time', 'search_knowledge'."}),
        ("tools", {"system_prompt": None}, {"system_prompt": "Must be a string."}),
        ("chat", {"stop": ["a", "b", "c", "d", "e"]}, {"stop": "Must have at most 4 items."}),
        ("chat", {"repeat_penalty": 0.5, "stop_loops": "yes"}, {"repeat_penalty": "Must be at least 1.",
                                                                "stop_loops": "Must be true or false."}),
    ],
)
def test_it_rejects_bad_options_one_message_each(runtime, config, fields):
    with pytest.raises(ConfigError) as failure:
        get_runtime(runtime).check_config(config)

    assert failure.value.fields == fields


def test_importing_the_runtimes_loads_no_model_library():
    # A fresh interpreter: what the api process pays to validate agent configs.
    heavy = ["numpy", "onnxruntime", "tokenizers", "bm25s", "xllamacpp", "mcp", "pypdf", "httpx"]
    code = (
        "import sys, mcp_server.runtimes\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)

    assert loaded.stdout.strip() == "[]"
