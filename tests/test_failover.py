"""Failover: two daemons (``python -m bridge``, same config) on one PostgreSQL ledger and one
Dovecot mailbox with a backlog; the owner is frozen (SIGSTOP) or killed (SIGKILL) at named
points and at random moments; the sandbox portal must end with every enquiry exactly once."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.bitrix_fixtures import origin_counts
from tests.e2e import sandbox
from tests.forms import form_email
from tests.helpers.failover import Node, owner_pid, wait_for, write_config
from tests.servers.dovecot import new_account
from tests.servers.postgres import PostgresServer

TAKEOVER = 1.5  # store.takeover_seconds of these runs


@dataclass
class Ring:
    """Two nodes, their portal and a way to ask the database who owns the mailbox."""

    a: Node
    b: Node
    portal: Any
    sandbox: Any
    account: Any
    server: PostgresServer
    database: str

    def owner(self) -> int | None:
        return owner_pid(lambda: self.server.connect(self.database))

    def counts(self) -> dict[str, int]:
        return dict(origin_counts(self.sandbox))


@pytest.fixture
def ring(dovecot_server, postgres_server: PostgresServer, pg_url: str,
         tmp_path: Path) -> Iterator[Ring]:
    database = pg_url.rsplit("/", 1)[1]
    with postgres_server.connect(database) as conn:  # a frozen owner's open transaction ends
        conn.execute(f'ALTER DATABASE "{database}" SET idle_in_transaction_session_timeout '
                     "= '2s'")
    account = new_account(dovecot_server)
    with sandbox() as sb:
        configs = [write_config(tmp_path / host, pg_url=pg_url, webhook_url=sb.webhook_url,
                                account=account, takeover=TAKEOVER) for host in ("a", "b")]
        r = Ring(Node("a", configs[0]), Node("b", configs[1]), sb.portal, sb, account,
                 postgres_server, database)
        try:
            yield r
        finally:
            for node in (r.a, r.b):
                node.stop()


def start_owner_and_standby(ring: Ring, freeze: str = "", standby_freeze: str = "") -> None:
    """A starts first and owns the mailbox; B starts as its standby."""
    ring.a.start(freeze)
    wait_for(lambda: ring.owner() == ring.a.pid, "a to own the mailbox")
    ring.b.start(standby_freeze)


def assert_exactly_once(ring: Ring, n: int) -> None:
    counts = wait_for(lambda: (c := ring.counts()) and len(c) >= n and c, f"{n} leads")
    assert sorted(counts.values()) == [1] * n, counts  # 0 lost, 0 duplicated


def frozen_then_taken(ring: Ring, old: Node, new: Node, point: str) -> None:
    """``old`` is frozen at ``point``; ``new`` owns the mailbox within the takeover time."""
    wait_for(old.frozen, f"{old.name} frozen at {point}")
    wait_for(lambda: ring.owner() == new.pid, f"{new.name} to take over after {point}")


def test_owner_stopped_at_each_named_point(ring: Ring) -> None:
    """Through one backlog the owner is frozen at each named point in turn: before a send
    (a, then woken: fenced), after the answer (b, then killed), mid-send with the request on
    the wire (a, then killed) and before the commit (b, then woken: fenced); each time the
    other daemon takes over and the leads end exactly once each."""
    n = 10
    ring.account.append_many(form_email(i) for i in range(n))
    start_owner_and_standby(ring, freeze="before_send:2", standby_freeze="after_answer:2")
    frozen_then_taken(ring, ring.a, ring.b, "before_send")
    wait_for(ring.b.frozen, "b frozen after the answer")
    ring.sandbox.inject("crm.lead.add", "slow", seconds=3.0)  # a's next lead: held 3 s
    leads = len(ring.portal.list_leads())
    ring.a.signal(signal.SIGCONT)  # wakes past its deadline: fenced, back to standby
    wait_for(lambda: ring.owner() == ring.a.pid, "a to take over after_answer")
    ring.b.kill()
    ring.b.start(freeze="before_commit:2")
    wait_for(lambda: len(ring.portal.list_leads()) > leads, "a's lead on the wire")
    ring.a.signal(signal.SIGSTOP)  # mid-send: the lead exists, its answer not yet read
    frozen_then_taken(ring, ring.a, ring.b, "mid_send")
    wait_for(ring.b.frozen, "b frozen before the commit")
    ring.a.kill()
    ring.a.start()
    wait_for(lambda: ring.owner() == ring.a.pid, "a to take over before_commit")
    ring.b.signal(signal.SIGCONT)  # fenced at its commit
    assert_exactly_once(ring, n)
    wait_for(lambda: ring.b.log().count("lease.waiting mailbox=site") >= 2, "b on standby")
    log_a, log_b = ring.a.log(), ring.b.log()
    assert ring.b.stop() == 0 and ring.a.stop() == 0
    assert sorted(ring.counts().values()) == [1] * n
    assert "daemon.lock_lost" in log_a and "daemon.lock_lost" in log_b  # both were fenced
    for point in ("before_send", "after_answer", "before_commit"):
        assert f"testhook.freeze point={point}" in log_a + log_b


def test_random_freezes_and_kills_lose_and_duplicate_nothing(ring: Ring) -> None:
    """Through a backlog (each lead answered 0.15 s late, so a moment may fall mid-send) the
    current owner is frozen or killed at random moments of its pushing, twice (a killed one comes
    back as a standby, a frozen one wakes up after the takeover): 0 lost, 0 duplicated."""
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    n = 10
    ring.account.append_many(form_email(100 + i) for i in range(n))
    ring.sandbox.inject("crm.lead.add", "slow", times=n, seconds=0.15)
    start_owner_and_standby(ring)
    nodes = {ring.a.pid: ring.a, ring.b.pid: ring.b}
    events: list[str] = []
    for _ in range(2):
        done = len(ring.counts())  # the owner of now is under way: it adds a lead
        wait_for(lambda d=done: len(ring.counts()) > d, "the owner's progress")
        owner = nodes.get(ring.owner() or 0)
        if owner is None or len(ring.counts()) >= n:
            break
        time.sleep(rng.uniform(0.0, 0.3))  # a random moment of its work
        how = rng.choice(("stop", "kill"))
        events.append(f"{how}@{len(ring.counts())}")
        if how == "kill":
            owner.kill()
            nodes[owner.start().pid] = owner  # back as a standby
        else:
            owner.signal(signal.SIGSTOP)
            wait_for(lambda o=owner: ring.owner() not in (None, o.pid), "a takeover")
            owner.signal(signal.SIGCONT)
    counts = wait_for(lambda: (c := ring.counts()) and len(c) >= n and c, f"{n} leads")
    assert events, "no owner was stopped before the backlog was done"
    assert sorted(counts.values()) == [1] * n, (seed, events, counts)
    assert ring.a.stop() == 0 and ring.b.stop() == 0
    assert sorted(ring.counts().values()) == [1] * n, (seed, events)
    print(f"seed={seed} events={events}")
