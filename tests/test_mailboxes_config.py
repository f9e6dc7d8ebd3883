"""[[mailboxes]] in the config (SPEC §2): defaults from [imap]/[bitrix24], per-mailbox secrets,
portals of their own, environment overrides only for the top-level tables, keys named in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import MailboxConfig
from tests.configfiles import A_CODE, A_URL, B_CODE, TOP_CODE, TOP_URL, error_of, load_text, write
from tests.configfiles import MAILBOXES_BASE as BASE
from tests.configfiles import TWO_MAILBOXES as TWO_BOXES
from tests.configfiles import run_bridge as _run_cli


def test_file_without_mailboxes_is_one_mailbox_from_imap(tmp_path: Path) -> None:
    """A single-mailbox file loads as before and serves one unnamed mailbox built from [imap]."""
    cfg = load_text(
        tmp_path, BASE.replace('folder = "Forms"', 'folder = "Forms"\nusername = "u@x.ru"\n'
                               'password = "pw"')
    )
    assert cfg.mailboxes == ()
    (only,) = cfg.all_mailboxes()
    assert only == MailboxConfig(name="", imap=cfg.imap, bitrix24=cfg.bitrix24)
    assert only.label == "u@x.ru"


def test_mailboxes_take_imap_values_as_defaults(tmp_path: Path) -> None:
    """Keys a mailbox leaves out come from [imap]; the ones it sets win."""
    (tmp_path / "b.password").write_text("pw-b-secret\n")
    cfg = load_text(tmp_path, BASE + TWO_BOXES)
    a, b = cfg.all_mailboxes()
    assert (a.name, a.imap.host, a.imap.port, a.imap.folder, a.imap.poll_interval) == (
        "site-a", "imap.example.ru", 1993, "Forms", 30,
    )
    assert (b.name, b.imap.host, b.imap.port, b.imap.folder) == (
        "site-b", "imap.other.ru", 1993, "INBOX",
    )
    assert (a.imap.password, b.imap.password) == ("pw-a-secret", "pw-b-secret")
    assert cfg.imap == a.imap  # the first mailbox stands for [imap] where one is expected


def test_mailboxes_without_portal_share_the_top_level_one(tmp_path: Path) -> None:
    """A mailbox with no [mailboxes.bitrix24] sends to [bitrix24]."""
    (tmp_path / "b.password").write_text("pw-b")
    a, b = load_text(tmp_path, BASE + TWO_BOXES).all_mailboxes()
    assert a.bitrix24.webhook_url == b.bitrix24.webhook_url == TOP_URL
    assert not a.own_portal and not b.own_portal


def test_imap_password_is_not_inherited(tmp_path: Path) -> None:
    """[imap]'s password is no default: a mailbox without its own names its credential."""
    text = BASE.replace('port = 1993', 'port = 1993\npassword = "top-pw"') + """
[[mailboxes]]
name = "site-a"
username = "a@site-a.ru"
"""
    err = error_of(tmp_path, text)
    assert str(err).startswith("mailboxes[1].password: required")
    assert "site-a-imap-password" in str(err) and "mailboxes[1].password_file" in str(err)


def test_mailbox_password_from_its_credential(tmp_path: Path) -> None:
    """$CREDENTIALS_DIRECTORY/<name>-imap-password serves the mailbox of that name only."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "site-a-imap-password").write_text("cred-pw-a\n")
    (creds / "imap-password").write_text("top-level-pw\n")
    text = BASE + """
