"""Fixtures several test modules share; a module takes one by importing it.

A module imports the fixture function (``from tests.helpers.fixtures import sqlite_ledger``)
rather than the fixture being a global plugin, so a module-level fixture of the same name
elsewhere (the store tests' ledger on every backend) is never shadowed or overridden.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.store import Ledger


@pytest.fixture(name="ledger")
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """``ledger``: a real SQLite ledger in the test's own folder, closed afterwards."""
    led = Ledger.open(tmp_path / "bridge.db")
    try:
        yield led
    finally:
        led.close()
