"""Raw HTTP calls to a sandbox portal's webhook, for tests that check the wire itself."""

from __future__ import annotations

from typing import Any

import requests

from bridge.sandbox import SandboxServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def post(sb: SandboxServer, method: str, payload: Any = None, **kw: Any) -> requests.Response:
    """POST ``payload`` as JSON to ``method`` on the sandbox's webhook URL."""
    return requests.post(sb.webhook_url + method, json=payload or {}, timeout=10, **kw)


def ok(sb: SandboxServer, method: str, payload: Any = None) -> Any:
    """The ``result`` of a call that must answer 200."""
    r = post(sb, method, payload)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def err(r: requests.Response) -> tuple[int, str, str]:
    """HTTP status, error code and description of an error answer."""
    body = r.json()
    return r.status_code, body["error"], body["error_description"]
