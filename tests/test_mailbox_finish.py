"""bridge.mailbox finishing mail in a real Dovecot: \\Seen, MOVE, COPY + UID EXPUNGE."""

from __future__ import annotations

import pytest

from tests.mailbox_support import opened
from tests.servers.dovecot import (
    ImapAccount,
    new_account,
    running_server,
    sample_message,
)

pytestmark = pytest.mark.imap

# ---- finishing ------------------------------------------------------------------------


def test_finish_marks_seen(account: ImapAccount) -> None:
    """With no processed folder the message stays and gets \\Seen."""
    uid, other = account.append_many([sample_message(), sample_message()])
    with opened(account) as box:
        box.select("INBOX")
        assert box.finish(uid, "") == "seen"
    assert "\\Seen" in account.flags(uid)
    assert "\\Seen" not in account.flags(other)
    assert account.uids() == [uid, other]


def test_finish_moves_into_created_subfolder(account: ImapAccount) -> None:
    """MOVE into "Forms/Processed", created on first use; other mail stays put."""
    a, b, c = account.append_many([sample_message(subject=s) for s in "abc"])
    with opened(account) as box:
        box.select("INBOX")
        assert not box.folder_exists("Forms/Processed")
        assert box.finish(a, "Forms/Processed") == "moved"
        assert box.folder_exists("Forms/Processed")
        assert box.finish(c, "Forms/Processed") == "moved"
        assert box.finish(a, "Forms/Processed") == "gone"
    assert account.uids() == [b]
    assert len(account.uids("Forms/Processed")) == 2
    assert "Forms/Processed" in account.folders()


def test_finish_into_non_ascii_folder(account: ImapAccount) -> None:
    """A Cyrillic processed folder name works (modified UTF-7 on the wire)."""
    uid = account.deliver(sample_message())
    with opened(account) as box:
        box.select("INBOX")
        assert box.finish(uid, "Обработано") == "moved"
    assert "Обработано" in account.folders()


def test_finish_gone_message(account: ImapAccount) -> None:
    """A message someone else already removed is reported as "gone", nothing else changes."""
    uid, other = account.append_many([sample_message(), sample_message()])
    account.expunge(uid)
    with opened(account) as box:
        box.select("INBOX")
        assert box.finish(uid, "") == "gone"
        assert box.finish(uid, "Processed") == "gone"
    assert account.uids() == [other]


_CAPS = (
    "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES "
    "MULTIAPPEND UNSELECT CHILDREN NAMESPACE LIST-EXTENDED I18NLEVEL=1 CONDSTORE ESEARCH"
)


@pytest.mark.parametrize(
    ("caps", "expected"), [(_CAPS + " UIDPLUS", "copied"), (_CAPS, "seen")]
)
def test_finish_without_move(caps: str, expected: str) -> None:
    """Without MOVE: COPY + UID EXPUNGE of that one UID; without UIDPLUS too: only \\Seen."""
    with running_server(tls=False, extra_conf=f"imap_capability = {caps}") as server:
        account = new_account(server)
        uid, deleted_by_someone = account.append_many([sample_message(), sample_message()])
        with account.client() as c:  # another client's \Deleted mark must survive
            c.select_folder("INBOX")
            c.add_flags([deleted_by_someone], [b"\\Deleted"])
        with opened(account) as box:
            box.select("INBOX")
            assert "MOVE" not in box.capabilities()
            assert box.finish(uid, "Processed") == expected
        if expected == "copied":
            assert account.uids() == [deleted_by_someone]
            assert len(account.uids("Processed")) == 1
        else:
            assert account.uids() == [uid, deleted_by_someone]
            assert "\\Seen" in account.flags(uid)
        assert "\\Deleted" in account.flags(deleted_by_someone)



def test_finish_many_moves_a_set_and_reports_gone(account: ImapAccount) -> None:
    """One MOVE for many UIDs; a UID removed by someone else is reported as "gone"."""
    uids = account.append_many([sample_message(subject=str(i)) for i in range(5)])
    account.expunge(uids[1])
    with opened(account) as box:
        box.select("INBOX")
        done = box.finish_many(uids[:4], "Processed")
    assert done == {uids[0]: "moved", uids[1]: "gone", uids[2]: "moved", uids[3]: "moved"}
    assert account.uids() == [uids[4]]
    assert len(account.uids("Processed")) == 3


def test_finish_many_marks_seen_without_a_processed_folder(account: ImapAccount) -> None:
    """Without a processed folder every UID is marked \\Seen and stays."""
    uids = account.append_many([sample_message(subject=str(i)) for i in range(3)])
    with opened(account) as box:
        box.select("INBOX")
        assert set(box.finish_many(uids, "").values()) == {"seen"}
    assert account.uids() == uids
    assert all("\\Seen" in account.flags(u) for u in uids)

