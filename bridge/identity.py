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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ORIGINATOR_ID = "mailbridge"
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_KEPT_HEADERS = (b"message-id", b"date", b"from", b"to", b"subject", b"reply-to", b"content-type")


_PIECE = 1 << 20


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


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """The kept headers of one message, read once at intake and passed on: the identity,
    the Message-ID and the ledger's subject and date all come from this one read."""

    fields: Mapping[bytes, bytes]  # first occurrence of each kept header, unfolded
    body_at: int | None  # where the body starts in the raw bytes (None: no header end found)

    @property
    def message_id(self) -> str | None:
        """The Message-ID header as written (angle brackets kept), or None."""
        value = self.fields.get(b"message-id")
        if not value:
            return None
        return value.decode("ascii", "replace")[:250]

    def text(self, name: bytes) -> str | None:
        """A kept header's value as the e-mail parser sees raw bytes (ASCII, other bytes
        escaped), or None when the message has no such header."""
        value = self.fields.get(name)
        return None if value is None else value.decode("ascii", "surrogateescape")


def read_headers(raw: bytes) -> HeaderBlock:
    """One pass over the header block of ``raw``."""
    m = _HEADER_END.search(raw, 0, 1 << 20)
    if m is None:
        return HeaderBlock(_headers(raw[: 1 << 20]), None)
    return HeaderBlock(_headers(raw[: m.start()]), m.end())


def identity_of(raw: bytes, block: HeaderBlock) -> str:
    """sha256 hex of the Message-ID, the identifying headers and the normalised body, from
    headers already read by :func:`read_headers`."""
    h = hashlib.sha256()
    for name in _KEPT_HEADERS:
        h.update(name + b"\0" + block.fields.get(name, b"") + b"\0")
    body = memoryview(b"") if block.body_at is None else memoryview(raw)[block.body_at:]
    _hash_body(h, body)  # line endings differ between servers and exports
    return h.hexdigest()


def message_identity(raw: bytes) -> str:
    """sha256 hex of the Message-ID, the identifying headers and the normalised body."""
    return identity_of(raw, read_headers(raw))


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID header as written (angle brackets kept), or None."""
    return read_headers(raw).message_id


def origin_id(identity: str) -> str:
    """The ORIGIN_ID sent with the lead: short, stable and safe in any filter."""
    return "mb-" + identity[:40]
