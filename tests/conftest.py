"""Shared fixtures: a real Dovecot (tests.servers.dovecot) and the Bitrix24 sandbox."""

from __future__ import annotations

import importlib.util

pytest_plugins = ["tests.servers.dovecot"]
if importlib.util.find_spec("tests.bitrix_fixtures") is not None:
    pytest_plugins.append("tests.bitrix_fixtures")
