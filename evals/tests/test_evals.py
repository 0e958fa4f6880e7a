"""The evaluation harness on a slice of its set, with the embedded model: it runs and reports, whatever the scores."""

import json
import subprocess
import sys

from evals.cases import CHAT, RAG, TOOLS
from evals.scoring import Run, numbers_in, rag_answer_right, tool_answer_right
from testsupport import REPO_ROOT


def test_a_slice_runs_every_set_and_writes_its_figures(tmp_path):
    figures = tmp_path / "latest.json"
    done = subprocess.run([sys.executable, "-m", "evals", "--slice", "1", "--quiet", "--json", str(figures)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    assert "tools" in done.stdout and "rag" in done.stdout and "chat" in done.stdout
    results = {result["set"]: result for result in json.loads(figures.read_text())["results"]}
    assert {name: result["cases"] for name, result in results.items()} == {"tools": 1, "rag": 1, "chat": 1}
    assert all(row["error"] is None for result in results.values() for row in result["rows"])


def test_the_set_is_as_large_as_promised():
    assert len([case for case in TOOLS if case.tool == "calculator"]) >= 24
    assert len(TOOLS) >= 30 and len(RAG) >= 20 and len(CHAT) >= 20


def test_the_scoring_reads_numbers_as_people_write_them():
    assert numbers_in("It is 7,006,652 (or 14.0).") == {"7006652", "14"}
    case = TOOLS[0]  # 17 * 23 + 4
    called = {"tool": "calculator", "arguments": {"expression": "17 * 23 + 4"},
              "result": {"expression": "17 * 23 + 4", "result": 395}}
    assert tool_answer_right(case, Run(text="The answer is 395.", tool_calls=[called])) == (True, True)
    assert tool_answer_right(case, Run(text="The answer is 395.")) == (False, False)  # no tool: not right
    assert tool_answer_right(case, Run(text="It is 396.", tool_calls=[called])) == (True, False)
    rag = RAG[0]
    cited = Run(text="Each event has a sequence number.", citations=[{"filename": rag.document}])
    assert rag_answer_right(rag, cited) == (True, True)
