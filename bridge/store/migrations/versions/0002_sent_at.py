"""An unknown outcome is looked up only bitrix24.max_request_seconds after its last byte.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``messages.sent_at``: when the last byte of a write with an unknown outcome was sent."""
    op.add_column("messages", sa.Column("sent_at", sa.String))
