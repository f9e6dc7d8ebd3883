"""The ledger fixtures every tests/test_store_*.py module shares: the ledger on each backend,
a maker of messages in any state, and a real second Python process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.store import (
    CREATED,
    DUPLICATE,
    FAILED,
    PARSED,
    PUSHING,
    QUARANTINED,
    RECEIVED,
    SKIPPED,
    Ledger,
    MessageRecord,
)

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)



@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The ledger on each backend: the SQLite file, and a fresh PostgreSQL database."""
    if request.param == "postgresql":
        led = Ledger.open_url(request.getfixturevalue("pg_url"), tmp_path / "bridge.db")
    else:
        led = Ledger.open(tmp_path / "bridge.db")
    yield led
    led.close()


class Maker:
    """Adds messages with distinct keys and identities."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.uid = 0

    def add(self, *, at: datetime = T0, msg_date: datetime | None = T0, folder: str = "INBOX",
            identity: str | None = None, subject: str = "Заявка") -> MessageRecord:
        self.uid += 1
        return self.ledger.add_received(
            folder, 7, self.uid, f"<m{self.uid}@site.ru>", identity or f"id-{self.uid}",
            f"origin-{self.uid}", subject, msg_date, f"raw {self.uid}".encode(), at,
        )

    def in_state(self, state: str, **kw: object) -> MessageRecord:
        """A new message driven along legal transitions into ``state``."""
        led = self.ledger
        r = self.add(**kw)
        if state == RECEIVED:
            return r
        if state in (FAILED, QUARANTINED, SKIPPED):
            return {
                FAILED: lambda: led.set_failed(r.id, "timeout", T0 + timedelta(minutes=1), T0),
                QUARANTINED: lambda: led.set_quarantined(r.id, "layout not recognised", T0),
                SKIPPED: lambda: led.set_skipped(r.id, "bounce", T0),
            }[state]()
        r = led.set_parsed(r.id, [f"phone:+7900{r.id:07d}"], f"digest-{r.id}", T0)
        if state == PARSED:
            return r
        if state == DUPLICATE:
            first = self.in_state(CREATED)
            return led.set_duplicate(r.id, first.id, first.lead_id, T0)
        r = led.set_pushing(r.id, T0)
        if state == PUSHING:
            return r
        return led.set_created(r.id, 1000 + r.id, T0)


@pytest.fixture
def make(ledger: Ledger) -> Maker:
    return Maker(ledger)


def run_python(code: str, *args: str, **kw: object) -> subprocess.Popen[str]:
    """Start a real second Python process that can import bridge."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw,
    )
