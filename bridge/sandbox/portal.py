"""The state of one sandbox portal and the REST methods that act on it.

Everything here follows bitrix24-api.md; where that page says GUESS, the sandbox picks the
documented guess. All state is guarded by one re-entrant lock, so the HTTP server's threads
and test code may use a portal at the same time.
"""

from __future__ import annotations

import hashlib
import math
import operator
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from bridge.sandbox.phpquery import lenient_b64decode, listify, parse_str

PAGE = 50
_COMPARE = {"=": operator.eq, "@": operator.eq, ">": operator.gt, ">=": operator.ge,
            "<": operator.lt, "<=": operator.le}
BATCH_MAX = 50
TZ = timezone(timedelta(hours=3))
MULTIFIELDS = ("PHONE", "EMAIL", "WEB", "IM")
VALUE_MAX = 250
_EMAIL_RE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)

# name -> (type, read-only)
LEAD_FIELDS: dict[str, tuple[str, bool]] = {
    "ID": ("integer", True),
    "TITLE": ("string", False),
    "HONORIFIC": ("crm_status", False),
    "NAME": ("string", False),
    "SECOND_NAME": ("string", False),
    "LAST_NAME": ("string", False),
    "BIRTHDATE": ("date", False),
    "COMPANY_TITLE": ("string", False),
    "COMPANY_ID": ("crm_company", False),
    "CONTACT_ID": ("crm_contact", False),
    "IS_RETURN_CUSTOMER": ("char", True),
    "SOURCE_ID": ("crm_status", False),
    "SOURCE_DESCRIPTION": ("string", False),
    "STATUS_ID": ("crm_status", False),
    "STATUS_DESCRIPTION": ("string", False),
    "STATUS_SEMANTIC_ID": ("string", True),
    "POST": ("string", False),
    "ADDRESS": ("string", False),
    "ADDRESS_CITY": ("string", False),
    "ADDRESS_COUNTRY": ("string", False),
    "CURRENCY_ID": ("crm_currency", False),
    "OPPORTUNITY": ("double", False),
    "IS_MANUAL_OPPORTUNITY": ("char", False),
    "OPENED": ("char", False),
    "COMMENTS": ("string", False),
    "HAS_PHONE": ("char", True),
    "HAS_EMAIL": ("char", True),
    "HAS_IMOL": ("char", True),
    "ASSIGNED_BY_ID": ("user", False),
    "CREATED_BY_ID": ("user", True),
    "MODIFY_BY_ID": ("user", True),
    "DATE_CREATE": ("datetime", True),
    "DATE_MODIFY": ("datetime", True),
    "DATE_CLOSED": ("datetime", True),
    "ORIGINATOR_ID": ("string", False),
    "ORIGIN_ID": ("string", False),
    "UTM_SOURCE": ("string", False),
    "UTM_MEDIUM": ("string", False),
    "UTM_CAMPAIGN": ("string", False),
    "UTM_CONTENT": ("string", False),
    "UTM_TERM": ("string", False),
    "PHONE": ("crm_multifield", False),
    "EMAIL": ("crm_multifield", False),
    "WEB": ("crm_multifield", False),
    "IM": ("crm_multifield", False),
}
NUMERIC = {"ID", "COMPANY_ID", "CONTACT_ID", "ASSIGNED_BY_ID", "CREATED_BY_ID", "MODIFY_BY_ID",
           "OPPORTUNITY"}
SOURCES = ("CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER", "RECOMMENDATION", "TRADE_SHOW",
           "WEBFORM", "CALLBACK", "RC_GENERATOR", "STORE", "OTHER")
STAGES = ("NEW", "IN_PROCESS", "PROCESSED", "JUNK", "CONVERTED")


