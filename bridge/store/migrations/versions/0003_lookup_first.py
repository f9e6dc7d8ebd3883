"""A lead may already exist for a row although no push of ours began: look it up first.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``messages.lookup_first`` (1: first pass over a folder, mail already \\Seen, a restored
    ledger), 0 for every row there is."""
    op.add_column(
        "messages", sa.Column("lookup_first", sa.Integer, nullable=False, server_default="0")
    )
