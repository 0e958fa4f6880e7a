"""The ``POST /execute`` request: parsing untrusted JSON into a ``RunRequest``.

Body::

    {"execution_id": str,
     "agent": {"id": str, "name": str, "runtime": str, "config": {...}},
     "input_data": {...},
     "resume": {"interrupt_id": str, "kind": str, "payload": {...},
                "state": {...}, "answer": ...}}

``agent.config`` and ``input_data`` may be omitted (they default to ``{}``).
``resume`` is given only when a run that waited for a person goes on: the
``Interrupt`` the runtime yielded (its kind, payload and state) and the
person's answer, checked here against the kind (``contract.interrupts``);
unknown top-level keys are ignored so newer clients can talk to this server.
Every problem is reported at once in ``BadRequest.fields``, keyed by the
dotted path of the offending field, so a client can fix its request in one go.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contract import interrupts
from contract.errors import PlatformError
from contract.limits import MAX_JSON_DEPTH, TooDeep, parse_json

if TYPE_CHECKING:
    from mcp_server.services import Services

INVALID_REQUEST = "invalid_request"
UNKNOWN_RUNTIME = "unknown_runtime"
INVALID_CONFIG = "invalid_config"
REQUEST_TOO_LARGE = "request_too_large"

# A run request carries an agent's config (the api allows 64 KiB) and its
# input (256 KiB); anything much larger is no request of the platform's.
MAX_REQUEST_BYTES = 2 * 1024 * 1024

REQUIRED = "This field is required."


@dataclass(frozen=True)
class AgentSpec:
    id: str
    name: str
    runtime: str
    # Untrusted as parsed; replaced by the runtime's normalized config before the run starts.
    config: dict[str, Any]


@dataclass(frozen=True)
class Resume:
    """What a run that waited goes on with: its own checkpoint and the person's answer."""

    interrupt_id: str
    kind: str
    payload: dict[str, Any]
    state: dict[str, Any]
    answer: Any


@dataclass(frozen=True)
class RunRequest:
    execution_id: str
    agent: AgentSpec
    input_data: dict[str, Any]
    resume: Resume | None = None
    # The process's providers and knowledge base, attached when the run is admitted.
    services: Services | None = field(default=None, repr=False, compare=False)


class BadRequest(PlatformError):
    """The request cannot be run; answered with HTTP 400 and this message, code and fields."""

    code = INVALID_REQUEST


class BodyTooLarge(BadRequest):
    """Answered with 413: the body passed its limit while it was read."""

    code = REQUEST_TOO_LARGE
    status = 413


async def read_limited(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """A request body read as it arrives, refused (``BodyTooLarge``) once it passes ``limit`` bytes."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"The request body is larger than {limit} bytes.")
    return bytes(body)


def parse_run_request(body: bytes) -> RunRequest:
    """Parse and shape-check a request body; raise ``BadRequest`` if it is unusable."""
    document = _parse_json(body)
    if not isinstance(document, dict):
        raise BadRequest("The request body must be a JSON object.")

    problems: dict[str, str] = {}
    execution_id = _string(document, "execution_id", problems, non_empty=True)
    agent = _object(document, "agent", problems, required=True)
    input_data = _object(document, "input_data", problems, required=False)
    agent_id = agent_name = runtime = None
    config: dict[str, Any] | None = None
    if agent is not None:
        agent_id = _string(agent, "id", problems, path="agent.id", non_empty=True)
        agent_name = _string(agent, "name", problems, path="agent.name")
        runtime = _string(agent, "runtime", problems, path="agent.runtime", non_empty=True)
        config = _object(agent, "config", problems, path="agent.config", required=False)
    resume = _resume(document, problems)
    if problems:
        raise BadRequest(_summary(problems), INVALID_REQUEST, problems)

    return RunRequest(
        execution_id=execution_id,
        agent=AgentSpec(id=agent_id, name=agent_name, runtime=runtime, config=config or {}),
        input_data=input_data or {},
        resume=resume,
    )


def _resume(document: dict[str, Any], problems: dict[str, str]) -> Resume | None:
    resume = _object(document, "resume", problems, required=False)
    if resume is None:
        return None
    interrupt_id = _string(resume, "interrupt_id", problems, path="resume.interrupt_id", non_empty=True)
    kind = _string(resume, "kind", problems, path="resume.kind")
    payload = _object(resume, "payload", problems, path="resume.payload", required=True)
    state = _object(resume, "state", problems, path="resume.state", required=True)
    if "answer" not in resume:
        problems["resume.answer"] = REQUIRED
    if isinstance(kind, str) and kind not in interrupts.KINDS:
        problems["resume.kind"] = f"Must be one of: {', '.join(interrupts.KINDS)}."
    if any(path.startswith("resume.") for path in problems):
        return None
    try:
        answer = interrupts.check_answer(kind, payload, resume["answer"])
    except interrupts.InvalidAnswer as error:
        problems["resume.answer"] = error.message
        return None
    return Resume(interrupt_id=interrupt_id, kind=kind, payload=payload, state=state, answer=answer)


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("The request body is empty; expected a JSON object.")
    try:
        return parse_json(body, parse_constant=_reject_non_json_constant)
    except TooDeep:
        raise BadRequest(f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.") from None
    except ValueError as error:  # also covers JSONDecodeError and UnicodeDecodeError
        raise BadRequest(f"The request body is not valid JSON: {error}.") from None


def _reject_non_json_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, but they are not JSON and would
    # break every client the values get echoed to.
    raise ValueError(f"{name} is not a JSON value")


def _string(
    container: dict[str, Any],
    key: str,
    problems: dict[str, str],
    *,
    path: str | None = None,
    non_empty: bool = False,
) -> Any:
    path = path or key
    if key not in container:
        problems[path] = REQUIRED
        return None
    value = container[key]
    if not isinstance(value, str):
        problems[path] = "Must be a string."
    elif non_empty and not value.strip():
        problems[path] = "Must not be empty."
    return value


def _object(
    container: dict[str, Any],
    key: str,
    problems: dict[str, str],
    *,
    path: str | None = None,
    required: bool,
) -> dict[str, Any] | None:
    path = path or key
    if key not in container:
        if required:
            problems[path] = REQUIRED
        return None
    value = container[key]
    if not isinstance(value, dict):
        problems[path] = "Must be a JSON object."
        return None
    return value


def _summary(problems: dict[str, str]) -> str:
    details = " ".join(f"{path}: {problem}" for path, problem in problems.items())
    return f"Invalid request. {details}"
