"""Big parts without copies: a message's bytes parsed into the stdlib's tree.

The stdlib's feed parser turns a body into one string per line, about 10x the message size
in memory. :func:`parse_bytes` keeps a big single-part body as bytes and parses a big
multipart message as a skeleton whose big leaf bodies are decoded straight from the
original bytes (:mod:`bridge.parsing.mimeparts` reads them back); the tree and every
decoded byte are the same as the plain parse's.
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
import re
from email.message import Message
from email.parser import BytesParser

from bridge.parsing.mimeparts import RAW_BODY, RAW_SPAN, content_type
from bridge.parsing.tolerate import tolerated

log = logging.getLogger("bridge.parsing.mime")

MAX_PART_DEPTH = 50  # multipart inside multipart ...: real mail has fewer than 10 levels
BIG_MESSAGE = 262144  # from this size on, a single-part body is not split into lines
BIG_PART = 65536  # from this size on, a multipart message's leaf body is kept as bytes
SEPARATOR = re.compile(rb"\r?\n\r?\n")


def parse_bytes(data: bytes, big_part: int | None = BIG_PART) -> Message:
    """Parse with the stdlib; big bodies are kept as bytes, not split into lines.

    The feed parser turns a body into one string per line, about 10x the message size in
    memory; a huge plain-text form (064, 2 MB) needs only its bytes, decoded once. A
    single-part body past BIG_MESSAGE is cut off before parsing; a multipart message past
    ``big_part`` is parsed as a skeleton (:func:`_parse_skeleton`).
    """
    parser = BytesParser(policy=email.policy.default)
    sep = SEPARATOR.search(data)
    small = len(data) < min(BIG_MESSAGE, big_part if big_part is not None else BIG_MESSAGE)
    if sep is None or small:
        return parser.parsebytes(data)
    head = parser.parsebytes(data[: sep.end()], headersonly=True)
    maintype = content_type(head).split("/")[0]
    if maintype == "multipart" and big_part is not None:
        msg = _parse_skeleton(data, big_part)
        if msg is not None:
            return msg
    if maintype in ("multipart", "message") or len(data) < BIG_MESSAGE:
        return parser.parsebytes(data)
    head.set_payload("")
    setattr(head, RAW_BODY, data[sep.end() :])
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

_PLACEHOLDER = b"x-bridge-big-part-"  # no colon, no "--": neither a header nor a boundary
_BOUNDARY_TAIL = re.compile(rb"(--)?[ \t]*(?:\r\n|\r|\n|\Z)")
_HEAD_END = re.compile(rb"\n\r?\n")
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
    ctype = content_type(head)
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
        setattr(part, RAW_SPAN, (data, start, stop))
        bound += 1
    return bound == len(tokens)
