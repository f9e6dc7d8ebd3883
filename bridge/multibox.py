"""Several mailboxes in one process (``[[mailboxes]]``, SPEC §2).

Each mailbox is served exactly like the single mailbox of a plain config: its own pipeline,
its own IDLE connection and poll worker (a ``bridge.daemon.Daemon`` of its own, in threads of
this process) and its own SQLite ledger beside ``store.path`` (``bridge.db`` ->
``bridge.<name>.db``, with its own lock), so a mailbox whose server is down or refuses the
login only fails its own polls and retries them on its own schedule; the others never wait
for it. Requests to one portal share one client-side rate limit (``LeakyBucket``), keyed by
the portal's host, whichever mailboxes send to it: the portal's limit is per portal, not per
mailbox.

``--poll-now``, ``check``, ``status`` and ``retry`` go over every mailbox in turn
(bridge.multicommands); their exit codes combine as SPEC §1 says (78, then 69, then 75, then 65).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bridge.config import MailboxConfig
from bridge.errors import ConfigError, CrmSetupError, MailboxError, MailboxRejected
from bridge.model import PollReport
from bridge.ratelimit import LeakyBucket

log = logging.getLogger(__name__)

EXIT_ORDER = (78, 69, 75, 65)  # SPEC §1: when several apply
STOP_JOIN = 9.0  # seconds the main thread waits for the mailboxes at shutdown (all at once)


def ledger_path(store_path: Path, name: str) -> Path:
    """``/var/lib/mailbridge/bridge.db`` -> ``/var/lib/mailbridge/bridge.<name>.db``."""
    return store_path.with_name(f"{store_path.stem}.{name}{store_path.suffix or '.db'}")


def pg_schema(name: str) -> str:
    """The PostgreSQL schema of mailbox ``name``'s ledger when ``store.url`` is set."""
    return "mailbridge_" + name.replace("-", "_")


def mailbox_config(cfg: Any, box: MailboxConfig) -> Any:
    """The single-mailbox Config one mailbox runs with (its IMAP, portal and ledger)."""
    store = dataclasses.replace(
        cfg.store, path=ledger_path(Path(cfg.store.path), box.name),
        schema=pg_schema(box.name) if cfg.store.url else "",
    )
    # Metrics carry no mailbox label yet: N mailboxes would overwrite one another's series.
    metrics = dataclasses.replace(cfg.metrics, listen="", textfile=None)
    return dataclasses.replace(
        cfg, imap=box.imap, bitrix24=box.bitrix24, store=store, metrics=metrics, mailboxes=(),
        routes=(*box.routes, *cfg.routes),  # the mailbox's own routes are tried first
    )


def per_mailbox(cfg: Any) -> list[tuple[MailboxConfig, Any]]:
    return [(box, mailbox_config(cfg, box)) for box in cfg.mailboxes]


def combine(codes: list[int]) -> int:
    """One exit code for several runs: 78, then 69, then 75, then 65, then 0 (1 first)."""
    if 1 in codes:
        return 1
    for code in EXIT_ORDER:
        if code in codes:
            return code
    return 0


