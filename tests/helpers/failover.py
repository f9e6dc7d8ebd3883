"""Two daemons, one PostgreSQL ledger, one Dovecot mailbox, one sandbox portal: the pieces of
the failover tests and of bench/takeover.py.

Each daemon is ``python -m bridge`` with the same config in a folder of its own (two hosts:
each has its own lock and health files beside ``store.path``). ``Node.start(freeze=...)``
sets ``MAILBRIDGE_TEST_FREEZE`` (bridge.testhooks) so the daemon SIGSTOPs itself at a named
point.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e import toml_str

ROOT = Path(__file__).resolve().parents[2]
MAILBOX = "site"
LEASE_KEY = "mailbridge_site"
SINGLE_KEY = "default"  # the lease of a single-mailbox config (no [[mailboxes]])
HANG = 60.0  # seconds: a bound that only catches a hang


def write_config(folder: Path, *, pg_url: str, webhook_url: str, account: Any,
                 takeover: float, max_request: float = 0.3, single: bool = False) -> Path:
    """The one config both daemons run: with ``[[mailboxes]]`` and one mailbox, or (``single``)
    the plain single-mailbox config (its lease is ``SINGLE_KEY``)."""
    folder.mkdir(parents=True, exist_ok=True)
    server = account.server
    path = folder / "config.toml"
    imap = f"""port = {server.tls_port}
username = {toml_str(account.user)}
password = {toml_str(account.password)}
ca_file = {toml_str(server.ca_file)}
"""
    path.write_text(f"""
[imap]
host = "127.0.0.1"
security = "ssl"
poll_interval = 30
timeout = 10
{imap if single else ""}

[bitrix24]
webhook_url = {toml_str(webhook_url)}
rate_per_second = 1000
burst = 1000
batch = false
max_request_seconds = {max_request}

[retry]
backoff_base = 0.05
backoff_cap = 0.2

[store]
path = "bridge.db"
url = {toml_str(pg_url)}
takeover_seconds = {takeover}

{"" if single else f'[[mailboxes]]{chr(10)}name = "{MAILBOX}"{chr(10)}{imap}'}
""", encoding="utf-8")
    return path


class Node:
    """One daemon process (a host of its own)."""

    def __init__(self, name: str, config: Path) -> None:
        self.name = name
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    def start(self, freeze: str = "") -> Node:
        env = {k: v for k, v in os.environ.items() if k != "MAILBRIDGE_TEST_FREEZE"}
        if freeze:
            env["MAILBRIDGE_TEST_FREEZE"] = freeze
        log = self.config.parent / f"{self.name}-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bridge", "--config", str(self.config), "-v"], cwd=ROOT,
                env=env, stdout=subprocess.DEVNULL, stderr=err)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def frozen(self) -> bool:
        """Is the process stopped (SIGSTOP) right now?"""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")

    def signal(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=HANG)

    def stop(self) -> int | None:
        """SIGCONT + SIGTERM, and wait; the exit code."""
        if self.proc is None:
            return None
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=HANG)


def wait_for(check: Callable[[], Any], what: str, timeout: float = HANG) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` after timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def owner_pid(connect: Callable[[], Any], key: str = LEASE_KEY) -> int | None:
    """The pid of lease ``key``'s current owner (None: no unexpired lease)."""
    with connect() as conn:
        exists = conn.execute("SELECT to_regclass('mailbridge_leases')").fetchone()[0]
        if exists is None:
            return None
        row = conn.execute(
            "SELECT owner FROM mailbridge_leases WHERE mailbox = %s "
            "AND expires_at > clock_timestamp()", (key,)).fetchone()
    return None if row is None else int(row[0].rsplit(":", 1)[1])
