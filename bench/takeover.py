"""Takeover: the time from the owner's death to the first lead pushed by the standby.

    .venv/bin/python bench/takeover.py [--runs 3] [--takeover 5] [--modes stop,kill]

Two daemons (``python -m bridge``, the same ``[[mailboxes]]`` config in two folders, as two
hosts would run it) share one PostgreSQL ledger (a private cluster) and one Dovecot mailbox;
the portal is the local sandbox. Per run: the owner starts and pushes a first lead, the
standby starts and waits; then the owner is

* ``stop``: frozen with SIGSTOP (a hung host, or a SIGKILLed owner on *another* host: its
  lease must expire), or
* ``kill``: killed with SIGKILL on this host (the standby sees the process is gone and takes
  the lease at once);

two new enquiries are delivered at that moment and the clock runs until the standby's first
lead appears in the portal. Prints min/median/max per mode of both times (the standby holds
the lease; its first lead), in seconds and as a share of ``store.takeover_seconds``. By
design a frozen owner's mailbox is taken over within 0.875 x takeover_seconds (bridge.lease);
the rest is the standby's start of work (ledger, portal check, IMAP login, intake). Nothing
is asserted.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DovecotServer, banner, dovecot, new_account, workdir

from bridge.sandbox import SandboxServer
from tests.forms import form_email
from tests.helpers.failover import Node, owner_pid, wait_for, write_config
from tests.servers.postgres import PostgresServer, running_server


def one_run(server: PostgresServer, imap: DovecotServer, folder: Path, run: int, mode: str,
            takeover: float) -> tuple[float, float]:
    """One owner death; seconds until the standby holds the lease, and until its first
    lead."""
    database = f"takeover_{run}_{mode}"
    url = server.create_database(database)
    account = new_account(imap)
    with SandboxServer() as sb:
        configs = [write_config(folder / f"{run}-{mode}" / host, pg_url=url,
                                webhook_url=sb.webhook_url, account=account, takeover=takeover)
                   for host in ("a", "b")]
        owner, standby = Node("a", configs[0]), Node("b", configs[1])
        try:
            account.deliver(form_email(0))
            owner.start()
            wait_for(lambda: len(sb.portal.list_leads()) == 1, "the owner's first lead", 120)
            standby.start()
            wait_for(lambda: "lease.waiting" in standby.log(), "the standby", 120)
            time.sleep(1.0)  # the standby has done its first attempt and waits
            assert owner_pid(lambda: server.connect(database)) == owner.pid
            died = time.monotonic()
            owner.signal(signal.SIGSTOP if mode == "stop" else signal.SIGKILL)
            for i in (1, 2):
                account.deliver(form_email(i))
            wait_for(lambda: owner_pid(lambda: server.connect(database)) == standby.pid,
                     "the takeover", takeover + 120)
            taken = time.monotonic() - died
            wait_for(lambda: len(sb.portal.list_leads()) > 1, "the standby's lead",
                     takeover + 120)
            return taken, time.monotonic() - died
        finally:
            standby.stop()
            owner.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--takeover", type=float, default=5.0,
                        help="store.takeover_seconds (default 5)")
    parser.add_argument("--modes", default="stop,kill")
    args = parser.parse_args()
    banner("takeover", sys.argv)
    results: dict[tuple[str, str], list[float]] = {}
    with running_server() as server, dovecot() as imap, workdir("bench-takeover-") as folder:
        for mode in args.modes.split(","):
            for run in range(args.runs):
                taken, lead = one_run(server, imap, folder, run, mode, args.takeover)
                results.setdefault((mode, "lease taken"), []).append(taken)
                results.setdefault((mode, "first lead"), []).append(lead)
                print(f"  {mode} run {run + 1}: lease taken {taken:.2f} s, first lead "
                      f"{lead:.2f} s", flush=True)
    print(f"\nstore.takeover_seconds = {args.takeover:g}; from the owner's death:")
    for (mode, what), values in results.items():
        lo, mid, hi = min(values), statistics.median(values), max(values)
        print(f"  {mode:4} {what:11} n={len(values)}  min {lo:.2f} s  median {mid:.2f} s  "
              f"max {hi:.2f} s  (median = {mid / args.takeover:.2f} x takeover_seconds)")


if __name__ == "__main__":
    main()
