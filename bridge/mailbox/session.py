"""One IMAP connection's life: connect (TCP, TLS, greeting), LOGIN, deadlines, drop, LOGOUT.

Certificates are always verified against the system store plus ``imap.ca_file``; ``plain``
goes only to a loopback address. Every command runs under an overall deadline
(:meth:`ImapSession.call`): a server that drips its answer or stops mid-response gets its
socket shut down, and the command fails as a dead connection.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import NoReturn, TypeVar

from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from bridge.config import ImapConfig
from bridge.deadline import RequestTimer, request_deadline, socket_deadline, watch
from bridge.errors import ConfigError, LoginRefused, MailboxRejected, MailboxUnavailable
from bridge.hosts import (
    NotLoopback,
    Resolver,
    is_loopback_host,
    loopback_address,
    system_resolver,
)
from bridge.mailbox import problems
from bridge.mailbox.watched import WatchedIMAPClient
from bridge.mailbox.wire import TEMPORARY_CODES, Wire, codes, text

log = logging.getLogger("bridge.mailbox")

# imapclient logs every protocol line at DEBUG on this logger: message bodies (client data)
# would reach the logs. LOGIN is redacted there, bodies are not.
_PROTOCOL_LOGGER = "imapclient.imaplib"

T = TypeVar("T")


def quiet_protocol_log() -> None:
    """Keep imapclient's raw protocol lines (message bodies) out of the logs at any level."""
    logging.getLogger(_PROTOCOL_LOGGER).setLevel(logging.WARNING)


def make_ssl_context(ca_file: Path | str | None) -> ssl.SSLContext:
    """The system trust store plus ``ca_file``; hostname checks on. ConfigError if unreadable."""
    ctx = ssl.create_default_context()
    if ca_file:
        try:
            ctx.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"imap.ca_file: cannot read a CA bundle from {ca_file}: {exc}", key="imap.ca_file"
            ) from exc
    return ctx


def check_security(cfg: ImapConfig) -> None:
    """ConfigError unless ``imap.security`` is known and ``plain`` goes to a loopback host."""
    if cfg.security not in ("ssl", "starttls", "plain"):
        raise ConfigError(
            f'imap.security: expected "ssl", "starttls" or "plain", got {cfg.security!r}',
            key="imap.security",
        )
    if cfg.security == "plain" and not is_loopback_host(cfg.host):
        raise ConfigError(
            f'imap.security: "plain" sends the password unencrypted and is only allowed '
            f'to a loopback address, not {cfg.host!r}; use "ssl" or "starttls"',
            key="imap.security",
        )


