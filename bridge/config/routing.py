"""``[crm]`` and ``[[routes]]`` of the config file, validated once at start-up.

Read through the loader's typed section readers, so every error is a
ConfigError naming the key (``crm.target``, ``routes[2].sender``) like the rest of the file.
Routes are numbered from 1, as a person counts the ``[[routes]]`` tables in the file.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from bridge.config.keys import SENDER_RE, STAGE_RE
from bridge.config.section import Section
from bridge.config.values import DEFAULT_TITLE
from bridge.errors import ConfigError
from bridge.routes import (
    MATCH_KEYS,
    REPEATS,
    ROUTE_KEYS,
    TARGETS,
    CrmConfig,
    FieldMap,
    Route,
    parse_field_target,
)


def _stage(s: Section, default: str) -> str:
    stage = s.text("stage_id", default).strip()
    if stage and not STAGE_RE.match(stage):
        raise s.fail("stage_id", f'expected a stage id such as "C2:NEW", got "{stage}"')
    return stage


def crm(s: Section) -> CrmConfig:
    """``[crm]``."""
    d = CrmConfig()
    return CrmConfig(
        target=s.choice("target", d.target, TARGETS),
        repeat=s.choice("repeat", d.repeat, REPEATS),
        category_id=s.integer("category_id", d.category_id, low=0),
        stage_id=_stage(s, d.stage_id),
        assign_to_contact_owner=s.boolean("assign_to_contact_owner",
                                          d.assign_to_contact_owner),
    )


def _strings(s: Section, key: str, *, address: bool = False) -> tuple[str, ...]:
    value = s.table.get(key)
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise s.fail(key, "expected a string or a non-empty array of strings")
    out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise s.fail(key, f"item {i + 1}: expected a non-empty string")
        item = " ".join(item.split()).casefold()
        if address and not SENDER_RE.match(item):
            raise s.fail(key, f'"{item}" is neither an address nor an @domain')
        out.append(item)
    return tuple(out)


def title_problem(title: str) -> str | None:
    """What is wrong with a title template (only ``{name}`` is filled in), or None.

    Shared by ``[bitrix24] title`` and a route's ``title``."""
    if not title.strip():
        return f'must not be empty; e.g. "{DEFAULT_TITLE}"'
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(title) if f is not None]
    except ValueError as exc:
        return f"{exc}; write a literal brace as {{{{ or }}}}"
    for name in names:
        if name != "name":
            return f"unknown placeholder {{{name}}}; only {{name}} is filled in"
    return None


def _title(s: Section) -> str | None:
    if "title" not in s.table:
        return None
    title = s.text("title", "")
    if (problem := title_problem(title)) is not None:
        raise s.fail("title", problem)
    return title


def _responsible(s: Section) -> tuple[int, ...]:
    value = s.table.get("responsible_user_id")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not items or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in items):
        raise s.fail("responsible_user_id",
                      "expected a positive user id, or a non-empty array of them")
    if len(set(items)) != len(items):
        raise s.fail("responsible_user_id", "a user is listed twice")
    return tuple(items)


def _fields(s: Section) -> tuple[FieldMap, ...]:
    value = s.table.get("fields")
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise s.fail("fields", 'expected a table of "form label" = "FIELD"')
    out: list[FieldMap] = []
    for label, target in value.items():
        parsed = parse_field_target(target) if isinstance(target, str) else None
        if parsed is None:
            raise s.fail(f"fields.{label}", 'expected a field such as "UF_CRM_123", '
                          '"deal.UF_CRM_5" or "contact.POST"')
        out.append(FieldMap(str(label), parsed[0], parsed[1]))
    return tuple(out)


def _source(s: Section) -> str | None:
    if "source_id" not in s.table:
        return None
    source = s.text("source_id", "").strip()
    if not source:
        raise s.fail("source_id", 'must not be empty; leave it out for [bitrix24] source_id')
    return source


def route(s: Section, number: int) -> Route:
    """One ``[[routes]]`` table (``s.name`` is ``routes[N]``)."""
    if not any(k in s.table for k in MATCH_KEYS):
        raise s.fail("sender", "a route needs at least one of " + ", ".join(MATCH_KEYS)
                      + " (the top-level settings are the default for everything else)")
    name = s.text("name", "").strip() if "name" in s.table else ""
    category = s.integer("category_id", 0, low=0) if "category_id" in s.table else None
    return Route(
        key=name or f"routes[{number}]",
        sender=_strings(s, "sender", address=True),
        subject=_strings(s, "subject"),
        to=_strings(s, "to", address=True),
        form=_strings(s, "form"),
        title=_title(s),
        source_id=_source(s),
        source_description=(s.text("source_description", "")
                            if "source_description" in s.table else None),
        target=s.choice("target", CrmConfig().target, TARGETS) if "target" in s.table else None,
        category_id=category,
        stage_id=_stage(s, "") if "stage_id" in s.table else None,
        fields=_fields(s),
        responsible=_responsible(s),
    )


def routes(raw: Any, fail: Callable[[str, str], ConfigError],
           reject_unknown: Callable[[dict[str, Any], str, tuple[str, ...]], None],
           section: Callable[[str, dict[str, Any]], Section]) -> tuple[Route, ...]:
    """Every ``[[routes]]`` table, in order; names must be unique."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise fail("routes", "expected [[routes]] tables (an array of tables)")
    out: list[Route] = []
    for i, table in enumerate(raw, start=1):
        key = f"routes[{i}]"
        if not isinstance(table, dict):
            raise fail(key, "expected a table")
        reject_unknown(table, key, ROUTE_KEYS)
        r = route(section(key, table), i)
        if any(o.key == r.key for o in out):
            raise fail(f"{key}.name", f'"{r.key}" is used by an earlier route')
        out.append(r)
    return tuple(out)
