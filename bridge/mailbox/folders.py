"""Folders: names as the server spells them, LIST/CREATE, SELECT, and finding new mail by UID."""

from __future__ import annotations

import logging
from datetime import date

from imapclient.exceptions import IMAPClientError

from bridge.errors import FolderMissing, MailboxRejected
from bridge.mailbox.session import ImapSession
from bridge.mailbox.wire import TEMPORARY_CODES, Wire, codes, text

log = logging.getLogger("bridge.mailbox")


class Folders:
    """The folder side of one session (namespace, names, SELECT, SEARCH)."""

    def __init__(self, session: ImapSession) -> None:
        self.s = session
        self._delimiter: str | None = None
        self._prefix = ""
        self._known: set[str] = set()  # server names known to exist (created or seen)

    def _namespace(self) -> tuple[str, str]:
        """(prefix, delimiter) of the personal namespace ("", "/" when unknown)."""
        if self._delimiter is None:
            wire = self.s.require()
            prefix, delim = "", "/"
            if "NAMESPACE" in self.s.capabilities():
                personal = self.s.call("NAMESPACE", wire.personal_namespace)
                if personal is not None:
                    prefix, delim = personal[0], personal[1] or delim
            else:
                listing = self.s.call("LIST", lambda: wire.list_folders("", ""))
                if listing and listing[0].delimiter:
                    delim = listing[0].delimiter
            self._prefix, self._delimiter = prefix, delim
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

    def exists(self, name: str) -> bool:
        """Whether the server lists the folder ``name`` (config spelling)."""
        wire = self.s.require()
        server_name = self.server_name(name)
        return self.s.call("LIST", lambda: wire.folder_exists(server_name))

    def names(self) -> list[str]:
        """Every folder the server lists, decoded (modified UTF-7), as the config names them
        ("/" between levels, without the personal namespace's prefix)."""
        wire = self.s.require()
        prefix, delim = self._namespace()
        names = []
        for listed in self.s.call("LIST", lambda: wire.list_folders("", "*")):
            name = listed.name
            if prefix and name.startswith(prefix) and name.upper() != "INBOX":
                name = name[len(prefix):]
            names.append(name.replace(delim, "/") if delim != "/" else name)
        return sorted(names, key=lambda n: (n.upper() != "INBOX", n.lower()))

    def ensure(self, name: str) -> None:
        """Create ``name`` (and its parents, as the server does) unless it exists."""
        server_name = self.server_name(name)
        if server_name in self._known:
            return
        wire = self.s.require()
        if not self.exists(name):
            try:
                self.s.call("CREATE", lambda: wire.create_folder(server_name), raw=True)
                log.info("imap.folder_created folder=%s", server_name)
            except IMAPClientError as exc:
                if not self.exists(name):  # not a race with another client
                    raise MailboxRejected(
                        f"imap {self.s.where}: cannot create folder {name!r}: "
                        f"{self.s.scrub(text(exc))}; check imap.processed_folder"
                    ) from exc
            try:
                self.s.call("SUBSCRIBE", lambda: wire.subscribe_folder(server_name), raw=True)
            except IMAPClientError:
                log.debug("imap.subscribe_failed folder=%s", server_name)
        self._known.add(server_name)

    def select(self, folder: str | None = None) -> int:
        """SELECT (read-write) ``folder`` (default ``imap.folder``); returns UIDVALIDITY."""
        folder = folder or self.s.cfg.folder
        wire = self.s.require()
        name = self.server_name(folder)
        try:
            info = self.s.call("SELECT", lambda: wire.select_folder(name), raw=True)
        except IMAPClientError as exc:
            said = self.s.scrub(text(exc))
            if codes(said) in TEMPORARY_CODES:
                raise self.s.unavailable(f"cannot select {folder!r}", said) from exc
            key = "imap.folder" if folder == self.s.cfg.folder else "imap.processed_folder"
            raise FolderMissing(
                f"imap folder {folder!r} cannot be selected ({said}): check {key}",
                folder=folder, key=key, server_text=said,
            ) from exc
        if not info.read_write:
            log.warning("imap.read_only folder=%s", folder)
        self.s.selected = folder
        self.s.uidvalidity = info.uidvalidity
        self.s.uidnext = info.uidnext
        return info.uidvalidity

    def selected_wire(self) -> Wire:
        """The connection, with ``imap.folder`` selected unless a folder already is."""
        wire = self.s.require()
        if self.s.selected is None:
            self.select()
        return wire

    def search(self, criteria: list[object]) -> list[int]:
        """UID SEARCH in the selected folder."""
        wire = self.selected_wire()
        return self.s.call("SEARCH", lambda: wire.search(criteria))

    def search_new(self, after_uid: int | None, since: date | None) -> list[int]:
        """UIDs > ``after_uid``; else those with INTERNALDATE on or after ``since``; else all.

        ``UID n:*`` also matches the highest existing UID when every UID is below n
        (RFC 3501 ``*``), so the answer is filtered.
        """
        criteria: list[object]
        if after_uid is not None:
            criteria = ["UID", f"{after_uid + 1}:*"]
        elif since is not None:
            criteria = ["SINCE", since]
        else:
            criteria = ["ALL"]
        uids = self.search(criteria)
        if after_uid is not None:
            uids = [u for u in uids if u > after_uid]
        return sorted(set(uids))
