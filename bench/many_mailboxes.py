"""Many mailboxes, two portals: one daemon drains a backlog in every mailbox at once.

    .venv/bin/python bench/many_mailboxes.py [--mailboxes 6] [--per-mailbox 50]
        [--rate 2] [--burst 50] [--memory-points 1,3,6] [--timeout 1800]

The issue's full run (20 mailboxes x 200 enquiries) takes several minutes:

    .venv/bin/python bench/many_mailboxes.py --mailboxes 20 --per-mailbox 200

One Dovecot holds one user per mailbox, each with its own backlog of form e-mails; two sandbox
portals run at the documented limits of an ordinary plan (leaky bucket 2 requests/s, burst 50:
/work/b24docs/limits.md, "Request Rate Limits"; docs/bitrix24.md "Limits"). The odd mailboxes
send to portal A (the top-level [bitrix24]), the even ones to portal B (their own
[mailboxes.bitrix24]). One daemon (`python -m bridge`, IDLE on) serves them all. Printed:

* requests per lead, per portal and overall, by method; 503s (want 0); every ORIGIN_ID once;
* time to drain (from spawn, and from `daemon.started`) against the portals' rate-limit
  floors: the unbatched floor `(leads - burst) / rate` of one request per lead, and the bucket
  floor `(requests - burst) / rate` of the requests actually made;
* memory: the daemon's RSS after the drain and its peak, and the RSS growth per added mailbox
  (daemons with 1..N mailboxes, fresh ledgers, after each mailbox took two enquiries through
  and went back to IDLE; a least-squares slope).

Nothing is asserted; the figures are for the report.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ImapAccount,
    SandboxServer,
    banner,
    dovecot,
    form_email,
    load_note,
    new_account,
    ratio,
    sandbox,
    start_cli,
    workdir,
)

from tests.e2e import toml_str


def mailbox_table(name: str, account: ImapAccount, portal: SandboxServer | None,
                  rate: float, burst: int) -> str:
    """One [[mailboxes]] entry; with ``portal`` it sends to that portal, not the default."""
    server = account.server
    text = (f'\n[[mailboxes]]\nname = "{name}"\nport = {server.tls_port}\n'
            f"username = {toml_str(account.user)}\npassword = {toml_str(account.password)}\n"
            f"ca_file = {toml_str(server.ca_file)}\n")
    if portal is not None:
        text += (f"\n[mailboxes.bitrix24]\nwebhook_url = {toml_str(portal.webhook_url)}\n"
                 f"rate_per_second = {rate}\nburst = {burst}\n")
    return text


def write_config(path: Path, accounts: list[ImapAccount], portals: list[SandboxServer],
                 rate: float, burst: int) -> Path:
    """A [[mailboxes]] config: mailbox i sends to portals[i % 2] (A is the default portal)."""
    text = f"""
[imap]
host = "127.0.0.1"
security = "ssl"
folder = "INBOX"
processed_folder = "Processed"
poll_interval = 60
timeout = 30
idle = true

[bitrix24]
webhook_url = {toml_str(portals[0].webhook_url)}
responsible_user_id = 1
rate_per_second = {rate}
burst = {burst}

[attachments]
field = "auto"

