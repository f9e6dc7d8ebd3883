"""Mail larger than ``imap.max_message_mb``: read without fetching it whole.

A 300 MB mail must not sit whole in memory or in the ledger, yet the enquiry in it is still
a client's: its BODYSTRUCTURE says where the text parts are, those (and the header) are
fetched alone, and a small stand-in message is built from them. Each file of the original
becomes an empty part marked ``X-Mailbridge-Omitted: <size>``, which the parser reports as not
attached because the mail was too large, so the lead keeps the client's data and says so.
Its identity is the hash of its header plus RFC822.SIZE and INTERNALDATE (the body is never
seen whole). Pure functions; the IMAP calls are in :mod:`bridge.mailbox`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

OMITTED_HEADER = "X-Mailbridge-Omitted"
TEXT_PART_MAX = 2 * 1024 * 1024  # bytes of one text part fetched; the rest is cut off
_DROPPED = re.compile(rb"^(content-type|content-transfer-encoding|mime-version|"
                      + OMITTED_HEADER.lower().encode() + rb")\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Leaf:
    """One non-multipart part of a BODYSTRUCTURE."""

    section: str  # "1", "2.1", ...: what BODY[section] fetches
    maintype: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    encoding: str
    size: int
    disposition: str | None
    disposition_params: tuple[tuple[str, str], ...]

    @property
    def is_body_text(self) -> bool:
        """A text/plain or text/html part that is the message's text, not a file."""
        if self.maintype != "text" or self.subtype not in ("plain", "html"):
            return False
        if self.disposition == "attachment":
            return False
        names = {k.rstrip("*") for k, _ in (*self.params, *self.disposition_params)}
        return not names & {"name", "filename"}


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return "" if value is None else str(value)


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, (tuple, list)):
        return ()
    items = list(value)
    return tuple((_text(items[i]).lower(), _text(items[i + 1]))
                 for i in range(0, len(items) - 1, 2))


def _disposition(value: Any) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], bytes):
        return _text(value[0]).lower(), _pairs(value[1] if len(value) > 1 else None)
    return None, ()


def leaves(structure: Sequence[Any], prefix: str = "") -> Iterator[Leaf]:
    """The leaf parts of an imapclient BODYSTRUCTURE, with their section numbers."""
    if structure and isinstance(structure[0], list):  # multipart: ([parts], subtype, ...)
        for i, child in enumerate(structure[0], 1):
            yield from leaves(child, f"{prefix}{i}" if not prefix else f"{prefix}.{i}")
        return
    maintype, subtype = _text(structure[0]).lower(), _text(structure[1]).lower()
    size = structure[6] if len(structure) > 6 and isinstance(structure[6], int) else 0
    # Extension data follows the type-specific fields: text has a line count, message/rfc822
    # an envelope, a body and a line count, before MD5 and the disposition.
    first_ext = 8 if maintype == "text" else 11 if (maintype, subtype) == (
        "message", "rfc822") else 7
    disp_value = structure[first_ext + 1] if len(structure) > first_ext + 1 else None
    disposition, disp_params = _disposition(disp_value)
    yield Leaf(
        section=prefix or "1",
        maintype=maintype,
        subtype=subtype,
        params=_pairs(structure[2]),
        encoding=_text(structure[5]).lower() or "7bit",
        size=size,
        disposition=disposition,
        disposition_params=disp_params,
    )


def _param_text(pairs: Sequence[tuple[str, str]]) -> str:
    out = []
    for key, value in pairs:
        if key.endswith("*"):  # RFC 2231 extended value: as the sender wrote it
            out.append(f"; {key}={value}")
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'; {key}="{escaped}"')
    return "".join(out)


def _clean(value: str) -> str:
    return re.sub(r"[\r\n]+", " ", value)


def stand_in(header: bytes, texts: Sequence[tuple[Leaf, bytes]],
             files: Sequence[Leaf]) -> bytes:
    """A small message with the original header, the text parts and a stub per file."""
    lines = header.replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
    kept: list[bytes] = []
    dropping = False
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if not dropping:
                kept.append(line)
            continue
        dropping = bool(_DROPPED.match(line))
        if not dropping:
            kept.append(line)
    boundary = "mailbridge-" + hashlib.sha256(header).hexdigest()[:24]
    out = [b"\r\n".join(kept),
           b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\""
           + boundary.encode() + b"\"\r\n\r\n"]
    for leaf, data in texts:
        head = (f"--{boundary}\r\nContent-Type: {leaf.maintype}/{leaf.subtype}"
                f"{_clean(_param_text(leaf.params))}\r\n"
                f"Content-Transfer-Encoding: {_clean(leaf.encoding)}\r\n\r\n")
        out += [head.encode("utf-8", "surrogateescape"), data, b"\r\n"]
    for leaf in files:
        disp = leaf.disposition_params or ()
        head = (f"--{boundary}\r\nContent-Type: {leaf.maintype}/{leaf.subtype}"
                f"{_clean(_param_text(leaf.params))}\r\n"
                f"Content-Disposition: attachment{_clean(_param_text(disp))}\r\n"
                f"{OMITTED_HEADER}: {int(leaf.size)}\r\n\r\n")
        out.append(head.encode("utf-8", "surrogateescape"))
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def oversized_identity(header: bytes, size: int, internaldate: datetime | None) -> str:
    """sha256 hex of the header block, RFC822.SIZE and INTERNALDATE (the body unseen)."""
    h = hashlib.sha256(b"oversized\0")
    h.update(header.replace(b"\r\n", b"\n").rstrip(b"\n"))
    h.update(f"\0{int(size)}\0{internaldate.isoformat() if internaldate else ''}".encode())
    return h.hexdigest()
