"""The values that flow between modules.

Every adapter (IMAP, SQLite, Bitrix24) translates third-party shapes into these at its
edge, so the pipeline only ever sees the types below. All are frozen and slotted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DEFAULT_ALLOWED_EXTENSIONS: tuple[str, ...] = (
    "pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "gif", "txt",
)
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class MessageKey:
    """Where a message lives on the server: folder, UIDVALIDITY and UID."""

    folder: str
    uidvalidity: int
    uid: int

    def __str__(self) -> str:
        return f"{self.folder}/{self.uidvalidity}/{self.uid}"


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message as fetched (BODY.PEEK[]), with the server's INTERNALDATE and FLAGS."""

    key: MessageKey
    raw: bytes
    internaldate: datetime | None = None
    identity: str | None = None  # set when ``raw`` is a stand-in for a too-large mail
    flags: tuple[str, ...] = ()  # as the server reported them with the message

    @property
    def seen(self) -> bool:
        """Already marked ``\\Seen``: read by a person, or finished by another ledger."""
        return any(f.lower() == "\\seen" for f in self.flags)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A user file: decoded name, declared content type, exact decoded bytes."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class RejectedAttachment:
    """A file that is not uploaded. reason: "type", "size" or "total" (message limit)."""

    filename: str
    reason: str
    size: int = 0


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Everything parsing needs from the config; the defaults are SPEC's defaults.

    ``label_synonyms`` adds labels to the built-in synonym lists: keys are the canonical
    field names ``name``, ``phone``, ``email``, ``message``; values are extra labels.
    ``label_fields`` maps a form label (case-insensitive) to a lead field such as
    ``COMPANY_TITLE`` or ``UF_CRM_CITY``; such fields land in ``ParsedForm.lead_fields``.
    """

    default_region: str = "RU"
    allowed_extensions: tuple[str, ...] = DEFAULT_ALLOWED_EXTENSIONS
    max_size_bytes: int = 10 * MB
    max_total_bytes: int = 25 * MB
    label_synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    label_fields: tuple[tuple[str, str], ...] = ()
    spam_max_links: int = 3
    spam_words: tuple[str, ...] = ()
    unrecognised: str = "lead"  # parsing.unrecognised: "lead" or "quarantine"
    site_senders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedForm:
    """What one message says, and whether it should become a lead.

    ``create_lead`` is False for non-forms, spam and empty forms; ``reason`` then says why
    (``bounce``, ``auto-reply``, ``bulk mail``, ``system notice``, ``empty form``, ``spam``,
    ``layout not recognised``). ``quarantine`` is True only for ``layout not recognised``
    (a person must look). The double-click rule is applied later, by the pipeline, with
    ``client_keys`` and ``content_digest``.
    """

    message_id: str | None
    subject: str
    sender: str | None
    date: datetime | None
    is_form: bool
    create_lead: bool
    reason: str | None = None
    quarantine: bool = False
    spam: bool = False
    unrecognised: bool = False  # a form whose fields could not be read, made a lead whole
    name: str | None = None
    phone: str | None = None
    other_phones: tuple[str, ...] = ()
    phone_extension: str | None = None
    email: str | None = None
    message: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    lead_fields: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    rejected_attachments: tuple[RejectedAttachment, ...] = ()
    invalid_email: str | None = None  # an address the portal would reject: goes to COMMENTS

    @property
    def client_keys(self) -> tuple[str, ...]:
        """Phone and e-mail, normalised: a double click shares at least one."""
        keys = []
        if self.phone:
            keys.append("phone:" + self.phone)
        if self.email:
            keys.append("email:" + self.email.lower())
        return tuple(keys)

    @property
    def content_digest(self) -> str:
        """Hash of the normalised message, fields and file hashes (not the headers)."""
        h = hashlib.sha256()
        norm = " ".join((self.message or "").split()).casefold()
        h.update(norm.encode())
        for k, v in sorted(self.extra):
            h.update(b"\0" + k.casefold().encode() + b"=" + " ".join(v.split()).encode())
        h.update(b"\0" + (self.name or "").casefold().encode())
        for a in sorted(x.sha256 for x in self.attachments):
            h.update(b"\0" + a.encode())
        return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Lead:
    """A lead ready to send: ``fields`` for crm.lead.add (without files) and the files."""

    origin_id: str
    fields: dict[str, Any]
    files: tuple[Attachment, ...] = ()


@dataclass(slots=True)
class PollReport:
    """What one pass did; the CLI prints it as one line and derives the exit code."""

    fetched: int = 0
    created: int = 0
    duplicates: int = 0
    skipped: int = 0
    quarantined: int = 0
    unrecognised: dict[str, int] = field(default_factory=dict)  # sender -> leads made whole
    unrecognised_ids: list[int] = field(default_factory=list)  # their ledger ids (alarms)
    waiting: int = 0  # temporary failures left for a retry
    finished: int = 0  # mailbox updates done
    errors: list[str] = field(default_factory=list)
    refused: str = ""  # the daemon's mailbox refused the login or folder (bridge.refusal)
