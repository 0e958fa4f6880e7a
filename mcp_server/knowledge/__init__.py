"""Each agent's knowledge base: documents in, passages out.

``KnowledgeBase`` is the one entry point, used by the HTTP endpoints, the
``rag`` runtime, the ``search_knowledge`` agent tool and the MCP tool. A
document is extracted and chunked (``documents``), embedded
(``embeddings``), stored with its vectors in SQLite under ``MCP_DATA_DIR``
(``store``) and searched with dense + BM25 hybrid retrieval (``retrieval``).

Everything heavy (onnxruntime, tokenizers, numpy, bm25s, pypdf) is imported
on first use and runs in worker threads, so importing this package is cheap
and the event loop never waits on a model.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from pathlib import Path

from mcp_server.knowledge.documents import DocumentError, extract_text, split_into_chunks
from mcp_server.knowledge.embeddings import Embedder
from mcp_server.knowledge.retrieval import AgentIndex, Hit
from mcp_server.knowledge.store import KnowledgeStore

__all__ = ["DocumentError", "Hit", "KnowledgeBase"]

DATABASE_FILE = "knowledge.sqlite3"
# Search indexes kept in memory; an agent beyond these is reloaded from disk on its next search.
CACHED_AGENTS = 32

_shared_embedder = Embedder()  # the model loads once per process, not once per knowledge base


class KnowledgeBase:
    def __init__(self, data_dir: Path, embedder: Embedder | None = None) -> None:
        self.store = KnowledgeStore(data_dir / DATABASE_FILE)
        self._embedder = embedder or _shared_embedder
        self._indexes: OrderedDict[str, AgentIndex] = OrderedDict()
        self._indexes_lock = threading.Lock()

    async def put_document(
        self, agent_id: str, document_id: str, filename: str, content_type: str, content: bytes
    ) -> int:
        """Index a document (replacing an earlier version); return its number of chunks.

        Raises ``DocumentError`` for a document that cannot be indexed.
        """
        return await asyncio.to_thread(self._put_document, agent_id, document_id, filename, content_type, content)

    async def delete_document(self, agent_id: str, document_id: str) -> bool:
        """Forget a document at once; False if it was not there."""
        return await asyncio.to_thread(self.store.delete_document, agent_id, document_id)

    async def search(self, agent_id: str, query: str, k: int = 4) -> list[Hit]:
        """The ``k`` passages of the agent's documents that best match ``query``, best first."""
        return await asyncio.to_thread(self._search, agent_id, query, k)

    def _put_document(self, agent_id, document_id, filename, content_type, content) -> int:
        chunks = split_into_chunks(extract_text(filename, content_type, content))
        vectors = self._embedder.embed(chunks)
        self.store.replace_document(
            agent_id, document_id, filename, content_type,
            [(text, vector.tobytes()) for text, vector in zip(chunks, vectors)],
        )
        return len(chunks)

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
