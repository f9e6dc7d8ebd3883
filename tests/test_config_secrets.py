"""config.load, SPEC §2: IMAP security, where secrets come from (environment, *_file,
credentials, inline) and the webhook URL, whose code no error ever shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import load, mask_webhook_url
from tests.configfiles import BITRIX, IMAP, SECRET, WEBHOOK, error_of, load_text, write


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_plain_is_allowed_to_loopback(tmp_path: Path, host: str) -> None:
    """`security = "plain"` loads for loopback hosts and defaults the port to 143."""
    text = IMAP.replace("imap.example.ru", host) + 'security = "plain"\n' + BITRIX
    cfg = load_text(tmp_path, text)
    assert (cfg.imap.security, cfg.imap.port) == ("plain", 143)
    assert cfg.imap.host == host.strip("[]")


@pytest.mark.parametrize("host", ["imap.example.ru", "10.0.0.5", "192.168.1.1", "128.0.0.1"])
def test_plain_is_refused_to_anything_else(tmp_path: Path, host: str) -> None:
    """`security = "plain"` to a non-loopback host is a ConfigError naming imap.security."""
    text = IMAP.replace("imap.example.ru", host) + 'security = "plain"\n' + BITRIX
    err = error_of(tmp_path, text)
    assert str(err).startswith('imap.security: "plain" (no TLS) is allowed only to a loopback')
    assert err.line == 5


def test_port_defaults_follow_security(tmp_path: Path) -> None:
    """The port defaults to 993 for ssl and 143 for starttls; an explicit port wins."""
    assert load_text(tmp_path, IMAP + BITRIX).imap.port == 993
    assert load_text(tmp_path, IMAP + 'security = "starttls"\n' + BITRIX).imap.port == 143
    cfg = load_text(tmp_path, IMAP + 'security = "STARTTLS"\nport = 1143\n' + BITRIX)
    assert (cfg.imap.security, cfg.imap.port) == ("starttls", 1143)


def test_host_and_username_are_required(tmp_path: Path) -> None:
    """An empty imap.host or imap.username is an error naming the key."""
    err = error_of(tmp_path, IMAP.replace("imap.example.ru", "") + BITRIX)
    assert str(err).startswith("imap.host: required")
    err = error_of(tmp_path, IMAP.replace("forms@example.ru", " ") + BITRIX)
    assert str(err).startswith("imap.username: required")


# --------------------------------------------------------------------------- secrets


def _secret_setup(tmp_path: Path, levels: set[str]) -> tuple[Path, dict[str, str]]:
    """A config with the password and webhook given at the chosen levels."""
    creds = tmp_path / "creds"
    creds.mkdir()
    env: dict[str, str] = {}
    imap = IMAP.replace('password = "inline-pw"', 'password = "from-inline"')
    bitrix = '[bitrix24]\nwebhook_url = "https://inline.example.ru/rest/1/inline/"\n'
    if "file" in levels:
        (tmp_path / "secrets").mkdir()
        (tmp_path / "secrets" / "pw").write_text("from-file\n")
        (tmp_path / "secrets" / "hook").write_text("https://file.example.ru/rest/1/file/\n")
        imap += 'password_file = "secrets/pw"\n'
        bitrix += 'webhook_url_file = "secrets/hook"\n'
    if "credentials" in levels:
        (creds / "imap-password").write_text("from-credentials\n")
        (creds / "webhook-url").write_text("https://cred.example.ru/rest/1/cred/\n")
        env["CREDENTIALS_DIRECTORY"] = str(creds)
    if "env" in levels:
        env["BRIDGE_IMAP_PASSWORD"] = "from-env"
        env["BITRIX24_WEBHOOK_URL"] = "https://env.example.ru/rest/1/env/"
    return write(tmp_path, imap + bitrix), env


@pytest.mark.parametrize(
    ("levels", "winner"),
    [
        ({"env", "file", "credentials"}, "env"),
        ({"file", "credentials"}, "file"),
        ({"credentials"}, "credentials"),
        (set(), "inline"),
    ],
)
def test_secret_precedence(tmp_path: Path, levels: set[str], winner: str) -> None:
    """Env beats *_file, which beats $CREDENTIALS_DIRECTORY, which beats the inline value."""
    path, env = _secret_setup(tmp_path, levels)
    cfg = load(path, env=env)
    host = {"credentials": "cred"}.get(winner, winner)
    assert cfg.imap.password == f"from-{winner}"
    assert cfg.bitrix24.webhook_url == f"https://{host}.example.ru/rest/1/{host}/"


def test_credentials_directory_without_the_files_falls_back_to_inline(tmp_path: Path) -> None:
    """A CREDENTIALS_DIRECTORY without our credential names leaves the inline values in force."""
    (tmp_path / "creds").mkdir()
    cfg = load_text(tmp_path, IMAP + BITRIX, env={"CREDENTIALS_DIRECTORY": str(tmp_path / "creds")})
    assert cfg.imap.password == "inline-pw"


def test_secret_file_is_relative_to_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """password_file is found beside the config file, whatever the working directory."""
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "imap.pw").write_text("  pw with spaces inside \n")
    path = write(etc, IMAP.replace('password = "inline-pw"', 'password_file = "imap.pw"') + BITRIX)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load(path, env={}).imap.password == "pw with spaces inside"


def test_missing_or_empty_secret_file_names_the_key(tmp_path: Path) -> None:
    """A password_file that is missing or empty is an error naming imap.password_file."""
    text = IMAP + 'password_file = "gone.pw"\n' + BITRIX
    err = error_of(tmp_path, text)
    assert str(err).startswith(f"imap.password_file: file not found: {tmp_path / 'gone.pw'}")
    assert err.line == 5
    (tmp_path / "gone.pw").write_text("\n")
    assert "is empty" in str(error_of(tmp_path, text))


def test_secret_of_the_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    """`password = 918273` is rejected without printing the number."""
    err = error_of(tmp_path, IMAP.replace('password = "inline-pw"', "password = 918273") + BITRIX)
    assert str(err).startswith("imap.password: expected a string (in quotes), got a number")
    assert "918273" not in str(err)


def test_responsible_user_env_overrides(tmp_path: Path) -> None:
    """BITRIX24_RESPONSIBLE_USER_ID overrides the file and must be a positive integer."""
    text = IMAP + BITRIX + "responsible_user_id = 3\n"
    assert load_text(tmp_path, text).bitrix24.responsible_user_id == 3
    env = {"BITRIX24_RESPONSIBLE_USER_ID": "42"}
    assert load_text(tmp_path, text, env).bitrix24.responsible_user_id == 42
    err = error_of(tmp_path, text, {"BITRIX24_RESPONSIBLE_USER_ID": "boss"})
    assert str(err).startswith('BITRIX24_RESPONSIBLE_USER_ID: expected a positive integer')


# --------------------------------------------------------------------------- the webhook


@pytest.mark.parametrize(
    "url",
    [
        f"https://portal.bitrix24.ru/rest/{SECRET}/",
        f"https://portal.bitrix24.ru/rest/1/{SECRET}/crm.lead.add.json",
        f"https://portal.bitrix24.ru/rest/1/{SECRET}/?auth=1",
        f"ftp://portal.bitrix24.ru/rest/1/{SECRET}/",
        f"http://portal.bitrix24.ru/rest/1/{SECRET}/",
        f"https://user:{SECRET}@portal.bitrix24.ru/rest/1/x/",
        f"portal.bitrix24.ru/rest/1/{SECRET}/",
        f"https://[portal/rest/1/{SECRET}/",
        SECRET,
    ],
)
def test_bad_webhook_never_shows_its_secret(tmp_path: Path, url: str) -> None:
    """A malformed webhook URL is rejected, and the error text never contains the code."""
    text = IMAP + f'[bitrix24]\nwebhook_url = "{url}"\n'
    err = error_of(tmp_path, text)
    assert str(err).startswith("bitrix24.webhook_url:"), str(err)
    assert SECRET not in str(err)
    assert err.line == 6
    err = error_of(tmp_path, IMAP + BITRIX, {"BITRIX24_WEBHOOK_URL": url})
    assert str(err).startswith("BITRIX24_WEBHOOK_URL:") and SECRET not in str(err)


def test_bad_webhook_from_credentials_names_its_source(tmp_path: Path) -> None:
    """A malformed $CREDENTIALS_DIRECTORY/webhook-url is named as such, secret hidden."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "webhook-url").write_text(f"https://portal.bitrix24.ru/{SECRET}\n")
    err = error_of(tmp_path, IMAP, {"CREDENTIALS_DIRECTORY": str(creds)})
    assert str(err).startswith("$CREDENTIALS_DIRECTORY/webhook-url: expected https://HOST/rest/")
    assert SECRET not in str(err)


