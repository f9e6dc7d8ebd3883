"""Operating-system helpers of the Dovecot test server: ports, process groups, files, TLS.

Also the small readers of IMAP answers (UID sets, APPENDUID) and of the Maildir++ layout.
"""

from __future__ import annotations

import contextlib
import ctypes
import grp
import os
import pwd
import re
import signal
import socket
import ssl
import stat
import subprocess
import time
from pathlib import Path

from tests.servers.dovecot_config import HOST, DovecotError, find_binary
from tests.servers.ports import free_port

__all__ = [
    "add_search_permission", "appenduid", "free_port", "greets", "group_members", "mail_identity",
    "maildir_folder", "make_certificate", "parse_uid_set", "set_pdeathsig", "wait_group_gone",
]

_PR_SET_PDEATHSIG = 1


def set_pdeathsig() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Let the kernel SIGTERM dovecot when the thread that started it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


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


def add_search_permission(path: Path) -> None:
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


def appenduid(response: object) -> list[int]:
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


def mail_identity(as_root: bool) -> tuple[int, int, str, str, str]:
    """Mail uid/gid, login user, internal user and group (nobody and Debian's accounts as root)."""
    if as_root:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid, "dovenull", "dovecot", "dovecot"
    uid, gid = os.getuid(), os.getgid()
    user = pwd.getpwuid(uid).pw_name
    group = grp.getgrgid(gid).gr_name
    return uid, gid, user, user, group


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


def greets(port: int, use_tls: bool, ca_file: Path) -> bool:
    """Whether the server on ``port`` sends its ``* OK`` greeting (TLS verified by ``ca_file``)."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as raw:
            sock: socket.socket = raw
            if use_tls:
                ctx = ssl.create_default_context(cafile=str(ca_file))
                sock = ctx.wrap_socket(raw, server_hostname="localhost")
            return sock.recv(64).startswith(b"* OK")
    except ssl.SSLError as exc:
        raise DovecotError(f"TLS handshake with the test server failed: {exc}") from exc
    except OSError:
        return False

