"""Each agent's knowledge base: documents in, passages out.

``KnowledgeBase`` is the one entry point, used by the HTTP endpoints, the
``rag`` runtime, the ``search_knowledge`` agent tool and the MCP tool. A
document is extracted and chunked (``documents``), embedded
(``embeddings``), stored with its vectors in SQLite under ``MCP_DATA_DIR``
(``store``) and searched with dense + BM25 hybrid retrieval (``retrieval``).

Everything heavy (onnxruntime, tokenizers, numpy, bm25s, pypdf) is imported
on first use and runs in worker threads, so importing this package is cheap
and the event loop never waits on a model.

Indexing a document is bounded and happens once: its text is read within
``ReadLimits`` (a PDF in a child process, ``extraction``), the whole PUT
within ``index_timeout``, and a PUT of a document that is being indexed
right now (a client that timed out and asked again) waits for that
indexing instead of starting another. It is all or nothing: the chunks are
written in one transaction after everything else succeeded, and a document
that fails leaves nothing behind, not even an earlier version.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from mcp_server.knowledge.documents import DOCUMENT_TIMEOUT, DocumentError, split_into_chunks
from mcp_server.knowledge.embeddings import Embedder
from mcp_server.knowledge.extraction import ReadLimits, read_text
from mcp_server.knowledge.retrieval import AgentIndex, Hit
from mcp_server.knowledge.store import KnowledgeStore

__all__ = ["DocumentError", "Hit", "KnowledgeBase", "KnowledgeBusy", "ReadLimits"]

logger = logging.getLogger(__name__)

DATABASE_FILE = "knowledge.sqlite3"
# Search indexes kept in memory; an agent beyond these is reloaded from disk on its next search.
CACHED_AGENTS = 32
# Documents read at once: each reader may take ReadLimits.memory_bytes, and there are two cores.
READERS = 2
# Chunks embedded between two looks at the deadline (a few seconds of work).
EMBED_STEP = 64


class KnowledgeBusy(RuntimeError):
    """No reader was free before the deadline: nothing was read, so asking again is safe."""

_shared_embedder = Embedder()  # the model loads once per process, not once per knowledge base


class KnowledgeBase:
    def __init__(
        self,
        data_dir: Path,
        embedder: Embedder | None = None,
        limits: ReadLimits | None = None,
        index_timeout: float = 120.0,
    ) -> None:
        self.store = KnowledgeStore(data_dir / DATABASE_FILE)
        self.limits = limits or ReadLimits()
        self.index_timeout = index_timeout
        self._embedder = embedder or _shared_embedder
        # Vectors of the fixed texts ``similarities`` is asked about again and again (the tools' worked examples).
        self._text_vectors: dict[str, Any] = {}
        self._indexes: OrderedDict[str, AgentIndex] = OrderedDict()
        self._indexes_lock = threading.Lock()
        self._readers = threading.BoundedSemaphore(READERS)
        self._indexing: dict[tuple, asyncio.Future] = {}

    async def put_document(
        self, agent_id: str, document_id: str, filename: str, content_type: str, content: bytes
    ) -> int:
        """Index a document (replacing an earlier version); return its number of chunks.

        Raises ``DocumentError`` for a document that cannot be indexed (and
        then the agent has none of it), ``KnowledgeBusy`` when no reader was
        free in time. The same document, while it is being indexed, is not
        read again: the second call gets the first one's outcome.
        """
        key = (agent_id, document_id, filename, content_type, hashlib.sha256(content).digest())
        indexing = self._indexing.get(key)
        if indexing is None:
            deadline = time.monotonic() + self.index_timeout
            indexing = asyncio.ensure_future(
                asyncio.to_thread(self._put_document, agent_id, document_id, filename, content_type, content, deadline)
            )
            self._indexing[key] = indexing
            indexing.add_done_callback(lambda done: self._indexed(key, done))
        else:
            logger.info("document %s of agent %s is being indexed already; waiting for it", document_id, agent_id)
        # Shielded: a client that goes away does not take the indexing (or its other waiters) with it.
        return await asyncio.shield(indexing)

    def _indexed(self, key: tuple, done: asyncio.Future) -> None:
        self._indexing.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved, so an outcome nobody waited for is not logged as lost

    async def delete_document(self, agent_id: str, document_id: str) -> bool:
        """Forget a document at once; False if it was not there."""
        return await asyncio.to_thread(self.store.delete_document, agent_id, document_id)

    async def search(self, agent_id: str, query: str, k: int = 4) -> list[Hit]:
        """The ``k`` passages of the agent's documents that best match ``query``, best first."""
        return await asyncio.to_thread(self._search, agent_id, query, k)

    async def similarities(self, query: str, texts: list[str], *, fixed: bool = False) -> list[float]:
        """How close each of ``texts`` is in meaning to ``query`` (cosine, -1..1).

        ``fixed`` texts (the tools' worked examples: the same few hundred in
        every run) have their vectors kept; others (passages' sentences) are
        embedded each time, so the process does not keep every text it saw.
        """
        return await asyncio.to_thread(self._similarities, query, texts, fixed)

    def _similarities(self, query: str, texts: list[str], fixed: bool) -> list[float]:
        import numpy as np

        if not fixed:
            vectors = self._embedder.embed([query, *texts])
            return [float(score) for score in vectors[1:] @ vectors[0]]
        missing = [text for text in dict.fromkeys(texts) if text not in self._text_vectors]
        if missing:
            self._text_vectors.update(zip(missing, self._embedder.embed(missing), strict=True))
        query_vector = self._embedder.embed([query])[0]
        return [float(np.dot(self._text_vectors[text], query_vector)) for text in texts]

    async def embed(self, texts: list[str]) -> list[bytes]:
        """Each text's unit vector, as little-endian float32 bytes (what the platform's memory stores)."""
        vectors = await asyncio.to_thread(self._embedder.embed, texts)
        return [vector.astype("<f4").tobytes() for vector in vectors]

    def _put_document(self, agent_id, document_id, filename, content_type, content, deadline) -> int:
        if not self._readers.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise KnowledgeBusy(f"Every document reader stayed busy for {self.index_timeout:g} s.")
        try:
            logger.info(
                "indexing document %s of agent %s: %r, %s, %d bytes",
                document_id, agent_id, filename, content_type, len(content),
            )
            limits = self.limits
            remaining = deadline - time.monotonic()
            if remaining < limits.timeout:
                limits = ReadLimits(limits.max_pages, limits.max_chars, max(0.1, remaining), limits.memory_bytes)
            chunks = split_into_chunks(read_text(filename, content_type, content, limits))
        except DocumentError as error:
            self._forget(agent_id, document_id, error)
            raise
        finally:
            self._readers.release()
        try:
            vectors = []
            for start in range(0, len(chunks), EMBED_STEP):
                self._check_deadline(deadline)
                vectors.extend(self._embedder.embed(chunks[start:start + EMBED_STEP]))
            self._check_deadline(deadline)
        except DocumentError as error:
            self._forget(agent_id, document_id, error)
            raise
        self.store.replace_document(
            agent_id, document_id, filename, content_type,
            [(text, vector.tobytes()) for text, vector in zip(chunks, vectors)],
        )
        logger.info("indexed document %s of agent %s: %d chunks", document_id, agent_id, len(chunks))
        return len(chunks)

    def _check_deadline(self, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise DocumentError(f"Indexing the document took longer than {self.index_timeout:g} s.", DOCUMENT_TIMEOUT)

    def _forget(self, agent_id: str, document_id: str, error: DocumentError) -> None:
        """A document that failed is not searchable at all, not even in an earlier version."""
        logger.info("document %s of agent %s not indexed: %s (%s)", document_id, agent_id, error.message, error.code)
        self.store.delete_document(agent_id, document_id)

    def _search(self, agent_id: str, query: str, k: int) -> list[Hit]:
        index = self._index(agent_id)
        if not index.chunks or not query.strip():
            return []
        query_vector = self._embedder.embed([query])[0]
        return index.search(query, query_vector, k)

    def _index(self, agent_id: str) -> AgentIndex:
        revision = self.store.revision(agent_id)
        with self._indexes_lock:
            index = self._indexes.get(agent_id)
            if index is not None and index.revision == revision:
                self._indexes.move_to_end(agent_id)
                return index
        # Built outside the lock: another agent's search need not wait for it.
        index = AgentIndex(*self.store.agent_chunks(agent_id))
        with self._indexes_lock:
            self._indexes[agent_id] = index
            self._indexes.move_to_end(agent_id)
            while len(self._indexes) > CACHED_AGENTS:
                self._indexes.popitem(last=False)
        return index
