"""Hostile documents: reading is bounded in pages, text, time and memory, happens once, and fails cleanly."""

import asyncio
import logging
import time

import pytest

from mcp_server.knowledge import DocumentError, KnowledgeBase, ReadLimits
from mcp_server.knowledge.extraction import read_text
from mcp_server.settings import SettingsError, load_settings
from mcp_server.tests import pdfs
from mcp_server.tests.pdfs import pdf_bomb, pdf_of_slow_pages, pdf_with_text


def refusal(content, limits=ReadLimits(), filename="hostile.pdf", content_type="application/pdf"):
    started = time.monotonic()
    with pytest.raises(DocumentError) as refused:
        read_text(filename, content_type, content, limits)
    return refused.value, time.monotonic() - started


def test_a_pdf_is_read_in_a_child_and_its_text_comes_back():
    text = read_text("a.pdf", "application/pdf", pdf_with_text("First page.", "Second page."), ReadLimits())
    assert text == "First page.\n\nSecond page."


def test_a_pdf_that_inflates_to_gigabytes_is_refused_at_once():
    error, seconds = refusal(pdf_bomb())
    assert error.code == "document_out_of_memory"
    assert seconds < 5


def test_a_pdf_that_needs_more_memory_than_its_limit_is_refused():
    # Two million operators of an empty TJ: about 400 MB of parsed objects.
    greedy = pdfs._pdf_drawing(pdfs._deflated(b"BT [] TJ ET\n" * 80_000, 7_000_000, level=9))
    error, seconds = refusal(greedy, ReadLimits(memory_bytes=200 * 1024 * 1024))
    assert (error.code, error.message) == ("document_out_of_memory", "Reading the PDF needs more than 200 MiB of memory.")
    assert seconds < 20


def test_a_pdf_that_takes_too_long_is_stopped_at_its_timeout():
    error, seconds = refusal(pdf_of_slow_pages(), ReadLimits(timeout=1.5))
    assert (error.code, error.message) == ("document_timeout", "Reading the PDF took longer than 1.5 seconds.")
    assert seconds < 5


def test_pages_and_text_are_limited():
    pages, _ = refusal(pdf_with_text("a", "b", "c"), ReadLimits(max_pages=2))
    assert (pages.code, pages.message) == ("document_too_many_pages", "The PDF has 3 pages; at most 2 can be indexed.")
    long_pdf, _ = refusal(pdf_with_text("a" * 100, "b" * 100), ReadLimits(max_chars=150))
    long_text, _ = refusal(b"word " * 100, ReadLimits(max_chars=150), "notes.txt", "text/plain")
    assert long_pdf.code == long_text.code == "document_text_too_long"


def test_a_broken_pdf_is_unreadable():
    error, _ = refusal(b"%PDF-1.4 not really")
    assert error.code == "unreadable_document"


@pytest.fixture
def knowledge(tmp_path, shared_knowledge):
    # The session's embedder (loaded once), a store of this test's own.
    return KnowledgeBase(tmp_path, embedder=shared_knowledge._embedder, limits=ReadLimits(timeout=1.5))


async def test_a_document_that_fails_leaves_nothing_of_it_searchable(knowledge):
    good = pdf_with_text("The lighthouse lamp at Kestrel Point is cleaned on Tuesdays.")
    assert await knowledge.put_document("a", "doc", "guide.pdf", "application/pdf", good) == 1
    assert await knowledge.search("a", "Kestrel Point lamp")

    with pytest.raises(DocumentError):
        await knowledge.put_document("a", "doc", "guide.pdf", "application/pdf", pdf_of_slow_pages())

    assert await knowledge.search("a", "Kestrel Point lamp") == []


async def test_the_same_document_sent_twice_at_once_is_read_once(knowledge, caplog):
    caplog.set_level(logging.INFO, logger="mcp_server.knowledge")
    slow = pdf_of_slow_pages()

    outcomes = await asyncio.gather(
        *[knowledge.put_document("a", "slow", "slow.pdf", "application/pdf", slow) for _ in range(3)],
        return_exceptions=True,
    )

    assert [getattr(outcome, "code", outcome) for outcome in outcomes] == ["document_timeout"] * 3
    assert sum("indexing document slow of agent a" in record.getMessage() for record in caplog.records) == 1


def test_indexing_must_allow_longer_than_reading():
    base = {"MCP_ALLOW_NO_TOKEN": "1"}
    assert load_settings(base).index_timeout > load_settings(base).parse_timeout
    with pytest.raises(SettingsError, match="MCP_INDEX_TIMEOUT"):
        load_settings({**base, "MCP_PARSE_TIMEOUT": "60", "MCP_INDEX_TIMEOUT": "30"})
