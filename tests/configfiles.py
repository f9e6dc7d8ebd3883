"""Config files for the config tests: the smallest valid sections and the helpers that write
one into a test's folder and load it (or return the ConfigError it raises)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bridge.config import Config, load
from bridge.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "config.toml.example"
SECRET = "s3cr3tC0DE4242xy"
WEBHOOK = f"https://portal.bitrix24.ru/rest/7/{SECRET}/"

IMAP = """\
[imap]
host = "imap.example.ru"
username = "forms@example.ru"
password = "inline-pw"
"""
BITRIX = f"""\
[bitrix24]
webhook_url = "{WEBHOOK}"
"""


def write(folder: Path, text: str, name: str = "config.toml") -> Path:
    """``text`` (dedented) as ``folder/name``."""
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    """Load ``text`` as a config file, with only ``env`` as the environment."""
    return load(write(tmp_path, text), env=env or {})


def error_of(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    """The ConfigError that loading ``text`` raises (the test fails when none is raised)."""
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text, env)
    return info.value


# ------------------------------------------------------------------ [[mailboxes]]
TOP_CODE = "T0pC0deXXXXXXXXX"
A_CODE = "AaC0deXXXXXXXXXX"
B_CODE = "BbC0deXXXXXXXXXX"
TOP_URL = f"https://top.bitrix24.ru/rest/1/{TOP_CODE}/"
A_URL = f"https://site-a.bitrix24.ru/rest/3/{A_CODE}/"

MAILBOXES_BASE = f"""\
[imap]
host = "imap.example.ru"
port = 1993
poll_interval = 30
folder = "Forms"

[bitrix24]
webhook_url = "{TOP_URL}"
responsible_user_id = 5
title = "Заявка - {{name}}"
"""

TWO_MAILBOXES = """
[[mailboxes]]
name = "site-a"
username = "a@site-a.ru"
password = "pw-a-secret"

[[mailboxes]]
name = "site-b"
host = "imap.other.ru"
username = "b@site-b.ru"
password_file = "b.password"
folder = "INBOX"
"""


def run_bridge(config: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run ``python -m bridge --config CONFIG ARGS`` as a process with only ``env`` added
    to an environment cleared of BITRIX24_* and BRIDGE_* variables."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("BITRIX24_", "BRIDGE_"))}
    full.update(env)
    proc = subprocess.run(
        [sys.executable, "-m", "bridge", "--config", str(config), *args],
        capture_output=True, text=True, timeout=60, env=full, cwd=REPO,
    )
    return proc.returncode, proc.stdout, proc.stderr
