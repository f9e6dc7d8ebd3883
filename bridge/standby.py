"""The single-mailbox daemon on a shared PostgreSQL ledger (``store.url``): a standby in terms.

Like a ``[[mailboxes]]`` unit (bridge.multibox, bridge.ownership.serve_leased), the daemon
waits for the mailbox's lease without a time limit (a standby: logged once with the owner, and
``STATUS=standby …`` for systemd), then wires the mailbox (bridge.app.MailboxApp) and runs
its poll daemon while the lease is held. Rows an earlier owner left in ``pushing`` count as
sent at the take plus ``store.takeover_seconds`` (looked up ``max_request_seconds`` after
that). When the lease is lost the term ends, everything it opened is closed, and the daemon
stands by again instead of exiting; SIGTERM/SIGINT end the wait or the term, and the process.
A setup error in a term (exit 78) still stops the daemon, as on SQLite.

The poll daemon itself is built by bridge.daemon (passed in, so this module does not import
the entry point that calls it).
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.errors import LockHeld
from bridge.notify import Notifier
from bridge.ownership import WARM, hold_while, inherited_sent_at, wait_for_lease

if TYPE_CHECKING:
    from bridge.app import MailboxApp
    from bridge.config import Config

# bridge.daemon.Daemon: not imported even for typing, as bridge.daemon imports this module
Daemon = Any

log = logging.getLogger(__name__)

MAILBOX = "default"  # the single mailbox's lease key (bridge.pglock.mailbox_key)


class Standby:
    """Serve ``cfg``'s one mailbox in terms of its lease until ``stop`` is set."""

    def __init__(
        self,
        cfg: Config,
        stop: threading.Event,
        notifier: Notifier,
        make_daemon: Callable[[MailboxApp, threading.Event, Notifier], Daemon],
        run_term: Callable[[Daemon, MailboxApp], int],
    ) -> None:
        from bridge.refusal import Refusal

        self.cfg = cfg
        self.stop = stop
        self.notifier = notifier
        self.make_daemon = make_daemon
        self.run_term = run_term  # runs a term's daemon to its end, then closes its parts
        self.refusal = Refusal(cfg.imap.poll_interval)  # a refused mailbox waits, never stops us
        self.term = threading.Event()
        self.daemon: Daemon | None = None
        self.reload_asked = False  # SIGHUP while standing by: the next term reloads first

    # -- signals (the main thread) ----------------------------------------------------------

    def _install_signals(self) -> None:
        def end(_signum: int, _frame: Any) -> None:
            self.stop.set()
            self.term.set()

        def hangup(_signum: int, _frame: Any) -> None:
            daemon = self.daemon
            if daemon is None:
                self.reload_asked = True
                return
            daemon.reload_requested.set()
            daemon.wake.set()

        signal.signal(signal.SIGTERM, end)
        signal.signal(signal.SIGINT, end)
        signal.signal(signal.SIGHUP, hangup)

    # -- the terms --------------------------------------------------------------------------

    def _standing_by(self, owner: str) -> None:
        self.notifier.status(f"standby: the mailbox is worked by {owner}")

    def run(self) -> int:
        """Wait, work, wait again; the exit code when the process stops."""
        from bridge import app

        self._install_signals()
        for name in WARM:  # a standby is warm: the term's modules are imported already
            importlib.import_module(name)
        lock = app.lock_for(self.cfg)
        self.notifier.ready("standby: waiting for the mailbox's lease")
        code = 0
        while not self.stop.is_set():
            term = wait_for_lease(lock, self.stop, MAILBOX, tick=self.notifier.watchdog,
                                  standby=self._standing_by)
            if term is None:
                break
            self.term = term
            if self.stop.is_set():  # SIGTERM between the take and the line above
                term.set()
            code = self._term(lock, term)
            if code == 78 or self.stop.is_set():
                break
            log.warning("lease.lost mailbox=%s (standing by again)", MAILBOX)
            self.notifier.status("standby: the lease was lost; waiting for it again")
            code = 0
        self.notifier.stopping()
        log.info("daemon.stopped (standby)")
        return code

    def _term(self, lock: Any, term: threading.Event) -> int:
        """One term: wire the mailbox, run its daemon until ``term`` ends, close it all."""
        from bridge import app

        inherited = inherited_sent_at(self.cfg.store.takeover_seconds)
        try:
            wired = app.MailboxApp(self.cfg, lock, serve=True, stop=term, refusal=self.refusal,
                                   check_first=True, inherited=inherited)
        except LockHeld as exc:  # the lease was lost while opening: stand by again
            lock.release()
            log.warning("lease.lost_at_start error=%s", " ".join(str(exc).split()))
            return 75
        except BaseException:  # not opened (even interrupted): free the lease, then re-raise
            lock.release()
            raise
        daemon = self.make_daemon(wired, term, self.notifier)
        daemon.ends_process = False
        hold_while(lock, daemon.alive)  # the lease is renewed only while its poll is not hung
        if self.reload_asked:
            self.reload_asked = False
            daemon.reload_requested.set()
        self.daemon = daemon
        try:
            code = self.run_term(daemon, wired)
        finally:
            self.daemon = None
            self.cfg = wired.cfg  # a reload in the term stays in force for the next one
        return 78 if daemon.fatal is not None else code
