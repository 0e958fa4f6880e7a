"""From an uploaded file to the chunks that get indexed.

``extract_text`` reads plain text, Markdown and PDF (via ``pypdf``, imported
only when a PDF arrives), refusing a PDF of more than ``max_pages`` pages or
a text longer than ``max_chars`` as it reads. It trusts the file no further
than that: on the server a PDF is read in a child process with memory, CPU
and time limits (``extraction``), never in the server itself. ``split_into_chunks`` cuts the text into pieces of
about ``CHUNK_CHARS`` characters at paragraph and sentence boundaries, each
repeating the last ``OVERLAP_CHARS`` or so of the one before, so a fact that
straddles a boundary is still whole in one chunk.

Sizes: all-MiniLM-L6-v2 reads at most 256 word pieces and was trained on
128; 800 characters of English are about 180 of them, so a chunk is embedded
whole and stays specific enough for top-1 retrieval.
"""

from __future__ import annotations

import io
import logging
import re

logger = logging.getLogger(__name__)

CHUNK_CHARS = 800
OVERLAP_CHARS = 150

UNSUPPORTED_DOCUMENT = "unsupported_document"
UNREADABLE_DOCUMENT = "unreadable_document"
EMPTY_DOCUMENT = "empty_document"
DOCUMENT_TOO_LARGE = "document_too_large"
TOO_MANY_PAGES = "document_too_many_pages"
TEXT_TOO_LONG = "document_text_too_long"
DOCUMENT_TIMEOUT = "document_timeout"
OUT_OF_MEMORY = "document_out_of_memory"

TEXT_TYPES = {"text/plain", "text/markdown", "text/x-markdown"}
PDF_TYPES = {"application/pdf"}
# Browsers and curl send octet-stream for files they do not know; the name decides then.
EXTENSION_TYPES = {".txt": "text/plain", ".text": "text/plain", ".md": "text/markdown",
                   ".markdown": "text/markdown", ".pdf": "application/pdf"}

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class DocumentError(ValueError):
    """A document that cannot be indexed; ``code`` is one of the codes above."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def extract_text(
    filename: str, content_type: str, content: bytes, max_pages: int | None = None, max_chars: int | None = None
) -> str:
    """The document's text, or ``DocumentError``."""
    kind = effective_type(filename, content_type)
    if kind in PDF_TYPES:
        text = _pdf_text(content, max_pages, max_chars)
    elif kind in TEXT_TYPES:
        text = _decode(content)
    else:
        raise DocumentError(
            f"Unsupported document type {content_type!r}: send text/plain, text/markdown or application/pdf.",
            UNSUPPORTED_DOCUMENT,
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise DocumentError(f"{filename!r} contains no text to index.", EMPTY_DOCUMENT)
    if max_chars is not None and len(text) > max_chars:
        raise _text_too_long(max_chars)
    return text


def effective_type(filename: str, content_type: str) -> str:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("", "application/octet-stream"):
        suffix = filename[filename.rfind("."):].lower() if "." in filename else ""
        return EXTENSION_TYPES.get(suffix, kind)
    return kind


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise DocumentError("The document is binary, not text.", UNREADABLE_DOCUMENT)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Windows editors still save cp1252; it rejects bytes no text file has.
        return content.decode("cp1252")
    except UnicodeDecodeError:
        raise DocumentError("The document is not UTF-8 (or Windows-1252) text.", UNREADABLE_DOCUMENT) from None


def _pdf_text(content: bytes, max_pages: int | None, max_chars: int | None) -> str:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("The PDF is password-protected.", UNREADABLE_DOCUMENT)
        pages = len(reader.pages)
        if max_pages is not None and pages > max_pages:
            raise DocumentError(
                f"The PDF has {pages:,} pages; at most {max_pages:,} can be indexed.", TOO_MANY_PAGES
            )
        texts: list[str] = []
        length = 0
        for page in reader.pages:
            texts.append(page.extract_text() or "")
            length += len(texts[-1]) + 2
            # Checked page by page: the text of a hostile PDF could fill any memory before the end.
            if max_chars is not None and length > max_chars:
                raise _text_too_long(max_chars)
        return "\n\n".join(texts)
    except DocumentError:
        raise
    except LimitReachedError:
        # pypdf's own guard: one stream that inflates past its limit (a decompression bomb).
        raise DocumentError("The PDF expands to more data than may be read from it.", OUT_OF_MEMORY) from None
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        logger.info("unreadable PDF: %s", error)
        raise DocumentError("The PDF could not be read.", UNREADABLE_DOCUMENT) from None


def _text_too_long(max_chars: int) -> DocumentError:
    return DocumentError(f"The document's text is longer than {max_chars:,} characters.", TEXT_TOO_LONG)


def split_into_chunks(text: str, size: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    """Overlapping chunks of at most ``size`` characters, cut at paragraph or sentence ends."""
    chunks: list[str] = []
    current: list[str] = []
    length = 0  # of " ".join(current), plus one
    fresh = False  # current holds more than the overlap carried over
    for piece in _pieces(text, size):
        if fresh and length + len(piece) + 1 > size:
            chunks.append(" ".join(current))
            current, length = _tail(current, overlap)
            fresh = False
        while current and length + len(piece) + 1 > size:
            length -= len(current.pop(0)) + 1  # the overlap must leave room for the new piece
        current.append(piece)
        length += len(piece) + 1
        fresh = True
    if fresh:
        chunks.append(" ".join(current))
    return chunks


def sentences(text: str, size: int = CHUNK_CHARS) -> list[str]:
    """The sentences of ``text`` (paragraph ends count as sentence ends), none longer than ``size``."""
    return _pieces(text, size)


def _pieces(text: str, size: int) -> list[str]:
    """Sentences (paragraph ends count as sentence ends), none longer than ``size``."""
    pieces: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        for sentence in _SENTENCE_END.split(" ".join(paragraph.split())):
            while len(sentence) > size:
                cut = sentence.rfind(" ", 0, size)
                cut = cut if cut > size // 2 else size
                pieces.append(sentence[:cut].strip())
                sentence = sentence[cut:].strip()
            if sentence:
                pieces.append(sentence)
    return pieces


def _tail(pieces: list[str], overlap: int) -> tuple[list[str], int]:
    """The last whole sentences of a chunk, at most ``overlap`` characters, to start the next one."""
    tail: list[str] = []
    length = 0
    for piece in reversed(pieces):
        if length + len(piece) + 1 > overlap:
            break
        tail.insert(0, piece)
        length += len(piece) + 1
    if not tail and pieces:
        # One long last sentence: carry its last words over instead.
        last = pieces[-1]
        start = last.find(" ", len(last) - overlap)
        if start != -1:
            tail, length = [last[start + 1:]], len(last) - start
    return tail, length
