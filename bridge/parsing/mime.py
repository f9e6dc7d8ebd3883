"""Raw bytes -> :class:`MailDoc`: the MIME structure, bodies, files and auto-mail class.

Parsing uses the stdlib ``email`` package with ``email.policy.default`` (it decodes RFC 2231
and quoted RFC 2047 file names and keeps raw 8-bit bytes as surrogates). mail-parser is not
used here: it parses with compat32, so it returns encoded file names, re-decoded text
attachments and ``cid:`` images as files; the stdlib tree beneath it is what we need.

Header values are read raw (``raw_items``) and decoded by :mod:`charsets`, so a broken
header never raises from the stdlib header registry. Everything broken is repaired and
noted in ``MailDoc.defects``; only bytes that are no message at all raise ``ParseError``.
"""

from __future__ import annotations

import binascii
import email.policy
import email.utils
import io
import logging
import quopri
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email._encoded_words import decode_b  # what Message.get_payload(decode=True) uses
from email.message import Message
from email.parser import BytesParser

import mailparser.utils as mailparser_utils

from bridge.errors import ParseError
from bridge.model import ParseOptions
from bridge.oversized import OMITTED_HEADER
from bridge.parsing.attachments import FileCandidate, check_files, cid_references
from bridge.parsing.charsets import decode_bytes, decode_header, decode_words
from bridge.parsing.classify import BOUNCE, auto_kind
from bridge.parsing.doc import Address, MailDoc
from bridge.parsing.filecontent import base64_damage
from bridge.parsing.tolerate import tolerated

log = logging.getLogger(__name__)

MAX_FORWARD_DEPTH = 3  # message/rfc822 inside message/rfc822 inside ...
MAX_PART_DEPTH = 50  # multipart inside multipart ...: real mail has fewer than 10 levels
BIG_MESSAGE = 262144  # from this size on, a single-part body is not split into lines
BIG_PART = 65536  # from this size on, a multipart message's leaf body is kept as bytes
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,200}[ \t]*:")
_SIGNATURE_TYPES = frozenset({
    "application/pgp-signature", "application/pkcs7-signature",
    "application/x-pkcs7-signature", "application/pgp-keys",
})
_SKIP_TYPES = frozenset({"text/rfc822-headers", "message/delivery-status",
                         "message/global-delivery-status", "message/disposition-notification",
                         "message/external-body", "message/partial"})
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""",
                           re.IGNORECASE)
_ADDR = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def decode(
    raw: bytes, options: ParseOptions, *, big_part: int | None = BIG_PART
) -> MailDoc:
    """Decode one message; raises :class:`ParseError` only for bytes that are no message.

    ``big_part``: leaf bodies of a multipart message from this size on are decoded
    straight from ``raw`` instead of through the stdlib's line lists (see
    :func:`_parse_skeleton`); None turns that off. The result is the same either way.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ParseError(f"expected bytes, got {type(raw).__name__}")
    data, notes = _prepare(bytes(raw))
    try:
        msg = _parse(data, big_part)
        doc = _decode_message(msg, options, 0, notes, big_part)
    except ParseError:
        raise
    except Exception as exc:  # a stdlib or library bug on hostile input: degrade, don't crash
        tolerated("mime.structure", exc, logging.WARNING)
        notes.append(f"structure unreadable ({type(exc).__name__}), read as plain text")
        try:
            return _degraded(data, options, notes)
        except Exception as exc2:
            raise ParseError(f"unreadable message ({type(exc2).__name__})") from exc2
    return doc


_SEPARATOR = re.compile(rb"\r?\n\r?\n")
_RAW_BODY = "_bridge_raw_body"  # attribute holding a single-part body's undecoded bytes


def _parse(data: bytes, big_part: int | None = BIG_PART) -> Message:
    """Parse with the stdlib; big bodies are kept as bytes, not split into lines.

    The feed parser turns a body into one string per line, about 10x the message size in
    memory; a huge plain-text form (064, 2 MB) needs only its bytes, decoded once. A
    single-part body past BIG_MESSAGE is cut off before parsing; a multipart message past
    ``big_part`` is parsed as a skeleton (:func:`_parse_skeleton`).
    """
    parser = BytesParser(policy=email.policy.default)
    sep = _SEPARATOR.search(data)
    small = len(data) < min(BIG_MESSAGE, big_part if big_part is not None else BIG_MESSAGE)
    if sep is None or small:
        return parser.parsebytes(data)
    head = parser.parsebytes(data[: sep.end()], headersonly=True)
    maintype = _content_type(head).split("/")[0]
    if maintype == "multipart" and big_part is not None:
        msg = _parse_skeleton(data, big_part)
        if msg is not None:
            return msg
    if maintype in ("multipart", "message") or len(data) < BIG_MESSAGE:
        return parser.parsebytes(data)
    head.set_payload("")
    setattr(head, _RAW_BODY, data[sep.end() :])
    return head


