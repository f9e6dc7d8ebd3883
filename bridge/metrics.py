"""Prometheus metrics (prometheus-client): what the daemon did, served and/or written to a file.

One ``Metrics`` object owns its own registry (no global state, so tests can make several).
``serve(host, port)`` starts the HTTP endpoint (``metrics.listen``), ``write_textfile(path)``
writes the node_exporter textfile atomically. No label carries client data: skip reasons
are mapped onto a fixed set, CRM methods and error classes are code names.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, write_to_textfile
from prometheus_client.exposition import start_http_server

from bridge.errors import (
    ConfigError,
    CrmRejected,
    CrmSetupError,
    CrmTemporary,
    CrmUnknownOutcome,
)

log = logging.getLogger(__name__)

SKIP_REASONS = (
    "bounce", "auto-reply", "bulk mail", "system notice", "empty form", "spam",
    "not a form", "sender not in filter.senders", "double click",
)
LATENCY_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 3 * 3600, 12 * 3600, 86400)
STATES = ("received", "parsed", "pushing", "created", "duplicate", "skipped", "failed",
          "quarantined")


def skip_label(reason: str | None) -> str:
    """A fixed label for a skip reason (free text never becomes a label)."""
    text = (reason or "").strip().lower()
    for known in SKIP_REASONS:
        if text == known or text.startswith(known):
            return known.replace(" ", "_").replace("-", "_").replace(".", "_")
    return "other"


def error_class(exc: BaseException) -> str:
    for cls, name in (
        (CrmTemporary, "temporary"), (CrmUnknownOutcome, "unknown_outcome"),
        (CrmRejected, "rejected"), (CrmSetupError, "setup"),
    ):
        if isinstance(exc, cls):
            return name
    return "other"


class Metrics:
    """Every metric of the bridge, in one registry."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.leads_created = Counter("mailbridge_leads_created_total",
                                     "Leads created in Bitrix24", registry=r)
        self.skipped = Counter("mailbridge_messages_skipped_total",
                               "Messages that became no lead, by reason", ["reason"], registry=r)
        self.duplicates = Counter("mailbridge_duplicates_total",
                                  "Double clicks recorded as duplicates", registry=r)
        self.quarantined = Counter("mailbridge_messages_quarantined_total",
                                   "Messages quarantined (a person must look)", registry=r)
        self.unrecognised = Counter("mailbridge_messages_unrecognised_total",
                                    "Form e-mails whose layout was not recognised", registry=r)
        self.waiting = Gauge("mailbridge_messages_waiting",
                             "Messages waiting for a retry", registry=r)
        self.states = Gauge("mailbridge_ledger_messages", "Ledger rows per state", ["state"],
                            registry=r)
        self.crm_requests = Counter("mailbridge_crm_requests_total",
                                    "Bitrix24 requests, by method", ["method"], registry=r)
        self.crm_errors = Counter("mailbridge_crm_errors_total",
                                  "Bitrix24 request failures, by class", ["class"], registry=r)
        self.imap_reconnects = Counter("mailbridge_imap_reconnects_total",
                                       "IMAP connections opened after the first", registry=r)
        self.last_success = Gauge("mailbridge_last_successful_poll_timestamp_seconds",
                                  "Unix time of the last successful poll", registry=r)
        self.blocked = Gauge("mailbridge_blocked",
                             "1 while the portal is blocked (a portal-wide setup error)",
                             registry=r)
        self.latency = Histogram("mailbridge_push_latency_seconds",
                                 "From the mail's arrival to its lead in Bitrix24",
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.notifications = Counter("mailbridge_notifications_total",
                                     "Notifications by channel and outcome",
                                     ["channel", "outcome"], registry=r)
        self.alarms = Gauge("mailbridge_alarms_active", "Active alarms by kind", ["kind"],
                            registry=r)
        self._server: Any = None
        self._imap_connects = 0

    # -- feeding ---------------------------------------------------------------------

    def imap_connected(self) -> None:
        self._imap_connects += 1
        if self._imap_connects > 1:
            self.imap_reconnects.inc()

    def set_states(self, counts: dict[str, int]) -> None:
        for state in STATES:
            self.states.labels(state).set(counts.get(state, 0))

    # -- exposing --------------------------------------------------------------------

    def serve(self, host: str, port: int) -> tuple[str, int]:
        """Start the HTTP endpoint in a thread; returns the bound address."""
        try:
            server, _thread = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            raise ConfigError(f"metrics.listen: cannot listen on {host}:{port} "
                              f"({exc.strerror}); choose a free port", key="metrics.listen"
                              ) from None
        self._server = server
        bound = server.server_address
        log.info("metrics.listening address=%s port=%s", bound[0], bound[1])
        return str(bound[0]), int(bound[1])

    def write_textfile(self, path: Path) -> None:
        try:
            write_to_textfile(str(path), self.registry)
        except OSError as exc:
            log.warning("metrics.textfile_failed path=%s error=%s", path, exc.strerror)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class MeteredCrm:
    """Wraps a Crm (bridge.pipeline.Crm) and counts each request and failure by class."""

    _NOT_REQUESTS = frozenset({"close"})

    def __init__(self, inner: Any, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        """Every public method of the client is a request (labelled by its name)."""
        value = getattr(self._inner, name)
        if name.startswith("_") or name in self._NOT_REQUESTS or not inspect.ismethod(value):
            return value
        return self._counted(name, value)

    def _counted(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._metrics.crm_requests.labels(name).inc()
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # counted by its class, then re-raised unchanged
                self._metrics.crm_errors.labels(error_class(exc)).inc()
                raise

        return call


def metered_factory(factory: Callable[[], Any], metrics: Metrics) -> Callable[[], Any]:
    """A mailbox factory that counts connections (each after the first is a reconnect)."""

    def connect() -> Any:
        mailbox = factory()
        metrics.imap_connected()
        return mailbox

    return connect
