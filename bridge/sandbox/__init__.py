"""A local Bitrix24 portal for the demo, the tests and the benchmarks (stdlib only).

It behaves as ``bitrix24-api.md`` describes: webhook URLs, JSON/form/multipart bodies with
PHP rules, the response envelope, every error answer the bridge meets, the leaky bucket,
``batch``, lead file fields and timeline comments, plus fault injection for the failure
cases a client must survive (lost answers, resets, 5xx, HTML pages, limits, slowness).

The modules, one job each:

* the wire: ``phpquery`` (PHP parameter rules), ``wire`` (parameters from query and body,
  the ``.xml`` form), ``answers`` (envelope, error answers, the front end's HTML pages),
  ``values`` (PHP values: integers, scalars, arrays, dates);
* the portal: ``portal`` (``Portal``, composed of the parts below, and the order of the
  checks of one call), ``base`` (``PortalLike``, what the method families need from a portal,
  so none imports ``portal`` back), ``records`` (users, webhooks, user fields, the caller),
  ``registry`` (the method table), ``limits`` (bucket, operating time),
  ``faults`` and ``slowfaults`` (injected failures), ``control`` (request log, modes, the
  ``/_sandbox/`` control API), ``server`` (HTTP on loopback);
* the method families: ``users`` (users, webhooks, scopes, profile), ``leads``,
  ``filefields`` (user fields and their files), ``comments`` (timeline comments), ``filters``
  (filter/order/select/paging of list methods), ``batch``, ``disk``, ``access`` (CRM roles,
  CRM mode, the plan), ``entities`` and ``dupindex`` (contacts, companies, deals, funnels,
  the duplicate index), ``render`` (what a person sees of COMMENTS).
"""

from __future__ import annotations

# contacts, companies, deals, funnels, the duplicate index: registered on import
from bridge.sandbox import dupindex as _dupindex  # noqa: F401  # registers methods
from bridge.sandbox.portal import FAULTS, METHODS, ApiError, Portal
from bridge.sandbox.server import SandboxServer

__all__ = ["FAULTS", "METHODS", "ApiError", "Portal", "SandboxServer"]
