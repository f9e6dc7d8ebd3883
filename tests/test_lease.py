"""Mailbox leases on a real PostgreSQL with injected clocks (take, renew, expire, takeover,
fencing), the fences on the CRM transport and the pipeline's ledger, the inherited-row wait,
store.takeover_seconds and who-owns-what in status."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bridge.config import load
from bridge.errors import ConfigError, LeaseLost
from bridge.lease import LEASE_SHARE, MARGIN_SHARE, Keeper, Lease, LeaseTable, owner_name
from bridge.ownership import FencedLedger
from bridge.pipeline import Pipeline, Settings
from bridge.store import Ledger
from bridge.testhooks import parse
from tests.e2e import toml_str
from tests.helpers.leases import T0, Clocks
from tests.helpers.lookupcrm import FakeCrm, pushing_row

TAKEOVER = 60.0
LENGTH = TAKEOVER * LEASE_SHARE
ROOT = Path(__file__).resolve().parents[1]


def lease(lease_table: LeaseTable, clocks: Clocks, owner: str, box: str = "site") -> Lease:
    return Lease(lease_table, box, TAKEOVER, owner=owner, monotonic=lambda: clocks.mono)


def test_free_lease_is_taken_and_a_held_one_is_refused(lease_table: LeaseTable,
                                                       clocks: Clocks) -> None:
    """The first daemon takes a free mailbox (epoch 1); a second is refused while it holds
    it; another mailbox is independent."""
    a, b = lease(lease_table, clocks, "a@h:1"), lease(lease_table, clocks, "b@h:2")
    assert a.try_take() and a.epoch == 1 and a.held
    assert not b.try_take()
    assert lease(lease_table, clocks, "b@h:2", box="other").try_take()
    holder = lease_table.holder("site")
    assert holder is not None and (holder.owner, holder.epoch) == ("a@h:1", 1)
    assert holder.expires_at == T0 + timedelta(seconds=LENGTH) and not holder.expired


def test_renewal_keeps_the_lease_past_its_first_expiry(lease_table: LeaseTable,
                                                       clocks: Clocks) -> None:
    """An owner that renews keeps the mailbox: a standby is still refused after the first
    expiry, and the fence still lets it send."""
    a, b = lease(lease_table, clocks, "a@h:1"), lease(lease_table, clocks, "b@h:2")
    assert a.try_take()
    for _ in range(4):
        clocks.advance(a.renew_every)
        assert a.renew()
    assert clocks.db > T0 + timedelta(seconds=LENGTH)
    assert not b.try_take()
    a.fence()  # no error


def test_expired_lease_is_taken_over_and_the_old_owner_is_fenced(lease_table: LeaseTable,
                                                                clocks: Clocks) -> None:
    """A frozen owner's lease expires; the standby takes it with the next epoch; the old
    owner's renewal fails and its fence refuses, and it already refused before the expiry."""
    a, b = lease(lease_table, clocks, "a@h:1"), lease(lease_table, clocks, "b@h:2")
    assert a.try_take()
    clocks.advance(LENGTH - LENGTH * MARGIN_SHARE)  # the owner's own deadline: before expiry
    with pytest.raises(LeaseLost, match="site"):
        a.fence()
    assert not b.try_take()  # the database's expiry is later still
    clocks.advance(LENGTH * MARGIN_SHARE)
    assert b.try_take() and b.epoch == 2
    assert not a.renew()
    with pytest.raises(LeaseLost):
        a.fence()
    b.fence()


def test_fence_refuses_after_the_deadline_without_the_database(lease_table: LeaseTable,
                                                              clocks: Clocks) -> None:
    """The fence is the owner's monotonic deadline alone: after it no send is allowed even
    though nobody took the mailbox and the database was never asked."""
    a = lease(lease_table, clocks, "a@h:1")
    assert a.try_take()
    clocks.mono += LENGTH * (1 - MARGIN_SHARE) - 0.001
    a.fence()
    clocks.mono += 0.002
    with pytest.raises(LeaseLost):
        a.fence()


