"""config.load: every rule of SPEC §2, against real files in tmp_path."""

from __future__ import annotations

import dataclasses
import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import config
from bridge.config import Config, load, mask_webhook_url
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
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Config:
    return load(write(tmp_path, text), env=env or {})


def error_of(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text, env)
    return info.value


# --------------------------------------------------------------------------- the example


def test_example_loads_once_a_password_is_given(tmp_path: Path) -> None:
    """The documented template loads as it is when only the IMAP password comes from the env."""
    copy = tmp_path / "config.toml"
    shutil.copy(EXAMPLE, copy)
    cfg = load(copy, env={"BRIDGE_IMAP_PASSWORD": "pw"})
    assert cfg.imap.password == "pw"
    assert cfg.imap.host == "imap.yandex.ru"
    assert cfg.bitrix24.webhook_url == "https://rostferrum.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/"
    assert cfg.store.path == tmp_path / "bridge.db"
    assert cfg.source_path == copy


def test_example_without_password_names_the_ways_to_give_one(tmp_path: Path) -> None:
    """The template's empty password is an error that lists env var, file and inline key."""
    copy = tmp_path / "config.toml"
    shutil.copy(EXAMPLE, copy)
    with pytest.raises(ConfigError) as info:
        load(copy, env={})
    message = str(info.value)
    assert message.startswith("imap.password: required")
    assert "BRIDGE_IMAP_PASSWORD" in message and "imap.password_file" in message
    assert info.value.line is not None


def test_example_documents_every_key_with_its_default(tmp_path: Path) -> None:
    """Every key load() accepts appears in the example, set to the built-in default."""
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for section, keys in config._KEYS.items():
        assert section in data, section
        for key in keys:
            assert key in data[section], f"{section}.{key} is not documented"
    minimal = load_text(tmp_path, IMAP + BITRIX)
    documented = load(write(tmp_path, EXAMPLE.read_text(encoding="utf-8"), "ex.toml"),
                      env={"BRIDGE_IMAP_PASSWORD": "inline-pw"})
    for section in ("attachments", "dedupe", "parsing", "retry", "store", "filter"):
        assert getattr(documented, section) == getattr(minimal, section), section
    for key in ("idle", "idle_refresh", "poll_interval", "since_days", "timeout", "port",
                "security", "folder", "processed_folder", "ca_file"):
        assert getattr(documented.imap, key) == getattr(minimal.imap, key), key
    for key in ("responsible_user_id", "source_id", "title", "rate_per_second", "burst",
                "timeout", "batch", "ca_file", "health_interval"):
        assert getattr(documented.bitrix24, key) == getattr(minimal.bitrix24, key), key


def test_minimal_file_gets_spec_defaults(tmp_path: Path) -> None:
    """A file with only the required keys gets SPEC §2's defaults."""
    cfg = load_text(tmp_path, IMAP + BITRIX)
    assert (cfg.imap.port, cfg.imap.security, cfg.imap.folder) == (993, "ssl", "INBOX")
    assert cfg.imap.idle is True and cfg.imap.poll_interval == 60 and cfg.imap.since_days == 7
    assert cfg.attachments.field == "auto" and cfg.bitrix24.health_interval == 300
    assert (cfg.attachments.max_size_mb, cfg.attachments.max_total_mb) == (10, 25)
    assert cfg.dedupe.window_minutes == 10
    assert cfg.bitrix24.responsible_user_id == 1 and cfg.bitrix24.source_id == "WEB"
    assert cfg.parse_options().max_size_bytes == 10 * 1024 * 1024


def test_config_is_frozen_and_hides_secrets_in_repr(tmp_path: Path) -> None:
    """The loaded Config cannot be changed and its repr shows neither password nor webhook."""
    cfg = load_text(tmp_path, IMAP + BITRIX)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.imap.port = 1  # type: ignore[misc]
    assert "inline-pw" not in repr(cfg) and SECRET not in repr(cfg)


# --------------------------------------------------------------------------- file errors


def test_missing_file_suggests_the_demo(tmp_path: Path) -> None:
    """A config path that does not exist says so and suggests `mailbridge demo`."""
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "nope.toml", env={})
    assert str(info.value).startswith(f"config file not found: {tmp_path / 'nope.toml'}")
    assert "mailbridge demo" in str(info.value)


def test_toml_syntax_error_carries_its_line(tmp_path: Path) -> None:
    """A TOML syntax error names the file and the line tomllib found it on."""
    err = error_of(tmp_path, IMAP + BITRIX + "[store]\npath = = 'x'\n[dedupe]\n")
    assert err.line == 8
    assert "not valid TOML" in str(err) and "line 8" in str(err)
    err = error_of(tmp_path, IMAP + BITRIX + '[store]\npath = "unterminated')
    assert err.line == 8


