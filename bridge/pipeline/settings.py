"""The config values the pipeline uses: one frozen value, built once from the config."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bridge.leads import LeadSettings
from bridge.model import ParseOptions
from bridge.routes import CrmConfig, Route

BATCH_MAX = 50  # text-only leads (and deals) per batch call
FINISH_CHUNK = 200  # mailbox updates per MOVE/STORE command


@dataclass(frozen=True, slots=True)
class Settings:
    """The config values the pipeline uses."""

    folder: str = "INBOX"
    processed_folder: str = ""
    since_days: int = 7
    file_field: str = "auto"  # attachments.field: "auto", "UF_CRM_…" or "" (bridge.filefield)
    health_interval: float = 300.0  # the lead fields are read again after this many seconds
    lead: LeadSettings = field(default_factory=LeadSettings)
    parse: ParseOptions = field(default_factory=ParseOptions)
    senders: tuple[str, ...] = ()
    dedupe_window: timedelta = timedelta(minutes=10)
    max_attempts: int = 5
    backoff_base: float = 30.0
    backoff_cap: float = 1800.0
    unknown_wait: float = 30.0  # after an unknown outcome, wait this long before sending again
    batch: bool = True
    # an unknown outcome is looked up only this long after the request's last byte was sent
    max_request_seconds: float = 60.0
    crm: CrmConfig = field(default_factory=CrmConfig)  # [crm] (bridge.crm_target)
    routes: tuple[Route, ...] = ()  # [[routes]]
