"""A form notification whose fields cannot be read (SPEC §3, ``parsing.unrecognised``).

An enquiry is never lost to a layout: with ``"lead"`` (the default) a mail that is plainly a
form notification but in which no client field could be found becomes a lead all the same,
titled with its subject, its cleaned text as the comment. It must be a *form notification*
(:func:`form_notification`): its sender is one of a non-empty ``filter.senders``, it carries
1C-Bitrix's mail-event header, its subject reads like a form's ("Заявка", "New submission"),
or it comes from the site's own robot or domain with labelled lines in it. A supplier's
letter or phishing is none of these and is never made a lead. ``"quarantine"`` keeps the
mail for a person, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bridge.model import ParseOptions
from bridge.parsing.doc import MailDoc
from bridge.parsing.junk import is_trailer
from bridge.parsing.labels import label_kind
from bridge.parsing.textlines import colon_match

UNREAD_NOTE = "Поля формы не распознаны; текст письма целиком:"
TEXT_MAX = 20000  # leads.py cuts a longer message and attaches it whole
_SIGNATURE = re.compile(r"^--\s*$")
_REPLY = re.compile(r"^\s*(?:re|ответ|отв|aw|sv)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)


def configured_sender(sender: str | None, senders: Iterable[str]) -> bool:
    """The sender matches an entry of a non-empty ``filter.senders`` (address or @domain)."""
    addr = (sender or "").strip().lower()
    if not addr:
        return False
    domain = addr.rpartition("@")[2]
    for item in senders:
        item = item.strip().lower()
        if item.startswith("@") and (domain == item[1:] or domain.endswith("." + item[1:])):
            return True
        if item and addr == item:
            return True
    return False


def form_notification(work: MailDoc, options: ParseOptions, *, form_subject: bool,
                      site_sender: bool, labelled: bool) -> bool:
    """Whether an unreadable mail is still plainly a website form's notification.

    A reply (``In-Reply-To``, ``Re:``) is a person writing back, never a notification; a
    platform's own notice ("you are about to reach your submission limit") has no labelled
    lines, which every notification prints."""
    if work.headers.get("in-reply-to") or _REPLY.match(work.subject or ""):
        return False
    sender = work.from_.addr if work.from_ else None
    if options.site_senders and configured_sender(sender, options.site_senders):
        return True
    if work.headers.get("x-event-name", "").strip():
        return True  # 1C-Bitrix mail events (its system notices were told apart before)
    return labelled and (form_subject or site_sender)


def unread_text(body: str, options: ParseOptions) -> str:
    """The body as a person should read it in the lead: no trailers, no metadata lines,
    nothing under a signature delimiter, no runs of blank lines."""
    out: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        s = line.strip()
        if _SIGNATURE.match(s):
            break
        if is_trailer(s):
            continue
        pair = colon_match(s, options) if s else None
        if pair is not None and label_kind(pair[0], options) == "meta":
            continue
        out.append(line.rstrip())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
    return text[:TEXT_MAX]