def test_release_hands_over_at_once(lease_table: LeaseTable, clocks: Clocks) -> None:
    """A clean stop gives the lease back: a standby takes it without waiting for expiry."""
    a, b = lease(lease_table, clocks, "a@h:1"), lease(lease_table, clocks, "b@h:2")
    assert a.try_take()
    a.release()
    assert b.try_take() and b.epoch == 2
    with pytest.raises(LeaseLost):
        a.fence()


def test_dead_holder_on_this_host_is_taken_at_once(lease_table: LeaseTable, clocks: Clocks) -> None:
    """A holder of this host whose process is gone (SIGKILL) can send nothing: its lease is
    taken before its expiry; a live holder's is not."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = owner_name().rsplit(":", 1)[0] + ":" + gone.stdout.strip()
    assert lease(lease_table, clocks, dead).try_take()
    me = lease(lease_table, clocks, owner_name())
    assert me.try_take() and me.epoch == 2
    assert not lease(lease_table, clocks, "other@h:3").try_take()  # this process is alive


def test_zombie_holder_on_this_host_is_taken_at_once(lease_table: LeaseTable,
                                                      clocks: Clocks) -> None:
    """A holder killed but not yet reaped by its parent (a zombie) counts as gone."""
    import time

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        stat = Path(f"/proc/{child.pid}/stat")
        end = time.monotonic() + 30  # catches a hang
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < end
            time.sleep(0.01)
        zombie = f"{owner_name().rsplit(':', 1)[0]}:{child.pid}"
        assert lease(lease_table, clocks, zombie).try_take()
        assert lease(lease_table, clocks, owner_name()).try_take()
    finally:
        child.wait()


def test_keeper_reports_a_lost_lease(lease_table: LeaseTable, clocks: Clocks) -> None:
    """The renewing thread tells its owner once the lease is taken over."""
    import threading

    a, b = lease(lease_table, clocks, "a@h:1"), lease(lease_table, clocks, "b@h:2")
    assert a.try_take()
    a.renew_every = 0.01
    clocks.advance(LENGTH)  # expired: the standby takes it before the next renewal
    assert b.try_take()
    lost = threading.Event()
    keeper = Keeper(a, lost.set).start()
    try:
        assert lost.wait(10)  # catches a hang
    finally:
        keeper.close()


def test_transport_sends_nothing_once_fenced(sandbox, crm_client) -> None:
    """A client whose fence refuses raises LeaseLost and no request reaches the portal."""
    before = len(sandbox.requests)

    def fence() -> None:
        raise LeaseLost("mailbox site: the lease ran out")

    crm_client.fence = fence
    with pytest.raises(LeaseLost):
        crm_client.add_lead({"TITLE": "t", "ORIGIN_ID": "o-1"})
    assert len(sandbox.requests) == before
    assert sandbox.portal.list_leads() == []
    crm_client.fence = None
    assert crm_client.add_lead({"TITLE": "t", "ORIGIN_ID": "o-1"}) > 0


def test_fenced_ledger_refuses_writes_and_allows_reads(tmp_path: Path) -> None:
    """Past the lease the pipeline's ledger neither writes nor hides what it holds."""
    open_ = [True]

    def fence() -> None:
        if not open_[0]:
            raise LeaseLost("gone")

    with Ledger.open(tmp_path / "bridge.db") as led:
        fenced = FencedLedger(led, fence)
        rid = pushing_row(fenced, T0)
        open_[0] = False
        with pytest.raises(LeaseLost):
            fenced.set_created(rid, 5, T0)
        row = fenced.by_id(rid)
        assert row is not None and row.state == "pushing"


def test_inherited_pushing_row_waits_for_takeover_and_request_time(tmp_path: Path) -> None:
    """A row the old owner left in `pushing` is looked up only takeover_seconds +
    max_request_seconds after the take, never at once."""
    with Ledger.open(tmp_path / "bridge.db") as led:
        rid = pushing_row(led, T0)
        now = [T0 + timedelta(seconds=1)]
        crm = FakeCrm()
        pipe = Pipeline(Settings(max_request_seconds=5.0), led, crm, None, clock=lambda: now[0])
        pipe.pushing_sent_at = now[0] + timedelta(seconds=2.0)  # the take + takeover_seconds
        pipe.poll_once()
        assert crm.lookups == []
        row = led.by_id(rid)
        assert row is not None and row.next_attempt_at == T0 + timedelta(seconds=8)
        now[0] = T0 + timedelta(seconds=8)
        pipe.poll_once()
        assert crm.lookups == [["origin-1"]]
        assert led.by_id(rid).lead_id == 77


