"""Stable identity of a message, independent of where the server keeps it.

A message is found again after a UIDVALIDITY reset, a move back into the folder or a
second delivery by its Message-ID plus a hash of its content. Trace headers that a
receiving server adds (Received, Delivered-To, Return-Path, X-*) are left out, so the same
message delivered twice has the same identity, while two different messages that share a
Message-ID do not.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

ORIGINATOR_ID = "mailbridge"
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_KEPT_HEADERS = (b"message-id", b"date", b"from", b"to", b"subject", b"reply-to", b"content-type")


_PIECE = 1 << 20


def _split(raw: bytes) -> tuple[bytes, memoryview]:
    """The header block (a copy; small) and a view of the body (no copy; maybe 10 MB+)."""
    m = _HEADER_END.search(raw, 0, 1 << 20)
    if m is None:
        return raw[: 1 << 20], memoryview(b"")
    return raw[: m.start()], memoryview(raw)[m.end():]


def _hash_body(h: Any, body: memoryview) -> None:
    """Feed the body with CRLF folded to LF, a piece at a time (flat memory)."""
    carry = b""
    for start in range(0, len(body), _PIECE):
        piece = carry + bytes(body[start : start + _PIECE])
        carry = b""
        if piece.endswith(b"\r"):
            piece, carry = piece[:-1], b"\r"
        h.update(piece.replace(b"\r\n", b"\n"))
    h.update(carry)


def _headers(head: bytes) -> dict[bytes, bytes]:
    """The first occurrence of each kept header, unfolded, whitespace-normalised."""
    found: dict[bytes, bytes] = {}
    name: bytes | None = None
    value: list[bytes] = []
    for line in [*head.replace(b"\r\n", b"\n").split(b"\n"), b"X:"]:
        if line[:1] in (b" ", b"\t") and name is not None:
            value.append(line.strip())
            continue
        if name is not None and name in _KEPT_HEADERS and name not in found:
            found[name] = b" ".join(b" ".join(value).split())
        head_name, sep, rest = line.partition(b":")
        if sep:
            name, value = head_name.strip().lower(), [rest.strip()]
        else:
            name, value = None, []
    return found


def message_identity(raw: bytes) -> str:
    """sha256 hex of the Message-ID, the identifying headers and the normalised body."""
    head, body = _split(raw)
    headers = _headers(head)
    h = hashlib.sha256()
    for name in _KEPT_HEADERS:
        h.update(name + b"\0" + headers.get(name, b"") + b"\0")
    _hash_body(h, body)  # line endings differ between servers and exports
    return h.hexdigest()


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID header as written (angle brackets kept), or None."""
    value = _headers(_split(raw)[0]).get(b"message-id")
    if not value:
        return None
    return value.decode("ascii", "replace")[:250]


def origin_id(identity: str) -> str:
    """The ORIGIN_ID sent with the lead: short, stable and safe in any filter."""
    return "mb-" + identity[:40]
