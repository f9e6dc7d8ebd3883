"""Routing per form (``[[routes]]``): which settings shape one enquiry. Pure, but for the
round-robin, which keeps its turn in the ledger's ``meta`` table behind a small Protocol.

A route matches when every match key it sets holds (sender, subject, to, form); the first
route that matches wins; keys a route leaves out fall back to the top-level settings
(``[bitrix24]`` and ``[crm]``). With no route matching, the top-level settings apply alone.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import Protocol, TypeVar

T = TypeVar("T")

TARGETS = ("lead", "deal")
REPEATS = ("link", "new")
MATCH_KEYS = ("sender", "subject", "to", "form")
SET_KEYS = ("title", "source_id", "source_description", "target", "category_id", "stage_id",
            "fields", "responsible_user_id")
ROUTE_KEYS = ("name", *MATCH_KEYS, *SET_KEYS)
RECIPIENT_HEADERS = ("To", "Delivered-To", "X-Original-To")
# labels of the hidden/visible field that names the form (case-insensitive)
FORM_LABELS = ("form", "form name", "form_name", "formname", "форма", "название формы",
               "имя формы", "форма на сайте")
# a CRM field name: "COMPANY_TITLE", "UF_CRM_CITY" (also [parsing.fields], bridge.config)
FIELD_NAME_RE = re.compile(r"^(UF_CRM_[A-Z0-9_]+|[A-Z][A-Z0-9]*(_[A-Z0-9]+)*)$")
FIELD_ENTITIES = ("lead", "deal", "contact")


@dataclass(frozen=True, slots=True)
class CrmConfig:
    """``[crm]``: where an enquiry goes and what happens to a client the CRM knows."""

    target: str = "lead"  # "lead" | "deal"
    repeat: str = "new"  # "link" | "new" (today's behaviour)
    category_id: int = 0  # target "deal": the funnel
    stage_id: str = ""  # target "deal": "" = the funnel's first stage
    assign_to_contact_owner: bool = False  # repeat "link": the contact's manager is responsible


@dataclass(frozen=True, slots=True)
class FieldMap:
    """One extra field: a form label -> an entity's field (``deal.UF_CRM_1``, ``COMMENTS``)."""

    label: str
    entity: str  # "lead" | "deal" | "contact" ("lead" also serves "deal" when none is given)
    field: str


@dataclass(frozen=True, slots=True)
class Route:
    """One ``[[routes]]`` table; ``None`` = not set here (the default applies)."""

    key: str  # "routes[2]" (1-based) or the route's name: its ledger and log identity
    sender: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    form: tuple[str, ...] = ()
    title: str | None = None
    source_id: str | None = None
    source_description: str | None = None
    target: str | None = None
    category_id: int | None = None
    stage_id: str | None = None
    fields: tuple[FieldMap, ...] = ()
    responsible: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Envelope:
    """What routing looks at in one message."""

    sender: str = ""
    subject: str = ""
    recipients: tuple[str, ...] = ()
    form: str = ""


@dataclass(frozen=True, slots=True)
class Routed:
    """The settings for one enquiry after routing."""

    route: str | None  # the key of the route that matched; None = the defaults
    title: str
    source_id: str
    source_description: str
    target: str
    category_id: int
    stage_id: str
    responsible: tuple[int, ...]
    fields: tuple[FieldMap, ...] = field(default=())


def _pick(value: T | None, default: T) -> T:
    return default if value is None else value


# ------------------------------------------------------------------ the message's side
def recipients(msg: Message) -> tuple[str, ...]:
    """Lower-cased addresses of To, Delivered-To and X-Original-To (each may repeat)."""
    values: list[str] = []
    for header in RECIPIENT_HEADERS:
        values += [str(v) for v in msg.get_all(header, [])]
    out = [addr.strip().lower() for _, addr in email.utils.getaddresses(values) if "@" in addr]
    return tuple(dict.fromkeys(out))


def form_name(extra: Iterable[tuple[str, str]]) -> str:
    """The value of the form's name field among the form's other fields, or ""."""
    for label, value in extra:
        if " ".join(label.replace(":", " ").split()).casefold() in FORM_LABELS:
            return value.strip()
    return ""


