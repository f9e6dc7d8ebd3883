"""A real Dovecot on loopback for the tests (see /work/shared/dovecot-notes.md).

``DovecotServer(root)`` writes ``<root>/dovecot.conf`` (Dovecot 2.3 or 2.4 syntax, chosen by
``dovecot --version``), a self-signed certificate and a passwd-file, and runs
``dovecot -F -c <root>/dovecot.conf`` in its own process group, with PR_SET_PDEATHSIG so a
killed pytest does not leave it running. Nothing from /etc/dovecot is read, and every
``doveadm`` call gets ``-c <conf>``.

Fixtures: ``dovecot_server`` (module scope, TLS on, on /dev/shm when it exists) and
``imap_account`` (function scope: a fresh user on that server).

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
import ctypes
import datetime as dt
import grp
import itertools
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.header import Header
from pathlib import Path

import pytest
from imapclient import IMAPClient

from bridge.config import ImapConfig

HOST = "127.0.0.1"
MAX_BASE_DIR = 70  # AF_UNIX paths are limited to 107 bytes; dovecot adds up to ~35
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 5
SHM_MIN_FREE = 512 * 1024 * 1024
_PR_SET_PDEATHSIG = 1


class DovecotError(RuntimeError):
    """The test server could not do what was asked; the message carries the log tail."""


def find_binary(name: str) -> str | None:
    """``name`` on PATH, else in /usr/sbin or /usr/bin (root's PATH is not always complete)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def dovecot_version(binary: str | None = None) -> tuple[int, int]:
    """(major, minor) of the installed Dovecot, from ``dovecot --version`` ("2.3.19.1 (...)")."""
    binary = binary or find_binary("dovecot")
    if binary is None:
        raise DovecotError(missing_message())
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
    ).stdout
    return parse_version(out)


def parse_version(text: str) -> tuple[int, int]:
    """Parse the first ``X.Y`` of a ``dovecot --version`` line."""
    m = re.search(r"(\d+)\.(\d+)", text)
    if not m:
        raise DovecotError(f"cannot read the Dovecot version from {text!r}")
    return int(m.group(1)), int(m.group(2))


def missing_message() -> str:
    return (
        "dovecot is not installed: the IMAP tests need a real Dovecot. Install it with "
        "`apt-get install -y --no-install-recommends dovecot-imapd` (.ci/run does this)."
    )


# --------------------------------------------------------------------------------------
# Config text (pure, so the 2.4 syntax is tested on a machine that has 2.3)


