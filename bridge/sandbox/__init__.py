"""A local Bitrix24 portal for the demo, the tests and the benchmarks (stdlib only).

It behaves as ``bitrix24-api.md`` describes: webhook URLs, JSON/form/multipart bodies with
PHP rules, the response envelope, every error answer the bridge meets, the leaky bucket,
``batch``, lead file fields and timeline comments, plus fault injection for the failure
cases a client must survive (lost answers, resets, 5xx, HTML pages, limits, slowness).
"""

from __future__ import annotations

# contacts, companies, deals, funnels, the duplicate index: registered on import
from bridge.sandbox import dupindex as _dupindex  # noqa: F401  # registers methods
from bridge.sandbox.portal import FAULTS, METHODS, ApiError, Portal
from bridge.sandbox.server import SandboxServer

__all__ = ["FAULTS", "METHODS", "ApiError", "Portal", "SandboxServer"]