def test_bad_webhook_from_file_names_the_file_key(tmp_path: Path) -> None:
    """A malformed webhook_url_file content is reported against bitrix24.webhook_url_file."""
    (tmp_path / "hook").write_text(f"https://portal.bitrix24.ru/rest/x/{SECRET}/\n")
    err = error_of(tmp_path, IMAP + '[bitrix24]\nwebhook_url_file = "hook"\n')
    assert str(err).startswith("bitrix24.webhook_url_file: expected https://HOST/rest/")
    assert SECRET not in str(err) and err.line == 6


def test_bad_webhook_error_shows_the_masked_form(tmp_path: Path) -> None:
    """The error shows the URL as https://HOST/rest/1/***/ so the operator can see the host."""
    url = f"https://portal.bitrix24.ru/rest/1/{SECRET}/extra/"
    err = error_of(tmp_path, IMAP + f'[bitrix24]\nwebhook_url = "{url}"\n')
    assert "https://portal.bitrix24.ru/rest/1/***/" in str(err)


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://a.bitrix24.ru/rest/1/abc123", "https://a.bitrix24.ru/rest/1/abc123/"),
        ("https://crm.example.com:8443/rest/15/abc/", "https://crm.example.com:8443/rest/15/abc/"),
        ("http://127.0.0.1:8080/rest/1/abc/", "http://127.0.0.1:8080/rest/1/abc/"),
        ("http://localhost:9/rest/1/abc", "http://localhost:9/rest/1/abc/"),
    ],
)
def test_good_webhooks_load_with_a_trailing_slash(tmp_path: Path, url: str, stored: str) -> None:
    """Any host over https, or http to loopback, loads; a trailing slash is added."""
    cfg = load_text(tmp_path, IMAP + f'[bitrix24]\nwebhook_url = "{url}"\n')
    assert cfg.bitrix24.webhook_url == stored


def test_mask_webhook_url() -> None:
    """mask_webhook_url keeps scheme, host, port and user id, and hides the code."""
    assert mask_webhook_url(WEBHOOK) == "https://portal.bitrix24.ru/rest/7/***/"
    assert mask_webhook_url("http://127.0.0.1:81/rest/1/x/") == "http://127.0.0.1:81/rest/1/***/"
    assert mask_webhook_url(SECRET) == "***"


def test_webhook_is_required(tmp_path: Path) -> None:
    """No webhook anywhere is an error naming the env var, the file key and the inline key."""
    err = error_of(tmp_path, IMAP)
    assert str(err).startswith("bitrix24.webhook_url: required")
    assert "BITRIX24_WEBHOOK_URL" in str(err) and "bitrix24.webhook_url_file" in str(err)


# --------------------------------------------------------------------------- paths and tables
