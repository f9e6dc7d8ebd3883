"""``[[mailboxes]]``: several mailboxes, and optionally several portals, in one config (SPEC §2).

Each ``[[mailboxes]]`` table takes the keys of ``[imap]`` (whose values are then its defaults)
and a ``name``; it may carry its own portal, ``[mailboxes.bitrix24]``, with the keys of
``[bitrix24]`` (whose non-secret values are then its defaults). A mailbox without a portal of
its own sends to the top-level ``[bitrix24]``.

Secrets are never inherited: a mailbox takes its password from its own ``password_file`` (or
``$CREDENTIALS_DIRECTORY/<name>-imap-password``, or an inline ``password``), and a portal of its
own its webhook URL from ``webhook_url_file`` (or ``$CREDENTIALS_DIRECTORY/<name>-webhook-url``,
or inline). Environment overrides apply to the top-level tables only, so with ``[[mailboxes]]``
``BRIDGE_IMAP_PASSWORD`` is an error (it would reach no mailbox), and so is
``BITRIX24_WEBHOOK_URL`` or ``BITRIX24_RESPONSIBLE_USER_ID`` when any mailbox has a portal of
its own: one client's enquiries must never land in another client's CRM.

A file without ``[[mailboxes]]`` is one mailbox built from ``[imap]`` and ``[bitrix24]``, exactly
as before (``Config.all_mailboxes()``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from bridge.config import connections, routing
from bridge.config.keys import (
    ENV_IMAP_PASSWORD,
    ENV_RESPONSIBLE_USER_ID,
    ENV_WEBHOOK_URL,
    IMAP_SECRET_KEYS,
    KEYS,
    MAILBOX_TABLE,
    PORTAL_SECRET_KEYS,
    PORTAL_TABLE,
    ROUTES_TABLE,
)
from bridge.config.section import Section, show
from bridge.config.values import Bitrix24Config, MailboxConfig
from bridge.errors import ConfigError
from bridge.routes import Route

if TYPE_CHECKING:
    from bridge.config.reader import Reader

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def imap_credential(name: str) -> str:
    """The systemd credential that holds mailbox ``name``'s IMAP password."""
    return f"{name}-imap-password"


def webhook_credential(name: str) -> str:
    """The systemd credential that holds the webhook URL of mailbox ``name``'s own portal."""
    return f"{name}-webhook-url"


def load_mailboxes(loader: Reader) -> tuple[MailboxConfig, ...]:
    """Build every ``[[mailboxes]]`` table; () when the file has none."""
    raw = loader.data.get(MAILBOX_TABLE)
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise loader.fail(MAILBOX_TABLE, f"expected [[mailboxes]] tables, got {show(raw)}")
    if not raw:
        raise loader.fail(MAILBOX_TABLE, "expected at least one [[mailboxes]] table")
    imap_defaults = _table(loader, "imap")
    loader.reject_unknown(imap_defaults, "imap", KEYS["imap"])
    imap_defaults = {k: v for k, v in imap_defaults.items() if k not in IMAP_SECRET_KEYS}
    portal_defaults = _table(loader, PORTAL_TABLE)
    portal_defaults = {k: v for k, v in portal_defaults.items() if k not in PORTAL_SECRET_KEYS}
    own_portals = [t for t in raw if PORTAL_TABLE in t]
    _refuse_environment(loader, bool(own_portals))
    shared: Bitrix24Config | None = None
    if len(own_portals) < len(raw):  # some mailbox sends to the top-level [bitrix24]
        shared = connections.bitrix24(loader)
    built: list[MailboxConfig] = []
    seen_names: dict[str, str] = {}
    seen_boxes: dict[tuple[str, int, str, str], str] = {}
    for number, table in enumerate(raw, start=1):
        prefix = f"{MAILBOX_TABLE}[{number}]"
        box = _mailbox(loader, prefix, table, imap_defaults, seen_names, seen_boxes)
        if PORTAL_TABLE in table:
            portal = _own_portal(loader, prefix, box.name, table[PORTAL_TABLE], portal_defaults)
            box = dataclasses.replace(box, bitrix24=portal, own_portal=True)
        else:
            assert shared is not None  # built above whenever a mailbox lacks its own portal
            box = dataclasses.replace(box, bitrix24=shared)
        built.append(box)
    return tuple(built)


