"""MailDoc: a decoded message, the seam between MIME decoding and field extraction.

``bridge.parsing.mime.decode(raw, options) -> MailDoc`` fills it from bytes;
``bridge.parsing.fields`` reads the form fields out of it. Pure values, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.model import Attachment, RejectedAttachment


@dataclass(frozen=True, slots=True)
class Address:
    name: str | None  # decoded display name, or None
    addr: str  # the address as written, stripped; may be "" when unparseable


@dataclass(frozen=True, slots=True)
class MailDoc:
    """One message, decoded.

    * ``headers``: lower-cased header name -> decoded (RFC 2047, raw 8-bit sniffed) value of
      its first occurrence; ``header_all`` keeps every occurrence for the few that repeat.
    * ``text``: the text/plain body (charset decoded, QP/base64 undone, format=flowed
      joined, CRLF -> ``\\n``, NUL bytes removed), or None.
    * ``html``: the text/html body, decoded the same way, or None.
    * ``attachments`` / ``rejected``: user files, checked against the allow-list, the
      size limits and their magic bytes; inline ``cid:`` images referenced by the HTML are
      in neither.
    * ``auto_kind``: ``"bounce"``, ``"auto-reply"`` or ``"bulk mail"`` when the headers or
      structure say so (RFC 3464 reports, RFC 3834 Auto-Submitted, X-Autoreply, vacation
      subjects, List-Id/List-Unsubscribe/Precedence), else None.
    * ``forwarded``: the inner message of a ``message/rfc822`` part when this message is a
      forward of one (Outlook "forward as attachment"); None otherwise. Never set for a
      bounce (its returned message is not a form to read).
    * ``defects``: short notes on what was broken and repaired (for logs; no body text).
    """

    message_id: str | None
    subject: str
    date: datetime | None
    from_: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    headers: dict[str, str]
    header_all: dict[str, tuple[str, ...]]
    text: str | None
    html: str | None
    attachments: tuple[Attachment, ...]
    rejected: tuple[RejectedAttachment, ...]
    auto_kind: str | None
    forwarded: MailDoc | None
    defects: tuple[str, ...] = ()
