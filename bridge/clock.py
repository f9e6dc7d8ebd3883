"""The wall clock, in one place: an aware UTC ``datetime``.

Everything that reads the time takes a ``clock`` callable defaulting to :func:`utcnow`, so a
test passes its own and never sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)
