"""Composition of notifications, metrics and the health file for one process.

``Runtime.build(cfg, ledger)`` makes the channels, the background dispatcher, the metrics
(served on ``metrics.listen`` and/or written to ``metrics.textfile``) and the Monitor; the
daemon and ``--poll-now`` wrap their poll with ``runtime.poll(...)`` and call ``close()``
at the end (which waits a few seconds for queued notices, never longer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bridge.alerts.channels import build_channels
from bridge.alerts.dispatch import Dispatcher, Result
from bridge.alerts.monitor import Monitor, portal_base
from bridge.healthfile import health_path
from bridge.metrics import MeteredCrm, Metrics, metered_factory

log = logging.getLogger(__name__)

CLOSE_WAIT = 5.0  # seconds the process waits at exit for notices still queued


@dataclass
class Runtime:
    monitor: Monitor
    dispatcher: Dispatcher
    metrics: Metrics | None

    @classmethod
    def build(
        cls, cfg: Any, ledger: Any, *, serve: bool = True, dispatcher: Dispatcher | None = None
    ) -> Runtime:
        metrics = Metrics() if (cfg.metrics.listen or cfg.metrics.textfile) else None
        if dispatcher is None:
            dispatcher = Dispatcher(build_channels(cfg.notify))
        if metrics is not None:
            m = metrics

            def count(_notice: Any, result: Result) -> None:
                m.notifications.labels(result.channel, result.outcome).inc()

            dispatcher.on_result = count
        dispatcher.start()
        monitor = Monitor(
            cfg.notify, ledger, send=dispatcher.submit, metrics=metrics,
            health_file=health_path(Path(cfg.store.path)), textfile=cfg.metrics.textfile,
            portal=portal_base(cfg.bitrix24.webhook_url),
        )
        runtime = cls(monitor, dispatcher, metrics)
        if serve and metrics is not None and cfg.metrics.address is not None:
            host, port = cfg.metrics.address
            metrics.serve(host, port)
        return runtime

    def reconfigure(self, cfg: Any) -> None:
        """A reloaded config: new channels and notification settings (metrics.listen stays)."""
        self.dispatcher.set_channels(build_channels(cfg.notify))
        m = self.monitor
        m.notify = cfg.notify
        m.alarms.repeat = timedelta(minutes=cfg.notify.repeat_minutes)
        m.portal = portal_base(cfg.bitrix24.webhook_url)
        m.textfile = cfg.metrics.textfile

    def crm(self, crm: Any) -> Any:
        return crm if self.metrics is None else MeteredCrm(crm, self.metrics)

    def mailbox_factory(self, factory: Callable[[], Any]) -> Callable[[], Any]:
        return factory if self.metrics is None else metered_factory(factory, self.metrics)

    def poll(self, run: Callable[[], Any]) -> Any:
        """Run one poll and tell the monitor what happened (also when it raised)."""
        started = self.monitor.clock()
        report = error = None
        try:
            report = run()
            return report
        except BaseException as exc:  # kept for the monitor (finally below), then re-raised
            error = exc
            raise
        finally:
            self.monitor.poll_finished(report, error, started)

    def close(self, wait: float = CLOSE_WAIT) -> None:
        self.dispatcher.close(timeout=wait)
        if self.metrics is not None:
            self.metrics.close()
