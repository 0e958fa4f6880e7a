"""``rag``: answer a question from the agent's own documents, citing them.

Events, in order:

1. ``progress`` stage ``retrieving`` (0 percent);
2. ``step`` ``retrieval``: the passages found, numbered, each with its source;
3. ``progress`` stage ``generating`` (50 percent);
4. ``token`` events: the answer, written from the numbered passages only,
   then the ``model_call`` step;
5. ``progress`` stage ``done`` (100 percent).

Result: ``{"text": answer, "citations": [{"index", "document_id",
"filename", "chunk", "score", "text"}], "provider", "model",
"finish_reason", "usage"}``. The citations are the passages the
answer refers to by their ``[n]`` markers; an answer with no marker (small
models often leave them out) cites every passage it was given, because it
was written from those alone. With no passage found, the answer says so
without asking the model, which would otherwise make something up.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from mcp_server import events
from mcp_server.events import Event, Result, RuntimeFailure
from mcp_server.knowledge import Hit
from mcp_server.protocol import RunRequest
from mcp_server.runtimes.base import Runtime
from mcp_server.runtimes.llm import (
    NO_SERVICES,
    ModelCalls,
    TextCollector,
    chat_request,
    conversation,
    llm_input_schema,
    llm_options,
    provider_for,
    with_memory,
)

DEFAULT_SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages you are given. "
    "Cite the passages you use like [1]. If the passages do not contain the answer, say that you do not know."
)
NOTHING_FOUND = "I could not find anything about this in the documents of this agent."
EXCERPT_CHARS = 160
_CITATION = re.compile(r"\[(\d{1,2})\]")


class RagRuntime(Runtime):
    name = "rag"
    description = "Answer questions from the agent's uploaded documents, with citations (retrieval-augmented)."
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **llm_options(system_prompt=DEFAULT_SYSTEM_PROMPT, temperature=0.2, max_tokens=512),
            "top_k": {
                "type": "integer",
                "minimum": 1,
                "maximum": 20,
                "default": 4,
                "description": "How many passages to retrieve and give the model.",
            },
        },
    }
    input_schema = llm_input_schema("The question to answer from the agent's documents.")
    input_example = {"question": "What happens to a run when its worker dies?"}

    async def run(self, request: RunRequest) -> AsyncIterator[Event | Result]:
        config = with_memory(request.agent.config, request.input_data)
        messages = conversation(request.input_data)
        question = messages[-1]["content"]
        if request.services is None:
            raise RuntimeFailure("This server was started without a knowledge base.", NO_SERVICES)

        yield events.progress("retrieving", "Searching the knowledge base", percent=0)
        hits = await request.services.knowledge.search(request.agent.id, question, config["top_k"])
        yield events.step("retrieval", describe_passages(hits))
        if not hits:
            yield events.token(NOTHING_FOUND)
            yield events.done()
            yield Result({"text": NOTHING_FOUND, "citations": []})
            return

        provider = provider_for(request)
        calls = ModelCalls(provider, config)
        yield events.progress("generating", f"Writing the answer from {len(hits)} passages", percent=50)
        messages[-1] = {"role": "user", "content": grounded_question(question, hits)}
        prompt = [{"role": "system", "content": config["system_prompt"]}, *messages]
        answer = TextCollector()
        async for event in answer.stream(calls, chat_request(config, prompt)):
            yield event
        yield events.done()
        yield Result({"text": answer.text, "citations": citations(answer.text, hits), "provider": provider.name,
                      "model": calls.model, **calls.summary()})


def describe_passages(hits: list[Hit]) -> str:
    if not hits:
        return "No passages found: this agent has no documents that match."
    lines = [f"Found {len(hits)} passages:"]
    for index, hit in enumerate(hits, start=1):
        excerpt = " ".join(hit.text.split())
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[: EXCERPT_CHARS - 1] + "…"
        lines.append(f"[{index}] {hit.filename} (chunk {hit.chunk}, score {hit.score:.4f}): {excerpt}")
    return "\n".join(lines)


def grounded_question(question: str, hits: list[Hit]) -> str:
    passages = "\n\n".join(f"[{index}] (source: {hit.filename})\n{hit.text}" for index, hit in enumerate(hits, 1))
    return f"Passages:\n\n{passages}\n\nQuestion: {question}\n\nAnswer from the passages, citing them like [1]."


def citations(answer: str, hits: list[Hit]) -> list[dict]:
    cited = sorted({int(number) for number in _CITATION.findall(answer) if 1 <= int(number) <= len(hits)})
    numbers = cited or range(1, len(hits) + 1)
    return [{"index": number, **hits[number - 1].as_dict()} for number in numbers]
