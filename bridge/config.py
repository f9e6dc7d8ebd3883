"""The TOML config file -> a frozen, always-valid Config (SPEC §2).

``load(path, env=os.environ) -> Config`` reads and validates everything once at start-up.
Every error is a ConfigError naming the key and, where it can, the line.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bridge import routes_config
from bridge.alerts.settings import (
    METRICS_KEYS,
    NOTIFY_KEYS,
    MetricsConfig,
    NotifyConfig,
    load_metrics,
    load_notify,
)
from bridge.errors import ConfigError
from bridge.hosts import host_problem, is_loopback_host, port_problem
from bridge.mailboxes import MAILBOX_TABLE, MailboxConfig, load_mailboxes
from bridge.model import DEFAULT_ALLOWED_EXTENSIONS, MB, ParseOptions
from bridge.routes import CrmConfig, Route
from bridge.secrets import mask_webhook_url


@dataclass(frozen=True, slots=True)
class ImapConfig:
    host: str = ""
    port: int = 993
    security: str = "ssl"  # "ssl" | "starttls" | "plain"
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: Path | None = None
    folder: str = "INBOX"
    processed_folder: str = ""
    idle: bool = True
    idle_refresh: int = 300  # seconds; IDLE is re-issued at least this often
    poll_interval: int = 60
    since_days: int = 7
    timeout: float = 30.0  # socket timeout, seconds
    max_message_mb: int = 64  # a larger mail is never fetched whole (bridge.oversized)


@dataclass(frozen=True, slots=True)
class Bitrix24Config:
    webhook_url: str = field(default="", repr=False)
    ca_file: Path | None = None
    responsible_user_id: int = 1
    source_id: str = "WEB"
    source_description: str = ""
    title: str = "Заявка с сайта - {name}"
    rate_per_second: float = 2.0  # the portal's drain rate (Enterprise: 5)
    burst: int = 50  # the portal's bucket size (Enterprise: 250)
    timeout: float = 30.0  # read timeout for one request, seconds
    batch: bool = True  # use `batch` for backlogs of text-only leads
    health_interval: float = 300.0  # seconds between portal checks while running (and blocked)
    fallback_user_id: int = 0  # an inactive responsible user's leads go here (0 = webhook user)
    # how long the portal may still run a request after we gave up (cloud: 60 s); an unknown
    # outcome is looked up only this long after the request's last byte was sent
    max_request_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class AttachmentsConfig:
    field: str = "auto"  # "auto" | "UF_CRM_<code>" | "" (always a timeline comment)
    allowed: tuple[str, ...] = DEFAULT_ALLOWED_EXTENSIONS
    max_size_mb: float = 10
    max_total_mb: float = 25


@dataclass(frozen=True, slots=True)
class FilterConfig:
    senders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DedupeConfig:
    window_minutes: int = 10


@dataclass(frozen=True, slots=True)
class ParsingConfig:
    default_region: str = "RU"
    # canonical field ("name", "phone", "email", "message") -> extra label synonyms
    labels: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # form label -> lead field ("COMPANY_TITLE", "UF_CRM_CITY", ...)
    fields: tuple[tuple[str, str], ...] = ()
    spam_max_links: int = 3
    spam_words: tuple[str, ...] = ()
    # a form notification whose fields cannot be read: "lead" (made whole) or "quarantine"
    unrecognised: str = "lead"


@dataclass(frozen=True, slots=True)
class RetryConfig:
    max_attempts: int = 5  # for "this message is bad" failures, then quarantine
    backoff_base: float = 30.0  # seconds, doubled per attempt, with jitter
    backoff_cap: float = 1800.0  # 30 minutes


@dataclass(frozen=True, slots=True)
class StoreConfig:
    path: Path = Path("bridge.db")
    keep_days: int = 180  # finished rows keep the client's data this long
    # "" = the SQLite ledger at path; else a postgresql+psycopg URL (a secret: bridge.storeurl)
    url: str = field(default="", repr=False)
    schema: str = ""  # with url and [[mailboxes]]: the mailbox's own schema (bridge.multibox)


@dataclass(frozen=True, slots=True)
class UiConfig:
    language: str = "auto"  # "auto" (from the locale), "ru" or "en" (bridge.i18n)


@dataclass(frozen=True, slots=True)
class Config:
    imap: ImapConfig = ImapConfig()
    bitrix24: Bitrix24Config = Bitrix24Config()
    attachments: AttachmentsConfig = AttachmentsConfig()
    filter: FilterConfig = FilterConfig()
    dedupe: DedupeConfig = DedupeConfig()
    parsing: ParsingConfig = ParsingConfig()
    retry: RetryConfig = RetryConfig()
    store: StoreConfig = StoreConfig()
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    ui: UiConfig = UiConfig()
    crm: CrmConfig = field(default_factory=CrmConfig)
    routes: tuple[Route, ...] = ()  # [[routes]], first match wins (bridge/routes.py)
    source_path: Path | None = None  # the file it was loaded from
    # [[mailboxes]] as written; () for a single-mailbox file (see all_mailboxes())
    mailboxes: tuple[MailboxConfig, ...] = ()

    def all_mailboxes(self) -> tuple[MailboxConfig, ...]:
        """Every mailbox to serve: the [[mailboxes]], or the one built from [imap]/[bitrix24]."""
        if self.mailboxes:
            return self.mailboxes
        return (MailboxConfig(name="", imap=self.imap, bitrix24=self.bitrix24),)

    def parse_options(self) -> ParseOptions:
        return ParseOptions(
            default_region=self.parsing.default_region,
            allowed_extensions=tuple(e.lower() for e in self.attachments.allowed),
            max_size_bytes=int(self.attachments.max_size_mb * MB),
            max_total_bytes=int(self.attachments.max_total_mb * MB),
            label_synonyms=self.parsing.labels,
            label_fields=self.parsing.fields,
            spam_max_links=self.parsing.spam_max_links,
            spam_words=self.parsing.spam_words,
            site_senders=self.filter.senders,
            unrecognised=self.parsing.unrecognised,
        )


UNRECOGNISED_MODES = ("lead", "quarantine")  # parsing.unrecognised (SPEC §3)

# --------------------------------------------------------------------------- loading

ENV_IMAP_PASSWORD = "BRIDGE_IMAP_PASSWORD"
ENV_WEBHOOK_URL = "BITRIX24_WEBHOOK_URL"
ENV_RESPONSIBLE_USER_ID = "BITRIX24_RESPONSIBLE_USER_ID"
CREDENTIAL_IMAP_PASSWORD = "imap-password"  # $CREDENTIALS_DIRECTORY/<name> (systemd)
CREDENTIAL_WEBHOOK_URL = "webhook-url"
OFFLINE_WEBHOOK_URL = "https://offline.invalid/rest/1/XXXXXXXXXXXXXXXX/"  # offline commands

SECURITY_MODES = ("ssl", "starttls", "plain")
LABEL_CANONICALS = ("name", "phone", "email", "message")
# lead fields the bridge fills itself; a form label must not overwrite them
RESERVED_LEAD_FIELDS = frozenset(
    {"ID", "ORIGIN_ID", "ORIGINATOR_ID", "ASSIGNED_BY_ID", "PHONE", "EMAIL", "STATUS_ID"}
)
_LEAD_FIELD_RE = re.compile(r"^(UF_CRM_[A-Z0-9_]+|[A-Z][A-Z0-9]*(_[A-Z0-9]+)*)$")
_FILE_FIELD_RE = re.compile(r"^UF_CRM_[A-Z0-9_]+$")
_WEBHOOK_PATH_RE = re.compile(r"^/rest/(\d+)/([A-Za-z0-9_-]+)/?$")
_SENDER_RE = re.compile(r"^[^@\s]*@[^@\s.][^@\s]*$")
_EXTENSION_RE = re.compile(r"^[a-z0-9][a-z0-9_+-]*$")
_REGION_RE = re.compile(r"^[A-Z]{2}$")
_TRIPLE_QUOTES = ('"' * 3, "'" * 3)


def load(
    path: str | Path, env: Mapping[str, str] | None = None, *, offline: bool = False
) -> Config:
    """Read, validate and freeze the config file. Raises ConfigError.

    ``env`` (default ``os.environ``) supplies the secret overrides
    (BRIDGE_IMAP_PASSWORD, BITRIX24_WEBHOOK_URL, BITRIX24_RESPONSIBLE_USER_ID) and
    CREDENTIALS_DIRECTORY. ``offline`` (status, retry, parse) reads no secret of a
    ``[[mailboxes]]`` entry (the caller overrides the top-level ones through ``env``).
    """
    env = os.environ if env is None else env
    file = Path(path).expanduser().absolute()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"config file not found: {file}; run `mailbridge demo` to try it without one"
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"config file {file} is a directory; give the path of the file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {file} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line = int(m.group(1)) if m else None
        if line is None and "end of document" in str(exc):
            line = max(text.count("\n") + (not text.endswith("\n")), 1)
        raise ConfigError(
            f"{file}: not valid TOML: {exc}; fix the syntax there", line=line
        ) from None
    return _Loader(file, text, data, env, offline).config()


def _show(value: Any) -> str:
    """A short rendering of a (non-secret) config value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        s = value if len(value) <= 60 else value[:57] + "..."
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _kind(value: Any) -> str:
    """What a value is, without showing it (for secrets)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _show(value) if isinstance(value, list | dict) else type(value).__name__


_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER_RE = re.compile(rf"^\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(rf"^\s*({_DOTTED})\s*=")
_PART_RE = re.compile(_PART)


def _key_lines(text: str) -> dict[str, int]:
    """Map every dotted key path and table header of a TOML text to its first line."""
    lines: dict[str, int] = {}
    prefix: list[str] = []
    in_multiline = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if any(raw.count(q) % 2 for q in _TRIPLE_QUOTES):
                in_multiline = False
            continue
        if m := _HEADER_RE.match(raw):
            prefix = [_unquote(p) for p in _PART_RE.findall(m.group(1))]
            lines.setdefault(".".join(prefix), number)
            continue
        if m := _KEY_RE.match(raw):
            keys = [_unquote(p) for p in _PART_RE.findall(m.group(1))]
            for i in range(1, len(keys) + 1):
                lines.setdefault(".".join(prefix + keys[:i]), number)
            if any(raw[m.end() :].count(q) % 2 for q in _TRIPLE_QUOTES):
                in_multiline = True
    return lines


def _unquote(part: str) -> str:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        inner = part[1:-1]
        if part[0] == '"' and "\\" in inner:
            try:
                return tomllib.loads(f"k = {part}")["k"]
            except tomllib.TOMLDecodeError:
                return inner
        return inner
    return part


_KEYS: dict[str, tuple[str, ...]] = {
    "imap": (
        "host", "port", "security", "username", "password", "password_file", "ca_file",
        "folder", "processed_folder", "idle", "idle_refresh", "poll_interval", "since_days",
        "timeout", "max_message_mb",
    ),
    "bitrix24": (
        "webhook_url", "webhook_url_file", "ca_file", "responsible_user_id", "source_id",
        "source_description", "title", "rate_per_second", "burst", "timeout", "batch",
        "health_interval", "fallback_user_id",
        "max_request_seconds",
    ),
    "attachments": ("field", "allowed", "max_size_mb", "max_total_mb"),
    "filter": ("senders",),
    "dedupe": ("window_minutes",),
    "parsing": ("default_region", "labels", "fields", "spam_max_links", "spam_words",
                "unrecognised"),
    "retry": ("max_attempts", "backoff_base", "backoff_cap"),
    "store": ("path", "keep_days", "url", "url_file"),
    "notify": NOTIFY_KEYS,
    "metrics": METRICS_KEYS,
    "ui": ("language",),
    "crm": routes_config.CRM_KEYS,
}
# [[routes]] is an array of tables, checked by bridge/routes_config.py
_ARRAYS = ("routes",)


class _Loader:
    """Walks the parsed TOML once, section by section, and builds the Config."""

    def __init__(
        self, file: Path, text: str, data: dict[str, Any], env: Mapping[str, str],
        offline: bool = False,
    ):
        self.offline = offline
        self.file = file
        self.folder = file.parent
        self.data = data
        self.env = env
        self.lines = _key_lines(text)

    # ---- errors

    def fail(self, key: str, problem: str) -> ConfigError:
        """A ConfigError for ``key``, with its line (or its table's) when the file has it."""
        number = None
        probe = key
        while probe and number is None:
            number = self.lines.get(probe)
            probe = probe.rpartition(".")[0]
        where = f" ({self.file}, line {number})" if number else f" ({self.file})"
        return ConfigError(f"{key}: {problem}{where}", key=key, line=number)

    def reject_unknown(self, table: dict[str, Any], prefix: str, known: tuple[str, ...]) -> None:
        """Reject keys of ``table`` that are not in ``known``, with a 'did you mean'."""
        for name in table:
            if name in known:
                continue
            key = f"{prefix}.{name}" if prefix else name
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if close:
                hint = f"did you mean {prefix + '.' if prefix else ''}{close[0]}?"
            elif not prefix and (section := _section_of(name)):
                hint = f"did you mean {section}.{name}? (it belongs under [{section}])"
            elif not prefix:
                hint = "the sections are " + ", ".join(f"[{s}]" for s in known)
            else:
                hint = f"the keys of [{prefix}] are " + ", ".join(known)
            what = "section" if not prefix and isinstance(table[name], dict) else "key"
            raise self.fail(key, f"unknown {what}; {hint}")

    # ---- the walk

    def config(self) -> Config:
        self.reject_unknown(self.data, "", (*_KEYS, *_ARRAYS, MAILBOX_TABLE))
        for name, value in self.data.items():
            if not isinstance(value, dict) and name not in (*_ARRAYS, MAILBOX_TABLE):
                raise self.fail(name, f"expected a table [{name}], got {_show(value)}")
        mailboxes = load_mailboxes(self)
        store = self.store()
        return Config(
            imap=mailboxes[0].imap if mailboxes else self.imap(),
            bitrix24=mailboxes[0].bitrix24 if mailboxes else self.bitrix24(),
            mailboxes=mailboxes,
            attachments=self.attachments(),
            filter=self.filter(),
            dedupe=self.dedupe(),
            parsing=self.parsing(),
            retry=self.retry(),
            store=store,
            notify=load_notify(self),
            metrics=load_metrics(self),
            ui=self.ui(),
            crm=routes_config.crm(self.section("crm")),
            routes=routes_config.routes(self.data.get("routes"), self.fail, self.reject_unknown,
                                        lambda name, table: _Section(self, name, table)),
            source_path=self.file,
        )

    def section(self, name: str) -> _Section:
        table = self.data.get(name, {})
        self.reject_unknown(table, name, _KEYS[name])
        return _Section(self, name, table)

    def resolve(self, value: str) -> Path:
        """A path from the file, relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.folder / p

    def imap(
        self, s: _Section | None = None, *, env_name: str = ENV_IMAP_PASSWORD,
        credential: str = CREDENTIAL_IMAP_PASSWORD,
    ) -> ImapConfig:
        """[imap], or another table with its keys (a mailbox: ``s``, its own credential name
        and no environment override)."""
        s = s or self.section("imap")
        k = s.name
        d = ImapConfig()
        host = s.text("host", d.host).strip()
        if not host:
            raise self.fail(
                f"{k}.host", 'required; set the IMAP server name, e.g. "imap.yandex.ru"'
            )
        if "://" in host or "/" in host or any(c.isspace() for c in host):
            raise self.fail(
                f"{k}.host", f"expected a host name (no scheme or path), got {_show(host)}"
            )
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]  # an IPv6 literal as written in a URL
        bad_host = host_problem(host)
        if bad_host is not None:
            raise self.fail(f"{k}.host", f"{bad_host}; e.g. \"imap.yandex.ru\"")
        security = s.choice("security", d.security, SECURITY_MODES)
        if security == "plain" and not is_loopback_host(host):
            raise self.fail(
                f"{k}.security",
                f'"plain" (no TLS) is allowed only to a loopback address, not to {host}; '
                'use "ssl" or "starttls"',
            )
        port = s.integer("port", 993 if security == "ssl" else 143, low=1, high=65535)
        username = s.text("username", d.username).strip()
        if not username:
            raise self.fail(f"{k}.username", "required; set the mailbox login")
        password = self.secret(s, "password", env_name, credential, strip_inline=False)
        folder = s.text("folder", d.folder).strip()
        if not folder:
            raise self.fail(f"{k}.folder", 'must not be empty; the default is "INBOX"')
        processed = s.text("processed_folder", d.processed_folder).strip()
        if processed == folder or processed.upper() == folder.upper() == "INBOX":
            raise self.fail(
                f"{k}.processed_folder",
                f'must differ from {k}.folder ({_show(folder)}); use "" to leave mail in place',
            )
        return ImapConfig(
            host=host,
            port=port,
            security=security,
            username=username,
            password=password,
            ca_file=s.file_path("ca_file"),
            folder=folder,
            processed_folder=processed,
            idle=s.boolean("idle", d.idle),
            idle_refresh=s.integer(
                "idle_refresh", d.idle_refresh, low=1, high=1740,
                why="servers may end an IDLE after 30 minutes",
            ),
            poll_interval=s.integer("poll_interval", d.poll_interval, low=1),
            since_days=s.integer("since_days", d.since_days, low=0),
            timeout=s.number("timeout", d.timeout, positive=True),
            max_message_mb=s.integer("max_message_mb", d.max_message_mb, low=1),
        )

    def bitrix24(
        self, s: _Section | None = None, *, env_name: str = ENV_WEBHOOK_URL,
        credential: str = CREDENTIAL_WEBHOOK_URL, user_env_name: str = ENV_RESPONSIBLE_USER_ID,
    ) -> Bitrix24Config:
        """[bitrix24], or a mailbox's own portal table (``s``, no environment overrides)."""
        s = s or self.section("bitrix24")
        k = s.name
        d = Bitrix24Config()
        url = self.secret(s, "webhook_url", env_name, credential)
        url = self.webhook(url, s.origin["webhook_url"])
        user_env = self.env.get(user_env_name, "").strip() if user_env_name else ""
        if user_env:
            if not user_env.isascii() or not user_env.isdigit() or int(user_env) < 1:
                raise ConfigError(
                    f"{ENV_RESPONSIBLE_USER_ID}: expected a positive integer (a Bitrix24 user "
                    f"ID), got {_show(user_env)}; fix or unset the environment variable",
                    key="bitrix24.responsible_user_id",
                )
            user_id = int(user_env)
            s.seen.add("responsible_user_id")
        else:
            user_id = s.integer("responsible_user_id", d.responsible_user_id, low=1)
        source_id = s.text("source_id", d.source_id).strip()
        if not source_id:
            raise self.fail(f"{k}.source_id", 'must not be empty; the default is "WEB"')
        title = s.text("title", d.title)
        self.check_title(title, f"{k}.title")
        return Bitrix24Config(
            webhook_url=url,
            ca_file=s.file_path("ca_file"),
            responsible_user_id=user_id,
            source_id=source_id,
            source_description=s.text("source_description", d.source_description),
            title=title,
            rate_per_second=s.number("rate_per_second", d.rate_per_second, positive=True),
            burst=s.integer("burst", d.burst, low=1),
            timeout=s.number("timeout", d.timeout, positive=True),
            batch=s.boolean("batch", d.batch),
            health_interval=s.number("health_interval", d.health_interval, positive=True),
            fallback_user_id=s.integer("fallback_user_id", d.fallback_user_id, low=0),
            max_request_seconds=self.max_request_seconds(s, d.max_request_seconds),
        )

    def max_request_seconds(self, s: Any, default: float) -> float:
        value = s.number("max_request_seconds", default)
        if value < 0:
            raise self.fail(f"{s.name}.max_request_seconds",
                            f"expected 0 or more seconds, got {value:g} (cloud portals: 60)")
        return value

    def check_title(self, title: str, key: str = "bitrix24.title") -> None:
        if (problem := routes_config.title_problem(title)) is not None:
            raise self.fail(key, problem)

    def webhook(self, url: str, source: str) -> str:
        """Validate the inbound webhook URL's shape without ever echoing its secret code."""
        shape = "https://HOST/rest/USER_ID/CODE/ (the inbound webhook's URL from Bitrix24)"
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            _ = parts.port
        except ValueError:
            raise self.secret_fail(source, f"expected {shape}; this is not a URL") from None
        shown = mask_webhook_url(url) if host else "a value that is not a URL"
        if parts.scheme not in ("https", "http") or not host:
            raise self.secret_fail(source, f"expected {shape}, got {shown}")
        bad_host = host_problem(host) or port_problem(parts.port)
        if bad_host is not None:
            raise self.secret_fail(source, f"expected {shape}: {bad_host}")
        if parts.scheme == "http" and not is_loopback_host(host):
            raise self.secret_fail(
                source,
                f"http:// is allowed only to a loopback address (a local sandbox); "
                f"use https://{host}/rest/...",
            )
        if parts.username or parts.password or parts.query or parts.fragment:
            raise self.secret_fail(
                source, f"expected {shape} without a login, query or fragment, got {shown}"
            )
        if not _WEBHOOK_PATH_RE.match(parts.path):
            if re.match(r"^/rest/\d+/[A-Za-z0-9_-]+/.", parts.path):
                raise self.secret_fail(
                    source,
                    f"expected {shape}: the URL must end right after the code, but {shown} "
                    "has more path after it (a method name?); remove it",
                )
            raise self.secret_fail(source, f"expected {shape}, got {shown}")
        return url if url.endswith("/") else url + "/"

    def secret_fail(self, source: str, problem: str) -> ConfigError:
        """An error about a secret named by where it came from (key, env var, file)."""
        if source.startswith(("bitrix24.", "imap.", "store.", MAILBOX_TABLE + "[")):
            return self.fail(source, problem)
        return ConfigError(f"{source}: {problem}", key="bitrix24.webhook_url")

    def secret(
        self, s: _Section, key: str, env_name: str, credential: str, *, strip_inline: bool = True
    ) -> str:
        """Env var, then ``<key>_file``, then $CREDENTIALS_DIRECTORY/<credential>, then inline.

        Records in ``s.origin[key]`` where the value came from, for error messages.
        """
        inline = s.text(key, "", secret=True)
        file_value = s.text(key + "_file", "").strip()
        env_value = self.env.get(env_name, "") if env_name else ""
        if self.offline and not env_name:  # a mailbox's own secret, not needed offline
            s.origin[key] = f"{s.name}.{key}"
            return OFFLINE_WEBHOOK_URL if key == "webhook_url" else "not-needed-offline"
        if env_value.strip():
            s.origin[key] = env_name
            return env_value.strip() if strip_inline else env_value.rstrip("\r\n")
        if file_value:
            return self.read_secret(s, key, self.resolve(file_value), f"{s.name}.{key}_file")
        cred_dir = self.env.get("CREDENTIALS_DIRECTORY", "").strip()
        if cred_dir and (Path(cred_dir) / credential).is_file():
            where = f"$CREDENTIALS_DIRECTORY/{credential}"
            return self.read_secret(s, key, Path(cred_dir) / credential, where)
        if inline.strip():
            s.origin[key] = f"{s.name}.{key}"
            return inline.strip() if strip_inline else inline
        if not env_name:  # a mailbox's own secret: no environment override
            raise self.fail(
                f"{s.name}.{key}",
                f"required; set {s.name}.{key}_file (or the credential {credential} in "
                f"$CREDENTIALS_DIRECTORY), or {s.name}.{key}",
            )
        raise self.fail(
            f"{s.name}.{key}",
            f"required; set the environment variable {env_name}, or {s.name}.{key}_file, "
            f"or {s.name}.{key}",
        )

    def read_secret(self, s: _Section, key: str, path: Path, origin: str) -> str:
        """The stripped content of a secret file; ``origin`` names it in errors."""

        def fail(problem: str) -> ConfigError:
            if origin.startswith(s.name + "."):
                return self.fail(origin, problem)
            return ConfigError(f"{origin}: {problem}", key=f"{s.name}.{key}")

        try:
            value = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise fail(f"file not found: {path}") from None
        except UnicodeDecodeError:
            raise fail(f"{path} is not UTF-8 text") from None
        except OSError as exc:
            raise fail(f"cannot read {path}: {exc.strerror}") from None
        if not value:
            raise fail(f"the file {path} is empty")
        s.origin[key] = origin
        return value

    def attachments(self) -> AttachmentsConfig:
        s = self.section("attachments")
        d = AttachmentsConfig()
        file_field = s.text("field", d.field).strip()
        if file_field.lower() == "auto":
            file_field = "auto"
        elif file_field and not _FILE_FIELD_RE.match(file_field):
            raise self.fail(
                "attachments.field",
                f'expected "auto", a lead user field like "UF_CRM_1701234567" (or "" for a '
                f"timeline comment), got {_show(file_field)}",
            )
        allowed: list[str] = []
        for i, ext in enumerate(s.text_list("allowed", d.allowed)):
            norm = ext.strip().lstrip(".").lower()
            if not _EXTENSION_RE.match(norm):
                raise self.fail(
                    "attachments.allowed",
                    f'item {i + 1}: expected a file extension like "pdf", got {_show(ext)}',
                )
            if norm not in allowed:
                allowed.append(norm)
        return AttachmentsConfig(
            field=file_field,
            allowed=tuple(allowed),
            max_size_mb=s.number("max_size_mb", d.max_size_mb, positive=True),
            max_total_mb=s.number("max_total_mb", d.max_total_mb, positive=True),
        )

    def filter(self) -> FilterConfig:
        s = self.section("filter")
        senders: list[str] = []
        for i, sender in enumerate(s.text_list("senders", ())):
            norm = sender.strip().lower()
            if not _SENDER_RE.match(norm):
                raise self.fail(
                    "filter.senders",
                    f'item {i + 1}: expected an address ("forms@site.ru") or a domain '
                    f'("@site.ru"), got {_show(sender)}',
                )
            if norm not in senders:
                senders.append(norm)
        return FilterConfig(senders=tuple(senders))

    def dedupe(self) -> DedupeConfig:
        s = self.section("dedupe")
        return DedupeConfig(
            window_minutes=s.integer("window_minutes", DedupeConfig().window_minutes, low=0)
        )

    def parsing(self) -> ParsingConfig:
        s = self.section("parsing")
        d = ParsingConfig()
        region = s.text("default_region", d.default_region).strip().upper()
        if not _REGION_RE.match(region):
            raise self.fail(
                "parsing.default_region",
                f'expected a two-letter country code like "RU", got {_show(region)}',
            )
        labels_table = s.subtable("labels")
        self.reject_unknown(labels_table, "parsing.labels", LABEL_CANONICALS)
        labels = tuple(
            (name, tuple(x.strip() for x in s.strings(value, f"parsing.labels.{name}")))
            for name in LABEL_CANONICALS
            if (value := labels_table.get(name)) is not None
        )
        fields: list[tuple[str, str]] = []
        for label, value in s.subtable("fields").items():
            key = f"parsing.fields.{label}"
            target = value.strip() if isinstance(value, str) else None
            if target is None or not _LEAD_FIELD_RE.match(target):
                raise self.fail(
                    key,
                    'expected a lead field name in capitals like "COMPANY_TITLE" or '
                    f'"UF_CRM_CITY", got {_show(value)}',
                )
            if target in RESERVED_LEAD_FIELDS:
                raise self.fail(
                    key, f"{target} is filled by mailbridge itself; map the label elsewhere"
                )
            if not label.strip():
                raise self.fail(key, "the form label must not be empty")
            fields.append((label.strip(), target))
        return ParsingConfig(
            default_region=region,
            labels=labels,
            fields=tuple(fields),
            spam_max_links=s.integer("spam_max_links", d.spam_max_links, low=0),
            spam_words=tuple(w.strip() for w in s.text_list("spam_words", d.spam_words)),
            unrecognised=s.choice("unrecognised", d.unrecognised, UNRECOGNISED_MODES),
        )

    def retry(self) -> RetryConfig:
        s = self.section("retry")
        d = RetryConfig()
        max_attempts = s.integer("max_attempts", d.max_attempts, low=1)
        base = s.number("backoff_base", d.backoff_base, positive=True)
        cap = s.number("backoff_cap", d.backoff_cap, positive=True)
        if cap < base:
            raise self.fail(
                "retry.backoff_cap", f"must be at least retry.backoff_base ({base:g}), got {cap:g}"
            )
        return RetryConfig(max_attempts=max_attempts, backoff_base=base, backoff_cap=cap)

    def store(self) -> StoreConfig:
        s = self.section("store")
        raw = s.text("path", str(StoreConfig().path)).strip()
        if not raw:
            raise self.fail("store.path", 'must not be empty; e.g. "bridge.db"')
        p = self.resolve(raw)
        if p.is_dir():
            raise self.fail("store.path", f"{p} is a folder; name the SQLite file, e.g. bridge.db")
        keep_days = s.integer("keep_days", StoreConfig().keep_days, low=1)
        return StoreConfig(path=p, keep_days=keep_days, url=self.store_url(s))

    def store_url(self, s: _Section) -> str:
        """``store.url`` (a secret): env, ``url_file``, credential, inline; "" = SQLite."""
        from bridge.storeurl import CREDENTIAL_STORE_URL, ENV_STORE_URL, StoreUrlError, parse

        given = (s.table.get("url") or s.table.get("url_file") or self.env.get(ENV_STORE_URL)
                 or (self.env.get("CREDENTIALS_DIRECTORY") and Path(
                     self.env["CREDENTIALS_DIRECTORY"], CREDENTIAL_STORE_URL).is_file()))
        if not given:
            s.text("url", "", secret=True)  # still type-checked
            return ""
        url = self.secret(s, "url", ENV_STORE_URL, CREDENTIAL_STORE_URL)
        try:
            parse(url)
        except StoreUrlError as exc:
            raise self.secret_fail(s.origin["url"], str(exc)) from None
        return url

    def ui(self) -> UiConfig:
        s = self.section("ui")
        return UiConfig(language=s.choice("language", UiConfig().language, ("auto", "ru", "en")))


def _section_of(key: str) -> str | None:
    return next((section for section, keys in _KEYS.items() if key in keys), None)


class _Section:
    """Typed access to one [section]; every getter names ``section.key`` in its errors."""

    def __init__(self, loader: _Loader, name: str, table: dict[str, Any]):
        self.loader = loader
        self.name = name
        self.table = table
        self.seen: set[str] = set()
        self.origin: dict[str, str] = {}

    def _get(self, key: str, default: Any) -> Any:
        self.seen.add(key)
        return self.table.get(key, default)

    def _fail(self, key: str, problem: str) -> ConfigError:
        return self.loader.fail(f"{self.name}.{key}", problem)

    def text(self, key: str, default: str, *, secret: bool = False) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            got = _kind(value) if secret else _show(value)
            raise self._fail(key, f"expected a string (in quotes), got {got}")
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(key, default).strip().lower()
        if value not in choices:
            options = " | ".join(f'"{c}"' for c in choices)
            raise self._fail(key, f"expected one of {options}, got {_show(value)}")
        return value

    def integer(
        self, key: str, default: int, *, low: int | None = None, high: int | None = None,
        why: str = "",
    ) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, f"expected an integer, got {_show(value)}")
        if low is not None and value < low:
            what = "a positive integer" if low == 1 else f"an integer of at least {low}"
            raise self._fail(key, f"expected {what}, got {value}")
        if high is not None and value > high:
            because = f" ({why})" if why else ""
            raise self._fail(key, f"expected at most {high}{because}, got {value}")
        return value

    def number(self, key: str, default: float, *, positive: bool = False) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, f"expected a number, got {_show(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            raise self._fail(key, f"expected a finite number, got {value}")
        if positive and value <= 0:
            raise self._fail(key, f"expected a positive number, got {value:g}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, f"expected true or false, got {_show(value)}")
        return value

    def text_list(self, key: str, default: tuple[str, ...]) -> list[str]:
        return self.strings(self._get(key, list(default)), f"{self.name}.{key}")

    def strings(self, value: Any, full_key: str) -> list[str]:
        if not isinstance(value, list):
            raise self.loader.fail(full_key, f"expected an array of strings, got {_show(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.loader.fail(
                    full_key, f"item {i + 1}: expected a non-empty string, got {_show(item)}"
                )
        return value

    def subtable(self, key: str) -> dict[str, Any]:
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise self._fail(key, f"expected a table, got {_show(value)}")
        return value

    def file_path(self, key: str) -> Path | None:
        """An optional existing file (``""`` = none), relative to the config's folder."""
        raw = self.text(key, "").strip()
        if not raw:
            return None
        p = self.loader.resolve(raw)
        if not p.is_file():
            raise self._fail(key, f'file not found: {p}; fix the path, or "" for none')
        return p