def _refuse_environment(loader: Reader, own_portals: bool) -> None:
    """Environment overrides reach the top-level tables only: with [[mailboxes]] the IMAP
    password one is an error, and so are the portal ones when any mailbox has its own."""
    if loader.offline:  # status/retry/parse: the env holds placeholders, not overrides
        return
    if loader.env.get(ENV_IMAP_PASSWORD, "").strip():
        raise ConfigError(
            f"{ENV_IMAP_PASSWORD}: applies to [imap] alone, which with [[mailboxes]] holds only "
            "defaults; give each mailbox its password_file (or the credential "
            "<name>-imap-password) and unset the environment variable",
            key="imap.password",
        )
    if not own_portals:
        return
    for env_name in (ENV_WEBHOOK_URL, ENV_RESPONSIBLE_USER_ID):
        if loader.env.get(env_name, "").strip():
            raise ConfigError(
                f"{env_name}: an environment override cannot be used with several portals "
                "([mailboxes.bitrix24]): it could send one client's enquiries to another "
                "client's CRM; set the value in the config (or a *_file) and unset the "
                "environment variable",
                key="bitrix24.webhook_url",
            )


def _mailbox(
    loader: Reader, prefix: str, table: dict[str, Any], imap_defaults: dict[str, Any],
    seen_names: dict[str, str], seen_boxes: dict[tuple[str, int, str, str], str],
) -> MailboxConfig:
    """One ``[[mailboxes]]`` table's name, IMAP settings and routes (its portal comes after)."""
    loader.reject_unknown(table, prefix, (*KEYS["imap"], "name", PORTAL_TABLE, ROUTES_TABLE))
    name = table.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise loader.fail(
            f"{prefix}.name",
            "required: lower-case letters, digits, - and _ (it names the mailbox in logs "
            f'and its credential files), e.g. "site-a"; got {show(name)}',
        )
    if name in seen_names:
        raise loader.fail(f"{prefix}.name", f'"{name}" is already the name of {seen_names[name]}')
    seen_names[name] = prefix
    own = {k: v for k, v in table.items() if k not in ("name", PORTAL_TABLE, ROUTES_TABLE)}
    section = Section(loader, prefix, {**imap_defaults, **own})
    imap = connections.imap(loader, section, env_name="", credential=imap_credential(name))
    box = (imap.host.lower(), imap.port, imap.username.lower(), imap.folder)
    if box in seen_boxes:
        raise loader.fail(
            f"{prefix}.folder",
            f"{seen_boxes[box]} already reads {imap.folder} of {imap.username} on "
            f"{imap.host}; one folder is read by one mailbox entry",
        )
    seen_boxes[box] = prefix
    routes = _routes(loader, prefix, name, table.get(ROUTES_TABLE))
    return MailboxConfig(name=name, imap=imap, bitrix24=Bitrix24Config(), routes=routes)


def _own_portal(
    loader: Reader, prefix: str, name: str, portal_table: Any, defaults: dict[str, Any]
) -> Bitrix24Config:
    """``[mailboxes.bitrix24]``: the keys of [bitrix24], its non-secret values as defaults."""
    key = f"{prefix}.{PORTAL_TABLE}"
    if not isinstance(portal_table, dict):
        raise loader.fail(key, f"expected a table, got {show(portal_table)}")
    loader.reject_unknown(portal_table, key, KEYS[PORTAL_TABLE])
    portal_section = Section(loader, key, {**defaults, **portal_table})
    return connections.bitrix24(
        loader, portal_section, env_name="", credential=webhook_credential(name),
        user_env_name="",
    )


def _routes(loader: Reader, prefix: str, name: str, raw: Any) -> tuple[Route, ...]:
    """``[[mailboxes.routes]]`` with bridge.config.routing's rules, errors named
    ``mailboxes[N].routes[M].key``; each route's key gets the mailbox's name in front."""
    if raw is None:
        return ()
    parsed = routing.routes(
        raw,
        lambda key, problem: loader.fail(f"{prefix}.{key}", problem),
        lambda table, key, known: loader.reject_unknown(table, f"{prefix}.{key}", known),
        lambda key, table: Section(loader, f"{prefix}.{key}", table),
    )
    return tuple(dataclasses.replace(r, key=f"{name}:{r.key}") for r in parsed)


def _table(loader: Reader, name: str) -> dict[str, Any]:
    value = loader.data.get(name, {})
    return value if isinstance(value, dict) else {}
