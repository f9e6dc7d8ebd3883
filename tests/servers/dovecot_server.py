"""The Dovecot test server's process and files: one instance under a root directory.

``DovecotServer(root)`` writes ``<root>/dovecot.conf`` (tests/servers/dovecot_config.py), a
self-signed certificate and one passwd-file per user, and runs ``dovecot -F -c <conf>`` in its
own process group with PR_SET_PDEATHSIG. What a test does with the running server (clients,
delivery, doveadm) is in tests/servers/dovecot_ops.py; the fixtures are in tests/servers/dovecot.py.
"""

from __future__ import annotations

import contextlib
import grp
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers.dovecot_config import (
    DovecotError,
    Layout,
    dovecot_version,
    find_binary,
    missing_message,
    render_config,
)
from tests.servers.dovecot_ops import DovecotOps
from tests.servers.dovecot_os import (
    add_search_permission,
    free_port,
    greets,
    mail_identity,
    maildir_folder,
    make_certificate,
    set_pdeathsig,
    wait_group_gone,
)

MAX_BASE_DIR = 70  # AF_UNIX paths are limited to 107 bytes; dovecot adds up to ~35
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
PORT_ATTEMPTS = 5


class DovecotServer(DovecotOps):
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

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _base_dir(self) -> Path:
        base = self.root / "run"
        if len(str(base)) <= MAX_BASE_DIR:
            return base
        if self._short_base is None:
            self._short_base = Path(tempfile.mkdtemp(prefix="dc-", dir="/tmp"))
        return self._short_base

    def _prepare(self) -> Layout:
        mail_uid, mail_gid, login_user, internal_user, internal_group = mail_identity(
            self.as_root)
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
            add_search_permission(self.root)
            add_search_permission(layout.base_dir)
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
                [self.binary, "-F", "-c", str(layout.conf)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,
                preexec_fn=set_pdeathsig,
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
                if greets(port, use_tls, self.ca_file):
                    break
                if time.monotonic() > deadline:
                    raise DovecotError(f"no greeting on port {port}\n{self.log_tail()}")
                time.sleep(0.01)
        for user in self._check_users:
            self._login_check(user)

    def _login_check(self, user: str) -> None:
        try:
            with self.client(user) as c:
                c.select_folder("INBOX")
        except Exception as exc:  # whatever imapclient raises: one DovecotError with the log
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

    wait_group_gone = staticmethod(wait_group_gone)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

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
