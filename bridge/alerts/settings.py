"""The ``[notify]`` and ``[metrics]`` sections (SPEC §2), as the alerts package reads them.

Their values live in :mod:`bridge.config.notify_values` and their reader in
:mod:`bridge.config.notify`, in the config layer: the config package does not import the alerts
package. This module keeps ``from bridge.alerts.settings import NotifyConfig`` working.
"""

from __future__ import annotations

from bridge.config.notify import load_metrics, load_notify
from bridge.config.notify_values import (
    CHANNELS,
    CREDENTIAL_NOTIFY_WEBHOOK,
    CREDENTIAL_SMTP_PASSWORD,
    CREDENTIAL_TELEGRAM_PROXY,
    CREDENTIAL_TELEGRAM_TOKEN,
    EMAIL_KEYS,
    ENV_NOTIFY_WEBHOOK,
    ENV_SMTP_PASSWORD,
    ENV_TELEGRAM_PROXY,
    ENV_TELEGRAM_TOKEN,
    METRICS_KEYS,
    NOTIFY_KEYS,
    OFFLINE_SECRETS,
    TELEGRAM_KEYS,
    WEBHOOK_KEYS,
    EmailConfig,
    MetricsConfig,
    NotifyConfig,
    TelegramConfig,
    WebhookConfig,
)

__all__ = [
    "CHANNELS",
    "CREDENTIAL_NOTIFY_WEBHOOK",
    "CREDENTIAL_SMTP_PASSWORD",
    "CREDENTIAL_TELEGRAM_PROXY",
    "CREDENTIAL_TELEGRAM_TOKEN",
    "EMAIL_KEYS",
    "ENV_NOTIFY_WEBHOOK",
    "ENV_SMTP_PASSWORD",
    "ENV_TELEGRAM_PROXY",
    "ENV_TELEGRAM_TOKEN",
    "METRICS_KEYS",
    "NOTIFY_KEYS",
    "OFFLINE_SECRETS",
    "TELEGRAM_KEYS",
    "WEBHOOK_KEYS",
    "EmailConfig",
    "MetricsConfig",
    "NotifyConfig",
    "TelegramConfig",
    "WebhookConfig",
    "load_metrics",
    "load_notify",
]
