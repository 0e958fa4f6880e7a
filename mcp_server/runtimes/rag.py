"""``rag``: answer a question from the agent's own documents, citing them.

Events, in order:

1. ``progress`` stage ``retrieving`` (0 percent);
2. ``step`` ``retrieval``: the passages found, numbered, each with its source;
3. ``progress`` stage ``generating`` (50 percent);
4. the ``model_call`` step, then, if the answer did not keep to the
   passages, a ``step`` ``grounding`` saying it is replaced by a quote;
5. ``token``: the answer;
6. ``progress`` stage ``done`` (100 percent).

Grounded, not hoped: of the passages found, the sentences nearest the
question in meaning (``ANSWER_SENTENCES``) are what the model answers
from, numbered by their passage. Its answer is kept only when it keeps to
them (``keeps_to``: nearly every word it uses is theirs); otherwise the
answer is the nearest sentence itself, quoted with its ``[n]``. So the
answer is checked before it is sent: it arrives as one ``token`` event
rather than word by word.

Result: ``{"text": answer, "answered_from": "model" | "quote",
"citations": [{"index", "document_id", "filename", "chunk", "score",
"text", "quote"}], "provider", "model", "finish_reason", "usage"}``. The
citations are the passages the answer refers to by their ``[n]`` markers,
or, with no marker, those of the sentences it was written from; ``quote``
is the sentence of that passage the answer rests on. With no passage
found, the answer says so without asking the model, which would otherwise
make something up.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from contract.events import TOKEN
from mcp_server import events
from mcp_server.events import Event, Result, RuntimeFailure
from mcp_server.knowledge import Hit
from mcp_server.knowledge.documents import sentences
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
# How many of the passages' sentences, the nearest the question, the model answers from.
ANSWER_SENTENCES = 2
# How much the words a piece shares with the question count beside its meaning.
LEXICAL_WEIGHT = 0.5
# An answer keeps to its sentences when at least this share of its words is theirs.
GROUNDED_SHARE = 0.8
_WORD = re.compile(r"[a-z0-9_]+")
_STOPWORDS = frozenset(
    "the a an and or of to in on at by for with from as is are was were be been it its this that these those "
    "there their they them which who what when where how why does do did can could will would should may "
    "not no yes so than then also into about answer question passage passages".split()
)


@dataclass(frozen=True)
class Sentence:
    """A sentence of passage ``index`` (from 1), and how near it is to the question."""

    index: int
    text: str
    score: float


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
        nearest = await nearest_sentences(request.services.knowledge, question, hits)
        messages[-1] = {"role": "user", "content": grounded_question(question, hits, nearest)}
        prompt = [{"role": "system", "content": config["system_prompt"]}, *messages]
        answer = TextCollector()
        async for event in answer.stream(calls, chat_request(config, prompt)):
            if event.type != TOKEN:  # the text is checked first, and sent below
                yield event
        text, answered_from = answer.text.strip(), "model"
        if not keeps_to(text, [sentence.text for sentence in nearest]):
            best = nearest[-1]
            text, answered_from = f"{best.text} [{best.index}]", "quote"
            yield events.step("grounding", "The answer did not keep to the passages; quoting the nearest "
                              f"sentence instead (passage [{best.index}]).")
        yield events.token(text)
        yield events.done()
        yield Result({"text": text, "answered_from": answered_from, "citations": citations(text, hits, nearest),
                      "provider": provider.name, "model": calls.model, **calls.summary()})


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


async def nearest_sentences(knowledge, question: str, hits: list[Hit]) -> list[Sentence]:
    """The ``ANSWER_SENTENCES`` pieces of ``hits`` nearest the question, nearest last.

    A piece is a sentence, or a sentence with the one before it ("It never
    runs agents." says little alone). Near is in meaning (the embeddings'
    cosine) and in words: the share of the question's words it has.
    """
    found: list[Sentence] = []
    for index, hit in enumerate(hits, 1):
        texts = [text.lstrip("# ") for text in sentences(hit.text, 400) if text.strip("# ")]
        found += [Sentence(index, text, 0.0) for text in texts]
        found += [Sentence(index, f"{before} {text}", 0.0) for before, text in zip(texts, texts[1:], strict=False)]
    meaning = await knowledge.similarities(question, [piece.text for piece in found])
    asked = _stems(question)
    scores = [cosine + LEXICAL_WEIGHT * (len(asked & _stems(piece.text)) / len(asked) if asked else 0.0)
              for cosine, piece in zip(meaning, found, strict=True)]
    ranked = sorted(zip(scores, range(len(found)), strict=True), reverse=True)[:ANSWER_SENTENCES]
    return [Sentence(found[i].index, found[i].text, score) for score, i in reversed(ranked)]


def _stems(text: str) -> set[str]:
    """The words of ``text`` but the small ones, a plural's ``s`` dropped."""
    return {word.removesuffix("s") for word in _WORD.findall(text.lower()) if len(word) > 2 and word not in _STOPWORDS}


def grounded_question(question: str, hits: list[Hit], nearest: list[Sentence]) -> str:
    lines = "\n".join(f"[{s.index}] (source: {hits[s.index - 1].filename}) {s.text}" for s in reversed(nearest))
    return f"Passages:\n\n{lines}\n\nQuestion: {question}\n\nAnswer from the passages, citing them like [1]."


def keeps_to(answer: str, sources: list[str]) -> bool:
    """Whether nearly every word the answer uses (but the small ones) is in ``sources``."""
    words = [word for word in _WORD.findall(answer.lower()) if len(word) > 2 and word not in _STOPWORDS]
    if not words:
        return False
    known = set(_WORD.findall(" ".join(sources).lower()))
    return sum(word in known for word in words) / len(words) >= GROUNDED_SHARE


def citations(answer: str, hits: list[Hit], nearest: list[Sentence]) -> list[dict]:
    cited = sorted({int(number) for number in _CITATION.findall(answer) if 1 <= int(number) <= len(hits)})
    numbers = cited or sorted({sentence.index for sentence in nearest})
    quotes = {sentence.index: sentence.text for sentence in nearest}  # the nearest last: it wins
    return [{"index": number, **hits[number - 1].as_dict(), "quote": quotes.get(number)} for number in numbers]
