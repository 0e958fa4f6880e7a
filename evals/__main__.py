"""``python -m evals`` (``make eval``): the seeded agents' runtimes on a fixed set, with the embedded model.

Each case runs through the agent server's own supervised runner
(``mcp_server.runs.run_in_process``) with the local provider and the
runtime's defaults, as a new user's first runs do. The table gives, per
set, how many answers were right, how many times the tool was called (or
the right document cited), how many runs looped and how many stopped at
``max_tokens``, against the targets (calculator and clock at least 90%
right, rag at least 80% right with the right document cited, no loop in any
set); the figures also go to
``$VAR_DIR/evals/latest.json``. The exit status is 1 when a target is missed.

``--slice N`` runs the first N cases of each set and checks no target
(the test suite runs a slice to keep the harness working). ``--set
OPTION=JSON`` changes an option of every agent evaluated, to measure a
setting (``--set repeat_penalty=1 --set stop_loops=false``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from evals.cases import CHAT, RAG, TOOLS, ChatCase, RagCase, ToolCase
from evals.scoring import Run, rag_answer_right, tool_answer_right
from mcp_server.runs import run_in_process
from mcp_server.services import Services
from mcp_server.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
SEED_DOCUMENTS = REPO / "agents" / "seed"
# The seeded agents' configs (agents/management/commands/seed_demo.py).
TOOLS_CONFIG = {"tools": ["calculator", "current_time"], "max_tokens": 200}
RAG_CONFIG = {"max_tokens": 200}
CHAT_CONFIG = {"max_tokens": 200}
TARGETS = {"tools": 0.90, "rag": 0.80}
_ids = itertools.count(1)


async def run_case(services: Services, runtime_name: str, config: dict, input_data: dict, agent_id: str) -> Run:
    started = time.monotonic()
    events = await run_in_process(runtime_name, config, input_data, services, agent_id=agent_id,
                                  execution_id=f"eval-{next(_ids)}")
    return Run.of([(event.type, event.data) for event in events], time.monotonic() - started)


async def evaluate_tools(services: Services, cases: tuple[ToolCase, ...], log, options: dict) -> dict:
    rows = []
    for case in cases:
        run = await run_case(services, "tools", {**TOOLS_CONFIG, **options}, {"message": case.question}, "eval-tools")
        called, right = tool_answer_right(case, run)
        rows.append({"question": case.question, "called": called, "right": right, "looped": run.looped,
                     "cut": run.finish_reason == "length", "answer": run.text, "error": run.error,
                     "seconds": round(run.seconds, 2)})
        log(f"tools  {'ok ' if right else 'NO '} {case.question!r} -> {run.text!r}")
    return _summary("tools", rows, "called")


async def evaluate_rag(services: Services, cases: tuple[RagCase, ...], log, options: dict) -> dict:
    agent_id = "eval-rag"
    for number, path in enumerate(sorted(SEED_DOCUMENTS.glob("*.md")), 1):
        await services.knowledge.put_document(agent_id, f"seed-{number}", path.name, "text/markdown",
                                              path.read_bytes())
    rows = []
    for case in cases:
        run = await run_case(services, "rag", {**RAG_CONFIG, **options}, {"question": case.question}, agent_id)
        holds, cited = rag_answer_right(case, run)
        rows.append({"question": case.question, "holds": holds, "cited": cited, "right": holds and cited,
                     "looped": run.looped, "cut": run.finish_reason == "length", "answer": run.text,
                     "error": run.error, "seconds": round(run.seconds, 2)})
        log(f"rag    {'ok ' if holds and cited else 'NO '} {case.question!r} -> {run.text!r}")
    return _summary("rag", rows, "cited")


async def evaluate_chat(services: Services, cases: tuple[ChatCase, ...], log, options: dict) -> dict:
    rows = []
    for case in cases:
        config = {**CHAT_CONFIG, **({"system_prompt": case.system_prompt} if case.system_prompt else {}), **options}
        run = await run_case(services, "chat", config, {"message": case.prompt}, "eval-chat")
        right = not run.looped and run.finish_reason == "stop" and bool(run.text.strip())
        rows.append({"question": case.prompt, "right": right, "looped": run.looped,
                     "cut": run.finish_reason == "length", "answer": run.text, "error": run.error,
                     "seconds": round(run.seconds, 2)})
        log(f"chat   {'ok ' if right else 'NO '} {case.prompt!r} -> {run.finish_reason} {run.text[:80]!r}")
    return _summary("chat", rows, None)


def _summary(name: str, rows: list[dict], second: str | None) -> dict:
    count = len(rows)
    summary = {
        "set": name,
        "cases": count,
        "right": sum(row["right"] for row in rows),
        "looped": sum(row["looped"] for row in rows),
        "cut": sum(row["cut"] for row in rows),
        "seconds": round(sum(row["seconds"] for row in rows), 1),
        "rows": rows,
    }
    if second:
        summary[second] = sum(row[second] for row in rows)
    return summary


def table(results: list[dict], check_targets: bool) -> tuple[str, bool]:
    header = f"{'set':<6} {'cases':>5} {'right':>12} {'tool/cite':>10} {'loops':>6} {'cut':>4} {'target':>13}  "
    lines = [header + f"{'time':>7}"]
    met = True
    for result in results:
        share = result["right"] / result["cases"] if result["cases"] else 0.0
        second = result.get("called", result.get("cited"))
        name = result["set"]
        if name in TARGETS:
            goal = TARGETS[name]
            ok = share >= goal and result["looped"] == 0
            target = f">= {goal:.0%} {'met' if ok else 'MISSED'}"
        else:  # chat: no loop (how many ended at max_tokens is in the table, not a target)
            ok = result["looped"] == 0
            target = f"0 loops {'met' if ok else 'MISSED'}"
        met = met and ok
        lines.append(f"{name:<6} {result['cases']:>5} {result['right']:>4} ({share:>5.0%}) "
                     f"{'-' if second is None else second:>10} {result['looped']:>6} {result['cut']:>4} "
                     f"{target if check_targets else '(slice)':>13}  {result['seconds']:>6.0f}s")
    return "\n".join(lines), met


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__.split("\n")[0])
    parser.add_argument("--slice", type=int, default=None, help="only the first N cases of each set; no targets")
    parser.add_argument("--only", nargs="+", choices=["tools", "rag", "chat"], default=["tools", "rag", "chat"])
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures")
    parser.add_argument("--quiet", action="store_true", help="only the table")
    parser.add_argument("--set", action="append", default=[], metavar="OPTION=JSON", type=_option,
                        help="an agent option for every case, e.g. repeat_penalty=1")
    args = parser.parse_args(argv)
    options = dict(args.set)
    log = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    pick = (lambda cases: cases[: args.slice]) if args.slice else (lambda cases: cases)
    with tempfile.TemporaryDirectory(prefix="evals-") as data_dir:
        # The server's settings (LOCAL_LLM_* apply), in process: no token, no port, a fresh knowledge base.
        environ = {**os.environ, "MCP_ALLOW_NO_TOKEN": "1", "MCP_DATA_DIR": data_dir, "LLM_PROVIDER": "local"}
        services = Services(load_settings(environ))
        try:
            results = []
            if "tools" in args.only:
                results.append(await evaluate_tools(services, pick(TOOLS), log, options))
            if "rag" in args.only:
                results.append(await evaluate_rag(services, pick(RAG), log, options))
            if "chat" in args.only:
                results.append(await evaluate_chat(services, pick(CHAT), log, options))
        finally:
            await services.aclose()
    text, met = table(results, check_targets=args.slice is None)
    print(text)
    target = args.json or Path(os.environ.get("VAR_DIR") or REPO / "var") / "evals" / "latest.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"results": results, "targets_met": met, "slice": args.slice, "options": options},
                                 indent=2))
    print(f"Figures written to {target}")
    return 0 if met or args.slice else 1


def _option(text: str) -> tuple[str, object]:
    name, _, value = text.partition("=")
    if not name or not value:
        raise argparse.ArgumentTypeError(f"expected OPTION=JSON, got {text!r}")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value  # a plain string


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