[[mailboxes]]
name = "site-a"
username = "a@site-a.ru"
"""
    cfg = load_text(tmp_path, text, env={"CREDENTIALS_DIRECTORY": str(creds)})
    assert cfg.all_mailboxes()[0].imap.password == "cred-pw-a"


def test_own_portal_takes_bitrix24_values_as_defaults(tmp_path: Path) -> None:
    """[mailboxes.bitrix24] gets its webhook from its own file and the rest from [bitrix24]."""
    (tmp_path / "a.webhook").write_text(A_URL + "\n")
    (tmp_path / "b.password").write_text("pw-b")
    text = BASE + TWO_BOXES.replace(
        'password = "pw-a-secret"\n',
        'password = "pw-a-secret"\n\n[mailboxes.bitrix24]\nwebhook_url_file = "a.webhook"\n'
        "responsible_user_id = 9\n",
    )
    a, b = load_text(tmp_path, text).all_mailboxes()
    assert a.own_portal and a.bitrix24.webhook_url == A_URL
    assert a.bitrix24.responsible_user_id == 9
    assert a.bitrix24.title == "Заявка - {name}"  # from [bitrix24]
    assert b.bitrix24.webhook_url == TOP_URL and b.bitrix24.responsible_user_id == 5


def test_own_portal_webhook_is_not_inherited(tmp_path: Path) -> None:
    """A portal of its own never falls back to the top-level webhook URL."""
    text = BASE + """
[[mailboxes]]
name = "site-a"
username = "a@site-a.ru"
password = "pw"

[mailboxes.bitrix24]
responsible_user_id = 9
"""
    err = error_of(tmp_path, text)
    assert str(err).startswith("mailboxes[1].bitrix24.webhook_url: required")
    assert "site-a-webhook-url" in str(err)
    assert TOP_CODE not in str(err)


def test_own_portal_webhook_from_its_credential(tmp_path: Path) -> None:
    """$CREDENTIALS_DIRECTORY/<name>-webhook-url is the own portal's webhook."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "site-a-webhook-url").write_text(A_URL)
    text = BASE + """
[[mailboxes]]
name = "site-a"
username = "a@site-a.ru"
password = "pw"

[mailboxes.bitrix24]
responsible_user_id = 9
"""
    cfg = load_text(tmp_path, text, env={"CREDENTIALS_DIRECTORY": str(creds)})
    assert cfg.all_mailboxes()[0].bitrix24.webhook_url == A_URL


@pytest.mark.parametrize(
    "env_name, value",
    [("BITRIX24_WEBHOOK_URL", f"https://x.bitrix24.ru/rest/1/{B_CODE}/"),
     ("BITRIX24_RESPONSIBLE_USER_ID", "4")],
)
def test_env_override_with_several_portals_is_an_error(
    tmp_path: Path, env_name: str, value: str
) -> None:
    """An environment override plus a portal of a mailbox's own is a config error (78)."""
    (tmp_path / "b.password").write_text("pw-b")
    text = BASE + TWO_BOXES.replace(
        'password = "pw-a-secret"\n',
        f'password = "pw-a-secret"\n\n[mailboxes.bitrix24]\nwebhook_url = "{A_URL}"\n',
    )
    err = error_of(tmp_path, text, env={env_name: value})
    assert str(err).startswith(f"{env_name}: ")
    assert "several portals" in str(err)
    assert B_CODE not in str(err)
    code, _, stderr = _run_cli(write(tmp_path, text), {env_name: value}, "check")
    assert code == 78 and env_name in stderr


def test_env_override_applies_to_the_one_shared_portal(tmp_path: Path) -> None:
    """With one portal for all mailboxes, BITRIX24_WEBHOOK_URL still overrides [bitrix24]."""
    (tmp_path / "b.password").write_text("pw-b")
    env_url = f"https://env.bitrix24.ru/rest/1/{B_CODE}/"
    cfg = load_text(tmp_path, BASE + TWO_BOXES, env={"BITRIX24_WEBHOOK_URL": env_url})
    assert {m.bitrix24.webhook_url for m in cfg.all_mailboxes()} == {env_url}


def test_imap_password_env_with_mailboxes_is_an_error(tmp_path: Path) -> None:
    """BRIDGE_IMAP_PASSWORD would reach no mailbox of a [[mailboxes]] file: an error."""
    (tmp_path / "b.password").write_text("pw-b")
    err = error_of(tmp_path, BASE + TWO_BOXES, env={"BRIDGE_IMAP_PASSWORD": "x-secret"})
    assert str(err).startswith("BRIDGE_IMAP_PASSWORD: ")
    assert "x-secret" not in str(err)