def test_config_path_that_is_a_folder(tmp_path: Path) -> None:
    """--config pointing at a folder is a ConfigError, not a traceback."""
    with pytest.raises(ConfigError, match="is a directory"):
        load(tmp_path, env={})


def test_non_utf8_file_is_rejected(tmp_path: Path) -> None:
    """A file that is not UTF-8 (a cp1251 editor save) is a clear ConfigError."""
    path = tmp_path / "config.toml"
    path.write_bytes((IMAP + BITRIX + 'title = "Заявка"\n').encode("cp1251"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(path, env={})


# --------------------------------------------------------------------------- types and keys


def test_wrong_type_names_key_value_and_line(tmp_path: Path) -> None:
    """`port = "abc"` reads as the SPEC's example message, with the line of the key."""
    err = error_of(tmp_path, IMAP + 'port = "abc"\n' + BITRIX)
    assert str(err).startswith('imap.port: expected an integer, got "abc"')
    assert err.key == "imap.port" and err.line == 5
    assert "line 5" in str(err)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("port = true", "imap.port: expected an integer, got true"),
        ("port = 0", "imap.port: expected a positive integer, got 0"),
        ("port = 70000", "imap.port: expected at most 65535, got 70000"),
        ("poll_interval = 0", "imap.poll_interval: expected a positive integer, got 0"),
        ("poll_interval = 1.5", "imap.poll_interval: expected an integer, got 1.5"),
        ("idle = \"yes\"", 'imap.idle: expected true or false, got "yes"'),
        ("since_days = -1", "imap.since_days: expected an integer of at least 0, got -1"),
        ("idle_refresh = 3600", "imap.idle_refresh: expected at most 1740"),
        ("timeout = 0", "imap.timeout: expected a positive number, got 0"),
        ("security = \"tls\"", 'imap.security: expected one of "ssl" | "starttls" | "plain"'),
        ("folder = \"\"", "imap.folder: must not be empty"),
        ("processed_folder = \"INBOX\"", "imap.processed_folder: must differ from imap.folder"),
        ("processed_folder = \"Inbox\"", "imap.processed_folder: must differ from imap.folder"),
        ("host = \"imaps://imap.example.ru\"", "imap.host: expected a host name"),
    ],
)
def test_imap_values_are_checked(tmp_path: Path, line: str, expected: str) -> None:
    """Each bad [imap] value is rejected with a message that starts with its key."""
    text = IMAP.replace('host = "imap.example.ru"\n', "") if line.startswith("host") else IMAP
    err = error_of(tmp_path, text + line + "\n" + BITRIX)
    assert str(err).startswith(expected), str(err)


@pytest.mark.parametrize(
    ("section", "line", "expected"),
    [
        ("attachments", "max_size_mb = -1", "attachments.max_size_mb: expected a positive number"),
        ("attachments", "max_total_mb = \"25\"", "attachments.max_total_mb: expected a number"),
        ("attachments", "field = \"TASK\"", 'attachments.field: expected "auto", a lead user'),
        ("bitrix24", "health_interval = 0", "bitrix24.health_interval: expected a positive"),
        ("attachments", "allowed = \"pdf\"", "attachments.allowed: expected an array of strings"),
        ("attachments", "allowed = [\"pdf\", 3]", "attachments.allowed: item 2: expected a"),
        ("attachments", "allowed = [\"p df\"]", "attachments.allowed: item 1: expected a file"),
        ("filter", "senders = [\"not-an-address\"]", "filter.senders: item 1: expected an"),
        ("dedupe", "window_minutes = -5", "dedupe.window_minutes: expected an integer of at"),
        ("retry", "max_attempts = 0", "retry.max_attempts: expected a positive integer"),
        ("retry", "backoff_base = 60\nbackoff_cap = 30", "retry.backoff_cap: must be at least"),
        ("store", "path = \"\"", "store.path: must not be empty"),
        ("parsing", "default_region = \"Russia\"", "parsing.default_region: expected a two"),
        ("parsing", "spam_max_links = -1", "parsing.spam_max_links: expected an integer of at"),
        ("bitrix24", "responsible_user_id = 0", "bitrix24.responsible_user_id: expected a pos"),
        ("bitrix24", "rate_per_second = 0", "bitrix24.rate_per_second: expected a positive"),
        ("bitrix24", "burst = 0", "bitrix24.burst: expected a positive integer"),
        ("bitrix24", "batch = 1", "bitrix24.batch: expected true or false, got 1"),
        ("bitrix24", "title = \"Lead {client}\"", "bitrix24.title: unknown placeholder {client}"),
        ("bitrix24", "title = \"Lead {name\"", "bitrix24.title:"),
        ("bitrix24", "source_id = \" \"", "bitrix24.source_id: must not be empty"),
    ],
)
def test_other_sections_are_checked(tmp_path: Path, section: str, line: str, expected: str) -> None:
    """Each bad value in the other sections is rejected, naming its key."""
    head = IMAP + BITRIX if section != "bitrix24" else IMAP + BITRIX.rstrip("\n") + "\n"
    text = head + (f"[{section}]\n" if section != "bitrix24" else "") + line + "\n"
    err = error_of(tmp_path, text)
    assert str(err).startswith(expected), str(err)
    assert err.line is not None