# --- big parts of a multipart message ------------------------------------------------------
#
# The stdlib keeps every body as a list of line strings and then a joined string, and
# get_payload(decode=True) copies it twice more: a 10 MB base64 PDF costs ~100 MB. Instead
# the big leaf bodies are cut out of the bytes before parsing: each is replaced by one
# placeholder line, the skeleton is parsed, and the part whose payload is that placeholder
# decodes its body from the original bytes, exactly as get_payload(decode=True) would.
#
# Why the tree is the same: the feed parser reads lines, and a leaf's body lines matter only
# when one of them is a boundary line of an enclosing multipart. A body is cut out only when
# (checked on the parsed skeleton, so a wrong guess by the scan is harmless):
# * its payload in the skeleton is exactly the placeholder (the line before it is the blank
#   line that ended the part's headers, no separator defect; the parser's newline trimming
#   took the placeholder's line end, so it takes the body's last line end the same way);
# * it contains no "--boundary" of any enclosing multipart, anywhere;
# * no enclosing part is message/delivery-status (whose blank lines end its blocks).
# Otherwise the whole message is parsed as before.

_RAW_SPAN = "_bridge_raw_span"  # (data, start, stop) of a leaf body kept as bytes
_PLACEHOLDER = b"x-bridge-big-part-"  # no colon, no "--": neither a header nor a boundary
_BOUNDARY_TAIL = re.compile(rb"(--)?[ \t]*(?:\r\n|\r|\n|\Z)")
_HEAD_END = re.compile(rb"\n\r?\n")
_B64_CLEAN = re.compile(rb"[A-Za-z0-9+/\r\n]*(?:=[\r\n]*){0,2}")
_B64_CHUNK = 1 << 18
_stats = {"skeletons": 0, "big_parts": 0, "fallbacks": 0}


def fast_path_stats() -> dict[str, int]:
    """Counters of the big-part path: skeletons parsed, parts cut out, fallbacks."""
    return dict(_stats)


def _parse_skeleton(data: bytes, big_part: int) -> Message | None:
    """The message parsed with its big leaf bodies cut out, or None when that is unsafe."""
    if _PLACEHOLDER in data:
        return None
    try:
        spans: list[tuple[int, int]] = []
        _scan(data, 0, len(data), big_part, spans, 0)
        if not spans:
            return None
        pieces: list[bytes] = []
        tokens: dict[str, tuple[int, int, int]] = {}
        pos = 0
        for i, (start, end) in enumerate(spans):
            token = _PLACEHOLDER + str(i).encode()
            stop = end - _line_end_at(data, start, end)
            pieces += [data[pos:start], token, data[stop:end]]
            tokens[token.decode()] = (start, stop, end)
            pos = end
        pieces.append(data[pos:])
        skeleton = b"".join(pieces)
        del pieces
        msg = BytesParser(policy=email.policy.default).parsebytes(skeleton)
        if _bind(msg, data, tokens):
            _stats["skeletons"] += 1
            _stats["big_parts"] += len(tokens)
            log.debug("event=mime_skeleton parts=%d", len(tokens))
            return msg
    except Exception as exc:  # any doubt: the plain parse decides
        tolerated("mime.skeleton", exc)
    _stats["fallbacks"] += 1
    return None