@pytest.mark.parametrize(
    "change, key, phrase",
    [
        (('host = "imap.other.ru"', 'host = "http://imap.other.ru"'), "mailboxes[2].host",
         "expected a host name"),
        (('folder = "INBOX"', 'port = "abc"'), "mailboxes[2].port", "expected an integer"),
        (('folder = "INBOX"', 'hots = "x"'), "mailboxes[2].hots", "did you mean"),
        (('name = "site-b"', 'name = "Site B"'), "mailboxes[2].name", "lower-case"),
        (('name = "site-b"', 'name = "site-a"'), "mailboxes[2].name", "already the name"),
        (('name = "site-b"\n', ""), "mailboxes[2].name", "required"),
        (('folder = "INBOX"', 'processed_folder = "Forms"'), "mailboxes[2].processed_folder",
         "must differ"),
    ],
)
def test_errors_name_the_mailbox_key(
    tmp_path: Path, change: tuple[str, str], key: str, phrase: str
) -> None:
    """A bad value in the second mailbox is reported as mailboxes[2].<key>."""
    (tmp_path / "b.password").write_text("pw-b")
    err = error_of(tmp_path, BASE + TWO_BOXES.replace(*change))
    assert str(err).startswith(f"{key}: "), str(err)
    assert phrase in str(err)
    assert err.key == key


def test_unknown_key_in_own_portal_is_named(tmp_path: Path) -> None:
    """A typo in [mailboxes.bitrix24] names mailboxes[1].bitrix24.<key> with a suggestion."""
    text = BASE + f"""
[[mailboxes]]
name = "site-a"
username = "a@site-a.ru"
password = "pw"

[mailboxes.bitrix24]
webhook_url = "{A_URL}"
responsible_user = 3
"""
    err = error_of(tmp_path, text)
    assert str(err).startswith("mailboxes[1].bitrix24.responsible_user: unknown key")
    assert "responsible_user_id" in str(err)


def test_bad_own_webhook_is_named_without_its_code(tmp_path: Path) -> None:
    """A malformed own webhook names its key and never echoes the code."""
    text = BASE + f"""
[[mailboxes]]
name = "site-a"
username = "a@site-a.ru"
password = "pw"

[mailboxes.bitrix24]
webhook_url = "https://site-a.bitrix24.ru/rest/3/{A_CODE}/crm.lead.add"
"""
    err = error_of(tmp_path, text)
    assert str(err).startswith("mailboxes[1].bitrix24.webhook_url: ")
    assert A_CODE not in str(err)


def test_same_folder_twice_is_an_error(tmp_path: Path) -> None:
    """Two entries reading the same folder of the same login would race: an error."""
    (tmp_path / "b.password").write_text("pw-b")
    text = BASE + TWO_BOXES.replace('host = "imap.other.ru"\n', "").replace(
        'username = "b@site-b.ru"', 'username = "a@site-a.ru"'
    ).replace('folder = "INBOX"', 'folder = "Forms"')
    err = error_of(tmp_path, text)
    assert str(err).startswith("mailboxes[2].folder: ") and "mailboxes[1]" in str(err)


def test_mailboxes_must_be_tables(tmp_path: Path) -> None:
    """`mailboxes = [...]` of strings is an error naming mailboxes."""
    err = error_of(tmp_path, 'mailboxes = ["a"]\n' + BASE)
    assert str(err).startswith("mailboxes: expected [[mailboxes]] tables")


def test_top_level_imap_may_be_partial_with_mailboxes(tmp_path: Path) -> None:
    """With [[mailboxes]], [imap] only holds defaults and needs no host, login or password."""
    text = f"""
[bitrix24]
webhook_url = "{TOP_URL}"

[[mailboxes]]
name = "only"
host = "imap.example.ru"
username = "u@example.ru"
password = "pw"
"""
    cfg = load_text(tmp_path, text)
    assert [m.name for m in cfg.all_mailboxes()] == ["only"]
