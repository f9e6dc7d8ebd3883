"""The systemd units in deploy/: syntax, the directives operators rely on, and systemd's verdict."""

from __future__ import annotations

import re
import shutil
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

