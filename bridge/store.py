"""The SQLite ledger: the state machine behind "one form email, exactly one lead".

Every step of a message is committed here before the next side effect (a CRM call, a mailbox
move), so a process killed at any instant resumes from the last committed state::

    received -> parsed -> pushing -> created          (then mailbox_state: pending -> done)
         |         |          |
         |         |          +-> failed (temporary, retried with backoff) -> ... -> quarantined
         |         +-> duplicate (double click of an earlier message) | skipped (not a lead)
         +-> skipped | failed | quarantined (needs a person; ``retry`` runs it again)

``TRANSITIONS`` below is the full table; created, skipped and duplicate are terminal.

``mailbox_state`` is orthogonal: "pending" until the mail was marked or moved ("done"), or
"gone" when it vanished from the server. The raw bytes are kept until the mailbox is done, so a
retry or a quarantined message can be parsed again without the mailbox.

``lookup_first`` marks a row a lead may exist for although no push of ours began (a first
pass over a folder, mail already ``\\Seen``, a restored ledger: ``bridge.firstpass``); every
write transaction also steps the ledger generation (``bridge.generation``), and
``claim_push`` is the compare-and-set that lets only one process send a row.

Two processes may open the same ledger (``status``/``retry`` while the daemon runs): WAL,
a busy timeout, short write transactions taken with ``BEGIN IMMEDIATE``. Callers only ever see
frozen ``MessageRecord`` values, never rows or sessions. Times are timezone-aware UTC and are
passed in (``at``/``now``); the clock is read only as a default.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError

from bridge import generation, ledgerdb
from bridge.errors import LedgerCorrupt, RowClaimed, StoreError
from bridge.model import MessageKey
from bridge.states import (
    CREATED,
    DUPLICATE,
    FAILED,
    FINISHED,
    IN_PROGRESS,
    PARSED,
    PUSHING,
    QUARANTINED,
    RECEIVED,
    SKIPPED,
    STATES,
    TRANSITIONS,
)

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------- states
# The vocabulary and the transition table live in bridge.states (imported above).

SUBJECT_MAX = 200
ERROR_MAX = 2000
BUSY_TIMEOUT_MS = 15_000
FILE_MODE = 0o600  # the ledger holds raw mail; SQLite gives its -wal and -shm the same mode


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


# ---------------------------------------------------------------------------- schema


class _UtcText(TypeDecorator[datetime]):
    """Aware datetimes stored as sortable UTC text (``2026-11-30 14:30:27.000000``)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"the ledger takes timezone-aware datetimes, got {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def process_result_value(self, value: str | None, dialect: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


_meta = MetaData()
messages = Table(
    "messages",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("folder", String, nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),  # unsigned 32-bit in IMAP
    Column("uid", BigInteger, nullable=False),
    Column("message_id", String),
    Column("identity", String, nullable=False),
    Column("origin_id", String, nullable=False, unique=True),
    Column("state", String, nullable=False),
    Column("mailbox_state", String, nullable=False),
    Column("mailbox_how", String),
    Column("lead_id", BigInteger),
    Column("duplicate_of", Integer, ForeignKey("messages.id")),
    Column("reason", String),
    Column("error", String),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", _UtcText),
    Column("subject", String, nullable=False),
    Column("msg_date", _UtcText),
    Column("received_at", _UtcText, nullable=False),
    Column("updated_at", _UtcText, nullable=False),
    Column("client_keys", String, nullable=False),
    Column("content_digest", String),
    Column("parsed_at", _UtcText),
    Column("push_started_at", _UtcText),
    Column("mailbox_at", _UtcText),
    Column("sent_at", _UtcText),
    Column("lookup_first", Integer, nullable=False),
    UniqueConstraint("folder", "uidvalidity", "uid"),
)
raw_messages = Table(
    "raw_messages",
    _meta,
    Column("id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("raw", LargeBinary, nullable=False),
)
folders = Table(
    "folders",
    _meta,
    Column("folder", String, primary_key=True),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),
)
meta = Table(
    "meta",
    _meta,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)