def _scan(
    data: bytes, start: int, end: int, big: int, out: list[tuple[int, int]], depth: int
) -> None:
    """Append (start, end) of the leaf bodies of ``big`` bytes or more in data[start:end].

    A guess at the structure the feed parser will find; :func:`_bind` checks it.
    """
    if end - start < big or depth > MAX_PART_DEPTH:
        return
    if data.startswith((b"\n", b"\r\n"), start):
        head_end, body = start, start + (1 if data[start] == 0x0A else 2)
    else:
        m = _HEAD_END.search(data, start, end)
        if m is None:
            return
        head_end, body = m.start() + 1, m.end()
    if end - body < big:
        return
    head = BytesParser(policy=email.policy.default).parsebytes(
        data[start:head_end], headersonly=True
    )
    ctype = _content_type(head)
    maintype = ctype.split("/")[0]
    if ctype in ("message/rfc822", "message/global"):  # a forward: its body is a message
        _scan(data, body, end, big, out, depth + 1)
        return
    if maintype == "message":
        return
    if maintype != "multipart":
        out.append((body, end))
        return
    boundary = head.get_boundary()
    if not boundary:
        return
    sep = b"--" + boundary.encode("ascii", "surrogateescape")
    part_start: int | None = None
    pos = body
    while True:
        i = data.find(sep, pos, end)
        if i < 0:
            break
        pos = i + 1
        if i > 0 and data[i - 1] not in (0x0A, 0x0D):
            continue
        m = _BOUNDARY_TAIL.match(data, i + len(sep))
        if m is None:
            continue
        if part_start is not None and i > part_start:
            _scan(data, part_start, i, big, out, depth + 1)
        if m.group(1):
            return  # the close boundary; the epilogue is no part
        part_start = pos = m.end()
    if part_start is not None:  # no close boundary: the last part runs to the end
        _scan(data, part_start, end, big, out, depth + 1)


def _line_end_at(data: bytes, start: int, end: int) -> int:
    """Length of the line end that data[start:end] ends with (what the parser trims)."""
    if data.endswith(b"\r\n", start, end):
        return 2
    return 1 if data.endswith((b"\r", b"\n"), start, end) else 0


def _bind(msg: Message, data: bytes, tokens: dict[str, tuple[int, int, int]]) -> bool:
    """Point each placeholder part at its body in ``data``; False if any check fails."""
    bound = 0
    stack: list[tuple[Message, tuple[bytes, ...], bool]] = [(msg, (), False)]
    while stack:
        part, seps, in_report = stack.pop()
        payload = part.get_payload()
        if isinstance(payload, list):
            ctype = part.get_content_type()
            if ctype.startswith("multipart/"):
                boundary = part.get_boundary()
                if boundary is not None:
                    seps = (*seps, b"--" + boundary.encode("ascii", "surrogateescape"))
            in_report = in_report or ctype == "message/delivery-status"
            stack.extend((child, seps, in_report) for child in payload
                         if isinstance(child, Message))
            continue
        span = tokens.get(payload) if isinstance(payload, str) else None
        if span is None:
            continue
        start, stop, end = span
        if in_report or part.get_content_maintype() in ("multipart", "message"):
            return False
        if any(type(d).__name__ == "MissingHeaderBodySeparatorDefect" for d in part.defects):
            return False
        if not data.endswith((b"\n\n", b"\n\r\n"), 0, start):
            return False
        if any(data.find(sep, start, end) >= 0 for sep in seps):
            return False
        setattr(part, _RAW_SPAN, (data, start, stop))
        bound += 1
    return bound == len(tokens)


def _span_payload(part: Message, span: tuple[bytes, int, int]) -> bytes:
    """get_payload(decode=True) of a body kept as bytes: same result, same defects."""
    data, start, stop = span
    cte = str(part.get("content-transfer-encoding", "")).lower()
    if cte == "base64":
        value = _b64_strict(data, start, stop)
        if value is not None:
            return value
        value, defects = decode_b(data[start:stop].translate(None, b"\r\n"))
        for defect in defects:
            part.policy.handle_defect(part, defect)
        return value
    if cte == "quoted-printable":
        return quopri.decodestring(memoryview(data)[start:stop])
    if cte in ("x-uuencode", "uuencode", "uue", "x-uue"):
        part.set_payload(data[start:stop].decode("ascii", "surrogateescape"))
        delattr(part, _RAW_SPAN)
        return _payload_bytes(part)
    return data[start:stop]


