"""``synthetic``: a deterministic agent for tests, benchmarks and demos.

It plays a fixed script instead of thinking: for each step ``i`` of ``steps``
a ``progress`` event and a ``step`` event, then ``tokens`` ``token`` events
(``"tok1 "``, ``"tok2 "``, ...) ``delay_ms`` apart, then a result whose
``text`` is all the token deltas joined: ``2 * steps + tokens`` agent events
in all, exactly as the platform's contract describes the script. The same
config always produces the same events, byte for byte, so callers can assert
on exact sequences and measure throughput without an LLM in the way.

The progress of step ``i`` is at ``i * 100 // steps`` percent, the share of
the steps done: the last step says 100, and the bar stays full while the
tokens stream (the script has no event of its own after them; adding one
would change the sequence that tests and ``fail_at`` count on).

``stamp = true`` adds ``emitted_at`` (Unix time, seconds) to each token's
data, for benchmarks that measure latency from here to a client; it is the
one option that makes two runs differ.

``fail_at = k`` replaces the k-th event (progress, step and token events
counted from 1) with a ``synthetic_failure`` error and ends
the run; a ``k`` beyond the last event never fires.

``ask = {"question", "choices"?, "after"?}`` makes the run wait for a
person (an ``ask_human`` interrupt) once ``after`` events of the script are
out (by default, after the steps); resumed, it plays the rest of the
script and its result carries the ``answer``. The script is the same with
or without the pause, so a resumed run's events, counted over both parts,
are the script's.

With ``delay_ms = 0`` the script never sleeps. Handing the event loop back
now and then, so cancellation and keep-alive pings still happen during a
burst, is done for every runtime by ``mcp_server.runs``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

from contract import interrupts
from mcp_server import events
from mcp_server.events import Event, Interrupt, Result, RuntimeFailure
from mcp_server.protocol import RunRequest
from mcp_server.runtimes.base import Runtime

SYNTHETIC_FAILURE = "synthetic_failure"


def _integer(default: int, minimum: int, maximum: int, description: str) -> dict:
    return {
        "type": "integer",
        "minimum": minimum,
        "maximum": maximum,
        "default": default,
        "description": description,
    }


class SyntheticRuntime(Runtime):
    """Plays a deterministic script of progress, step and token events."""

    name = "synthetic"
    description = "A deterministic script of progress, step and token events, for tests, demos and benchmarks."
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "steps": _integer(3, 0, 1000, "Number of steps, each a progress and a step event."),
            "tokens": _integer(20, 0, 100_000, "Number of token events after the steps."),
            "delay_ms": _integer(0, 0, 60_000, "Pause between two token events, in milliseconds."),
            "fail_at": {
                "type": ["integer", "null"],
                "minimum": 1,
                "default": None,
                "description": "Fail instead of emitting this event (counted from 1); null never fails.",
            },
            "stamp": {
                "type": "boolean",
                "default": False,
                "description": "Add emitted_at (Unix time) to each token event, for latency benchmarks.",
            },
            "ask": {
                "type": ["object", "null"],
                "default": None,
                "description": "Wait for a person's answer to this question once `after` events are out "
                "(default: after the steps); null never asks.",
                "additionalProperties": False,
                "required": ["question"],
                "properties": {
                    "question": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "choices": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 20},
                    "after": {"type": "integer", "minimum": 0},
                },
            },
        },
    }
    input_schema = {"type": "object", "description": "Anything: the result echoes it as input."}
    input_example = {"prompt": "hello"}

    async def run(self, request: RunRequest) -> AsyncIterator[Event | Result | Interrupt]:
        config = request.agent.config
        fail_at = config["fail_at"]
        delay_seconds = config["delay_ms"] / 1000
        ask = config["ask"]
        asked_after = None if ask is None else ask.get("after", 2 * config["steps"])
        resumed_after = _resumed_after(request)
        deltas: list[str] = []
        for number, event in enumerate(script(config["steps"], config["tokens"]), start=1):
            if resumed_after is not None and number <= resumed_after:
                if event.type == events.TOKEN:
                    deltas.append(event.data["content"])  # sent before the pause
                continue
            if number - 1 == asked_after and resumed_after is None:
                yield Interrupt(interrupts.ASK_HUMAN, _question(ask), {"after": asked_after})
                return
            if number == fail_at:
                raise RuntimeFailure(f"Synthetic failure at event {number}", SYNTHETIC_FAILURE)
            if event.type == events.TOKEN:
                if deltas and delay_seconds:
                    await asyncio.sleep(delay_seconds)
                deltas.append(event.data["content"])
                if config["stamp"]:
                    event = events.Event(events.TOKEN, {**event.data, "emitted_at": time.time()})
            yield event
        if asked_after is not None and resumed_after is None:
            # Asked after the last event: nothing follows the question but the result.
            yield Interrupt(interrupts.ASK_HUMAN, _question(ask), {"after": asked_after})
            return
        output = {"text": "".join(deltas), "steps": config["steps"], "tokens": config["tokens"],
                  "input": request.input_data}
        if request.resume is not None:
            output["answer"] = request.resume.answer
        yield Result(output)


def _question(ask: dict) -> dict:
    return {key: ask[key] for key in ("question", "choices") if key in ask}


def _resumed_after(request: RunRequest) -> int | None:
    """How many events of the script went out before the pause this run resumes from, or None."""
    if request.resume is None:
        return None
    after = request.resume.state.get("after")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise RuntimeFailure("The resume state is not this runtime's.", "invalid_resume")
    return after


def script(steps: int, tokens: int) -> Iterator[Event]:
    """The agent events of a successful run with this many steps and tokens, in order."""
    # A step's progress and step events come out together, so its percent is
    # the share of the steps done once it is.
    for index in range(1, steps + 1):
        yield events.progress("step", f"Step {index} of {steps}", percent=index * 100 // steps)
        yield events.step(f"step-{index}", f"Completed synthetic step {index} of {steps}.")
    for index in range(1, tokens + 1):
        yield events.token(f"tok{index} ")
