"""The ledger's schema, written once: the SQLAlchemy Table definitions every query uses.

These Tables describe the schema at the newest migration (``bridge/store/migrations``); a test
compares them with a migrated database on both backends (Alembic's ``compare_metadata``), so
the two cannot drift apart. A schema change is a new migration plus the matching edit here.

Times are stored as sortable UTC text on both backends (``_UtcText``), so the same queries
compare and order them on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)


class UtcText(TypeDecorator[datetime]):
    """Aware datetimes stored as sortable UTC text (``2026-11-30 14:30:27.000000``)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"the ledger takes timezone-aware datetimes, got {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


metadata = MetaData()

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("folder", String, nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),  # unsigned 32-bit in IMAP
    Column("uid", BigInteger, nullable=False),
    Column("message_id", String),
    Column("identity", String, nullable=False),
    Column("origin_id", String, nullable=False, unique=True),
    Column("state", String, nullable=False),
    Column("mailbox_state", String, nullable=False, server_default="pending"),
    Column("mailbox_how", String),
    Column("lead_id", BigInteger),
    Column("duplicate_of", Integer, ForeignKey("messages.id")),
    Column("reason", String),
    Column("error", String),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcText),
    Column("subject", String, nullable=False, server_default=""),
    Column("msg_date", UtcText),
    Column("received_at", UtcText, nullable=False),
    Column("updated_at", UtcText, nullable=False),
    Column("client_keys", String, nullable=False, server_default=""),
    Column("content_digest", String),
    Column("parsed_at", UtcText),
    Column("push_started_at", UtcText),  # set on the first set_pushing: a lead may exist
    Column("mailbox_at", UtcText),
    # when the last byte of the latest write with an unknown outcome was sent: the ORIGIN_ID
    # lookup waits bitrix24.max_request_seconds from then (the portal may still be running it)
    Column("sent_at", UtcText),
    # 1 = a lead may already exist for this row although no push of ours began (first pass
    # over a folder, mail already \Seen, a restored ledger): look it up first
    Column("lookup_first", Integer, nullable=False, server_default="0"),
    UniqueConstraint("folder", "uidvalidity", "uid"),
    Index("ix_messages_identity", "identity"),
    Index("ix_messages_due", "state", "next_attempt_at"),
    Index("ix_messages_digest", "content_digest"),
    sqlite_autoincrement=True,  # an id is never reused: status and retry name rows by it
)
raw_messages = Table(
    "raw_messages",
    metadata,
    Column("id", Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("raw", LargeBinary, nullable=False),
)
folders = Table(
    "folders",
    metadata,
    Column("folder", String, primary_key=True),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),
)
meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)
