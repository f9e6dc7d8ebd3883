"""A folder of .eml files as a mail source (the demo, and offline replays).

It offers the same small interface the pipeline uses for IMAP: files sorted by name get
UIDs 1, 2, 3…; UIDVALIDITY is fixed; "finishing" a message records it (and, with a
processed folder, moves the file into that sub-folder), so nothing is ever deleted. A message
counts as ``\\Seen`` once finished here, or when its file name carries the Maildir flag
``:2,S`` (``1700000000.x:2,S.eml``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from bridge.errors import MailboxRejected
from bridge.model import MessageKey, RawMessage

UIDVALIDITY = 1


class DirMailbox:
    """The ``.eml`` files of one directory as a mailbox (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: list[Path] = []
        self.folder = ""
        self.finished: dict[int, str] = {}
        self.uidnext: int | None = 1  # as IMAP's SELECT reports it: the next UID to come
        self.skipped: list[tuple[int, str]] = []  # (uid, why) unreadable: never, with files

    def select(self, folder: str) -> int:
        if not self.root.is_dir():
            raise MailboxRejected(f"mail folder {self.root} does not exist")
        self.folder = folder
        self._files = sorted(p for p in self.root.iterdir() if p.suffix == ".eml")
        self.uidnext = len(self._files) + 1
        return UIDVALIDITY

    def _mtime(self, path: Path) -> datetime:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)

    def search_new(self, after_uid: int | None, since: date | None) -> list[int]:
        uids = []
        for uid, path in enumerate(self._files, 1):
            if after_uid is not None and uid <= after_uid:
                continue
            if after_uid is None and since is not None and self._mtime(path).date() < since:
                continue
            uids.append(uid)
        return uids

    def fetch(self, uids: Sequence[int]) -> Iterator[RawMessage]:
        for uid in uids:
            path = self._files[uid - 1]
            if not path.exists():
                continue
            flags = ("\\Seen",) if uid in self.finished or ":2,S" in path.name else ()
            yield RawMessage(
                MessageKey(self.folder, UIDVALIDITY, uid), path.read_bytes(), self._mtime(path),
                flags=flags,
            )

    def finish(self, uid: int, processed_folder: str) -> str:
        path = self._files[uid - 1]
        if not path.exists():
            return "gone"
        if processed_folder:
            target = self.root / processed_folder
            target.mkdir(exist_ok=True)
            path.rename(target / path.name)
            self.finished[uid] = "moved"
        else:
            self.finished[uid] = "seen"
        return self.finished[uid]

    def finish_many(self, uids: Sequence[int], processed_folder: str) -> dict[int, str]:
        """``finish`` for each UID: uid -> "seen" | "moved" | "gone", as IMAP's answers."""
        return {uid: self.finish(uid, processed_folder) for uid in sorted(set(uids))}

    def close(self) -> None:
        pass
