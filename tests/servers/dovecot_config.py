"""The Dovecot test server's configuration: version detection and the dovecot.conf text.

Pure functions (no process is started), so the 2.4 syntax is tested on a machine that has 2.3.
``render_config`` writes 2.3 syntax below 2.4 and 2.4 syntax from 2.4 on; see
/work/shared/dovecot-notes.md for what each line is for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


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



def _general_lines(lo: Layout, v24: bool) -> list[str]:
    """Instance, paths, process identities and the authentication mechanisms."""
    versions = ["dovecot_config_version = 2.4.0", "dovecot_storage_version = 2.4.0"]
    return [
        *(versions if v24 else []),
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


def _db_lines(lo: Layout, v24: bool) -> list[str]:
    """passdb/userdb (one passwd-file per user) and where the mail lives."""
    if v24:
        return [
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
    return [
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


def _storage_and_ssl_lines(lo: Layout, v24: bool) -> list[str]:
    """fsync off, the INBOX namespace, and TLS on or off."""
    lines = [
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
    return lines


def _service_lines(lo: Layout, v24: bool) -> list[str]:
    """The two listeners on loopback, chroot off for non-root, anvil and connection limits."""
    chroot = [] if lo.as_root else ["  chroot ="]  # non-root: no chroot for these two
    addr = "listen" if v24 else "address"
    return [
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


def _tail_lines(lo: Layout, v24: bool) -> list[str]:
    """Debug logging when asked for, then the caller's extra settings (later lines win)."""
    lines: list[str] = []
    if lo.debug:
        lines.append("mail_debug = yes")
        if v24:
            lines += ["auth_verbose = yes", "log_debug = category=auth OR category=ssl"]
        else:
            lines += ["auth_debug = yes", "auth_verbose = yes", "verbose_ssl = yes"]
    if lo.extra_conf:
        lines += ["", "# extra_conf", lo.extra_conf.strip()]
    return lines


def render_config(layout: Layout, version: tuple[int, int]) -> str:
    """The dovecot.conf text for ``version`` (2.3 syntax below 2.4, else 2.4 syntax)."""
    v24 = version >= (2, 4)
    parts = (_general_lines, _db_lines, _storage_and_ssl_lines, _service_lines, _tail_lines)
    return "\n".join(line for part in parts for line in part(layout, v24)) + "\n"
