"""config.load, SPEC §2: paths, lists, [parsing] tables, sizes, the line of every key, and
the portal's health settings."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import config
from bridge.config import load
from tests.configfiles import BITRIX, IMAP, error_of, load_text, write


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
