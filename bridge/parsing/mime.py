"""Raw bytes -> :class:`MailDoc`: the MIME structure, bodies, files and auto-mail class.

Parsing uses the stdlib ``email`` package with ``email.policy.default`` (it decodes RFC 2231
and quoted RFC 2047 file names and keeps raw 8-bit bytes as surrogates). mail-parser is not
used here: it parses with compat32, so it returns encoded file names, re-decoded text
attachments and ``cid:`` images as files; the stdlib tree beneath it is what we need.

Header values are read raw (``raw_items``) and decoded by :mod:`charsets`, so a broken
header never raises from the stdlib header registry. Everything broken is repaired and
noted in ``MailDoc.defects``; only bytes that are no message at all raise ``ParseError``.

The header block is :mod:`bridge.parsing.mimeheaders`, one part's metadata and payload
:mod:`bridge.parsing.mimeparts`, and big parts without copies :mod:`bridge.parsing.bigparts`
(its names are re-exported here).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from email.message import Message

from bridge.errors import ParseError
from bridge.model import ParseOptions
from bridge.parsing.attachments import FileCandidate, check_files, cid_references
from bridge.parsing.bigparts import (
    BIG_MESSAGE,
    BIG_PART,
    MAX_PART_DEPTH,
    fast_path_stats,
    parse_bytes,
)
from bridge.parsing.charsets import decode_bytes, decode_header
from bridge.parsing.classify import BOUNCE, auto_kind
from bridge.parsing.doc import MailDoc
from bridge.parsing.mimeheaders import (
    first_address,
    parse_addresses,
    parse_date,
    parse_message_id,
    prepare,
    read_headers,
    received_date,
)
from bridge.parsing.mimeparts import (
    content_id,
    content_type,
    omitted_size,
    param,
    part_base64_damage,
    part_disposition,
    part_filename,
    payload_bytes,
    text_payload,
)
from bridge.parsing.tolerate import tolerated

__all__ = ["BIG_MESSAGE", "BIG_PART", "MAX_PART_DEPTH", "decode", "fast_path_stats", "unflow"]


MAX_FORWARD_DEPTH = 3  # message/rfc822 inside message/rfc822 inside ...
_SIGNATURE_TYPES = frozenset({
    "application/pgp-signature", "application/pkcs7-signature",
    "application/x-pkcs7-signature", "application/pgp-keys",
})
_SKIP_TYPES = frozenset({"text/rfc822-headers", "message/delivery-status",
                         "message/global-delivery-status", "message/disposition-notification",
                         "message/external-body", "message/partial"})
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""",
                           re.IGNORECASE)


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
    data, notes = prepare(bytes(raw))
    try:
        msg = parse_bytes(data, big_part)
        doc = _decode_message(msg, options, 0, notes, big_part)
    except ParseError:
        raise
    except Exception as exc:  # a stdlib or library bug on hostile input: degrade, don't crash
        tolerated("mime.structure", exc, logging.WARNING)
        notes.append(f"structure unreadable ({type(exc).__name__}), read as plain text")
        try:
            return _degraded(data, options, notes)
        except Exception as exc2:  # the degraded read failed too: one ParseError says so
            raise ParseError(f"unreadable message ({type(exc2).__name__})") from exc2
    return doc



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
    headers, header_all, raw_headers = read_headers(msg, notes)
    if not raw_headers:
        raise ParseError("no header block")
    w = _Walk(notes=notes, big_part=big_part)
    _walk(msg, w, is_top=True, in_related=False)
    accepted, rejected, file_notes = check_files(_user_files(w), options)
    w.notes.extend(file_notes)

    top_type = content_type(msg)
    kind = auto_kind(
        headers,
        content_type=top_type,
        report_type=param(msg, "report-type"),
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
        message_id=parse_message_id(raw_headers.get("message-id")),
        subject=headers.get("subject", ""),
        date=parse_date(raw_headers.get("date")) or received_date(header_all, w.notes),
        from_=first_address(parse_addresses(raw_headers.get("from"))),
        reply_to=parse_addresses(raw_headers.get("reply-to")),
        to=parse_addresses(raw_headers.get("to")),
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


def _user_files(w: _Walk) -> list[FileCandidate]:
    """The files the visitor sent: not the HTML's own inline resources."""
    cids = cid_references(w.html)
    candidates = []
    for cand, cid, in_related in w.files:
        if cid and cid in cids:
            continue  # an inline resource of the HTML (logo), not a user file
        if in_related and cand.filename is None:
            continue  # unnamed HTML resource (Content-Location or unreferenced cid)
        candidates.append(cand)
    return candidates


def _walk(
    part: Message, w: _Walk, *, is_top: bool, in_related: bool, level: int = 0
) -> None:
    ctype = content_type(part)
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

    disposition = part_disposition(part)
    filename = part_filename(part)
    body_like = maintype == "text" and subtype in ("plain", "html")
    if body_like and disposition != "attachment" and (not filename or is_top):
        if subtype == "plain" and w.text is None:
            w.text = _body_text(part, w, "plain")
        elif subtype == "html" and w.html is None:
            w.html = _body_text(part, w, "html")
        else:
            w.notes.append(f"extra inline text/{subtype} part ignored")
        return
    omitted = omitted_size(part)
    if omitted is not None:  # a file of a too-large mail, left on the server
        w.files.append((FileCandidate(filename, ctype, b"", omitted_size=omitted),
                        content_id(part), in_related))
        return
    data = payload_bytes(part)
    if w.forwarded is None and (filename or "").lower().endswith(".eml"):
        inner = _parse_attached_eml(data, w.big_part)
        if inner is not None:  # a forward attached as a plain file (octet-stream .eml)
            w.forwarded = inner
            w.notes.append("attached .eml read as a forwarded message")
            return
    damage = part_base64_damage(part)
    w.files.append((FileCandidate(filename, ctype, data, damage), content_id(part), in_related))


def _parse_attached_eml(data: bytes, big_part: int | None) -> Message | None:
    try:
        prepared, _ = prepare(data)
        return parse_bytes(prepared, big_part)
    except Exception as exc:  # an attached .eml that does not parse stays a plain file
        tolerated("mime.attached_eml", exc)
        return None


def _inner_message(part: Message, w: _Walk) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    # message/rfc822 with a base64/QP transfer encoding (not allowed, but seen): parse bytes
    data = payload_bytes(part)
    if not data.strip():
        return None
    try:
        data, _ = prepare(data)
        w.notes.append("encoded message/rfc822 part decoded")
        return parse_bytes(data, w.big_part)
    except Exception as exc:  # the outer message stays readable without it
        tolerated("mime.inner_message", exc)
        w.notes.append("attached message unreadable")
        return None


def _body_text(part: Message, w: _Walk, subtype: str) -> str:
    data = text_payload(part)
    charset = param(part, "charset")
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
    if subtype == "plain" and (param(part, "format") or "").lower() == "flowed":
        delsp = (param(part, "delsp") or "").lower() == "yes"
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
        message_id=parse_message_id(raw.get("message-id")),
        subject=headers.get("subject", ""),
        date=parse_date(raw.get("date")),
        from_=first_address(parse_addresses(raw.get("from"))),
        reply_to=parse_addresses(raw.get("reply-to")),
        to=parse_addresses(raw.get("to")),
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
