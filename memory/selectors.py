"""Reading a user's long-term memory: their items only, and search over them.

Memory is personal: a user reaches their own items and no one else's, staff
included (``items_of``); a run reads its owner's. Search is semantic when it
can be (the query embedded by the agent server, compared with each item's
stored embedding by cosine) and by words otherwise: for an item whose
embedding is not computed yet, and for every item while the agent server
cannot be reached.
"""

import logging
import math
import re
import sys
from array import array
from dataclasses import dataclass

from django.conf import settings

from contract import runtimes

from .models import MemoryItem

logger = logging.getLogger(__name__)

WORD = re.compile(r"\w+", re.UNICODE)
# A word match scores below any close semantic match: an item found only by
# its words ranks after the ones whose meaning is near.
KEYWORD_WEIGHT = 0.5
# Items a search embeds itself (in its one call to the agent server) when their task has not yet.
INLINE_EMBEDDINGS = 63


@dataclass(frozen=True)
class Match:
    item: MemoryItem
    score: float
    match: str  # "semantic" | "keyword"


def items_of(user):
    return MemoryItem.objects.filter(owner_id=user.id)


def search(owner_id, query, namespace=None, limit=10):
    """The owner's items that best match ``query``, best first (at most ``limit``)."""
    items = MemoryItem.objects.filter(owner_id=owner_id)
    if namespace is not None:
        items = items.filter(namespace=namespace)
    # Bounded: the newest ones, so a search costs the same however much a user has kept.
    scanned = list(items.order_by("-updated_at")[: settings.AGENTS["MEMORY_SEARCH_SCAN"]])
    if not scanned or not query.strip():
        return []
    texts = {item.id: item.text() for item in scanned}
    query_vector = _vectors(query, scanned, texts)
    words = set(WORD.findall(query.lower()))
    matches = []
    for item in scanned:
        text = texts[item.id]
        if query_vector is not None and item.embedding and item.embedded_text == text:
            matches.append(Match(item, _cosine(query_vector, item.embedding), "semantic"))
            continue
        found = words & set(WORD.findall(text.lower()))
        if found:
            matches.append(Match(item, KEYWORD_WEIGHT * len(found) / len(words), "keyword"))
    matches.sort(key=lambda match: match.score, reverse=True)
    return matches[:limit]


def _vectors(query, items, texts):
    """The query's vector, or None when the agent server cannot be reached.

    Items written since their embedding task ran (or before it could) are
    embedded in the same call, up to ``INLINE_EMBEDDINGS`` of them, and kept:
    an item is found by its meaning as soon as it is written.
    """
    from runs import agent_server

    from .services import keep_embedding

    stale = [item for item in items if not item.embedding or item.embedded_text != texts[item.id]][:INLINE_EMBEDDINGS]
    try:
        query_vector, *vectors = agent_server.embed([query[:8000], *(texts[item.id] for item in stale)])
    except agent_server.AgentServerError as error:
        logger.warning("Memory search falls back to words: %s", error.message)
        return None
    for item, vector in zip(stale, vectors, strict=True):
        keep_embedding(item, texts[item.id], vector)
    return query_vector


def _cosine(a, b):
    # Both are unit vectors (the embedder normalizes): the dot product is the cosine.
    first, second = array("f", a), array("f", b)
    if sys.byteorder == "big":  # stored little-endian
        first.byteswap()
        second.byteswap()
    if len(first) != len(second):
        return 0.0
    return math.fsum(x * y for x, y in zip(first, second))


def for_run(execution):
    """What a run is given of its owner's memory: the items that best match its message, as plain data."""
    limit = settings.AGENTS["MEMORY_RUN_ITEMS"]
    agent = execution.agent
    # Only runtimes whose input takes it (the catalog says which: the LLM ones).
    if not limit or not runtimes.takes_memory(agent.runtime):
        return []
    if not MemoryItem.objects.filter(owner_id=agent.owner_id).exists():
        return []
    input_data = execution.input_data if isinstance(execution.input_data, dict) else {}
    message = runtimes.user_message(input_data) or ""
    return [
        {"namespace": match.item.namespace, "key": match.item.key, "value": match.item.value}
        for match in search(agent.owner_id, message, limit=limit)
    ]
