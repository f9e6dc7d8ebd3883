"""The systemd units in deploy/: syntax, the directives operators rely on, and systemd's verdict."""

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

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ("mailbridge.service", "mailbridge-poll.service", "mailbridge-poll.timer")
EXECUTABLE = "/opt/mailbridge/.venv/bin/mailbridge"
CONFIG = "/etc/mailbridge/config.toml"
# Names fixed by SPEC §2: the program reads $CREDENTIALS_DIRECTORY/<name>.
CREDENTIALS = {"imap-password", "webhook-url"}
# Optional ones (SPEC §6): each has an empty SetCredential= fallback so a missing file is fine.
OPTIONAL_CREDENTIALS = {"telegram-bot-token", "telegram-proxy", "smtp-password",
                        "notify-webhook-url"}
# Sandboxing every mailbridge unit must carry (both services run the same program).
HARDENING = {
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "NoNewPrivileges": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}

Unit = dict[str, list[tuple[str, str]]]


def parse_unit(text: str) -> Unit:
    """A small systemd unit-file parser: sections of ordered (key, value) pairs.

    Follows systemd.syntax(7): '#' and ';' start comment lines, a trailing backslash continues
    a line, keys may repeat. Anything else (a line outside a section, a line without '=',
    a malformed section header, a duplicate section) raises ValueError.
    """
    sections: Unit = {}
    current: list[tuple[str, str]] | None = None
    pending = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("["):
            if not re.fullmatch(r"\[[A-Za-z][A-Za-z0-9-]*\]", line):
                raise ValueError(f"line {number}: bad section header {line!r}")
            name = line[1:-1]
            if name in sections:
                raise ValueError(f"line {number}: section [{name}] repeated")
            current = sections[name] = []
            continue
        if current is None:
            raise ValueError(f"line {number}: assignment outside a section")
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", key):
            raise ValueError(f"line {number}: not a Key=value line: {line!r}")
        current.append((key, value.strip()))
    if pending:
        raise ValueError("file ends inside a continued line")
    return sections


def values(unit: Unit, section: str, key: str) -> list[str]:
    """Every value of ``key`` in ``section``, in file order."""
    return [v for k, v in unit.get(section, []) if k == key]


def value(unit: Unit, section: str, key: str) -> str:
    """The effective (last) value of ``key`` in ``section``; fails the test when absent."""
    found = values(unit, section, key)
    assert found, f"[{section}] {key}= is missing"
    return found[-1]


def seconds(timespan: str) -> float:
    """A systemd time span ("120", "1min", "10min 30s", "15s") in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600, "ms": 0.001}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", timespan):
        total += float(number) * units[unit]
    return total


@pytest.fixture(scope="module")
def units() -> dict[str, Unit]:
    """All unit files in deploy/, parsed."""
    return {name: parse_unit((DEPLOY / name).read_text(encoding="utf-8")) for name in UNITS}


def test_parser_rejects_malformed_lines() -> None:
    """The test's parser really checks syntax: junk, orphans and bad headers are errors."""
    for bad in ("Type=notify\n", "[Service]\njunk line\n", "[Service\nType=simple\n", "[A]\n[A]\n"):
        with pytest.raises(ValueError):
            parse_unit(bad)
    ok = parse_unit("# c\n[Service]\n; c\nExecStart=/bin/a \\\n  --b\nX=1\nX=2\n")
    assert ok == {"Service": [("ExecStart", "/bin/a  --b"), ("X", "1"), ("X", "2")]}


def test_every_unit_parses(units: dict[str, Unit]) -> None:
    """Each file parses and has the sections systemd expects for its type."""
    assert set(units["mailbridge.service"]) == {"Unit", "Service", "Install"}
    assert set(units["mailbridge-poll.service"]) == {"Unit", "Service"}
    assert set(units["mailbridge-poll.timer"]) == {"Unit", "Timer", "Install"}
    for unit in units.values():
        assert value(unit, "Unit", "Description")


def test_daemon_is_a_notify_service_with_watchdog(units: dict[str, Unit]) -> None:
    """The daemon unit waits for READY=1, accepts it from the main process and has a watchdog."""
    svc = units["mailbridge.service"]
    assert value(svc, "Service", "Type") == "notify"
    assert value(svc, "Service", "NotifyAccess") == "main"
    assert seconds(value(svc, "Service", "WatchdogSec")) == 120
    assert value(svc, "Service", "ExecStart") == f"{EXECUTABLE} --config {CONFIG}"
    assert "network-online.target" in value(svc, "Unit", "After")
    assert "network-online.target" in value(svc, "Unit", "Wants")
    assert value(svc, "Install", "WantedBy") == "multi-user.target"


def test_daemon_reloads_with_sighup(units: dict[str, Unit]) -> None:
    """`systemctl reload mailbridge` sends SIGHUP to the daemon's main process."""
    assert value(units["mailbridge.service"], "Service", "ExecReload") == (
        "/bin/kill -HUP $MAINPID")


