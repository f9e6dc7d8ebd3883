"""The config file's vocabulary: its sections and keys, the environment variables and
systemd credentials that override secrets, and the shapes a value must have."""

from __future__ import annotations

import re

from bridge.config.notify_values import METRICS_KEYS, NOTIFY_KEYS
from bridge.routes import FIELD_NAME_RE

ENV_IMAP_PASSWORD = "BRIDGE_IMAP_PASSWORD"
ENV_WEBHOOK_URL = "BITRIX24_WEBHOOK_URL"
ENV_RESPONSIBLE_USER_ID = "BITRIX24_RESPONSIBLE_USER_ID"
CREDENTIAL_IMAP_PASSWORD = "imap-password"  # $CREDENTIALS_DIRECTORY/<name> (systemd)
CREDENTIAL_WEBHOOK_URL = "webhook-url"
OFFLINE_WEBHOOK_URL = "https://offline.invalid/rest/1/XXXXXXXXXXXXXXXX/"  # offline commands

SECURITY_MODES = ("ssl", "starttls", "plain")
UNRECOGNISED_MODES = ("lead", "quarantine")  # parsing.unrecognised (SPEC §3)
LABEL_CANONICALS = ("name", "phone", "email", "message")
# lead fields the bridge fills itself; a form label must not overwrite them
RESERVED_LEAD_FIELDS = frozenset(
    {"ID", "ORIGIN_ID", "ORIGINATOR_ID", "ASSIGNED_BY_ID", "PHONE", "EMAIL", "STATUS_ID"}
)
LEAD_FIELD_RE = FIELD_NAME_RE  # "COMPANY_TITLE", "UF_CRM_CITY" (one pattern, bridge.routes)
FILE_FIELD_RE = re.compile(r"^UF_CRM_[A-Z0-9_]+$")
SENDER_RE = re.compile(r"^[^@\s]*@[^@\s.][^@\s]*$")  # "forms@site.ru" or "@site.ru"
EXTENSION_RE = re.compile(r"^[a-z0-9][a-z0-9_+-]*$")
REGION_RE = re.compile(r"^[A-Z]{2}$")
STAGE_RE = re.compile(r"^[A-Za-z0-9_:-]+$")

CRM_KEYS = ("target", "repeat", "category_id", "stage_id", "assign_to_contact_owner")
KEYS: dict[str, tuple[str, ...]] = {
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
    "store": ("path", "keep_days", "url", "url_file", "takeover_seconds"),
    "notify": NOTIFY_KEYS,
    "metrics": METRICS_KEYS,
    "ui": ("language",),
    "crm": CRM_KEYS,
}  # fmt: skip
ROUTES_TABLE = "routes"  # [[routes]]: an array of tables (bridge.config.routing)
MAILBOX_TABLE = "mailboxes"  # [[mailboxes]] (bridge.config.mailboxes)
ARRAYS = (ROUTES_TABLE, MAILBOX_TABLE)
PORTAL_TABLE = "bitrix24"
IMAP_SECRET_KEYS = ("password", "password_file")
PORTAL_SECRET_KEYS = ("webhook_url", "webhook_url_file")


def section_of(key: str) -> str | None:
    """The section a bare key belongs to ("host" -> "imap"), for a 'did you mean'."""
    return next((section for section, keys in KEYS.items() if key in keys), None)
