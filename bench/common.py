"""Shared helpers for the end-to-end benchmarks in bench/ (not a test module).

Every benchmark drives the real program as an operator would: a real Dovecot (on /dev/shm)
holds the mail, the local Bitrix24 sandbox (in this process, on loopback) plays the portal,
and ``python -m bridge`` runs in a subprocess, so the figures include interpreter start-up
and imports. Nothing here asserts a timing; the scripts print numbers and ratios.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bridge.sandbox import SandboxServer  # noqa: E402 - after the sys.path line that makes the repo importable
from tests.e2e import write_config  # noqa: E402 - after the sys.path line that makes the repo importable
from tests.forms import form_email  # noqa: E402 - after the sys.path line that makes the repo importable
from tests.servers.dovecot import (  # noqa: E402 - after the sys.path line that makes the repo importable
    DovecotServer,
    ImapAccount,
    fast_tmpdir,
    new_account,
    running_server,
)

__all__ = [
    "PYTHON", "REPO", "CliRun", "DovecotServer", "ImapAccount", "SandboxServer", "banner",
    "bench_config", "dovecot", "form_email", "new_account", "percentile", "run_cli", "run_python",
    "sandbox", "start_cli", "workdir",
]

_VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON if _VENV_PYTHON.exists() else Path(sys.executable))


# -- the services ----------------------------------------------------------------------


@contextlib.contextmanager
def dovecot() -> Iterator[DovecotServer]:
    """A real Dovecot with TLS in a fresh /dev/shm folder (killed and removed afterwards)."""
    with running_server(tls=True) as server:
        yield server


@contextlib.contextmanager
def sandbox(rate: float, burst: int) -> Iterator[SandboxServer]:
    """The Bitrix24 sandbox on loopback with the given leaky bucket (rate/s, burst)."""
    server = SandboxServer(rate=rate, burst=burst)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def workdir(prefix: str = "bench-") -> Iterator[Path]:
    """A scratch folder on /dev/shm (the ledger lives here), removed afterwards."""
    path = fast_tmpdir(prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _sub(text: str, pattern: str, repl: str) -> str:
    new, n = re.subn(pattern, repl, text, count=1, flags=re.M)
    if n != 1:
        raise RuntimeError(f"tests/e2e.write_config changed: no line matches {pattern!r}")
    return new


def bench_config(
    path: Path,
    account: ImapAccount,
    webhook_url: str,
    *,
    rate: float = 2.0,
    burst: int = 50,
    batch: bool = True,
    idle: bool = True,
    poll_interval: int = 60,
    max_size_mb: float | None = None,
    processed_folder: str = "Processed",
) -> Path:
    """A full config (tests/e2e.write_config) with the bench's CRM pacing and options.

    write_config pins ``rate_per_second``/``burst`` to 200 and ``poll_interval`` to 60 for
    fast tests; TOML forbids a key twice, so those lines are rewritten here to the portal's
    real figures (by default 2/s and 50, what the issue measures against).
    """
    write_config(
        path, account, webhook_url, processed_folder=processed_folder,
        imap_extra=f"idle = {'true' if idle else 'false'}",
        bitrix_extra=f"batch = {'true' if batch else 'false'}",
    )
    text = path.read_text(encoding="utf-8")
    text = _sub(text, r"^rate_per_second = .*$", f"rate_per_second = {float(rate)}")
    text = _sub(text, r"^burst = .*$", f"burst = {int(burst)}")
    text = _sub(text, r"^poll_interval = .*$", f"poll_interval = {int(poll_interval)}")
    if max_size_mb is not None:
        text = _sub(text, r'^field = "auto"$',
                    f'field = "auto"\nmax_size_mb = {max_size_mb}')
    path.write_text(text, encoding="utf-8")
    return path


# -- running the program -----------------------------------------------------------------


@dataclass
class CliRun:
    """One finished ``python -m bridge`` subprocess."""

    argv: list[str]
    code: int
    wall: float  # seconds from spawn to exit
    maxrss_kib: int  # the child's peak RSS (wait4 rusage, KiB)
    stdout: str
    stderr: str
    timed_out: bool = False
    cpu: float = 0.0  # the child's user + system CPU seconds (less load-sensitive than wall)
    lines: list[tuple[float, str]] = field(default_factory=list)  # (s since spawn, line)

    def events(self, name: str) -> list[float]:
        """Arrival times (s since spawn) of the stderr lines whose event is ``name``."""
        pattern = re.compile(rf"^\w+ {re.escape(name)}(\s|$)")
        return [t for t, line in self.lines if pattern.match(line)]

    @property
    def maxrss_mib(self) -> float:
        return self.maxrss_kib / 1024

    def tail(self, lines: int = 15) -> str:
        return "\n".join(self.stderr.splitlines()[-lines:])


def cli_argv(config: Path | None, *args: str, python_flags: Sequence[str] = ()) -> list[str]:
    argv = [PYTHON, *python_flags, "-m", "bridge"]
    if config is not None:
        argv += ["--config", str(config)]
    return argv + list(args)


_STAMPER = """
import sys, time
out = open(sys.argv[1], "ab", buffering=0)
for line in sys.stdin.buffer:
    out.write(b"%.6f " % time.monotonic() + line)
