"""One set of config defaults and one of each check: the values module holds every default,
the README's table documents the same ones, and the loader shares its patterns and the webhook
URL check instead of keeping copies."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bridge import secrets
from bridge.config import values
from bridge.leads import LeadSettings
from tests.configfiles import BITRIX, IMAP, REPO, SECRET, error_of, load_text

BRIDGE = REPO / "bridge"
# a README row of the config table: | `section.key` (, `section.key`) | default(s) | ... |
_ROW = re.compile(r"^\| (`[a-z0-9_]+\.[a-z0-9_]+`(?:, `[a-z0-9_]+\.[a-z0-9_]+`)*) \| ([^|]+) \|")


def _literal(text: str) -> tuple[bool, Any]:
    """A README default cell as a value: `"x"`, `true`, `[]`, a number; (False, None) else."""
    text = text.strip()
    if text.startswith("`") and text.endswith("`"):
        text = text[1:-1]
    try:
        return True, tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return False, None


def _readme_defaults() -> list[tuple[str, str, Any]]:
    """(section, key, documented default) for every row whose default is a plain value."""
    found: list[tuple[str, str, Any]] = []
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line)
        if m is None:
            continue
        keys = [k.strip("`") for k in m.group(1).split(", ")]
        cells = m.group(2).split(", ") if len(keys) > 1 else [m.group(2)]
        if len(cells) != len(keys):
            continue
        for key, cell in zip(keys, cells, strict=True):
            ok, value = _literal(cell)
            if ok:
                section, name = key.split(".")
                found.append((section, name, value))
    return found


def test_readme_documents_the_defaults_the_loader_gives(tmp_path: Path) -> None:
    """Every default the README's config table names is the value a minimal file loads with."""
    cfg = load_text(tmp_path, IMAP + BITRIX)
    rows = _readme_defaults()
    assert len(rows) > 40
    for section, name, documented in rows:
        loaded = getattr(getattr(cfg, section), name)
        if loaded is None or isinstance(loaded, Path):  # an unset path is written ""
            loaded = "" if loaded is None else loaded.name
        if isinstance(loaded, tuple):
            loaded = dict(loaded) if isinstance(documented, dict) else list(loaded)
        assert loaded == documented, f"{section}.{name}: README {documented!r}, loads {loaded!r}"


def test_the_lead_builder_takes_its_defaults_from_the_config_values() -> None:
    """LeadSettings() is shaped exactly like a default [bitrix24], from the same constants."""
    portal, lead = values.Bitrix24Config(), LeadSettings()
    for name in ("title", "source_id", "source_description", "responsible_user_id"):
        assert getattr(lead, name) == getattr(portal, name), name


def _string_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)]


def test_each_default_is_written_once_in_the_bridge() -> None:
    """The lead title and the ledger file defaults are literals in values.py only (others
    import the constant). "INBOX" and "WEB" are left out: they are also IMAP's and the
    portal's own names, which the mailbox adapter and the sandbox rightly write."""
    for default in (values.DEFAULT_TITLE, values.DEFAULT_STORE_PATH):
        holders = [p.relative_to(REPO).as_posix() for p in sorted(BRIDGE.rglob("*.py"))
                   if default in _string_literals(p)]
        assert holders == ["bridge/config/values.py"], (default, holders)


def _compiled_patterns(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [call.args[0].value for call in ast.walk(tree)
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == "compile" and call.args
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)]


def test_config_routes_and_secrets_compile_each_pattern_once() -> None:
    """No regular expression is compiled twice across the config package, routes and secrets
    (the sender and CRM field patterns were once copied between them)."""
    paths = [*sorted((BRIDGE / "config").glob("*.py")), BRIDGE / "routes.py",
             BRIDGE / "secrets.py"]
    seen: dict[str, str] = {}
    for path in paths:
        for pattern in _compiled_patterns(path):
            assert pattern not in seen, f"{pattern!r} in {path.name} and {seen[pattern]}"
            seen[pattern] = path.name
    assert len(seen) >= 8


@pytest.mark.parametrize("url", [
    f"https://portal.bitrix24.ru/rest/{SECRET}/",
    f"https://portal.bitrix24.ru/rest/1/{SECRET}/crm.lead.add.json",
    f"http://portal.bitrix24.ru/rest/1/{SECRET}/",
    f"https://user:{SECRET}@portal.bitrix24.ru/rest/1/x/",
    f"https://portal.bitrix24.ru:0/rest/1/{SECRET}/",
    f"https://[portal/rest/1/{SECRET}/",
])
def test_the_loader_and_the_client_check_a_webhook_url_alike(tmp_path: Path, url: str) -> None:
    """The config loader reports exactly bridge.secrets' verdict on a webhook URL, as the
    client's own parse does: one check, two callers."""
    problem = secrets.webhook_url_problem(url)
    assert problem is not None and SECRET not in problem
    err = error_of(tmp_path, IMAP + f'[bitrix24]\nwebhook_url = "{url}"\n')
    assert str(err).startswith(f"bitrix24.webhook_url: {problem} (")
    with pytest.raises(secrets.ConfigError) as info:
        secrets.parse_webhook_url(url)
    assert str(info.value) == f"bitrix24.webhook_url: {problem}"
