"""The OnFailure= unit that tells a person when the daemon stops for good, and the
`notify-failure` command it runs (which works with only the [notify] section)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.configfiles import BITRIX, IMAP, write
from tests.e2e import run
from tests.servers.notify_stubs import HttpStub
from tests.test_deploy import (
    CONFIG,
    DEPLOY,
    EXECUTABLE,
    HARDENING,
    OPTIONAL_CREDENTIALS,
    SYSTEMD_ANALYZE,
    parse_unit,
    value,
    values,
)

FAILURE = "mailbridge-failure@.service"


def test_daemon_unit_starts_the_failure_unit_on_failure() -> None:
    """mailbridge.service names the failure template with its own name as the instance."""
    daemon = parse_unit((DEPLOY / "mailbridge.service").read_text(encoding="utf-8"))
    assert value(daemon, "Unit", "OnFailure") == "mailbridge-failure@%n.service"


def test_failure_unit_runs_notify_failure_with_only_the_notification_secrets() -> None:
    """The failure unit is a hardened oneshot with the optional notification credentials."""
    unit = parse_unit((DEPLOY / FAILURE).read_text(encoding="utf-8"))
    assert value(unit, "Service", "Type") == "oneshot"
    assert value(unit, "Service", "ExecStart") == (
        f"{EXECUTABLE} --config {CONFIG} notify-failure %i")
    loaded = dict(v.split(":", 1) for v in values(unit, "Service", "LoadCredential"))
    assert set(loaded) == OPTIONAL_CREDENTIALS
    fallbacks = dict(v.split(":", 1) for v in values(unit, "Service", "SetCredential"))
    assert fallbacks == dict.fromkeys(OPTIONAL_CREDENTIALS, "-")
    assert not values(unit, "Service", "StateDirectory")
    for key, expected in HARDENING.items():
        assert value(unit, "Service", key) == expected, key


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_failure_unit_verifies_and_rates_ok(tmp_path: Path) -> None:
    """systemd-analyze verify has no complaint; the offline security score is below 3.0."""
    assert SYSTEMD_ANALYZE is not None
    text = (DEPLOY / FAILURE).read_text(encoding="utf-8").replace(EXECUTABLE, "/bin/true")
    copy = tmp_path / "mailbridge-failure@mailbridge.service.service"
    copy.write_text(text, encoding="utf-8")
    env = {**os.environ, "SYSTEMD_LOG_LEVEL": "warning"}
    verify = subprocess.run([SYSTEMD_ANALYZE, "verify", str(copy)], capture_output=True,
                            text=True, timeout=60, env=env)
    assert verify.returncode == 0 and "mailbridge" not in verify.stderr, verify.stderr
    security = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=yes", "--no-pager",
                               str(copy)], capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", security.stdout)
    if match is None and "offline" in security.stderr:
        pytest.skip("this systemd-analyze has no offline security check")
    assert match and float(match.group(1)) < 3.0


def test_notify_failure_sends_even_when_the_rest_of_the_config_is_broken(
    tmp_path: Path, hook: HttpStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start-up config error (imap.port) does not stop the failure notice: the [notify]
    section alone is loaded and every channel hears that the unit failed, with systemd's
    exit status."""
    monkeypatch.setenv("MONITOR_EXIT_STATUS", "78")
    monkeypatch.setenv("MONITOR_SERVICE_RESULT", "exit-code")
    cfg = write(tmp_path, IMAP.replace('host = "imap.example.ru"', 'host = "imap.example.ru"\n'
                                       'port = "x"') + BITRIX
                + f'[notify.webhook]\nurl = "{hook.url}/h/XXXXXXXX"\n')
    assert run("--config", str(cfg), "status")[0] == 78
    code, out, err = run("--config", str(cfg), "notify-failure", "mailbridge.service")
    assert code == 0, out + err
    [request] = hook.requests
    body = request.body
    assert (body["event"], body["kind"], body["key"]) == ("alarm", "service_failed",
                                                          "mailbridge.service")
    assert "exit status 78" in body["text"] and "configuration error" in body["text"]
    assert "XXXXXXXX" not in out + err


def test_notify_failure_without_a_usable_notify_section_is_78(tmp_path: Path) -> None:
    """When even [notify] is broken (or the file is not TOML) the command says so: 78."""
    broken = write(tmp_path, "[imap\n", "a.toml")
    none = write(tmp_path, IMAP + BITRIX, "b.toml")
    assert run("--config", str(broken), "notify-failure", "x.service")[0] == 78
    code, out, _ = run("--config", str(none), "notify-failure", "x.service")
    assert code == 78 and "no notification channel" in out
