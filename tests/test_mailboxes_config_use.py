"""A [[mailboxes]] config in use (SPEC §2): frozen, loaded offline without the mailboxes' secrets,
its secrets redacted, checked, given a ledger schema each, and its own routes tried first."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from bridge import cli, logsetup
from bridge.errors import ConfigError
from tests.configfiles import A_CODE, A_URL, TOP_CODE, error_of, load_text, write
from tests.configfiles import MAILBOXES_BASE as BASE
from tests.configfiles import TWO_MAILBOXES as TWO_BOXES
from tests.configfiles import run_bridge as _run_cli


def test_mailbox_config_is_frozen(tmp_path: Path) -> None:
    """MailboxConfig is immutable like the rest of Config."""
    (tmp_path / "b.password").write_text("pw-b")
    box = load_text(tmp_path, BASE + TWO_BOXES).all_mailboxes()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        box.name = "other"  # type: ignore[misc]  # the point of the test
    assert "pw-a-secret" not in repr(box) and TOP_CODE not in repr(box)


def test_offline_commands_read_no_mailbox_secret(tmp_path: Path) -> None:
    """status/retry load a [[mailboxes]] file whose secret files are missing (offline)."""
    text = BASE + TWO_BOXES.replace('password = "pw-a-secret"', 'password_file = "nope"')
    with pytest.raises(ConfigError):
        load_text(tmp_path, text)
    code, _, err = _run_cli(write(tmp_path, text), {}, "status")
    assert code != 78, err


def test_mailbox_secrets_are_redacted(tmp_path: Path) -> None:
    """Loading a [[mailboxes]] file registers every mailbox password and webhook code."""
    (tmp_path / "b.password").write_text("pw-b-secret")
    text = BASE + TWO_BOXES.replace(
        'password = "pw-a-secret"\n',
        f'password = "pw-a-secret"\n\n[mailboxes.bitrix24]\nwebhook_url = "{A_URL}"\n',
    )
    cli.load_config(argparse.Namespace(config=str(write(tmp_path, text))))
    shown = logsetup.REDACTOR.redact(f"pw-b-secret pw-a-secret {A_CODE}")
    assert "pw-b-secret" not in shown and "pw-a-secret" not in shown and A_CODE not in shown


def test_check_does_not_ask_for_an_imap_password_with_mailboxes(tmp_path: Path) -> None:
    """With [[mailboxes]], [imap] holds defaults only: no "fill in imap.password" line."""
    from bridge.placeholders import placeholder_problems

    (tmp_path / "b.password").write_text("pw-b")
    path = write(tmp_path, BASE + TWO_BOXES)
    assert not any("imap.password" in line for line in placeholder_problems(path, env={}))
    single = write(tmp_path, BASE.replace('port = 1993', 'port = 1993\nusername = "u@x.ru"'))
    assert any("imap.password" in line for line in placeholder_problems(single, env={}))


def test_store_url_with_mailboxes_gives_each_its_schema(tmp_path: Path) -> None:
    """With store.url, each mailbox keeps its ledger in a schema of its own in that database."""
    from bridge.multibox import per_mailbox

    (tmp_path / "b.password").write_text("pw-b")
    store = '[store]\nurl = "postgresql+psycopg://mb:XXXXXXXX@db.example.ru/mb"\n\n'
    cfg = load_text(tmp_path, BASE.replace("[bitrix24]", store + "[bitrix24]") + TWO_BOXES)
    schemas = [c.store.schema for _b, c in per_mailbox(cfg)]
    assert schemas == ["mailbridge_site_a", "mailbridge_site_b"]
    assert cfg.store.schema == ""


ROUTED = BASE + """
[[routes]]
name = "global"
sender = "@site.ru"
title = "Global - {name}"

[[mailboxes]]
name = "site-a"
username = "a@site-a.ru"
password = "pw"

[[mailboxes.routes]]
name = "callback"
subject = "Перезвоните"
title = "Callback A - {name}"

[[mailboxes]]
name = "site-b"
username = "b@site-b.ru"
password = "pw"
"""


def test_mailbox_routes_come_before_the_global_ones(tmp_path: Path) -> None:
    """[[mailboxes.routes]] belong to their mailbox, keyed by its name, tried before [[routes]]."""
    from bridge.multibox import per_mailbox

    cfg = load_text(tmp_path, ROUTED)
    a, b = cfg.all_mailboxes()
    assert [r.key for r in a.routes] == ["site-a:callback"] and b.routes == ()
    (_, a_cfg), (_, b_cfg) = per_mailbox(cfg)
    assert [r.key for r in a_cfg.routes] == ["site-a:callback", "global"]
    assert [r.key for r in b_cfg.routes] == ["global"]


def test_mailbox_route_errors_name_the_mailbox(tmp_path: Path) -> None:
    """A bad key in a mailbox's route is reported as mailboxes[1].routes[1].<key>."""
    err = error_of(tmp_path, ROUTED.replace('subject = "Перезвоните"', 'sendr = "x@y.ru"'))
    assert str(err).startswith("mailboxes[1].routes[1].sendr: unknown key"), str(err)
