"""What the pipeline needs from the things around it: the mail source, Bitrix24 and the ledger.

Each is a ``Protocol``: the adapters (``bridge.mailbox``, ``bridge.dirsource``, ``bridge.crm``,
``bridge.store``) satisfy them structurally, and a test passes small in-memory fakes. A mail
source's optional features are Protocols of their own, checked once per connection by
:func:`features_of` (never probed with ``getattr`` on the way).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bridge.errors import CrmError
from bridge.model import Attachment, Lead, RawMessage

if TYPE_CHECKING:
    from bridge.store import MessageRecord


class Mailbox(Protocol):
    """What the pipeline needs from a mail source (IMAP or a folder of files)."""

    def select(self, folder: str) -> int: ...
    def search_new(self, after_uid: int | None, since: date | None) -> list[int]: ...
    def fetch(self, uids: Sequence[int]) -> Iterator[RawMessage]: ...
    def finish(self, uid: int, processed_folder: str) -> str: ...
    def close(self) -> None: ...


@runtime_checkable
class FinishesMany(Protocol):
    """Optional: many mail updates in one command (IMAP ``UID MOVE``/``STORE`` on a set)."""

    def finish_many(self, uids: Sequence[int], processed_folder: str) -> dict[int, str]: ...


@runtime_checkable
class KnowsUidNext(Protocol):
    """Optional: the folder's UIDNEXT after ``select`` (the baseline of an empty first pass)."""

    @property
    def uidnext(self) -> int | None: ...


@runtime_checkable
class ReportsUnreadable(Protocol):
    """Optional: ``(uid, why)`` of messages the server could not deliver on ``fetch``; the
    pipeline quarantines them and empties the list."""

    @property
    def skipped(self) -> list[tuple[int, str]]: ...


@dataclass(frozen=True, slots=True)
class MailboxFeatures:
    """The optional features one connected mail source has (each None when it has not)."""

    many: FinishesMany | None = None
    uidnext: KnowsUidNext | None = None
    unreadable: ReportsUnreadable | None = None


def features_of(mailbox: Mailbox) -> MailboxFeatures:
    """Check once, right after connecting, which optional features the source has."""
    return MailboxFeatures(
        many=mailbox if isinstance(mailbox, FinishesMany) else None,
        uidnext=mailbox if isinstance(mailbox, KnowsUidNext) else None,
        unreadable=mailbox if isinstance(mailbox, ReportsUnreadable) else None,
    )


class Crm(Protocol):
    """What the pipeline needs from Bitrix24."""

    def add_lead(
        self, fields: dict[str, Any], files: Sequence[Attachment] = (), file_field: str = ""
    ) -> int: ...
    def add_leads_batch(
        self, leads: Sequence[Lead], file_field: str = ""
    ) -> dict[str, int | CrmError]: ...
    def find_leads_by_origin(self, origin_ids: Sequence[str]) -> dict[str, int]: ...
    def add_timeline_comment(
        self, lead_id: int, text: str, files: Sequence[Attachment] = ()
    ) -> int: ...
    def find_timeline_comment(self, lead_id: int, marker: str) -> int | None: ...
    def lead_fields(self) -> dict[str, Any]: ...


class Ledger(Protocol):
    """The calls the pipeline makes on the ledger (``bridge.store.Ledger``); rows are
    ``MessageRecord`` values, and every state change is committed when the call returns."""

    # -- folders, passes and small notes
    def begin_pass(self, at: datetime | None = None) -> None: ...
    def folder_state(self, folder: str) -> tuple[int, int] | None: ...
    def set_folder_state(self, folder: str, uidvalidity: int, last_uid: int) -> None: ...
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...
    # -- reading rows
    def by_id(self, id: int) -> MessageRecord | None: ...
    def by_key(self, folder: str, uidvalidity: int, uid: int) -> MessageRecord | None: ...
    def by_identity(self, identity: str) -> MessageRecord | None: ...
    def raw(self, id: int) -> bytes | None: ...
    def due(self, now: datetime | None = None) -> list[MessageRecord]: ...
    def counts(self) -> dict[str, int]: ...
    def find_double_click(
        self, client_keys: Iterable[str] | str, content_digest: str,
        msg_date: datetime | None, window: timedelta, exclude_id: int | None = None,
    ) -> MessageRecord | None: ...
    # -- intake
    def add_received(
        self, folder: str, uidvalidity: int, uid: int, message_id: str | None, identity: str,
        origin_id: str, subject: str, msg_date: datetime | None, raw: bytes,
        at: datetime | None = None, lookup_first: bool = False,
    ) -> MessageRecord: ...
    def rebind(self, id: int, folder: str, uidvalidity: int, uid: int) -> MessageRecord: ...
    # -- state changes (bridge.states.TRANSITIONS)
    def set_parsed(
        self, id: int, client_keys: Iterable[str] | str, content_digest: str,
        at: datetime | None = None,
    ) -> MessageRecord: ...
    def set_pushing(self, id: int, at: datetime | None = None) -> MessageRecord: ...
    def claim_push(self, id: int, at: datetime | None = None) -> MessageRecord: ...
    def clear_lookup(self, ids: Sequence[int], at: datetime | None = None) -> None: ...
    def set_created(self, id: int, lead_id: int, at: datetime | None = None) -> MessageRecord: ...
    def set_skipped(self, id: int, reason: str, at: datetime | None = None) -> MessageRecord: ...
    def set_duplicate(
        self, id: int, of_id: int, lead_id: int | None, at: datetime | None = None
    ) -> MessageRecord: ...
    def set_failed(
        self, id: int, error: str, next_attempt_at: datetime, at: datetime | None = None
    ) -> MessageRecord: ...
    def set_unknown(
        self, id: int, error: str, sent_at: datetime, next_attempt_at: datetime,
        at: datetime | None = None,
    ) -> MessageRecord: ...
    def set_quarantined(
        self, id: int, reason: str, at: datetime | None = None
    ) -> MessageRecord: ...
    def set_mailbox_done(
        self, id: int, how: str, at: datetime | None = None
    ) -> MessageRecord: ...


if TYPE_CHECKING:  # the real adapters satisfy these Protocols (checked by mypy only)
    from bridge.crm import Bitrix24Client
    from bridge.dirsource import DirMailbox
    from bridge.mailbox import ImapMailbox
    from bridge.store import Ledger as _StoreLedger

    def _ledger(ledger: _StoreLedger) -> Ledger:
        return ledger

    def _dir(mailbox: DirMailbox) -> Mailbox:
        return mailbox

    def _imap(mailbox: ImapMailbox) -> Mailbox:
        return mailbox

    def _imap_features(
        mailbox: ImapMailbox,
    ) -> tuple[FinishesMany, KnowsUidNext, ReportsUnreadable]:
        return mailbox, mailbox, mailbox

    def _dir_uidnext(mailbox: DirMailbox) -> KnowsUidNext:
        return mailbox

    def _crm(client: Bitrix24Client) -> Crm:
        return client
