"""PortalHealth with a fake of our own CRM client and a real ledger: what blocks, what does
not, when it re-checks, and that the state survives in the ledger's meta table."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bridge.errors import CrmSetupError, CrmTemporary, CrmUnknownOutcome
from bridge.health import PortalHealth, poll_now_recheck
from tests.helpers.fakes import Clock
from tests.helpers.fixtures import sqlite_ledger  # noqa: F401 - the ledger fixture


class FakeCrm:
    """Answers crm.settings.mode.get / user.get / lookups from attributes, or raises."""

    def __init__(self) -> None:
        self.mode: Any = 1
        self.fail: Exception | None = None
        self.active_users = {1, 5}
        self.visible: set[str] = set()
        self.calls: list[str] = []

    def call(self, method: str, params: Any = None) -> Any:
        self.calls.append(method)
        if self.fail is not None:
            raise self.fail
        return self.mode

    def get_user(self, user_id: int) -> dict[str, Any] | None:
        self.calls.append("user.get")
        return {"ID": str(user_id)} if user_id in self.active_users else None

    def find_leads_by_origin(self, origin_ids: list[str]) -> dict[str, int]:
        self.calls.append("crm.lead.list")
        return {o: 1 for o in origin_ids if o in self.visible}


def health(ledger: Any, crm: FakeCrm, clock: Clock, **kw: Any) -> PortalHealth:
    assigned: list[int] = []
    h = PortalHealth(crm, ledger, webhook_user_id=1, readback_key="portal.test/1",
                     responsible_user_id=kw.pop("responsible", 5), interval=2.0,
                     assign=assigned.append, clock=clock, **kw)
    h.assigned = assigned
    return h


def test_overload_limit_blocks_whatever_its_error_class(ledger: Any) -> None:
    """OVERLOAD_LIMIT is a manual block by support: blocked with that fix, not retried as a
    blip, even while the client still files it as temporary."""
    crm = FakeCrm()
    crm.fail = CrmTemporary("crm.settings.mode.get: OVERLOAD_LIMIT", code="OVERLOAD_LIMIT")
    h = health(ledger, crm, Clock())
    assert h.check() is False
    assert h.blocked and "contact Bitrix24 support" in h.reason


def test_a_temporary_fault_does_not_block_or_unblock(ledger: Any) -> None:
    """A network blip during the check changes nothing: not blocked stays not blocked, and
    blocked stays blocked (and the reason is kept)."""
    crm = FakeCrm()
    crm.fail = CrmUnknownOutcome("timeout")
    h = health(ledger, crm, Clock())
    assert h.check() is True and not h.blocked
    h.block("webhook rejected: INVALID_CREDENTIALS, check bitrix24.webhook_url")
    assert h.check() is False and "INVALID_CREDENTIALS" in h.reason


def test_the_state_is_in_the_ledger_and_survives_a_new_process(ledger: Any) -> None:
    """A second PortalHealth on the same ledger (a later --poll-now, `status`) sees the block
    and its start time; unblocking clears both."""
    crm = FakeCrm()
    crm.fail = CrmSetupError("webhook rejected", code="INVALID_CREDENTIALS")
    health(ledger, crm, Clock()).check()
    again = health(ledger, crm, Clock())
    assert again.blocked and ledger.get_meta("portal_blocked_since")
    assert "BLOCKED since" in (again.status_line() or "")
    crm.fail = None
    assert again.check() is True
    assert not again.blocked and again.status_line() is None
    assert not ledger.get_meta("portal_blocked_since")


def test_recheck_only_after_the_interval(ledger: Any) -> None:
    """stale() is false until health_interval has passed since the last check (injected
    clock), and the daemon's first check happens whatever the ledger recorded."""
    crm, clock = FakeCrm(), Clock()
    health(ledger, crm, clock).check()  # records portal_checked_at
    h = health(ledger, crm, clock)
    assert h.stale() is False  # recorded a moment ago
    h.check_first = True
    assert h.stale() is True
    h.check()
    clock.now += 1.9
    assert h.stale() is False
    clock.now += 0.2
    assert h.stale() is True


def test_poll_now_rechecks_a_blocked_portal_only_with_work_or_when_stale(ledger: Any) -> None:
    """While blocked: re-check when there is work or the last check is stale; when not
    blocked: only when there is work and the last check is stale."""
    crm, clock = FakeCrm(), Clock()
    h = health(ledger, crm, clock)
    due = poll_now_recheck(h)
    assert due(True) is True and due(False) is False  # never checked: stale
    h.check()
    assert due(True) is False
    h.block("x")
    assert due(True) is True and due(False) is False
    clock.now += 3
    assert due(False) is True


def test_the_blocked_error_is_logged_once_per_check(
    ledger: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Each failed check logs one error line with the fix; nothing else logs at error."""
    crm = FakeCrm()
    crm.fail = CrmSetupError("webhook rejected: INVALID_CREDENTIALS, check bitrix24.webhook_url",
                             code="INVALID_CREDENTIALS")
    h = health(ledger, crm, Clock())
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            h.check()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 3
    assert all("bitrix24.webhook_url" in r.getMessage() for r in errors)


def test_inactive_responsible_user_assigns_the_fallback(ledger: Any) -> None:
    """fallback_user_id 0 means the webhook's own user; a set one is used as it is; an active
    responsible user is kept."""
    crm = FakeCrm()
    crm.active_users = {1, 7}
    h = health(ledger, crm, Clock())
    h.check()
    assert h.assigned == [1] and not h.blocked
    h2 = health(ledger, crm, Clock(), fallback_user_id=7)
    h2.check()
    assert h2.assigned == [7]
    crm.active_users = {1, 5}
    h2.check()
    assert h2.assigned == [7, 5]


def test_simple_mode_blocks_naming_crm_target(ledger: Any) -> None:
    """crm.settings.mode.get = 2 blocks with 'crm.target = "deal"'."""
    crm = FakeCrm()
    crm.mode = 2
    h = health(ledger, crm, Clock())
    assert h.check() is False
    assert 'crm.target = "deal"' in h.reason


def test_the_read_back_is_due_again_after_each_unblock(ledger: Any) -> None:
    """A recorded read-back ("ok") is forgotten when a block ends, so the next created lead is
    read back again; while blocked for an invisible lead, each check looks that lead up."""
    crm = FakeCrm()
    h = health(ledger, crm, Clock())
    ledger.set_meta("readback:portal.test/1", '{"state": "ok", "origin": "o1"}')
    h.block("webhook rejected")
    assert h.check() is True
    assert not ledger.get_meta("readback:portal.test/1")
    ledger.set_meta("readback:portal.test/1",
                    '{"state": "invisible", "origin": "o2", "lead_id": 9}')
    h.block("cannot read")
    assert h.check() is False and "Access permissions" in h.reason
    crm.visible.add("o2")
    assert h.check() is True and not h.blocked
    assert '"ok"' in (ledger.get_meta("readback:portal.test/1") or "")