def test_daemon_restart_policy(units: dict[str, Unit]) -> None:
    """Crashes restart after 10 s, a config error (78) never does, and stopping has slack."""
    svc = units["mailbridge.service"]
    assert value(svc, "Service", "Restart") == "on-failure"
    assert seconds(value(svc, "Service", "RestartSec")) == 10
    assert "78" in value(svc, "Service", "RestartPreventExitStatus").split()
    # SPEC §1: the daemon stops within 10 s of SIGTERM; systemd must not SIGKILL it sooner.
    assert seconds(value(svc, "Service", "TimeoutStopSec")) > 10


@pytest.mark.parametrize("name", ["mailbridge.service", "mailbridge-poll.service"])
def test_identity_state_and_secrets(units: dict[str, Unit], name: str) -> None:
    """Both services run unprivileged, keep the ledger in StateDirectory and load both secrets."""
    svc = units[name]
    dynamic = values(svc, "Service", "DynamicUser")
    user = values(svc, "Service", "User")
    assert dynamic == ["yes"] or (user and user[-1] not in {"root", "0"})
    assert value(svc, "Service", "StateDirectory") == "mailbridge"
    assert value(svc, "Service", "ConfigurationDirectory") == "mailbridge"
    loaded = dict(v.split(":", 1) for v in values(svc, "Service", "LoadCredential"))
    assert set(loaded) == CREDENTIALS | OPTIONAL_CREDENTIALS
    fallbacks = dict(v.split(":", 1) for v in values(svc, "Service", "SetCredential"))
    assert fallbacks == dict.fromkeys(OPTIONAL_CREDENTIALS, "-")
    for cred, source in loaded.items():
        assert source == f"/etc/mailbridge/{cred}"
    assert "PYTHONUNBUFFERED=1" in values(svc, "Service", "Environment")
    assert value(svc, "Service", "ExecStart").startswith(f"{EXECUTABLE} --config {CONFIG}")


@pytest.mark.parametrize("name", ["mailbridge.service", "mailbridge-poll.service"])
def test_hardening(units: dict[str, Unit], name: str) -> None:
    """Both services carry the network-client sandbox, and still allow what the daemon needs."""
    svc = units[name]
    for key, expected in HARDENING.items():
        assert value(svc, "Service", key) == expected, key
    families = set(value(svc, "Service", "RestrictAddressFamilies").split())
    # AF_UNIX is needed for the notify socket and journald; AF_INET/6 for IMAP and HTTPS.
    assert families == {"AF_INET", "AF_INET6", "AF_UNIX"}
    filters = values(svc, "Service", "SystemCallFilter")
    assert "@system-service" in filters
    assert value(svc, "Service", "SystemCallErrorNumber") == "EPERM"


def test_both_services_share_the_same_sandbox(units: dict[str, Unit]) -> None:
    """The poll service differs from the daemon only in how it runs, not in what it may do."""
    running = {"Type", "NotifyAccess", "ExecStart", "WatchdogSec", "Restart", "RestartSec",
               "RestartPreventExitStatus", "SuccessExitStatus", "TimeoutStartSec",
               "ExecReload"}  # fmt: skip
    daemon = [kv for kv in units["mailbridge.service"]["Service"] if kv[0] not in running]
    poll = [kv for kv in units["mailbridge-poll.service"]["Service"] if kv[0] not in running]
    assert daemon == poll


def test_poll_service_is_a_oneshot(units: dict[str, Unit]) -> None:
    """The timer's service runs one --poll-now pass; a temporary failure (75) is not a failure."""
    svc = units["mailbridge-poll.service"]
    assert value(svc, "Service", "Type") == "oneshot"
    assert value(svc, "Service", "ExecStart") == f"{EXECUTABLE} --config {CONFIG} --poll-now"
    assert value(svc, "Service", "SuccessExitStatus").split() == ["75"]
    assert not values(svc, "Service", "Restart")
    assert not values(svc, "Service", "WatchdogSec")
    assert 0 < seconds(value(svc, "Service", "TimeoutStartSec")) <= 3600


def test_timer_polls_every_minute(units: dict[str, Unit]) -> None:
    """The timer starts the poll service a minute after boot and every minute after that."""
    timer = units["mailbridge-poll.timer"]
    assert seconds(value(timer, "Timer", "OnBootSec")) == 60
    assert seconds(value(timer, "Timer", "OnUnitActiveSec")) == 60
    assert value(timer, "Timer", "Unit") == "mailbridge-poll.service"
    assert value(timer, "Install", "WantedBy") == "timers.target"


@pytest.mark.parametrize("name", ["README.md", "README.ru.md"])
def test_readme_matches_the_units(name: str) -> None:
    """deploy/README.md (and its Russian version) names the paths the units use, so the guide
    and the units agree."""
    readme = (DEPLOY / name).read_text(encoding="utf-8")
    for needle in (
        'path = "/var/lib/mailbridge/bridge.db"',
        "/etc/mailbridge/imap-password",
        "/etc/mailbridge/webhook-url",
        "python3 -m venv /opt/mailbridge/.venv",
        f"{EXECUTABLE} --config {CONFIG} check",
        "systemctl enable --now mailbridge",
        "systemctl enable --now mailbridge-poll.timer",
        "journalctl -u mailbridge",
    ):
        assert needle in readme, needle


# --- what systemd itself says (skipped where systemd-analyze is not installed) ---

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed on this machine"
)


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
