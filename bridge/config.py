"""The TOML config file -> a frozen, always-valid Config (SPEC §2).

``load(path, env=os.environ) -> Config`` reads and validates everything once at start-up.
Every error is a ConfigError naming the key and, where it can, the line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bridge.model import DEFAULT_ALLOWED_EXTENSIONS, MB, ParseOptions


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


@dataclass(frozen=True, slots=True)
class AttachmentsConfig:
    field: str = "UF_CRM_TASK"
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


@dataclass(frozen=True, slots=True)
class RetryConfig:
    max_attempts: int = 5  # for "this message is bad" failures, then quarantine
    backoff_base: float = 30.0  # seconds, doubled per attempt, with jitter
    backoff_cap: float = 1800.0  # 30 minutes


@dataclass(frozen=True, slots=True)
class StoreConfig:
    path: Path = Path("bridge.db")


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
    source_path: Path | None = None  # the file it was loaded from

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
        )


def load(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, validate and freeze the config file. Raises ConfigError."""
    raise NotImplementedError  # filled in by the config work
    _ = os.environ if env is None else env
