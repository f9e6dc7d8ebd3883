"""The ledger's writes that move a message along the state machine (``bridge.store.machine``
says which moves are allowed; this module reads the row, asks it, and writes)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, literal, select, update

from bridge.errors import RowClaimed, StoreError
from bridge.model import MessageKey
from bridge.states import (
    CREATED,
    DUPLICATE,
    FAILED,
    FINISHED,
    PARSED,
    PUSHING,
    QUARANTINED,
    RECEIVED,
    SKIPPED,
)
from bridge.store.base import LedgerBase, utc_now
from bridge.store.machine import Standing, check_move
from bridge.store.record import ERROR_MAX, SUBJECT_MAX, MessageRecord, clip, join_keys, to_record
from bridge.store.schema import UtcText, messages, raw_messages

log = logging.getLogger(__name__)


class LedgerMoves(LedgerBase):
    """Recording a message and every step it takes."""

    def add_received(
        self, folder: str, uidvalidity: int, uid: int, message_id: str | None, identity: str,
        origin_id: str, subject: str, msg_date: datetime | None, raw: bytes,
        at: datetime | None = None, lookup_first: bool = False,
    ) -> MessageRecord:
        """Record a fetched message with its bytes; the same key again returns the first row.

        ``lookup_first``: a lead may exist already (a first pass, mail already ``\\Seen``):
        the pipeline looks it up by ORIGIN_ID before it creates one.
        """
        at = at or utc_now()
        with self._write() as conn:
            existing = conn.execute(self._key_query(folder, uidvalidity, uid)).first()
            if existing is not None:
                return to_record(existing)
            taken = conn.execute(
                select(messages.c.id).where(messages.c.origin_id == origin_id)
            ).scalar()
            if taken is not None:
                raise StoreError(
                    f"origin id {origin_id} already belongs to message {taken}; "
                    "look the message up by identity and rebind it instead"
                )
            new_id = conn.execute(
                insert(messages).values(
                    folder=folder, uidvalidity=uidvalidity, uid=uid, message_id=message_id,
                    identity=identity, origin_id=origin_id, state=RECEIVED,
                    mailbox_state="pending", attempts=0,
                    subject=clip(" ".join((subject or "").split()), SUBJECT_MAX),
                    msg_date=msg_date, received_at=at, updated_at=at, client_keys="",
                    lookup_first=int(lookup_first),
                ).returning(messages.c.id)
            ).scalar_one()
            conn.execute(insert(raw_messages).values(id=new_id, raw=raw))
            return self._get_or_fail(conn, new_id)

    def rebind(self, id: int, folder: str, uidvalidity: int, uid: int) -> MessageRecord:
        """Move a known message to the key it has now (UIDVALIDITY reset, moved back)."""
        with self._write() as conn:
            record = self._get_or_fail(conn, id)
            other = conn.execute(
                select(messages.c.id).where(
                    messages.c.folder == folder,
                    messages.c.uidvalidity == uidvalidity,
                    messages.c.uid == uid,
                    messages.c.id != id,
                )
            ).scalar()
            if other is not None:
                raise StoreError(f"message {id}: {folder}/{uidvalidity}/{uid} is message {other}")
            if record.key != MessageKey(folder, uidvalidity, uid):
                conn.execute(
                    update(messages)
                    .where(messages.c.id == id)
                    .values(folder=folder, uidvalidity=uidvalidity, uid=uid)
                )
            return self._get_or_fail(conn, id)

    def set_parsed(
        self, id: int, client_keys: Iterable[str] | str, content_digest: str,
        at: datetime | None = None,
    ) -> MessageRecord:
        """Parsed: remember the client keys ("phone:+7...", "email:...") and content digest."""
        at = at or utc_now()
        return self._move(
            id, PARSED, at,
            client_keys=join_keys(client_keys), content_digest=content_digest, parsed_at=at,
        )

    def set_pushing(self, id: int, at: datetime | None = None) -> MessageRecord:
        """About to call the CRM: from now on a lead may exist and must be looked up first."""
        at = at or utc_now()
        first = func.coalesce(messages.c.push_started_at, literal(at, UtcText()))
        return self._move(id, PUSHING, at, push_started_at=first)

    def claim_push(self, id: int, at: datetime | None = None) -> MessageRecord:
        """``set_pushing`` as a compare-and-set: only a row that is not being pushed already
        can be claimed, so two processes never both send one row (RowClaimed otherwise)."""
        at = at or utc_now()
        with self._write(at) as conn:
            first = func.coalesce(messages.c.push_started_at, literal(at, UtcText()))
            claimed = conn.execute(
                update(messages)
                .where(
                    messages.c.id == id,
                    messages.c.state == PARSED,
                    messages.c.content_digest.is_not(None),
                )
                .values(state=PUSHING, updated_at=at, push_started_at=first)
            ).rowcount
            record = self._get_or_fail(conn, id)
        if claimed != 1:
            raise RowClaimed(f"message {id} is {record.state}: another process has it")
        return record

    def clear_lookup(self, ids: Sequence[int], at: datetime | None = None) -> None:
        """The lookup found no lead for these rows: they may be sent like new mail."""
        if not ids:
            return
        with self._write(at) as conn:
            conn.execute(
                update(messages).where(messages.c.id.in_(list(ids))).values(lookup_first=0)
            )

    def set_created(self, id: int, lead_id: int, at: datetime | None = None) -> MessageRecord:
        """The lead exists (created, or found by ORIGIN_ID)."""
        return self._move(
            id, CREATED, at or utc_now(), lead_id=lead_id, next_attempt_at=None, reason=None
        )

    def set_skipped(self, id: int, reason: str, at: datetime | None = None) -> MessageRecord:
        """Not a lead, with the reason (bounce, auto-reply, spam, sender not allowed, ...)."""
        return self._move(id, SKIPPED, at or utc_now(), reason=reason, next_attempt_at=None)

    def set_duplicate(
        self, id: int, of_id: int, lead_id: int | None, at: datetime | None = None
    ) -> MessageRecord:
        """A double click of message ``of_id`` (whose lead is ``lead_id``)."""
        if of_id == id:
            raise StoreError(f"message {id} cannot be a duplicate of itself")
        return self._move(
            id, DUPLICATE, at or utc_now(),
            _require=of_id, duplicate_of=of_id, lead_id=lead_id, next_attempt_at=None,
            reason="double click",
        )

    def set_failed(
        self, id: int, error: str, next_attempt_at: datetime, at: datetime | None = None
    ) -> MessageRecord:
        """A temporary failure: count the attempt and say when to try again."""
        return self._move(
            id, FAILED, at or utc_now(),
            error=clip(error, ERROR_MAX), next_attempt_at=next_attempt_at,
            attempts=messages.c.attempts + 1,
        )

    def set_unknown(
        self, id: int, error: str, sent_at: datetime, next_attempt_at: datetime,
        at: datetime | None = None,
    ) -> MessageRecord:
        """A write whose outcome is unknown: like ``set_failed``, and remember when its last
        byte was sent, so no lookup runs before the portal has finished with it."""
        return self._move(
            id, FAILED, at or utc_now(),
            error=clip(error, ERROR_MAX), next_attempt_at=next_attempt_at,
            attempts=messages.c.attempts + 1, sent_at=sent_at,
        )

    def set_quarantined(self, id: int, reason: str, at: datetime | None = None) -> MessageRecord:
        """Needs a person: kept (with its bytes) until ``retry``."""
        return self._move(id, QUARANTINED, at or utc_now(), reason=reason, next_attempt_at=None)

    def set_mailbox_done(self, id: int, how: str, at: datetime | None = None) -> MessageRecord:
        """The mail was marked or moved (``how``: "moved", "marked", ...); drops the bytes."""
        at = at or utc_now()
        with self._write() as conn:
            record = self._get_or_fail(conn, id)
            if record.state not in FINISHED:
                raise StoreError(
                    f"message {id} is {record.state}: its mailbox copy may be marked or moved "
                    "only after its outcome is committed"
                )
            conn.execute(
                update(messages)
                .where(messages.c.id == id)
                .values(mailbox_state="done", mailbox_how=how, mailbox_at=at, updated_at=at)
            )
            # finished, so never quarantined: a quarantined message keeps its bytes for retry
            conn.execute(delete(raw_messages).where(raw_messages.c.id == id))
            return self._get_or_fail(conn, id)

    def set_mailbox_gone(self, id: int, at: datetime | None = None) -> MessageRecord:
        """The mail vanished from the server; the bytes stay while there is work left."""
        at = at or utc_now()
        with self._write() as conn:
            record = self._get_or_fail(conn, id)
            conn.execute(
                update(messages)
                .where(messages.c.id == id)
                .values(mailbox_state="gone", mailbox_how="gone", mailbox_at=at, updated_at=at)
            )
            if record.state in FINISHED:
                conn.execute(delete(raw_messages).where(raw_messages.c.id == id))
            return self._get_or_fail(conn, id)

    def retry(
        self, ids: Sequence[int] | None = None, at: datetime | None = None
    ) -> list[MessageRecord]:
        """Make failed/quarantined messages (``None``: all of them) due now, from the start.

        They go back to "received" with attempts reset, so they are parsed again (the label
        rules may have changed); ``reason``/``error`` still say why they had stopped.
        Returns the messages that changed; other ids are ignored.
        """
        at = at or utc_now()
        where: ColumnElement[bool] = messages.c.state.in_((FAILED, QUARANTINED))
        if ids is not None:
            if not ids:
                return []
            where = where & messages.c.id.in_(list(ids))
        with self._write() as conn:
            chosen = list(conn.execute(select(messages.c.id).where(where)).scalars())
            if chosen:
                conn.execute(
                    update(messages)
                    .where(messages.c.id.in_(chosen))
                    .values(state=RECEIVED, attempts=0, next_attempt_at=None, updated_at=at)
                )
            rows = conn.execute(
                select(messages).where(messages.c.id.in_(chosen)).order_by(messages.c.id)
            )
            result = [to_record(r) for r in rows]
        if result:
            log.info("retry scheduled count=%s", len(result))
        return result

    def _move(
        self, id: int, state: str, at: datetime, *, _require: int | None = None, **values: Any
    ) -> MessageRecord:
        """Read the row, let the state machine judge the move, write it: one transaction."""
        with self._write(at) as conn:
            row = conn.execute(
                select(
                    messages.c.state, messages.c.push_started_at, messages.c.content_digest,
                    messages.c.lookup_first,
                )
                .where(messages.c.id == id)
            ).first()
            if row is None:
                raise StoreError(f"message {id} is not in the ledger")
            standing = Standing(row.state, row.push_started_at, row.content_digest,
                                bool(row.lookup_first))
            check_move(id, standing, state, digest_given="content_digest" in values)
            if _require is not None and self._get(conn, _require) is None:
                raise StoreError(f"message {_require} is not in the ledger")
            conn.execute(
                update(messages)
                .where(messages.c.id == id)
                .values(state=state, updated_at=at, **values)
            )
            record = self._get_or_fail(conn, id)
            if record.finished and record.mailbox_state == "gone":
                # the mail vanished before it finished: no mailbox step will drop the bytes
                conn.execute(delete(raw_messages).where(raw_messages.c.id == id))
            return record
