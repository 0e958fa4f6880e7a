"""The contract every agent runtime implements.

A runtime is the thing that actually does an agent's work (a scripted load
generator today, an LLM loop tomorrow). The server owns everything around it:
HTTP, validation of the request's shape, streaming, cancellation, logging and
the terminal ``result``/``error`` event. A runtime only has to:

* name itself (``name``), describe its options (``config_schema``) and its
  input (``input_schema``, ``input_example``);
* accept or reject an agent's config (``check_config``);
* run (``run``), yielding events and finally one ``Result``.

Adding a runtime means writing one module with a ``Runtime`` subclass,
registering an instance of it in ``mcp_server/runtimes/__init__.py`` and
exporting the catalog again (``python -m mcp_server catalog``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from jsonschema import Draft202012Validator

from contract.config import ConfigError, compile_schema, validate_config, validate_input
from mcp_server.events import Event, Result
from mcp_server.protocol import RunRequest

__all__ = ["ConfigError", "Runtime"]


class Runtime(ABC):
    """Base class of agent runtimes.

    Class attributes:

    ``name``
        Unique identifier, matched against ``agent.runtime`` of a request.
    ``description``
        One line for people choosing a runtime (the api lists it).
    ``config_schema``
        JSON schema (draft 2020-12) of the agent config. It is checked when the
        subclass is defined, validates every config (see ``check_config``),
        supplies defaults through ``"default"`` and describes the runtime to
        clients. Integers are strict: ``3.0`` and ``true`` are not integers.
    ``input_schema``
        JSON schema (draft 2020-12) of the ``input_data`` the runtime runs
        with, published in the catalog so the platform can check inputs and
        clients can build forms. The server does not enforce it: ``run``
        still treats ``input_data`` as untrusted.
    ``input_example``
        An input that matches ``input_schema`` and that the runtime really
        runs with, for people trying it out. Both are checked when the
        subclass is defined.

    ``check_config(config) -> dict``
        Receives untrusted JSON. Returns the normalized config (defaults filled
        in) that ``run`` will see as ``request.agent.config``, or raises
        ``ConfigError(message, fields)`` with one message per offending option.
        The default implementation validates against ``config_schema``; override
        it (and call ``super()``) for rules a schema cannot express.

    ``run(request) -> AsyncIterator[Event | Result]``
        An async generator. It yields agent events built with the helpers in
        ``mcp_server.events`` and, as its last item, exactly one ``Result``;
        anything it yields after that is never read. To fail the run it raises
        ``RuntimeFailure(message, code)``, which becomes the ``error`` event;
        any other exception becomes an ``error`` event with code
        ``runtime_error`` (and its traceback goes to the server log only).
        ``request.services`` holds the process's LLM providers and knowledge
        base (``mcp_server.services``); heavy models load there, on first use.
        The generator may be cancelled at any ``await`` when the client goes
        away, so it must wait with cancellable awaits (``asyncio.sleep``, async
        I/O), never blocking calls, and clean up in ``finally`` blocks.

    Instances are shared by all concurrent runs, so per-run state belongs in
    local variables of ``run``, not on ``self``.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    config_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }
    input_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    input_example: ClassVar[dict[str, Any]] = {}
    _config_validator: ClassVar[Draft202012Validator]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Compiling here makes a broken schema fail at import, not on the first request.
        cls._config_validator = compile_schema(cls.config_schema)
        validate_input(compile_schema(cls.input_schema), cls.input_example, runtime_name=cls.name)

    def check_config(self, config: Any) -> dict[str, Any]:
        return validate_config(self._config_validator, config, runtime_name=self.name)

    @abstractmethod
    def run(self, request: RunRequest) -> AsyncIterator[Event | Result]:
        """Do the agent's work; see the class docstring for the contract."""