def _address_matches(patterns: Sequence[str], addresses: Iterable[str]) -> bool:
    for addr in addresses:
        addr = addr.strip().lower()
        for p in patterns:
            if (p.startswith("@") and addr.endswith(p)) or addr == p:
                return True
    return False


def matches(route: Route, env: Envelope) -> bool:
    """True when every match key the route sets holds for ``env``."""
    if route.sender and not _address_matches(route.sender, [env.sender]):
        return False
    if route.subject and not any(s in env.subject.casefold() for s in route.subject):
        return False
    if route.to and not _address_matches(route.to, env.recipients):
        return False
    form = " ".join(env.form.split()).casefold()
    return not (route.form and form not in route.form)


def route_for(routes: Sequence[Route], env: Envelope) -> Route | None:
    """The first route that matches, or None."""
    return next((r for r in routes if matches(r, env)), None)


def resolve(routes: Sequence[Route], env: Envelope, *, title: str, source_id: str,
            source_description: str, responsible: int, crm: CrmConfig) -> Routed:
    """The settings for ``env``: the first matching route over the top-level defaults."""
    r = route_for(routes, env)
    if r is None:
        return Routed(None, title, source_id, source_description, crm.target, crm.category_id,
                      crm.stage_id, (responsible,))

    return Routed(
        r.key, _pick(r.title, title), _pick(r.source_id, source_id),
        _pick(r.source_description, source_description), _pick(r.target, crm.target),
        _pick(r.category_id, crm.category_id), _pick(r.stage_id, crm.stage_id),
        r.responsible or (responsible,), r.fields)


def mapped_fields(fmap: Sequence[FieldMap], extra: Iterable[tuple[str, str]], entity: str
                  ) -> dict[str, str]:
    """The extra fields of ``entity`` from the form's labelled values (first value wins).
    A mapping to ``lead`` also fills the deal when the deal has none of its own."""
    values: dict[str, str] = {}
    for label, value in extra:
        values.setdefault(" ".join(label.split()).casefold(), value)
    own = [m for m in fmap if m.entity == entity]
    if entity == "deal" and not own:
        own = [m for m in fmap if m.entity == "lead"]
    out: dict[str, str] = {}
    for m in own:
        found = values.get(" ".join(m.label.split()).casefold())
        if found is not None:
            out.setdefault(m.field, found)
    return out


# ------------------------------------------------------------------ round-robin
class MetaStore(Protocol):
    """The ledger's key/value table (bridge.store.Ledger has these two)."""

    def get_meta(self, key: str, default: str | None = None) -> str | None: ...
    def set_meta(self, key: str, value: str) -> None: ...


def rr_key(route: str | None, users: Sequence[int]) -> str:
    """The meta key of one route's turn; a changed list of users starts a fresh turn."""
    digest = hashlib.sha256(",".join(map(str, users)).encode()).hexdigest()[:12]
    return f"rr:{route or 'default'}:{digest}"


def next_responsible(store: MetaStore, route: str | None, users: Sequence[int],
                     is_active: Callable[[int], bool]) -> int | None:
    """The next active user in turn after the one served last; the turn is saved.
    None when every user of the list is inactive (the caller falls back)."""
    if len(users) == 1:
        return users[0] if is_active(users[0]) else None
    key = rr_key(route, users)
    raw = store.get_meta(key)
    last = int(raw) if raw is not None and raw.lstrip("-").isdigit() else -1
    for step in range(1, len(users) + 1):
        i = (last + step) % len(users)
        if is_active(users[i]):
            store.set_meta(key, str(i))
            return users[i]
    return None


def parse_field_target(raw: str) -> tuple[str, str] | None:
    """``"UF_CRM_1"`` -> ("lead", "UF_CRM_1"); ``"contact.POST"`` -> ("contact", "POST")."""
    entity, _, name = raw.strip().rpartition(".")
    entity = entity.lower() or "lead"
    if entity not in FIELD_ENTITIES or not FIELD_NAME_RE.match(name):
        return None
    return entity, name


def describe(routed: Routed) -> Mapping[str, object]:
    """What ``parse --json`` and the demo show about routing."""
    return {"route": routed.route or "default", "target": routed.target,
            "category_id": routed.category_id, "stage_id": routed.stage_id,
            "source_id": routed.source_id, "responsible": list(routed.responsible)}
