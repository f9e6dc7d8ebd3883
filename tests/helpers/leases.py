"""Lease-test fixtures: hand-moved clocks and a lease table on the test's PostgreSQL database.

Registered in tests/conftest.py (``pytest_plugins``): ``clocks`` gives the database's time and
a process's monotonic clock, both moved by ``advance``; ``lease_table`` is a ``LeaseTable``
reading that database time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine

from bridge.lease import LeaseTable

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class Clocks:
    """The database's time and each process's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.db = T0
        self.mono = 1000.0

    def advance(self, seconds: float) -> None:
        self.db += timedelta(seconds=seconds)
        self.mono += seconds


@pytest.fixture
def clocks() -> Clocks:
    """Both clocks at T0 and 1000.0."""
    return Clocks()


@pytest.fixture
def lease_table(pg_url: str, clocks: Clocks) -> Iterator[LeaseTable]:
    """The lease table on a fresh database, created twice (its creation is idempotent)."""
    engine = create_engine(pg_url)
    t = LeaseTable(engine, clock=lambda: clocks.db)
    t.ensure()
    t.ensure()
    try:
        yield t
    finally:
        engine.dispose()
