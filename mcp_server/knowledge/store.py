"""The knowledge base on disk: one SQLite file of documents, chunks and embeddings.

This is the agent server's own store (stdlib ``sqlite3``), not the
platform's database, which this process must never touch. Embeddings are
float32 vectors stored as blobs; at this scale (thousands of chunks per
agent) loading an agent's vectors and comparing them all beats any index.

Every change to an agent's documents bumps that agent's ``revision`` in the
same transaction, so in-memory search indexes know when they are stale, even
if another process wrote the change.

All methods block; call them from a worker thread. Each call opens its own
connection (cheap for SQLite) so threads never share one.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contract.files import private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    agent_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    indexed_at TEXT NOT NULL,
    PRIMARY KEY (agent_id, document_id)
);
CREATE TABLE IF NOT EXISTS chunks (
    agent_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    text TEXT NOT NULL,
    embedding BLOB NOT NULL,
    PRIMARY KEY (agent_id, document_id, chunk)
);
CREATE TABLE IF NOT EXISTS agents (
    agent_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class StoredChunk:
    document_id: str
    filename: str
    chunk: int
    text: str
    embedding: bytes


class KnowledgeStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._ready = False

    def replace_document(
        self, agent_id: str, document_id: str, filename: str, content_type: str,
        chunks: list[tuple[str, bytes]],
    ) -> None:
        """Store a document's chunks (text, embedding), replacing any earlier version of it."""
        with closing(self._connect()) as db, self._write_lock, db:
            db.execute("DELETE FROM chunks WHERE agent_id = ? AND document_id = ?", (agent_id, document_id))
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?)",
                (agent_id, document_id, filename, content_type, len(chunks), datetime.now(UTC).isoformat()),
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
                [(agent_id, document_id, number, text, vector) for number, (text, vector) in enumerate(chunks)],
            )
            self._bump_revision(db, agent_id)

    def delete_document(self, agent_id: str, document_id: str) -> bool:
        """Remove a document; False if there was none."""
        with closing(self._connect()) as db, self._write_lock, db:
            db.execute("DELETE FROM chunks WHERE agent_id = ? AND document_id = ?", (agent_id, document_id))
            deleted = db.execute(
                "DELETE FROM documents WHERE agent_id = ? AND document_id = ?", (agent_id, document_id)
            ).rowcount
            if deleted:
                self._bump_revision(db, agent_id)
            return bool(deleted)

    def revision(self, agent_id: str) -> int:
        with closing(self._connect()) as db:
            row = db.execute("SELECT revision FROM agents WHERE agent_id = ?", (agent_id,)).fetchone()
        return row[0] if row else 0

    def agent_chunks(self, agent_id: str) -> tuple[int, list[StoredChunk]]:
        """The agent's revision and all its chunks, read in one transaction so they agree."""
        with closing(self._connect()) as db, db:
            db.execute("BEGIN")
            row = db.execute("SELECT revision FROM agents WHERE agent_id = ?", (agent_id,)).fetchone()
            rows = db.execute(
                "SELECT c.document_id, d.filename, c.chunk, c.text, c.embedding"
                " FROM chunks c JOIN documents d USING (agent_id, document_id)"
                " WHERE c.agent_id = ? ORDER BY c.document_id, c.chunk",
                (agent_id,),
            ).fetchall()
        return (row[0] if row else 0), [StoredChunk(*row) for row in rows]

    def _bump_revision(self, db: sqlite3.Connection, agent_id: str) -> None:
        db.execute(
            "INSERT INTO agents VALUES (?, 1) ON CONFLICT (agent_id) DO UPDATE SET revision = revision + 1",
            (agent_id,),
        )

    def _connect(self) -> sqlite3.Connection:
        if not self._ready:
            self._create()
        return sqlite3.connect(self.path, timeout=30)

    def _create(self) -> None:
        with self._write_lock:
            if self._ready:
                return
            private_file(self.path)  # users' documents: no other account may read them
            with closing(sqlite3.connect(self.path, timeout=30)) as db:
                db.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
                db.executescript(SCHEMA)
            self._ready = True
