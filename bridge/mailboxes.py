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

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bridge.errors import ConfigError

if TYPE_CHECKING:
    from bridge.config import Bitrix24Config, ImapConfig
    from bridge.routes import Route

MAILBOX_TABLE = "mailboxes"
PORTAL_TABLE = "bitrix24"
ROUTES_TABLE = "routes"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
IMAP_SECRET_KEYS = ("password", "password_file")
PORTAL_SECRET_KEYS = ("webhook_url", "webhook_url_file")


@dataclass(frozen=True, slots=True)
class MailboxConfig:
    """One mailbox and the portal its enquiries go to."""

    name: str  # "" for the single mailbox of a file without [[mailboxes]]
    imap: ImapConfig
    bitrix24: Bitrix24Config
    own_portal: bool = False  # True when it has a [mailboxes.bitrix24] of its own
    # [[mailboxes.routes]], tried before the global [[routes]]; keys "<name>:<route>"
    routes: tuple[Route, ...] = ()

    @property
    def label(self) -> str:
        """How logs and ``status`` name it (the single mailbox: its login)."""
        return self.name or self.imap.username

    def secrets(self) -> tuple[str, ...]:
        """Its secrets, for the log redactor."""
        return (self.imap.password, self.bitrix24.webhook_url)


def imap_credential(name: str) -> str:
    """The systemd credential that holds mailbox ``name``'s IMAP password."""
    return f"{name}-imap-password"


def webhook_credential(name: str) -> str:
    """The systemd credential that holds the webhook URL of mailbox ``name``'s own portal."""
    return f"{name}-webhook-url"


def load_mailboxes(loader: Any) -> tuple[MailboxConfig, ...]:
    """Build every ``[[mailboxes]]`` table; () when the file has none.

    ``loader`` is bridge.config's _Loader (its imap()/bitrix24() builders validate the keys).
    """
    from bridge.config import (
        _KEYS,
        ENV_IMAP_PASSWORD,
        ENV_RESPONSIBLE_USER_ID,
        ENV_WEBHOOK_URL,
        _Section,
        _show,
    )

    raw = loader.data.get(MAILBOX_TABLE)
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise loader.fail(MAILBOX_TABLE, f"expected [[mailboxes]] tables, got {_show(raw)}")
    if not raw:
        raise loader.fail(MAILBOX_TABLE, "expected at least one [[mailboxes]] table")
    imap_keys: tuple[str, ...] = _KEYS["imap"]
    portal_keys: tuple[str, ...] = _KEYS[PORTAL_TABLE]
    imap_defaults = _table(loader, "imap")
    loader.reject_unknown(imap_defaults, "imap", imap_keys)
    imap_defaults = {k: v for k, v in imap_defaults.items() if k not in IMAP_SECRET_KEYS}
    portal_defaults = _table(loader, PORTAL_TABLE)
    portal_defaults = {k: v for k, v in portal_defaults.items() if k not in PORTAL_SECRET_KEYS}

    offline = loader.offline  # status/retry/parse: the env holds placeholders, not overrides
    if not offline and loader.env.get(ENV_IMAP_PASSWORD, "").strip():
        raise ConfigError(
            f"{ENV_IMAP_PASSWORD}: applies to [imap] alone, which with [[mailboxes]] holds only "
            "defaults; give each mailbox its password_file (or the credential "
            "<name>-imap-password) and unset the environment variable",
            key="imap.password",
        )
    own_portals = [t for t in raw if PORTAL_TABLE in t]
    if own_portals and not offline:
        for env_name in (ENV_WEBHOOK_URL, ENV_RESPONSIBLE_USER_ID):
            if loader.env.get(env_name, "").strip():
                raise ConfigError(
                    f"{env_name}: an environment override cannot be used with several portals "
                    "([mailboxes.bitrix24]): it could send one client's enquiries to another "
                    "client's CRM; set the value in the config (or a *_file) and unset the "
                    "environment variable",
                    key="bitrix24.webhook_url",
                )
    shared: Bitrix24Config | None = None
    if len(own_portals) < len(raw):  # some mailbox sends to the top-level [bitrix24]
        shared = loader.bitrix24()

    built: list[MailboxConfig] = []
    seen_names: dict[str, str] = {}
    seen_boxes: dict[tuple[str, int, str, str], str] = {}
    for number, table in enumerate(raw, start=1):
        prefix = f"{MAILBOX_TABLE}[{number}]"
        loader.reject_unknown(table, prefix, (*imap_keys, "name", PORTAL_TABLE, ROUTES_TABLE))
        name = table.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise loader.fail(
                f"{prefix}.name",
                "required: lower-case letters, digits, - and _ (it names the mailbox in logs "
                f'and its credential files), e.g. "site-a"; got {_show(name)}',
            )
        if name in seen_names:
            raise loader.fail(
                f"{prefix}.name", f'"{name}" is already the name of {seen_names[name]}'
            )
        seen_names[name] = prefix
        own = {k: v for k, v in table.items() if k not in ("name", PORTAL_TABLE, ROUTES_TABLE)}
        section = _Section(loader, prefix, {**imap_defaults, **own})
        imap = loader.imap(section, env_name="", credential=imap_credential(name))
        box = (imap.host.lower(), imap.port, imap.username.lower(), imap.folder)
        if box in seen_boxes:
            raise loader.fail(
                f"{prefix}.folder",
                f"{seen_boxes[box]} already reads {imap.folder} of {imap.username} on "
                f"{imap.host}; one folder is read by one mailbox entry",
            )
        seen_boxes[box] = prefix
        routes = _routes(loader, prefix, name, table.get(ROUTES_TABLE))
        if PORTAL_TABLE in table:
            portal_table = table[PORTAL_TABLE]
            key = f"{prefix}.{PORTAL_TABLE}"
            if not isinstance(portal_table, dict):
                raise loader.fail(key, f"expected a table, got {_show(portal_table)}")
            loader.reject_unknown(portal_table, key, portal_keys)
            portal_section = _Section(loader, key, {**portal_defaults, **portal_table})
            portal = loader.bitrix24(
                portal_section, env_name="", credential=webhook_credential(name),
                user_env_name="",
            )  # fmt: skip
            built.append(MailboxConfig(name=name, imap=imap, bitrix24=portal, own_portal=True,
                                       routes=routes))
        else:
            assert shared is not None  # built above whenever a mailbox lacks its own portal
            built.append(MailboxConfig(name=name, imap=imap, bitrix24=shared, routes=routes))
    return tuple(built)


def _routes(loader: Any, prefix: str, name: str, raw: Any) -> tuple[Route, ...]:
    """``[[mailboxes.routes]]`` with bridge.routes_config's rules, errors named
    ``mailboxes[N].routes[M].key``; each route's key gets the mailbox's name in front."""
    import dataclasses

    from bridge import routes_config
    from bridge.config import _Section

    if raw is None:
        return ()
    parsed = routes_config.routes(
        raw,
        lambda key, problem: loader.fail(f"{prefix}.{key}", problem),
        lambda table, key, known: loader.reject_unknown(table, f"{prefix}.{key}", known),
        lambda key, table: _Section(loader, f"{prefix}.{key}", table),
    )
    return tuple(dataclasses.replace(r, key=f"{name}:{r.key}") for r in parsed)


def _table(loader: Any, name: str) -> dict[str, Any]:
    value = loader.data.get(name, {})
    return value if isinstance(value, dict) else {}
