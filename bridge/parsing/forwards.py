"""Inline forwards: the forwarded part of a forwarding mail's text.

Gmail (``---------- Forwarded message ---------``), Thunderbird/Yandex (``-------- Пересылаемое
сообщение --------``) and Outlook (``From:/Sent:`` blocks) forwards are cut down to the
forwarded part by :func:`strip_forward` before any layout reads them; the forwarded From and
Reply-To are kept, since the forwarder is never the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

_FWD_MARK = re.compile(
    r"^[ \t>]*(?:-{2,}|_{2,})\s*(?:forwarded message|forwarded e-?mail|"
    r"пересылаемое сообщение|пересланное сообщение|"
    r"начало переадресованного сообщения|переадресованное сообщение|"
    r"begin forwarded message)\s*:?\s*-*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Outlook marks a reply's quote and a forward alike; only a forward's subject tells them apart
_ORIGINAL_MARK = re.compile(
    r"^[ \t>]*-{2,}\s*(?:original message|исходное сообщение)\s*-*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:\[?(?:fwd?|пересл|переслано|tr|wg|rv)\b|fw:)",
                              re.IGNORECASE)
_FWD_END = re.compile(
    r"^[ \t>]*-{2,}\s*(?:конец пересылаемого сообщения|end (?:of )?forwarded message)\s*-*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_OUTLOOK_RULE = re.compile(r"^[ \t]*_{10,}[ \t]*\n(?=[ \t]*(?:from|от)\s*:)",
                           re.IGNORECASE | re.MULTILINE)
_FWD_HEADER = re.compile(
    r"^[ \t>]*(?P<key>from|date|subject|to|cc|bcc|sent|reply-to|reply to|от|от кого|дата|"
    r"тема|кому|копия|отправлено|ответить|ответить на|ответ на|адрес для ответа|обратный адрес)"
    r"\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_YANDEX_FWD_LINE = re.compile(
    r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4},?\s+\d{1,2}:\d{2},?\s+(.*<[^>]+>)\s*:\s*$"
)


@dataclass(frozen=True, slots=True)
class Forward:
    """The forwarded part of an inline forward, and its original From/Reply-To."""

    text: str
    from_addr: str | None
    from_name: str | None
    reply_to: str | None


_OUTLOOK_BLOCK = re.compile(
    r"^[ \t]*(?:from|от)[ \t]*:.*\n(?:[ \t]*(?:sent|отправлено|date|дата|to|кому|cc|копия)"
    r"[ \t]*:.*\n){2,4}[ \t]*(?:subject|тема)[ \t]*:.*$",
    re.IGNORECASE | re.MULTILINE,
)


def strip_forward(text: str, subject: str | None = None) -> Forward | None:
    """The forwarded message inside an inline forward, or None when the text is not one.

    Gmail, Thunderbird, Yandex and Mail.ru mark a forward as such. Outlook's markers
    (``-----Original Message-----``, a rule or a ``From:/Sent:`` block) also quote replies,
    so they count only when the subject is a forward's (``FW:``, ``Fwd:``) or unknown.
    """
    outlook_ok = subject is None or bool(_FORWARD_SUBJECT.match(subject))
    marks = list(_FWD_MARK.finditer(text))
    if not marks and outlook_ok:
        marks = list(_ORIGINAL_MARK.finditer(text)) or list(_OUTLOOK_RULE.finditer(text))
    if marks:
        rest = text[marks[-1].end():]
    else:
        if not outlook_ok:
            return None
        block = _OUTLOOK_BLOCK.search(text)
        if block is None or not re.search(r"^[ \t]*(?:sent|отправлено)[ \t]*:", block.group(0),
                                          re.IGNORECASE | re.MULTILINE):
            return None
        rest = text[block.start():]
    end = _FWD_END.search(rest)
    if end:
        rest = rest[: end.start()]
    lines = rest.split("\n")
    i = 0
    headers: dict[str, str] = {}
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines):
        line = lines[i]
        m = _FWD_HEADER.match(line)
        y = _YANDEX_FWD_LINE.match(line)
        if m:
            headers.setdefault(m.group("key").casefold(), m.group("value").strip())
        elif y:
            headers.setdefault("from", y.group(1))
        elif not line.strip():
            if headers:
                break
        else:
            break
        i += 1
    body = "\n".join(lines[i:]).strip("\n")
    sender = headers.get("from") or headers.get("от") or headers.get("от кого") or ""
    name, addr = parseaddr(sender.replace("\t", " "))
    reply = next((headers[k] for k in ("reply-to", "reply to", "ответить", "ответить на",
                                       "ответ на", "адрес для ответа", "обратный адрес")
                  if headers.get(k)), "")
    return Forward(
        text=body,
        from_addr=addr or None,
        from_name=name or None,
        reply_to=parseaddr(reply)[1] or None,
    )
