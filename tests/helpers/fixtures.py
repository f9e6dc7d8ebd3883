"""Fixtures several test modules share (registered as a plugin by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.store import Ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A real SQLite ledger in the test's own folder, closed afterwards."""
    led = Ledger.open(tmp_path / "bridge.db")
    try:
        yield led
    finally:
        led.close()