# Ordered migrations: MIGRATIONS[n] takes a ledger from PRAGMA user_version n to n + 1.
# Never edit a released entry; append a new one (e.g. "ALTER TABLE messages ADD COLUMN ...").
# The Table objects above describe the schema after the last migration.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            message_id TEXT,
            identity TEXT NOT NULL,
            origin_id TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL,
            mailbox_state TEXT NOT NULL DEFAULT 'pending',
            mailbox_how TEXT,
            lead_id INTEGER,
            duplicate_of INTEGER REFERENCES messages(id),
            reason TEXT,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            subject TEXT NOT NULL DEFAULT '',
            msg_date TEXT,
            received_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            client_keys TEXT NOT NULL DEFAULT '',
            content_digest TEXT,
            parsed_at TEXT,
            push_started_at TEXT,
            mailbox_at TEXT,
            UNIQUE (folder, uidvalidity, uid)
        )""",
        "CREATE INDEX ix_messages_identity ON messages (identity)",
        "CREATE INDEX ix_messages_due ON messages (state, next_attempt_at)",
        "CREATE INDEX ix_messages_digest ON messages (content_digest)",
        """CREATE TABLE raw_messages (
            id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
            raw BLOB NOT NULL
        )""",
        """CREATE TABLE folders (
            folder TEXT PRIMARY KEY,
            uidvalidity INTEGER NOT NULL,
            last_uid INTEGER NOT NULL
        )""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    # an unknown outcome is looked up only bitrix24.max_request_seconds after its last byte
    ("ALTER TABLE messages ADD COLUMN sent_at TEXT",),
    (
        # 1 = a lead may already exist for this row although no push of ours began (first
        # pass over a folder, mail already \Seen, a restored ledger): look it up first
        "ALTER TABLE messages ADD COLUMN lookup_first INTEGER NOT NULL DEFAULT 0",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


def _now() -> datetime:
    return datetime.now(UTC)


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _join_keys(keys: Iterable[str] | str) -> str:
    items = [k for k in keys.split("|")] if isinstance(keys, str) else list(keys)
    clean = sorted({k.strip() for k in items if k.strip()})
    for k in clean:
        if "|" in k:
            raise ValueError(f"a client key must not contain '|': {k!r}")
    return "|".join(clean)


def _record(row: Any) -> MessageRecord:
    m = row._mapping
    keys = m["client_keys"]
    return MessageRecord(
        id=m["id"],
        folder=m["folder"],
        uidvalidity=m["uidvalidity"],
        uid=m["uid"],
        message_id=m["message_id"],
        identity=m["identity"],
        origin_id=m["origin_id"],
        state=m["state"],
        mailbox_state=m["mailbox_state"],
        mailbox_how=m["mailbox_how"],
        lead_id=m["lead_id"],
        duplicate_of=m["duplicate_of"],
        reason=m["reason"],
        error=m["error"],
        attempts=m["attempts"],
        next_attempt_at=m["next_attempt_at"],
        subject=m["subject"],
        msg_date=m["msg_date"],
        received_at=m["received_at"],
        updated_at=m["updated_at"],
        client_keys=tuple(keys.split("|")) if keys else (),
        content_digest=m["content_digest"],
        parsed_at=m["parsed_at"],
        push_started_at=m["push_started_at"],
        mailbox_at=m["mailbox_at"],
        sent_at=m["sent_at"],
        lookup_first=bool(m["lookup_first"]),
    )


# ---------------------------------------------------------------------------- the ledger


class Ledger:
    """The message ledger on one SQLite file. Open with ``Ledger.open(path)``."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self._schema = ""  # a mailbox's own schema on PostgreSQL (open_url)
        self._engine = engine
        self._writer = engine.execution_options(mailbridge_write=True)
        self._stamp_path = generation.generation_path_for(path)
        self._inode = _file_id(path)
        self._session: str | None = None

    # ---- opening

    @classmethod
    def open(cls, path: str | Path) -> Ledger:
        """Open (creating it and its folder if needed) and migrate the ledger at ``path``."""
        path = Path(path).expanduser().absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"ledger {path}: cannot create its folder: {exc.strerror}") from exc
        if path.is_dir():
            raise StoreError(f"ledger {path} is a folder; store.path must name a file")
        _create_private(path)
        engine = create_engine(
            URL.create("sqlite", database=str(path)),  # no URL quoting trouble with odd names
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _on_connect)
        event.listen(engine, "begin", _on_begin)
        ledger = cls(path, engine)
        try:
            ledger._migrate()
        except StoreError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            if _corrupt(exc):
                raise _corrupt_error(path, _cause(exc)) from exc
            raise StoreError(f"ledger {path} cannot be used: {_cause(exc)}") from exc
        log.debug("ledger opened path=%s schema=%s", path, SCHEMA_VERSION)
        return ledger

    @classmethod
    def open_url(cls, url: str, path: str | Path, schema: str = "") -> Ledger:
        """Open and migrate the ledger on PostgreSQL at ``url`` (``store.url``); ``path``
        (``store.path``) names this host's files beside it (lock, health file); ``schema``
        holds one mailbox's ledger when several share the database."""
        from bridge.storeurl import masked

        path = Path(path).expanduser().absolute()
        engine = ledgerdb.pg_engine(url, schema)
        ledger = cls(path, engine)
        ledger._schema = schema
        try:
            ledger._migrate()
        except StoreError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(
                f"ledger {masked(url)} cannot be used: {ledgerdb.cause(exc)}"
            ) from exc
        log.debug("ledger opened url=%s schema=%s", masked(url), SCHEMA_VERSION)
        return ledger

    def reopen(self) -> None:
        """After ``close``: open what is at ``path`` now, in place (a new ledger if nothing
        is there), so every holder of this object goes on with the new file."""
        _create_private(self.path)
        self._inode = _file_id(self.path)
        try:
            self._migrate()
        except SQLAlchemyError as exc:
            if _corrupt(exc):
                raise _corrupt_error(self.path, _cause(exc)) from exc
            raise StoreError(f"ledger {self.path} cannot be used: {_cause(exc)}") from exc
        log.info("ledger.reopened path=%s", self.path)

    def replaced(self) -> bool:
        """True when ``path`` no longer names the file this ledger opened (deleted, moved
        away, or another file put in its place): reopen it, never write into a lost file."""
        return _file_id(self.path) != self._inode

    def open_session(self, at: datetime | None = None) -> int:
        """The processor (lock holder) starts; see ``bridge.generation.open_session``."""
        self._session = uuid.uuid4().hex
        with self._write(at) as conn:
            return generation.open_session(
                conn, self._session, (at or _now()).isoformat(timespec="seconds")
            )

    def close_session(self) -> None:
        """The processor stops cleanly (call before ``close``)."""
        if self._session is not None:
            with self._write() as conn:
                generation.close_session(conn, self._session)
            self._session = None

    def begin_pass(self, at: datetime | None = None) -> None:
        """One write at the start of a pass: it compares the ledger's generation with the
        file beside it (see ``bridge.generation``) before anything is read for the pass."""
        with self._write(at):
            pass

    def close(self) -> None:
        """Close every connection (the file stays consistent whenever the process dies)."""
        self._session = None  # a closed ledger's session is no longer ours to end
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """The file's ``PRAGMA user_version`` (PostgreSQL: ``mailbridge_schema``)."""
        with self._read() as conn:
            if ledgerdb.is_postgres(conn):
                return ledgerdb.pg_version(conn)
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())

    def _migrate_pg(self) -> None:
        with self._writer.connect() as conn, conn.begin():
            try:
                applied = ledgerdb.migrate_pg(
                    conn, _meta, len(MIGRATIONS), self._schema
                )
            except (ledgerdb.SchemaTooNew, ledgerdb.ForeignDatabase) as exc:
                raise StoreError(f"the PostgreSQL ledger cannot be used: {exc}") from None
        for version in applied:
            log.info("ledger migrated backend=postgresql version=%s", version)

    def _migrate(self) -> None:
        if ledgerdb.is_postgres(self._engine):
            return self._migrate_pg()
        migrations = MIGRATIONS  # read at call time, so a test can append one
        latest = len(migrations)
        with self._writer.connect() as conn, conn.begin():
            version = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
            if version > latest:
                raise LedgerCorrupt(
                    f"ledger {self.path} has schema version {version}, newer than this "
                    f"mailbridge knows ({latest}); upgrade mailbridge"
                )
            if version == 0:
                foreign = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' LIMIT 1"
                ).scalar()
                if foreign is not None:
                    raise LedgerCorrupt(
                        f"ledger {self.path} is an SQLite file of another program (it has a "
                        f"table {foreign!r}); point store.path at a new file"
                    )
            for number in range(version, latest):
                for statement in migrations[number]:
                    conn.exec_driver_sql(statement)
                conn.exec_driver_sql(f"PRAGMA user_version = {number + 1}")
                log.info("ledger migrated path=%s version=%s", self.path, number + 1)

    # ---- transactions

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise self._translate(exc) from exc

    @contextmanager
    def _write(self, at: datetime | None = None) -> Iterator[Connection]:
        """One short ``BEGIN IMMEDIATE`` transaction, committed on success.

        It first steps the ledger generation (``bridge.generation``): a mismatch marks the
        ledger for a first pass in this same transaction, and the file beside the ledger is
        advanced before the commit.
        """
        try:
            with self._writer.connect() as conn, conn.begin():
                stamp_at = (at or _now()).astimezone(UTC).isoformat(timespec="seconds")
                stamp = generation.step(conn, self._stamp_path, stamp_at)
                yield conn
                try:
                    generation.write_stamp(self._stamp_path, stamp)  # before the COMMIT
                except OSError as exc:
                    raise StoreError(
                        f"ledger {self.path}: cannot write {self._stamp_path}: {exc.strerror}"
                    ) from exc
        except SQLAlchemyError as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: SQLAlchemyError) -> Exception:
        # a caller's bug (a naive datetime) stays a ValueError; the database's trouble is ours
        if (
            isinstance(exc, StatementError)
            and not isinstance(exc, DBAPIError)
            and isinstance(exc.orig, ValueError)
        ):
            return exc.orig
        if _corrupt(exc):
            return _corrupt_error(self.path, _cause(exc))
        return StoreError(f"ledger {self.path}: {_cause(exc)}")

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
        stmt = ledgerdb.upsert(self._engine, folders).values(
            folder=folder, uidvalidity=uidvalidity, last_uid=last_uid
        )
        same = folders.c.uidvalidity == stmt.excluded.uidvalidity
        stmt = stmt.on_conflict_do_update(
            index_elements=[folders.c.folder],
            set_={
                "uidvalidity": stmt.excluded.uidvalidity,
                "last_uid": case(
                    (same, ledgerdb.greatest(
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

    @staticmethod
    def _key_query(folder: str, uidvalidity: int, uid: int) -> Any:
        return select(messages).where(
            messages.c.folder == folder,
            messages.c.uidvalidity == uidvalidity,
            messages.c.uid == uid,
        )

    def by_key(self, folder: str, uidvalidity: int, uid: int) -> MessageRecord | None:
        with self._read() as conn:
            row = conn.execute(self._key_query(folder, uidvalidity, uid)).first()
        return None if row is None else _record(row)

    def by_identity(self, identity: str) -> MessageRecord | None:
        """The first message with this identity (Message-ID + content hash)."""
        with self._read() as conn:
            row = conn.execute(
                select(messages).where(messages.c.identity == identity).order_by(messages.c.id)
            ).first()
        return None if row is None else _record(row)

    def all_messages(self, limit: int | None = None) -> list[MessageRecord]:
        """Every message, oldest first (``limit``: the newest ``limit`` of them)."""
        query = select(messages).order_by(messages.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return sorted((_record(r) for r in conn.execute(query)), key=lambda r: r.id)

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
        return None if row is None else _record(row)

    def raw(self, id: int) -> bytes | None:
        """The message's bytes, while they are kept (until the mailbox is done)."""
        with self._read() as conn:
            return conn.execute(
                select(raw_messages.c.raw).where(raw_messages.c.id == id)
            ).scalar_one_or_none()

    # ---- the state machine

    def add_received(
        self,
        folder: str,
        uidvalidity: int,
        uid: int,
        message_id: str | None,
        identity: str,
        origin_id: str,
        subject: str,
        msg_date: datetime | None,
        raw: bytes,
        at: datetime | None = None,
        lookup_first: bool = False,
    ) -> MessageRecord:
        """Record a fetched message with its bytes; the same key again returns the first row.

        ``lookup_first``: a lead may exist already (a first pass, mail already ``\\Seen``):
        the pipeline looks it up by ORIGIN_ID before it creates one.
        """
        at = at or _now()
        with self._write() as conn:
            existing = conn.execute(self._key_query(folder, uidvalidity, uid)).first()
            if existing is not None:
                return _record(existing)
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
                    folder=folder,
                    uidvalidity=uidvalidity,
                    uid=uid,
                    message_id=message_id,
                    identity=identity,
                    origin_id=origin_id,
                    state=RECEIVED,
                    mailbox_state="pending",
                    attempts=0,
                    subject=_clip(" ".join((subject or "").split()), SUBJECT_MAX),
                    msg_date=msg_date,
                    received_at=at,
                    updated_at=at,
                    client_keys="",
                    lookup_first=int(lookup_first),
                )
            ).inserted_primary_key[0]
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
        self,
        id: int,
        client_keys: Iterable[str] | str,
        content_digest: str,
        at: datetime | None = None,
    ) -> MessageRecord:
        """Parsed: remember the client keys ("phone:+7...", "email:...") and content digest."""
        at = at or _now()
        return self._move(
            id, PARSED, at,
            client_keys=_join_keys(client_keys), content_digest=content_digest, parsed_at=at,
        )

    def set_pushing(self, id: int, at: datetime | None = None) -> MessageRecord:
        """About to call the CRM: from now on a lead may exist and must be looked up first."""
        at = at or _now()
        first = func.coalesce(messages.c.push_started_at, literal(at, _UtcText()))
        return self._move(id, PUSHING, at, push_started_at=first)

    def claim_push(self, id: int, at: datetime | None = None) -> MessageRecord:
        """``set_pushing`` as a compare-and-set: only a row that is not being pushed already
        can be claimed, so two processes never both send one row (RowClaimed otherwise)."""
        at = at or _now()
        with self._write(at) as conn:
            first = func.coalesce(messages.c.push_started_at, literal(at, _UtcText()))
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
            id, CREATED, at or _now(), lead_id=lead_id, next_attempt_at=None, reason=None
        )

    def set_skipped(self, id: int, reason: str, at: datetime | None = None) -> MessageRecord:
        """Not a lead, with the reason (bounce, auto-reply, spam, sender not allowed, ...)."""
        return self._move(id, SKIPPED, at or _now(), reason=reason, next_attempt_at=None)

    def set_duplicate(
        self, id: int, of_id: int, lead_id: int | None, at: datetime | None = None
    ) -> MessageRecord:
        """A double click of message ``of_id`` (whose lead is ``lead_id``)."""
        if of_id == id:
            raise StoreError(f"message {id} cannot be a duplicate of itself")
        return self._move(
            id, DUPLICATE, at or _now(),
            _require=of_id, duplicate_of=of_id, lead_id=lead_id, next_attempt_at=None,
            reason="double click",
        )

    def set_failed(
        self, id: int, error: str, next_attempt_at: datetime, at: datetime | None = None
    ) -> MessageRecord:
        """A temporary failure: count the attempt and say when to try again."""
        return self._move(
            id, FAILED, at or _now(),
            error=_clip(error, ERROR_MAX), next_attempt_at=next_attempt_at,
            attempts=messages.c.attempts + 1,
        )

    def set_unknown(
        self, id: int, error: str, sent_at: datetime, next_attempt_at: datetime,
        at: datetime | None = None,
    ) -> MessageRecord:
        """A write whose outcome is unknown: like ``set_failed``, and remember when its last
        byte was sent, so no lookup runs before the portal has finished with it."""
        return self._move(
            id, FAILED, at or _now(),
            error=_clip(error, ERROR_MAX), next_attempt_at=next_attempt_at,
            attempts=messages.c.attempts + 1, sent_at=sent_at,
        )

    def next_attempt(self) -> datetime | None:
        """The earliest time a failed message is due again (None: none waits)."""
        query = select(func.min(messages.c.next_attempt_at)).where(messages.c.state == FAILED)
        with self._read() as conn:
            value = conn.execute(query).scalar()
        if isinstance(value, str):  # an aggregate loses the column's type
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value

    def set_quarantined(self, id: int, reason: str, at: datetime | None = None) -> MessageRecord:
        """Needs a person: kept (with its bytes) until ``retry``."""
        return self._move(id, QUARANTINED, at or _now(), reason=reason, next_attempt_at=None)

    def set_mailbox_done(self, id: int, how: str, at: datetime | None = None) -> MessageRecord:
        """The mail was marked or moved (``how``: "moved", "marked", ...); drops the bytes."""
        at = at or _now()
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
        at = at or _now()
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

    def _move(
        self, id: int, state: str, at: datetime, *, _require: int | None = None, **values: Any
    ) -> MessageRecord:
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
            current = row.state
            if state not in TRANSITIONS[current]:
                # pushing or finished: another process took the row (RowClaimed is a
                # StoreError, so a caller's own bug still reads as one)
                kind = RowClaimed if current == PUSHING or current in FINISHED else StoreError
                raise kind(f"message {id}: cannot go from {current} to {state}")
            if (
                state == CREATED and current != PUSHING and row.push_started_at is None
                and not row.lookup_first
            ):
                raise StoreError(
                    f"message {id}: cannot go from {current} to created: no push was started"
                )
            if state in (PUSHING, DUPLICATE) and "content_digest" not in values and (
                row.content_digest is None
            ):
                raise StoreError(f"message {id}: cannot go from {current} to {state}: not parsed")
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
        keys = set(_join_keys(client_keys).split("|")) - {""}
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
                r for r in map(_record, conn.execute(query)) if keys & set(r.client_keys)
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
        now = now or _now()
        query = (
            select(messages)
            .where(
                or_(
                    (messages.c.state == FAILED)
                    & (messages.c.next_attempt_at.is_(None) | (messages.c.next_attempt_at <= now)),
                    messages.c.state.in_(tuple(IN_PROGRESS)),
                    messages.c.state.in_(tuple(FINISHED)) & (messages.c.mailbox_state == "pending"),
                )
            )
            .order_by(messages.c.id)
        )
        with self._read() as conn:
            return [_record(r) for r in conn.execute(query)]

    def retry(
        self, ids: Sequence[int] | None = None, at: datetime | None = None
    ) -> list[MessageRecord]:
        """Make failed/quarantined messages (``None``: all of them) due now, from the start.

        They go back to "received" with attempts reset, so they are parsed again (the label
        rules may have changed); ``reason``/``error`` still say why they had stopped.
        Returns the messages that changed; other ids are ignored.
        """
        at = at or _now()
        where = messages.c.state.in_((FAILED, QUARANTINED))
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
            result = [_record(r) for r in rows]
        if result:
            log.info("retry scheduled count=%s", len(result))
        return result

    # ---- keeping personal data no longer than needed

    def forget_client_data(self, before: datetime, at: datetime | None = None) -> int:
        """Finished rows whose mail is done, last changed before ``before``, lose the client's
        data: subject, client keys, Message-ID, content digest and error text (the raw bytes
        went when the mail was done; any left are dropped). The row itself stays, with its
        identity hash and ORIGIN_ID, so the message is still known if it is ever seen again
        (and a message the ledger no longer knows is looked up first, SPEC §4).

        Returns the number of rows cleared. Freed pages are overwritten (``secure_delete``)
        and the WAL is checkpointed, so the old text does not linger in the files.
        """
        at = at or _now()
        old = (
            messages.c.state.in_(tuple(FINISHED))
            & (messages.c.mailbox_state != "pending")
            & (messages.c.updated_at < before)
            & (
                (messages.c.subject != "") | (messages.c.client_keys != "")
                | messages.c.message_id.is_not(None) | messages.c.content_digest.is_not(None)
                | messages.c.error.is_not(None)
            )
        )
        with self._read() as conn:  # most passes find nothing: no write transaction then
            if conn.execute(select(messages.c.id).where(old).limit(1)).first() is None:
                return 0
        sqlite = not ledgerdb.is_postgres(self._engine)  # PostgreSQL: VACUUM is the server's
        with self._write(at) as conn:
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete = ON")
            try:
                ids = list(conn.execute(select(messages.c.id).where(old)).scalars())
                for i in range(0, len(ids), 500):
                    part = ids[i : i + 500]
                    conn.execute(
                        update(messages).where(messages.c.id.in_(part)).values(
                            subject="", client_keys="", message_id=None, content_digest=None,
                            error=None,
                        )
                    )
                    conn.execute(delete(raw_messages).where(raw_messages.c.id.in_(part)))
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA secure_delete = OFF")
        if ids:
            if sqlite:
                self._checkpoint()
            log.info("ledger.client_data_forgotten rows=%s", len(ids))
        return len(ids)

    def _checkpoint(self) -> None:
        """Copy the WAL into the ledger and empty it (outside any transaction)."""
        raw = self._engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]  # sqlite3 has execute
        except sqlite3.Error as exc:  # busy readers: the next checkpoint does it
            log.warning("ledger.checkpoint_failed error=%s", exc)
        finally:
            raw.close()

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
            return [_record(r) for r in conn.execute(query)]

    def oldest_waiting(self, now: datetime | None = None) -> timedelta | None:
        """Age of the oldest message with work left (quarantined ones wait for a person)."""
        now = now or _now()
        query = select(func.min(messages.c.received_at)).where(
            or_(
                messages.c.state.in_((*IN_PROGRESS, FAILED)),
                messages.c.state.in_(tuple(FINISHED)) & (messages.c.mailbox_state == "pending"),
            )
        )
        with self._read() as conn:
            oldest = conn.execute(query).scalar()
        return None if oldest is None else max(now - oldest, timedelta(0))

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
            return [_record(r) for r in conn.execute(query)]

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._read() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        stmt = ledgerdb.upsert(self._engine, meta).values(key=key, value=value)
        stmt = stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
        with self._write() as conn:
            conn.execute(stmt)

    # ---- helpers

    @staticmethod
    def _get(conn: Connection, id: int) -> MessageRecord | None:
        row = conn.execute(select(messages).where(messages.c.id == id)).first()
        return None if row is None else _record(row)

    def _get_or_fail(self, conn: Connection, id: int) -> MessageRecord:
        record = self._get(conn, id)
        if record is None:
            raise StoreError(f"message {id} is not in the ledger")
        return record


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Take BEGIN out of sqlite3's hands (see _on_begin); then per-connection pragmas.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
    finally:
        cur.close()


def _on_begin(conn: Connection) -> None:
    # Writers take the write lock up front, so the busy timeout applies to them instead of a
    # read transaction failing to upgrade; readers use WAL snapshots and never block a writer.
    if conn.get_execution_options().get("mailbridge_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def _cause(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc).splitlines()[0]
    if "locked" in text or "busy" in text:
        return f"{text} (another process kept it busy for {BUSY_TIMEOUT_MS // 1000} s)"
    if "not a database" in text:
        return f"{text} (store.path must name a mailbridge ledger or a new file)"
    return text


def _file_id(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``, None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _create_private(path: Path) -> None:
    """Create the ledger file 0600 before SQLite does (whatever the umask; SQLite gives the
    -wal and -shm files the ledger's mode), and tighten an existing one."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    except OSError as exc:
        if path.exists():  # read-only to us (a monitoring user's `status`): SQLite decides
            return
        raise StoreError(f"ledger {path} cannot be opened: {exc.strerror}") from exc
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    except OSError as exc:  # not our file (another owner): SQLite will say what it can do
        log.warning("ledger.chmod_failed path=%s error=%s", path, exc.strerror)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            if side.stat().st_mode & 0o077:
                side.chmod(FILE_MODE)
        except OSError:
            continue  # not there (yet): SQLite creates it with the ledger's mode


def _corrupt(exc: SQLAlchemyError) -> bool:
    text = str(getattr(exc, "orig", None) or exc)
    return "not a database" in text or "malformed" in text or "file is encrypted" in text


def _corrupt_error(path: Path, cause: str) -> LedgerCorrupt:
    return LedgerCorrupt(
        f"ledger {path} is damaged ({cause}): stop mailbridge, move it aside "
        f"(mv {path} {path}.broken, with its -wal and -shm files) and start again; a new "
        "ledger is safe: it looks every message up in Bitrix24 before creating a lead"
    )
