"""ParsedForm + config -> Lead: which form field becomes which lead field (SPEC §3). Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bridge.bounds import bound_comments, full_text
from bridge.config.values import DEFAULT_RESPONSIBLE_USER_ID, DEFAULT_SOURCE_ID, DEFAULT_TITLE
from bridge.identity import ORIGINATOR_ID
from bridge.markup import comments_text, plain_text
from bridge.model import Attachment, Lead, ParsedForm, RejectedAttachment
from bridge.parsing.unread import UNREAD_NOTE

# Column sizes of the portal's lead table (bitrix24-api.md §13).
TITLE_MAX = 255
NAME_MAX = 50
MULTIFIELD_MAX = 250
# A message longer than this is cut in COMMENTS and attached whole as a .txt file.
MESSAGE_MAX = 20_000
FULL_TEXT_NAME = "message.txt"

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
_EMAIL_OK = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9\u0400-\u04ff.-]+\.[A-Za-z\u0400-\u04ff]{2,}$"
)

_REASONS = {
    "type": "тип файла не разрешён",
    "size": "файл больше допустимого размера",
    "total": "превышен общий размер вложений письма",
    "field_type": "поле файлов лида не принимает этот тип файла",
    "field_size": "файл больше, чем принимает поле файлов лида",
    "damaged": "файл повреждён при пересылке (неверная кодировка base64)",
    "message_size": "письмо больше imap.max_message_mb, файл остался в почтовом ящике",
}


@dataclass(frozen=True, slots=True)
class LeadSettings:
    """The part of the config that shapes a lead."""

    title: str = DEFAULT_TITLE  # the defaults are [bitrix24]'s (bridge.config.values)
    source_id: str = DEFAULT_SOURCE_ID
    source_description: str = ""
    responsible_user_id: int = DEFAULT_RESPONSIBLE_USER_ID


def escape(text: str) -> str:
    """COMMENTS: client text made inert for the BB code / HTML the portal renders."""
    return comments_text(text)


def valid_email(addr: str) -> bool:
    return len(addr) <= MULTIFIELD_MAX and bool(_EMAIL_OK.match(addr))


def render_title(template: str, parsed: ParsedForm) -> str:
    who = plain_text(parsed.name or parsed.phone or parsed.email or (
        parsed.subject.strip() if parsed.unrecognised and parsed.subject.strip() else "—"
    ))
    title = template.replace("{name}", who)
    return title[:TITLE_MAX]


def _rejected_lines(rejected: Sequence[RejectedAttachment]) -> list[str]:
    if not rejected:
        return []
    lines = ["Файлы не приложены:"]
    for r in rejected:
        lines.append(f"- {r.filename} ({_REASONS.get(r.reason, r.reason)})")
    return lines


def build_comments(parsed: ParsedForm) -> tuple[str, bool]:
    """COMMENTS text, and whether the message was cut (then it is attached whole)."""
    parts: list[str] = []
    cut = False
    if parsed.unrecognised:
        parts.append(UNREAD_NOTE)  # the fields could not be read: the whole text follows
    if parsed.message:
        message = parsed.message
        if len(message) > MESSAGE_MAX:
            note = f"\n[…сообщение обрезано, полный текст в {FULL_TEXT_NAME}]"
            message = message[:MESSAGE_MAX] + note
            cut = True
        parts.append(message)
    fields: list[str] = []
    if parsed.name and len(parsed.name) > NAME_MAX:
        fields.append(f"Имя: {parsed.name}")
    if parsed.phone_extension:
        fields.append(f"Добавочный номер: {parsed.phone_extension}")
    bad_email = parsed.invalid_email or (
        parsed.email if parsed.email and not valid_email(parsed.email) else None
    )
    if bad_email:
        fields.append(f"E-mail: {bad_email}")
    for label, value in parsed.extra:
        fields.append(f"{label}: {value}")
    if fields:
        parts.append("\n".join(fields))
    rejected = _rejected_lines(parsed.rejected_attachments)
    if rejected:
        parts.append("\n".join(rejected))
    return escape("\n\n".join(parts)), cut


def build_lead(parsed: ParsedForm, settings: LeadSettings, origin_id: str) -> Lead:
    """The crm.lead.add fields for one enquiry, and the files to attach."""
    fields: dict[str, object] = {
        "TITLE": render_title(settings.title, parsed),
        "SOURCE_ID": settings.source_id,
        "ASSIGNED_BY_ID": settings.responsible_user_id,
        "ORIGINATOR_ID": ORIGINATOR_ID,
        "ORIGIN_ID": origin_id,
    }
    if settings.source_description:
        fields["SOURCE_DESCRIPTION"] = settings.source_description
    if parsed.name:
        fields["NAME"] = plain_text(parsed.name)[:NAME_MAX]
    phones = [p for p in (parsed.phone, *parsed.other_phones) if p]
    if phones:
        fields["PHONE"] = [{"VALUE": p, "VALUE_TYPE": "WORK"} for p in dict.fromkeys(phones)]
    if parsed.email and valid_email(parsed.email):
        fields["EMAIL"] = [{"VALUE": parsed.email, "VALUE_TYPE": "WORK"}]
    comments, cut = build_comments(parsed)
    comments, cut_all = bound_comments(comments, FULL_TEXT_NAME)  # the whole comment, too
    if comments:
        fields["COMMENTS"] = comments
    extra = {re.sub(r"[\s-]+", "_", label.strip().lower()): value for label, value in parsed.extra}
    for key in UTM_KEYS:
        if extra.get(key):
            fields[key.upper()] = plain_text(extra[key])[:255]
    for lead_field, value in parsed.lead_fields:
        fields.setdefault(lead_field, plain_text(value) if isinstance(value, str) else value)
    files = list(parsed.attachments)
    if cut_all:
        files.append(Attachment(FULL_TEXT_NAME, "text/plain", full_text(parsed).encode("utf-8")))
    elif cut and parsed.message:
        files.append(
            Attachment(FULL_TEXT_NAME, "text/plain", parsed.message.encode("utf-8"))
        )
    return Lead(origin_id=origin_id, fields=fields, files=tuple(files))


def double_click_comment(origin_id: str, subject: str, date_text: str) -> str:
    """Timeline comment on the first lead when the same enquiry arrives again.

    It never embeds client text (``subject`` is accepted for compatibility and not used):
    a comment the bridge writes must not carry a client's link or markup. ``date_text`` is
    the bridge's own ISO date.
    """
    del subject
    return (f"Клиент отправил эту заявку повторно ({plain_text(date_text)}). "
            f"Новый лид не создавался.\n({marker('repeat', origin_id)})")


def files_comment(origin_id: str, names: Sequence[str]) -> str:
    """Timeline comment that carries the files when no file field takes them. The file names
    are client text: tag openers are broken (bridge.markup.plain_text), nothing is escaped."""
    listed = "\n".join(f"- {plain_text(n)}" for n in names)
    return f"Файлы из заявки:\n{listed}\n({marker('files', origin_id)})"


def marker(kind: str, origin_id: str) -> str:
    """The text a retry looks for. Not a bracketed tag: the portal may strip BB tags it does
    not know, and it is a substring of the older ``[mailbridge:…]`` form, so both are found."""
    return f"mailbridge:{kind} {origin_id}"
