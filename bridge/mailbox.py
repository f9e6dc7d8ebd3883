"""The IMAP adapter: one imapclient session, translated into our vocabulary at the edge.

``ImapMailbox(cfg)`` connects (ssl / starttls / plain-to-loopback, certificates always
verified against the system store plus ``imap.ca_file``), selects the folder read-write,
finds new mail by UID (never by ``\\Seen``), fetches with ``BODY.PEEK[]`` so nothing is
marked, and finishes a message only when asked (mark, MOVE, or COPY + UID EXPUNGE of that
one UID). Every failure leaves as a BridgeError:

* ``MailboxUnavailable``: DNS, refused, timeouts, drops, BYE, TLS handshake trouble (retry);
* ``MailboxRejected``: certificate not trusted, login refused, folder missing (setup);
* ``ConfigError``: ``plain`` to a non-loopback host, an unreadable ``imap.ca_file``.

The password never appears in a message or a log line.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from threading import Event
from types import TracebackType
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import (
    CapabilityError,
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
    ProtocolError,
)

from bridge import oversized
from bridge.config import ImapConfig, is_loopback_host
from bridge.deadline import RequestTimer, request_deadline, socket_deadline, watch
from bridge.errors import (
    ConfigError,
    FolderMissing,
    LoginRefused,
    MailboxError,
    MailboxRejected,
    MailboxUnavailable,
)
from bridge.hosts import NotLoopback, Resolver, loopback_address, system_resolver
from bridge.i18n import tagged
from bridge.imapwatch import WatchedIMAPClient
from bridge.model import MB, MessageKey, RawMessage

log = logging.getLogger(__name__)

# imapclient logs every protocol line at DEBUG on this logger: message bodies (client data)
# would reach the logs. LOGIN is redacted there, bodies are not.
_PROTOCOL_LOGGER = "imapclient.imaplib"

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
FETCH_ITEMS = ("BODY.PEEK[]", "INTERNALDATE", "FLAGS")
_TEMPORARY_CODES = ("UNAVAILABLE", "SERVERBUG", "INUSE", "LIMIT")  # RFC 5530
FETCH_BYTES = 4 * 1024 * 1024  # one FETCH carries at most this much (at least one message)
PARTIAL_BYTES = 2 * 1024 * 1024  # a bigger message is fetched in pieces of this size
_MAX_HANGUPS = 5  # BYEs to FETCH in one fetch() call before we call the server broken
_EARLY = 0.05  # idle_check returning this much before its timeout with nothing = EOF


def quiet_protocol_log() -> None:
    """Keep imapclient's raw protocol lines (message bodies) out of the logs at any level."""
    logging.getLogger(_PROTOCOL_LOGGER).setLevel(logging.WARNING)


def make_ssl_context(ca_file: Any) -> ssl.SSLContext:
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


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _codes(text: str) -> str:
    """The response code of a NO/BAD answer ("[AUTHENTICATIONFAILED] ..." -> the code)."""
    if "[" in text and "]" in text:
        return text[text.index("[") + 1 : text.index("]")].split()[0].upper()
    return ""


