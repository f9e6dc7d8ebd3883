"""Bitrix24 inbound-webhook client: the only package that speaks to the portal.

In layers, each importing only the ones above it in this list:

* ``wire``      request encoding: JSON bodies, ``batch`` query strings, file values (pure);
* ``answers``   what an answer or a failure means on the error tree (pure);
* ``transport`` session, TLS, overall deadline, rate limit, operating time, retries;
* ``client``    the methods: leads, batch, look-ups, timeline comments, portal checks.

Webhook parsing, masking and log redaction live in :mod:`bridge.secrets`. Every name
this package exported as a single module is re-exported here.
"""

from __future__ import annotations

from bridge.crm.answers import (
    RECORD_CODES,
    RECORD_METHODS,
    SETUP_CODES,
    TEMPORARY_CODES,
    UNKNOWN_CODES,
    classify_error,
    is_record_answer,
)
from bridge.crm.client import BATCH_MAX, BatchResult, Bitrix24Client
from bridge.crm.transport import CONNECT_TIMEOUT
from bridge.crm.wire import FileContent, file_values, json_body, php_query
from bridge.secrets import (
    CONFIG_KEY,
    RedactingFilter,
    WebhookUrl,
    install_log_redaction,
    parse_webhook_url,
    redact,
    redact_url,
)

__all__ = [
    "BATCH_MAX",
    "CONFIG_KEY",
    "CONNECT_TIMEOUT",
    "RECORD_CODES",
    "RECORD_METHODS",
    "SETUP_CODES",
    "TEMPORARY_CODES",
    "UNKNOWN_CODES",
    "BatchResult",
    "Bitrix24Client",
    "FileContent",
    "RedactingFilter",
    "WebhookUrl",
    "classify_error",
    "file_values",
    "install_log_redaction",
    "is_record_answer",
    "json_body",
    "parse_webhook_url",
    "php_query",
    "redact",
    "redact_url",
]