"""


class _Child:
    """A started CLI subprocess. stdout goes to a file; stderr goes through a small stamper
    process that prefixes each line with CLOCK_MONOTONIC (the bridge logs one line per event
    without a time). The stamper is a process of its own so that a busy benchmark process
    (the sandbox runs in it) never holds up the child's log writes."""

    def __init__(self, argv: list[str], out_dir: Path,
                 env: dict[str, str | None] | None = None) -> None:
        self.argv = argv
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="out-", dir=out_dir)
        os.close(fd)
        self._out = Path(name)
        self._err = self._out.with_name(self._out.name + ".err")
        self._err.touch()
        child_env = dict(os.environ, PYTHONUNBUFFERED="1")
        child_env.pop("NOTIFY_SOCKET", None)
        for key, value in (env or {}).items():
            if value is None:
                child_env.pop(key, None)
            else:
                child_env[key] = value
        self._stamper = subprocess.Popen([PYTHON, "-S", "-c", _STAMPER, str(self._err)],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        assert self._stamper.stdin is not None
        with self._out.open("wb") as out:
            self.started = time.monotonic()
            self.proc = subprocess.Popen(argv, cwd=REPO, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=self._stamper.stdin, env=child_env)
        self._stamper.stdin.close()  # the child holds the only write end now

    @property
    def lines(self) -> list[tuple[float, str]]:
        """(seconds since spawn, stderr line) for every line so far."""
        out = []
        for raw in self._err.read_bytes().splitlines():
            stamp, _, rest = raw.partition(b" ")
            try:
                t = float(stamp) - self.started
            except ValueError:
                continue
            out.append((t, rest.decode("utf-8", "replace")))
        return out

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr_so_far(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signum)

    def wait(self, timeout: float) -> CliRun:
        """Reap the child with wait4 (for its rusage); SIGKILL it after ``timeout`` s."""
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            self.signal(signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.monotonic() - self.started
        code = os.waitstatus_to_exitcode(status)
        self.proc.returncode = code  # reaped here; keep Popen from waiting again
        try:
            self._stamper.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._stamper.kill()
            self._stamper.wait()
        lines = self.lines
        run = CliRun(
            argv=self.argv, code=code, wall=wall, maxrss_kib=int(usage.ru_maxrss),
            stdout=self._out.read_text(encoding="utf-8", errors="replace"),
            stderr="\n".join(line for _, line in lines), timed_out=timed_out.is_set(),
            cpu=usage.ru_utime + usage.ru_stime, lines=lines,
        )
        self._out.unlink(missing_ok=True)
        self._err.unlink(missing_ok=True)
        return run


def start_cli(config: Path | None, *args: str, out_dir: Path,
              python_flags: Sequence[str] = (), env: dict[str, str | None] | None = None,
              ) -> _Child:
    """Start ``python -m bridge [--config X] ARGS`` in the repository root; ``env``
    overrides the environment (None removes a variable)."""
    return _Child(cli_argv(config, *args, python_flags=python_flags), out_dir, env)


def run_python(args: Sequence[str], *, out_dir: Path, timeout: float = 60.0,
               env: dict[str, str | None] | None = None) -> CliRun:
    """``python ARGS`` (the venv's interpreter, not the bridge), reaped like the CLI runs."""
    return _Child([PYTHON, *args], out_dir, env).wait(timeout)


def run_cli(config: Path | None, *args: str, out_dir: Path, timeout: float = 1800.0,
            python_flags: Sequence[str] = (), env: dict[str, str | None] | None = None,
            ) -> CliRun:
    """Run ``python -m bridge ...`` to the end; wall time, exit code, peak RSS, output."""
    return start_cli(config, *args, out_dir=out_dir, python_flags=python_flags,
                     env=env).wait(timeout)


# -- reporting -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    k = (len(data) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _git_head() -> str:
    """The short commit, with "+N uncommitted" when files under bridge/ differ from it."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=False)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "bridge"],
                               capture_output=True, text=True, timeout=5, check=False)
    except OSError:
        return "?"
    changed = len([ln for ln in dirty.stdout.splitlines() if ln.strip()])
    return (head.stdout.strip() or "?") + (f" +{changed} uncommitted in bridge/" if changed else "")


def banner(title: str, argv: Sequence[str] | None = None) -> None:
    """What ran where: the command, the machine, the commit."""
    argv = sys.argv if argv is None else argv
    print(f"== {title}")
    print(f"command: .venv/bin/python {' '.join(argv)}")
    print(f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} "
          f"{platform.python_version()}, {platform.system()} {platform.release()}, "
          f"git {_git_head()}, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    load = os.getloadavg()
    busy = "  (BUSY: other work shares the CPUs; timings are inflated)" if (
        load[0] > (os.cpu_count() or 1) * 0.75) else ""
    cache = ("PYTHONDONTWRITEBYTECODE=1 (bridge/ is compiled from source at every start)"
             if os.environ.get("PYTHONDONTWRITEBYTECODE") else "bytecode cache allowed")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}{busy}; {cache}")


def load_note() -> str:
    """The load average now (a busy machine inflates every timing)."""
    load = os.getloadavg()
    return f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def sandbox_stats(sb: SandboxServer) -> dict[str, Any]:
    return sb.portal.stats()
