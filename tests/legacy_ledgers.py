"""Ledgers as mailbridge wrote them before Alembic managed the schema, to test their upgrade.

These are historical records, frozen like a released migration: the SQLite statements of the
old ``MIGRATIONS`` list (``PRAGMA user_version`` 1 to 3) and the PostgreSQL tables the old
code created from its Table definitions (``mailbridge_schema`` version 3, the only version a
PostgreSQL ledger ever had). Never edit them to follow the current schema.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

SQLITE_MIGRATIONS: tuple[tuple[str, ...], ...] = (
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
    ("ALTER TABLE messages ADD COLUMN sent_at TEXT",),
    ("ALTER TABLE messages ADD COLUMN lookup_first INTEGER NOT NULL DEFAULT 0",),
)

POSTGRES_V3 = (
    """CREATE TABLE folders (
        folder VARCHAR NOT NULL, uidvalidity BIGINT NOT NULL, last_uid BIGINT NOT NULL,
        PRIMARY KEY (folder))""",
    """CREATE TABLE messages (
        id SERIAL NOT NULL, folder VARCHAR NOT NULL, uidvalidity BIGINT NOT NULL,
        uid BIGINT NOT NULL, message_id VARCHAR, identity VARCHAR NOT NULL,
        origin_id VARCHAR NOT NULL, state VARCHAR NOT NULL, mailbox_state VARCHAR NOT NULL,
        mailbox_how VARCHAR, lead_id BIGINT, duplicate_of INTEGER, reason VARCHAR,
        error VARCHAR, attempts INTEGER NOT NULL, next_attempt_at VARCHAR,
        subject VARCHAR NOT NULL, msg_date VARCHAR, received_at VARCHAR NOT NULL,
        updated_at VARCHAR NOT NULL, client_keys VARCHAR NOT NULL, content_digest VARCHAR,
        parsed_at VARCHAR, push_started_at VARCHAR, mailbox_at VARCHAR, sent_at VARCHAR,
        lookup_first INTEGER NOT NULL,
        PRIMARY KEY (id), UNIQUE (folder, uidvalidity, uid), UNIQUE (origin_id),
        FOREIGN KEY(duplicate_of) REFERENCES messages (id))""",
    """CREATE TABLE meta (key VARCHAR NOT NULL, value VARCHAR NOT NULL, PRIMARY KEY (key))""",
    """CREATE TABLE raw_messages (
        id INTEGER NOT NULL, raw BYTEA NOT NULL, PRIMARY KEY (id),
        FOREIGN KEY(id) REFERENCES messages (id) ON DELETE CASCADE)""",
    "CREATE TABLE mailbridge_schema (version INTEGER NOT NULL)",
    "INSERT INTO mailbridge_schema (version) VALUES (3)",
)

# One finished message as the old code wrote it (times as its sortable UTC text).
ROW: dict[str, Any] = {
    "folder": "INBOX", "uidvalidity": 4_294_967_295, "uid": 17, "message_id": "<m17@site.ru>",
    "identity": "ident-17", "origin_id": "origin-17", "state": "created",
    "mailbox_state": "pending", "lead_id": 4242, "attempts": 1, "subject": "Заявка с сайта",
    "msg_date": "2026-11-30 12:00:00.000000", "received_at": "2026-11-30 12:00:01.000000",
    "updated_at": "2026-11-30 12:00:05.000000", "client_keys": "phone:+79001234567",
    "content_digest": "digest-17", "parsed_at": "2026-11-30 12:00:02.000000",
    "push_started_at": "2026-11-30 12:00:03.000000",
}
RAW = b"From: site@example.ru\r\n\r\nraw bytes kept until the mailbox is done\r\n"


def _insert_sql(placeholder: str, row: dict[str, Any]) -> str:
    names = ", ".join(row)
    marks = ", ".join(placeholder.format(name) for name in row)
    return f"INSERT INTO messages ({names}) VALUES ({marks})"


def build_sqlite(path: Path, version: int) -> None:
    """An SQLite ledger at ``PRAGMA user_version = version`` holding ``ROW``, its bytes, a
    folder baseline and a meta value, written with the old statements."""
    raw = sqlite3.connect(path)
    try:
        for number in range(version):
            for statement in SQLITE_MIGRATIONS[number]:
                raw.execute(statement)
        raw.execute(f"PRAGMA user_version = {version}")
        new_id = raw.execute(_insert_sql(":{}", ROW), ROW).lastrowid
        raw.execute("INSERT INTO raw_messages (id, raw) VALUES (?, ?)", (new_id, RAW))
        raw.execute("INSERT INTO folders VALUES ('INBOX', 4294967295, 17)")
        raw.execute("INSERT INTO meta VALUES ('last_poll_at', '2026-11-30T12:00:06+00:00')")
        raw.commit()
    finally:
        raw.close()


def build_postgres(conn: Any, schema: str = "") -> None:
    """The same ledger on PostgreSQL as the old code created it (``conn``: psycopg, in the
    schema ``schema`` when given, as a mailbox's ledger)."""
    if schema:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
    for statement in POSTGRES_V3:
        conn.execute(statement)
    row = {**ROW, "lookup_first": 0}  # no default there: the old code always wrote it
    new_id = conn.execute(_insert_sql("%({})s", row) + " RETURNING id", row).fetchone()[0]
    conn.execute("INSERT INTO raw_messages (id, raw) VALUES (%s, %s)", (new_id, RAW))
    conn.execute("INSERT INTO folders VALUES ('INBOX', 4294967295, 17)")
    conn.execute("INSERT INTO meta VALUES ('last_poll_at', '2026-11-30T12:00:06+00:00')")
