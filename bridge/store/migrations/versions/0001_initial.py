"""The ledger as mailbridge first released it (``PRAGMA user_version = 1``).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The four tables and the three indexes of the first release."""
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("folder", sa.String, nullable=False),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("uid", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.String),
        sa.Column("identity", sa.String, nullable=False),
        sa.Column("origin_id", sa.String, nullable=False, unique=True),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("mailbox_state", sa.String, nullable=False, server_default="pending"),
        sa.Column("mailbox_how", sa.String),
        sa.Column("lead_id", sa.BigInteger),
        sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("messages.id")),
        sa.Column("reason", sa.String),
        sa.Column("error", sa.String),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.String),
        sa.Column("subject", sa.String, nullable=False, server_default=""),
        sa.Column("msg_date", sa.String),
        sa.Column("received_at", sa.String, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False),
        sa.Column("client_keys", sa.String, nullable=False, server_default=""),
        sa.Column("content_digest", sa.String),
        sa.Column("parsed_at", sa.String),
        sa.Column("push_started_at", sa.String),
        sa.Column("mailbox_at", sa.String),
        sa.UniqueConstraint("folder", "uidvalidity", "uid"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_messages_identity", "messages", ["identity"])
    op.create_index("ix_messages_due", "messages", ["state", "next_attempt_at"])
    op.create_index("ix_messages_digest", "messages", ["content_digest"])
    op.create_table(
        "raw_messages",
        sa.Column(
            "id", sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("raw", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "folders",
        sa.Column("folder", sa.String, primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("last_uid", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("value", sa.String, nullable=False),
    )
