"""A single-mailbox daemon (no ``[[mailboxes]]``) on a shared PostgreSQL ledger stands by like
a ``[[mailboxes]]`` unit: two ``python -m bridge`` processes with the same plain config, one
Dovecot mailbox, one sandbox portal; the owner is killed or frozen, the standby takes over,
and every enquiry ends as exactly one lead."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.bitrix_fixtures import origin_counts
from tests.e2e import sandbox
from tests.forms import form_email
from tests.helpers.failover import ROOT, SINGLE_KEY, Node, owner_pid, wait_for, write_config
from tests.servers.dovecot import new_account
from tests.servers.postgres import PostgresServer

TAKEOVER = 1.5  # store.takeover_seconds of these runs
LOCK_WAIT = "1"  # MAILBRIDGE_LOCK_WAIT: the old single daemon gave up (75) after this


@dataclass
class Pair:
    """Two single-mailbox daemons, their portal, and who owns the mailbox now."""

    a: Node
    b: Node
    sandbox: Any
    account: Any
    server: PostgresServer
    database: str
    status: socket.socket  # a NOTIFY_SOCKET both daemons talk to

    def owner(self) -> int | None:
        return owner_pid(lambda: self.server.connect(self.database), SINGLE_KEY)

    def counts(self) -> dict[str, int]:
        return dict(origin_counts(self.sandbox))

    def notices(self) -> list[str]:
        """The sd_notify messages received so far (both daemons)."""
        out = []
        while True:
            try:
                out.append(self.status.recv(4096).decode())
            except BlockingIOError:
                return out


@pytest.fixture
def pair(dovecot_server, postgres_server: PostgresServer, pg_url: str,
         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    database = pg_url.rsplit("/", 1)[1]
    with postgres_server.connect(database) as conn:  # a frozen owner's open transaction ends
        conn.execute(f'ALTER DATABASE "{database}" SET idle_in_transaction_session_timeout '
                     "= '2s'")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setenv("MAILBRIDGE_LOCK_WAIT", LOCK_WAIT)
    account = new_account(dovecot_server)
    with sandbox() as sb:
        configs = [write_config(tmp_path / host, pg_url=pg_url, webhook_url=sb.webhook_url,
                                account=account, takeover=TAKEOVER, single=True)
                   for host in ("a", "b")]
        p = Pair(Node("a", configs[0]), Node("b", configs[1]), sb, account, postgres_server,
                 database, notify)
        try:
            yield p
        finally:
            for node in (p.a, p.b):
                node.stop()
            notify.close()


def standing_by(node: Node, owner: Node) -> bool:
    """Has ``node`` logged that it stands by for ``owner``?"""
    return f"lease.standby mailbox=default owner=mailbridge@{socket.gethostname()}:" \
        f"{owner.pid} " in node.log()


def start_pair(pair: Pair, freeze: str = "") -> None:
    """A starts first and owns the (empty) mailbox; B starts and stands by."""
    pair.a.start(freeze)
    wait_for(lambda: pair.owner() == pair.a.pid, "a to own the mailbox")
    pair.b.start()
    wait_for(lambda: standing_by(pair.b, pair.a), "b standing by for a")


def assert_exactly_once(pair: Pair, n: int) -> None:
    counts = wait_for(lambda: (c := pair.counts()) and len(c) >= n and c, f"{n} leads")
    assert sorted(counts.values()) == [1] * n, counts  # 0 lost, 0 duplicated


def test_standby_takes_over_from_a_killed_owner(pair: Pair) -> None:
    """The owner is killed after a lead's answer and before its commit; the standby, which
    waited longer than the lock wait without exiting and said "standby" to systemd, takes
    over, looks the inherited row up and finishes the backlog: each enquiry once. --poll-now
    still refuses (75) an owned mailbox; a restarted daemon stands by and stops with 0."""
    n = 6
    start_pair(pair, freeze="after_answer:2")
    poll_now = subprocess.run(
        [sys.executable, "-m", "bridge", "--config", str(pair.b.config), "--poll-now"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, timeout=60, check=False)
    assert poll_now.returncode == 75, poll_now.stderr.decode(errors="replace")
    pair.account.append_many(form_email(200 + i) for i in range(n))  # IDLE wakes the owner
    wait_for(pair.a.frozen, "a frozen after an answer")
    assert pair.b.proc is not None and pair.b.proc.poll() is None  # still standing by
    assert any(f"STATUS=standby: the mailbox is worked by mailbridge@{socket.gethostname()}:"
               f"{pair.a.pid}" in m for m in pair.notices())
    pair.a.kill()
    wait_for(lambda: pair.owner() == pair.b.pid, "b to take over")
    assert_exactly_once(pair, n)
    pair.a.start()  # back as the standby
    wait_for(lambda: standing_by(pair.a, pair.b), "a standing by for b")
    assert pair.a.stop() == 0 and pair.b.stop() == 0
    assert sorted(pair.counts().values()) == [1] * n


def test_frozen_owner_is_fenced_and_stands_by_again(pair: Pair) -> None:
    """The owner is frozen before a send; the standby takes over; the woken owner sends
    nothing (fenced), does not exit but stands by again, and takes the mailbox back when the
    other one is killed, serving new mail: each enquiry once."""
    n = 6
    start_pair(pair, freeze="before_send:2")
    pair.account.append_many(form_email(300 + i) for i in range(n))  # IDLE wakes the owner
    wait_for(pair.a.frozen, "a frozen before a send")
    wait_for(lambda: pair.owner() == pair.b.pid, "b to take over")
    pair.a.signal(signal.SIGCONT)  # wakes past its deadline: fenced
    wait_for(lambda: "lease.lost mailbox=default (standing by again)" in pair.a.log(),
             "a back to standby")
    wait_for(lambda: standing_by(pair.a, pair.b), "a standing by for b")
    assert_exactly_once(pair, n)
    assert "daemon.lock_lost" in pair.a.log()  # the woken owner was fenced
    assert pair.a.proc is not None and pair.a.proc.poll() is None  # it did not exit
    pair.b.kill()
    wait_for(lambda: pair.owner() == pair.a.pid, "a to take the mailbox back")
    pair.account.append_many(form_email(400 + i) for i in range(2))
    assert_exactly_once(pair, n + 2)
    assert pair.a.stop() == 0
    assert sorted(pair.counts().values()) == [1] * (n + 2)
