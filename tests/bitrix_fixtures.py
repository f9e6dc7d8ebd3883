"""pytest fixtures: a real sandbox Bitrix24 portal on loopback and a client bound to it.

tests/conftest.py registers this module as a plugin; a test module can also name it in its own
``pytest_plugins``. ``make_client`` builds a client with quick retries for any SandboxServer.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

import pytest

from bridge.crm import Bitrix24Client
from bridge.sandbox import SandboxServer

FAST_RATE = 1000.0
FAST_BURST = 100_000


def make_client(server: SandboxServer, **overrides: Any) -> Bitrix24Client:
    """A client for ``server`` with quick retries (tests must not wait for real backoff)."""
    kw: dict[str, Any] = {"timeout": 5.0, "max_tries": 4, "backoff_base": 0.005,
                          "backoff_cap": 0.02, "max_wait": 2.0}
    kw.update(overrides)
    return Bitrix24Client(server.webhook_url, **kw)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A started sandbox portal with a bucket too large to matter; stopped afterwards."""
    server = SandboxServer(rate=FAST_RATE, burst=FAST_BURST).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def crm_client(sandbox: SandboxServer) -> Iterator[Bitrix24Client]:
    """A Bitrix24Client bound to the ``sandbox`` fixture's webhook URL."""
    client = make_client(sandbox)
    try:
        yield client
    finally:
        client.close()


def origin_counts(server: SandboxServer) -> collections.Counter[str]:
    """How many leads the sandbox portal holds per ORIGIN_ID (exactly-once checks)."""
    return collections.Counter(lead["ORIGIN_ID"] for lead in server.portal.list_leads())