def portal_key(webhook_url: str) -> str:
    """The portal a webhook belongs to: its host (and port), lower-case."""
    parts = urlsplit(webhook_url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


class PortalBuckets:
    """One client-side rate limit per portal host, shared by every mailbox that sends there."""

    def __init__(self) -> None:
        self._buckets: dict[str, LeakyBucket] = {}
        self._lock = threading.Lock()

    def for_portal(self, b: Any) -> LeakyBucket:
        """The bucket of ``b``'s portal (made from the first settings seen for that host)."""
        key = portal_key(b.webhook_url)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = LeakyBucket(b.rate_per_second, b.burst)
            elif (bucket.rate, bucket.burst) != (b.rate_per_second, b.burst):
                log.warning(
                    "portal.rate_differs portal=%s kept_rate=%s kept_burst=%s", key,
                    bucket.rate, bucket.burst,
                )
            return bucket

    def __len__(self) -> int:
        return len(self._buckets)


# -- the daemon ---------------------------------------------------------------------------


class _Unit:
    """One mailbox's pipeline, ledger, lock, runtime and poll daemon.

    On SQLite the unit holds its lock from start to exit. On PostgreSQL (``store.url``) it
    serves in terms: it waits for the mailbox's lease (a standby), opens the ledger and works
    until the lease is lost or the process stops, closes everything and waits again
    (bridge.lease)."""

    def __init__(self, box: MailboxConfig, cfg: Any, buckets: PortalBuckets) -> None:
        from bridge.app import LOCK_WAIT, lock_for
        from bridge.refusal import Refusal

        self.box = box
        self.cfg = cfg
        self.refusal = Refusal(cfg.imap.poll_interval, name=box.name)  # a refused box waits
        self.buckets = buckets
        self.stop = threading.Event()  # the process stops
        self.term = threading.Event()  # this term ends (the process stops, or the lease is lost)
        self.lock: Any = lock_for(cfg)  # a PgProcessorLock (with its fence) when leased
        self.leased = bool(cfg.store.url)
        self.inherited: datetime | None = None  # a term's take: when inherited rows count as sent
        self.app: Any = None  # this term's bridge.app.MailboxApp
        self.ledger: Any = None
        self.runtime: Any = None
        self.pipeline: Any = None
        self.health: Any = None
        self.reloader: Any = None
        self.daemon: Any = None
        self.thread: threading.Thread | None = None
        self.hung_after: float | None = None  # the daemon's hung-poll bound (None: HUNG_AFTER)
        self.last_error: str | None = None
        self._closing = threading.Lock()
        if not self.leased:
            self.lock.acquire(wait=LOCK_WAIT)
            try:
                self._open()
            except BaseException:  # not opened (even interrupted): free the lock, then re-raise
                self.lock.release()
                raise

    def _open(self) -> None:
        """This term's parts, wired by the composition root (bridge.app.MailboxApp)."""
        from bridge.app import MailboxApp
        from bridge.reload import Reloader

        self.app = MailboxApp(
            self.cfg, self.lock, serve=False, stop=self.term, refusal=self.refusal,
            check_first=True, bucket=self.buckets.for_portal(self.cfg.bitrix24),
            inherited=self.inherited, session=False,
        )  # fmt: skip
        self.ledger, self.runtime = self.app.ledger, self.app.runtime
        self.pipeline, self.health = self.app.pipeline, self.app.health
        self.reloader = Reloader(self.cfg, load=self._load, apply=self._apply,
                                 alarms=self.runtime.monitor.alarms)

    def _load(self, path: Any) -> Any:
        """SIGHUP: this mailbox's view of the re-read file (its secrets read again). The set of
        mailboxes changes only on a restart: a mailbox gone from the file keeps its config."""
        from bridge.app import reload_config

        new = reload_config(path)
        for box in new.mailboxes:
            if box.name == self.box.name:
                return mailbox_config(new, box)
        log.warning("reload.kept mailbox=%s (no longer in the file; it goes with a restart)",
                    self.box.name)
        return self.cfg

    def _apply(self, new: Any) -> None:
        self.app.apply(new)  # a ConfigError here leaves all as it was
        self.cfg, self.pipeline, self.health = new, self.app.pipeline, self.app.health

    def poll(self) -> PollReport:
        from bridge.app import record_poll

        def once() -> PollReport:
            report: PollReport | None = None
            try:
                report = self.health.run_pass(self.pipeline)
                return report
            finally:
                record_poll(self.ledger, report)

        try:
            report: PollReport = self.runtime.poll(once)
        except (MailboxRejected, ConfigError, CrmSetupError) as exc:
            # Fatal for a single-mailbox daemon; here it is this mailbox's problem only: it is
            # logged at error priority and retried at the next poll, the others run on.
            self.last_error = f"{type(exc).__name__}"
            log.error("mailbox.failed mailbox=%s error=%s", self.box.name,
                      " ".join(str(exc).split()))
            raise MailboxError(f"mailbox {self.box.name}: {type(exc).__name__}") from exc
        self.last_error = None
        return report

    def idle_factory(self) -> Any:
        from bridge.app import connect_imap

        return connect_imap(self.cfg.imap, select=True)

    def next_due(self) -> float | None:
        when = self.ledger.next_attempt()
        return None if when is None else (when - datetime.now(UTC)).total_seconds()

    def start(self) -> None:
        self.thread = threading.Thread(target=self._serve, name=f"mailbox-{self.box.name}",
                                       daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        """SQLite: one term until the process stops. PostgreSQL: wait for the lease, work
        while it is held, and wait again after losing it (bridge.ownership.serve_leased)."""
        from bridge.ownership import serve_leased

        if not self.leased:
            self._run_term()
            return
        serve_leased(self)

    def _run_term(self) -> None:
        from bridge.daemon import HUNG_AFTER, Daemon
        from bridge.notify import Notifier

        cfg = self.cfg
        if self.stop.is_set():
            self.term.set()
        self.daemon = Daemon(
            self.poll,
            interval=cfg.imap.poll_interval,
            idle_factory=self.idle_factory if cfg.imap.idle else None,
            idle_refresh=cfg.imap.idle_refresh,
            notifier=Notifier.disabled(),  # the process talks to systemd, not each mailbox
            stop=self.term,
            health_interval=cfg.bitrix24.health_interval,
            describe=lambda: self.health.status_line() or self.refusal.status_line(),
            ticker=self.runtime.monitor.tick,
            reloader=self.reloader.reload,
            next_due=self.next_due,
            hung_after=HUNG_AFTER if self.hung_after is None else self.hung_after,
        )
        if self.leased:  # the lease is renewed only while this mailbox's poll is not hung
            from bridge.ownership import hold_while

            hold_while(self.lock, self.daemon.alive)
        self.daemon.run()

    def halt(self) -> None:
        """The process stops: end the current term and any wait for the lease."""
        self.stop.set()
        self.term.set()

    def status(self) -> str:
        if self.leased and self.pipeline is None:
            return f"{self.box.name}: standby (another daemon owns it)"
        if self.last_error:
            return f"{self.box.name}: failing ({self.last_error})"
        if self.refusal.refused:
            return f"{self.box.name}: mailbox refused ({self.refusal.error.partition(':')[0]})"
        blocked = self.health.status_line() if self.health.reason else None
        return f"{self.box.name}: {'blocked' if blocked else 'ok'}"

    def _close_term(self) -> None:
        """Close what a term opened (once), and give the lease back."""
        with self._closing:
            pipeline, runtime, ledger = self.pipeline, self.runtime, self.ledger
            self.pipeline = self.runtime = self.ledger = self.app = None
            busy = self.daemon is not None and self.daemon.busy
            try:
                if pipeline is not None:
                    pipeline.close()
            finally:
                try:
                    if runtime is not None:
                        runtime.close(wait=1.0)
                finally:
                    try:
                        if ledger is not None and not busy:  # an abandoned request keeps it
                            ledger.close()
                    finally:
                        self.lock.release()

    def close(self) -> None:
        self.halt()
        if self.leased and self.thread is not None and self.thread.is_alive():
            self.thread.join(timeout=2.0)
        self._close_term()


def run_many(cfg: Any, stop: threading.Event | None = None) -> int:
    """The daemon for a ``[[mailboxes]]`` config: one unit per mailbox until SIGTERM/SIGINT."""
    import signal

    from bridge.daemon import install_signal_handlers
    from bridge.notify import Notifier

    units: list[_Unit] = []
    if stop is None:
        stop = threading.Event()
        install_signal_handlers(stop)

        def hangup(_signum: int, _frame: Any) -> None:
            # each mailbox's worker re-reads the file between two of its polls (SPEC §6);
            # the set of mailboxes and the store change only on a restart
            for unit in units:
                if unit.daemon is not None:
                    unit.daemon.reload_requested.set()
                    unit.daemon.wake.set()

        signal.signal(signal.SIGHUP, hangup)
    if cfg.metrics.listen or cfg.metrics.textfile:
        log.warning("metrics.off mailboxes=%s (metrics.listen and metrics.textfile serve a "
                    "single mailbox only for now)", len(cfg.mailboxes))
    notifier = Notifier.from_env()
    buckets = PortalBuckets()
    try:
        for box, box_cfg in per_mailbox(cfg):
            units.append(_Unit(box, box_cfg, buckets))
        for unit in units:
            unit.start()
        notifier.ready(f"{len(units)} mailboxes")
        log.info("daemon.started mailboxes=%s portals=%s", len(units), len(buckets))
        _main_loop(stop, notifier, units)
        notifier.stopping()
        log.info("daemon.stopping")
        for unit in units:
            unit.halt()
        end = time.monotonic() + STOP_JOIN  # the units stop in parallel
        for unit in units:
            if unit.thread is not None:
                unit.thread.join(timeout=max(0.0, end - time.monotonic()))
        log.info("daemon.stopped mailboxes=%s", len(units))
        return 0
    finally:
        for unit in units:
            unit.halt()
            try:
                unit.close()
            except Exception:  # one mailbox's cleanup must not keep the others open; logged
                log.exception("mailbox.close_failed mailbox=%s", unit.box.name)


def _main_loop(stop: threading.Event, notifier: Any, units: list[_Unit]) -> None:
    """Systemd's watchdog and STATUS line for the whole process, until ``stop``."""
    wd = notifier.watchdog_interval
    last_status = ""
    while not stop.wait(min(1.0, wd / 2) if wd else 1.0):
        notifier.watchdog()
        text = "; ".join(u.status() for u in units)
        if text != last_status:
            notifier.status(text)
            last_status = text