class ApiError(Exception):
    """A REST error answer: HTTP status, ``error`` code and ``error_description``."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(f"{status} {code}: {description}")
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


def crm_error(description: str) -> ApiError:
    """A CRM legacy error: HTTP 400 with an empty ``error`` code."""
    return ApiError(400, "", description)


@dataclass
class ListResult:
    """What a list method returns; the envelope adds ``total`` and ``next``."""

    items: list[Any]
    total: int
    next: int | None = None


@dataclass
class User:
    id: int
    name: str = "Admin"
    last_name: str = "Sandbox"
    active: bool = True
    email: str = ""
    admin: bool = False  # user.admin; the portal's first user is its administrator
    lead_read: str = "all"  # the CRM role's lead read permission: "all" | "own" | "none"


@dataclass
class Webhook:
    user_id: int
    code: str
    scopes: set[str]
    active: bool = True  # False: deleted, blocked or expired


@dataclass
class UserField:
    name: str
    type: str = "file"
    multiple: bool = True
    id: int = 0
    label: str = ""
    extensions: tuple[str, ...] = ()  # SETTINGS.EXTENSIONS; empty = any
    max_size: int = 0  # SETTINGS.MAX_ALLOWED_SIZE in bytes; 0 = no limit


# A lead File field made in the UI gets a generated code (docs/bitrix24.md "File fields");
# the sandbox's default field has one too, so no test can depend on a guessed name.
GENERATED = "generated"


def generated_field_code() -> str:
    return f"UF_CRM_{1700000000 + secrets.randbelow(10**8)}"


@dataclass
class Bucket:
    """The portal's leaky bucket (bitrix24-api.md §4.1)."""

    rate: float
    burst: int
    level: float = 0.0
    stamp: float = field(default_factory=time.monotonic)
    max_level: float = 0.0
    rejected: int = 0

    def admit(self, now: float) -> bool:
        self.level = max(0.0, self.level - (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level + 1 > self.burst + 1e-9:  # tolerance for float noise only
            self.rejected += 1
            return False
        self.level += 1
        self.max_level = max(self.max_level, self.level)
        return True


@dataclass
class Ctx:
    """Who is calling: the webhook's user."""

    user_id: int
    webhook: Webhook


Handler = Callable[["Portal", dict[str, Any], Ctx], Any]
METHODS: dict[str, tuple[str, Handler]] = {}


def method(name: str, scope: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = (scope, fn)
        return fn

    return register


def _now_iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts if ts is not None else time.time(), TZ).isoformat(
        timespec="seconds"
    )


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _scalar(value: Any) -> str | None:
    """How PHP would store a scalar in a string column."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return "Array"
    return str(value)


def _items(value: Any) -> list[Any] | None:
    """The members of a PHP array (list or map); None for a scalar."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return None


def php_empty_map(d: dict[str, Any]) -> Any:
    """PHP serialisation: an empty array is ``[]``; keys 0..n-1 in order make a list."""
    if not d:
        return []
    return listify(d) if all(isinstance(k, str) for k in d) else d


class Portal:
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
        self._defaults = dict(user_id=user_id, code=code, scopes=set(scopes),
                              file_field=file_field, file_field_type=file_field_type,
                              file_field_multiple=file_field_multiple,
                              assigned_check=assigned_check, operating_limit=operating_limit)
        self.reset()

    # ----------------------------------------------------------------- state
    def reset(self) -> None:
        """Back to a fresh portal (keeps the constructor's settings)."""
        d = self._defaults
        with self.lock:
            self.users: dict[int, User] = {d["user_id"]: User(d["user_id"], admin=True)}
            self.webhooks: dict[tuple[int, str], Webhook] = {}
            self.add_webhook(d["user_id"], d["code"], d["scopes"])
            self.userfields: dict[str, UserField] = {}
            if d["file_field"]:
                self.set_file_field(d["file_field"], type=d["file_field_type"],
                                    multiple=d["file_field_multiple"])
            self.statuses: dict[str, list[dict[str, Any]]] = {
                "SOURCE": [self._status("SOURCE", s, i) for i, s in enumerate(SOURCES)],
                "STATUS": [self._status("STATUS", s, i + 100) for i, s in enumerate(STAGES)],
            }
            self.leads: dict[int, dict[str, Any]] = {}
            self.files: dict[int, tuple[str, bytes]] = {}
            self.comments: dict[int, dict[str, Any]] = {}
            self._ids = Counter()
            self.assigned_check = d["assigned_check"]  # "any" | "reject_unknown"
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
            self.operating_limit: float | None = d["operating_limit"]
            self.operating_window = 600.0  # ten one-minute baskets (limits.md)
            self.operating_cost: float | None = None  # charge this per call instead of real time
            self.comment_denied: set[int] = set()  # leads whose timeline refuses comments
            # request body limit in bytes: the cloud's 2 GB POST limit (how-to-upload-files.md)
            self.max_body: int | None = 2 * 1024**3
            self.operating: dict[tuple[int, str], deque[tuple[float, float]]] = {}
            self.bucket = Bucket(self.rate, self.burst)
            self.requests: list[dict[str, Any]] = []
            self.request_counts: Counter[str] = Counter()
            self.method_calls: Counter[str] = Counter()
            self.status_counts: Counter[int] = Counter()
            self.faults: dict[str, deque[dict[str, Any]]] = {}
            self.extra: dict[str, Any] = {}  # state of the method modules (entities.py)

    def _next_id(self, kind: str, start: int = 1) -> int:
        if not self._ids[kind]:
            self._ids[kind] = start - 1
        self._ids[kind] += 1
        return self._ids[kind]

    @staticmethod
    def _status(entity: str, status_id: str, i: int) -> dict[str, Any]:
        name = status_id.replace("_", " ").title()
        return {"ID": str(i + 1), "ENTITY_ID": entity, "STATUS_ID": status_id, "NAME": name,
                "NAME_INIT": name, "SORT": str((i + 1) * 10), "SYSTEM": "Y", "CATEGORY_ID": None,
                "COLOR": None, "SEMANTICS": None, "EXTRA": []}

    def add_user(self, user_id: int, *, active: bool = True, name: str = "User",
                 admin: bool = False, lead_read: str = "all") -> User:
        with self.lock:
            user = User(user_id, name=name, active=active, admin=admin, lead_read=lead_read)
            self.users[user_id] = user
            return user

    def add_webhook(self, user_id: int, code: str, scopes: set[str] | tuple[str, ...]) -> Webhook:
        with self.lock:
            hook = Webhook(user_id, code, set(scopes))
            self.webhooks[(user_id, code)] = hook
            return hook

    def set_scopes(self, scopes: set[str] | tuple[str, ...]) -> None:
        """Set the scopes of every webhook."""
        with self.lock:
            for hook in self.webhooks.values():
                hook.scopes = set(scopes)

    def block_webhooks(self, blocked: bool = True) -> None:
        """Expire/block every webhook: calls then fail with INVALID_CREDENTIALS."""
        with self.lock:
            for hook in self.webhooks.values():
                hook.active = not blocked

    def set_file_field(self, name: str, *, type: str = "file", multiple: bool = True,
                       extensions: tuple[str, ...] | list[str] = (), max_size: int = 0,
                       label: str = "Файлы") -> None:
        with self.lock:
            self.userfields[name] = UserField(
                name, type, multiple, id=100 + len(self.userfields), label=label,
                extensions=tuple(e.lower() for e in extensions), max_size=int(max_size))

    def remove_userfield(self, name: str) -> None:
        with self.lock:
            self.userfields.pop(name, None)

    def set_rate(self, rate: float, burst: int) -> None:
        with self.lock:
            self.rate, self.burst = rate, burst
            self.bucket = Bucket(rate, burst)

    # ------------------------------------------------------------- test helpers
    def list_leads(self) -> list[dict[str, Any]]:
        """Every lead as stored (a copy), lowest id first."""
        with self.lock:
            return [self._externalize(lead, {"*", "UF_*", *MULTIFIELDS})
                    for _, lead in sorted(self.leads.items())]

    def lead(self, lead_id: int) -> dict[str, Any]:
        with self.lock:
            return self._externalize(self.leads[lead_id], {"*", "UF_*", *MULTIFIELDS})

    def lead_files(self, lead_id: int, field_name: str | None = None) -> list[tuple[str, bytes]]:
        """The files stored in the lead's file fields (name, exact bytes)."""
        with self.lock:
            lead = self.leads[lead_id]
            out: list[tuple[str, bytes]] = []
            for name, uf in self.userfields.items():
                if uf.type != "file" or (field_name and name != field_name):
                    continue
                out.extend(self.files[fid] for fid in lead.get(name) or [])
            return out

    def displayed_comments(self, lead_id: int) -> tuple[str, list[str]]:
        """What the lead card shows of COMMENTS on a current portal (the core's normalising on
        save, then BB code rendering): the text a person reads, and the live links/images."""
        from bridge.sandbox.render import displayed, normalize_comment

        with self.lock:
            return displayed(normalize_comment(str(self.leads[lead_id].get("COMMENTS") or "")))

    def comment_files(self, comment_id: int) -> list[tuple[str, bytes]]:
        with self.lock:
            return [self.files[fid] for fid in self.comments[comment_id]["FILES"]]

    @property
    def lead_add_calls(self) -> int:
        """How many times crm.lead.add ran (directly or inside batch)."""
        return self.method_calls["crm.lead.add"]

    @property
    def max_bucket_level(self) -> float:
        return self.bucket.max_level

    @property
    def count_503(self) -> int:
        return self.status_counts[503]

    @property
    def rate_limited(self) -> int:
        """Requests refused by the leaky bucket."""
        return self.bucket.rejected

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": len(self.requests),
                "by_method": dict(self.request_counts),
                "method_calls": dict(self.method_calls),
                "statuses": {str(k): v for k, v in self.status_counts.items()},
                "max_bucket_level": self.bucket.max_level,
                "rate_limited": self.bucket.rejected,
                "count_503": self.count_503,
                "leads": len(self.leads),
                "lead_add_calls": self.lead_add_calls,
            }

    # ------------------------------------------------------------------ faults
    def inject(self, method_name: str, fault: str, times: int = 1, **opts: Any) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULTS))}")
        with self.lock:
            q = self.faults.setdefault(method_name.lower(), deque())
            for _ in range(times):
                q.append({"fault": fault, **opts})

    def take_fault(self, method_name: str) -> dict[str, Any] | None:
        with self.lock:
            q = self.faults.get(method_name)
            return q.popleft() if q else None

    def record(self, method_name: str, status: int, path: str, fault: str | None) -> None:
        with self.lock:
            self.requests.append({"method": method_name, "status": status, "time": time.time(),
                                  "path": path, "fault": fault})
            self.request_counts[method_name] += 1
            self.status_counts[status] += 1

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
            if not self.bucket.admit(time.monotonic()):
                raise ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
            hook = self.webhooks.get((user_id, code))
            user = self.users.get(user_id)
            if hook is None or not hook.active or user is None or not user.active:
                raise ApiError(401, "INVALID_CREDENTIALS", "Invalid request credentials")
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
            envelope: dict[str, Any] = {}
            if isinstance(result, ListResult):
                envelope["result"] = result.items
                if result.next is not None:
                    envelope["next"] = result.next
                envelope["total"] = result.total
            else:
                envelope["result"] = result
            envelope["time"] = self._time(start, hook, name)
            return envelope

    def run(self, name: str, handler: Handler, params: dict[str, Any], ctx: Ctx) -> Any:
        self.method_calls[name] += 1
        if (name.startswith("crm.") and not self.crm_access
                and name not in ("crm.lead.fields", "crm.settings.mode.get")):
            raise crm_error("Access denied.")
        return handler(self, params, ctx)

    @staticmethod
    def _scope_ok(hook: Webhook, scope: str) -> bool:
        if scope == "basic" or "full" in hook.scopes:
            return True
        if scope == "user":
            return bool(hook.scopes & {"user", "user_basic", "user_brief"})
        return scope in hook.scopes

    def _window(self, hook: Webhook, name: str) -> deque[tuple[float, float]]:
        q = self.operating.setdefault((hook.user_id, name), deque())
        now = time.time()
        while q and q[0][0] < now - self.operating_window:
            q.popleft()
        return q

    def _check_operating(self, hook: Webhook, name: str) -> None:
        if self.operating_limit is None or name == "batch":
            return
        if sum(d for _, d in self._window(hook, name)) > self.operating_limit:
            raise ApiError(429, "OPERATION_TIME_LIMIT",
                           "Method is blocked due to operation time limit.")

    def _charge(self, hook: Webhook, name: str, seconds: float) -> None:
        if name != "batch":
            cost = self.operating_cost if self.operating_cost is not None else seconds
            self._window(hook, name).append((time.time(), cost))

    def _time(self, start: float, hook: Webhook | None, name: str) -> dict[str, Any]:
        finish = time.time()
        t: dict[str, Any] = {
            "start": start, "finish": finish, "duration": finish - start,
            "processing": finish - start,
            "date_start": _now_iso(start), "date_finish": _now_iso(finish),
        }
        if hook is not None:
            q = self._window(hook, name)
            # an integer unix time, as limits.md shows it (rounded up: never too early)
            t["operating_reset_at"] = math.ceil((q[0][0] if q else finish)
                                                + self.operating_window)
            t["operating"] = sum(d for _, d in q)
        return t

    # --------------------------------------------------------------- leads
    def _check_fields_param(self, params: dict[str, Any], *, required: bool = False) -> dict:
        fields = params.get("fields", params.get("FIELDS"))
        if fields is None:
            if required:
                raise crm_error("Parameter 'fields' must be array.")
            return {}
        if fields == []:
            return {}
        if not isinstance(fields, dict):
            raise crm_error("Parameter 'fields' must be array.")
        return fields

    def _save_file(self, name: str | None, content: Any) -> int | None:
        if content in (None, "", False, "false"):
            return None
        data = lenient_b64decode(str(content))
        if not data:
            return None
        if not name:
            name = hashlib.md5(data).hexdigest()
        fid = self._next_id("file", 5001)
        self.files[fid] = (str(name), data)
        return fid

    def _file_item(self, item: Any) -> tuple[str, Any]:
        """Classify one file-field item: ("new", fid) / ("keep", id) / ("remove", id) / skip."""
        if isinstance(item, dict):
            if "fileData" in item:
                fd = item["fileData"]
                parts = _items(fd)
                if parts is None:
                    name, content = None, fd
                elif len(parts) >= 2:
                    name, content = parts[0], parts[1]
                elif len(parts) == 1:
                    name, content = None, parts[0]
                else:
                    return ("skip", None)
                fid = self._save_file(name, content)
                return ("new", fid) if fid else ("skip", None)
            fid = _as_int(item.get("id"))
            if fid is not None:
                if str(item.get("remove", "")).upper() == "Y":
                    return ("remove", fid)
                return ("keep", fid)
        return ("skip", None)

    def _internalize(self, fields: dict[str, Any], lead: dict[str, Any], ctx: Ctx,
                     update: bool) -> None:
        """Apply ``fields`` to ``lead``: unknown keys dropped, validation as the portal does."""
        errors: list[str] = []
        staged: dict[str, Any] = {}
        for key, value in fields.items():
            key = str(key).upper()
            if key in MULTIFIELDS:
                items = _items(value)
                if items is None:
                    continue  # a plain string is silently ignored
                current = list(lead.get(key, [])) if update else []
                for item in items:
                    if not isinstance(item, dict):
                        continue
                    val = _scalar(item.get("VALUE")) or ""
                    item_id = _as_int(item.get("ID"))
                    if item_id is not None:
                        current = [m for m in current if int(m["ID"]) != item_id]
                        if not val or str(item.get("DELETE", "")).upper() == "Y":
                            continue
                    elif not val:
                        continue
                    if len(val) > VALUE_MAX:
                        errors.append(f"{key}: the value is too long (max. {VALUE_MAX} "
                                      "characters).")
                        continue
                    if key == "EMAIL" and not _EMAIL_RE.match(val):
                        errors.append(f"Invalid E-mail address: {val}")
                        continue
                    vt = _scalar(item.get("VALUE_TYPE")) or ("OTHER" if key == "IM" else "WORK")
                    current.append({"ID": str(item_id or self._next_id("multi", 1001)),
                                    "VALUE_TYPE": vt, "VALUE": val, "TYPE_ID": key})
                staged[key] = current
            elif key in self.userfields:
                uf = self.userfields[key]
                if uf.type == "file":
                    items = _items(value)
                    if uf.multiple:
                        if isinstance(value, dict) and ("fileData" in value or "id" in value):
                            items = [value]
                        if items is None:
                            continue
                        kept = list(lead.get(key) or []) if update else []
                        new_ids: list[int] = []
                        keep_ids: list[int] = []
                        removed: set[int] = set()
                        for item in items:
                            kind, fid = self._file_item(item)
                            if kind == "new":
                                new_ids.append(fid)
                            elif kind == "keep" and fid in kept:
                                keep_ids.append(fid)
                            elif kind == "remove":
                                removed.add(fid)
                        errors += self._field_refusals(uf, new_ids)
                        # a multiple field is set by the request as a whole
                        staged[key] = [f for f in keep_ids if f not in removed] + new_ids
                    else:
                        if not isinstance(value, dict):
                            continue  # a list sent to a single field is ignored
                        kind, fid = self._file_item(value)
                        if kind == "new":
                            errors += self._field_refusals(uf, [fid])
                            staged[key] = [fid]
                        elif kind == "remove":
                            staged[key] = []
                else:
                    if uf.multiple:
                        items = _items(value)
                        staged[key] = [_scalar(v) for v in items] if items is not None else [
                            _scalar(value)]
                    else:
                        staged[key] = _scalar(value)
            elif key in LEAD_FIELDS and not LEAD_FIELDS[key][1]:
                if isinstance(value, (dict, list)):
                    continue
                staged[key] = _scalar(value)
            # anything else: dropped silently
        if errors:
            raise crm_error("<br />".join(errors))
        if "ASSIGNED_BY_ID" in staged:
            aid = _as_int(staged["ASSIGNED_BY_ID"])
            if aid is None or aid <= 0:
                if update:
                    del staged["ASSIGNED_BY_ID"]
                else:
                    staged["ASSIGNED_BY_ID"] = str(ctx.user_id)
            else:
                if self.assigned_check == "reject_unknown":
                    user = self.users.get(aid)
                    if user is None or not user.active:
                        raise crm_error(f"Responsible user with ID {aid} is not found or "
                                        "not active.")
                staged["ASSIGNED_BY_ID"] = str(aid)
        lead.update(staged)

    def _field_refusals(self, uf: UserField, file_ids: list[int]) -> list[str]:
        """The field's own SETTINGS (EXTENSIONS, MAX_ALLOWED_SIZE) refuse the whole save.
        The texts are a GUESS (docs silent); the core's file type checks them on save."""
        out: list[str] = []
        for fid in file_ids:
            name, data = self.files[fid]
            ext = name.rpartition(".")[2].lower() if "." in name else ""
            if uf.extensions and ext not in uf.extensions:
                out.append(f"{uf.label or uf.name}: file {name} has an extension that is not "
                           "allowed.")
            elif uf.max_size and len(data) > uf.max_size:
                out.append(f"{uf.label or uf.name}: file {name} is larger than "
                           f"{uf.max_size} bytes.")
        return out

    def _lead_id(self, params: dict[str, Any]) -> int:
        raw = params.get("id", params.get("ID"))
        lead_id = _as_int(raw)
        if lead_id is None or lead_id <= 0:
            raise crm_error("ID is not defined or invalid.")
        return lead_id

    def _externalize(self, lead: dict[str, Any], select: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        want_all = not select or "*" in select
        for name, (ftype, _) in LEAD_FIELDS.items():
            if ftype == "crm_multifield":
                if name in select:
                    out[name] = [dict(m) for m in lead.get(name, [])]
                continue
            if want_all or name in select or name == "ID":
                out[name] = lead.get(name)
        for name, uf in self.userfields.items():
            if not ("UF_*" in select or name in select):
                continue
            value = lead.get(name)
            if uf.type == "file":
                lid = lead["ID"]
                objs = [{"id": fid,
                         "showUrl": f"/bitrix/components/bitrix/crm.lead.show/show_file.php?"
                                    f"ownerId={lid}&fieldName={name}&dynamic=Y&fileId={fid}",
                         "downloadUrl": f"/bitrix/components/bitrix/crm.lead.show/show_file.php"
                                        f"?auth=&ownerId={lid}&fieldName={name}&dynamic=Y"
                                        f"&fileId={fid}"} for fid in value or []]
                out[name] = objs if uf.multiple else (objs[0] if objs else None)
            elif uf.multiple:
                out[name] = value or False
            else:
                out[name] = value
        return out

    # ------------------------------------------------------------- filters
    _OPS = ("!=%", "!%=", "!@", "!=", "!%", "=%", "%=", ">=", "<=", "=", "!", ">", "<", "@", "%")

    def _parse_filter(self, flt: Any, known: Callable[[str], bool]) -> list[tuple[str, str, Any]]:
        out: list[tuple[str, str, Any]] = []
        if not isinstance(flt, dict):
            return out
        for key, value in flt.items():
            key = str(key).strip()
            op = ""
            for candidate in self._OPS:
                if key.startswith(candidate):
                    op = candidate
                    break
            name = key[len(op):].upper()
            if op and op in self.rejected_operators:
                raise crm_error(f"Filter operator '{op}' is not supported.")
            if not known(name):
                continue  # unknown filter keys are dropped silently
            out.append((op or "=", name, value))
        return out

    @staticmethod
    def _cmp_one(op: str, actual: Any, expected: Any, numeric: bool) -> bool:
        """Compare one stored value with one filter value (``op`` without negation)."""
        a = "" if actual is None else str(actual)
        e = _scalar(expected) or ""
        if op == "%":
            return e.casefold() in a.casefold()
        if op in ("=%", "%="):
            pattern = ".*".join(re.escape(part) for part in e.split("%"))
            return re.fullmatch(pattern, a, re.IGNORECASE | re.DOTALL) is not None
        left: float | str
        right: float | str
        if numeric:
            try:
                left, right = float(a), float(e)
            except ValueError:
                return False
        else:
            left, right = a.casefold(), e.casefold()  # case-insensitive collation (GUESS)
        return _COMPARE[op](left, right)

    def _match(self, record: dict[str, Any], conds: list[tuple[str, str, Any]],
               value_of: Callable[[dict[str, Any], str], list[Any]], numeric: set[str]) -> bool:
        for op, name, expected in conds:
            actuals = value_of(record, name)
            expected_list = _items(expected)
            if expected_list is None:
                expected_list = [expected]
            negate = op.startswith("!")
            base_op = {"!": "=", "!@": "@", "!=": "=", "!%": "%", "!=%": "=%", "!%=": "%="}.get(
                op, op)
            hit = any(self._cmp_one(base_op, a, e, name in numeric)
                      for a in actuals for e in expected_list)
            if hit == negate:
                return False
        return True

    def _lead_values(self, lead: dict[str, Any], name: str) -> list[Any]:
        if name in MULTIFIELDS:
            return [m["VALUE"] for m in lead.get(name, [])] or [None]
        value = lead.get(name)
        if isinstance(value, list):
            return value or [None]
        return [value]

    def _known_lead_field(self, name: str) -> bool:
        if name in self.unfilterable:
            return False
        return name in LEAD_FIELDS or name in self.userfields

    @staticmethod
    def _page(rows: list[Any], start_raw: Any) -> ListResult:
        start = _as_int(start_raw)
        if start is None:
            start = 0
        if start == -1:
            return ListResult(rows[:PAGE], 0)
        total = len(rows)
        page = max(start, 0) // PAGE
        last_page = max(total - 1, 0) // PAGE
        page = min(page, last_page)  # reading past the end gives the last page (GUESS)
        offset = page * PAGE
        nxt = offset + PAGE if offset + PAGE < total else None
        return ListResult(rows[offset : offset + PAGE], total, nxt)

    @staticmethod
    def _sort(rows: list[dict[str, Any]], order: Any, numeric: set[str]) -> list[dict[str, Any]]:
        if not isinstance(order, dict) or not order:
            order = {"ID": "ASC"}
        for key, direction in reversed(list(order.items())):
            key = str(key).upper()

            def sort_key(r: dict[str, Any], key: str = key) -> tuple[int, Any]:
                v = r.get(key)
                if isinstance(v, list):
                    v = v[0]["VALUE"] if v and isinstance(v[0], dict) else (v[0] if v else None)
                if v is None:
                    return (0, 0)
                if key in numeric:
                    n = _as_int(v)
                    return (1, n if n is not None else 0)
                return (1, str(v).casefold())

            rows = sorted(rows, key=sort_key, reverse=str(direction).upper() == "DESC")
        return rows

    def _select(self, params: dict[str, Any]) -> set[str]:
        sel = _items(params.get("select", params.get("SELECT")))
        return {str(s).upper() for s in sel} if sel else set()


# ======================================================================= methods
@method("profile", "basic")
def _profile(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    user = p.users[ctx.user_id]
    return {"ID": str(user.id), "ADMIN": user.admin, "NAME": user.name, "LAST_NAME": user.last_name,
            "PERSONAL_GENDER": "", "PERSONAL_PHOTO": None, "TIME_ZONE": "",
            "TIME_ZONE_OFFSET": 10800}


@method("scope", "basic")
def _scope(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    return sorted(ctx.webhook.scopes)


@method("methods", "basic")
def _methods(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    return sorted(n for n, (scope, _) in METHODS.items() if p._scope_ok(ctx.webhook, scope))


@method("method.get", "basic")
def _method_get(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    name = str(params.get("name", "")).lower()
    entry = METHODS.get(name)
    return {"isExisting": entry is not None,
            "isAvailable": entry is not None and p._scope_ok(ctx.webhook, entry[0])}


def _user_record(user: User) -> dict[str, Any]:
    return {"ID": str(user.id), "XML_ID": None, "ACTIVE": user.active, "NAME": user.name,
            "LAST_NAME": user.last_name, "SECOND_NAME": "", "EMAIL": user.email,
            "UF_DEPARTMENT": [1], "USER_TYPE": "employee"}


@method("app.info", "basic")
def _app_info(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    raise ApiError(403, "ACCESS_DENIED", "Access denied! Application context required")


@method("user.get", "user")
def _user_get(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    flt = params.get("filter", params.get("FILTER"))
    if not isinstance(flt, dict):
        reserved = {"sort", "order", "start", "select", "admin_mode", "filter"}
        flt = {k: v for k, v in params.items() if k.lower() not in reserved}
    names = {"ID", "ACTIVE", "NAME", "LAST_NAME", "EMAIL", "USER_TYPE"}
    conds = p._parse_filter(flt, lambda n: n in names)
    rows = [_user_record(u) for _, u in sorted(p.users.items())]

    def value_of(r: dict[str, Any], name: str) -> list[Any]:
        v = r.get(name)
        if name == "ACTIVE":
            v = "Y" if v else "N"
        return [v]

    conds = [(op, n, ("Y" if _truthy(v) else "N") if n == "ACTIVE" else v) for op, n, v in conds]
    rows = [r for r in rows if p._match(r, conds, value_of, {"ID"})]
    return p._page(rows, params.get("start"))


def _truthy(v: Any) -> bool:
    return v is True or str(v).strip().lower() in ("1", "true", "y", "yes")


@method("user.current", "user")
def _user_current(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    return _user_record(p.users[ctx.user_id])


@method("crm.lead.add", "crm")
def _lead_add(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    fields = p._check_fields_param(params)
    lead: dict[str, Any] = {}
    p._internalize(fields, lead, ctx, update=False)
    lead_id = p._next_id("lead", 1)
    now = _now_iso()
    lead.setdefault("ASSIGNED_BY_ID", str(ctx.user_id))
    if not lead.get("TITLE"):
        lead["TITLE"] = f"Lead #{lead_id}"
    if not lead.get("STATUS_ID"):
        lead["STATUS_ID"] = "NEW"
    lead.setdefault("OPENED", "Y")
    lead.update({"ID": str(lead_id), "CREATED_BY_ID": str(ctx.user_id),
                 "MODIFY_BY_ID": str(ctx.user_id), "DATE_CREATE": now, "DATE_MODIFY": now,
                 "HAS_PHONE": "Y" if lead.get("PHONE") else "N",
                 "HAS_EMAIL": "Y" if lead.get("EMAIL") else "N", "HAS_IMOL": "N",
                 "IS_RETURN_CUSTOMER": "N", "STATUS_SEMANTIC_ID": "P"})
    p.leads[lead_id] = lead
    _access.after_lead_add(p, lead)
    return lead_id


@method("crm.lead.get", "crm")
def _lead_get(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    lead_id = p._lead_id(params)
    lead = p.leads.get(lead_id)
    if lead is None or lead.get("_converted_to_deal"):
        raise crm_error("Not found")
    if not _access.visible(p, lead, ctx):
        raise crm_error("Access denied.")
    return p._externalize(lead, {"*", "UF_*", *MULTIFIELDS})


@method("crm.lead.update", "crm")
def _lead_update(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    lead_id = p._lead_id(params)
    lead = p.leads.get(lead_id)
    if lead is None:
        raise crm_error("Lead is not found")
    fields = p._check_fields_param(params, required=True)
    p._internalize(fields, lead, ctx, update=True)
    lead["DATE_MODIFY"] = _now_iso()
    lead["HAS_PHONE"] = "Y" if lead.get("PHONE") else "N"
    lead["HAS_EMAIL"] = "Y" if lead.get("EMAIL") else "N"
    return True


@method("crm.lead.list", "crm")
def _lead_list(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    _access.check_list_access(p, ctx)
    conds = p._parse_filter(params.get("filter", params.get("FILTER")), p._known_lead_field)
    rows = [lead for _, lead in sorted(p.leads.items())
            if p._match(lead, conds, p._lead_values, NUMERIC) and _access.visible(p, lead, ctx)]
    rows = p._sort(rows, params.get("order", params.get("ORDER")), NUMERIC)
    page = p._page(rows, params.get("start"))
    select = p._select(params)
    page.items = [p._externalize(lead, select) for lead in page.items]
    return page


@method("crm.lead.fields", "crm")
def _lead_fields(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    out: dict[str, Any] = {}
    for name, (ftype, ro) in LEAD_FIELDS.items():
        info: dict[str, Any] = {"type": ftype, "isRequired": False, "isReadOnly": ro,
                                "isImmutable": False, "isMultiple": ftype == "crm_multifield",
                                "isDynamic": False, "title": name.replace("_", " ").title()}
        if name in ("SOURCE_ID", "STATUS_ID", "HONORIFIC"):
            info["statusType"] = {"SOURCE_ID": "SOURCE", "STATUS_ID": "STATUS"}.get(
                name, "HONORIFIC")
        out[name] = info
    for name, uf in p.userfields.items():
        out[name] = {"type": uf.type, "isRequired": False, "isReadOnly": False,
                     "isImmutable": False, "isMultiple": uf.multiple, "isDynamic": True,
                     "title": name, "listLabel": uf.label, "formLabel": uf.label,
                     "filterLabel": uf.label, "settings": _uf_settings(uf)}
    return out


def _uf_settings(uf: UserField) -> dict[str, Any]:
    """A File field's SETTINGS as crm-lead-userfield-list.md shows them."""
    if uf.type != "file":
        return {}
    return {"SIZE": 20, "LIST_WIDTH": 0, "LIST_HEIGHT": 0, "MAX_SHOW_SIZE": 0,
            "MAX_ALLOWED_SIZE": uf.max_size, "EXTENSIONS": list(uf.extensions),
            "TARGET_BLANK": "Y"}


@method("crm.lead.userfield.list", "crm")
def _userfield_list(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    rows = [{"ID": str(uf.id), "ENTITY_ID": "CRM_LEAD", "FIELD_NAME": uf.name,
             "USER_TYPE_ID": uf.type, "XML_ID": None, "SORT": "100",
             "MULTIPLE": "Y" if uf.multiple else "N", "MANDATORY": "N", "SHOW_FILTER": "N",
             "SHOW_IN_LIST": "Y", "EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N",
             "SETTINGS": _uf_settings(uf) or [], "EDIT_FORM_LABEL": uf.label,
             "LIST_COLUMN_LABEL": uf.label, "LIST_FILTER_LABEL": uf.label,
             "ERROR_MESSAGE": None, "HELP_MESSAGE": None}
            for uf in p.userfields.values()]
    names = {"ID", "FIELD_NAME", "USER_TYPE_ID", "MULTIPLE", "ENTITY_ID"}
    conds = p._parse_filter(params.get("filter"), lambda n: n in names)
    return [r for r in rows if p._match(r, conds, lambda r, n: [r.get(n)], {"ID"})]


@method("crm.status.list", "crm")
def _status_list(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    rows = [dict(s) for entity in p.statuses.values() for s in entity]
    names = {"ID", "ENTITY_ID", "STATUS_ID", "NAME", "SORT", "SYSTEM"}
    conds = p._parse_filter(params.get("filter"), lambda n: n in names)
    rows = [r for r in rows if p._match(r, conds, lambda r, n: [r.get(n)], {"ID", "SORT"})]
    rows = p._sort(rows, params.get("order") or {"SORT": "ASC"}, {"ID", "SORT"})
    return p._page(rows, params.get("start"))


def _comment_record(p: Portal, c: dict[str, Any]) -> dict[str, Any]:
    files = {str(fid): {"id": fid, "name": p.files[fid][0], "size": len(p.files[fid][1]),
                        "urlDownload": f"/rest/download/?token=disk|{fid}"} for fid in c["FILES"]}
    out = {k: v for k, v in c.items() if k != "FILES"}
    out["FILES"] = files or []
    return out


@method("crm.timeline.comment.add", "crm")
def _comment_add(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    fields = params.get("fields")
    if not isinstance(fields, dict):
        raise ApiError(400, "100", "Required fields are missing: fields")
    missing = [k for k in ("ENTITY_ID", "ENTITY_TYPE", "COMMENT") if k not in fields]
    if missing:
        raise ApiError(400, "100", "Required fields are missing: " + ", ".join(missing))
    entity_type = str(fields["ENTITY_TYPE"]).lower()
    entity_id = _as_int(fields["ENTITY_ID"])
    if entity_type != "lead" or entity_id is None or entity_id not in p.leads:
        raise ApiError(400, "OWNER_NOT_FOUND", "Owner entity is not found.")
    if entity_id in p.comment_denied:  # a role that may not edit this one lead
        raise ApiError(400, "ACCESS_DENIED", "Access denied.")
    comment = _scalar(fields["COMMENT"]) or ""
    if not comment.strip():
        raise ApiError(400, "INVALID_ARG_VALUE", "Empty comment.")
    file_ids: list[int] = []
    for item in _items(fields.get("FILES")) or []:
        parts = _items(item)
        if parts and len(parts) >= 2:
            fid = p._save_file(_scalar(parts[0]), parts[1])
            if fid:
                file_ids.append(fid)
    cid = p._next_id("comment", 1)
    p.comments[cid] = {"ID": str(cid), "CREATED": _now_iso(), "ENTITY_ID": str(entity_id),
                       "ENTITY_TYPE": "lead", "AUTHOR_ID": str(ctx.user_id), "COMMENT": comment,
                       "FILES": file_ids}
    return cid


@method("crm.timeline.comment.get", "crm")
def _comment_get(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    cid = _as_int(params.get("id"))
    if cid is None or cid not in p.comments:
        raise ApiError(400, "NOT_FOUND", "Not found.")
    return _comment_record(p, p.comments[cid])


@method("crm.timeline.comment.list", "crm")
def _comment_list(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    names = {"ID", "ENTITY_ID", "ENTITY_TYPE", "AUTHOR_ID", "CREATED"}
    conds = p._parse_filter(params.get("filter"), lambda n: n in names)
    rows = [c for _, c in sorted(p.comments.items())
            if p._match(c, conds, lambda r, n: [r.get(n)], {"ID", "ENTITY_ID", "AUTHOR_ID"})]
    rows = p._sort(rows, params.get("order"), {"ID", "ENTITY_ID", "AUTHOR_ID"})
    page = p._page(rows, params.get("start"))
    select = p._select(params)
    records = [_comment_record(p, c) for c in page.items]
    if select and "*" not in select:
        records = [{k: v for k, v in r.items() if k in select or k == "ID"} for r in records]
    page.items = records
    return page


@method("crm.duplicate.findbycomm", "crm")
def _findbycomm(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    ctype = str(params.get("type", "")).upper()
    if not ctype:
        raise crm_error("Communication type is not defined.")
    if ctype not in ("EMAIL", "PHONE"):
        raise crm_error(f"Communication type '{params.get('type')}' is not supported in "
                        "current context.")
    raw = _items(params.get("values")) or []
    values: list[str] = []
    for v in raw:
        if isinstance(v, str) and v and v not in values:
            values.append(v)
    if not values:
        raise crm_error("Communication values is not defined.")
    values = values[:20]
    entity = str(params.get("entity_type", "")).upper()
    if entity == "DEAL":
        raise crm_error("Deal is not supported in current context.")

    def norm(v: str) -> str:
        return re.sub(r"\D", "", v) if ctype == "PHONE" else v.strip().casefold()

    wanted = {norm(v) for v in values}
    hits = [lid for lid, lead in sorted(p.leads.items())
            if any(norm(m["VALUE"]) in wanted for m in lead.get(ctype, []))][:20]
    if not hits or entity in ("CONTACT", "COMPANY"):
        return []  # the sandbox has no contacts or companies
    return {"LEAD": hits}


@method("disk.storage.getlist", "disk")
def _storage_list(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    row = {"ID": "1", "NAME": "Admin Sandbox", "CODE": None, "MODULE_ID": "disk",
           "ENTITY_TYPE": "user", "ENTITY_ID": str(ctx.user_id), "ROOT_OBJECT_ID": "1"}
    return ListResult([row], 1)


@method("disk.folder.uploadfile", "disk")
def _upload(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    folder = _as_int(params.get("id"))
    if folder is None:
        raise ApiError(400, "ERROR_ARGUMENT", "Invalid value of parameter {Parameter #0}")
    if folder != 1:
        raise ApiError(400, "ERROR_NOT_FOUND", f"Could not find entity with id `{folder}`")
    data = params.get("data") if isinstance(params.get("data"), dict) else {}
    name = data.get("NAME")
    if not name:
        raise ApiError(400, "DISK_BASE_SERVICE_22001", "Name is required")
    parts = _items(params.get("fileContent")) or []
    fid = p._save_file(_scalar(name), parts[1] if len(parts) >= 2 else (parts[0] if parts else
                                                                          None))
    if fid is None:
        raise ApiError(400, "ERROR_COULD_NOT_SAVE_FILE", "Could not save file")
    now = _now_iso()
    return {"ID": fid, "NAME": name, "CODE": None, "STORAGE_ID": "1", "TYPE": "file",
            "PARENT_ID": str(folder), "DELETED_TYPE": 0, "GLOBAL_CONTENT_VERSION": 1,
            "FILE_ID": fid, "SIZE": str(len(p.files[fid][1])), "CREATE_TIME": now,
            "UPDATE_TIME": now, "DELETE_TIME": None, "CREATED_BY": str(ctx.user_id),
            "UPDATED_BY": str(ctx.user_id), "DELETED_BY": None,
            "DOWNLOAD_URL": f"https://{p.host}/rest/download.json?token=disk%7C{fid}",
            "DETAIL_URL": f"https://{p.host}/company/personal/user/{ctx.user_id}/disk/file/{name}"}


# ------------------------------------------------------------------ batch
_REF = re.compile(r"\$(result|result_error|result_total|result_next|result_time)((?:\[[^\]]*\])+)")


def _resolve(ref_kind: str, path: str, state: dict[str, dict[str, Any]]) -> tuple[bool, Any]:
    keys = re.findall(r"\[([^\]]*)\]", path)
    node: Any = state[ref_kind]
    for k in keys:
        if isinstance(node, dict) and k in node:
            node = node[k]
        elif isinstance(node, list) and re.fullmatch(r"\d+", k) and int(k) < len(node):
            node = node[int(k)]
        else:
            return False, None
    return True, node


def _substitute(value: Any, state: dict[str, dict[str, Any]]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, state) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, state) for v in value]
    if not isinstance(value, str) or "$result" not in value:
        return value
    whole = _REF.fullmatch(value)
    if whole:
        ok, found = _resolve(whole.group(1), whole.group(2), state)
        return found if ok else value

    def repl(m: re.Match[str]) -> str:
        ok, found = _resolve(m.group(1), m.group(2), state)
        if not ok:
            return m.group(0)
        return _scalar(found) or ""

    return _REF.sub(repl, value)


@method("batch", "basic")
def _batch(p: Portal, params: dict[str, Any], ctx: Ctx) -> Any:
    cmd = params.get("cmd")
    if isinstance(cmd, list):
        commands = [(str(i), c) for i, c in enumerate(cmd)]
    elif isinstance(cmd, dict):
        commands = [(str(k), c) for k, c in cmd.items()]
    else:
        commands = []
    halt = _truthy(params.get("halt", 0))
    state: dict[str, dict[str, Any]] = {"result": {}, "result_error": {}, "result_total": {},
                                        "result_next": {}, "result_time": {}}
    for index, (key, command) in enumerate(commands):
        start = time.time()
        name, _, query = str(command).partition("?")
        name = name.strip().lower()
        try:
            if index >= BATCH_MAX:
                raise ApiError(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
            if name == "batch":
                raise ApiError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED",
                               "Method is not allowed for batch usage")
            if name not in METHODS:
                raise ApiError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
            scope, handler = METHODS[name]
            if not p._scope_ok(ctx.webhook, scope):
                raise ApiError(401, "insufficient_scope", "")
            p._check_operating(ctx.webhook, name)
            sub = _substitute(parse_str(query), state)
            t0 = time.monotonic()
            try:
                result = p.run(name, handler, sub, ctx)
            finally:
                p._charge(ctx.webhook, name, time.monotonic() - t0)
        except ApiError as err:
            state["result_error"][key] = err.body()
            state["result_time"][key] = p._time(start, ctx.webhook, name)
            if halt:
                break
            continue
        if isinstance(result, ListResult):
            state["result"][key] = result.items
            state["result_total"][key] = result.total
            if result.next is not None:
                state["result_next"][key] = result.next
        else:
            state["result"][key] = result
        state["result_time"][key] = p._time(start, ctx.webhook, name)
    return {k: php_empty_map(v) for k, v in state.items()}


# lost_answer: run, commit, close without an answer | reset: close before running |
# error500: JSON INTERNAL_SERVER_ERROR | html502/html504/html (status=N): an nginx page |
# limit503: QUERY_LIMIT_EXCEEDED | op429: OPERATION_TIME_LIMIT | slow (seconds=S): answer late.
# Option executed=True/False says whether error500/html* run the call first (default: no).
# drip (seconds=S), late_commit (commit_after=S, cut=hold|drop): see sandbox/slowfaults.py.
FAULTS = {"lost_answer", "reset", "error500", "html502", "html504", "html", "limit503", "op429",
          "slow", "drip", "late_commit"}


def parse_form(body: bytes) -> dict[str, Any]:
    """A form-encoded body, PHP-style."""
    return parse_str(body.decode("utf-8", "replace"))


__all__ = ["FAULTS", "GENERATED", "METHODS", "ApiError", "ListResult", "Portal", "crm_error",
           "parse_form"]

# Registers crm.settings.mode.get, user.admin, … and supplies the access rules used above.
from bridge.sandbox import access as _access  # noqa: E402  (needs the names defined above)