[store]
path = "bridge.db"
"""
    for i, account in enumerate(accounts):
        own = portals[i % len(portals)] if i % len(portals) else None
        text += mailbox_table(f"box-{i + 1:02d}", account, own, rate, burst)
    path.write_text(text, encoding="utf-8")
    return path


def rss_kib(pid: int) -> int:
    """VmRSS of a running process (KiB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_until(done: Any, timeout: float, child: Any) -> bool:
    """Poll ``done()`` every 50 ms until it holds, the child exits or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if done():
            return True
        if child.proc.poll() is not None:
            return False
        time.sleep(0.05)
    return done()


@dataclass
class Drain:
    leads: int
    expected: int
    drained_s: float | None
    started_s: float | None
    rss_after_kib: int
    peak_kib: int
    code: int
    stats: list[dict[str, Any]]
    origins: Counter[str]
    tail: str


def drain(accounts: list[ImapAccount], portals: list[SandboxServer], per_box: int,
          rate: float, burst: int, tmp: Path, timeout: float) -> Drain:
    """Fill every mailbox, start one daemon, wait until every enquiry is a lead, stop it.
    (form_email numbers stay below 10**7, where its phone numbers would repeat.)"""
    for b, account in enumerate(accounts):
        uids = account.append_many(form_email(b * 100_000 + i) for i in range(per_box))
        if len(uids) != per_box:
            raise SystemExit(f"MULTIAPPEND stored {len(uids)} of {per_box} messages")
    expected = per_box * len(accounts)
    cfg = write_config(tmp / "config.toml", accounts, portals, rate, burst)

    def leads() -> int:
        return sum(int(p.portal.stats()["leads"]) for p in portals)

    child = start_cli(cfg, out_dir=tmp)
    ok = wait_until(lambda: leads() >= expected, timeout, child)
    drained_s = time.monotonic() - child.started if ok else None
    wait_until(lambda: inboxes_empty(accounts), 120, child)  # every mail moved
    rss_after = rss_kib(child.pid) if child.proc.poll() is None else 0
    child.signal(15)
    run = child.wait(60)
    started = [t for t, line in run.lines if "daemon.started" in line]
    origins = Counter(lead["ORIGIN_ID"] for p in portals for lead in p.portal.list_leads())
    return Drain(leads(), expected, drained_s, started[0] if started else None, rss_after,
                 run.maxrss_kib, run.code, [p.portal.stats() for p in portals], origins,
                 run.tail())


def inboxes_empty(accounts: list[ImapAccount]) -> bool:
    return all(not a.uids("INBOX") for a in accounts)


def steady_rss(accounts: list[ImapAccount], portals: list[SandboxServer], rate: float,
               burst: int, tmp: Path, first: int) -> int:
    """RSS (KiB) of a daemon serving ``accounts`` once each mailbox has taken two new
    enquiries through (fetched, pushed, moved), its ledger fresh, then idled for a second."""
    tmp.mkdir()
    for b, account in enumerate(accounts):
        account.append_many(form_email(first + b * 10 + i) for i in range(2))
    before = sum(len(p.portal.list_leads()) for p in portals)
    cfg = write_config(tmp / "config.toml", accounts, portals, rate, burst)
    child = start_cli(cfg, out_dir=tmp)

    def done() -> bool:
        made = sum(len(p.portal.list_leads()) for p in portals) - before
        return made >= 2 * len(accounts) and inboxes_empty(accounts)

    ok = wait_until(done, 300, child)
    time.sleep(1.0)  # back in IDLE after the pass
    rss = rss_kib(child.pid) if ok and child.proc.poll() is None else 0
    child.signal(15)
    run = child.wait(60)
    if not rss:
        print(f"{len(accounts)} mailboxes: no steady state (exit {run.code}); log tail:\n"
              + run.tail())
    return rss


def slope(points: list[tuple[int, int]]) -> float:
    """Least-squares slope of RSS (KiB) over the number of mailboxes."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else float("nan")


def report_drain(d: Drain, rate: float, burst: int) -> None:
    total_requests = sum(int(s["requests"]) for s in d.stats)
    print(f"daemon exit code {d.code} (SIGTERM after the drain; want 0)")
    print(f"leads {d.leads} of {d.expected}; distinct ORIGIN_ID {len(d.origins)}; "
          f"duplicated {sum(1 for c in d.origins.values() if c > 1)}")
    for name, s in zip("AB", d.stats, strict=False):
        methods = ", ".join(f"{k} {v}" for k, v in sorted(s["by_method"].items()))
        print(f"portal {name}: {s['leads']} leads, {s['requests']} requests "
              f"({ratio(s['requests'], s['leads'])} per lead), 503s {s['count_503']}, "
              f"highest bucket level {s['max_bucket_level']:.1f}; {methods}")
    print(f"requests per lead overall: {ratio(total_requests, d.leads)}")
    most = max(int(s["leads"]) for s in d.stats)  # the busier portal sets the floor
    unbatched = max(0.0, most - burst) / rate
    bucket = max(max(0.0, int(s["requests"]) - burst) / rate for s in d.stats)
    if d.drained_s is None:
        print("NOT DRAINED before the timeout; log tail:\n" + d.tail)
        return
    since_start = d.drained_s - (d.started_s or 0.0)
    print(f"time to drain: {d.drained_s:.1f} s from spawn, {since_start:.1f} s from "
          f"daemon.started")
    print(f"rate-limit floor per portal: one request per lead {unbatched:.1f} s "
          f"(({most} leads - burst {burst}) / {rate}/s); bucket floor of the "
          f"requests made {bucket:.1f} s")
    print(f"drain / unbatched floor: {ratio(since_start, unbatched)}")
    print(f"RSS after the drain {d.rss_after_kib / 1024:.1f} MiB, peak "
          f"{d.peak_kib / 1024:.1f} MiB")


def memory_points(text: str, n: int) -> list[int]:
    points = sorted({min(n, max(1, int(x))) for x in text.split(",") if x.strip()} | {1, n})
    return points


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mailboxes", type=int, default=6)
    ap.add_argument("--per-mailbox", type=int, default=50)
    ap.add_argument("--rate", type=float, default=2.0, help="requests/s (the plan's Y)")
    ap.add_argument("--burst", type=int, default=50, help="bucket size (the plan's X)")
    ap.add_argument("--memory-points", default="", help="mailbox counts for the RSS slope "
                    "(1 and --mailboxes are always measured)")
    ap.add_argument("--timeout", type=float, default=1800.0)
    args = ap.parse_args()
    banner("many mailboxes, two portals")
    print(f"{args.mailboxes} mailboxes x {args.per_mailbox} enquiries, 2 portals at "
          f"{args.rate}/s burst {args.burst}; full run: .venv/bin/python "
          "bench/many_mailboxes.py --mailboxes 20 --per-mailbox 200")
    with dovecot() as server, workdir("bench-many-") as tmp, \
            sandbox(args.rate, args.burst) as a, sandbox(args.rate, args.burst) as b:
        accounts = [new_account(server) for _ in range(args.mailboxes)]
        (tmp / "drain").mkdir()
        d = drain(accounts, [a, b], args.per_mailbox, args.rate, args.burst, tmp / "drain",
                  args.timeout)
        report_drain(d, args.rate, args.burst)
        points = []
        for n, k in enumerate(memory_points(args.memory_points, args.mailboxes)):
            points.append((k, steady_rss(accounts[:k], [a, b], args.rate, args.burst,
                                         tmp / f"steady-{k}", 5_000_000 + 1000 * n)))
        print("RSS after one pass, by mailboxes: " + ", ".join(
            f"{k}: {rss / 1024:.1f} MiB" for k, rss in points))
        print(f"RSS growth per added mailbox: {slope(points) / 1024:.2f} MiB")
    print(load_note())


if __name__ == "__main__":
    main()
