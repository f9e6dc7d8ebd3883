"""Fetching: messages in UID order, in groups capped by count and size, without ``\\Seen``.

Sizes (``RFC822.SIZE``) are asked first, so memory stays at about one group however large
the messages are: a big one comes alone (in pieces), one over ``imap.max_message_mb`` never
whole (:mod:`bridge.mailbox.bigfetch`). A message the server cannot deliver is skipped and
kept in :attr:`Fetcher.skipped`; the others still come.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime

from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, ProtocolError

from bridge.deadline import RequestTimer
from bridge.errors import MailboxUnavailable
from bridge.mailbox.bigfetch import fetch_in_pieces, fetch_reduced
from bridge.mailbox.folders import Folders
from bridge.mailbox.session import ImapSession
from bridge.mailbox.wire import FETCH_ITEMS, TEMPORARY_CODES, FetchItem, codes, flags, text
from bridge.model import MB, MessageKey, RawMessage

log = logging.getLogger("bridge.mailbox")

FETCH_BYTES = 4 * 1024 * 1024  # one FETCH carries at most this much (at least one message)
_MAX_HANGUPS = 5  # BYEs to FETCH in one fetch() call before we call the server broken
_SIZE_ASK = 500  # UIDs per RFC822.SIZE request

Answers = list[tuple[int, FetchItem]]


class Fetcher:
    """The FETCH side of one session."""

    def __init__(self, session: ImapSession, folders: Folders) -> None:
        self.s = session
        self.folders = folders
        self.skipped: list[tuple[int, str]] = []  # (uid, why) fetch could not read
        self.max_message_bytes = session.cfg.max_message_mb * MB  # larger: never fetched whole
        self._hangups = 0
        self._sizes: dict[int, int] = {}  # RFC822.SIZE of the UIDs being fetched

    def fetch(self, uids: Sequence[int], chunk: int = 25) -> Iterator[RawMessage]:
        """Yield each message (``BODY.PEEK[]``, INTERNALDATE) in UID order, ``chunk`` at a time.

        Vanished UIDs are not yielded. A message the server cannot deliver (a NO, or a BYE
        that ends the session, as Dovecot does for an unreadable file) or whose answer
        cannot be parsed is skipped, logged and kept in ``self.skipped`` as ``(uid,
        reason)``; the others still come (after a reconnect when the server hung up). A
        temporary NO ([UNAVAILABLE] ...), a lost connection, or a server that keeps hanging
        up raises MailboxUnavailable.
        """
        self.folders.selected_wire()
        folder, uidvalidity = self.s.selected, self.s.uidvalidity or 0
        assert folder is not None  # selected_wire() selects a folder
        self._hangups = 0
        for group in self.groups(sorted(set(int(u) for u in uids)), max(1, chunk)):
            size = self._sizes.get(group[0], 0)
            if len(group) == 1 and size > self.max_message_bytes:
                key = MessageKey(folder, uidvalidity, group[0])
                reduced = fetch_reduced(self.s, key, size, self.skip)
                if reduced is not None:
                    yield reduced
                continue
            answers = None
            if len(group) == 1 and size > FETCH_BYTES:
                answers = fetch_in_pieces(self.s, group[0], size)
            if answers is None:
                answers = self._fetch_part(group)
            while answers:
                uid, item = answers.pop(0)
                message = self._message(MessageKey(folder, uidvalidity, uid), item)
                del item
                if message is None:
                    continue
                yield message
                # Not held while the next FETCH runs: memory stays at one message.
                del message

    def _message(self, key: MessageKey, item: FetchItem) -> RawMessage | None:
        """One FETCH answer as a message (its body taken out of ``item``); None: skipped."""
        raw = item.pop(b"BODY[]", None)
        if not isinstance(raw, bytes):
            self.skip(key.uid, "no BODY[] in the FETCH answer")
            return None
        when = item.get(b"INTERNALDATE")
        return RawMessage(key=key, raw=raw,
                          internaldate=when if isinstance(when, datetime) else None,
                          flags=flags(item.get(b"FLAGS")))

    def _ask_sizes(self, ordered: list[int]) -> dict[int, int]:
        """RFC822.SIZE of each UID (those the server will not tell are left out)."""
        sizes: dict[int, int] = {}
        wire = self.s.require()
        for i in range(0, len(ordered), _SIZE_ASK):
            part = ordered[i : i + _SIZE_ASK]
            timer: RequestTimer | None = None
            try:
                with self.s.watch() as timer:
                    got = wire.fetch(part, ["RFC822.SIZE"])
            except (IMAPClientAbortError, OSError) as exc:
                self.s.lost("FETCH", exc, timer)
            except IMAPClientError:  # sizes are an optimisation: count messages instead
                self.s.check_deadline("FETCH", timer)
                got = {}
            for uid, item in got.items():
                size = item.get(b"RFC822.SIZE")
                if isinstance(size, int):
                    sizes[int(uid)] = size
        return sizes

    def groups(self, ordered: list[int], chunk: int) -> Iterator[list[int]]:
        """UIDs in FETCH groups of at most ``chunk`` messages and ``FETCH_BYTES`` bytes, so
        memory stays flat however large the messages are (RFC822.SIZE asked first)."""
        self._sizes = sizes = self._ask_sizes(ordered)
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

    def _fetch_part(self, part: list[int]) -> Answers:
        """FETCH ``part``; when the server cannot answer it, split it so that only the bad
        message is skipped."""
        wire = self.s.require()
        size = sum(self._sizes.get(uid, 0) for uid in part)
        timer: RequestTimer | None = None
        try:
            with self.s.watch(size) as timer:
                got = wire.fetch(part, FETCH_ITEMS)
        except (IMAPClientAbortError, OSError, IMAPClientError) as exc:
            self.s.check_deadline("FETCH", timer)
            return self._fetch_failed(part, exc)
        return [(uid, got[uid]) for uid in part if uid in got]

    def _fetch_failed(self, part: list[int], exc: Exception) -> Answers:
        """What a FETCH that failed (not by our deadline) means for ``part``."""
        if isinstance(exc, IMAPClientAbortError):
            said = self.s.scrub(text(exc))
            self.s.drop()
            if "socket error" in said or self._hangups >= _MAX_HANGUPS:
                raise self.s.unavailable("FETCH failed, connection lost", said) from exc
            self._hangups += 1  # the server said BYE to this FETCH: reconnect, isolate
            self._reselect()
            return self._split(part, f"the server hung up on FETCH ({said})")
        if isinstance(exc, OSError):
            self.s.drop()
            raise self.s.unavailable("FETCH failed, connection lost", exc) from exc
        # ProtocolError (unparsable) or a NO/BAD answer
        said = self.s.scrub(text(exc))
        if not isinstance(exc, ProtocolError) and codes(said) in TEMPORARY_CODES:
            raise self.s.unavailable("FETCH failed", said) from exc
        why = "unparsable FETCH answer" if isinstance(exc, ProtocolError) else said
        return self._split(part, why)

    def _split(self, part: list[int], why: str) -> Answers:
        if len(part) == 1:
            self.skip(part[0], why)
            return []
        out: Answers = []
        for uid in part:  # one at a time: the others still come
            out += self._fetch_part([uid])
        return out

    def _reselect(self) -> None:
        """Reconnect and select the same folder; MailboxUnavailable if UIDVALIDITY moved."""
        folder, old = self.s.folder_before_drop, self.s.uidvalidity
        self.s.connect()
        if self.folders.select(folder) != old:
            raise MailboxUnavailable(
                f"imap {self.s.where}: UIDVALIDITY of {folder!r} changed during FETCH"
            )

    def skip(self, uid: int, why: str) -> None:
        """Record (and log) a message fetch could not read."""
        self.skipped.append((uid, why))
        log.warning("imap.fetch_skipped uid=%s reason=%r", uid, why)
