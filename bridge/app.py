"""The composition root: a config in, a wired application out.

This is the one place that knows which concrete class serves each Protocol: the ledger
(SQLite or PostgreSQL) and its lock, the IMAP mailbox (the one connect closure), the Bitrix24
client, the pipeline and the portal's health, and the alert runtime around them. The entry
points (bridge.cli, bridge.daemon, bridge.multibox, bridge.checks) take what they need from
here and import no other entry point (tests/test_layers.py keeps that so).

``MailboxApp`` is one mailbox wired for polling: ``--poll-now`` builds one for a single pass,
the daemon keeps one for its lifetime and rebuilds its pipeline on SIGHUP.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge import i18n, logsetup
from bridge.errors import ConfigError
from bridge.model import PollReport
from bridge.secrets import webhook_secrets

if TYPE_CHECKING:
    from bridge.alerts.runtime import Runtime
    from bridge.config import Config, ImapConfig
    from bridge.crm import Bitrix24Client
    from bridge.health import PortalHealth
    from bridge.lock import InstanceLock
    from bridge.mailbox import ImapMailbox
    from bridge.pglock import PgProcessorLock
    from bridge.pipeline import Pipeline, Settings
    from bridge.refusal import Refusal
    from bridge.store import Ledger

log = logging.getLogger(__name__)

DEFAULT_CONFIG_PATHS = ("config.toml", "/etc/mailbridge/config.toml")
# How long a --poll-now (and a starting daemon) waits for the ledger lock (SPEC: 60 s);
# tests shorten it.
LOCK_WAIT = float(os.environ.get("MAILBRIDGE_LOCK_WAIT", "60"))


# -- config in --------------------------------------------------------------------------


def find_config(explicit: str | None) -> Path | None:
    """``--config``, else $MAILBRIDGE_CONFIG, else the first default path that exists."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("MAILBRIDGE_CONFIG")
    if env:
        return Path(env)
    for candidate in DEFAULT_CONFIG_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def load_config(path: Path | None, *, offline: bool = False) -> Config:
    """Load the config; ``offline`` (parse, status, retry) neither needs nor reads the secrets.

    The language of every later message is set from it, and its secrets join the redactor.
    """
    from bridge import config as config_mod

    if path is None:
        raise ConfigError(i18n.t("cli.no_config"))
    env: dict[str, str] | None = None
    if offline:
        from bridge.alerts.settings import OFFLINE_SECRETS

        env = dict(os.environ)
        # The environment wins over every other source, so no secret file is read (a
        # monitoring user may not be allowed to read them) and none has to exist.
        env["BRIDGE_IMAP_PASSWORD"] = "not-needed-offline"
        env["BITRIX24_WEBHOOK_URL"] = config_mod.OFFLINE_WEBHOOK_URL
        env.update(OFFLINE_SECRETS)
    cfg = config_mod.load(path, env, offline=offline)
    i18n.set_language(i18n.resolve(cfg.ui.language))
    redact_secrets(cfg)
    return cfg


def reload_config(path: Path) -> Config:
    """Read the config file and its secrets again (SIGHUP); ConfigError if it is invalid."""
    from bridge import config as config_mod

    cfg = config_mod.load(path)
    redact_secrets(cfg)
    return cfg


def redact_secrets(cfg: Config) -> None:
    """Every secret the config holds is masked in the logs from now on: the IMAP password,
    the webhook's code, the notification channels', ``store.url``'s password and those of
    every ``[[mailboxes]]`` entry."""
    from bridge.storeurl import secrets_of

    redactor = logsetup.REDACTOR
    redactor.add(cfg.imap.password, *webhook_secrets(cfg.bitrix24.webhook_url))
    redactor.add(*cfg.notify.secrets())
    redactor.add(*secrets_of(cfg.store.url))
    for box in cfg.mailboxes:
        redactor.add(*box.secrets(), *webhook_secrets(box.bitrix24.webhook_url))


# -- the parts ----------------------------------------------------------------------------


def pipeline_settings(cfg: Config) -> Settings:
    """The pipeline's Settings from the config's sections."""
    from bridge.leads import LeadSettings
    from bridge.pipeline import Settings

    b = cfg.bitrix24
    return Settings(
        folder=cfg.imap.folder,
        processed_folder=cfg.imap.processed_folder,
        since_days=cfg.imap.since_days,
        file_field=cfg.attachments.field,
        health_interval=cfg.bitrix24.health_interval,
        lead=LeadSettings(
            title=b.title,
            source_id=b.source_id,
            source_description=b.source_description,
            responsible_user_id=b.responsible_user_id,
        ),
        parse=cfg.parse_options(),
        senders=cfg.filter.senders,
        dedupe_window=timedelta(minutes=cfg.dedupe.window_minutes),
        max_attempts=cfg.retry.max_attempts,
        backoff_base=cfg.retry.backoff_base,
        backoff_cap=cfg.retry.backoff_cap,
        unknown_wait=min(cfg.retry.backoff_base, b.timeout),
        batch=b.batch,
        max_request_seconds=b.max_request_seconds,
        crm=cfg.crm,
        routes=cfg.routes,
    )


