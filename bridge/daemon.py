"""The daemon: when to poll, and how to stop.

* APScheduler fires the scheduled poll every ``poll_interval`` (the safety net) and the
  systemd watchdog heartbeat;
* an IDLE watcher thread holds its own IMAP connection and wakes a poll as soon as the
  server announces new mail, re-issuing IDLE at least every ``idle_refresh`` seconds and
  reconnecting with backoff after drops;
* one worker thread runs the polls one at a time, so a wake-up during a poll is never
  lost (it simply runs the next poll right after);
* SIGTERM/SIGINT only set a flag (nothing else is safe in a signal handler); the main
  thread then stops the scheduler and waits a few seconds for the current message. A
  request still in flight is abandoned and reconciled by ORIGIN_ID at the next start.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from bridge.errors import (
    BridgeError,
    ConfigError,
    CrmSetupError,
    LedgerCorrupt,
    LockHeld,
    MailboxError,
    MailboxRejected,
)
from bridge.model import PollReport
from bridge.notify import Notifier

if TYPE_CHECKING:
    from bridge.app import MailboxApp
    from bridge.config import Config

log = logging.getLogger(__name__)

STOP_GRACE = 8.0  # seconds the main thread waits for the current message at shutdown
HUNG_AFTER = 600.0  # a poll running longer than this is hung: no watchdog pings, no lease


class Daemon:
    """Runs ``poll`` on schedule and on IDLE wake-ups until ``stop`` is set."""

    def __init__(
        self,
        poll: Callable[[], PollReport],
        *,
        interval: float,
        idle_factory: Callable[[], Any] | None,
        idle_refresh: float,
        notifier: Notifier,
        stop: threading.Event,
        health_interval: float | None = None,
        describe: Callable[[], str | None] | None = None,
        ticker: Callable[[], None] | None = None,
        tick_interval: float = 30.0,
        reloader: Callable[[], Any] | None = None,
        next_due: Callable[[], float | None] | None = None,
        hung_after: float = HUNG_AFTER,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.poll = poll
        self.hung_after = hung_after  # a poll running longer is hung (poll_hung)
        self.monotonic = monotonic
        self.next_due = next_due  # seconds until a waiting message is due (None: none)
        self.interval = interval
        self.idle_factory = idle_factory
        self.idle_refresh = idle_refresh
        self.notifier = notifier
        self.stop = stop
        self.health_interval = health_interval  # the poll also re-checks the portal when due
        self.describe = describe  # a STATUS line that overrides the poll summary (blocked)
        self.ticker = ticker  # time-based alarms, repeats, health file (bridge.alerts)
        self.tick_interval = tick_interval
        self.reloader = reloader  # SIGHUP: run by the worker between two polls
        self.reload_requested = threading.Event()
        self.wake = threading.Event()
        self.exit_code = 0
        self.fatal: BaseException | None = None  # the setup error that stopped the daemon
        self.polls = 0
        self._poll_started: float | None = None
        self._last_status = "starting"
        self.busy = False  # the worker thread was still running when run() returned
        self.ends_process = True  # False: one term of a standby (bridge.standby), no STOPPING=1

    # -- threads -------------------------------------------------------------------

    def _worker(self) -> None:
        while not self.stop.is_set():
            self.wake.wait(timeout=self._until_next_poll())
            if self.stop.is_set():
                return
            self.wake.clear()
            if self.reload_requested.is_set() and self.reloader is not None:
                self.reload_requested.clear()
                try:
                    self.reloader()
                except Exception:  # a failed reload must not stop the polls
                    log.exception("reload.crashed (a bug); the old config stays")
            self._poll_started = self.monotonic()
            try:
                if not self._poll_once():
                    return
            finally:
                self._poll_started = None
            self.notifier.status(self._status_text())
            self.notifier.watchdog()

    def _poll_once(self) -> bool:
        """One poll, its outcome logged and kept for the STATUS line; False: stop now."""
        try:
            report = self.poll()
        except LedgerCorrupt as exc:  # a setup problem (78), with the fix in the text
            return self._fatal("daemon.ledger_corrupt", exc)
        except LockHeld as exc:  # the new ledger file is another processor's
            log.error("daemon.lock_lost error=%s", " ".join(str(exc).split()))
            self.exit_code = 75
            self.stop.set()
            return False
        except MailboxRejected as exc:  # SPEC §1: not a reason to stop; the next poll retries
            log.error("daemon.mailbox_refused error=%s", " ".join(str(exc).split()))
            self._last_status = f"mailbox refused: {type(exc).__name__}"
        except (ConfigError, CrmSetupError) as exc:
            return self._fatal("daemon.setup_error", exc)
        except BridgeError as exc:
            log.warning("daemon.poll_failed error=%s", " ".join(str(exc).split()))
            self._last_status = f"last poll failed: {type(exc).__name__}"
        except Exception:  # a bug in one poll must not stop the daemon; logged with its trace
            log.exception("daemon.poll_crashed (a bug)")
            self._last_status = "last poll crashed"
        else:
            self._done(report)
        return True

    def _fatal(self, event: str, exc: BaseException) -> bool:
        """A setup error: logged, kept for the alarm, and the daemon stops with 78."""
        log.error("%s error=%s", event, " ".join(str(exc).split()))
        self.fatal = exc
        self.exit_code = 78
        self.stop.set()
        return False

    def _done(self, report: PollReport) -> None:
        """A finished poll: the STATUS line, and a log line when it did something."""
        self.polls += 1
        when = datetime.now(UTC).strftime("%H:%M:%S")
        self._last_status = (
            f"last poll {when} UTC: created={report.created} "
            f"skipped={report.skipped} waiting={report.waiting}"
        )
        if report.fetched or report.created or report.waiting:
            log.info(
                "poll.done fetched=%s created=%s duplicates=%s skipped=%s "
                "quarantined=%s waiting=%s",
                report.fetched, report.created, report.duplicates, report.skipped,
                report.quarantined, report.waiting,
            )
        if report.unrecognised:  # counts only: a sender may be a person's address
            log.warning("poll.unrecognised_layouts count=%s (see `mailbridge status`)",
                        sum(report.unrecognised.values()))

    def _status_text(self) -> str:
        if self.describe is not None:
            try:
                text = self.describe()
            except Exception:  # a status line must never stop the poll loop; logged
                log.exception("daemon.status_failed (a bug)")
                text = None
            if text:
                return text
        return self._last_status

    def _until_next_poll(self) -> float:
        """The scheduled interval, or sooner when a waiting message is due before it (a
        lookup scheduled max_request_seconds after an unknown outcome, a retry's backoff)."""
        due = None
        if self.next_due is not None:
            try:
                due = self.next_due()
            except BridgeError as exc:  # the ledger unreadable now: the poll will say so
                log.warning("daemon.next_due_failed error=%s", " ".join(str(exc).split()))
        if due is None or due <= 0:
            # Nothing waits, or rows the last poll left due (it paused for a rate limit):
            # they wait for the scheduled poll, so a paused portal is not polled in a loop.
            return self.interval
        return min(self.interval, max(0.05, due))

    def _idle_loop(self) -> None:
        assert self.idle_factory is not None
        delay = 1.0
        while not self.stop.is_set():
            mailbox = None
            try:
                mailbox = self.idle_factory()
                delay = 1.0
                self.wake.set()  # mail may have arrived while we were away
                while not self.stop.is_set():
                    if mailbox.idle_wait(self.idle_refresh, stop=self.stop):
                        log.debug("idle.new_mail")
                        self.wake.set()
            except (MailboxRejected, ConfigError) as exc:  # the poll worker logs it as an error
                log.warning("idle.rejected in_s=%.0f error=%s", min(delay, self.interval),
                            " ".join(str(exc).split()))
                self.stop.wait(min(delay, self.interval))
                delay = min(delay * 2, 300.0)
            except (MailboxError, OSError) as exc:
                log.warning("idle.reconnect in_s=%.0f error=%s", delay,
                            " ".join(str(exc).split()))
                self.stop.wait(delay)
                delay = min(delay * 2, 300.0)
            except Exception:  # a bug in the IDLE loop must not stop the scheduled polls
                log.exception("idle.crashed (a bug); falling back to scheduled polls")
                self.stop.wait(60.0)
            finally:
                if mailbox is not None:
                    try:
                        mailbox.close()
                    except Exception:  # the connection is being dropped anyway
                        log.debug("idle.close_failed")

    def poll_hung(self) -> float | None:
        """How long the current poll has run when that is longer than ``hung_after`` (a hung
        poll); None while no poll runs or it runs within the bound. The one rule for both
        the watchdog pings and, with ``store.url``, the lease (:meth:`alive`)."""
        started = self._poll_started
        if started is None:
            return None
        seconds = self.monotonic() - started
        return seconds if seconds > self.hung_after else None

    def alive(self) -> bool:
        """Whether this daemon's poll is not hung: its lease is renewed only while it is."""
        return self.poll_hung() is None

    def _heartbeat(self) -> None:
        hung = self.poll_hung()
        if hung is not None:
            log.error("daemon.poll_hung seconds=%.0f", hung)
            return  # no ping: systemd restarts a hung daemon
        self.notifier.watchdog()

    # -- run -------------------------------------------------------------------------

    def run(self) -> int:
        scheduler = BackgroundScheduler(timezone=UTC)
        scheduler.add_job(
            self.wake.set, "interval", seconds=self.interval, id="poll",
            max_instances=1, coalesce=True,
        )
        if self.health_interval:
            scheduler.add_job(
                self.wake.set, "interval", seconds=self.health_interval, id="health",
                max_instances=1, coalesce=True,
            )
        if self.ticker is not None:
            scheduler.add_job(
                self.ticker, "interval", seconds=self.tick_interval, id="tick",
                max_instances=1, coalesce=True,
            )
        wd = self.notifier.watchdog_interval
        if wd:
            scheduler.add_job(
                self._heartbeat, "interval", seconds=max(wd / 2, 1.0), id="watchdog",
                max_instances=1, coalesce=True,
            )
        scheduler.start()
        worker = threading.Thread(target=self._worker, name="poll", daemon=True)
        self.wake.set()  # the first poll runs at once
        worker.start()
        if self.idle_factory is not None:
            threading.Thread(target=self._idle_loop, name="idle", daemon=True).start()
        self.notifier.ready("waiting for mail")
        log.info("daemon.started interval=%s idle=%s", self.interval,
                 self.idle_factory is not None)
        while not self.stop.wait(1.0):
            pass
        if self.ends_process:
            self.notifier.stopping()
        log.info("daemon.stopping")
        scheduler.shutdown(wait=False)
        self.wake.set()
        worker.join(timeout=STOP_GRACE)
        self.busy = worker.is_alive()
        if worker.is_alive():
            log.warning("daemon.abandoned_request (reconciled by ORIGIN_ID at the next start)")
        log.info("daemon.stopped polls=%s", self.polls)
        return self.exit_code


def install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def install_reload_handler(daemon: Daemon) -> None:
    """SIGHUP asks the poll worker to reload before its next poll (and wakes it)."""

    def handler(signum: int, _frame: Any) -> None:
        daemon.reload_requested.set()
        daemon.wake.set()

    signal.signal(signal.SIGHUP, handler)


def run_daemon(cfg: Config) -> int:
    """The daemon for one mailbox (the CLI's default command): wired by bridge.app, run until
    SIGTERM/SIGINT, reloaded on SIGHUP. On a shared PostgreSQL ledger (``store.url``) it
    works the mailbox while it holds its lease and stands by otherwise (bridge.standby)."""
    from bridge import app
    from bridge.refusal import Refusal

    stop = threading.Event()
    install_signal_handlers(stop)
    notifier = Notifier.from_env()
    if getattr(cfg.store, "url", ""):
        from bridge.standby import Standby

        return Standby(cfg, stop, notifier, term_daemon, _run).run()
    lock = app.lock_for(cfg)
    lock.acquire(wait=app.LOCK_WAIT)
    refusal = Refusal(cfg.imap.poll_interval)  # a refused mailbox waits, never stops us
    try:
        wired = app.MailboxApp(cfg, lock, serve=True, stop=stop, refusal=refusal,
                               check_first=True)
    except BaseException:  # wiring failed (even interrupted): free the lock, then re-raise
        lock.release()
        raise
    daemon = term_daemon(wired, stop, notifier)
    install_reload_handler(daemon)
    return _run(daemon, wired)


def term_daemon(wired: MailboxApp, stop: threading.Event, notifier: Notifier) -> Daemon:
    """The poll daemon of ``wired`` (one mailbox), running until ``stop`` is set."""
    from bridge import app
    from bridge.reload import Reloader

    cfg = wired.cfg
    reloader = Reloader(cfg, load=app.reload_config, apply=wired.apply,
                        alarms=wired.runtime.monitor.alarms)

    def poll() -> PollReport:
        report: PollReport = wired.runtime.poll(wired.poll)
        return report

    return Daemon(
        poll,
        interval=cfg.imap.poll_interval,
        idle_factory=wired.idle_connect if cfg.imap.idle else None,
        idle_refresh=cfg.imap.idle_refresh,
        notifier=notifier,
        stop=stop,
        health_interval=cfg.bitrix24.health_interval,
        describe=wired.status_line,
        ticker=wired.runtime.monitor.tick,
        reloader=reloader.reload,
        next_due=wired.next_due,
    )


def _run(daemon: Daemon, wired: MailboxApp) -> int:
    """Run ``daemon`` to its end; then close what ``wired`` holds."""
    try:
        code = daemon.run()
        if daemon.fatal is not None:
            wired.runtime.monitor.stopped(daemon.fatal)
        return code
    finally:
        # the stop stays within SPEC's 10 s; a setup error's alarm gets the full wait;
        # a request abandoned mid-way keeps the ledger until exit
        wired.close(wait=5.0 if daemon.fatal is not None else 1.0, keep_ledger=daemon.busy)