@dataclass(frozen=True)
class Layout:
    """Everything the config text depends on."""

    root: Path
    base_dir: Path
    port: int
    tls_port: int  # 0 when tls is off
    tls: bool
    as_root: bool
    mail_uid: int
    mail_gid: int
    login_user: str
    internal_user: str
    internal_group: str
    extra_conf: str = ""
    debug: bool = False

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def passwd_dir(self) -> Path:
        """One passwd-file per user: Dovecot re-reads a changed file at most once a second
        (``last_sync_time`` in db-passwd-file.c), so a user added to one shared file can
        fail to log in for up to a second; a new file is read on first use."""
        return self.root / "users"

    @property
    def cert(self) -> Path:
        return self.root / "tls" / "cert.pem"

    @property
    def key(self) -> Path:
        return self.root / "tls" / "key.pem"

    @property
    def log(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def mail(self) -> Path:
        return self.root / "mail"


def render_config(layout: Layout, version: tuple[int, int]) -> str:
    """The dovecot.conf text for ``version`` (2.3 syntax below 2.4, else 2.4 syntax)."""
    v24 = version >= (2, 4)
    lo = layout
    chroot = [] if lo.as_root else ["  chroot ="]  # non-root: no chroot for these two
    lines: list[str] = []
    if v24:
        lines += ["dovecot_config_version = 2.4.0", "dovecot_storage_version = 2.4.0"]
    lines += [
        f"instance_name = dovecot-test-{lo.port}",
        "protocols = imap",
        f"listen = {HOST}",
        f"base_dir = {lo.base_dir}",
        f"state_dir = {lo.root / 'state'}",
        f"log_path = {lo.log}",
        f"info_log_path = {lo.log}",
        f"debug_log_path = {lo.log}",
        "verbose_proctitle = yes",
        "",
        f"default_login_user = {lo.login_user}",
        f"default_internal_user = {lo.internal_user}",
        f"default_internal_group = {lo.internal_group}",
        f"mail_uid = {lo.mail_uid}",
        f"mail_gid = {lo.mail_gid}",
        f"first_valid_uid = {min(lo.mail_uid, 500)}",
        f"first_valid_gid = {min(lo.mail_gid, 1)}",
        "",
        "auth_mechanisms = plain login",
        "auth_allow_cleartext = yes" if v24 else "disable_plaintext_auth = no",
        "auth_failure_delay = 0",
    ]
    if v24:
        lines += [
            "passdb passwd-file {",
            f"  passwd_file_path = {lo.passwd_dir}/%{{user}}.passwd",
            "  default_password_scheme = PLAIN",
            "  auth_username_format = %{user}",
            "}",
            "userdb passwd-file {",
            f"  passwd_file_path = {lo.passwd_dir}/%{{user}}.passwd",
            "  auth_username_format = %{user}",
            "}",
            "",
            "mail_driver = maildir",
            "mail_path = ~/Maildir",
            "mailbox_list_layout = Maildir++",
        ]
    else:
        lines += [
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {lo.passwd_dir}/%u.passwd",
            "}",
            "userdb {",
            "  driver = passwd-file",
            f"  args = username_format=%u {lo.passwd_dir}/%u.passwd",
            "}",
            "",
            "mail_location = maildir:~/Maildir",
        ]
    lines += [
        "mail_fsync = never",
        "namespace inbox {",
        "  inbox = yes",
        "  separator = /",
        "  prefix =",
        "}",
        "",
    ]
    if not lo.tls:
        lines.append("ssl = no")
    elif v24:
        lines += [
            "ssl = yes",
            f"ssl_server_cert_file = {lo.cert}",
            f"ssl_server_key_file = {lo.key}",
        ]
    else:
        lines += ["ssl = yes", f"ssl_cert = <{lo.cert}", f"ssl_key = <{lo.key}"]
    addr = "listen" if v24 else "address"
    lines += [
        "",
        "service imap-login {",
        "  inet_listener imap {",
        f"    {addr} = {HOST}",
        f"    port = {lo.port}",
        "  }",
        "  inet_listener imaps {",
        f"    {addr} = {HOST}",
        f"    port = {lo.tls_port if lo.tls else 0}",
        "    ssl = yes",
        "  }",
    ]
    lines += [
        *chroot,
        "}",
        "service anvil {",
        *chroot,
        "  unix_listener anvil-auth-penalty {",
        "    mode = 0",
        "  }",
        "}",
        "protocol imap {",
        "  mail_max_userip_connections = 100",
        "}",
    ]
    if lo.debug:
        lines.append("mail_debug = yes")
        if v24:
            lines += ["auth_verbose = yes", "log_debug = category=auth OR category=ssl"]
        else:
            lines += ["auth_debug = yes", "auth_verbose = yes", "verbose_ssl = yes"]
    if lo.extra_conf:
        lines += ["", "# extra_conf", lo.extra_conf.strip()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------
# Helpers


def _set_pdeathsig() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Let the kernel SIGTERM dovecot when the thread that started it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def group_members(pgid: int) -> list[tuple[int, str]]:
    """Live (pid, state) of every process in process group ``pgid``; zombies are left out."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            data = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses
        rest = data[data.rfind(")") + 2 :].split()
        state, pgrp = rest[0], int(rest[2])
        if pgrp == pgid and state not in ("Z", "X"):
            found.append((int(entry.name), state))
    return found


def _add_search_permission(path: Path) -> None:
    """o+x on ``path`` and every ancestor that lacks it (pitfall 2: tmp dirs are 0700)."""
    for p in [path, *path.parents]:
        mode = p.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(p, stat.S_IMODE(mode) | stat.S_IXOTH)


def make_certificate(cert: Path, key: Path) -> None:
    """Self-signed EC P-256 certificate for localhost / 127.0.0.1 / ::1 (openssl CLI)."""
    cert.parent.mkdir(parents=True, exist_ok=True)
    openssl = find_binary("openssl")
    if openssl is None:
        raise DovecotError("openssl is not installed; it makes the test certificate")
    cmd = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "30",
        "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
    ]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    if r.returncode != 0:
        raise DovecotError(f"openssl failed: {r.stderr.strip()}")
    os.chmod(key, 0o600)


def parse_uid_set(text: str) -> list[int]:
    """``"3:5,9"`` -> ``[3, 4, 5, 9]``."""
    out: list[int] = []
    for part in text.split(","):
        if ":" in part:
            a, b = (int(x) for x in part.split(":"))
            out.extend(range(min(a, b), max(a, b) + 1))
        elif part:
            out.append(int(part))
    return out


def _appenduid(response: object) -> list[int]:
    """UIDs from an APPEND answer (bytes, or multiappend's ``(typ, [bytes])``)."""
    if isinstance(response, tuple):
        response = b" ".join(x for x in response[1] if isinstance(x, bytes))
    text = response.decode() if isinstance(response, bytes) else str(response)
    m = re.search(r"\[APPENDUID \d+ ([\d:,]+)\]", text)
    if not m:
        raise DovecotError(f"APPEND answered without APPENDUID: {text!r}")
    return parse_uid_set(m.group(1))


def maildir_folder(maildir: Path, folder: str) -> Path:
    """Where Maildir++ keeps ``folder`` ("INBOX" is the root; "A/B" is ``.A.B``)."""
    if folder.upper() == "INBOX":
        return maildir
    return maildir / ("." + folder.replace("/", "."))


# --------------------------------------------------------------------------------------
# The server


class DovecotServer:
    """One Dovecot instance under ``root``; see the module docstring."""

    def __init__(
        self,
        root: str | Path,
        *,
        tls: bool = True,
        users: dict[str, str] | None = None,
        extra_conf: str = "",
        debug: bool = False,
    ) -> None:
        self.root = Path(root).resolve()
        self.tls = tls
        self.users: dict[str, str] = dict(users if users is not None else {"test": "test-pw"})
        self._check_users = list(self.users)
        self.extra_conf = extra_conf
        self.debug = debug
        self.binary = find_binary("dovecot")
        self.doveadm_binary = find_binary("doveadm")
        if self.binary is None or self.doveadm_binary is None:
            raise DovecotError(missing_message())
        self.version = dovecot_version(self.binary)
        self.as_root = os.geteuid() == 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._pgid: int | None = None
        self._port = 0
        self._tls_port = 0
        self._short_base: Path | None = None
        self._stderr_path = self.root / "dovecot.stderr"
        self.layout: Layout | None = None

    # ---- properties ------------------------------------------------------------------

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

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # ---- lifecycle -------------------------------------------------------------------

    def _identity(self) -> tuple[int, int, str, str, str]:
        if self.as_root:
            nobody = pwd.getpwnam("nobody")
            return nobody.pw_uid, nobody.pw_gid, "dovenull", "dovecot", "dovecot"
        uid, gid = os.getuid(), os.getgid()
        user = pwd.getpwuid(uid).pw_name
        group = grp.getgrgid(gid).gr_name
        return uid, gid, user, user, group

    def _base_dir(self) -> Path:
        base = self.root / "run"
        if len(str(base)) <= MAX_BASE_DIR:
            return base
        if self._short_base is None:
            self._short_base = Path(tempfile.mkdtemp(prefix="dc-", dir="/tmp"))
        return self._short_base

    def _prepare(self) -> Layout:
        mail_uid, mail_gid, login_user, internal_user, internal_group = self._identity()
        layout = Layout(
            root=self.root,
            base_dir=self._base_dir(),
            port=self._port,
            tls_port=self._tls_port,
            tls=self.tls,
            as_root=self.as_root,
            mail_uid=mail_uid,
            mail_gid=mail_gid,
            login_user=login_user,
            internal_user=internal_user,
            internal_group=internal_group,
            extra_conf=self.extra_conf,
            debug=self.debug,
        )
        self.root.mkdir(parents=True, exist_ok=True)
        for d in (layout.base_dir, self.root / "state", layout.mail):
            d.mkdir(parents=True, exist_ok=True)
        if self.tls and not layout.cert.exists():
            make_certificate(layout.cert, layout.key)
        if self.as_root:
            _add_search_permission(self.root)
            _add_search_permission(layout.base_dir)
            os.chown(layout.mail, mail_uid, mail_gid)
        self.layout = layout
        layout.passwd_dir.mkdir(exist_ok=True)
        if self.as_root:
            os.chown(layout.passwd_dir, 0, grp.getgrnam(internal_group).gr_gid)
            os.chmod(layout.passwd_dir, 0o750)
        for user in self.users:
            self._write_passwd(user)
            self._make_home(user)
        layout.conf.write_text(render_config(layout, self.version))
        return layout

    def _write_passwd(self, user: str) -> None:
        """``user:{PLAIN}pw:uid:gid::home::`` in ``users/<user>.passwd``, root:dovecot 0640."""
        assert self.layout is not None
        lo = self.layout
        path = lo.passwd_dir / f"{user}.passwd"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(
            f"{user}:{{PLAIN}}{self.users[user]}:{lo.mail_uid}:{lo.mail_gid}::{lo.mail / user}::\n"
        )
        if self.as_root:
            os.chown(tmp, 0, grp.getgrnam(lo.internal_group).gr_gid)
            os.chmod(tmp, 0o640)
        else:
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)

    def _make_home(self, user: str) -> None:
        assert self.layout is not None
        home = self.layout.mail / user
        home.mkdir(exist_ok=True)
        if self.as_root:
            os.chown(home, self.layout.mail_uid, self.layout.mail_gid)

    def start(self) -> DovecotServer:
        """Start the server (new free ports on the first start) and wait until it works."""
        if self.running:
            return self
        fixed_ports = bool(self._port)
        last: DovecotError | None = None
        for _attempt in range(PORT_ATTEMPTS):
            if not fixed_ports:
                self._port = free_port()
                self._tls_port = free_port() if self.tls else 0
                while self.tls and self._tls_port == self._port:
                    self._tls_port = free_port()
            try:
                self._launch()
                self._wait_ready()
                return self
            except DovecotError as exc:
                last = exc
                in_use = "Address already in use" in self.log_tail()
                self._kill_group()
                if not in_use:
                    raise
                if fixed_ports:
                    time.sleep(0.2)
        raise DovecotError(f"no free ports after {PORT_ATTEMPTS} attempts: {last}")

    def _launch(self) -> None:
        layout = self._prepare()
        if layout.log.exists():  # only this run's lines count for the startup check
            with layout.log.open("a") as f:
                f.write(f"--- test fixture: start at {time.time():.3f}\n")
        with self._stderr_path.open("wb") as err:
            self._proc = subprocess.Popen(
                [self.binary, "-F", "-c", str(layout.conf)],  # type: ignore[list-item]
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,
                preexec_fn=_set_pdeathsig,
                close_fds=True,
            )
        self._pgid = self._proc.pid

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        ports = [(self._port, False)]
        if self.tls:
            ports.append((self._tls_port, True))
        for port, use_tls in ports:
            while True:
                if self._proc is None or self._proc.poll() is not None:
                    raise DovecotError(f"dovecot exited at startup\n{self.log_tail()}")
                if self._greets(port, use_tls):
                    break
                if time.monotonic() > deadline:
                    raise DovecotError(f"no greeting on port {port}\n{self.log_tail()}")
                time.sleep(0.01)
        for user in self._check_users:
            self._login_check(user)

    def _greets(self, port: int, use_tls: bool) -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=2) as raw:
                sock: socket.socket = raw
                if use_tls:
                    ctx = ssl.create_default_context(cafile=str(self.ca_file))
                    sock = ctx.wrap_socket(raw, server_hostname="localhost")
                return sock.recv(64).startswith(b"* OK")
        except ssl.SSLError as exc:
            raise DovecotError(f"TLS handshake with the test server failed: {exc}") from exc
        except OSError:
            return False

    def _login_check(self, user: str) -> None:
        try:
            with self.client(user) as c:
                c.select_folder("INBOX")
        except Exception as exc:
            raise DovecotError(
                f"login check for {user!r} failed: {exc}\n{self.log_tail()}"
            ) from exc

    def stop(self, *, graceful: bool = True) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and wait for every process."""
        if self._proc is None:
            return
        if graceful and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(STOP_TIMEOUT)
        self._kill_group()

    def crash(self) -> None:
        """SIGKILL the whole process group, as a crash would (clients see EOF, no BYE)."""
        self._kill_group()

    def restart(self) -> None:
        """Stop (SIGTERM) and start again on the same ports."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Kill everything fast (the data does not matter) and check nothing is left."""
        self._kill_group()
        if self._short_base is not None:
            shutil.rmtree(self._short_base, ignore_errors=True)
            self._short_base = None

    def _kill_group(self) -> None:
        if self._proc is None:
            return
        pgid = self._pgid
        if pgid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(STOP_TIMEOUT)
        if pgid is not None:
            self.wait_group_gone(pgid)
        self._proc = None

    @staticmethod
    def wait_group_gone(pgid: int, timeout: float = 5.0) -> None:
        """Wait until no live (non-zombie) process of ``pgid`` is left; DovecotError if any."""
        deadline = time.monotonic() + timeout
        while True:
            left = group_members(pgid)
            if not left:
                return
            if time.monotonic() > deadline:
                raise DovecotError(f"dovecot processes left behind: {left}")
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            time.sleep(0.02)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- diagnostics -----------------------------------------------------------------

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of dovecot.log and of the captured stderr (doveconf errors)."""
        parts = []
        for path in (self.root / "dovecot.log", self._stderr_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                if text:
                    parts.append(f"== {path.name} ==\n" + "\n".join(text))
        return "\n".join(parts) or "(no log yet)"

    # ---- doveadm ---------------------------------------------------------------------

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

    # ---- users and mail --------------------------------------------------------------

    def add_user(self, user: str, password: str) -> None:
        """Add a user (its own passwd-file, read on first use); checks that it can log in."""
        if user in self.users:
            raise DovecotError(f"user {user!r} exists already (passwords are read once)")
        name_ok = re.fullmatch(r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*", user)
        if not name_ok or ":" in password or "\n" in password:
            raise DovecotError(f"unsupported user name or password for {user!r}")
        self.users[user] = password
        if self.layout is None:
            return  # written at start()
        self._make_home(user)
        self._write_passwd(user)
        if self.running:
            self._login_check(user)

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
        except BaseException:
            with contextlib.suppress(Exception):
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
        return _appenduid(resp)[-1]

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
                uids += _appenduid(c.multiappend(folder, batch))
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

    def rebuild_folder(self, user: str, folder: str = "INBOX") -> int:
        """Index rebuild (recipe 2): new UIDVALIDITY and renumbered UIDs; returns the value.

        Stops the server, deletes the folder's ``dovecot-uidlist`` and ``dovecot.index*``
        and the Maildir root's ``dovecot.list.index*``, starts again, and moves the value on
        by one if Dovecot's time-based allocator handed out the old one (pitfall 7).
        """
        old = self.uidvalidity(user, folder)
        maildir = self.root / "mail" / user / "Maildir"
        target = maildir_folder(maildir, folder)
        if not target.is_dir():
            raise DovecotError(f"no folder {folder!r} for {user!r} at {target}")
        self.stop()
        doomed = [target / "dovecot-uidlist", *target.glob("dovecot.index*")]
        doomed += maildir.glob("dovecot.list.index*")
        for path in doomed:
            path.unlink(missing_ok=True)
        self.start()
        new = self.uidvalidity(user, folder)
        if new == old:
            new = self.set_uidvalidity(user, folder, old + 1)
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


# --------------------------------------------------------------------------------------
# Fixtures


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
    server = DovecotServer(root, **kwargs)  # type: ignore[arg-type]
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
        return ImapConfig(**values)  # type: ignore[arg-type]

    def client(self, *, tls: bool = False) -> IMAPClient:
        return self.server.client(self.user, tls=tls)

    def deliver(self, raw: bytes, folder: str = "INBOX", **kwargs: object) -> int:
        return self.server.deliver(self.user, raw, folder, **kwargs)  # type: ignore[arg-type]

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


@pytest.fixture
def imap_account(dovecot_server: DovecotServer) -> ImapAccount:
    """A fresh user (own mailbox, random password) on the module's Dovecot."""
    return new_account(dovecot_server)


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