def make_crm(cfg: Config, bucket: Any = None) -> Bitrix24Client:
    """The Bitrix24 client; ``bucket`` shares one portal's rate limit between mailboxes."""
    from bridge.crm import Bitrix24Client
    from bridge.pglock import fence_for
    from bridge.ratelimit import LeakyBucket

    b = cfg.bitrix24
    client = Bitrix24Client(
        b.webhook_url,
        timeout=b.timeout,
        ca_file=str(b.ca_file) if b.ca_file else None,
        bucket=bucket if bucket is not None else LeakyBucket(b.rate_per_second, b.burst),
    )
    client.fence = fence_for(cfg.store)  # with store.url: never send past the lease
    return client


def connect_imap(imap: ImapConfig, *, select: bool = False) -> ImapMailbox:
    """A logged-in IMAP mailbox (the one place that connects); ``select`` opens the folder
    too (the IDLE connection)."""
    from bridge.mailbox import ImapMailbox

    mailbox = ImapMailbox(imap)
    mailbox.connect()
    if select:
        mailbox.select(imap.folder)
    return mailbox


def mailbox_factory(cfg: Config) -> Callable[[], ImapMailbox]:
    """What the pipeline and ``check`` call for a new logged-in connection to ``cfg.imap``."""
    return lambda: connect_imap(cfg.imap)


def lock_for(cfg: Config) -> InstanceLock | PgProcessorLock:
    """The one-processor lock of ``cfg``'s ledger (not yet acquired)."""
    from bridge.lock import InstanceLock

    path = Path(cfg.store.path)
    if getattr(cfg.store, "url", ""):  # a PostgreSQL ledger may be reached from other hosts
        from bridge.pglock import PgProcessorLock

        # no SQLite file to lock here: the lock file, and the database's own lock
        return PgProcessorLock(InstanceLock(path.with_name(path.name + ".lock")), cfg.store.url,
                               cfg.store.schema, cfg.store.takeover_seconds)
    # bridge.db.lock, and bridge.db itself: the lock holds if its file is removed
    return InstanceLock(path.with_name(path.name + ".lock"), ledger=path)


def open_ledger(cfg: Config) -> Ledger:
    """The ledger ``store`` names: SQLite at ``store.path`` or PostgreSQL at ``store.url``."""
    from bridge.store import Ledger

    if getattr(cfg.store, "url", ""):  # the ledger on PostgreSQL (store.url)
        return Ledger.open_url(cfg.store.url, Path(cfg.store.path), cfg.store.schema)
    return Ledger.open(Path(cfg.store.path))


# -- what every pass leaves in the ledger -------------------------------------------------


def summary_line(report: PollReport) -> str:
    """The pass's counts as one machine-readable line (``status`` shows it)."""
    from bridge.unrecognised import summary_text

    whole = getattr(report, "unrecognised", None) or {}
    return (
        f"poll: fetched={report.fetched} created={report.created} "
        f"duplicates={report.duplicates} skipped={report.skipped} "
        f"quarantined={report.quarantined} waiting={report.waiting} "
        f"mailbox_updated={report.finished}"
        + (f" unrecognised={sum(whole.values())} unrecognised_by_sender={summary_text(whole)}"
           if whole else "")
    )


def record_poll(ledger: Ledger, report: PollReport | None) -> None:
    """When the pass ran, what it did (None: it failed) and, if it read the mailbox and
    finished, the time of the last success."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    ledger.set_meta("last_poll_at", now)
    result = "failed" if report is None else summary_line(report)
    ledger.set_meta("last_poll_result", result)
    ok = report is not None and not report.errors  # the mailbox was read, the pass finished
    ledger.set_meta("last_poll_ok", "1" if ok else "0")
    if ok:
        ledger.set_meta("last_success_at", now)


def forget_old(ledger: Ledger, cfg: Config) -> None:
    """store.keep_days: finished rows older than that lose the client's data."""
    ledger.forget_client_data(datetime.now(UTC) - timedelta(days=cfg.store.keep_days))


def reopen_if_replaced(ledger: Ledger, lock: Any) -> bool:
    """The ledger file was deleted, moved away or replaced under us: never write into the
    lost file. Lock and open, in place, what is at ``store.path`` now (a new ledger if nothing
    is), so everything holding the ledger uses the new file; its generation check makes the
    next pass a first pass (bridge.generation). Only a SQLite file can be replaced, so
    ``lock`` is then an InstanceLock (a PostgreSQL ledger's lock has no file to relock)."""
    if not ledger.replaced():
        return False
    log.warning("ledger.replaced path=%s (reopening; the next pass looks mail up first)",
                ledger.path)
    ledger.close()
    lock.relock_ledger()
    ledger.reopen()
    ledger.open_session()
    return True


