"""The three indexes on every ledger: PostgreSQL ledgers from before Alembic lacked them.

SQLite ledgers have had them since 0001; a PostgreSQL ledger created before Alembic (stamped
0003 when it is adopted) was built from the Table definitions, which did not name them.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create whichever of the indexes is missing."""
    op.create_index("ix_messages_identity", "messages", ["identity"], if_not_exists=True)
    op.create_index("ix_messages_due", "messages", ["state", "next_attempt_at"],
                    if_not_exists=True)
    op.create_index("ix_messages_digest", "messages", ["content_digest"], if_not_exists=True)
