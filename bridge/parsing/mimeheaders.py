"""A message's header block: repaired before parsing, decoded after it.

:func:`prepare` strips what the stdlib chokes on (NULs, leading blank lines, an mbox From_
line, a broken header line) and raises ``ParseError`` for bytes with no header block;
the rest reads raw header values (``raw_items``) through :mod:`bridge.parsing.charsets`,
so a broken header never raises from the stdlib header registry.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
from datetime import UTC, datetime
from email.message import Message

import mailparser.utils as mailparser_utils

from bridge.errors import ParseError
from bridge.parsing.bigparts import SEPARATOR
from bridge.parsing.charsets import decode_header, decode_words
from bridge.parsing.doc import Address
from bridge.parsing.tolerate import tolerated

_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,200}[ \t]*:")
_ADDR = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def prepare(data: bytes) -> tuple[bytes, list[str]]:
    """Strip header NULs, leading blank lines and an mbox "From " line; need a header block.

    NUL bytes are removed from the header block here and from text bodies later, but not
    from the body bytes: a binary attachment keeps its exact content.
    """
    notes: list[str] = []
    if b"\x00" in data:
        sep = SEPARATOR.search(data.lstrip(b"\x00"))
        data = data.lstrip(b"\x00")
        cut = sep.end() if sep else len(data)
        if b"\x00" in data[:cut]:
            data = data[:cut].replace(b"\x00", b"") + data[cut:]
            notes.append("NUL bytes removed from headers")
    if not data or data.isspace():  # not data.strip(): that would copy a big message
        raise ParseError("empty message")
    if data[:1] in (b"\r", b"\n", b" ", b"\t"):
        stripped = data.lstrip(b"\r\n")
        if stripped[:1] in (b" ", b"\t") or not stripped:
            stripped = data.lstrip()
        if stripped != data:
            notes.append("leading blank lines removed")
            data = stripped
    if data.startswith(b"From ") and not _HEADER_LINE.match(data):
        nl = data.find(b"\n")
        data = data[nl + 1 :] if nl >= 0 else b""
        notes.append("mbox From_ line removed")
    if not _HEADER_LINE.match(data):
        raise ParseError("no header block: the data does not start with a header field")
    return _drop_broken_header_lines(data, notes), notes


_KNOWN_FIELD = re.compile(
    rb"^(?:content-[\w-]+|mime-version|date|from|to|cc|subject|message-id|reply-to|sender|"
    rb"received|return-path|x-[\w-]+)[ \t]*:", re.IGNORECASE)


def _drop_broken_header_lines(data: bytes, notes: list[str]) -> bytes:
    """Drop an ASCII line without a colon inside the header block when a well-known header
    field follows it (``X-Originating-Script 1001:send.php``): the stdlib would end the
    headers there and read Content-Type and the rest as body text."""
    sep = SEPARATOR.search(data, 0, 65536)
    if sep is None:
        return data
    lines = data[: sep.start()].split(b"\n")
    keep: list[bytes] = []
    for i, line in enumerate(lines):
        bare = line.rstrip(b"\r")
        broken = (
            i > 0 and bare and bare[:1] not in (b" ", b"\t", b"-") and bare.isascii()
            and not _HEADER_LINE.match(bare) and i + 1 < len(lines)
            and _KNOWN_FIELD.match(lines[i + 1]) is not None
        )
        if broken:
            continue
        keep.append(line)
    if len(keep) == len(lines):
        return data
    notes.append("broken header line removed")
    return b"\n".join(keep) + data[sep.start():]


def read_headers(
    msg: Message, notes: list[str] | None = None
) -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    headers: dict[str, str] = {}
    all_: dict[str, list[str]] = {}
    raw: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = str(name).strip().lower()
        value = value if isinstance(value, str) else str(value)
        try:
            text = decode_header(value)
        except Exception as exc:  # never let one header break the message
            tolerated("mime.header", exc)
            text = value.encode("utf-8", "replace").decode("utf-8", "replace")
        all_.setdefault(key, []).append(text)
        if key not in headers:
            headers[key] = text
            raw[key] = value
        if notes is not None and any("\udc80" <= c <= "\udcff" for c in value):
            notes.append(f"raw 8-bit {key} header sniffed")
    return headers, {k: tuple(v) for k, v in all_.items()}, raw


def parse_message_id(value: str | None) -> str | None:
    if not value:
        return None
    v = decode_header(value)
    m = re.search(r"<[^<>\s]+>", v)
    if m:
        return m.group(0)
    v = v.strip()
    return v or None


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    v = decode_header(value)
    try:
        dt = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" (zone unknown) gives a naive datetime; keep every date comparable
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def received_date(header_all: dict[str, tuple[str, ...]], notes: list[str]) -> datetime | None:
    """Without a usable Date: the newest Received timestamp (what the mailbox saw).

    mail-parser's Received grammar (comments, clauses, the date after the last ";") reads
    the trace; the plain split below is the fallback for a header it cannot parse.
    """
    values = list(header_all.get("received", ()))
    try:
        hops = mailparser_utils.receiveds_parsing(values) if values else []
    except Exception as exc:  # a malformed trace only costs us this fallback date
        tolerated("mime.received", exc)
        hops = []
    for hop in sorted(hops, key=lambda h: h.get("hop", 0), reverse=True):
        found = parse_date(str(hop.get("date") or "")) if hop.get("date") else None
        if found is not None:
            notes.append("no usable Date header, date taken from Received")
            return found
    for value in values:
        _, sep, stamp = value.rpartition(";")
        found = parse_date(stamp) if sep else None
        if found is not None:
            notes.append("no usable Date header, date taken from Received")
            return found
    return None


def parse_addresses(value: str | None) -> tuple[Address, ...]:
    """Addresses from a raw header value; display names RFC 2047 / 8-bit decoded."""
    if not value:
        return ()
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", " ").replace("\n", " ")
    try:
        pairs = email.utils.getaddresses([unfolded])
    except Exception as exc:  # an unparsable address list reads as no addresses
        tolerated("mime.addresses", exc)
        pairs = []
    out: list[Address] = []
    for name, addr in pairs:
        name_t = decode_words(name).strip().strip("\"'").strip() if name else ""
        addr_t = decode_words(addr).strip() if addr else ""
        if not addr_t and not name_t:
            continue
        # "Иван Петров" with no address at all: words without "@" are a name
        bare_name = " " in addr_t or not addr_t.isascii()
        if addr_t and "@" not in addr_t and not name_t and bare_name:
            out.append(Address(addr_t, ""))
            continue
        out.append(Address(name_t or None, addr_t))
    if out and all(not a.addr or _ADDR.fullmatch(a.addr) for a in out) and any(
        a.addr for a in out
    ):
        return tuple(out)
    # getaddresses gave up (unbalanced <, stray quotes, 8-bit): rescue by pattern
    text = decode_words(unfolded)
    found = _ADDR.findall(text)
    if not found:
        if any("@" in a.addr for a in out):
            return tuple(out)  # an odd address (<""@host>) is still the one written
        name = text.strip().strip("<>\"' ")
        return (Address(name, ""),) if name else ()
    rescued = []
    rest = text
    for addr in found:
        before, _, rest = rest.partition(addr)
        name = re.sub(r"[<>\"',;()]", " ", before).strip()
        rescued.append(Address(" ".join(name.split()) or None, addr))
    return tuple(rescued)


def first_address(addrs: tuple[Address, ...]) -> Address | None:
    return addrs[0] if addrs else None
