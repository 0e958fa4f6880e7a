"""Reading one run's event stream from the agent server (on the worker's event loop)."""

import json
import logging

from django.utils import timezone

from contract.events import ERROR, INTERRUPT, RESULT
from contract.interrupts import KINDS
from runs.events import MalformedEvent, PendingEvent, check_agent_event
from runs.selectors import answered_interrupt
from memory.selectors import for_run as memory_for_run
from threads.selectors import history_for

from .client import AgentServerError, open_run_stream
from .outcomes import Completed, Failed, Interrupted

logger = logging.getLogger(__name__)


def execution_request(execution):
    """The body of the agent server's /execute call (built before the loop: it must not touch the ORM).

    A run of a thread gets the conversation so far as ``input_data.messages``,
    which every LLM runtime takes as the history before the new message, and
    a run of an LLM runtime its owner's memory items that best match its
    message as ``input_data.memory``. A
    run resumed from an interrupt gets the runtime's checkpoint and the
    answer as ``resume``.
    """
    agent = execution.agent
    input_data = execution.input_data
    if execution.thread_id:
        input_data = {**input_data, "messages": history_for(execution)}
    remembered = memory_for_run(execution)
    if remembered:
        input_data = {**input_data, "memory": remembered}
    request = {
        "execution_id": str(execution.id),
        "agent": {"id": str(agent.id), "name": agent.name, "runtime": agent.runtime, "config": agent.config},
        "input_data": input_data,
    }
    # Only a resumed run has an answered interrupt: a run that never waited
    # has none, and one that waited goes back to waiting, never to pending.
    interrupt = answered_interrupt(execution.id)
    if interrupt is not None:
        request["resume"] = {
            "interrupt_id": str(interrupt.id), "kind": interrupt.kind, "payload": interrupt.payload,
            "state": interrupt.state, "answer": interrupt.answer,
        }
    return request


async def read_stream(payload, put, room):
    """Hand each event of the run's stream to ``put``, then exactly one outcome (unless cancelled).

    ``room`` is awaited after each event: it returns at once while the
    worker keeps up, and holds the stream while too many events wait to be
    stored, so a slow database slows the agent down instead of filling memory.
    """
    try:
        async with open_run_stream(payload) as source:
            async for sse in source.aiter_sse():
                data = json.loads(sse.data) if sse.data else {}
                if sse.event == RESULT:
                    put(Completed(output=data.get("output")))
                    return
                if sse.event == ERROR:
                    put(Failed(data.get("message") or "The agent failed.", data.get("code") or "agent_error"))
                    return
                if sse.event == INTERRUPT:
                    put(interrupted(data))
                    return
                put(PendingEvent(sse.event, check_agent_event(sse.event, data), timezone.now()))
                await room()
        put(Failed("Agent service ended the stream without a result.", "mcp_protocol_error"))
    except AgentServerError as error:
        put(Failed(error.message, error.code))
    except (ValueError, MalformedEvent) as exc:
        put(Failed(f"Agent service sent a malformed stream: {exc}", "mcp_protocol_error"))
    except Exception:
        # CancelledError is a BaseException: a cancelled reader ends here silently.
        logger.exception("Reading the agent stream of %s failed", payload["execution_id"])
        put(Failed("The worker could not read the agent service's stream.", "internal_error"))


def interrupted(data):
    """The outcome of a stream that ended with ``interrupt``, checked like any event from the agent server."""
    kind, payload, state = data.get("kind"), data.get("payload"), data.get("state")
    if kind not in KINDS or not isinstance(payload, dict) or not isinstance(state, dict):
        raise MalformedEvent("interrupt event lacks a known kind, a payload or a state")
    return Interrupted(kind, payload, state)
