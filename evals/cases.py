"""The fixed evaluation set: what the seeded agents are asked, and what a right answer holds.

Three sets, each run with the embedded model and the runtime's defaults:

* ``TOOLS``: arithmetic and clock questions for a tools agent with the
  calculator and the clock. Right: the answer holds the expected number
  (or, for the clock, what the tool returned) and the tool was called.
* ``RAG``: questions over the seeded documents (``agents/seed``) for a rag
  agent. Right: the answer holds one of the expected phrases and the
  document that says it is cited.
* ``CHAT``: open prompts for a chat agent. Right: no loop, and the reply
  ended before ``max_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToolCase:
    question: str
    tool: str
    # The number the answer must hold, for the calculator; None for the clock,
    # whose right answer is what the tool returned (see ``evals.scoring``).
    expected: str | None = None
    # For the clock: what of the tool's result the answer must hold.
    clock_part: str = "time"


@dataclass(frozen=True)
class RagCase:
    question: str
    # Any of these, case-insensitive, in the answer.
    facts: tuple[str, ...]
    document: str


@dataclass(frozen=True)
class ChatCase:
    prompt: str
    system_prompt: str | None = None


def _sum(question: str, expected: str) -> ToolCase:
    return ToolCase(question, "calculator", expected)


TOOLS: tuple[ToolCase, ...] = (
    _sum("What is 17 * 23 + 4?", "395"),
    _sum("What is 1234 * 5678?", "7006652"),
    _sum("What is 987 + 654?", "1641"),
    _sum("What is 2 to the power of 10?", "1024"),
    _sum("What is 144 / 12?", "12"),
    _sum("Compute 45 * 67.", "3015"),
    _sum("How much is 1000 - 387?", "613"),
    _sum("What is the square root of 1764?", "42"),
    _sum("Calculate (12 + 8) * 3.", "60"),
    _sum("What is 99 * 99?", "9801"),
    _sum("What is 7 * 8 * 9?", "504"),
    _sum("What is 256 / 16?", "16"),
    _sum("What is 3.5 * 4?", "14"),
    _sum("Add 123, 456 and 789.", "1368"),
    _sum("What is 2 ** 16?", "65536"),
    _sum("Multiply 37 by 43.", "1591"),
    _sum("What is 10000 / 8?", "1250"),
    _sum("Subtract 999 from 5000.", "4001"),
    _sum("What is 13 squared?", "169"),
    _sum("What is 81 / 9 + 6?", "15"),
    _sum("What is 250 * 4 - 1?", "999"),
    _sum("What is 12345 + 67890?", "80235"),
    _sum("What is 31 * 31?", "961"),
    _sum("What is 100 - 37 * 2?", "26"),
    ToolCase("What time is it?", "current_time"),
    ToolCase("What time is it in UTC?", "current_time"),
    ToolCase("What is the time in Tokyo?", "current_time"),
    ToolCase("What time is it in New York right now?", "current_time"),
    ToolCase("What is today's date?", "current_time", clock_part="date"),
    ToolCase("What day of the week is it today?", "current_time", clock_part="weekday"),
)

PLATFORM = "platform-overview.md"
PROCESSES = "processes.md"
RELIABILITY = "reliability.md"

RAG: tuple[RagCase, ...] = (
    RagCase("How does a client that reconnects catch up?", ("sequence number", "replayed", "missed event"),
            RELIABILITY),
    RagCase("What happens to a run when its worker dies?", ("worker_lost", "lease expires", "reaper"), RELIABILITY),
    RagCase("How does stop work?", ("recorded in the database", "closes the agent server", "cancels the run"),
            RELIABILITY),
    RagCase("What does the reaper do when a lease expires?", ("worker_lost", "failed"), RELIABILITY),
    RagCase("What keeps an execution's lease alive?", ("heartbeat",), RELIABILITY),
    RagCase("Does a reconnecting client receive missed events more than once?", ("exactly once", "once, in order"),
            RELIABILITY),
    RagCase("What does the api process serve?", ("REST API", "WebSocket", "admin", "dashboard"), PROCESSES),
    RagCase("Does the api process run agents?", ("never runs agents", "never"), PROCESSES),
    RagCase("What does the worker process do?", ("claims an execution", "stores every event", "broadcasts"),
            PROCESSES),
    RagCase("What is Redis used for?", ("broker", "channel layer"), PROCESSES),
    RagCase("Which databases can the platform use?", ("SQLite", "PostgreSQL"), PROCESSES),
    RagCase("What runs the agents themselves?", ("agent server", "mcp"), PROCESSES),
    RagCase("Does the agent server touch the platform's database?", ("never touches", "never"), PROCESSES),
    RagCase("What is the source of truth?", ("database", "SQLite", "PostgreSQL"), PROCESSES),
    RagCase("What is the agent platform?", ("distributed job platform", "job platform"), PLATFORM),
    RagCase("What is an agent?", ("named configuration", "configuration of a runtime"), PLATFORM),
    RagCase("Which runtimes are there?", ("synthetic", "chat", "rag", "tools"), PLATFORM),
    RagCase("What does the tools runtime call?", ("calculator", "clock", "knowledge search"), PLATFORM),
    RagCase("How do users start executions?", ("REST", "WebSocket"), PLATFORM),
    RagCase("What can users watch in the dashboard?", ("progress", "token stream", "tool calls", "steps"),
            PLATFORM),
)

PIRATE = "You are a pirate. Talk like one."
CHAT: tuple[ChatCase, ...] = (
    ChatCase("Hello! What can you do?"),
    ChatCase("Tell me about your ship.", PIRATE),
    ChatCase("What is the sea like today?", PIRATE),
    ChatCase("Write a haiku about autumn."),
    ChatCase("What is the capital of France?"),
    ChatCase("Give me three tips for writing clear emails."),
    ChatCase("Explain what a server is in two sentences."),
    ChatCase("What is a good name for a cat?"),
    ChatCase("Describe a sunset."),
    ChatCase("Why is the sky blue?"),
    ChatCase("Tell me a short joke."),
    ChatCase("What should I cook for dinner tonight?"),
    ChatCase("Summarize the plot of Romeo and Juliet in one paragraph."),
    ChatCase("What is the difference between a list and a tuple in Python?"),
    ChatCase("Say something encouraging."),
    ChatCase("How do I make a cup of tea?"),
    ChatCase("What are the colours of the rainbow?"),
    ChatCase("Recommend a book for a long train ride."),
    ChatCase("What is your favourite treasure?", PIRATE),
    ChatCase("How do plants grow?"),
)
