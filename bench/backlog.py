"""Backlog drain: N form e-mails waiting in a real Dovecot, one ``--poll-now`` at the real
Bitrix24 limits (leaky bucket 2 requests/s, burst 50).

    .venv/bin/python bench/backlog.py [--n 1000] [--attach-pct 10] [--baseline-n 100]
                                      [--target lead|deal]

Prints, for the batched run (the default config) and for a one-request-per-lead baseline
(the same kind of backlog with ``bitrix24.batch = false``): wall time of the subprocess
(start-up included), HTTP requests to the portal by method, requests per lead (all, and
text-only leads alone), 503s, leads created and ORIGIN_ID uniqueness, and the ratios. The
baseline runs ``--baseline-n`` messages (100 by default: at 2 requests/s, 1,000 would take
~8 minutes) and its time is extrapolated to N, linearly and with the bucket model.
Targets from the issue: <= 0.05 requests per lead for text-only enquiries, no 503.
``--attach-pct 0`` measures the text-only case alone. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CliRun,
    banner,
    bench_config,
    dovecot,
    form_email,
    load_note,
    new_account,
    ratio,
    run_cli,
    sandbox,
    workdir,
)


def has_file(i: int, pct: float) -> bool:
    """Spread ``pct`` percent of the messages evenly (10 -> every 10th, starting at 0)."""
    return int((i + 1) * pct / 100) > int(i * pct / 100) if pct else False


@dataclass
class Outcome:
    label: str
    n: int
    with_files: int
    run: CliRun
    append_s: float
    stats: dict[str, Any]
    leads: int
    distinct_origin: int
    dup_origin: int
    names_ok: bool
    leads_with_files: int
    first_request_s: float | None = None
    last_request_s: float | None = None
    phases: dict[str, float | None] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return int(self.stats["requests"])

    @property
    def per_lead(self) -> float:
        return self.requests / self.leads if self.leads else float("nan")

    @property
    def text_only(self) -> int:
        return self.n - self.with_files

    @property
    def text_requests(self) -> int:
        """Requests not spent on file leads (each of those is one crm.lead.add by design)."""
        return self.requests - self.leads_with_files

    @property
    def text_per_lead(self) -> float:
        return self.text_requests / self.text_only if self.text_only else float("nan")


def drain(server: Any, label: str, n: int, pct: float, file_size: int, batch: bool,
          rate: float, burst: int, tmp: Path, timeout: float, processed: str,
          profile: Path | None = None, target: str = "lead") -> Outcome:
    account = new_account(server)
    flags = [has_file(i, pct) for i in range(n)]
    raws = (form_email(i, file_size=file_size if f else 0) for i, f in enumerate(flags))
    t0 = time.perf_counter()
    uids = account.append_many(raws)
    append_s = time.perf_counter() - t0
    if len(uids) != n:
        raise SystemExit(f"MULTIAPPEND stored {len(uids)} of {n} messages")
    run_dir = tmp / ("batched" if batch else "baseline")  # its own ledger (store.path)
    run_dir.mkdir()
    with sandbox(rate, burst) as sb:
        cfg = bench_config(run_dir / "config.toml", account, sb.webhook_url, rate=rate,
                           burst=burst, batch=batch, processed_folder=processed)
        if target == "deal":  # [crm] target = "deal": a contact and a deal per enquiry
            with cfg.open("a", encoding="utf-8") as fh:
                fh.write('\n[crm]\ntarget = "deal"\n')
        spawn_wall = time.time()
        pyflags = ["-m", "cProfile", "-o", str(profile)] if profile else []
        run = run_cli(cfg, "--poll-now", out_dir=run_dir, timeout=timeout, python_flags=pyflags)
        stats = sb.portal.stats()
        leads = sb.portal.list_leads()
        names = {lead.get("NAME") for lead in leads}
        with_files = sum(1 for lead in leads if sb.portal.lead_files(int(lead["ID"])))
        if target == "deal":
            from bridge.sandbox.entities import state

            ent = state(sb.portal)
            leads = list(ent.deals.values())
            names = {c.get("NAME") for c in ent.contacts.values()}
            with_files = len({c["ENTITY_ID"] for c in sb.portal.comments.values()
                              if c["ENTITY_TYPE"] == "deal" and c["FILES"]})
        origins = Counter(lead.get("ORIGIN_ID") for lead in leads)
        want = {f"Клиент Номер{i}" for i in range(n)}
        times = [r["time"] for r in sb.requests]
    out = Outcome(
        label=label, n=n, with_files=sum(flags), run=run, append_s=append_s, stats=stats,
        leads=len(leads), distinct_origin=len(origins),
        dup_origin=sum(c - 1 for c in origins.values() if c > 1),
        names_ok=names == want, leads_with_files=with_files,
    )
    if times:
        out.first_request_s = min(times) - spawn_wall
        out.last_request_s = max(times) - spawn_wall
    first_log = run.lines[0][0] if run.lines else None
    received = run.events("message.received")
    created = run.events("lead.created") + run.events("lead.found") + run.events("deal.created")
    moved = run.events("mailbox.updated")
    out.phases = {
        "first log line (imports, config)": first_log,
        "intake done (last message.received)": max(received) if received else None,
        "first lead.created": min(created) if created else None,
        "last lead.created": max(created) if created else None,
        "last mailbox.updated": max(moved) if moved else None,
        "exit": run.wall,
    }
    return out


def show(o: Outcome, rate: float, burst: int) -> None:
    run = o.run
    print(f"\n-- {o.label}: {o.n} messages ({o.with_files} with a file, {o.text_only} text-only)")
    print(f"   (MULTIAPPEND of the backlog took {o.append_s:.1f} s; not counted below)")
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "(no summary)"
    timeout = " (KILLED at the timeout)" if run.timed_out else ""
    print(f"exit code            {run.code}{timeout}   {summary}")
    print(f"wall time            {run.wall:.1f} s   ({o.n / run.wall:.1f} messages/s); CPU "
          f"{run.cpu:.1f} s user+sys; peak RSS {run.maxrss_mib:.0f} MiB")
    for name, t in o.phases.items():
        if t is not None:
            print(f"   {name:<38} at {t:7.2f} s")
    if o.first_request_s is not None and o.last_request_s is not None:
        print(f"   {'portal requests span':<38} {o.first_request_s:7.2f} .. "
              f"{o.last_request_s:.2f} s")
    st = o.stats
    print(f"HTTP requests        {o.requests}   by method: {dict(sorted(st['by_method'].items()))}")
    print(f"requests per lead    {o.per_lead:.4f}")
    print(f"text-only requests   {o.text_requests} for {o.text_only} text-only leads = "
          f"{o.text_per_lead:.4f} per lead   (file leads: {o.leads_with_files} requests, "
          f"one each by design)")
    print(f"503 answers          {st['count_503']}   (statuses {st['statuses']}; bucket "
          f"max level {st['max_bucket_level']:.1f} of {burst}, refused {st['rate_limited']})")
    dup = "each ORIGIN_ID once" if not o.dup_origin else f"{o.dup_origin} DUPLICATE ORIGIN_IDs"
    names = "every enquiry present" if o.names_ok else "enquiries MISSING or unexpected"
    print(f"leads created        {o.leads} of {o.n}; {dup}; {names}; "
          f"{o.leads_with_files} with files (want {o.with_files})")
    bucket_floor = max(0.0, o.requests - burst) / rate
    print(f"bucket floor         {bucket_floor:.1f} s  (= max(0, requests - {burst}) / {rate:g}"
          f" per s: the least time these requests can take at the portal's limit)")
    if run.code not in (0,) or o.leads != o.n:
        print("stderr tail:\n" + run.tail(20))


def show_profile(path: Path, top: int) -> None:
    import io
    import pstats

    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(str(path), stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(top)
        text = out.getvalue()
        start = text.find("   ncalls")
        print(f"\ncProfile of the batched run, top {top} by {key}:\n" + text[start:].rstrip())


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="backlog size (default 1000)")
    ap.add_argument("--attach-pct", type=float, default=10.0,
                    help="percent of messages with a PDF attachment (default 10)")
    ap.add_argument("--file-size", type=int, default=100_000,
                    help="attachment size in bytes (default 100000)")
    ap.add_argument("--baseline-n", type=int, default=100,
                    help="backlog size of the batch=false baseline (default 100; 0 = skip)")
    ap.add_argument("--rate", type=float, default=2.0, help="portal drain rate/s (default 2)")
    ap.add_argument("--burst", type=int, default=50, help="portal bucket size (default 50)")
    ap.add_argument("--processed-folder", default="Processed",
                    help='imap.processed_folder ("" = mark \\Seen in place; default Processed)')
    ap.add_argument("--timeout", type=float, default=1800.0, help="kill a run after this many s")
    ap.add_argument("--target", choices=("lead", "deal"), default="lead",
                    help='[crm] target: "deal" makes a contact and a deal per enquiry')
    ap.add_argument("--profile", type=int, metavar="TOP", default=0,
                    help="run the batched --poll-now under cProfile and list the TOP functions "
                         "by cumulative and by own time (timings then include its overhead)")
    return ap.parse_args()


def main() -> int:
    args = parse_args()
    banner("backlog drain (--poll-now subprocess, real Dovecot, sandbox at the real limits)")
    print(f"portal: leaky bucket rate {args.rate:g}/s, burst {args.burst}; client configured "
          f"with the same figures; attachments {args.attach_pct:g}% x {args.file_size} B PDF; "
          f"processed_folder={args.processed_folder!r}")
    with dovecot() as server, workdir("bench-backlog-") as tmp:
        prof = tmp / "poll.prof" if args.profile else None
        main_run = drain(server, "batched (default config)", args.n, args.attach_pct,
                         args.file_size, True, args.rate, args.burst, tmp, args.timeout,
                         args.processed_folder, prof, args.target)
        show(main_run, args.rate, args.burst)
        if prof is not None and prof.exists():
            show_profile(prof, args.profile)
        base = None
        if args.baseline_n > 0:
            base = drain(server, "baseline (bitrix24.batch = false)", args.baseline_n,
                         args.attach_pct, args.file_size, False, args.rate, args.burst, tmp,
                         args.timeout, args.processed_folder, target=args.target)
            show(base, args.rate, args.burst)
    summarise(main_run, base, args.rate, args.burst)
    print(load_note())
    return 0


def summarise(m: Outcome, base: Outcome | None, rate: float, burst: int) -> None:
    """The batched run against the baseline, extrapolated to the batched run's size."""
    print("\n== summary")
    print(f"batched: {m.n} messages in {m.run.wall:.1f} s; {m.requests} requests = "
          f"{m.per_lead:.4f}/lead (text-only {m.text_per_lead:.4f}/lead, target <= 0.05); "
          f"503s {m.stats['count_503']} (target 0); leads {m.leads}/{m.n}, duplicate "
          f"ORIGIN_IDs {m.dup_origin}")
    if base is not None:
        scale = m.n / base.n
        base_req = base.per_lead * m.n
        linear = base.run.wall * scale
        first = base.first_request_s or 0.0
        tail = base.run.wall - (base.last_request_s or base.run.wall)
        floor = first + max(0.0, base_req - burst) / rate + tail
        model = max(linear, floor)
        print(f"baseline: {base.n} messages in {base.run.wall:.1f} s; {base.requests} requests "
              f"= {base.per_lead:.4f}/lead (text-only {base.text_per_lead:.4f}/lead); 503s "
              f"{base.stats['count_503']}")
        print(f"baseline EXTRAPOLATED to {m.n} (not measured): requests {base_req:.0f} "
              f"(= {base.per_lead:.4f} x {m.n}); time {linear:.0f} s linearly "
              f"(= {base.run.wall:.1f} s x {scale:g}), {model:.0f} s by the bucket model "
              f"(the larger of the linear figure and {first:.1f} s to the first request + "
              f"(requests - {burst}) / {rate:g}/s + {tail:.1f} s after the last; "
              f"linear scaling understates a rate-bound run: only the first {burst} "
              f"requests are free)")
        print(f"ratio batched/baseline: requests {ratio(m.requests, base_req)} "
              f"(text-only per lead {ratio(m.text_per_lead, base.text_per_lead)}), "
              f"time {ratio(m.run.wall, linear)} vs linear, {ratio(m.run.wall, model)} vs model"
              f"; speed-up x{ratio(model, m.run.wall)} (model), x{ratio(linear, m.run.wall)}"
              f" (linear)")


if __name__ == "__main__":
    sys.exit(main())
