"""The contract of the tools an agent may call (the ``tools`` runtime's toolbox).

An ``AgentTool`` has a ``name``, a one-line ``description`` and the JSON
schema of its ``parameters``; the three are shown to the model as they are.
Its ``examples`` are uses of it, worked through (a request, the call's
arguments and result, and an answer made from it): a small model that has
just seen the pattern follows it far more often than one told the rules, so
the runtime shows it the examples nearest the request. ``answer_facts``
names what of a result an answer must state (the calculator's number, the
clock's time), which a small model's answer is held to.
``call(arguments, context)`` receives arguments that already match the
schema (``check_arguments`` rejects the rest) and returns a JSON-serializable
result. A problem the model can fix (division by zero, an unknown time zone)
is a ``ToolError``; its message goes back to the model as the tool's result,
so the agent can try again instead of the run failing.

Tools must be safe to offer to any prompt: no file system, no network, no
code execution beyond what they implement themselves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from jsonschema import Draft202012Validator

if TYPE_CHECKING:
    from mcp_server.agent_tools.memory import MemoryPad
    from mcp_server.services import Services


class ToolError(Exception):
    """A tool could not do what was asked; the message is for the model."""


@dataclass(frozen=True)
class ToolContext:
    """Whose tool call this is: the agent (whose knowledge base to search), the services, the run's memory."""

    agent_id: str
    services: Services | None
    memory: MemoryPad | None = None


@dataclass(frozen=True)
class ToolExample:
    """One use of a tool, worked through: what was asked, the call, its result, the answer given."""

    request: str
    arguments: dict[str, Any]
    result: Any
    answer: str


class AgentTool(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    parameters: ClassVar[dict[str, Any]]
    examples: ClassVar[tuple[ToolExample, ...]]
    _validator: ClassVar[Draft202012Validator]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Draft202012Validator.check_schema(cls.parameters)
        cls._validator = Draft202012Validator(cls.parameters)
        # An example the tool itself would refuse would teach the model a wrong call.
        assert cls.examples, f"{cls.__name__} has no examples"
        for example in cls.examples:
            cls._validator.validate(example.arguments)

    def check_arguments(self, arguments: Any) -> dict[str, Any]:
        """``arguments`` if they match ``parameters``; otherwise ``ToolError`` saying what is wrong."""
        if not isinstance(arguments, dict):
            raise ToolError("The arguments must be a JSON object.")
        error = next(iter(self._validator.iter_errors(arguments)), None)
        if error is not None:
            where = ".".join(map(str, error.absolute_path))
            raise ToolError(f"Invalid arguments{f' ({where})' if where else ''}: {error.message}")
        return arguments

    @abstractmethod
    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        """Do the work; see the module docstring."""

    def answer_facts(self, result: Any) -> list[str]:
        """What of this result an answer must say word for word (none by default)."""
        return []
