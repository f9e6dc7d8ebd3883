"""config.load: every rule of SPEC §2, against real files in tmp_path: the example, the
file itself, types and unknown keys (secrets: test_config_secrets.py; the other sections:
test_config_sections.py)."""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
from pathlib import Path

import pytest

from bridge import config
from bridge.config import load
from bridge.errors import ConfigError
from tests.configfiles import BITRIX, EXAMPLE, IMAP, SECRET, error_of, load_text, write

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
        cfg.imap.port = 1
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
