"""Minimal PDF files for tests, built by hand so no PDF writer is needed."""

import zlib


def pdf_with_text(*pages: str) -> bytes:
    """A valid PDF with one page per string, the text in Helvetica."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content_number = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_number} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_bomb(inflated_bytes: int = 2_000_000_000, text: str | None = None) -> bytes:
    """A PDF of some KB whose one content stream inflates to ``inflated_bytes`` (gigabytes).

    The stream is Flate-compressed twice (deflate alone stops near 1000:1),
    piece by piece, so neither this helper nor a test ever holds it inflated.
    With ``text``, a first page shows it, as a document that looks normal would.
    """
    once = _deflated(b"0 0 m\n" * 170_000, inflated_bytes, level=1)
    return _pdf_drawing(zlib.compress(once, 9), filters="[/FlateDecode /FlateDecode]", text=text)


def pdf_of_slow_pages(pages: int = 500, inflated_bytes: int = 7_000_000, text: str | None = None) -> bytes:
    """A PDF of some KB whose every page draws the same stream of ``inflated_bytes`` of text operators.

    No page holds any text, but reading the text of each means parsing a
    million operators (about a second of CPU): minutes for the document.
    With ``text``, a first page shows it.
    """
    stream = _deflated(b"BT 0 0 Td ET\n" * 80_000, inflated_bytes, level=9)
    return _pdf_drawing(stream, pages=pages, text=text)


def _deflated(piece: bytes, length: int, level: int) -> bytes:
    """``piece`` repeated up to ``length`` bytes, compressed as it is made."""
    compressor = zlib.compressobj(level)
    compressed = bytearray()
    for start in range(0, length, len(piece)):
        compressed += compressor.compress(piece[: length - start])
    compressed += compressor.flush()
    return bytes(compressed)


def _pdf_drawing(stream: bytes, filters: str = "/FlateDecode", pages: int = 1, text: str | None = None) -> bytes:
    """A PDF of ``pages`` pages that all draw one compressed content ``stream``, after a page of ``text``."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >>"
    first = []
    if text is not None:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        shown = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode()
        first = [page + f" /Contents {6 + pages} 0 R >>".encode(),
                 f"<< /Length {len(shown)} >>\nstream\n".encode() + shown + b"\nendstream"]
    count = pages + (1 if first else 0)
    kids = " ".join(f"{5 + number} 0 R" for number in ([pages] if first else []) + list(range(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        f"<< /Length {len(stream)} /Filter {filters} >>\nstream\n".encode() + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *[page + b" /Contents 3 0 R >>"] * pages,
        *first,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
