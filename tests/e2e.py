"""Helpers for end-to-end tests: a config file for a Dovecot account and a sandbox."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bridge.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def corpus(name: str) -> bytes:
    return (CORPUS / f"{name}.eml").read_bytes()


def expected(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / f"{name}.expected.json").read_text(encoding="utf-8"))


def toml_str(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def write_config(
    path: Path,
    account: Any,
    webhook_url: str,
    *,
    processed_folder: str = "Processed",
    security: str = "ssl",
    extra: str = "",
    imap_extra: str = "",
    bitrix_extra: str = "",
    rate: float = 1000,
    burst: int = 1000,
    crm_timeout: float = 10,
    max_request_seconds: float = 0.2,
) -> Path:
    server = account.server
    port = server.tls_port if security == "ssl" else server.port
    text = f"""
[imap]
host = "127.0.0.1"
port = {port}
security = "{security}"
username = {toml_str(account.user)}
password = {toml_str(account.password)}
ca_file = {toml_str(server.ca_file)}
folder = "INBOX"
processed_folder = {toml_str(processed_folder)}
poll_interval = 60
since_days = 7
timeout = 10
{imap_extra}

[bitrix24]
webhook_url = {toml_str(webhook_url)}
responsible_user_id = 1
source_id = "WEB"
source_description = "Сайт РостФеррум"
rate_per_second = {rate}
burst = {burst}
timeout = {crm_timeout}
max_request_seconds = {max_request_seconds}
{bitrix_extra}

[attachments]
field = "auto"

[retry]
backoff_base = 0.05
backoff_cap = 0.2

[store]
path = "bridge.db"
{extra}
"""
    path.write_text(text, encoding="utf-8")
    return path


def run(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def sandbox(**kwargs: Any) -> Iterator[Any]:
    from bridge.sandbox import SandboxServer

    kwargs.setdefault("rate", 1000.0)
    kwargs.setdefault("burst", 1000)
    server = SandboxServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