def test_unknown_key_is_rejected_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt key names itself, its line and the key that was probably meant."""
    err = error_of(tmp_path, IMAP + "pol_interval = 30\n" + BITRIX)
    assert str(err).startswith("imap.pol_interval: unknown key; did you mean imap.poll_interval?")
    assert err.line == 5


def test_unknown_section_is_rejected_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt section is rejected with the section that was probably meant."""
    err = error_of(tmp_path, IMAP + BITRIX + "[atachments]\nmax_size_mb = 5\n")
    assert str(err).startswith("atachments: unknown section; did you mean attachments?")
    assert err.line == 7


def test_top_level_key_points_to_its_section(tmp_path: Path) -> None:
    """A key written above every section is pointed to the section it belongs to."""
    err = error_of(tmp_path, 'poll_interval = 30\n' + IMAP + BITRIX)
    assert "did you mean imap.poll_interval?" in str(err) and err.line == 1


def test_unknown_key_far_from_any_name_lists_the_keys(tmp_path: Path) -> None:
    """An unknown key with no close match lists the section's keys instead."""
    err = error_of(tmp_path, IMAP + BITRIX + "[dedupe]\nzzz = 1\n")
    assert str(err).startswith("dedupe.zzz: unknown key; the keys of [dedupe] are window_minutes")


# --------------------------------------------------------------------------- imap security


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


def test_relative_paths_resolve_beside_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """store.path and ca_file are relative to the config file's folder, not the cwd."""
    etc = tmp_path / "etc"
    (etc / "certs").mkdir(parents=True)
    (etc / "certs" / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    text = (IMAP + 'ca_file = "certs/ca.pem"\n' + BITRIX + 'ca_file = "certs/ca.pem"\n'
            + '[store]\npath = "var/ledger.db"\n')
    path = write(etc, text)
    monkeypatch.chdir(tmp_path)
    cfg = load(path, env={})
    assert cfg.imap.ca_file == etc / "certs" / "ca.pem"
    assert cfg.bitrix24.ca_file == etc / "certs" / "ca.pem"
    assert cfg.store.path == etc / "var" / "ledger.db"


def test_missing_ca_file_is_an_error(tmp_path: Path) -> None:
    """A ca_file that does not exist is rejected with its resolved path."""
    err = error_of(tmp_path, IMAP + 'ca_file = "nope.pem"\n' + BITRIX)
    assert str(err).startswith(f"imap.ca_file: file not found: {tmp_path / 'nope.pem'}")


def test_store_path_must_not_be_a_folder(tmp_path: Path) -> None:
    """store.path naming a folder is a ConfigError, not a later SQLite failure."""
    (tmp_path / "data").mkdir()
    err = error_of(tmp_path, IMAP + BITRIX + '[store]\npath = "data"\n')
    assert str(err).startswith("store.path:") and "folder" in str(err)


def test_lists_are_normalised(tmp_path: Path) -> None:
    """Extensions lose dots and case; senders are lower-cased; duplicates collapse."""
    text = IMAP + BITRIX + textwrap.dedent("""\
        [attachments]
        allowed = [".PDF", "pdf", "Docx"]
        field = ""
        [filter]
        senders = ["Forms@Site.RU", "@site.ru", "@site.ru"]
        """)
    cfg = load_text(tmp_path, text)
    assert cfg.attachments.allowed == ("pdf", "docx")
    assert cfg.attachments.field == ""
    assert cfg.filter.senders == ("forms@site.ru", "@site.ru")


def test_parsing_labels_and_fields_load(tmp_path: Path) -> None:
    """[parsing.labels] and [parsing.fields] become the tuples ParseOptions expects."""
    text = IMAP + BITRIX + textwrap.dedent("""\
        [parsing]
        default_region = "kz"
        spam_words = ["casino"]
        [parsing.labels]
        phone = ["Мобильный", "Тел."]
        name = ["Контактное лицо"]
        [parsing.fields]
        "Компания" = "COMPANY_TITLE"
        "Город" = "UF_CRM_CITY"
        """)
    cfg = load_text(tmp_path, text)
    assert cfg.parsing.default_region == "KZ"
    assert cfg.parsing.labels == (("name", ("Контактное лицо",)), ("phone", ("Мобильный", "Тел.")))
    assert cfg.parsing.fields == (("Компания", "COMPANY_TITLE"), ("Город", "UF_CRM_CITY"))
    options = cfg.parse_options()
    assert options.label_fields == cfg.parsing.fields and options.spam_words == ("casino",)


def test_parsing_labels_reject_unknown_field_with_suggestion(tmp_path: Path) -> None:
    """A label table for an unknown canonical field suggests the right one."""
    text = IMAP + BITRIX + '[parsing.labels]\nphones = ["Тел"]\n'
    err = error_of(tmp_path, text)
    expected = "parsing.labels.phones: unknown key; did you mean parsing.labels.phone?"
    assert str(err).startswith(expected)
    assert err.line == 8


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"city"', "expected a lead field name in capitals"),
        ("3", "expected a lead field name in capitals"),
        ('"UF_CRM_"', "expected a lead field name in capitals"),
        ('"ORIGIN_ID"', "ORIGIN_ID is filled by mailbridge itself"),
    ],
)
def test_parsing_fields_must_name_crm_fields(tmp_path: Path, value: str, expected: str) -> None:
    """A [parsing.fields] target must look like a CRM field and not be one the bridge sets."""
    err = error_of(tmp_path, IMAP + BITRIX + f'[parsing.fields]\n"Город" = {value}\n')
    assert str(err).startswith("parsing.fields.Город: " + expected), str(err)
    assert err.line == 8


