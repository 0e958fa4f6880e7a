"""Supervising one run: from a runtime's raw output to a well-formed event sequence.

``execute_run`` wraps a runtime's ``run()`` so that transports (SSE, JSON)
can rely on a few guarantees whatever the runtime does:

* agent events pass through untouched, and exactly one terminal event
  (``result``, ``interrupt`` or ``error``) comes last;
* runtime crashes and contract violations become an ``error`` event with a
  message for people; the traceback goes to the log, never to the client;
* the run is counted in ``ActiveRuns`` while it executes and is logged once
  when it starts and once when it ends (completed, failed or cancelled);
* the event loop gets control back regularly, even from a runtime that never
  awaits, so a client disconnect can cancel the run and pings can go out;
* closing or cancelling the returned generator cancels the runtime's
  generator right away and runs its ``finally`` blocks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

from mcp_server.events import (
    AGENT_EVENT_TYPES,
    ERROR,
    RESULT,
    RUNTIME_ERROR,
    Event,
    Interrupt,
    Result,
    RuntimeFailure,
    error_event,
    interrupt_event,
    result_event,
)
from mcp_server.protocol import AgentSpec, Resume, RunRequest
from mcp_server.runtimes import Runtime, get_runtime

logger = logging.getLogger(__name__)

# How many events may pass without handing control back to the event loop:
# few enough that a disconnect is noticed within about a millisecond of
# streaming, many enough that the extra loop turns cost nothing measurable.
EVENTS_PER_LOOP_TURN = 256


class ActiveRuns:
    """Counts the runs currently executing in this process (shown by /health)."""

    def __init__(self) -> None:
        self.count = 0


async def run_in_process(
    runtime_name: str, config: dict, input_data: dict, services, *, agent_id: str, execution_id: str,
    resume: Resume | None = None,
) -> list[Event]:
    """Every event of one run, supervised as ``/execute`` runs it, without HTTP (tests, ``make eval``)."""
    runtime = get_runtime(runtime_name)
    request = RunRequest(
        execution_id=execution_id,
        agent=AgentSpec(id=agent_id, name="In-process agent", runtime=runtime_name,
                        config=runtime.check_config(config)),
        input_data=input_data,
        services=services,
        resume=resume,
    )
    return [event async for event in execute_run(runtime, request, ActiveRuns())]


async def execute_run(runtime: Runtime, request: RunRequest, active_runs: ActiveRuns) -> AsyncIterator[Event]:
    """Run ``request`` on ``runtime``; yield its events, then one terminal event."""
    started = time.perf_counter()
    outcome = "cancelled"  # unless the run gets far enough to say otherwise
    active_runs.count += 1
    # %r because the execution id is client-supplied: it must not forge log lines.
    logger.info("run started execution_id=%r runtime=%s", request.execution_id, runtime.name)
    try:
        try:
            terminal = None
            since_loop_turn = 0
            async with aclosing(runtime.run(request)) as items:
                async for item in items:
                    if type(item) is not Event or item.type not in AGENT_EVENT_TYPES:
                        terminal = _terminal_event(runtime, item)
                        break
                    yield item
                    since_loop_turn += 1
                    if since_loop_turn == EVENTS_PER_LOOP_TURN:
                        since_loop_turn = 0
                        await asyncio.sleep(0)
            if terminal is None:
                raise _contract_violation(runtime, "ended without yielding a Result")
        except RuntimeFailure as failure:
            terminal = error_event(failure.message, failure.code)
        except Exception:
            logger.exception("runtime crashed execution_id=%r runtime=%s", request.execution_id, runtime.name)
            terminal = error_event(
                f"The {runtime.name!r} runtime failed unexpectedly; the MCP server log has the details.",
                RUNTIME_ERROR,
            )
        outcome = {RESULT: "completed", ERROR: "failed"}.get(terminal.type, "interrupted")
    finally:
        # Bookkeeping happens before the terminal event is handed out, so a
        # client that has read the result already sees active_runs without it.
        active_runs.count -= 1
        logger.info(
            "run finished execution_id=%r runtime=%s outcome=%s duration=%.3fs",
            request.execution_id,
            runtime.name,
            outcome,
            time.perf_counter() - started,
        )
    yield terminal


def _terminal_event(runtime: Runtime, item: object) -> Event:
    """The ``result`` event for a ``Result``, the ``interrupt`` event for an ``Interrupt``; else a violation."""
    if isinstance(item, Event):
        raise _contract_violation(runtime, f"yielded an event of type {item.type!r}, which is not an agent event")
    if isinstance(item, Interrupt):
        if not (isinstance(item.payload, dict) and isinstance(item.state, dict)):
            raise _contract_violation(runtime, "produced an Interrupt whose payload or state is not a JSON object")
        return interrupt_event(item)
    if not isinstance(item, Result):
        raise _contract_violation(
            runtime, f"yielded a {type(item).__name__}, which is neither an agent event nor a Result"
        )
    if not isinstance(item.output, dict):
        raise _contract_violation(runtime, "produced a Result whose output is not a JSON object")
    return result_event(item.output)


def _contract_violation(runtime: Runtime, what: str) -> RuntimeFailure:
    logger.error("runtime %s broke its contract: it %s", runtime.name, what)
    return RuntimeFailure(f"The {runtime.name!r} runtime {what}.", RUNTIME_ERROR)