def test_takeover_seconds_is_validated(tmp_path: Path) -> None:
    """store.takeover_seconds takes fractions, defaults to 60 and refuses zero or text."""
    path = tmp_path / "c.toml"
    base = ('[imap]\nhost = "127.0.0.1"\nusername = "u"\npassword = "p"\n[bitrix24]\n'
            'webhook_url = "http://127.0.0.1:9/rest/1/XXXXXXXXXXXXXXXX/"\n[store]\n')
    path.write_text(base + "takeover_seconds = 1.5\n")
    assert load(path).store.takeover_seconds == 1.5
    path.write_text(base)
    assert load(path).store.takeover_seconds == 60.0
    for bad in ("0", '"abc"', "-1"):
        path.write_text(base + f"takeover_seconds = {bad}\n")
        with pytest.raises(ConfigError, match=r"store\.takeover_seconds"):
            load(path)


def test_freeze_plan_parses_and_refuses_unknown_points() -> None:
    """The test hook's plan names known points and occurrences only."""
    assert parse("before_send:2,before_send:4, after_answer:1") == {
        "before_send": {2, 4}, "after_answer": {1}}
    with pytest.raises(ValueError, match="POINT:N"):
        parse("before_lunch:1")


def test_status_shows_who_owns_each_mailbox(pg_url: str, tmp_path: Path,
                                            dovecot_server) -> None:
    """`status` and `status --json` name the owner (host:pid), epoch and expiry per mailbox."""
    from bridge.lock import InstanceLock
    from bridge.pglock import PgProcessorLock

    cfg = tmp_path / "c.toml"
    cfg.write_text(f"""
[bitrix24]
webhook_url = "http://127.0.0.1:9/rest/1/XXXXXXXXXXXXXXXX/"
[store]
url = {toml_str(pg_url)}
takeover_seconds = 30
[[mailboxes]]
name = "site-a"
host = "127.0.0.1"
username = "a"
password = "p"
[[mailboxes]]
name = "site-b"
host = "127.0.0.1"
username = "b"
password = "p"
""")
    lock = PgProcessorLock(InstanceLock(tmp_path / "x.lock"), pg_url, "mailbridge_site_a", 30)
    lock.acquire()
    try:
        out = subprocess.run([sys.executable, "-m", "bridge", "--config", str(cfg), "status",
                              "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        text = subprocess.run([sys.executable, "-m", "bridge", "--config", str(cfg), "status"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        lock.release()
    assert out.returncode == 0, out.stderr
    boxes = json.loads(out.stdout)["mailboxes"]
    owner = boxes["site-a"]["owner"]
    assert owner["owner"] == owner_name() and owner["epoch"] == 1 and not owner["expired"]
    assert boxes["site-b"]["owner"] is None
    assert f"owner: {owner_name()} epoch 1 until" in text.stdout
    assert "owner: none" in text.stdout


def test_single_mailbox_status_names_the_owner(pg_url: str, tmp_path: Path) -> None:
    """Without [[mailboxes]] the one ledger's owner shows too; after a clean stop its lease
    shows as expired."""
    from bridge.lock import InstanceLock
    from bridge.pglock import PgProcessorLock

    cfg = tmp_path / "c.toml"
    cfg.write_text(f"""
[imap]
host = "127.0.0.1"
username = "a"
password = "p"
[bitrix24]
webhook_url = "http://127.0.0.1:9/rest/1/XXXXXXXXXXXXXXXX/"
[store]
url = {toml_str(pg_url)}
""")
    argv = [sys.executable, "-m", "bridge", "--config", str(cfg), "status", "--json"]
    lock = PgProcessorLock(InstanceLock(tmp_path / "x.lock"), pg_url)
    lock.acquire()
    try:
        held = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        lock.release()
    text = subprocess.run(argv[:-1], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert held.returncode == 0, held.stderr
    owner = json.loads(held.stdout)["owner"]
    assert owner["owner"] == owner_name() and not owner["expired"]
    assert f"owner: {owner_name()} epoch 1 expired" in text.stdout
