"""Start-up cost: ``--poll-now`` with nothing new, and what the imports cost.

    .venv/bin/python bench/startup.py [--runs 7] [--top 15]

* wall time of ``python -m bridge --config X --poll-now`` against a real Dovecot (one
  message already processed, so nothing is new) and the sandbox: the first (cold: ledger
  created, first-run search) run, then the median/min/max of ``--runs`` runs, beside the
  interpreter floor (``python -c pass``) and ``python -m bridge --help``;
* the CRM requests and IMAP work such a run makes (it should make no CRM request);
* ``python -X importtime -m bridge --help`` and the same for the ``--poll-now`` run: total
  import time and the top importers by cumulative and by self time.

Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    CliRun,
    banner,
    bench_config,
    dovecot,
    form_email,
    load_note,
    median,
    new_account,
    run_cli,
    run_python,
    sandbox,
    workdir,
)

IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)\s*$")


def import_table(run: CliRun) -> list[tuple[int, int, int, str]]:
    """(self us, cumulative us, depth, module) from ``-X importtime`` stderr."""
    rows = []
    for _, line in run.lines:
        m = IMPORT_LINE.match(line)
        if m:
            depth = (len(m.group(3)) - 1) // 2
            rows.append((int(m.group(1)), int(m.group(2)), depth, m.group(4)))
    return rows


def show_imports(title: str, run: CliRun, top: int) -> None:
    rows = import_table(run)
    total = sum(r[0] for r in rows)
    print(f"\n-- {title}: {len(rows)} modules, {total / 1000:.0f} ms of imports "
          f"(sum of self times), process wall {run.wall * 1000:.0f} ms")
    print("top-level imports by cumulative time (depth 0):")
    for self_us, cum, _depth, name in sorted((r for r in rows if r[2] == 0),
                                             key=lambda r: -r[1])[:top]:
        print(f"   {cum / 1000:7.1f} ms cumulative  {self_us / 1000:6.1f} ms self  {name}")
    print("bridge modules by cumulative time:")
    for self_us, cum, _depth, name in sorted((r for r in rows if r[3].startswith("bridge")),
                                             key=lambda r: -r[1])[:top]:
        print(f"   {cum / 1000:7.1f} ms cumulative  {self_us / 1000:6.1f} ms self  {name}")
    print("heaviest modules by self time:")
    for self_us, _cum, _depth, name in sorted(rows, key=lambda r: -r[0])[:top]:
        print(f"   {self_us / 1000:7.1f} ms self  {name}")


def time_mode(title: str, env: dict[str, str | None], cfg: Path, tmp: Path,
              runs: int) -> list[tuple[str, CliRun]]:
    """Time the interpreter floor, --help and a nothing-new --poll-now in one bytecode mode;
    returns the two -X importtime runs to list."""
    run_cli(None, "--help", out_dir=tmp, env=env)  # fills the cache in cached mode
    run_cli(cfg, "--poll-now", out_dir=tmp, env=env)
    floor_runs = [run_python(["-c", "pass"], out_dir=tmp, env=env) for _ in range(runs)]
    help_runs = [run_cli(None, "--help", out_dir=tmp, env=env) for _ in range(runs)]
    floor, floor_cpu = [r.wall for r in floor_runs], [r.cpu for r in floor_runs]
    helps, help_cpu = [r.wall for r in help_runs], [r.cpu for r in help_runs]
    warm = [run_cli(cfg, "--poll-now", out_dir=tmp, env=env) for _ in range(runs)]
    walls = [r.wall for r in warm]
    codes = sorted({r.code for r in warm})
    print(f"\n-- {title}")
    print(f"interpreter floor `python -c pass`: median {median(floor) * 1000:.0f} ms "
          f"wall, {median(floor_cpu) * 1000:.0f} ms CPU")
    print(f"`python -m bridge --help`:          median {median(helps) * 1000:.0f} ms "
          f"wall, {median(help_cpu) * 1000:.0f} ms CPU")
    print(f"--poll-now, nothing new, {runs} runs: median {median(walls):.3f} s "
          f"wall (min {min(walls):.3f}, max {max(walls):.3f}), median "
          f"{median([r.cpu for r in warm]):.3f} s CPU (user+sys); exit codes {codes}; "
          f"peak RSS {median([r.maxrss_mib for r in warm]):.1f} MiB")
    print(f"   = {median(walls) / median(floor):.1f}x the interpreter floor; "
          f"{(median(walls) - median(helps)) * 1000:.0f} ms more than --help")
    if any(r.code != 0 for r in warm):
        print("stderr tail of the last run:\n" + warm[-1].tail(10))
    flags = ["-X", "importtime"]
    return [
        (f"python -X importtime -m bridge --help; {title}",
         run_cli(None, "--help", out_dir=tmp, python_flags=flags, env=env)),
        (f"python -X importtime -m bridge --config X --poll-now (nothing new); {title}",
         run_cli(cfg, "--poll-now", out_dir=tmp, python_flags=flags, env=env)),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="timed runs (default 7)")
    ap.add_argument("--top", type=int, default=15, help="importers to list (default 15)")
    args = ap.parse_args()

    banner("start-up: --poll-now with nothing new (subprocess, real Dovecot, sandbox)")
    with dovecot() as server, workdir("bench-startup-") as tmp, sandbox(2.0, 50) as sb:
        modes: list[tuple[str, dict[str, str | None]]] = []
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            modes.append(("as run here (PYTHONDONTWRITEBYTECODE=1: bridge/ compiled at "
                          "every start)", {}))
        modes.append(("with a bytecode cache (as an installed package has; "
                      "PYTHONPYCACHEPREFIX in a temp dir)",
                      {"PYTHONDONTWRITEBYTECODE": None,
                       "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}))
        account = new_account(server)
        account.deliver(form_email(0))
        cfg = bench_config(tmp / "config.toml", account, sb.webhook_url)
        cold = run_cli(cfg, "--poll-now", out_dir=tmp)
        print(f"first --poll-now (1 message -> {sb.portal.stats()['leads']} lead; ledger "
              f"created): {cold.wall:.2f} s, exit {cold.code}")
        before = sb.portal.stats()["requests"]
        tables: list[tuple[str, CliRun]] = []
        for title, env in modes:
            tables += time_mode(title, env, cfg, tmp, args.runs)
        after = sb.portal.stats()
        print(f"\nCRM requests made by the {len(modes) * (args.runs + 1)} nothing-new runs: "
              f"{after['requests'] - before} (want 0)")
    for title, run in tables:
        show_imports(title, run, args.top)
    print("\n" + load_note())
    return 0


if __name__ == "__main__":
    sys.exit(main())