def _b64_strict(data: bytes, start: int, stop: int) -> bytes | None:
    """Clean base64 (alphabet, line ends, final padding) decoded in chunks; else None.

    On such input decode_b decodes strictly and notes no defect; base64 decodes quad by
    quad, so decoding 4-aligned pieces and joining them gives the same bytes, without a
    copy of the whole encoded text.
    """
    size = stop - start - data.count(b"\r", start, stop) - data.count(b"\n", start, stop)
    if size % 4 or _B64_CLEAN.fullmatch(data, start, stop) is None:
        return None
    out = io.BytesIO()
    carry = b""
    try:
        for pos in range(start, stop, _B64_CHUNK):
            chunk = data[pos : min(pos + _B64_CHUNK, stop)].translate(None, b"\r\n")
            if carry:
                chunk = carry + chunk
            cut = len(chunk) - len(chunk) % 4
            with memoryview(chunk) as view:
                out.write(binascii.a2b_base64(view[:cut], strict_mode=True))
            carry = chunk[cut:]
    except binascii.Error:
        return None
    return None if carry else out.getvalue()


_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/=\s]")


def not_base64(raw: bytes) -> bool:
    """A body declared base64 that plainly is not: many bytes outside the alphabet (8-bit
    text, ``Label: value`` lines) in its first 4 KiB. A stray byte or two is damage only."""
    sample = raw[:4096]
    return len(_NOT_B64.findall(sample)) > max(3, len(sample) // 20)


def _transfer_decode(part: Message, raw: bytes) -> bytes:
    """Undo the Content-Transfer-Encoding of a body held as bytes."""
    cte = (_raw_header(part, "content-transfer-encoding") or "").strip().lower()
    if cte == "base64" and not_base64(raw):
        return raw  # a script that says base64 and sends the text as it is
    if cte == "base64":
        clean = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
        clean = clean[: len(clean) - len(clean) % 4] if len(clean) % 4 == 1 else clean
        try:
            return binascii.a2b_base64(clean + b"=" * (-len(clean) % 4))
        except (binascii.Error, ValueError):
            return raw
    if cte == "quoted-printable":
        return quopri.decodestring(raw)
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        part.set_payload(raw.decode("ascii", "surrogateescape"))
        delattr(part, _RAW_BODY)
        return _payload_bytes(part)
    return raw


def _prepare(data: bytes) -> tuple[bytes, list[str]]:
    """Strip header NULs, leading blank lines and an mbox "From " line; need a header block.

    NUL bytes are removed from the header block here and from text bodies later, but not
    from the body bytes: a binary attachment keeps its exact content.
    """
    notes: list[str] = []
    if b"\x00" in data:
        sep = _SEPARATOR.search(data.lstrip(b"\x00"))
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
    sep = _SEPARATOR.search(data, 0, 65536)
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


@dataclass
class _Walk:
    """What the walk over one message's parts collects."""

    text: str | None = None
    html: str | None = None
    files: list[tuple[FileCandidate, str | None, bool]] = field(default_factory=list)
    forwarded: Message | None = None
    part_types: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    big_part: int | None = BIG_PART


def _decode_message(
    msg: Message,
    options: ParseOptions,
    depth: int,
    notes: list[str],
    big_part: int | None = BIG_PART,
) -> MailDoc:
    headers, header_all, raw_headers = _headers(msg, notes)
    if not raw_headers:
        raise ParseError("no header block")
    w = _Walk(notes=notes, big_part=big_part)
    _walk(msg, w, is_top=True, in_related=False)
    cids = cid_references(w.html)
    candidates = []
    for cand, cid, in_related in w.files:
        if cid and cid in cids:
            continue  # an inline resource of the HTML (logo), not a user file
        if in_related and cand.filename is None:
            continue  # unnamed HTML resource (Content-Location or unreferenced cid)
        candidates.append(cand)
    accepted, rejected, file_notes = check_files(candidates, options)
    w.notes.extend(file_notes)

    top_type = _content_type(msg)
    kind = auto_kind(
        headers,
        content_type=top_type,
        report_type=_param(msg, "report-type"),
        part_types=w.part_types,
    )
    forwarded = None
    if w.forwarded is not None and kind != BOUNCE:
        if depth < MAX_FORWARD_DEPTH:
            try:
                forwarded = _decode_message(w.forwarded, options, depth + 1, [], big_part)
            except Exception as exc:  # the outer message stays readable without it
                tolerated("mime.forwarded", exc)
                w.notes.append(f"forwarded message unreadable ({type(exc).__name__})")
        else:
            w.notes.append("forwarded messages nested too deep")
    for d in _collect_defects(msg):
        if d not in w.notes:
            w.notes.append(d)

    return MailDoc(
        message_id=_message_id(raw_headers.get("message-id")),
        subject=headers.get("subject", ""),
        date=_date(raw_headers.get("date")) or _received_date(header_all, w.notes),
        from_=_first(_addresses(raw_headers.get("from"))),
        reply_to=_addresses(raw_headers.get("reply-to")),
        to=_addresses(raw_headers.get("to")),
        headers=headers,
        header_all=header_all,
        text=w.text,
        html=w.html,
        attachments=accepted,
        rejected=rejected,
        auto_kind=kind,
        forwarded=forwarded,
        defects=tuple(dict.fromkeys(w.notes)),
    )


# --- headers -------------------------------------------------------------------------


def _headers(
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


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    v = decode_header(value)
    m = re.search(r"<[^<>\s]+>", v)
    if m:
        return m.group(0)
    v = v.strip()
    return v or None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    v = decode_header(value)
    try:
        dt = email.utils.parsedate_to_datetime(v)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" (zone unknown) gives a naive datetime; keep every date comparable
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _received_date(header_all: dict[str, tuple[str, ...]], notes: list[str]) -> datetime | None:
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
        found = _date(str(hop.get("date") or "")) if hop.get("date") else None
        if found is not None:
            notes.append("no usable Date header, date taken from Received")
            return found
    for value in values:
        _, sep, stamp = value.rpartition(";")
        found = _date(stamp) if sep else None
        if found is not None:
            notes.append("no usable Date header, date taken from Received")
            return found
    return None


def _addresses(value: str | None) -> tuple[Address, ...]:
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


def _first(addrs: tuple[Address, ...]) -> Address | None:
    return addrs[0] if addrs else None


# --- parts -----------------------------------------------------------------------------


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception as exc:  # a broken Content-Type reads as plain text (RFC 2045 default)
        tolerated("mime.content_type", exc)
        return "text/plain"


def _param(part: Message, name: str) -> str | None:
    try:
        value = part.get_param(name)
    except Exception as exc:  # a broken parameter list reads as no parameter
        tolerated("mime.param", exc)
        return None
    if value is None:
        return None
    if isinstance(value, tuple):
        value = email.utils.collapse_rfc2231_value(value)
    return str(value)


def _disposition(part: Message) -> str | None:
    try:
        d = part.get_content_disposition()
    except Exception as exc:  # a broken disposition reads as none
        tolerated("mime.disposition", exc)
        d = None
    return d.lower() if isinstance(d, str) else None


def _filename(part: Message) -> str | None:
    name: str | None
    try:
        name = part.get_filename()
    except Exception as exc:  # a broken filename parameter: the raw header is tried next
        tolerated("mime.filename", exc)
        name = None
    if not name:
        name = _param(part, "name")
    if not name or "\ufffd" in str(name):
        # raw 8-bit bytes the stdlib could not decode, or an unquoted encoded word
        name = _raw_filename(part) or name
    if not name:
        return None
    name = str(name)
    if "=?" in name or any("\udc80" <= c <= "\udcff" for c in name):
        name = decode_words(name)
    return name.strip() or None


_RAW_PARAM = re.compile(r"""(?:^|;)\s*(file)?name\s*=\s*(?:"([^"]*)"|([^;\s]+))""",
                        re.IGNORECASE)


def _raw_filename(part: Message) -> str | None:
    """filename= (or name=) straight from the raw header, its 8-bit bytes sniffed."""
    found: dict[str, str] = {}
    for hname, value in part.raw_items():
        key = hname.lower()
        if key not in ("content-disposition", "content-type"):
            continue
        unfolded = re.sub(r"\r?\n[ \t]", " ", value)
        for m in _RAW_PARAM.finditer(unfolded):
            want = "content-disposition" if m.group(1) else "content-type"
            if key == want:
                found.setdefault(key, m.group(2) if m.group(2) is not None else m.group(3))
    raw = found.get("content-disposition") or found.get("content-type")
    return decode_words(raw) if raw else None


def _raw_header(part: Message, name: str) -> str | None:
    """A header's raw value, without the stdlib header registry (which can raise)."""
    for hname, value in part.raw_items():
        if hname.lower() == name:
            return decode_header(str(value))
    return None


def _content_id(part: Message) -> str | None:
    value = _raw_header(part, "content-id")
    if not value:
        return None
    return value.strip().strip("<>").strip().lower() or None


def _payload_bytes(part: Message) -> bytes:
    span = getattr(part, _RAW_SPAN, None)
    if span is not None:
        return _span_payload(part, span)
    raw = getattr(part, _RAW_BODY, None)
    if raw is not None:
        return _transfer_decode(part, raw)
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:  # an undecodable payload: the raw payload is used instead
        tolerated("mime.payload", exc)
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _walk(
    part: Message, w: _Walk, *, is_top: bool, in_related: bool, level: int = 0
) -> None:
    ctype = _content_type(part)
    w.part_types.add(ctype)
    maintype, _, subtype = ctype.partition("/")

    if ctype in ("message/rfc822", "message/global"):
        inner = _inner_message(part, w)
        if inner is not None and w.forwarded is None:
            w.forwarded = inner
        elif inner is not None:
            w.notes.append("more than one attached message; only the first is read")
        return
    if ctype in _SKIP_TYPES or ctype in _SIGNATURE_TYPES:
        return
    if maintype == "multipart":
        payload = part.get_payload()
        if level >= MAX_PART_DEPTH:
            w.notes.append("parts nested too deep, the deeper ones are ignored")
            return
        if isinstance(payload, list) and payload:
            related = in_related or subtype == "related"
            for child in payload:
                if isinstance(child, Message):
                    _walk(child, w, is_top=False, in_related=related, level=level + 1)
            return
        # declared multipart, but no delimiter lines: the body is the text itself
        w.notes.append("multipart without parts, body read as text")
        if w.text is None:
            w.text = _body_text(part, w, "plain")
        return
    if maintype == "message":
        return  # other message/* types carry no user content

    disposition = _disposition(part)
    filename = _filename(part)
    body_like = maintype == "text" and subtype in ("plain", "html")
    if body_like and disposition != "attachment" and (not filename or is_top):
        if subtype == "plain" and w.text is None:
            w.text = _body_text(part, w, "plain")
        elif subtype == "html" and w.html is None:
            w.html = _body_text(part, w, "html")
        else:
            w.notes.append(f"extra inline text/{subtype} part ignored")
        return
    omitted = _omitted_size(part)
    if omitted is not None:  # a file of a too-large mail, left on the server
        w.files.append((FileCandidate(filename, ctype, b"", omitted_size=omitted),
                        _content_id(part), in_related))
        return
    data = _payload_bytes(part)
    if w.forwarded is None and (filename or "").lower().endswith(".eml"):
        inner = _parse_attached_eml(data, w.big_part)
        if inner is not None:  # a forward attached as a plain file (octet-stream .eml)
            w.forwarded = inner
            w.notes.append("attached .eml read as a forwarded message")
            return
    damage = _base64_damage(part)
    w.files.append((FileCandidate(filename, ctype, data, damage), _content_id(part), in_related))


def _omitted_size(part: Message) -> int | None:
    """The size of a file the stand-in of a too-large mail left out (bridge.oversized)."""
    value = _raw_header(part, OMITTED_HEADER.lower())
    if value is None or not value.strip().isdigit() or _payload_bytes(part).strip():
        return None
    return int(value.strip())


def _base64_damage(part: Message) -> str | None:
    """Why a file part's base64 cannot give back its bytes (None: sound, or not base64)."""
    if (_raw_header(part, "content-transfer-encoding") or "").strip().lower() != "base64":
        return None
    span = getattr(part, _RAW_SPAN, None)
    raw = getattr(part, _RAW_BODY, None)
    if span is not None:
        encoded = span[0][span[1] : span[2]]
    elif raw is not None:
        encoded = raw
    else:
        payload = part.get_payload()
        if not isinstance(payload, str):
            return None
        encoded = payload.encode("utf-8", "surrogateescape")
    if not_base64(encoded):
        return None  # plainly sent as it is under a base64 label: read as it is
    return base64_damage(encoded)


def _parse_attached_eml(data: bytes, big_part: int | None) -> Message | None:
    try:
        prepared, _ = _prepare(data)
        return _parse(prepared, big_part)
    except Exception as exc:  # an attached .eml that does not parse stays a plain file
        tolerated("mime.attached_eml", exc)
        return None


def _inner_message(part: Message, w: _Walk) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    # message/rfc822 with a base64/QP transfer encoding (not allowed, but seen): parse bytes
    data = _payload_bytes(part)
    if not data.strip():
        return None
    try:
        data, _ = _prepare(data)
        w.notes.append("encoded message/rfc822 part decoded")
        return _parse(data, w.big_part)
    except Exception as exc:  # the outer message stays readable without it
        tolerated("mime.inner_message", exc)
        w.notes.append("attached message unreadable")
        return None


def _text_payload(part: Message) -> bytes:
    """A text body's bytes; declared base64 that is plainly not is taken as it stands."""
    if getattr(part, _RAW_SPAN, None) is None and getattr(part, _RAW_BODY, None) is None \
            and (_raw_header(part, "content-transfer-encoding") or "").strip().lower() == "base64":
        payload = part.get_payload()
        if isinstance(payload, str):
            raw = payload.encode("utf-8", "surrogateescape")
            if not_base64(raw):
                return raw
    return _payload_bytes(part)


def _body_text(part: Message, w: _Walk, subtype: str) -> str:
    data = _text_payload(part)
    charset = _param(part, "charset")
    if charset is None and subtype == "html":
        m = _META_CHARSET.search(data[:8192])
        if m:
            charset = m.group(1).decode("ascii", "replace")
    if b"\r\n" in data and not (charset or "").lower().startswith(("utf-16", "utf-32")):
        data = data.replace(b"\r\n", b"\n")  # on bytes: one copy less of a huge body
    text, note = decode_bytes(data, charset)
    del data
    if note:
        w.notes.append(note)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
        w.notes.append("NUL bytes removed from body")
    if subtype == "plain" and (_param(part, "format") or "").lower() == "flowed":
        delsp = (_param(part, "delsp") or "").lower() == "yes"
        text = unflow(text, delsp=delsp)
    return text


def unflow(text: str, *, delsp: bool) -> str:
    """Join RFC 3676 format=flowed soft line breaks (a line ending in a space continues).

    Quote depth is kept per paragraph; space-stuffing is undone; the signature separator
    ``-- `` is never a soft break. With ``delsp=yes`` the trailing space is deleted.
    """
    out: list[str] = []
    para: list[str] = []
    para_depth = -1

    def flush() -> None:
        nonlocal para_depth
        if para_depth >= 0:
            prefix = ">" * para_depth + (" " if para_depth else "")
            out.append(prefix + "".join(para))
        para.clear()
        para_depth = -1

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after quote marks)
        if para_depth >= 0 and depth != para_depth:
            flush()
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        para.append(content)
        para_depth = depth
        if not soft:
            flush()
    if para:
        flush()
    return "\n".join(out)


def _collect_defects(msg: Message) -> list[str]:
    names: list[str] = []
    try:
        for part in msg.walk():
            for d in getattr(part, "defects", ()):
                name = type(d).__name__.removesuffix("Defect")
                if name not in names:
                    names.append(name)
    except Exception as exc:  # the defects found so far are enough for the notes
        tolerated("mime.defects", exc)
        return names
    return names


# --- last resort ------------------------------------------------------------------------


def _degraded(data: bytes, options: ParseOptions, notes: list[str]) -> MailDoc:
    """Headers as lines, the rest as one sniffed text body, when the MIME tree is hopeless."""
    norm = data.replace(b"\r\n", b"\n")
    head, _, body = norm.partition(b"\n\n")
    headers: dict[str, str] = {}
    all_: dict[str, list[str]] = {}
    raw: dict[str, str] = {}
    cur: list[str] = []
    lines = head.decode("utf-8", "surrogateescape").split("\n")
    for line in [*lines, ""]:
        if line[:1] in (" ", "\t") and cur:
            cur.append(line)
            continue
        if cur:
            name, _, value = "\n".join(cur).partition(":")
            key = name.strip().lower()
            text = decode_header(value)
            all_.setdefault(key, []).append(text)
            headers.setdefault(key, text)
            raw.setdefault(key, value)
        cur = [line] if ":" in line else []
    if not headers:
        raise ParseError("no header block")
    text, note = decode_bytes(body, None)
    if note:
        notes.append(note)
    return MailDoc(
        message_id=_message_id(raw.get("message-id")),
        subject=headers.get("subject", ""),
        date=_date(raw.get("date")),
        from_=_first(_addresses(raw.get("from"))),
        reply_to=_addresses(raw.get("reply-to")),
        to=_addresses(raw.get("to")),
        headers=headers,
        header_all={k: tuple(v) for k, v in all_.items()},
        text=text.replace("\r", ""),
        html=None,
        attachments=(),
        rejected=(),
        auto_kind=auto_kind(headers),
        forwarded=None,
        defects=tuple(dict.fromkeys(notes)),
    )
