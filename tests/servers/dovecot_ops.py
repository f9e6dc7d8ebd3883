"""What a test does with a running Dovecot: IMAP clients, delivery, doveadm queries and changes.

``DovecotOps`` is mixed into ``DovecotServer`` (tests/servers/dovecot_server.py), which owns the
process and the files; these methods only need its ports, users and config path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import ssl
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from imapclient import IMAPClient

from tests.servers.dovecot_config import HOST, DovecotError
from tests.servers.dovecot_os import appenduid


class DovecotOps:
    """IMAP and doveadm operations on the server under ``root`` (see DovecotServer)."""

    root: Path
    users: dict[str, str]
    doveadm_binary: str | None
    _port: int
    _tls_port: int
    _stderr_path: Path

    # ---- where it listens ------------------------------------------------------------

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        return self._port

    @property
    def tls_port(self) -> int:
        return self._tls_port

    @property
    def ca_file(self) -> Path:
        return self.root / "tls" / "cert.pem"

    @property
    def conf_path(self) -> Path:
        return self.root / "dovecot.conf"

    # ---- diagnostics and doveadm ------------------------------------------------------

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of dovecot.log and of the captured stderr (doveconf errors)."""
        parts = []
        for path in (self.root / "dovecot.log", self._stderr_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                if text:
                    parts.append(f"== {path.name} ==\n" + "\n".join(text))
        return "\n".join(parts) or "(no log yet)"

    def doveadm(
        self, *args: str, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``doveadm -c <conf> ARGS``; DovecotError (with the log tail) when it fails."""
        cmd = [str(self.doveadm_binary), "-c", str(self.conf_path), *args]
        r = subprocess.run(cmd, input=input, capture_output=True, timeout=60, check=False)
        if check and r.returncode != 0:
            raise DovecotError(
                f"{' '.join(cmd)} exited {r.returncode}: "
                f"{r.stderr.decode(errors='replace').strip()}\n{self.log_tail()}"
            )
        return r

    def kill_connections(self, user: str) -> None:
        """``doveadm kick USER``: the user's sessions get ``* BYE Server shutting down.``."""
        self.doveadm("kick", user, check=False)

    def who(self, user: str | None = None) -> int:
        """How many IMAP sessions are open (for ``user`` when given), from ``doveadm who``."""
        r = self.doveadm("who", "-1", check=False)
        count = 0
        for line in r.stdout.decode(errors="replace").splitlines()[1:]:
            cols = line.split()
            if cols and (user is None or cols[0] == user):
                count += 1
        return count

    def wait_who(self, user: str, count: int, timeout: float = 5.0) -> int:
        """Wait until ``who(user) == count`` (sessions close asynchronously); the last count."""
        deadline = time.monotonic() + timeout
        while True:
            n = self.who(user)
            if n == count or time.monotonic() > deadline:
                return n
            time.sleep(0.05)

    # ---- mail ------------------------------------------------------------------------

    def client(self, user: str, *, tls: bool = False) -> IMAPClient:
        """A logged-in imapclient for ``user`` (plain port unless ``tls``)."""
        if tls:
            ctx = ssl.create_default_context(cafile=str(self.ca_file))
            c = IMAPClient(HOST, self._tls_port, ssl=True, ssl_context=ctx, timeout=10)
        else:
            c = IMAPClient(HOST, self._port, ssl=False, timeout=10)
        password = self.users[user]
        try:
            if password.isascii():
                c.login(user, password)
            else:  # LOGIN is ASCII-only
                c.plain_login(user, password)
        except BaseException:  # any failure (even ^C): close the socket, then re-raise as is
            with contextlib.suppress(Exception):  # the login error is the one that matters
                c.shutdown()
            raise
        c.normalise_times = False
        return c

    def deliver(
        self,
        user: str,
        raw: bytes,
        folder: str = "INBOX",
        *,
        flags: Sequence[str] = (),
        when: dt.datetime | None = None,
    ) -> int:
        """APPEND ``raw`` (INTERNALDATE ``when``) to ``folder``; returns the new UID."""
        with self.client(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            resp = c.append(folder, raw, flags=tuple(flags), msg_time=when)
        return appenduid(resp)[-1]

    def deliver_doveadm(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """``doveadm save``: local delivery without IMAP (no UID is reported)."""
        if folder.upper() != "INBOX" and folder not in self.folders(user):
            self.doveadm("mailbox", "create", "-u", user, folder)
        self.doveadm("save", "-u", user, "-m", folder, input=raw)

    def append_many(self, user: str, raws: Iterable[bytes], folder: str = "INBOX") -> list[int]:
        """MULTIAPPEND in batches of 100; returns the new UIDs in order."""
        uids: list[int] = []
        with self.client(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            it = iter(raws)
            while batch := list(itertools.islice(it, 100)):
                uids += appenduid(c.multiappend(folder, batch))
        return uids

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        out = self.doveadm("mailbox", "status", "-u", user, "uidvalidity", folder).stdout
        m = re.search(rb"uidvalidity=(\d+)", out)
        if not m:
            raise DovecotError(f"no uidvalidity in {out!r}")
        return int(m.group(1))

    def set_uidvalidity(self, user: str, folder: str = "INBOX", value: int | None = None) -> int:
        """Change UIDVALIDITY online, keeping UIDs (recipe 1); returns the new value."""
        old = self.uidvalidity(user, folder)
        new = value if value is not None else max(old + 1, int(time.time()))
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(new), folder)
        got = self.uidvalidity(user, folder)
        if got != new:
            raise DovecotError(f"UIDVALIDITY of {folder} is {got}, wanted {new}")
        return new

    def expunge(self, user: str, folder: str, uid: int) -> None:
        """Expunge one message as another client would (``doveadm expunge``)."""
        self.doveadm("expunge", "-u", user, "mailbox", folder, "uid", str(uid))

    def folder_uids(self, user: str, folder: str = "INBOX") -> list[int]:
        """Every UID in ``folder``, ascending (``doveadm search``)."""
        out = self.doveadm("search", "-u", user, "mailbox", folder, "all").stdout
        return sorted(int(line.split()[1]) for line in out.decode().splitlines() if line.strip())

    def flags(self, user: str, folder: str, uid: int) -> set[str]:
        """The flags of one message (``doveadm fetch flags``)."""
        out = self.doveadm(
            "fetch", "-u", user, "flags", "mailbox", folder, "uid", str(uid)
        ).stdout.decode()
        m = re.search(r"^flags:[ \t]*(.*)$", out, re.M)
        if not m:
            raise DovecotError(f"no message uid {uid} in {folder} for {user}")
        return set(m.group(1).split())

    def folders(self, user: str) -> list[str]:
        out = self.doveadm("mailbox", "list", "-u", user).stdout.decode()
        return [line.strip() for line in out.splitlines() if line.strip()]
