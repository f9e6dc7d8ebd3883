"""The ledger's questions: lookups, the pipeline's queries, status numbers, folders and the
key/value ``meta`` table."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, or_, select

from bridge.states import (
    CREATED,
    DUPLICATE,
    FAILED,
    FINISHED,
    IN_PROGRESS,
    PUSHING,
    QUARANTINED,
    STATES,
)
from bridge.store import postgres
from bridge.store.base import LedgerBase, utc_now
from bridge.store.record import MessageRecord, join_keys, to_record
from bridge.store.schema import folders, messages, meta, raw_messages


class LedgerQueries(LedgerBase):
    """Reading the ledger back (and the two small tables beside the messages)."""

    # ---- folders

    def folder_state(self, folder: str) -> tuple[int, int] | None:
        """``(uidvalidity, last_uid)`` seen last in ``folder``, or None on a first run."""
        with self._read() as conn:
            row = conn.execute(
                select(folders.c.uidvalidity, folders.c.last_uid).where(folders.c.folder == folder)
            ).first()
        return None if row is None else (row.uidvalidity, row.last_uid)

    def set_folder_state(self, folder: str, uidvalidity: int, last_uid: int) -> None:
        """Remember the folder's UIDVALIDITY and highest handled UID (never lowered)."""
        stmt = postgres.upsert(self._engine, folders).values(
            folder=folder, uidvalidity=uidvalidity, last_uid=last_uid
        )
        same = folders.c.uidvalidity == stmt.excluded.uidvalidity
        stmt = stmt.on_conflict_do_update(
            index_elements=[folders.c.folder],
            set_={
                "uidvalidity": stmt.excluded.uidvalidity,
                "last_uid": case(
                    (same, postgres.greatest(
                        self._engine, folders.c.last_uid, stmt.excluded.last_uid)),
                    else_=stmt.excluded.last_uid,
                ),
            },
        )
        with self._write() as conn:
            conn.execute(stmt)

    # ---- lookups

    def by_id(self, id: int) -> MessageRecord | None:
        with self._read() as conn:
            return self._get(conn, id)

    def by_key(self, folder: str, uidvalidity: int, uid: int) -> MessageRecord | None:
        with self._read() as conn:
            row = conn.execute(self._key_query(folder, uidvalidity, uid)).first()
        return None if row is None else to_record(row)

    def by_identity(self, identity: str) -> MessageRecord | None:
        """The first message with this identity (Message-ID + content hash)."""
        with self._read() as conn:
            row = conn.execute(
                select(messages).where(messages.c.identity == identity).order_by(messages.c.id)
            ).first()
        return None if row is None else to_record(row)

    def all_messages(self, limit: int | None = None) -> list[MessageRecord]:
        """Every message, oldest first (``limit``: the newest ``limit`` of them)."""
        query = select(messages).order_by(messages.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return sorted((to_record(r) for r in conn.execute(query)), key=lambda r: r.id)

    def newest_lead(self) -> MessageRecord | None:
        """The most recently recorded message that has a lead (for reading a lead back)."""
        query = (
            select(messages)
            .where((messages.c.state == CREATED) & messages.c.lead_id.is_not(None))
            .order_by(messages.c.id.desc())
            .limit(1)
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else to_record(row)

    def raw(self, id: int) -> bytes | None:
        """The message's bytes, while they are kept (until the mailbox is done)."""
        with self._read() as conn:
            value = conn.execute(
                select(raw_messages.c.raw).where(raw_messages.c.id == id)
            ).scalar_one_or_none()
        return None if value is None else bytes(value)

    # ---- the pipeline's questions

    def find_double_click(
        self,
        client_keys: Iterable[str] | str,
        content_digest: str,
        msg_date: datetime | None,
        window: timedelta,
        exclude_id: int | None = None,
    ) -> MessageRecord | None:
        """The original message this one double-clicks, if any.

        A match is another message in state created, pushing, failed or duplicate with the same
        content digest, at least one shared client key and a ``msg_date`` within ``window``.
        A match that is itself a duplicate leads to its original, which is returned.
        """
        keys = set(join_keys(client_keys).split("|")) - {""}
        if not keys or msg_date is None or window <= timedelta(0):
            return None
        query = select(messages).where(
            messages.c.content_digest == content_digest,
            # FAILED: its push failed for now, but it will become the lead; a repeat that
            # arrives meanwhile must not make a second one.
            messages.c.state.in_((CREATED, PUSHING, DUPLICATE, FAILED)),
            messages.c.msg_date >= msg_date - window,
            messages.c.msg_date <= msg_date + window,
        )
        if exclude_id is not None:
            query = query.where(messages.c.id != exclude_id)
        with self._read() as conn:
            matches = [
                r for r in map(to_record, conn.execute(query)) if keys & set(r.client_keys)
            ]
            originals: dict[int, MessageRecord] = {}
            for r in matches:
                seen: set[int] = set()
                while r.state == DUPLICATE and r.duplicate_of is not None and r.id not in seen:
                    seen.add(r.id)
                    parent = self._get(conn, r.duplicate_of)
                    if parent is None:
                        break
                    r = parent
                if r.id != exclude_id:
                    originals[r.id] = r
        if not originals:
            return None
        far_past = datetime.min.replace(tzinfo=UTC)
        return min(originals.values(), key=lambda r: (r.msg_date or far_past, r.id))

    def due(self, now: datetime | None = None) -> list[MessageRecord]:
        """Work to resume, by id: failed and due, left mid-way by a crash, mailbox pending."""
        at = now or utc_now()
        query = (
            select(messages)
            .where(
                or_(
                    (messages.c.state == FAILED)
                    & (messages.c.next_attempt_at.is_(None) | (messages.c.next_attempt_at <= at)),
                    messages.c.state.in_(tuple(IN_PROGRESS)),
                    messages.c.state.in_(tuple(FINISHED)) & (messages.c.mailbox_state == "pending"),
                )
            )
            .order_by(messages.c.id)
        )
        with self._read() as conn:
            return [to_record(r) for r in conn.execute(query)]

    def next_attempt(self) -> datetime | None:
        """The earliest time a failed message is due again (None: none waits)."""
        query = select(func.min(messages.c.next_attempt_at)).where(messages.c.state == FAILED)
        with self._read() as conn:
            value = conn.execute(query).scalar()
        if isinstance(value, str):  # an aggregate loses the column's type
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value

    # ---- status

    def counts(self) -> dict[str, int]:
        """Messages per state, every state present (zeros included)."""
        counts: dict[str, int] = {str(s): 0 for s in STATES}
        with self._read() as conn:
            for state, n in conn.execute(
                select(messages.c.state, func.count()).group_by(messages.c.state)
            ):
                counts[state] = n
        return counts

    def recent_errors(self, limit: int = 5) -> list[MessageRecord]:
        """The newest failed or quarantined messages (subject, date, error/reason; no body)."""
        query = (
            select(messages)
            .where(messages.c.state.in_((FAILED, QUARANTINED)))
            .order_by(messages.c.updated_at.desc(), messages.c.id.desc())
            .limit(limit)
        )
        with self._read() as conn:
            return [to_record(r) for r in conn.execute(query)]

    def oldest_waiting(self, now: datetime | None = None) -> timedelta | None:
        """Age of the oldest message with work left (quarantined ones wait for a person)."""
        at = now or utc_now()
        query = select(func.min(messages.c.received_at)).where(
            or_(
                messages.c.state.in_((*IN_PROGRESS, FAILED)),
                messages.c.state.in_(tuple(FINISHED)) & (messages.c.mailbox_state == "pending"),
            )
        )
        with self._read() as conn:
            oldest = conn.execute(query).scalar()
        return None if oldest is None else max(at - oldest, timedelta(0))

    def changed_since(
        self, since: datetime, states: Iterable[str], limit: int = 1000
    ) -> list[MessageRecord]:
        """Messages in ``states`` whose state changed at or after ``since`` (oldest first)."""
        query = (
            select(messages)
            .where(messages.c.state.in_(tuple(states)), messages.c.updated_at >= since)
            .order_by(messages.c.updated_at, messages.c.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [to_record(r) for r in conn.execute(query)]

    # ---- meta

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._read() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        stmt = postgres.upsert(self._engine, meta).values(key=key, value=value)
        stmt = stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
        with self._write() as conn:
            conn.execute(stmt)
