"""Is this mail machine-generated? Bounces, auto-replies and bulk mail, from headers/structure.

Only classification: what to do with bulk mail (a form notification sent through a list
service is still a lead) is decided by field extraction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

BOUNCE = "bounce"
AUTO_REPLY = "auto-reply"
BULK = "bulk mail"

_DAEMON = re.compile(r"(^|[<\s\"(])(mailer-daemon|mail delivery (system|subsystem))\b",
                     re.IGNORECASE)
# postmaster@ also sends ordinary mail on small hosting (even form notifications): it marks
# a bounce only together with a bounce subject
_POSTMASTER = re.compile(r"(^|[<\s\"(])postmaster@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered mail|delivery status notification|delivery (has )?failed|"
    r"failure notice|returned mail|mail delivery failed|non[- ]?delivery|"
    r"недоставлен|не доставлено|не удалось доставить|возвращ[её]нное письмо",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|autoreply|out of (the )?office|vacation|"
    r"автоответ|автоматический ответ|нахожусь в отпуске|вне офиса)\b"
    r"|\b(out of (the )?office|автоответ)\b",
    re.IGNORECASE,
)


def auto_kind(
    headers: Mapping[str, str],
    *,
    content_type: str = "text/plain",
    report_type: str | None = None,
    part_types: Iterable[str] = (),
) -> str | None:
    """``"bounce"``, ``"auto-reply"``, ``"bulk mail"`` or None for an ordinary message.

    ``headers`` maps lower-case names to decoded values; ``content_type`` and
    ``report_type`` describe the top-level part; ``part_types`` are the content types of
    all parts (a ``message/delivery-status`` part anywhere marks a bounce).
    """
    h = {k.lower(): (v or "") for k, v in headers.items()}
    subject = h.get("subject", "")
    sender = h.get("from", "")
    return_path = h.get("return-path", "").strip()
    null_sender = "return-path" in h and return_path.replace(" ", "") in ("<>", "")
    types = {t.lower() for t in part_types}
    rtype = (report_type or "").lower()

    if content_type.lower() == "multipart/report":
        if rtype in ("delivery-status", ""):
            return BOUNCE
        if rtype == "disposition-notification":
            return AUTO_REPLY  # read receipt
        return BOUNCE
    if "message/delivery-status" in types or "message/global-delivery-status" in types:
        return BOUNCE
    if "x-failed-recipients" in h:
        return BOUNCE
    if _DAEMON.search(sender):
        return BOUNCE
    if (null_sender or _POSTMASTER.search(sender)) and (
        _BOUNCE_SUBJECT.search(subject) or "text/rfc822-headers" in types
    ):
        return BOUNCE

    auto_sub = h.get("auto-submitted", "").strip().lower()
    if auto_sub and not auto_sub.startswith("no"):
        return AUTO_REPLY
    if "x-autoreply" in h or "x-autorespond" in h or "x-autoresponder" in h:
        return AUTO_REPLY
    precedence = h.get("precedence", "").strip().lower()
    if precedence in ("auto_reply", "auto-reply", "autoreply"):
        return AUTO_REPLY
    if _AUTO_SUBJECT.search(subject):
        return AUTO_REPLY

    if "list-id" in h or "list-unsubscribe" in h:
        return BULK
    if precedence in ("bulk", "list", "junk"):
        return BULK
    return None
