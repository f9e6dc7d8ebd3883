"""Commands that read only the ledger need no secrets (issue 9 item 9, SPEC §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import run, sandbox, write_config
from tests.forms import form_email
from tests.servers.dovecot import ImapAccount


def strip_secrets(cfg: Path, secrets_dir: Path) -> None:
    """Move both secrets into files nobody may read, as a monitoring user would see them."""
    lines = []
    for line in cfg.read_text().splitlines():
        if line.startswith(("password = ", "webhook_url = ")):
            key = line.split(" = ", 1)[0]
            lines.append(f'{key}_file = "{secrets_dir / key}"')
        else:
            lines.append(line)
    cfg.write_text("\n".join(lines) + "\n")


def test_status_and_retry_work_without_the_secrets(
    account: ImapAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the password and the webhook unavailable, status, retry and parse work and exit
    0; check and --poll-now still need them (78, naming the key)."""
    for name in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    account.deliver(form_email(1))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        strip_secrets(cfg, tmp_path / "missing")
        code, out, err = run("--config", str(cfg), "status")
        assert code == 0, err
        assert "messages: 1" in out and "created: 1" in out
        code, out, err = run("--config", str(cfg), "retry", "--all")
        assert code == 0, err
        assert "nothing to retry" in out
        eml = tmp_path / "one.eml"
        eml.write_bytes(form_email(2))
        code, out, err = run("--config", str(cfg), "parse", str(eml), "--json")
        assert code == 0, err
        assert '"create_lead": true' in out
        code, _, err = run("--config", str(cfg), "check")
        assert code == 78 and "password_file" in err
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78 and "password_file" in err
