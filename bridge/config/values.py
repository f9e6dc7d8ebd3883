"""The frozen values the program reads (SPEC §2), and the one place their defaults live.

Every default is written once, here: as the dataclass field, or as a named constant when
something else needs it too (the loader's hints, the lead builder, the port that follows
``imap.security``). The loader (:mod:`bridge.config.loader`) only reads and validates; it
takes its defaults from these classes. ``config.toml.example`` and the README's table document
the same values; tests/test_config.py and tests/test_config_defaults.py keep them equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bridge.config.notify_values import MetricsConfig, NotifyConfig
from bridge.model import DEFAULT_ALLOWED_EXTENSIONS, MB, ParseOptions
from bridge.routes import CrmConfig, Route

IMAP_SSL_PORT = 993  # imap.port when imap.security = "ssl"
IMAP_PLAIN_PORT = 143  # imap.port with "starttls" or "plain"
DEFAULT_FOLDER = "INBOX"
DEFAULT_TITLE = "Заявка с сайта - {name}"  # bitrix24.title; the lead builder's default too
DEFAULT_SOURCE_ID = "WEB"
DEFAULT_RESPONSIBLE_USER_ID = 1
DEFAULT_STORE_PATH = "bridge.db"


@dataclass(frozen=True, slots=True)
class ImapConfig:
    host: str = ""
    port: int = IMAP_SSL_PORT
    security: str = "ssl"  # "ssl" | "starttls" | "plain"
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: Path | None = None
    folder: str = DEFAULT_FOLDER
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
    responsible_user_id: int = DEFAULT_RESPONSIBLE_USER_ID
    source_id: str = DEFAULT_SOURCE_ID
    source_description: str = ""
    title: str = DEFAULT_TITLE
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
    path: Path = Path(DEFAULT_STORE_PATH)
    keep_days: int = 180  # finished rows keep the client's data this long
    # "" = the SQLite ledger at path; else a postgresql+psycopg URL (a secret: bridge.storeurl)
    url: str = field(default="", repr=False)
    schema: str = ""  # with url and [[mailboxes]]: the mailbox's own schema (bridge.multibox)
    takeover_seconds: float = 60.0  # with url: a dead owner's mailbox is taken over (bridge.lease)


@dataclass(frozen=True, slots=True)
class UiConfig:
    language: str = "auto"  # "auto" (from the locale), "ru" or "en" (bridge.i18n)


@dataclass(frozen=True, slots=True)
class MailboxConfig:
    """One mailbox and the portal its enquiries go to (``[[mailboxes]]``)."""

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
        """What the parser needs of the config."""
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
