"""A document's text, read where a hostile file cannot hurt the server.

A PDF is a small program for its reader: a file of a few KB can inflate to
gigabytes, or hold hundreds of pages that each cost a second of parsing, and
pypdf is pure Python that cannot be interrupted. So ``read_text`` parses a
PDF in a child process, a fresh interpreter with

* an address-space limit (``RLIMIT_AS``, ``memory_bytes``): past it
  allocation fails and the child reports ``document_out_of_memory``;
* a CPU limit (``RLIMIT_CPU``) and a wall-clock ``timeout`` after which the
  parent kills it: ``document_timeout``;
* the page and text limits, checked as it reads (``documents.extract_text``).

Every way it can fail is a ``DocumentError`` with its code; whatever the
child did, the server's own memory holds no more than the text it returns.
A fresh interpreter, not a fork: the server's address space holds the
models (gigabytes of mappings that a fork would count against the limit),
and forking a process with threads is unsafe. Starting one costs about a
tenth of a second, nothing beside embedding the text. Plain text needs no
child: decoding cannot inflate, and the text limit applies in place.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mcp_server.knowledge.documents import (
    DOCUMENT_TIMEOUT,
    OUT_OF_MEMORY,
    PDF_TYPES,
    UNREADABLE_DOCUMENT,
    DocumentError,
    effective_type,
    extract_text,
)

logger = logging.getLogger(__name__)

# The directory that holds the mcp_server package: the child imports it from there.
_IMPORT_ROOT = str(Path(__file__).resolve().parents[2])
_CHILD = "from mcp_server.knowledge.extraction import child_main; child_main()"
# The child's exit status when even reporting its MemoryError failed.
_EXIT_OUT_OF_MEMORY = 3


@dataclass(frozen=True)
class ReadLimits:
    """What reading one document may cost (the server's ``MCP_DOCUMENT_*`` and ``MCP_PARSE_*`` settings)."""

    max_pages: int = 1000
    max_chars: int = 1_000_000
    timeout: float = 30.0
    memory_bytes: int = 1024 * 1024 * 1024


def read_text(filename: str, content_type: str, content: bytes, limits: ReadLimits) -> str:
    """The document's text within ``limits``, or ``DocumentError`` (blocking: call it from a thread)."""
    if effective_type(filename, content_type) not in PDF_TYPES:
        return extract_text(filename, content_type, content, max_pages=limits.max_pages, max_chars=limits.max_chars)
    header = {
        "filename": filename,
        "content_type": content_type,
        "max_pages": limits.max_pages,
        "max_chars": limits.max_chars,
        "memory_bytes": limits.memory_bytes,
        # The CPU limit is a backstop for a parent that died before its timer fired.
        "cpu_seconds": math.ceil(limits.timeout) + 1,
    }
    try:
        child = subprocess.run(
            [sys.executable, "-c", _CHILD],
            input=json.dumps(header).encode() + b"\n" + content,
            capture_output=True,
            timeout=limits.timeout,
            cwd=_IMPORT_ROOT,
        )
    except subprocess.TimeoutExpired:  # run() has killed the child
        raise _timed_out(limits.timeout) from None
    return _outcome(child, limits)


def _outcome(child: subprocess.CompletedProcess, limits: ReadLimits) -> str:
    try:
        answer = json.loads(child.stdout)
    except ValueError:
        answer = None
    if child.returncode == 0 and isinstance(answer, dict):
        if isinstance(answer.get("text"), str):
            return answer["text"]
        error = answer.get("error") or {}
        if isinstance(error.get("message"), str) and isinstance(error.get("code"), str):
            raise DocumentError(error["message"], error["code"])
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise _timed_out(limits.timeout)
    if child.returncode == _EXIT_OUT_OF_MEMORY:
        raise _out_of_memory(limits.memory_bytes)
    logger.warning(
        "the PDF reader stopped with status %s: %s", child.returncode, child.stderr[-2000:].decode("utf-8", "replace")
    )
    raise DocumentError("The PDF could not be read.", UNREADABLE_DOCUMENT)


def _timed_out(seconds: float) -> DocumentError:
    return DocumentError(f"Reading the PDF took longer than {seconds:g} seconds.", DOCUMENT_TIMEOUT)


def _out_of_memory(memory_bytes: int) -> DocumentError:
    return DocumentError(
        f"Reading the PDF needs more than {memory_bytes // (1024 * 1024):,} MiB of memory.", OUT_OF_MEMORY
    )


def child_main() -> None:
    """The child: a JSON header line, then the document, on stdin; ``{"text"}`` or ``{"error"}`` on stdout."""
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    # Limits first, so reading the document counts too.
    memory = header["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (header["cpu_seconds"], header["cpu_seconds"] + 1))
    try:
        text = extract_text(
            header["filename"], header["content_type"], stdin.read(),
            max_pages=header["max_pages"], max_chars=header["max_chars"],
        )
        answer = {"text": text}
    except DocumentError as error:
        answer = {"error": {"message": error.message, "code": error.code}}
    except MemoryError:
        # Unwinding freed what the parse held, so there is room to say so.
        error = _out_of_memory(memory)
        answer = {"error": {"message": error.message, "code": error.code}}
    except Exception as error:  # pypdf raises more than it documents on hostile input
        print(f"unreadable PDF: {error!r}", file=sys.stderr)
        answer = {"error": {"message": "The PDF could not be read.", "code": UNREADABLE_DOCUMENT}}
    try:
        sys.stdout.write(json.dumps(answer))
        sys.stdout.flush()
    except MemoryError:  # the text itself did not fit
        os._exit(_EXIT_OUT_OF_MEMORY)
