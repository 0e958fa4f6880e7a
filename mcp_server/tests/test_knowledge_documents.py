"""From an uploaded file to chunks: text extraction and overlapping chunking."""

import itertools

import pytest

from mcp_server.knowledge.documents import (
    CHUNK_CHARS,
    OVERLAP_CHARS,
    DocumentError,
    extract_text,
    split_into_chunks,
)
from mcp_server.tests.pdfs import pdf_with_text


def test_it_reads_plain_text_and_markdown_as_utf8():
    assert extract_text("a.txt", "text/plain; charset=utf-8", "Café\r\nau lait".encode()) == "Café\nau lait"
    assert extract_text("a.md", "text/markdown", b"\xef\xbb\xbf# Title\n") == "# Title"


def test_it_reads_windows_1252_text():
    assert extract_text("a.txt", "text/plain", "naïve".encode("cp1252")) == "naïve"


def test_it_reads_the_text_of_every_pdf_page():
    text = extract_text("a.pdf", "application/pdf", pdf_with_text("First page text.", "Second page text."))

    assert "First page text." in text and "Second page text." in text


def test_it_goes_by_the_file_name_when_the_type_is_generic():
    assert extract_text("notes.md", "application/octet-stream", b"hello") == "hello"


@pytest.mark.parametrize(
    ("filename", "content_type", "content", "code"),
    [
        ("a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK..",
         "unsupported_document"),
        ("a.png", "image/png", b"\x89PNG", "unsupported_document"),
        ("a.txt", "text/plain", b"   \n\n ", "empty_document"),
        ("a.txt", "text/plain", b"\x00\x01binary", "unreadable_document"),
        ("a.pdf", "application/pdf", b"%PDF-1.4 this is not really a pdf", "unreadable_document"),
        ("a.pdf", "application/pdf", pdf_with_text(""), "empty_document"),
    ],
)
def test_it_rejects_what_it_cannot_index_with_a_code(filename, content_type, content, code):
    with pytest.raises(DocumentError) as failure:
        extract_text(filename, content_type, content)

    assert failure.value.code == code


def test_a_short_text_is_one_chunk():
    assert split_into_chunks("One sentence. Two sentences.") == ["One sentence. Two sentences."]


def test_chunks_are_bounded_cut_at_sentences_and_overlap():
    sentences = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(60)]

    chunks = split_into_chunks(" ".join(sentences))

    assert len(chunks) > 3
    assert all(len(chunk) <= CHUNK_CHARS for chunk in chunks)
    assert all(chunk.endswith(".") for chunk in chunks)
    for before, after in itertools.pairwise(chunks):
        last_sentence = before.rsplit(". ", 1)[-1]
        assert last_sentence in after[:OVERLAP_CHARS], "each chunk starts with the end of the previous one"
    assert all(any(sentence in chunk for chunk in chunks) for sentence in sentences)


def test_a_sentence_longer_than_a_chunk_is_split_at_words():
    chunks = split_into_chunks("word " * 500)

    assert all(len(chunk) <= CHUNK_CHARS for chunk in chunks)
    assert all(not chunk.startswith(" ") and "wor " not in chunk for chunk in chunks)