class ImapMailbox:
    """One IMAP session for the bridge. Not thread-safe: one thread per instance."""

    def __init__(self, cfg: ImapConfig, resolver: Resolver = system_resolver) -> None:
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
        self.cfg = cfg
        self._resolver = resolver
        self._ctx = make_ssl_context(cfg.ca_file) if cfg.security != "plain" else None
        self._client: IMAPClient | None = None
        self._caps: set[str] = set()
        self._selected: str | None = None
        self._uidvalidity: int | None = None
        self._uidnext: int | None = None
        self._delimiter: str | None = None
        self._prefix = ""
        self._known_folders: set[str] = set()
        self.skipped: list[tuple[int, str]] = []  # (uid, why) fetch could not read
        self._selected_folder_before_drop = cfg.folder
        self._hangups = 0
        self._sizes: dict[int, int] = {}  # RFC822.SIZE of the UIDs being fetched
        self.max_message_bytes = cfg.max_message_mb * MB  # larger: never fetched whole
        quiet_protocol_log()

    # ---- helpers ---------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"{self.cfg.host}:{self.cfg.port}"

    def _scrub(self, text: str) -> str:
        pw = self.cfg.password
        return text.replace(pw, "***") if pw else text

    def _unavailable(self, what: str, exc: BaseException | str) -> MailboxUnavailable:
        return MailboxUnavailable(self._scrub(f"imap {self.where}: {what}: {_cause(exc)}"))

    def _require(self) -> IMAPClient:
        if self._client is None:
            raise MailboxUnavailable(f"imap {self.where}: not connected")
        return self._client

    def _drop(self) -> None:
        """Forget a broken connection (socket closed, no LOGOUT)."""
        client, self._client = self._client, None
        if self._selected is not None:
            self._selected_folder_before_drop = self._selected
        self._selected = None
        if client is not None:
            try:
                client.shutdown()
            except Exception:  # already closed
                log.debug("imap.shutdown_failed")

    def _watch(self, nbytes: int = 0, wait: float = 0.0) -> Any:
        """An overall deadline for one command (``imap.timeout`` plus ``wait`` plus the time
        ``nbytes`` take at the minimum rate): a server that drips its answer or stops
        mid-response gets its socket shut down, and the command fails as a dead connection."""
        sock = None
        if self._client is not None:
            with contextlib.suppress(Exception):  # no socket (closed): nothing to watch
                sock = self._client.socket()
        return socket_deadline(sock, request_deadline(self.cfg.timeout + wait, nbytes))

    def _expired(self, what: str, timer: RequestTimer) -> MailboxUnavailable:
        self._drop()
        log.warning("imap.deadline command=%s seconds=%.3g", what, timer.seconds)
        return self._unavailable(f"{what} failed, connection dropped",
                                 f"no whole answer within {timer.seconds:g} s")

    def _call(self, what: str, fn: Any, *args: Any, raw: bool = False, _wait: float = 0.0,
              **kwargs: Any) -> Any:
        """Run one imapclient call at the edge, under an overall deadline (``_watch``).

        Connection trouble (abort, BYE, socket errors, timeouts, the deadline) ->
        MailboxUnavailable, and the connection is dropped. A NO/BAD answer ->
        MailboxUnavailable too, unless ``raw`` (the caller maps it itself).
        """
        self._require()
        with self._watch(wait=_wait) as timer:
            try:
                return fn(*args, **kwargs)
            except (IMAPClientAbortError, OSError) as exc:
                if timer.expired:
                    raise self._expired(what, timer) from None
                self._drop()
                raise self._unavailable(f"{what} failed, connection lost", exc) from exc
            except IMAPClientError as exc:
                if timer.expired:
                    raise self._expired(what, timer) from None
                if raw:
                    raise
                raise self._unavailable(f"{what} failed", exc) from exc

    # ---- connection ------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._client is not None

    def resolve(self) -> list[str]:
        """The host's addresses. MailboxUnavailable when DNS cannot resolve it."""
        try:
            infos = socket.getaddrinfo(self.cfg.host, self.cfg.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise MailboxUnavailable(
                f"imap {self.where}: cannot resolve host {self.cfg.host!r} ({_cause(exc)}); "
                "check imap.host and DNS"
            ) from exc
        return sorted({str(info[4][0]) for info in infos})

    def open(self) -> None:
        """TCP + TLS (ssl or STARTTLS) + greeting, without logging in."""
        if self._client is not None:
            return
        cfg = self.cfg
        target = self._plain_target() if cfg.security == "plain" else cfg.host
        if cfg.security != "plain":
            self.resolve()
        client: IMAPClient | None = None
        timer: RequestTimer | None = None
        try:
            # TCP, TLS and the greeting under one overall deadline (a dripping greeting
            # cannot hold the connect), and STARTTLS under the same.
            with watch(request_deadline(cfg.timeout, 0)) as timer:
                client = WatchedIMAPClient(
                    target,
                    port=cfg.port,
                    ssl=cfg.security == "ssl",
                    ssl_context=self._ctx,
                    timeout=cfg.timeout,
                )
                if cfg.security == "starttls":
                    timer.attach_socket(client.socket())
                    client.starttls(self._ctx)
        except Exception as exc:
            err: Exception = exc
            if timer is not None and timer.expired:
                err = TimeoutError(f"no greeting within {timer.seconds:g} s")
            if client is not None:
                try:
                    client.shutdown()
                except Exception:
                    log.debug("imap.shutdown_failed")
            mapped = self._map_connect_error(err)
            if mapped is None:
                raise
            raise mapped from exc
        client.normalise_times = False  # keep INTERNALDATE's time zone
        self._client = client

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
            raise MailboxUnavailable(
                f"imap {self.where}: cannot resolve host {self.cfg.host!r} ({_cause(exc)}); "
                "check imap.host and DNS"
            ) from exc

    def _map_connect_error(self, exc: Exception) -> MailboxError | None:
        cfg = self.cfg
        where = self.where
        if isinstance(exc, ssl.SSLCertVerificationError):
            reason = exc.verify_message or str(exc)
            if exc.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
                fix = f"imap.host must be a name the certificate is issued for ({reason})"
                key = "connect.tls_hostname"
            else:
                fix = (
                    "set imap.ca_file to the CA certificate (PEM) that signed the server's "
                    "certificate"
                    + (f" (the current imap.ca_file {cfg.ca_file} does not)" if cfg.ca_file else "")
                )
                key = "connect.tls_ca_current" if cfg.ca_file else "connect.tls_ca"
            return tagged(MailboxRejected(
                f"imap {where}: the server's TLS certificate is not trusted "
                f"({reason}): {fix}"
            ), key, where=where, reason=reason, path=cfg.ca_file)
        if isinstance(exc, CapabilityError):
            return tagged(MailboxRejected(
                f"imap {where}: the server does not offer STARTTLS; "
                'set imap.security = "ssl" (and imap.port = 993)'
            ), "connect.no_starttls", where=where)
        cause = self._scrub(_cause(exc))
        if isinstance(exc, ssl.SSLError):
            return tagged(self._unavailable(
                "TLS handshake failed (is imap.security right for this port?)", exc
            ), "connect.tls_failed", where=where, cause=cause)
        if isinstance(exc, TimeoutError):
            return tagged(self._unavailable(f"no answer within {cfg.timeout:g} s", exc),
                          "connect.timeout", where=where, seconds=f"{cfg.timeout:g}", cause=cause)
        if isinstance(exc, ConnectionRefusedError):
            return tagged(self._unavailable("connection refused (check imap.port)", exc),
                          "connect.refused", where=where, cause=cause)
        if isinstance(exc, socket.gaierror):
            return tagged(self._unavailable("cannot resolve host", exc),
                          "connect.no_dns", where=where, cause=cause)
        if isinstance(exc, OSError | IMAPClientError):
            return tagged(self._unavailable("connection failed", exc),
                          "connect.connect_failed", where=where, cause=cause)
        return None  # a bug, not the network: let it through

    def login(self) -> None:
        """LOGIN with the configured account. MailboxRejected when the server refuses it."""
        client = self._require()
        user, password = self.cfg.username, self.cfg.password
        timer: RequestTimer | None = None
        try:
            with self._watch() as timer:
                if user.isascii() and password.isascii():
                    client.login(user, password)
                else:  # LOGIN cannot carry non-ASCII; AUTHENTICATE PLAIN sends UTF-8
                    client.plain_login(user, password)
        except LoginError as exc:
            if timer is not None and timer.expired:
                raise self._expired("LOGIN", timer) from None
            cause = exc.__context__
            self._drop()
            if isinstance(cause, IMAPClientAbortError | OSError):  # a drop, not a NO
                raise self._unavailable("connection lost during login", cause) from None
            text = self._scrub(_text(cause.args[0] if cause and cause.args else exc))
            if _codes(text) in _TEMPORARY_CODES:
                raise self._unavailable("login temporarily refused", text) from None
            raise LoginRefused(
                f"imap login refused for user {self.cfg.username}: "
                f"check imap.username/imap.password (server said: {text})",
                user=self.cfg.username, server_text=text,
            ) from None
        except (IMAPClientAbortError, OSError) as exc:
            if timer is not None and timer.expired:
                raise self._expired("LOGIN", timer) from None
            self._drop()
            raise self._unavailable("connection lost during login", exc) from None
        self._caps = set()
        log.info("imap.connected host=%s port=%s security=%s user=%s",
                 self.cfg.host, self.cfg.port, self.cfg.security, self.cfg.username)

    def connect(self) -> ImapMailbox:
        """Open, secure and log in (no-op when connected)."""
        if self._client is None:
            self.open()
            self.login()
        return self

    def close(self) -> None:
        """LOGOUT and close; never raises."""
        client, self._client = self._client, None
        self._selected = None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            try:
                client.shutdown()
            except Exception:
                log.debug("imap.shutdown_failed")

    def __enter__(self) -> ImapMailbox:
        return self.connect()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- server facts ----------------------------------------------------------------

    def capabilities(self) -> set[str]:
        """The server's capabilities, upper-case (cached per connection)."""
        if not self._caps:
            client = self._require()
            raw = self._call("CAPABILITY", client.capabilities)
            self._caps = {_text(c).upper() for c in raw}
        return set(self._caps)

    def _namespace(self) -> tuple[str, str]:
        """(prefix, delimiter) of the personal namespace ("", "/" when unknown)."""
        if self._delimiter is None:
            client = self._require()
            prefix, delim = "", "/"
            if "NAMESPACE" in self.capabilities():
                ns = self._call("NAMESPACE", client.namespace)
                if ns.personal:
                    prefix, d = ns.personal[0]
                    delim = d or delim
            else:
                listing = self._call("LIST", client.list_folders, "", "")
                if listing and listing[0][1]:
                    delim = _text(listing[0][1])
            self._prefix, self._delimiter = _text(prefix), _text(delim)
        return self._prefix, self._delimiter

    def server_name(self, name: str) -> str:
        """Config folder name ("Forms/Processed") -> the server's name (its delimiter/prefix)."""
        if name.upper() == "INBOX":
            return "INBOX"
        prefix, delim = self._namespace()
        full = delim.join(p for p in name.split("/") if p) if delim != "/" else name
        if prefix and not full.startswith(prefix) and full.upper() != prefix.rstrip(delim).upper():
            full = prefix + full
        return full

    def folder_exists(self, name: str) -> bool:
        client = self._require()
        return bool(self._call("LIST", client.folder_exists, self.server_name(name)))

    def folder_names(self) -> list[str]:
        """Every folder the server lists, decoded (modified UTF-7), as the config names them
        ("/" between levels, without the personal namespace's prefix)."""
        client = self._require()
        prefix, delim = self._namespace()
        names = []
        for _flags, _delim, name in self._call("LIST", client.list_folders, "", "*"):
            text = _text(name)
            if prefix and text.startswith(prefix) and text.upper() != "INBOX":
                text = text[len(prefix):]
            names.append(text.replace(delim, "/") if delim != "/" else text)
        return sorted(names, key=lambda n: (n.upper() != "INBOX", n.lower()))

    def ensure_folder(self, name: str) -> None:
        """Create ``name`` (and its parents, as the server does) unless it exists."""
        server_name = self.server_name(name)
        if server_name in self._known_folders:
            return
        client = self._require()
        if not self.folder_exists(name):
            try:
                self._call("CREATE", client.create_folder, server_name, raw=True)
                log.info("imap.folder_created folder=%s", server_name)
            except IMAPClientError as exc:
                if not self.folder_exists(name):  # not a race with another client
                    raise MailboxRejected(
                        f"imap {self.where}: cannot create folder {name!r}: "
                        f"{self._scrub(_text(exc))}; check imap.processed_folder"
                    ) from exc
            try:
                self._call("SUBSCRIBE", client.subscribe_folder, server_name, raw=True)
            except IMAPClientError:
                log.debug("imap.subscribe_failed folder=%s", server_name)
        self._known_folders.add(server_name)

    # ---- the folder ------------------------------------------------------------------

    def select(self, folder: str | None = None) -> int:
        """SELECT (read-write) ``folder`` (default ``imap.folder``); returns UIDVALIDITY."""
        folder = folder or self.cfg.folder
        client = self._require()
        name = self.server_name(folder)
        try:
            info = self._call("SELECT", client.select_folder, name, raw=True)
        except IMAPClientError as exc:
            text = self._scrub(_text(exc))
            if _codes(text) in _TEMPORARY_CODES:
                raise self._unavailable(f"cannot select {folder!r}", text) from exc
            key = "imap.folder" if folder == self.cfg.folder else "imap.processed_folder"
            raise FolderMissing(
                f"imap folder {folder!r} cannot be selected ({text}): check {key}",
                folder=folder, key=key, server_text=text,
            ) from exc
        if not info.get(b"READ-WRITE"):
            log.warning("imap.read_only folder=%s", folder)
        self._selected = folder
        self._uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        self._uidnext = int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None
        return self._uidvalidity

    @property
    def uidvalidity(self) -> int | None:
        return self._uidvalidity

    @property
    def uidnext(self) -> int | None:
        """UIDNEXT as the last SELECT reported it (None before a SELECT)."""
        return self._uidnext

    def _selected_client(self) -> IMAPClient:
        client = self._require()
        if self._selected is None:
            self.select()
        return client

    def search_new(self, after_uid: int | None, since: date | None) -> list[int]:
        """UIDs > ``after_uid``; else those with INTERNALDATE on or after ``since``; else all.

        ``UID n:*`` also matches the highest existing UID when every UID is below n
        (RFC 3501 ``*``), so the answer is filtered.
        """
        client = self._selected_client()
        if after_uid is not None:
            criteria: list[Any] = ["UID", f"{after_uid + 1}:*"]
        elif since is not None:
            criteria = ["SINCE", since]
        else:
            criteria = ["ALL"]
        uids = self._search(client, criteria)
        if after_uid is not None:
            uids = [u for u in uids if u > after_uid]
        return sorted(set(uids))

    def _search(self, client: IMAPClient, criteria: list[Any]) -> list[int]:
        return [int(u) for u in self._call("SEARCH", client.search, criteria)]

    def fetch(self, uids: Sequence[int], chunk: int = 25) -> Iterator[RawMessage]:
        """Yield each message (``BODY.PEEK[]``, INTERNALDATE) in UID order, ``chunk`` at a time.

        Vanished UIDs are not yielded. A message the server cannot deliver (a NO, or a BYE
        that ends the session, as Dovecot does for an unreadable file) or whose answer
        cannot be parsed is skipped, logged and kept in ``self.skipped`` as ``(uid,
        reason)``; the others still come (after a reconnect when the server hung up). A
        temporary NO ([UNAVAILABLE] ...), a lost connection, or a server that keeps hanging
        up raises MailboxUnavailable.
        """
        self._selected_client()
        folder, uidvalidity = self._selected, self._uidvalidity or 0
        assert folder is not None
        ordered = sorted(set(int(u) for u in uids))
        self._hangups = 0
        for group in self._groups(ordered, max(1, chunk)):
            size = self._sizes.get(group[0], 0)
            if len(group) == 1 and size > self.max_message_bytes:
                reduced = self._fetch_reduced(group[0], size, folder, uidvalidity)
                if reduced is not None:
                    yield reduced
                continue
            answers = None
            if len(group) == 1 and size > FETCH_BYTES:
                answers = self._fetch_in_pieces(group[0], size)
            if answers is None:
                answers = self._fetch_part(group)
            while answers:
                uid, item = answers.pop(0)
                raw = item.pop(b"BODY[]", None)
                when = item.get(b"INTERNALDATE")
                if not isinstance(raw, bytes):
                    self._skip(uid, "no BODY[] in the FETCH answer")
                    continue
                message = RawMessage(
                    key=MessageKey(folder, uidvalidity, uid),
                    raw=raw,
                    internaldate=when if isinstance(when, datetime) else None,
                    flags=_flags(item.get(b"FLAGS")),
                )
                del raw, item
                yield message
                # Not held while the next FETCH runs: memory stays at one message.
                del message

    def _groups(self, ordered: list[int], chunk: int) -> Iterator[list[int]]:
        """UIDs in FETCH groups of at most ``chunk`` messages and ``FETCH_BYTES`` bytes, so
        memory stays flat however large the messages are (RFC822.SIZE asked first)."""
        sizes: dict[int, int] = {}
        self._sizes = sizes
        client = self._require()
        for i in range(0, len(ordered), 500):
            part = ordered[i : i + 500]
            try:
                with self._watch() as timer:
                    got = client.fetch(part, ["RFC822.SIZE"])
            except (IMAPClientAbortError, OSError) as exc:
                if timer.expired:
                    raise self._expired("FETCH", timer) from None
                self._drop()
                raise self._unavailable("FETCH failed, connection lost", exc) from exc
            except IMAPClientError:  # sizes are an optimisation: count messages instead
                if timer.expired:
                    raise self._expired("FETCH", timer) from None
                got = {}
            for uid, item in got.items():
                size = item.get(b"RFC822.SIZE")
                if isinstance(size, int):
                    sizes[int(uid)] = size
        group: list[int] = []
        total = 0
        for uid in ordered:
            size = sizes.get(uid, 0)
            too_large = size > self.max_message_bytes  # fetched apart, never whole
            if group and (len(group) >= chunk or total + size > FETCH_BYTES or too_large):
                yield group
                group, total = [], 0
            group.append(uid)
            total += size
            if too_large:
                yield group
                group, total = [], 0
        if group:
            yield group

    def _fetch_in_pieces(self, uid: int, size: int) -> list[tuple[int, dict]] | None:
        """A big message in ``BODY.PEEK[]<offset.length>`` pieces into one buffer: about
        two copies of the message at the peak instead of four. None: use a plain FETCH."""
        client = self._require()
        buf = bytearray()
        when = None
        flags: Any = ()
        offset = 0
        timer: RequestTimer | None = None
        try:
            while True:
                with self._watch(PARTIAL_BYTES) as timer:
                    got = client.fetch([uid], [f"BODY.PEEK[]<{offset}.{PARTIAL_BYTES}>",
                                               "INTERNALDATE", "FLAGS"])
                item = got.get(uid)
                if item is None:
                    return [] if offset == 0 else None  # vanished meanwhile
                piece = item.get(f"BODY[]<{offset}>".encode())
                if not isinstance(piece, bytes):
                    return None
                when = item.get(b"INTERNALDATE", when)
                flags = item.get(b"FLAGS", flags)
                buf += piece
                offset += len(piece)
                if len(piece) < PARTIAL_BYTES or offset >= size + PARTIAL_BYTES:
                    break
                del piece, item, got
        except (IMAPClientAbortError, OSError) as exc:
            if timer is not None and timer.expired:
                raise self._expired("FETCH", timer) from None
            self._drop()
            raise self._unavailable("FETCH failed, connection lost", exc) from exc
        except IMAPClientError:  # a server that cannot do partial FETCH: the plain way
            if timer is not None and timer.expired:
                raise self._expired("FETCH", timer) from None
            return None
        return [(uid, {b"BODY[]": bytes(buf), b"INTERNALDATE": when, b"FLAGS": flags})]

    def _fetch_reduced(self, uid: int, size: int, folder: str,
                       uidvalidity: int) -> RawMessage | None:
        """A mail over ``imap.max_message_mb``: its header, BODYSTRUCTURE and text parts only,
        as a stand-in message (see :mod:`bridge.oversized`). None when it vanished or the
        server cannot describe it (then it is skipped like an unreadable message)."""
        client = self._require()
        log.warning("imap.message_too_large uid=%s size=%s limit_mb=%s", uid, size,
                    self.cfg.max_message_mb)
        try:
            # one deadline for the header, the structure and up to 4 text parts
            with self._watch(4 * oversized.TEXT_PART_MAX + 65536) as timer:
                got = client.fetch([uid], ["BODYSTRUCTURE", "BODY.PEEK[HEADER]", "INTERNALDATE"])
                item = got.get(uid)
                if item is None:
                    return None  # expunged meanwhile
                header = item.get(b"BODY[HEADER]")
                structure = item.get(b"BODYSTRUCTURE")
                when = item.get(b"INTERNALDATE")
                if not isinstance(header, bytes) or not structure:
                    self._skip(uid, "no header or BODYSTRUCTURE for a too-large message")
                    return None
                texts: list[tuple[oversized.Leaf, bytes]] = []
                files: list[oversized.Leaf] = []
                for leaf in oversized.leaves(structure):
                    if not leaf.is_body_text or len(texts) >= 4:
                        files.append(leaf)
                        continue
                    piece = client.fetch(
                        [uid], [f"BODY.PEEK[{leaf.section}]<0.{oversized.TEXT_PART_MAX}>"]
                    ).get(uid, {}).get(f"BODY[{leaf.section}]<0>".encode())
                    texts.append((leaf, piece if isinstance(piece, bytes) else b""))
        except (IMAPClientAbortError, OSError) as exc:
            if timer.expired:
                raise self._expired("FETCH", timer) from None
            self._drop()
            raise self._unavailable("FETCH failed, connection lost", exc) from exc
        except IMAPClientError as exc:
            if timer.expired:
                raise self._expired("FETCH", timer) from None
            text = self._scrub(_text(exc))
            if _codes(text) in _TEMPORARY_CODES:
                raise self._unavailable("FETCH failed", text) from exc
            self._skip(uid, f"too-large message could not be described ({text})")
            return None
        internaldate = when if isinstance(when, datetime) else None
        return RawMessage(
            key=MessageKey(folder, uidvalidity, uid),
            raw=oversized.stand_in(header, texts, files),
            internaldate=internaldate,
            identity=oversized.oversized_identity(header, size, internaldate),
        )

    def _fetch_part(self, part: list[int]) -> list[tuple[int, dict]]:
        """FETCH ``part``; when the server cannot answer it, split it so that only the bad
        message is skipped."""
        client = self._require()
        size = sum(self._sizes.get(uid, 0) for uid in part)
        try:
            with self._watch(size) as timer:
                got = client.fetch(part, list(FETCH_ITEMS))
        except (IMAPClientAbortError, OSError, IMAPClientError) as exc:
            if timer.expired:
                raise self._expired("FETCH", timer) from None
            return self._fetch_failed(part, exc)
        return [(uid, got[uid]) for uid in part if uid in got]

    def _fetch_failed(self, part: list[int], exc: Exception) -> list[tuple[int, dict]]:
        """What a FETCH that failed (not by our deadline) means for ``part``."""
        try:
            raise exc
        except IMAPClientAbortError:
            text = self._scrub(_text(exc))
            self._drop()
            if "socket error" in text or self._hangups >= _MAX_HANGUPS:
                raise self._unavailable("FETCH failed, connection lost", text) from exc
            self._hangups += 1  # the server said BYE to this FETCH: reconnect, isolate
            self._reselect()
            return self._split(part, f"the server hung up on FETCH ({text})")
        except OSError as exc:
            self._drop()
            raise self._unavailable("FETCH failed, connection lost", exc) from exc
        except IMAPClientError as exc:  # ProtocolError (unparsable) or a NO/BAD answer
            text = self._scrub(_text(exc))
            if not isinstance(exc, ProtocolError) and _codes(text) in _TEMPORARY_CODES:
                raise self._unavailable("FETCH failed", text) from exc
            why = "unparsable FETCH answer" if isinstance(exc, ProtocolError) else text
            return self._split(part, why)

    def _split(self, part: list[int], why: str) -> list[tuple[int, dict]]:
        if len(part) == 1:
            self._skip(part[0], why)
            return []
        out: list[tuple[int, dict]] = []
        for uid in part:  # one at a time: the others still come
            out += self._fetch_part([uid])
        return out

    def _reselect(self) -> None:
        """Reconnect and select the same folder; MailboxUnavailable if UIDVALIDITY moved."""
        folder, old = self._selected_folder_before_drop, self._uidvalidity
        self.connect()
        if self.select(folder) != old:
            raise MailboxUnavailable(
                f"imap {self.where}: UIDVALIDITY of {folder!r} changed during FETCH"
            )

    def _skip(self, uid: int, why: str) -> None:
        self.skipped.append((uid, why))
        log.warning("imap.fetch_skipped uid=%s reason=%r", uid, why)

    # ---- after the outcome -----------------------------------------------------------

    def finish(self, uid: int, processed_folder: str) -> str:
        """Mark or move one finished message; returns "seen", "moved", "copied" or "gone".

        ``""``: add ``\\Seen``. Otherwise MOVE into ``processed_folder`` (created if
        missing); without MOVE, COPY + ``\\Deleted`` + UID EXPUNGE of this one UID (UIDPLUS);
        without UIDPLUS, ``\\Seen`` (nothing else is ever expunged).
        """
        client = self._selected_client()
        if uid not in self._search(client, ["UID", str(uid)]):
            return "gone"
        caps = self.capabilities()
        if not processed_folder or ("MOVE" not in caps and "UIDPLUS" not in caps):
            self._call("STORE", client.add_flags, [uid], [SEEN], silent=True)
            return "seen"
        self.ensure_folder(processed_folder)
        target = self.server_name(processed_folder)
        if "MOVE" in caps:
            self._call("MOVE", client.move, [uid], target)
            return "moved"
        self._call("COPY", client.copy, [uid], target)
        self._call("STORE", client.add_flags, [uid], [DELETED], silent=True)
        self._call("UID EXPUNGE", client.uid_expunge, [uid])
        return "copied"

    def finish_many(self, uids: Sequence[int], processed_folder: str) -> dict[int, str]:
        """``finish`` for many UIDs with one SEARCH and one STORE/MOVE per 200 UIDs.

        Returns uid -> "seen" | "moved" | "copied" | "gone", as ``finish`` would.
        """
        client = self._selected_client()
        out: dict[int, str] = {}
        ordered = sorted(set(int(u) for u in uids))
        caps = self.capabilities()
        for i in range(0, len(ordered), 200):
            part = ordered[i : i + 200]
            present = set(self._search(client, ["UID", ",".join(map(str, part))]))
            out.update({uid: "gone" for uid in part if uid not in present})
            here = [uid for uid in part if uid in present]
            if not here:
                continue
            if not processed_folder or ("MOVE" not in caps and "UIDPLUS" not in caps):
                self._call("STORE", client.add_flags, here, [SEEN], silent=True)
                out.update({uid: "seen" for uid in here})
                continue
            self.ensure_folder(processed_folder)
            target = self.server_name(processed_folder)
            if "MOVE" in caps:
                self._call("MOVE", client.move, here, target)
                out.update({uid: "moved" for uid in here})
            else:
                self._call("COPY", client.copy, here, target)
                self._call("STORE", client.add_flags, here, [DELETED], silent=True)
                self._call("UID EXPUNGE", client.uid_expunge, here)
                out.update({uid: "copied" for uid in here})
        return out

    # ---- waiting ---------------------------------------------------------------------

    def noop(self) -> bool:
        """NOOP; True if the server announced new mail. MailboxUnavailable when dead."""
        client = self._require()
        _, responses = self._call("NOOP", client.noop)
        return _announces_mail(responses)

    def idle_wait(self, timeout: float, stop: Event | None = None) -> bool:
        """IDLE up to ``timeout`` s; True as soon as the server announces new mail.

        BYE, or an early empty ``idle_check`` (EOF: it returns ``[]`` at once on a dead
        socket), raises MailboxUnavailable. ``stop`` (an Event) ends the wait early.
        """
        client = self._selected_client()
        if "IDLE" not in self.capabilities():
            raise MailboxRejected(
                f"imap {self.where}: the server does not support IDLE; set imap.idle = false"
            )
        self._call("IDLE", client.idle)
        new_mail = False
        dead: str | None = None
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            while not new_mail and dead is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (stop is not None and stop.is_set()):
                    break
                step = min(remaining, 1.0) if stop is not None else remaining
                started = time.monotonic()
                responses = self._call("IDLE", client.idle_check, timeout=step, _wait=step)
                if not responses and time.monotonic() - started < step - _EARLY:
                    dead = "connection closed by the server (EOF)"
                for r in responses:
                    if len(r) > 0 and r[0] == b"BYE":
                        dead = "server said BYE: " + " ".join(_text(x) for x in r[1:])
                new_mail = new_mail or _announces_mail(responses)
        except MailboxError:
            self._drop()
            raise
        if dead is not None:
            self._drop()
            raise self._unavailable("connection lost during IDLE", dead)
        try:
            _, responses = self._call("DONE", client.idle_done)
        except MailboxError:
            self._drop()
            raise
        return new_mail or _announces_mail(responses)


def _flags(value: Any) -> tuple[str, ...]:
    """FETCH FLAGS (``(b'\\Seen', ...)``) as text; anything else is no flags."""
    if not isinstance(value, tuple | list):
        return ()
    return tuple(_text(f) for f in value)


def _announces_mail(responses: Sequence[Any]) -> bool:
    """EXISTS or RECENT among untagged responses (``(3, b'EXISTS')``)."""
    return any(
        isinstance(r, tuple) and len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT") for r in responses
    )


def _cause(exc: BaseException | str) -> str:
    """A short human cause for an exception ("connection refused", "timed out", ...)."""
    if isinstance(exc, str):
        return exc
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = _text(exc.args[0]) if exc.args else ""
    return text or type(exc).__name__


# ---- `mailbridge check` ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of ``mailbridge check``: ``ok``, what was found, and the error if not."""

    name: str
    ok: bool
    detail: str
    error: BaseException | None = None


def check_imap(cfg: ImapConfig) -> list[CheckResult]:
    """DNS, TCP, TLS, login, folder, processed folder, IDLE: one result each, in order.

    Stops at the first failure (later steps cannot run). ``error`` is a ConfigError,
    MailboxRejected (setup: exit 78) or MailboxUnavailable (not reachable: exit 69).
    """
    out: list[CheckResult] = []
    try:
        box = ImapMailbox(cfg)
    except ConfigError as exc:
        return [CheckResult("imap config", False, str(exc), exc)]
    try:
        try:
            addrs = box.resolve()
        except MailboxError as exc:
            return [*out, CheckResult("imap dns", False, str(exc), exc)]
        out.append(CheckResult("imap dns", True, f"{cfg.host} -> {', '.join(addrs)}"))
        try:
            with socket.create_connection((cfg.host, cfg.port), timeout=cfg.timeout):
                pass
        except OSError as exc:
            err = box._unavailable("cannot open a TCP connection (check imap.port)", exc)
            return [*out, CheckResult("imap tcp", False, str(err), err)]
        out.append(CheckResult("imap tcp", True, f"{box.where} accepts connections"))
        try:
            box.open()
        except MailboxError as exc:
            return [*out, CheckResult("imap tls", False, str(exc), exc)]
        out.append(CheckResult(
            "imap tls", True,
            "no TLS (plain, loopback)" if cfg.security == "plain"
            else f"{cfg.security}: certificate verified",
        ))
        try:
            box.login()
        except MailboxError as exc:
            return [*out, CheckResult("imap login", False, str(exc), exc)]
        out.append(CheckResult("imap login", True, f"logged in as {cfg.username}"))
        try:
            uidvalidity = box.select(cfg.folder)
        except MailboxError as exc:
            return [*out, CheckResult("imap folder", False, str(exc), exc)]
        out.append(CheckResult(
            "imap folder", True, f"{cfg.folder} (UIDVALIDITY {uidvalidity}, UIDNEXT {box.uidnext})"
        ))
        caps = box.capabilities()
        if cfg.processed_folder:
            how = ("MOVE" if "MOVE" in caps else "COPY + UID EXPUNGE" if "UIDPLUS" in caps
                   else "no MOVE/UIDPLUS: finished mail is only marked \\Seen")
            state = "exists" if box.folder_exists(cfg.processed_folder) else (
                "will be created on first use")
            out.append(CheckResult(
                "imap processed_folder", True, f"{cfg.processed_folder} {state}; {how}"
            ))
        if cfg.idle:
            if "IDLE" in caps:
                out.append(CheckResult("imap idle", True, "IDLE supported"))
            else:
                err = MailboxRejected("the server does not support IDLE; set imap.idle = false")
                out.append(CheckResult("imap idle", False, str(err), err))
        return out
    except MailboxError as exc:
        return [*out, CheckResult("imap", False, str(exc), exc)]
    finally:
        box.close()
