"""The ledger's footing: opening either backend, migrating it, and the two transaction kinds.

Every write is one short transaction (``_write``): SQLite takes ``BEGIN IMMEDIATE``,
PostgreSQL the writer's advisory lock, so writers from several processes take turns. Each
write transaction first steps the ledger generation (``bridge.generation``): a restored,
moved or replaced ledger is noticed before anything is read for the work it does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from sqlalchemy import Connection, Engine, Select, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError

from bridge import generation
from bridge.errors import LedgerCorrupt, StoreError
from bridge.store import migrate, postgres, sqlite
from bridge.store.record import MessageRecord, to_record
from bridge.store.schema import messages

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The clock, read only as a default: callers pass ``at``/``now``."""
    return datetime.now(UTC)


class LedgerBase:
    """Opening, closing, migrating and the transactions every ledger method runs in."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self._schema = ""  # a mailbox's own schema on PostgreSQL (open_url)
        self._engine = engine
        self._writer = engine.execution_options(mailbridge_write=True)
        self._stamp_path = generation.generation_path_for(path)
        self._inode = sqlite.file_id(path)
        self._session: str | None = None

    # ---- opening

    @classmethod
    def open(cls, path: str | Path) -> Self:
        """Open (creating it and its folder if needed) and migrate the ledger at ``path``."""
        path = Path(path).expanduser().absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"ledger {path}: cannot create its folder: {exc.strerror}") from exc
        if path.is_dir():
            raise StoreError(f"ledger {path} is a folder; store.path must name a file")
        engine = sqlite.engine_for(path)
        ledger = cls(path, engine)
        try:
            ledger._migrate()
        except StoreError:
            engine.dispose()
            raise
        except SQLAlchemyError as exc:
            engine.dispose()
            if sqlite.corrupt(exc):
                raise sqlite.corrupt_error(path, sqlite.cause(exc)) from exc
            raise StoreError(f"ledger {path} cannot be used: {sqlite.cause(exc)}") from exc
        log.debug("ledger opened path=%s schema=%s", path, migrate.head_version())
        return ledger

    @classmethod
    def open_url(cls, url: str, path: str | Path, schema: str = "") -> Self:
        """Open and migrate the ledger on PostgreSQL at ``url`` (``store.url``); ``path``
        (``store.path``) names this host's files beside it (lock, health file); ``schema``
        holds one mailbox's ledger when several share the database."""
        from bridge.storeurl import masked

        path = Path(path).expanduser().absolute()
        engine = postgres.pg_engine(url, schema)
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
                f"ledger {masked(url)} cannot be used: {postgres.cause(exc)}"
            ) from exc
        log.debug("ledger opened url=%s schema=%s", masked(url), migrate.head_version())
        return ledger

    def reopen(self) -> None:
        """After ``close``: open what is at ``path`` now, in place (a new ledger if nothing
        is there), so every holder of this object goes on with the new file."""
        sqlite.create_private(self.path)
        self._inode = sqlite.file_id(self.path)
        try:
            self._migrate()
        except SQLAlchemyError as exc:
            if sqlite.corrupt(exc):
                raise sqlite.corrupt_error(self.path, sqlite.cause(exc)) from exc
            raise StoreError(f"ledger {self.path} cannot be used: {sqlite.cause(exc)}") from exc
        log.info("ledger.reopened path=%s", self.path)

    def replaced(self) -> bool:
        """True when ``path`` no longer names the file this ledger opened (deleted, moved
        away, or another file put in its place): reopen it, never write into a lost file."""
        return sqlite.file_id(self.path) != self._inode

    def open_session(self, at: datetime | None = None) -> int:
        """The processor (lock holder) starts; see ``bridge.generation.open_session``."""
        self._session = uuid.uuid4().hex
        with self._write(at) as conn:
            return generation.open_session(
                conn, self._session, (at or utc_now()).isoformat(timespec="seconds")
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the schema

    def schema_version(self) -> int:
        """The number of the ledger's Alembic revision (0 before any)."""
        with self._read() as conn:
            return migrate.revision_number(migrate.current_revision(conn, self._schema))

    def _migrate(self) -> None:
        postgresql = postgres.is_postgres(self._engine)
        with self._writer.connect() as conn, conn.begin():
            try:
                applied = migrate.migrate(conn, self._schema)
            except (migrate.SchemaTooNew, migrate.ForeignDatabase) as exc:
                if postgresql:
                    raise StoreError(f"the PostgreSQL ledger cannot be used: it {exc}") from None
                raise LedgerCorrupt(f"ledger {self.path} {exc}") from None
        for revision in applied:
            log.info("ledger migrated backend=%s path=%s version=%s",
                     self._engine.dialect.name, self.path, revision)

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
                stamp_at = (at or utc_now()).astimezone(UTC).isoformat(timespec="seconds")
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
        if sqlite.corrupt(exc):
            return sqlite.corrupt_error(self.path, sqlite.cause(exc))
        return StoreError(f"ledger {self.path}: {sqlite.cause(exc)}")

    # ---- rows

    @staticmethod
    def _key_query(folder: str, uidvalidity: int, uid: int) -> Select[tuple[object, ...]]:
        return select(messages).where(
            messages.c.folder == folder,
            messages.c.uidvalidity == uidvalidity,
            messages.c.uid == uid,
        )

    @staticmethod
    def _get(conn: Connection, id: int) -> MessageRecord | None:
        row = conn.execute(select(messages).where(messages.c.id == id)).first()
        return None if row is None else to_record(row)

    def _get_or_fail(self, conn: Connection, id: int) -> MessageRecord:
        record = self._get(conn, id)
        if record is None:
            raise StoreError(f"message {id} is not in the ledger")
        return record

