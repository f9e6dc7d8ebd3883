"""The systemd units in deploy/ as systemd and the kernel see them: `systemd-analyze verify` and
`security`, and the daemon's typical work traced against SystemCallFilter= and
MemoryDenyWriteExecute= (each skipped where its tool is not installed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_deploy import (
    DEPLOY,
    EXECUTABLE,
    SYSTEMD_ANALYZE,
    UNITS,
    Unit,
    needs_systemd_analyze,
    parse_unit,
    values,
)


@pytest.fixture(scope="module")
def units() -> dict[str, Unit]:
    """All unit files in deploy/, parsed."""
    return {name: parse_unit((DEPLOY / name).read_text(encoding="utf-8")) for name in UNITS}


@pytest.fixture
def unit_copies(tmp_path: Path) -> Path:
    """Copies of the units whose ExecStart names an executable that exists here."""
    stand_in = shutil.which("true") or sys.executable
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(EXECUTABLE, stand_in), encoding="utf-8")
    return tmp_path


@needs_systemd_analyze
def test_systemd_analyze_verify(unit_copies: Path) -> None:
    """`systemd-analyze verify` accepts all three units without a single complaint."""
    assert SYSTEMD_ANALYZE is not None
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *(str(unit_copies / n) for n in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    # verify exits 0 even for unknown keys or unparsable values, which it only prints.
    complaints = [line for line in result.stderr.splitlines() if "mailbridge" in line]
    assert result.returncode == 0, result.stderr
    assert complaints == []


@needs_systemd_analyze
@pytest.mark.parametrize("name", ["mailbridge.service", "mailbridge-poll.service"])
def test_systemd_analyze_security(unit_copies: Path, name: str) -> None:
    """`systemd-analyze security --offline` rates each service well inside "OK" (below 3.0)."""
    assert SYSTEMD_ANALYZE is not None
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "security", "--offline=yes", "--no-pager", str(unit_copies / name)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0 and "offline" in result.stderr:
        pytest.skip("this systemd-analyze has no offline security check")
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) < 3.0


# --- does CPython (and our dependencies) live within the sandbox? ---

STRACE = shutil.which("strace")

WORKLOAD = textwrap.dedent(
    """
    # What the daemon does under the unit: import everything, SQLite in WAL mode, a lock,
    # threads, signals, HTTP and a plain socket over loopback with timeouts, TLS set-up,
    # and sd_notify through bridge.notify.
    import fcntl, http.server, signal, socket, sqlite3, ssl, sys, threading
    import apscheduler.schedulers.background, bs4, charset_normalizer, filetype
    import imapclient, mailparser, phonenumbers, requests, sqlalchemy
    from bridge.notify import Notifier

    work = sys.argv[1]
    db = sqlite3.connect(work + "/bridge.db")
    db.execute("pragma journal_mode=wal")
    db.execute("create table if not exists t (x)")
    db.execute("insert into t values (1)")
    db.commit()
    lock = open(work + "/bridge.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    signal.signal(signal.SIGTERM, lambda *a: None)

    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/rest/1/XXXXXXXXXXXXXXXX/profile.json" % server.server_port
    assert requests.get(url, timeout=5).json() == {}
    server.shutdown()

    socket.getaddrinfo("localhost", 993, 0, socket.SOCK_STREAM)
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname(), timeout=5)
    peer, _ = listener.accept()
    peer.sendall(b"* OK ready\\r\\n")
    client.recv(100)
    client.settimeout(0.05)
    try:
        client.recv(100)
    except TimeoutError:
        pass
    ssl.create_default_context()

    sink = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sink.bind(work + "/notify")
    n = Notifier.from_env({"NOTIFY_SOCKET": work + "/notify", "WATCHDOG_USEC": "120000000"})
    assert n.ready("ok") and n.watchdog() and n.stopping()
    print("workload ok")
    """
)


@pytest.fixture(scope="module")
def traced_workload(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[set[str], str]]:
    """Runs WORKLOAD under strace; yields the system calls it made and the raw trace."""
    if STRACE is None:
        pytest.skip("strace is not installed on this machine")
    work = tmp_path_factory.mktemp("sandbox")
    script = work / "workload.py"
    script.write_text(WORKLOAD, encoding="utf-8")
    trace = work / "trace"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = str(DEPLOY.parent)
    result = subprocess.run(
        [STRACE, "-f", "-qq", "-o", str(trace), sys.executable, str(script), str(work)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    if result.returncode != 0 and "ptrace" in result.stderr.lower():
        pytest.skip(f"strace cannot trace here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "workload ok" in result.stdout
    raw = trace.read_text(encoding="utf-8", errors="replace")
    calls = set(re.findall(r"^\d+\s+([a-z0-9_]+)\(", raw, flags=re.MULTILINE))
    yield calls, raw


def expand_syscall_group(name: str, seen: set[str] | None = None) -> set[str]:
    """The system calls in a systemd syscall group, nested groups included."""
    assert SYSTEMD_ANALYZE is not None
    seen = set() if seen is None else seen
    out = subprocess.run(
        [SYSTEMD_ANALYZE, "syscall-filter", "--no-pager", name],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    calls: set[str] = set()
    for line in out.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        if item.startswith("@"):
            if item not in seen:
                seen.add(item)
                calls |= expand_syscall_group(item, seen)
        else:
            calls.add(item)
    return calls


def allowed_syscalls(unit: Unit) -> set[str]:
    """The calls a unit's SystemCallFilter= lines allow (allow-lists, minus '~' deny-lists)."""
    allowed: set[str] = set()
    denied: set[str] = set()
    for line in values(unit, "Service", "SystemCallFilter"):
        target = denied if line.startswith("~") else allowed
        for item in line.lstrip("~").split():
            target |= expand_syscall_group(item) if item.startswith("@") else {item}
    return allowed - denied


@needs_systemd_analyze
@pytest.mark.slow
def test_runtime_fits_the_syscall_filter(
    units: dict[str, Unit], traced_workload: tuple[set[str], str]
) -> None:
    """Every system call the daemon's typical work makes passes the unit's SystemCallFilter=."""
    calls, _ = traced_workload
    allowed = allowed_syscalls(units["mailbridge.service"])
    assert "read" in allowed and "sendto" in allowed  # the expansion worked
    if os.geteuid() == 0:
        # SQLite chowns its journal files only when running as root; the service never is.
        calls.discard("fchown")
    assert calls - allowed == set()


@pytest.mark.slow
def test_runtime_needs_no_writable_executable_memory(
    traced_workload: tuple[set[str], str],
) -> None:
    """CPython and our dependencies never map W+X memory, so MemoryDenyWriteExecute=yes is safe."""
    _, raw = traced_workload
    offending = [
        line
        for line in raw.splitlines()
        if re.search(r"\b(mmap|mprotect|pkey_mprotect)\(", line)
        and "PROT_WRITE" in line
        and "PROT_EXEC" in line
    ]
    upgraded = [line for line in raw.splitlines() if "mprotect(" in line and "PROT_EXEC" in line]
    assert offending == []
    assert upgraded == []
