"""The state of one sandbox portal and the order in which a REST call is checked and run.

Everything here follows bitrix24-api.md; where that page says GUESS, the sandbox picks the
documented guess. All state is guarded by one re-entrant lock, so the HTTP server's threads
and test code may use a portal at the same time.

``Portal`` is composed of one part per thing it owns: users and webhooks (users.py), leads
(leads.py), user fields and files (filefields.py), timeline comments (comments.py), list
queries (filters.py), the bucket and operating time (limits.py), injected faults (faults.py),
the request log and counters (control.py). The method families register themselves in the
method table (registry.py) when imported; the names once defined here are re-exported.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bridge.sandbox import access as _access
from bridge.sandbox import batch as _batch_methods  # noqa: F401  (registers batch)
from bridge.sandbox import disk as _disk_methods  # noqa: F401  (registers the disk methods)
from bridge.sandbox.answers import ApiError, ListResult, crm_error, envelope, php_empty_map
from bridge.sandbox.batch import BATCH_MAX
from bridge.sandbox.comments import CommentsMixin
from bridge.sandbox.control import ControlMixin
from bridge.sandbox.faults import FAULTS, FaultsMixin
from bridge.sandbox.filefields import (
    GENERATED,
    FileFieldsMixin,
    UserField,
    generated_field_code,
)
from bridge.sandbox.filters import PAGE, QueryMixin
from bridge.sandbox.leads import (
    LEAD_FIELDS,
    MULTIFIELDS,
    NUMERIC,
    SOURCES,
    STAGES,
    VALUE_MAX,
    LeadsMixin,
)
from bridge.sandbox.limits import Bucket, LimitsMixin
from bridge.sandbox.registry import METHODS, Ctx, Handler, method
from bridge.sandbox.users import User, UsersMixin, Webhook
from bridge.sandbox.values import TZ
from bridge.sandbox.wire import parse_form


@dataclass(frozen=True, slots=True)
class _Defaults:
    """The constructor's settings, which ``reset`` returns to."""

    user_id: int
    code: str
    scopes: frozenset[str]
    file_field: str | None
    file_field_type: str
    file_field_multiple: bool
    assigned_check: str
    operating_limit: float | None


class Portal(UsersMixin, LeadsMixin, FileFieldsMixin, CommentsMixin, QueryMixin, LimitsMixin,
             FaultsMixin, ControlMixin):
    """One sandbox portal: users, webhooks, leads, files, comments, limits, faults, stats."""

    def __init__(
        self,
        *,
        user_id: int = 1,
        code: str = "XXXXXXXXXXXXXXXX",
        scopes: tuple[str, ...] | set[str] = ("crm", "user", "disk"),
        rate: float = 2.0,
        burst: int = 50,
        file_field: str | None = GENERATED,
        file_field_type: str = "file",
        file_field_multiple: bool = True,
        assigned_check: str = "any",
        operating_limit: float | None = None,
        host: str = "sandbox.bitrix24.test",
    ) -> None:
        if file_field == GENERATED:
            file_field = generated_field_code()
        self.file_field_code = file_field  # the default lead File field's code (None: none)
        self.lock = threading.RLock()
        self.host = host
        self.rate = rate
        self.burst = burst
        self._defaults = _Defaults(user_id=user_id, code=code, scopes=frozenset(scopes),
                                   file_field=file_field, file_field_type=file_field_type,
                                   file_field_multiple=file_field_multiple,
                                   assigned_check=assigned_check,
                                   operating_limit=operating_limit)
        self.reset()

    # ----------------------------------------------------------------- state
    def reset(self) -> None:
        """Back to a fresh portal (keeps the constructor's settings)."""
        d = self._defaults
        with self.lock:
            self._reset_users(d.user_id, d.code, set(d.scopes))
            self.userfields: dict[str, UserField] = {}
            if d.file_field:
                self.set_file_field(d.file_field, type=d.file_field_type,
                                    multiple=d.file_field_multiple)
            self._reset_leads()
            self.files: dict[int, tuple[str, bytes]] = {}
            self._reset_comments()
            self._ids: Counter[str] = Counter()
            self.assigned_check = d.assigned_check  # "any" | "reject_unknown"
            self.renamed_to: str | None = None
            self.deleted = False
            self.overloaded = False  # REST blocked by support: 503 OVERLOAD_LIMIT
            self.crm_access = True
            self.crm_mode = 1  # crm.settings.mode.get: 1 classic, 2 simple (access.py)
            self.rest_available = True  # False: not a commercial plan (access.py)
            # filter keys this portal drops silently although they are lead fields
            self.unfilterable: set[str] = set()
            # filter operators this portal refuses with a 400 (an older or simpler portal)
            self.rejected_operators: set[str] = set()
            self._reset_limits(d.operating_limit)
            # request body limit in bytes: the cloud's 2 GB POST limit (how-to-upload-files.md)
            self.max_body: int | None = 2 * 1024**3
            self._reset_observing()
            self.faults = {}
            self.extra: dict[str, Any] = {}  # state of the method modules (entities.py)

    def _next_id(self, kind: str, start: int = 1) -> int:
        if not self._ids[kind]:
            self._ids[kind] = start - 1
        self._ids[kind] += 1
        return self._ids[kind]

    # --------------------------------------------------------------- execution
    def process(self, user_id: int, code: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one REST call after the URL was parsed; returns the JSON envelope.

        Order: portal deleted -> rate limit -> credentials -> scope -> operating-time limit
        -> the method. Raises ApiError for error answers.
        """
        start = time.time()
        with self.lock:
            if self.deleted:
                raise ApiError(403, "PORTAL_DELETED", "Portal was deleted")
            if self.overloaded:
                raise ApiError(503, "OVERLOAD_LIMIT", "REST API is blocked due to overload")
            _access.check_plan(self)
            self._admit()
            hook = self._caller(user_id, code)
            ctx = Ctx(user_id, hook)
            scope, handler = METHODS[name]
            if not self._scope_ok(hook, scope):
                raise ApiError(401, "insufficient_scope", "The request requires higher "
                               "privileges than provided by the webhook token")
            self._check_operating(hook, name)
            t0 = time.monotonic()
            try:
                result = self.run(name, handler, params, ctx)
            finally:
                self._charge(hook, name, time.monotonic() - t0)
            return envelope(result, self._time(start, hook, name))

    def run(self, name: str, handler: Handler, params: dict[str, Any], ctx: Ctx) -> Any:
        self.method_calls[name] += 1
        if (name.startswith("crm.") and not self.crm_access
                and name not in ("crm.lead.fields", "crm.settings.mode.get")):
            raise crm_error("Access denied.")
        return handler(self, params, ctx)


__all__ = ["BATCH_MAX", "FAULTS", "GENERATED", "LEAD_FIELDS", "METHODS", "MULTIFIELDS",
           "NUMERIC", "PAGE", "SOURCES", "STAGES", "TZ", "VALUE_MAX", "ApiError", "Bucket",
           "Ctx", "Handler", "ListResult", "Portal", "User", "UserField", "Webhook", "crm_error",
           "generated_field_code", "method", "parse_form", "php_empty_map"]