# -- one mailbox, wired --------------------------------------------------------------------


class MailboxApp:
    """One mailbox wired for polling: its ledger (opened, a session begun), the alert runtime,
    and a pipeline with its portal health, rebuilt by :meth:`apply` for a reloaded config.

    ``lock`` is held by the caller already. ``daemon`` wiring adds the stop flag, the
    refusal tracker and a portal check at start; ``--poll-now`` wiring has none of them.
    """

    def __init__(self, cfg: Config, lock: InstanceLock | PgProcessorLock, *, serve: bool,
                 stop: threading.Event | None = None, refusal: Refusal | None = None,
                 check_first: bool = False, bucket: Any = None,
                 inherited: datetime | None = None, session: bool = True) -> None:
        from bridge.alerts.runtime import Runtime

        self.cfg = cfg
        self.lock = lock
        self.stop = stop
        self.refusal = refusal  # bridge.refusal.Refusal: a refused mailbox waits
        self.check_first = check_first
        self.bucket = bucket  # a portal's rate limit shared between mailboxes (bridge.multibox)
        self.inherited = inherited  # a term's take: when inherited `pushing` rows count as sent
        self.ledger = open_ledger(cfg)
        if session:
            self.ledger.open_session()
        self.runtime: Runtime = Runtime.build(cfg, self.ledger, serve=serve)
        self.pipeline, self.health = self.build(cfg)

    def build(self, cfg: Config) -> tuple[Pipeline, PortalHealth]:
        """A pipeline and its portal health for ``cfg`` (at start and after a reload)."""
        from bridge.health import for_config
        from bridge.pipeline import Pipeline

        crm = self.runtime.crm(make_crm(cfg, bucket=self.bucket))
        ledger: Any = self.ledger
        if getattr(cfg.store, "url", ""):  # leased: no ledger write past the lease either
            from bridge.ownership import FencedLedger

            ledger = FencedLedger(self.ledger, self.lock.term_fence())  # type: ignore[union-attr]  # with store.url the lock is a PgProcessorLock
        pipeline = Pipeline(
            pipeline_settings(cfg), ledger, crm,
            self.runtime.mailbox_factory(mailbox_factory(cfg)),
            stop=self.stop, on_lead=self.runtime.monitor.lead_created,
        )
        pipeline.pushing_sent_at = self.inherited
        if self.refusal is not None:
            pipeline.refusal = self.refusal
            self.refusal.cap = cfg.imap.poll_interval
            self.refusal.reset()  # new settings are tried at once
        health = for_config(cfg, crm, self.ledger, pipeline)
        health.check_first = self.check_first  # the portal is verified at start (and reload)
        return pipeline, health

    def apply(self, new: Config) -> None:
        """A reloaded config in force (a ConfigError while building leaves all as it was)."""
        pipeline, health = self.build(new)
        self.runtime.reconfigure(new)
        self.pipeline.close()
        self.cfg, self.pipeline, self.health = new, pipeline, health

    def poll(self) -> PollReport:
        """The daemon's pass: a replaced ledger reopened first, the outcome recorded after."""
        reopen_if_replaced(self.ledger, self.lock)  # never write into a lost file
        report = None
        try:
            report = self.health.run_pass(self.pipeline)
            return report
        finally:
            record_poll(self.ledger, report)
            forget_old(self.ledger, self.cfg)

    def idle_connect(self) -> ImapMailbox:
        """A new IDLE connection, selected on the folder of the config in force."""
        return connect_imap(self.cfg.imap, select=True)

    def next_due(self) -> float | None:
        """Seconds until a waiting message is due (None: nothing waits)."""
        when = self.ledger.next_attempt()
        return None if when is None else (when - datetime.now(UTC)).total_seconds()

    def status_line(self) -> str | None:
        """The STATUS line that overrides the poll summary: blocked, or the mailbox refused."""
        line = self.health.status_line()
        if not line and self.refusal is not None:
            line = self.refusal.status_line()
        return line

    def close(self, *, wait: float | None = None, keep_ledger: bool = False) -> None:
        """Stop the alert runtime (waiting ``wait`` s for notices; None: its default), close
        the ledger unless a request abandoned mid-way still holds it, and release the lock."""
        try:
            if wait is None:
                self.runtime.close()
            else:
                self.runtime.close(wait=wait)
            if not keep_ledger:
                self.ledger.close_session()
                self.ledger.close()
        finally:
            self.lock.release()
