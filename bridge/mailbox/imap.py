"""``ImapMailbox``: the mail source the pipeline, the daemon and ``check`` use, in one object.

A thin facade over the parts of one session: :class:`~bridge.mailbox.session.ImapSession`
(connection, TLS, login, deadlines), :class:`~bridge.mailbox.folders.Folders` (names,
SELECT, SEARCH), :class:`~bridge.mailbox.fetching.Fetcher` (FETCH), and the functions of
:mod:`~bridge.mailbox.finishing` and :mod:`~bridge.mailbox.idle`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from threading import Event
from types import TracebackType

from bridge.config import ImapConfig
from bridge.hosts import Resolver, system_resolver
from bridge.mailbox import finishing, idle
from bridge.mailbox.fetching import Fetcher
from bridge.mailbox.folders import Folders
from bridge.mailbox.session import ImapSession
from bridge.model import RawMessage


class ImapMailbox:
    """One IMAP session for the bridge. Not thread-safe: one thread per instance."""

    def __init__(self, cfg: ImapConfig, resolver: Resolver = system_resolver) -> None:
        self.session = ImapSession(cfg, resolver)
        self.folders = Folders(self.session)
        self.fetcher = Fetcher(self.session, self.folders)

    # ---- what the session knows --------------------------------------------------------

    @property
    def cfg(self) -> ImapConfig:
        return self.session.cfg

    @property
    def where(self) -> str:
        """``host:port`` of the server."""
        return self.session.where

    @property
    def connected(self) -> bool:
        return self.session.connected

    @property
    def uidvalidity(self) -> int | None:
        """UIDVALIDITY as the last SELECT reported it (None before a SELECT)."""
        return self.session.uidvalidity

    @property
    def uidnext(self) -> int | None:
        """UIDNEXT as the last SELECT reported it (None before a SELECT or when not sent)."""
        return self.session.uidnext

    @property
    def skipped(self) -> list[tuple[int, str]]:
        """(uid, why) of every message ``fetch`` could not read, oldest first."""
        return self.fetcher.skipped

    @property
    def max_message_bytes(self) -> int:
        """A message larger than this is never fetched whole (``imap.max_message_mb``)."""
        return self.fetcher.max_message_bytes

    @max_message_bytes.setter
    def max_message_bytes(self, value: int) -> None:
        self.fetcher.max_message_bytes = value

    def capabilities(self) -> set[str]:
        """The server's capabilities, upper-case (cached per connection)."""
        return self.session.capabilities()

    # ---- connection ----------------------------------------------------------------------

    def resolve(self) -> list[str]:
        """The host's addresses. MailboxUnavailable when DNS cannot resolve it."""
        return self.session.resolve()

    def open(self) -> None:
        """TCP + TLS (ssl or STARTTLS) + greeting, without logging in."""
        self.session.open()

    def login(self) -> None:
        """LOGIN with the configured account. MailboxRejected when the server refuses it."""
        self.session.login()

    def connect(self) -> ImapMailbox:
        """Open, secure and log in (no-op when connected)."""
        self.session.connect()
        return self

    def close(self) -> None:
        """LOGOUT and close; never raises."""
        self.session.close()

    def __enter__(self) -> ImapMailbox:
        return self.connect()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- folders ---------------------------------------------------------------------------

    def server_name(self, name: str) -> str:
        """Config folder name ("Forms/Processed") -> the server's name (its delimiter/prefix)."""
        return self.folders.server_name(name)

    def folder_exists(self, name: str) -> bool:
        """Whether the server lists the folder ``name`` (config spelling)."""
        return self.folders.exists(name)

    def folder_names(self) -> list[str]:
        """Every folder on the server, as the config names them, INBOX first."""
        return self.folders.names()

    def ensure_folder(self, name: str) -> None:
        """Create ``name`` (and its parents, as the server does) unless it exists."""
        self.folders.ensure(name)

    def select(self, folder: str | None = None) -> int:
        """SELECT (read-write) ``folder`` (default ``imap.folder``); returns UIDVALIDITY."""
        return self.folders.select(folder)

    def search_new(self, after_uid: int | None, since: date | None) -> list[int]:
        """UIDs > ``after_uid``; else those with INTERNALDATE on or after ``since``; else all."""
        return self.folders.search_new(after_uid, since)

    # ---- messages --------------------------------------------------------------------------

    def fetch(self, uids: Sequence[int], chunk: int = 25) -> Iterator[RawMessage]:
        """Yield each message in UID order, unmarked; unreadable ones land in ``skipped``."""
        return self.fetcher.fetch(uids, chunk)

    def finish(self, uid: int, processed_folder: str) -> str:
        """Mark or move one finished message; returns "seen", "moved", "copied" or "gone"."""
        return finishing.finish(self.folders, uid, processed_folder)

    def finish_many(self, uids: Sequence[int], processed_folder: str) -> dict[int, str]:
        """``finish`` for many UIDs: uid -> "seen" | "moved" | "copied" | "gone"."""
        return finishing.finish_many(self.folders, uids, processed_folder)

    # ---- waiting ---------------------------------------------------------------------------

    def noop(self) -> bool:
        """NOOP; True if the server announced new mail. MailboxUnavailable when dead."""
        return idle.noop(self.session)

    def idle_wait(self, timeout: float, stop: Event | None = None) -> bool:
        """IDLE up to ``timeout`` s; True as soon as the server announces new mail."""
        return idle.idle_wait(self.folders, timeout, stop)
