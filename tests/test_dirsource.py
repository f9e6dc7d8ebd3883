"""bridge.dirsource: a folder of .eml files behaves like the IMAP mailbox for the pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Protocol, runtime_checkable

from bridge.config import ImapConfig
from bridge.dirsource import UIDVALIDITY, DirMailbox
from bridge.mailbox import ImapMailbox
from bridge.model import RawMessage


@runtime_checkable
class SourceWithFeatures(Protocol):
    """Everything the pipeline uses from a mail source, its former optional extras included."""

    @property
    def uidnext(self) -> int | None: ...
    @property
    def skipped(self) -> Sequence[tuple[int, str]]: ...
    def select(self, folder: str) -> int: ...
    def search_new(self, after_uid: int | None, since: date | None) -> list[int]: ...
    def fetch(self, uids: Sequence[int]) -> Iterator[RawMessage]: ...
    def finish(self, uid: int, processed_folder: str) -> str: ...
    def finish_many(self, uids: Sequence[int], processed_folder: str) -> dict[int, str]: ...
    def close(self) -> None: ...


def inbox(tmp_path: Path, *names: str) -> Path:
    """A directory with one small .eml per name."""
    root = tmp_path / "inbox"
    root.mkdir()
    for name in names:
        (root / name).write_bytes(b"Subject: " + name.encode() + b"\r\n\r\nbody\r\n")
    return root


def test_both_sources_offer_every_feature_the_pipeline_uses(tmp_path: Path) -> None:
    """DirMailbox and ImapMailbox both have uidnext, skipped and finish_many: no getattr."""
    imap = ImapMailbox(ImapConfig(host="127.0.0.1", port=1, security="plain"))
    assert isinstance(imap, SourceWithFeatures)
    assert isinstance(DirMailbox(tmp_path), SourceWithFeatures)
    assert (imap.uidnext, imap.skipped) == (None, [])


def test_a_maildir_seen_file_is_fetched_as_seen(tmp_path: Path) -> None:
    """A file named with ``:2,S`` comes as \\Seen, and carries no stand-in identity."""
    box = DirMailbox(inbox(tmp_path, "1.a:2,S.eml", "2.b.eml"))
    assert box.select("INBOX") == UIDVALIDITY
    seen, fresh = box.fetch(box.search_new(None, None))
    assert (seen.seen, seen.flags, seen.identity) == (True, ("\\Seen",), None)
    assert (fresh.seen, fresh.flags, fresh.identity) == (False, (), None)


def test_a_finished_message_is_fetched_again_as_seen(tmp_path: Path) -> None:
    """Once finished without a processed folder, the file stays and reads as \\Seen."""
    box = DirMailbox(inbox(tmp_path, "1.eml"))
    box.select("INBOX")
    assert box.finish(1, "") == "seen"
    (again,) = box.fetch([1])
    assert again.seen and again.identity is None


def test_finish_many_answers_as_finish_would(tmp_path: Path) -> None:
    """Each UID is moved into the processed sub-folder once; a vanished file is "gone"."""
    root = inbox(tmp_path, "1.eml", "2.eml", "3.eml")
    box = DirMailbox(root)
    box.select("INBOX")
    assert box.uidnext == 4 and box.skipped == []
    (root / "2.eml").unlink()
    assert box.finish_many([3, 1, 2, 1], "Processed") == {1: "moved", 2: "gone", 3: "moved"}
    assert sorted(p.name for p in (root / "Processed").iterdir()) == ["1.eml", "3.eml"]
    assert box.finish_many([1], "Processed") == {1: "gone"}
