"""One MIME part's metadata and payload, read without letting the stdlib raise.

Content type, parameters, disposition, file name and Content-ID of a part, and its body
bytes with the transfer encoding undone, also for the bodies :mod:`bridge.parsing.bigparts`
kept as bytes. Anything the stdlib cannot read falls back (see
:mod:`bridge.parsing.tolerate`).
"""

from __future__ import annotations

import binascii
import email.policy
import email.utils
import io
import quopri
import re
from email._encoded_words import decode_b  # what Message.get_payload(decode=True) uses
from email.message import Message

from bridge.oversized import OMITTED_HEADER
from bridge.parsing.charsets import decode_header, decode_words
from bridge.parsing.filecontent import base64_damage
from bridge.parsing.tolerate import tolerated

RAW_BODY = "_bridge_raw_body"  # attribute holding a single-part body's undecoded bytes
RAW_SPAN = "_bridge_raw_span"  # (data, start, stop) of a leaf body kept as bytes
_B64_CLEAN = re.compile(rb"[A-Za-z0-9+/\r\n]*(?:=[\r\n]*){0,2}")
_B64_CHUNK = 1 << 18


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
        return bytes(value)
    if cte == "quoted-printable":
        return quopri.decodestring(memoryview(data)[start:stop])
    if cte in ("x-uuencode", "uuencode", "uue", "x-uue"):
        part.set_payload(data[start:stop].decode("ascii", "surrogateescape"))
        delattr(part, RAW_SPAN)
        return payload_bytes(part)
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
    cte = (raw_header(part, "content-transfer-encoding") or "").strip().lower()
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
        delattr(part, RAW_BODY)
        return payload_bytes(part)
    return raw


def content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception as exc:  # a broken Content-Type reads as plain text (RFC 2045 default)
        tolerated("mime.content_type", exc)
        return "text/plain"


def param(part: Message, name: str) -> str | None:
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


def part_disposition(part: Message) -> str | None:
    try:
        d = part.get_content_disposition()
    except Exception as exc:  # a broken disposition reads as none
        tolerated("mime.disposition", exc)
        d = None
    return d.lower() if isinstance(d, str) else None


def part_filename(part: Message) -> str | None:
    name: str | None
    try:
        name = part.get_filename()
    except Exception as exc:  # a broken filename parameter: the raw header is tried next
        tolerated("mime.filename", exc)
        name = None
    if not name:
        name = param(part, "name")
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


def raw_header(part: Message, name: str) -> str | None:
    """A header's raw value, without the stdlib header registry (which can raise)."""
    for hname, value in part.raw_items():
        if hname.lower() == name:
            return decode_header(str(value))
    return None


def content_id(part: Message) -> str | None:
    value = raw_header(part, "content-id")
    if not value:
        return None
    return value.strip().strip("<>").strip().lower() or None


def payload_bytes(part: Message) -> bytes:
    span = getattr(part, RAW_SPAN, None)
    if span is not None:
        return _span_payload(part, span)
    raw = getattr(part, RAW_BODY, None)
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


def omitted_size(part: Message) -> int | None:
    """The size of a file the stand-in of a too-large mail left out (bridge.oversized)."""
    value = raw_header(part, OMITTED_HEADER.lower())
    if value is None or not value.strip().isdigit() or payload_bytes(part).strip():
        return None
    return int(value.strip())


def part_base64_damage(part: Message) -> str | None:
    """Why a file part's base64 cannot give back its bytes (None: sound, or not base64)."""
    if (raw_header(part, "content-transfer-encoding") or "").strip().lower() != "base64":
        return None
    span = getattr(part, RAW_SPAN, None)
    raw = getattr(part, RAW_BODY, None)
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


def text_payload(part: Message) -> bytes:
    """A text body's bytes; declared base64 that is plainly not is taken as it stands."""
    if getattr(part, RAW_SPAN, None) is None and getattr(part, RAW_BODY, None) is None \
            and (raw_header(part, "content-transfer-encoding") or "").strip().lower() == "base64":
        payload = part.get_payload()
        if isinstance(payload, str):
            raw = payload.encode("utf-8", "surrogateescape")
            if not_base64(raw):
                return raw
    return payload_bytes(part)