def test_sizes_in_mb_are_mebibytes(tmp_path: Path) -> None:
    """max_size_mb = 1.5 means 1.5 MiB in ParseOptions."""
    text = IMAP + BITRIX + "[attachments]\nmax_size_mb = 1.5\nmax_total_mb = 3\n"
    options = load_text(tmp_path, text).parse_options()
    assert options.max_size_bytes == 1572864 and options.max_total_bytes == 3 * 1048576


def test_section_that_is_not_a_table(tmp_path: Path) -> None:
    """`imap = 5` is an error naming the section."""
    err = error_of(tmp_path, "imap = 5\n" + BITRIX)
    assert str(err).startswith("imap: expected a table [imap], got 5")


# --------------------------------------------------------------------------- line finding

_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@st.composite
def _toml_docs(draw: st.DrawFn) -> str:
    """A TOML text with comments, blank lines, quoted keys and multi-line strings."""
    lines: list[str] = ["# generated"]
    for section in draw(st.lists(_NAMES, min_size=1, max_size=4, unique=True)):
        lines.append(f"[{section}]  # a comment")
        for key in draw(st.lists(_NAMES, max_size=5, unique=True)):
            written = f'"{key}"' if draw(st.booleans()) else key
            if draw(st.booleans()):  # a multi-line string whose lines look like TOML
                lines += [f'{written} = """', f"fake_{key} = 1", "[not_a_section]", '"""']
            else:
                lines.append(f"  {written}   = {draw(st.integers())}")
            if draw(st.booleans()):
                lines.append("")
    return "\n".join(lines) + "\n"


@settings(deadline=None, max_examples=60)
@given(_toml_docs())
def test_key_lines_match_the_text(text: str) -> None:
    """Every table and key is found on the line it is written on, multi-line strings skipped."""
    data = tomllib.loads(text)
    lines = config._key_lines(text)
    numbered = text.split("\n")
    for section, table in data.items():
        assert numbered[lines[section] - 1].startswith(f"[{section}]")
        for key in table:
            line = numbered[lines[f"{section}.{key}"] - 1].strip()
            assert line.startswith((f"{key} ", f'"{key}" ')), (key, line)
    assert not any(k.split(".")[-1].startswith("fake_") for k in lines)
    assert "not_a_section" not in lines


def test_health_interval_and_fallback_user(tmp_path: Path) -> None:
    """bitrix24.health_interval (default 300, fractional seconds allowed, positive) and
    bitrix24.fallback_user_id (default 0 = the webhook's user, never negative)."""
    cfg = load_text(tmp_path, IMAP + BITRIX)
    assert cfg.bitrix24.health_interval == 300 and cfg.bitrix24.fallback_user_id == 0
    cfg = load_text(tmp_path, IMAP + BITRIX + "health_interval = 0.25\nfallback_user_id = 7\n")
    assert cfg.bitrix24.health_interval == 0.25 and cfg.bitrix24.fallback_user_id == 7
    err = error_of(tmp_path, IMAP + BITRIX + "health_interval = 0\n")
    assert err.key == "bitrix24.health_interval"
    err = error_of(tmp_path, IMAP + BITRIX + "fallback_user_id = -1\n")
    assert err.key == "bitrix24.fallback_user_id"
