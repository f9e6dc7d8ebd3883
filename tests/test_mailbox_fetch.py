"""bridge.mailbox finding and fetching mail in a real Dovecot (one server per module)."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from bridge.config import ImapConfig
from bridge.mailbox import ImapMailbox
from tests.mailbox_support import opened
from tests.servers.dovecot import (
    ImapAccount,
    parse_uid_set,
    sample_message,
)

pytestmark = pytest.mark.imap

# ---- finding and fetching -------------------------------------------------------------


def test_search_new_after_uid(account: ImapAccount) -> None:
    """UIDs above the last one seen, ascending; ``n:*`` past the end finds nothing."""
    uids = account.append_many([sample_message(subject=f"m{i}") for i in range(3)])
    with opened(account) as box:
        box.select("INBOX")
        assert box.uidnext == uids[-1] + 1
        assert box.search_new(None, None) == uids
        assert box.search_new(0, None) == uids
        assert box.search_new(uids[0], None) == uids[1:]
        # `UID 4:*` matches the highest UID (3) on the server: it must not come back
        assert box.search_new(uids[-1], None) == []
        assert box.search_new(uids[-1] + 10, None) == []


def test_search_new_since_uses_internaldate(account: ImapAccount) -> None:
    """Without a UID baseline, SINCE selects by INTERNALDATE (not the Date header)."""
    now = datetime.now(UTC)
    old = account.deliver(sample_message(subject="old"), when=now - timedelta(days=30))
    new = account.deliver(
        sample_message(subject="new", Date="Mon, 1 Jan 2001 00:00:00 +0000"), when=now
    )
    with opened(account) as box:
        box.select("INBOX")
        assert box.search_new(None, (now - timedelta(days=7)).date()) == [new]
        assert box.search_new(None, date(2000, 1, 1)) == [old, new]


def test_seen_mail_is_still_new(account: ImapAccount) -> None:
    """Mail a person already read (\\Seen) is found like any other."""
    uid = account.deliver(sample_message(), flags=["\\Seen"])
    with opened(account) as box:
        box.select("INBOX")
        assert box.search_new(None, None) == [uid]
        assert box.search_new(None, date.today() - timedelta(days=1)) == [uid]


def test_fetch_returns_exact_bytes_and_leaves_unseen(account: ImapAccount) -> None:
    """fetch yields the stored bytes with INTERNALDATE and the key, and sets no \\Seen."""
    raw = sample_message(body="Имя: Пётр\r\nТелефон: 8 (900) 123-45-67")
    when = datetime(2026, 11, 30, 9, 15, 0, tzinfo=UTC)
    uid = account.deliver(raw, when=when)
    with opened(account) as box:
        uidvalidity = box.select("INBOX")
        (msg,) = list(box.fetch([uid]))
    assert msg.raw == raw
    assert msg.internaldate == when
    assert (msg.key.folder, msg.key.uidvalidity, msg.key.uid) == ("INBOX", uidvalidity, uid)
    assert "\\Seen" not in account.flags(uid)


def test_fetch_in_chunks_keeps_order(account: ImapAccount) -> None:
    """Many messages come back in UID order across chunk boundaries, each with its bytes."""
    raws = [sample_message(subject=f"n{i}") for i in range(7)]
    uids = account.append_many(raws)
    with opened(account) as box:
        box.select("INBOX")
        got = list(box.fetch(list(reversed(uids)), chunk=3))
    assert [m.key.uid for m in got] == uids
    assert [m.raw for m in got] == raws


def test_fetch_skips_message_expunged_meanwhile(account: ImapAccount) -> None:
    """A message another client expunged between SEARCH and FETCH is simply not yielded."""
    uids = account.append_many([sample_message(subject=f"x{i}") for i in range(3)])
    with opened(account) as box:
        box.select("INBOX")
        found = box.search_new(None, None)
        account.expunge(uids[1])
        got = [m.key.uid for m in box.fetch(found)]
    assert got == [uids[0], uids[2]]


def test_fetch_survives_a_message_the_server_cannot_read(account: ImapAccount) -> None:
    """Dovecot hangs up (BYE) on a FETCH of an unreadable file: that one is skipped, the
    others still come after a reconnect, and no session is left behind."""
    uids = account.append_many([sample_message(subject=f"r{i}") for i in range(5)])
    maildir = account.server.root / "mail" / account.user / "Maildir"
    files = sorted([*maildir.glob("new/*"), *maildir.glob("cur/*")])
    files[1].chmod(0)  # the imap process (nobody, or the test user) cannot read it
    with opened(account) as box:
        box.select("INBOX")
        got = [m.key.uid for m in box.fetch(uids, chunk=3)]
        assert [uid for uid, _ in box.skipped] == [uids[1]]
        assert "hung up" in box.skipped[0][1]
    assert got == [uids[0], *uids[2:]]
    assert account.server.wait_who(account.user, 0) == 0



# ---- a server that answers one FETCH badly --------------------------------------------


class ScriptedImap(threading.Thread):
    """A tiny loopback IMAP server whose FETCH answer for one UID cannot be parsed.

    Dovecot never sends a broken FETCH, so this plays the misbehaving server (field notes
    §9.11) over a real socket; imapclient itself is untouched.
    """

    CAPS = b"IMAP4rev1 IDLE UIDPLUS MOVE"

    def __init__(self, bodies: dict[int, bytes], broken: int) -> None:
        super().__init__(daemon=True)
        self.bodies, self.broken = bodies, broken
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]

    def run(self) -> None:
        conn, _ = self.listener.accept()
        with conn, conn.makefile("rb") as rfile:
            conn.sendall(b"* OK [CAPABILITY " + self.CAPS + b"] ready\r\n")
            for line in rfile:
                tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
                cmd = rest.split(b" ")[0].upper()
                if cmd == b"CAPABILITY":
                    conn.sendall(b"* CAPABILITY " + self.CAPS + b"\r\n" + tag + b" OK done\r\n")
                elif cmd == b"LOGIN":
                    conn.sendall(tag + b" OK [CAPABILITY " + self.CAPS + b"] in\r\n")
                elif cmd == b"SELECT":
                    conn.sendall(b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 4] n\r\n"
                                 + tag + b" OK [READ-WRITE] done\r\n")
                elif cmd == b"UID" and rest.split(b" ")[1].upper() == b"FETCH":
                    out = b""
                    for uid in parse_uid_set(rest.split(b" ")[2].decode()):
                        body = self.bodies[uid]
                        junk = b" JUNK" if uid == self.broken else b""  # odd item count
                        out += (b"* %d FETCH (UID %d INTERNALDATE \"30-Nov-2026 10:00:00 +0000\""
                                b" BODY[] {%d}\r\n%s%s)\r\n" % (uid, uid, len(body), body, junk))
                    conn.sendall(out + tag + b" OK done\r\n")
                elif cmd == b"LOGOUT":
                    conn.sendall(b"* BYE bye\r\n" + tag + b" OK done\r\n")
                    return
                else:
                    conn.sendall(tag + b" BAD unknown\r\n")



def test_unparsable_fetch_answer_skips_only_that_message() -> None:
    """One message with a broken FETCH answer is skipped and recorded; the others come."""
    bodies = {1: b"Subject: a\r\n\r\none\r\n", 2: b"Subject: b\r\n\r\ntwo\r\n",
              3: b"Subject: c\r\n\r\nthree\r\n"}
    server = ScriptedImap(bodies, broken=2)
    server.start()
    cfg = ImapConfig(host="127.0.0.1", port=server.port, security="plain", username="u",
                     password="secret-pw", timeout=5)
    with ImapMailbox(cfg) as box:
        assert box.select("INBOX") == 7
        got = list(box.fetch([1, 2, 3]))
    assert [(m.key.uid, m.raw) for m in got] == [(1, bodies[1]), (3, bodies[3])]
    assert [uid for uid, _ in box.skipped] == [2]
    server.join(5)



def test_fetch_groups_are_capped_by_size(account: ImapAccount) -> None:
    """Big messages are fetched one per FETCH, small ones together, so memory stays flat."""
    big = b"Subject: big\r\n\r\n" + (b"x" * 76 + b"\r\n") * 40_000  # ~3 MiB
    uids = account.append_many([big, big, sample_message(), sample_message()])
    with opened(account) as box:
        box.select("INBOX")
        groups = list(box.fetcher.groups(uids, 25))
        fetched = [m.key.uid for m in box.fetch(uids)]
    assert groups == [[uids[0]], [uids[1], uids[2], uids[3]]]
    assert fetched == uids


def test_big_message_fetched_in_pieces_is_byte_identical(account: ImapAccount) -> None:
    """A message above FETCH_BYTES comes in partial FETCH pieces and arrives byte for byte."""
    from bridge.mailbox import FETCH_BYTES, PARTIAL_BYTES

    line = bytes(range(33, 109)) + b"\r\n"
    big = b"Subject: big\r\n\r\n" + line * ((FETCH_BYTES + PARTIAL_BYTES // 2) // len(line))
    assert len(big) > FETCH_BYTES
    uid = account.deliver(big)
    with opened(account) as box:
        box.select("INBOX")
        (msg,) = list(box.fetch([uid]))
    assert msg.raw == big
    assert "\\Seen" not in account.flags(uid)
