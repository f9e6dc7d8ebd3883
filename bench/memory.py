"""Peak memory of a ``--poll-now`` subprocess.

    .venv/bin/python bench/memory.py [--small 1000] [--large 20] [--large-mb 10]

Cases, each a fresh mailbox and ledger, the sandbox at a high rate (1000/s, burst 1000) so
the CRM limit does not stretch the run:

* reference: ``python -m bridge --help`` and a ``--poll-now`` that finds nothing new
  (the interpreter plus imports);
* ``--small`` form e-mails without attachments (default 1,000);
* ``--large`` form e-mails with one ``--large-mb`` MiB PDF each (default 20 x 10 MiB;
  ``attachments.max_size_mb = 11`` lets them through).

The peak is the child's ``ru_maxrss`` from ``wait4`` (the kernel's high-water mark, the
same figure as VmHWM). A sampler reads ``/proc/PID/status`` every 20 ms as well, to say in
which phase (intake, push, mailbox update; from the timed log lines) the peak came.
Target from the issue: <= 150 MB with 10 MB attachments. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CliRun,
    DovecotServer,
    banner,
    bench_config,
    dovecot,
    form_email,
    load_note,
    new_account,
    run_cli,
    run_python,
    sandbox,
    start_cli,
    workdir,
)

MIB = 1024 * 1024
RATE, BURST = 1000.0, 1000


class Sampler:
    """VmRSS of a process every ``period`` s, as (seconds since ``origin``, KiB), and the
    highest VmHWM seen: the kernel's own high-water mark of that process's memory, which
    catches spikes between samples. (wait4's ru_maxrss overstates a child started from a
    big parent: Linux carries the parent's high-water mark across fork + exec, and this
    benchmark process holds the sandbox's stored files.)"""

    def __init__(self, pid: int, origin: float, period: float = 0.02) -> None:
        self.pid, self.origin, self.period = pid, origin, period
        self.samples: list[tuple[float, int]] = []
        self.hwm_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        path = Path(f"/proc/{self.pid}/status")
        while not self._stop.is_set():
            try:
                for ln in path.read_text().splitlines():
                    if ln.startswith("VmHWM:"):
                        self.hwm_kib = max(self.hwm_kib, int(ln.split()[1]))
                    if ln.startswith("VmRSS:"):
                        self.samples.append((time.monotonic() - self.origin,
                                             int(ln.split()[1])))
                        break
            except (OSError, ValueError):
                return
            self._stop.wait(self.period)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def phase_of(t: float, run: CliRun) -> str:
    received = run.events("message.received")
    created = run.events("lead.created")
    if run.lines and t < run.lines[0][0]:
        return "start-up"
    if received and t <= max(received) + 0.05:
        return "intake (fetch + ledger)"
    if created and t <= max(created) + 0.05:
        return "parse + push"
    return "mailbox update / exit"


def measure(server: DovecotServer, label: str, raws: list[bytes], tmp: Path, *,
            max_size_mb: float | None, timeout: float,
            ) -> tuple[CliRun, list[tuple[float, int]], dict[str, Any]]:
    account = new_account(server)
    count = len(account.append_many(raws))
    run_dir = tmp / label
    run_dir.mkdir()
    with sandbox(RATE, BURST) as sb:
        cfg = bench_config(run_dir / "config.toml", account, sb.webhook_url, rate=RATE,
                           burst=BURST, max_size_mb=max_size_mb)
        child = start_cli(cfg, "--poll-now", out_dir=run_dir)
        sampler = Sampler(child.pid, child.started)
        run = child.wait(timeout)
        sampler.stop()
        stats = sb.portal.stats()
        files = sum(len(sb.portal.lead_files(int(lead["ID"])))
                    for lead in sb.portal.list_leads())
    stats = {**stats, "messages": count, "files": files, "hwm_mib": sampler.hwm_kib / 1024}
    return run, sampler.samples, stats


def report(label: str, run: CliRun, samples: list[tuple[float, int]], stats: dict[str, Any],
           mail_mib: float, ref_mib: float) -> None:
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "(no summary)"
    print(f"\n-- {label}")
    print(f"exit {run.code}{' (KILLED at the timeout)' if run.timed_out else ''}; {summary}")
    print(f"wall {run.wall:.1f} s, CPU {run.cpu:.1f} s; leads {stats['leads']} of "
          f"{stats['messages']}, files stored {stats['files']}, requests {stats['requests']}, "
          f"503s {stats['count_503']}")
    hwm = stats["hwm_mib"]
    print(f"peak RSS (VmHWM)            {hwm:7.1f} MiB   = {ref_mib:.1f} MiB idle reference + "
          f"{hwm - ref_mib:.1f} MiB; mail in the mailbox {mail_mib:.1f} MiB")
    print(f"(wait4 ru_maxrss            {run.maxrss_mib:7.1f} MiB: includes this benchmark "
          "process's own high-water mark, carried over fork + exec)")
    if samples:
        t_peak, kib = max(samples, key=lambda s: s[1])
        print(f"sampled VmRSS peak          {kib / 1024:7.1f} MiB at {t_peak:.2f} s, during "
              f"{phase_of(t_peak, run)}")
        by_phase: dict[str, int] = {}
        for t, k in samples:
            ph = phase_of(t, run)
            by_phase[ph] = max(by_phase.get(ph, 0), k)
        print("   max VmRSS by phase: " + ", ".join(f"{p} {k / 1024:.0f} MiB"
                                                   for p, k in by_phase.items()))
    if run.code != 0 or stats["leads"] != stats["messages"]:
        print("stderr tail:\n" + run.tail(15))


def _vm(field: str) -> float:
    for ln in Path("/proc/self/status").read_text().splitlines():
        if ln.startswith(field + ":"):
            return int(ln.split()[1]) / 1024
    return float("nan")


def steps_child(config_path: str) -> int:
    """Run in a fresh interpreter: one large message through the bridge's own steps, each
    under tracemalloc (Python allocations; the peak during the step and what it keeps)."""
    import json
    import tracemalloc

    from bridge.config import load
    from bridge.crm import file_values, json_body
    from bridge.leads import LeadSettings, build_lead
    from bridge.mailbox import ImapMailbox
    from bridge.parsing import parse_message

    cfg = load(config_path)
    mailbox = ImapMailbox(cfg.imap)
    mailbox.connect()
    mailbox.select(cfg.imap.folder)
    uids = mailbox.search_new(None, None)
    tracemalloc.start()
    rows: list[tuple[str, float, float, float, float]] = []
    size = 0.0

    def step(name: str, fn: Callable[[], Any]) -> Any:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        now, peak = tracemalloc.get_traced_memory()
        rows.append((name, (peak - before) / MIB, (now - before) / MIB, _vm("VmRSS"),
                     _vm("VmHWM")))
        return out

    msgs = step(f"ImapMailbox.fetch([uid]) (chunk of {len(uids[:1])})",
                lambda: list(mailbox.fetch(uids[:1])))
    raw = msgs[0].raw
    size = len(raw) / MIB
    del msgs
    parsed = step("parse_message(raw)", lambda: parse_message(raw, cfg.parse_options()))
    lead = step("build_lead(parsed)", lambda: build_lead(parsed, LeadSettings(), "bench"))
    field = cfg.attachments.field

    def body() -> bytes:  # what Bitrix24Client.add_lead -> _send_once serialises
        fields = dict(lead.fields)
        fields[field] = file_values(lead.files)
        params = {"fields": fields, "params": {"REGISTER_SONET_EVENT": "Y"}}
        return json_body(params)

    step("crm.add_lead request body (file_values + json_body)", body)
    mailbox.close()
    print(json.dumps({"size_mib": size, "rows": rows}))
    return 0


def steps_profile(server: DovecotServer, tmp: Path, mib: float) -> None:
    """One ``mib`` MiB attachment message through fetch, parse, lead, request body."""
    import json

    account = new_account(server)
    account.deliver(form_email(0, file_size=int(mib * MIB)))
    run_dir = tmp / "steps"
    run_dir.mkdir()
    nowhere = "http://127.0.0.1:9/rest/1/XXXXXXXXXXXXXXXX/"  # the profile sends nothing
    cfg = bench_config(run_dir / "config.toml", account, nowhere, max_size_mb=max(11.0, mib + 1))
    child = run_python([__file__, "--steps-child", str(cfg)], out_dir=run_dir, timeout=120)
    if child.code != 0:
        print("step profile failed:\n" + child.tail(15))
        return
    data = json.loads(child.stdout.strip().splitlines()[-1])
    size = data["size_mib"]
    print(f"\n-- where the memory goes: one {mib:g} MiB attachment ({size:.1f} MiB message), "
          "step by step in a fresh interpreter (tracemalloc: Python allocations only)")
    print(f"   {'step':<62} {'peak':>9} {'kept':>9}  {'x msg':>6}  {'VmRSS':>7} {'VmHWM':>7}")
    for name, peak, kept, rss, hwm in data["rows"]:
        print(f"   {name:<62} {peak:7.1f}Mi {kept:7.1f}Mi  {peak / size:6.1f}  {rss:5.0f}Mi "
              f"{hwm:5.0f}Mi")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", type=int, default=1000,
                    help="small e-mails, no attachment (default 1000; 0 = skip)")
    ap.add_argument("--large", type=int, default=20,
                    help="e-mails with a large attachment (default 20; 0 = skip)")
    ap.add_argument("--large-mb", type=float, default=10.0,
                    help="attachment size in MiB (default 10)")
    ap.add_argument("--timeout", type=float, default=900.0, help="kill a run after this many s")
    ap.add_argument("--no-steps", action="store_true",
                    help="skip the step-by-step profile of one large message")
    ap.add_argument("--steps-child", metavar="CONFIG", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.steps_child:
        return steps_child(args.steps_child)

    banner("peak RSS of --poll-now (subprocess, real Dovecot, sandbox at 1000/s)")
    with dovecot() as server, workdir("bench-memory-") as tmp:
        help_run = run_cli(None, "--help", out_dir=tmp)
        account = new_account(server)
        ref_dir = tmp / "empty"
        ref_dir.mkdir()
        with sandbox(RATE, BURST) as sb:
            cfg = bench_config(ref_dir / "config.toml", account, sb.webhook_url, rate=RATE,
                               burst=BURST)
            empty = run_cli(cfg, "--poll-now", out_dir=ref_dir)
        print(f"reference: `python -m bridge --help` {help_run.maxrss_mib:.1f} MiB; "
              f"`--poll-now` with an empty mailbox {empty.maxrss_mib:.1f} MiB "
              f"(exit {empty.code}, {empty.wall:.2f} s)")
        ref = empty.maxrss_mib
        results = []
        if args.small:
            raws = [form_email(i) for i in range(args.small)]
            mail = sum(len(r) for r in raws) / MIB
            run, samples, stats = measure(server, "small", raws, tmp, max_size_mb=None,
                                          timeout=args.timeout)
            report(f"{args.small} small e-mails (no attachment)", run, samples, stats, mail, ref)
            results.append((f"{args.small} small", run, stats["hwm_mib"]))
        if args.large:
            size = int(args.large_mb * MIB)
            raws = [form_email(i, file_size=size) for i in range(args.large)]
            mail = sum(len(r) for r in raws) / MIB
            run, samples, stats = measure(server, "large", raws, tmp,
                                          max_size_mb=max(11.0, args.large_mb + 1),
                                          timeout=args.timeout)
            report(f"{args.large} e-mails with a {args.large_mb:g} MiB PDF each", run, samples,
                   stats, mail, ref)
            results.append((f"{args.large} x {args.large_mb:g} MiB", run, stats["hwm_mib"]))
        if not args.no_steps:
            steps_profile(server, tmp, args.large_mb)

    print("\n== summary (peak RSS of the bridge process, VmHWM)")
    print(f"reference (empty --poll-now, ru_maxrss): {ref:.1f} MiB")
    for label, run, hwm in results:
        print(f"{label:<16} {hwm:7.1f} MiB  ({hwm * MIB / 1e6:.1f} MB; "
              f"target <= 150 MB with 10 MB attachments); exit {run.code}, {run.wall:.1f} s")
    print(load_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
