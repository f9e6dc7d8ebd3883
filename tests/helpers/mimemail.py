"""Hand-built MIME messages and the shared corpus, for the tests of bridge.parsing.mime.

``raw_message`` writes headers and a body; ``multipart_of`` wraps parts made by ``text_part``
and ``file_part``; ``corpus_doc`` decodes the corpus case whose name starts with a prefix.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from bridge.model import ParseOptions
from bridge.parsing.doc import MailDoc
from bridge.parsing.mime import decode

# the shared corpus beside the repository; MAILBRIDGE_CORPUS points elsewhere (held-back sets)
CORPUS = Path(
    os.environ.get("MAILBRIDGE_CORPUS") or Path(__file__).resolve().parents[3] / "shared" / "corpus"
)
CASES = sorted(CORPUS.glob("*.eml"))
OPTS = ParseOptions()

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def corpus_doc(prefix: str) -> MailDoc:
    """The decoded corpus case whose file name starts with ``prefix``."""
    path = next(p for p in CASES if p.name.startswith(prefix))
    return decode(path.read_bytes(), OPTS)


def raw_message(headers: str, body: bytes, *, nl: bytes = b"\r\n") -> bytes:
    """A message with the given header lines (LF-separated) and body, lines ended by ``nl``."""
    head = "\r\n".join(
        ["From: Site <noreply@site.example>", "To: sales@rostferrum.ru", "Subject: Test",
         *headers.strip("\n").split("\n")]
    ) if headers else "From: Site <noreply@site.example>\r\nSubject: Test"
    return head.encode("utf-8", "surrogateescape").replace(b"\r\n", nl) + nl + nl + body


def multipart_of(*parts: bytes, subtype: str = "mixed", top: str = "") -> bytes:
    """A multipart message (boundary BND) of ``parts``; ``top`` adds Content-Type parameters."""
    body = b"".join(b"--BND\r\n" + p + b"\r\n" for p in parts) + b"--BND--\r\n"
    return raw_message(
        f"MIME-Version: 1.0\nContent-Type: multipart/{subtype}; boundary=\"BND\"{top}", body
    )


def text_part(text: str = "Имя: Иван") -> bytes:
    """An 8bit UTF-8 text/plain part."""
    return b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + (
        text.encode()
    )


def file_part(ctype: str, disp_params: bytes, data: bytes, extra: bytes = b"") -> bytes:
    """A base64 file part with raw disposition lines ``disp_params`` (and ``extra`` lines)."""
    b64 = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return (
        f"Content-Type: {ctype}\r\n".encode()
        + b"Content-Transfer-Encoding: base64\r\n"
        + disp_params
        + extra
        + b"\r\n"
        + b64
    )

