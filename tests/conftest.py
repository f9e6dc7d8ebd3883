"""Shared fixtures: a real Dovecot (tests.servers.dovecot) and the Bitrix24 sandbox."""

from __future__ import annotations

import importlib.util

import pytest

pytest_plugins = ["tests.servers.dovecot", "tests.servers.postgres", "tests.servers.notify_stubs",
                  "tests.ledger_helpers", "tests.helpers.leases",
                  "tests.pipeline_fakes"]
if importlib.util.find_spec("tests.bitrix_fixtures") is not None:
    pytest_plugins.append("tests.bitrix_fixtures")


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a person reads follows the locale (bridge.i18n): tests pin an English one."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    from bridge import i18n

    i18n.set_language("en")
