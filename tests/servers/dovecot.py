"""A real Dovecot on loopback for the tests (see /work/shared/dovecot-notes.md).

``DovecotServer(root)`` writes ``<root>/dovecot.conf`` (Dovecot 2.3 or 2.4 syntax, chosen by
``dovecot --version``), a self-signed certificate and a passwd-file, and runs
``dovecot -F -c <root>/dovecot.conf`` in its own process group, with PR_SET_PDEATHSIG so a
killed pytest does not leave it running. Nothing from /etc/dovecot is read, and every
``doveadm`` call gets ``-c <conf>``.

Fixtures: ``dovecot_server`` (module scope, TLS on, on /dev/shm when it exists) and
``account`` (function scope: a fresh user on that server). This module holds the fixtures
and re-exports the parts: ``dovecot_config`` (version, dovecot.conf text), ``dovecot_os``
(ports, process groups, certificate), ``dovecot_server`` (the process and its files) and
``dovecot_ops`` (clients, delivery, doveadm).

One deviation from the notes' recipe: each user has its own passwd-file
(``users/<user>.passwd``; ``%u`` in the path on 2.3, ``%{user}`` on 2.4), because Dovecot
re-reads a changed passwd-file at most once a second and a user added to a shared file could
not log in at once. A user without a file is an unknown user on both versions ("missing
passwd file" in the log, ``[AUTHENTICATIONFAILED]`` to the client), never a temporary error.

Both syntaxes have been run, not only rendered: 2.3.19.1 (Debian 12) and 2.4.1 (Debian 13's
``1:2.4.1+dfsg1-6+deb13u7``, unpacked with ``dpkg -x`` and overlaid on /usr in a private mount
namespace as in the notes' "Running trixie's Dovecot on Debian 12"), with the whole pytest
session inside the namespace.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.header import Header
from pathlib import Path

import pytest
from imapclient import IMAPClient

from bridge.config import ImapConfig
from tests.servers.dovecot_config import (
    HOST,
    DovecotError,
    Layout,
    dovecot_version,
    find_binary,
    missing_message,
    parse_version,
    render_config,
)
from tests.servers.dovecot_os import (
    free_port,
    group_members,
    maildir_folder,
    make_certificate,
    parse_uid_set,
)
from tests.servers.dovecot_server import (
    MAX_BASE_DIR,
    PORT_ATTEMPTS,
    STARTUP_TIMEOUT,
    STOP_TIMEOUT,
    DovecotServer,
)

__all__ = [
    "HOST",
    "MAX_BASE_DIR",
    "PORT_ATTEMPTS",
    "SHM_MIN_FREE",
    "STARTUP_TIMEOUT",
    "STOP_TIMEOUT",
    "DovecotError",
    "DovecotServer",
    "ImapAccount",
    "Layout",
    "account",
    "dovecot_server",
    "dovecot_version",
    "fast_tmpdir",
    "find_binary",
    "free_port",
    "group_members",
    "maildir_folder",
    "make_certificate",
    "missing_message",
    "new_account",
    "parse_uid_set",
    "parse_version",
    "render_config",
    "require_dovecot",
    "running_server",
    "sample_message",
]

SHM_MIN_FREE = 512 * 1024 * 1024


def require_dovecot() -> None:
    """Fail (never skip) with a clear message when Dovecot is missing."""
    if find_binary("dovecot") is None or find_binary("doveadm") is None:
        pytest.fail(missing_message(), pytrace=False)


def fast_tmpdir(prefix: str = "dovecot-") -> Path:
    """A fresh directory on tmpfs (/dev/shm) when it has room, else in the temp dir."""
    shm = Path("/dev/shm")
    base = None
    if shm.is_dir() and os.access(shm, os.W_OK):
        st = os.statvfs(shm)
        if st.f_bavail * st.f_frsize >= SHM_MIN_FREE:  # Docker's default is only 64 MB
            base = str(shm)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


@contextlib.contextmanager
def running_server(**kwargs: object) -> Iterator[DovecotServer]:
    """A started server in a fresh fast directory; killed, checked and removed afterwards."""
    require_dovecot()
    root = fast_tmpdir()
    server = DovecotServer(root, **kwargs)
    try:
        server.start()
        yield server
    finally:
        pgid = server._pgid
        server.close()
        if pgid is not None:
            assert not group_members(pgid), "dovecot processes left behind"
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[DovecotServer]:
    """One TLS-enabled Dovecot per test module, on /dev/shm when available."""
    with running_server(tls=True) as server:
        yield server


_user_counter = itertools.count(1)


@dataclass
class ImapAccount:
    """A fresh user on a running server, with helpers bound to that user."""

    server: DovecotServer
    user: str
    password: str = field(repr=False)

    def config(self, security: str = "ssl", **overrides: object) -> ImapConfig:
        """An ImapConfig for this account (port by security, the fixture's CA, 10 s timeout)."""
        port = self.server.tls_port if security == "ssl" else self.server.port
        values: dict[str, object] = {
            "host": self.server.host,
            "port": port,
            "security": security,
            "username": self.user,
            "password": self.password,
            "ca_file": self.server.ca_file,
            "timeout": 10.0,
        }
        values.update(overrides)
        return ImapConfig(**values)

    def client(self, *, tls: bool = False) -> IMAPClient:
        return self.server.client(self.user, tls=tls)

    def deliver(self, raw: bytes, folder: str = "INBOX", **kwargs: object) -> int:
        return self.server.deliver(self.user, raw, folder, **kwargs)

    def append_many(self, raws: Iterable[bytes], folder: str = "INBOX") -> list[int]:
        return self.server.append_many(self.user, raws, folder)

    def uids(self, folder: str = "INBOX") -> list[int]:
        return self.server.folder_uids(self.user, folder)

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        return self.server.flags(self.user, folder, uid)

    def expunge(self, uid: int, folder: str = "INBOX") -> None:
        self.server.expunge(self.user, folder, uid)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        return self.server.uidvalidity(self.user, folder)

    def set_uidvalidity(self, folder: str = "INBOX", value: int | None = None) -> int:
        return self.server.set_uidvalidity(self.user, folder, value)

    def rebuild_folder(self, folder: str = "INBOX") -> int:
        return self.server.rebuild_folder(self.user, folder)

    def kick(self) -> None:
        self.server.kill_connections(self.user)

    def who(self) -> int:
        return self.server.who(self.user)

    def folders(self) -> list[str]:
        return self.server.folders(self.user)


def new_account(server: DovecotServer) -> ImapAccount:
    """Add a fresh user with a random password to ``server``."""
    user = f"u{os.getpid()}x{next(_user_counter)}"
    password = "pw-" + secrets.token_hex(8)
    server.add_user(user, password)
    return ImapAccount(server=server, user=user, password=password)


def sample_message(
    subject: str = "Заявка с сайта", body: str = "Имя: Иван", **headers: str
) -> bytes:
    """A small RFC 5322 message with CRLF line ends (what IMAP stores byte for byte)."""
    hdrs = {
        "From": "noreply@example.com",
        "To": "forms@example.com",
        "Subject": subject,
        "Message-ID": f"<{secrets.token_hex(8)}@example.com>",
        "Date": "Mon, 30 Nov 2026 10:00:00 +0300",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Transfer-Encoding": "8bit",
    }
    hdrs.update({k.replace("_", "-"): v for k, v in headers.items()})
    lines = [
        f"{k}: {Header(v, 'utf-8').encode() if not v.isascii() else v}" for k, v in hdrs.items()
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


@pytest.fixture
def account(dovecot_server: DovecotServer) -> ImapAccount:
    """A fresh user (own mailbox, random password) on the module's Dovecot."""
    return new_account(dovecot_server)
