"""The TOML config file -> a frozen, always-valid Config (SPEC §2).

``load(path, env=os.environ) -> Config`` reads and validates everything once at start-up;
every error is a ConfigError naming the key and, where it can, the line.

The package keeps what the program reads apart from how it is read:

* ``values``: the frozen value classes, and the one place every default lives;
* ``keys``: the file's vocabulary (sections, keys, environment variables, credentials,
  the shapes of values);
* ``loader``: the walk over the file (``load``); ``source`` reads the file and finds the line
  of each key, ``section`` reads one table with typed getters;
* ``connections`` (``[imap]``, ``[bitrix24]``), ``sections`` (the other simple sections),
  ``routing`` (``[crm]``, ``[[routes]]``), ``mailboxes`` (``[[mailboxes]]``), ``notify``
  (``[notify]``, ``[metrics]``; their values in ``notify_values``, re-exported by
  ``bridge.alerts.settings``) and ``secret_values`` (environment overrides, ``*_file`` keys,
  systemd credentials);
* ``reader``: the Protocol those section readers see the loader through, so that none of
  them imports the loader back.
"""

from __future__ import annotations

from bridge.config.keys import (
    CREDENTIAL_IMAP_PASSWORD,
    CREDENTIAL_WEBHOOK_URL,
    ENV_IMAP_PASSWORD,
    ENV_RESPONSIBLE_USER_ID,
    ENV_WEBHOOK_URL,
    LABEL_CANONICALS,
    OFFLINE_WEBHOOK_URL,
    RESERVED_LEAD_FIELDS,
    SECURITY_MODES,
    UNRECOGNISED_MODES,
)
from bridge.config.keys import KEYS as _KEYS
from bridge.config.loader import Loader as _Loader
from bridge.config.loader import load
from bridge.config.notify_values import MetricsConfig, NotifyConfig
from bridge.config.section import Section as _Section
from bridge.config.section import show as _show
from bridge.config.source import key_lines as _key_lines
from bridge.config.values import (
    AttachmentsConfig,
    Bitrix24Config,
    Config,
    DedupeConfig,
    FilterConfig,
    ImapConfig,
    MailboxConfig,
    ParsingConfig,
    RetryConfig,
    StoreConfig,
    UiConfig,
)
from bridge.errors import ConfigError
from bridge.hosts import is_loopback_host
from bridge.routes import CrmConfig, Route
from bridge.secrets import mask_webhook_url

__all__ = [
    "CREDENTIAL_IMAP_PASSWORD",
    "CREDENTIAL_WEBHOOK_URL",
    "ENV_IMAP_PASSWORD",
    "ENV_RESPONSIBLE_USER_ID",
    "ENV_WEBHOOK_URL",
    "LABEL_CANONICALS",
    "OFFLINE_WEBHOOK_URL",
    "RESERVED_LEAD_FIELDS",
    "SECURITY_MODES",
    "UNRECOGNISED_MODES",
    "_KEYS",
    "AttachmentsConfig",
    "Bitrix24Config",
    "Config",
    "ConfigError",
    "CrmConfig",
    "DedupeConfig",
    "FilterConfig",
    "ImapConfig",
    "MailboxConfig",
    "MetricsConfig",
    "NotifyConfig",
    "ParsingConfig",
    "RetryConfig",
    "Route",
    "StoreConfig",
    "UiConfig",
    "_Loader",
    "_Section",
    "_key_lines",
    "_show",
    "is_loopback_host",
    "load",
    "mask_webhook_url",
]
