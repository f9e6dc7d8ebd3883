"""A refused mailbox under the daemon: the pass goes on with the CRM side, the login is
retried with a capped backoff, and --poll-now (no Refusal) still raises (a real ledger, a
fake CRM and a fake mail source of our own Protocols)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bridge.errors import FolderMissing, LoginRefused
from bridge.pipeline import Pipeline, Settings
from bridge.refusal import Refusal
from bridge.store import Ledger
from tests.helpers.fixtures import sqlite_ledger  # noqa: F401 - the ledger fixture
from tests.helpers.lookupcrm import T0, FakeCrm, pushing_row


class RefusingSource:
    """A mail source factory whose server refuses the login (counted)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        raise LoginRefused("imap login refused for user f@example.ru: check imap.password",
                           user="f@example.ru")


def test_a_refused_login_lets_due_rows_reach_the_crm_and_is_retried_with_backoff(
    ledger: Ledger,
) -> None:
    """Under a Refusal the pass does not raise: a due row is still settled with the CRM, the
    report names the refusal, and the next login waits 1, 2, 4 ... s, capped at the cap."""
    rid = pushing_row(ledger, T0)
    ledger.set_unknown(rid, "outcome unknown", T0, T0, T0)  # due now: it is looked up
    now = [T0 + timedelta(seconds=5)]
    tick = [0.0]
    source = RefusingSource()
    pipe = Pipeline(Settings(max_request_seconds=0.0), ledger, FakeCrm(), source,
                    clock=lambda: now[0])
    pipe.refusal = Refusal(5.0, clock=lambda: tick[0])
    report = pipe.poll_once()
    assert report.refused.startswith("LoginRefused: imap login refused")
    assert report.errors and source.calls == 1
    row = ledger.by_id(rid)
    assert row is not None and row.state == "created" and row.lead_id == 77
    delays = []
    for _ in range(5):
        assert pipe.poll_once().refused and source.calls == len(delays) + 1  # waits: no login
        delays.append(pipe.refusal.delay)
        tick[0] += pipe.refusal.delay
        pipe.poll_once()
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0] and source.calls == 6


def test_without_a_refusal_the_pass_raises_for_poll_now(ledger: Ledger) -> None:
    """--poll-now keeps no Refusal: the refused login stops the run (exit 78 in the CLI)."""
    pipe = Pipeline(Settings(), ledger, FakeCrm(), RefusingSource())
    with pytest.raises(LoginRefused):
        pipe.poll_once()


def test_the_status_line_names_the_refusal_until_the_mailbox_accepts() -> None:
    """The STATUS text shows the refusal while it lasts; a reset allows an attempt at once."""
    tick = [100.0]
    refusal = Refusal(60.0, clock=lambda: tick[0])
    assert refusal.status_line() is None and refusal.may_try()
    refusal.failed(FolderMissing("imap.folder: folder \"Заявки\" does not exist"))
    line = refusal.status_line()
    assert line is not None and "FolderMissing" in line and "MAILBOX REFUSED" in line
    assert not refusal.may_try()
    refusal.reset()
    assert refusal.may_try() and refusal.refused
    refusal.succeeded()
    assert refusal.status_line() is None and not refusal.refused