class ImapSession:
    """The connection and what it knows (capabilities, the selected folder). One thread."""

    def __init__(self, cfg: ImapConfig, resolver: Resolver = system_resolver) -> None:
        check_security(cfg)
        self.cfg = cfg
        self._resolver = resolver
        self._ctx = make_ssl_context(cfg.ca_file) if cfg.security != "plain" else None
        self.wire: Wire | None = None
        self._caps: set[str] = set()
        self.selected: str | None = None  # the folder the last SELECT chose
        self.folder_before_drop = cfg.folder  # selected again after a reconnect
        self.uidvalidity: int | None = None
        self.uidnext: int | None = None
        quiet_protocol_log()

    @property
    def where(self) -> str:
        return problems.where(self.cfg)

    @property
    def connected(self) -> bool:
        return self.wire is not None

    def scrub(self, message: str) -> str:
        return problems.scrub(self.cfg, message)

    def unavailable(self, what: str, exc: BaseException | str) -> MailboxUnavailable:
        return problems.unavailable(self.cfg, what, exc)

    def require(self) -> Wire:
        """The connection; MailboxUnavailable when there is none."""
        if self.wire is None:
            raise MailboxUnavailable(f"imap {self.where}: not connected")
        return self.wire

    def drop(self) -> None:
        """Forget a broken connection (socket closed, no LOGOUT)."""
        wire, self.wire = self.wire, None
        if self.selected is not None:
            self.folder_before_drop = self.selected
        self.selected = None
        if wire is not None:
            try:
                wire.shutdown()
            except Exception:  # already closed; nothing left to release
                log.debug("imap.shutdown_failed")

    # ---- deadlines -------------------------------------------------------------------

    def watch(self, nbytes: int = 0, wait: float = 0.0) -> AbstractContextManager[RequestTimer]:
        """An overall deadline for one command (``imap.timeout`` plus ``wait`` plus the time
        ``nbytes`` take at the minimum rate)."""
        sock = None
        if self.wire is not None:
            with contextlib.suppress(Exception):  # no socket (closed): nothing to watch
                sock = self.wire.socket()
        return socket_deadline(sock, request_deadline(self.cfg.timeout + wait, nbytes))

    def expired(self, what: str, timer: RequestTimer) -> MailboxUnavailable:
        """The connection is dropped: ``what`` got no whole answer in time."""
        self.drop()
        log.warning("imap.deadline command=%s seconds=%.3g", what, timer.seconds)
        return self.unavailable(f"{what} failed, connection dropped",
                                f"no whole answer within {timer.seconds:g} s")

    def check_deadline(self, what: str, timer: RequestTimer | None) -> None:
        """Raise the deadline's error when ``timer`` ran out (call inside ``except``)."""
        if timer is not None and timer.expired:
            raise self.expired(what, timer) from None

    def lost(self, what: str, exc: BaseException, timer: RequestTimer | None) -> NoReturn:
        """A socket error or abort during ``what``: drop the connection, MailboxUnavailable."""
        self.check_deadline(what, timer)
        self.drop()
        raise self.unavailable(f"{what} failed, connection lost", exc) from exc

    def call(self, what: str, fn: Callable[[], T], *, raw: bool = False,
             wait: float = 0.0) -> T:
        """Run one command at the edge, under an overall deadline (:meth:`watch`).

        Connection trouble (abort, BYE, socket errors, timeouts, the deadline) ->
        MailboxUnavailable, and the connection is dropped. A NO/BAD answer ->
        MailboxUnavailable too, unless ``raw`` (the caller maps it itself).
        """
        self.require()
        with self.watch(wait=wait) as timer:
            try:
                return fn()
            except (IMAPClientAbortError, OSError) as exc:
                self.lost(what, exc, timer)
            except IMAPClientError as exc:
                self.check_deadline(what, timer)
                if raw:
                    raise
                raise self.unavailable(f"{what} failed", exc) from exc

    # ---- connecting ------------------------------------------------------------------

    def resolve(self) -> list[str]:
        """The host's addresses. MailboxUnavailable when DNS cannot resolve it."""
        try:
            infos = socket.getaddrinfo(self.cfg.host, self.cfg.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise self._no_dns(exc) from exc
        return sorted({str(info[4][0]) for info in infos})

    def _no_dns(self, exc: BaseException) -> MailboxUnavailable:
        return MailboxUnavailable(
            f"imap {self.where}: cannot resolve host {self.cfg.host!r} "
            f"({problems.cause(exc)}); check imap.host and DNS"
        )

    def open(self) -> None:
        """TCP + TLS (ssl or STARTTLS) + greeting, without logging in."""
        if self.wire is not None:
            return
        cfg = self.cfg
        target = self._plain_target() if cfg.security == "plain" else cfg.host
        if cfg.security != "plain":
            self.resolve()
        wire: Wire | None = None
        timer: RequestTimer | None = None
        try:
            # TCP, TLS and the greeting under one overall deadline (a dripping greeting
            # cannot hold the connect), and STARTTLS under the same.
            with watch(request_deadline(cfg.timeout, 0)) as timer:
                client = WatchedIMAPClient(target, port=cfg.port, ssl=cfg.security == "ssl",
                                           ssl_context=self._ctx, timeout=cfg.timeout)
                client.normalise_times = False  # keep INTERNALDATE's time zone
                wire = Wire(client)
                if cfg.security == "starttls":
                    timer.attach_socket(wire.socket())
                    wire.starttls(self._ctx)
        except Exception as exc:  # mapped below; a bug (unmapped) is re-raised
            self._open_failed(exc, wire, timer)
        self.wire = wire

    def _open_failed(self, exc: Exception, wire: Wire | None,
                     timer: RequestTimer | None) -> NoReturn:
        err: Exception = exc
        if timer is not None and timer.expired:
            err = TimeoutError(f"no greeting within {timer.seconds:g} s")
        if wire is not None:
            try:
                wire.shutdown()
            except Exception:  # half-open socket; the connect error matters
                log.debug("imap.shutdown_failed")
        mapped = problems.connect_error(self.cfg, err)
        if mapped is None:
            raise exc
        raise mapped from exc

    def _plain_target(self) -> str:
        """The loopback address a ``plain`` connection goes to (the password travels in clear).

        Decided by what the name resolves to now, not by the name: every address must be
        loopback, and the connection goes to that address, not to the name again.
        """
        try:
            return loopback_address(self.cfg.host, self.cfg.port, self._resolver)
        except NotLoopback as exc:
            raise MailboxRejected(
                f'imap.host: security = "plain" sends the password unencrypted, but {exc}; '
                'nothing was sent. Use imap.security = "ssl" or "starttls", or a loopback host'
            ) from None
        except (OSError, UnicodeError) as exc:
            raise self._no_dns(exc) from exc

    def login(self) -> None:
        """LOGIN with the configured account. MailboxRejected when the server refuses it."""
        wire = self.require()
        user, password = self.cfg.username, self.cfg.password
        timer: RequestTimer | None = None
        try:
            with self.watch() as timer:
                if user.isascii() and password.isascii():
                    wire.login(user, password)
                else:  # LOGIN cannot carry non-ASCII; AUTHENTICATE PLAIN sends UTF-8
                    wire.plain_login(user, password)
        except LoginError as exc:
            self.check_deadline("LOGIN", timer)
            self._refused(exc)
        except (IMAPClientAbortError, OSError) as exc:
            self.check_deadline("LOGIN", timer)
            self.drop()
            raise self.unavailable("connection lost during login", exc) from None
        self._caps = set()
        log.info("imap.connected host=%s port=%s security=%s user=%s",
                 self.cfg.host, self.cfg.port, self.cfg.security, self.cfg.username)

    def _refused(self, exc: BaseException) -> NoReturn:
        """A LOGIN that failed: a drop, a temporary NO, or LoginRefused (setup)."""
        cause = exc.__context__
        self.drop()
        if isinstance(cause, IMAPClientAbortError | OSError):  # a drop, not a NO
            raise self.unavailable("connection lost during login", cause) from None
        said = self.scrub(text(cause.args[0] if cause and cause.args else exc))
        if codes(said) in TEMPORARY_CODES:
            raise self.unavailable("login temporarily refused", said) from None
        raise LoginRefused(
            f"imap login refused for user {self.cfg.username}: "
            f"check imap.username/imap.password (server said: {said})",
            user=self.cfg.username, server_text=said,
        ) from None

    def connect(self) -> None:
        """Open, secure and log in (no-op when connected)."""
        if self.wire is None:
            self.open()
            self.login()

    def close(self) -> None:
        """LOGOUT and close; never raises."""
        wire, self.wire = self.wire, None
        self.selected = None
        if wire is None:
            return
        try:
            wire.logout()
        except Exception:  # closing anyway; a dead peer cannot say goodbye
            log.debug("imap.logout_failed")
            try:
                wire.shutdown()
            except Exception:  # already closed
                log.debug("imap.shutdown_failed")

    def capabilities(self) -> set[str]:
        """The server's capabilities, upper-case (cached per connection)."""
        if not self._caps:
            wire = self.require()
            self._caps = self.call("CAPABILITY", wire.capabilities)
        return set(self._caps)
