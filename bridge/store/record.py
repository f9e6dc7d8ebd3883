"""What callers of the ledger see: frozen ``MessageRecord`` values, never rows or sessions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row

from bridge.model import MessageKey
from bridge.states import FINISHED

SUBJECT_MAX = 200
ERROR_MAX = 2000


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One row of the ledger, as a value. ``id`` is what ``status`` and ``retry`` show."""

    id: int
    folder: str
    uidvalidity: int
    uid: int
    message_id: str | None
    identity: str
    origin_id: str
    state: str
    mailbox_state: str
    mailbox_how: str | None
    lead_id: int | None
    duplicate_of: int | None
    reason: str | None
    error: str | None
    attempts: int
    next_attempt_at: datetime | None
    subject: str
    msg_date: datetime | None
    received_at: datetime
    updated_at: datetime
    client_keys: tuple[str, ...]
    content_digest: str | None
    parsed_at: datetime | None
    push_started_at: datetime | None  # set on the first set_pushing: a lead may exist
    mailbox_at: datetime | None
    # when the last byte of the latest write with an unknown outcome was sent: the ORIGIN_ID
    # lookup waits bitrix24.max_request_seconds from then (the portal may still be running it)
    sent_at: datetime | None = None
    lookup_first: bool = False  # a lead may exist already (first pass, \\Seen, older copy)

    @property
    def key(self) -> MessageKey:
        return MessageKey(self.folder, self.uidvalidity, self.uid)

    @property
    def finished(self) -> bool:
        """A lead, a duplicate or not a lead: nothing left to do but the mailbox."""
        return self.state in FINISHED


_AS_IS = tuple(
    name for name in MessageRecord.__slots__
    if name not in ("client_keys", "lookup_first")
)


def to_record(row: Row[tuple[object, ...]]) -> MessageRecord:
    """The value of one ``messages`` row (every column selected)."""
    m = row._mapping
    keys = m["client_keys"]
    return MessageRecord(
        **{name: m[name] for name in _AS_IS},
        client_keys=tuple(keys.split("|")) if keys else (),
        lookup_first=bool(m["lookup_first"]),
    )


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters (the last one an ellipsis when cut)."""
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def join_keys(keys: Iterable[str] | str) -> str:
    """Client keys as stored: unique, sorted, joined by ``|`` (which no key may contain)."""
    items = list(keys.split("|")) if isinstance(keys, str) else list(keys)
    clean = sorted({k.strip() for k in items if k.strip()})
    for k in clean:
        if "|" in k:
            raise ValueError(f"a client key must not contain '|': {k!r}")
    return "|".join(clean)
