"""bridge.mailbox against a real Dovecot (one server per module, a fresh user per test)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bridge.config import ImapConfig
from bridge.config import is_loopback_host as is_loopback
from bridge.errors import ConfigError, MailboxRejected, MailboxUnavailable
from bridge.mailbox import ImapMailbox, check_imap
from tests.servers.dovecot import (
    DovecotServer,
    ImapAccount,
    free_port,
    new_account,
    running_server,
    sample_message,
)

pytestmark = pytest.mark.imap


@contextlib.contextmanager
def opened(account: ImapAccount, security: str = "plain", **kw: object) -> Iterator[ImapMailbox]:
    box = ImapMailbox(account.config(security, **kw))
    try:
        box.connect()
        yield box
    finally:
        box.close()


def later(delay: float, fn: Callable[[], object]) -> threading.Thread:
    """Run ``fn`` after ``delay`` seconds in a thread (a second client acting meanwhile)."""

    def run() -> None:
        time.sleep(delay)
        fn()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


# ---- connecting -----------------------------------------------------------------------


@pytest.mark.parametrize("security", ["ssl", "starttls", "plain"])
def test_connect_each_security(imap_account: ImapAccount, security: str) -> None:
    """ssl, starttls and plain (loopback) all log in and select INBOX with the fixture's CA."""
    with ImapMailbox(imap_account.config(security)) as box:
        assert box.select("INBOX") == imap_account.uidvalidity()
        assert "IDLE" in box.capabilities()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_untrusted_certificate_is_rejected(imap_account: ImapAccount, security: str) -> None:
    """Without the fixture's CA the certificate fails verification: a setup error naming ca_file."""
    box = ImapMailbox(imap_account.config(security, ca_file=None))
    with pytest.raises(MailboxRejected) as err:
        box.connect()
    assert "imap.ca_file" in str(err.value)
    assert not box.connected


def test_starttls_without_server_support_is_rejected() -> None:
    """A server that offers no STARTTLS is a setup error pointing at imap.security."""
    with running_server(tls=False) as server:
        account = new_account(server)
        box = ImapMailbox(account.config("starttls", ca_file=None))  # tls=False: no cert
        with pytest.raises(MailboxRejected) as err:
            box.connect()
        assert "STARTTLS" in str(err.value) and "imap.security" in str(err.value)
        assert server.wait_who(account.user, 0) == 0


def test_plain_to_remote_host_is_config_error(imap_account: ImapAccount) -> None:
    """security = "plain" to a non-loopback address is refused before any connection."""
    with pytest.raises(ConfigError) as err:
        ImapMailbox(imap_account.config("plain", host="192.0.2.10"))
    assert err.value.key == "imap.security"
    assert "imap.security" in str(err.value)


def test_loopback_names() -> None:
    """localhost and loopback literals count as loopback; other names and addresses do not."""
    assert all(map(is_loopback, ["localhost", "127.0.0.1", "127.3.4.5", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["example.com", "10.0.0.1", "192.0.2.1", "localhost.com"]))


def test_unreadable_ca_file_is_config_error(imap_account: ImapAccount, tmp_path) -> None:
    """An imap.ca_file that is not a CA bundle is a config error naming the key."""
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ConfigError) as err:
        ImapMailbox(imap_account.config("ssl", ca_file=bad))
    assert err.value.key == "imap.ca_file"


def test_wrong_password_is_rejected_without_the_password(
    imap_account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused LOGIN names the user and the keys to fix, never the password, even in logs."""
    caplog.set_level(logging.DEBUG)
    secret = "Wr0ng-Secret-" + imap_account.password
    box = ImapMailbox(imap_account.config("plain", password=secret))
    with pytest.raises(MailboxRejected) as err:
        box.connect()
    text = str(err.value)
    assert f"imap login refused for user {imap_account.user}" in text
    assert "imap.username/imap.password" in text
    assert secret not in text and secret not in repr(err.value)
    assert secret not in caplog.text
    assert not box.connected


def test_non_ascii_password_logs_in(dovecot_server: DovecotServer) -> None:
    """A password LOGIN cannot carry (Cyrillic) goes through AUTHENTICATE PLAIN as UTF-8."""
    user = f"cyr{time.monotonic_ns()}"
    dovecot_server.add_user(user, "пароль-Ёж-42")
    account = ImapAccount(server=dovecot_server, user=user, password="пароль-Ёж-42")
    with opened(account, "ssl") as box:
        assert box.select("INBOX") > 0
    with pytest.raises(MailboxRejected) as err:
        ImapMailbox(account.config("ssl", password="пароль-не-тот")).connect()
    assert "пароль" not in str(err.value)


def test_password_never_logged(
    imap_account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG, a whole session (login, fetch, finish) logs neither password nor body."""
    caplog.set_level(logging.DEBUG)
    body = "Сообщение-клиента-" + imap_account.password[-6:]
    uid = imap_account.deliver(sample_message(body=body))
    with opened(imap_account) as box:
        box.select("INBOX")
        assert [m.key.uid for m in box.fetch(box.search_new(None, None))] == [uid]
        box.finish(uid, "")
    assert imap_account.password not in caplog.text
    assert body not in caplog.text


def test_refused_port_is_unavailable(imap_account: ImapAccount) -> None:
    """Nothing listening: a temporary error naming host:port and the cause."""
    port = free_port()
    with pytest.raises(MailboxUnavailable) as err:
        ImapMailbox(imap_account.config("plain", port=port)).connect()
    assert f"127.0.0.1:{port}" in str(err.value)
    assert "refused" in str(err.value)


def test_dns_failure_is_unavailable(imap_account: ImapAccount) -> None:
    """A host that does not resolve is a temporary error that says so."""
    box = ImapMailbox(imap_account.config("ssl", host="no-such-host.invalid"))
    with pytest.raises(MailboxUnavailable) as err:
        box.connect()
    assert "cannot resolve host 'no-such-host.invalid'" in str(err.value)


def test_silent_server_times_out(imap_account: ImapAccount) -> None:
    """A server that accepts but never greets ends in MailboxUnavailable after imap.timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        box = ImapMailbox(imap_account.config("plain", port=port, timeout=0.3))
        with pytest.raises(MailboxUnavailable) as err:
            box.connect()
    assert f"127.0.0.1:{port}" in str(err.value)
    assert "0.3 s" in str(err.value)


def test_tls_to_plain_port_is_unavailable(imap_account: ImapAccount) -> None:
    """TLS handshake trouble (ssl against the plain port) is temporary and says TLS."""
    box = ImapMailbox(imap_account.config("ssl", port=imap_account.server.port))
    with pytest.raises(MailboxUnavailable) as err:
        box.connect()
    assert "TLS handshake failed" in str(err.value)


def test_missing_folder_is_rejected(imap_account: ImapAccount) -> None:
    """Selecting a folder that does not exist is a setup error naming imap.folder."""
    with opened(imap_account, folder="Nope") as box, pytest.raises(MailboxRejected) as err:
        box.select()
    assert "'Nope'" in str(err.value) and "imap.folder" in str(err.value)


# ---- finding and fetching -------------------------------------------------------------


def test_search_new_after_uid(imap_account: ImapAccount) -> None:
    """UIDs above the last one seen, ascending; ``n:*`` past the end finds nothing."""
    uids = imap_account.append_many([sample_message(subject=f"m{i}") for i in range(3)])
    with opened(imap_account) as box:
        box.select("INBOX")
        assert box.uidnext == uids[-1] + 1
        assert box.search_new(None, None) == uids
        assert box.search_new(0, None) == uids
        assert box.search_new(uids[0], None) == uids[1:]
        # `UID 4:*` matches the highest UID (3) on the server: it must not come back
        assert box.search_new(uids[-1], None) == []
        assert box.search_new(uids[-1] + 10, None) == []


def test_search_new_since_uses_internaldate(imap_account: ImapAccount) -> None:
    """Without a UID baseline, SINCE selects by INTERNALDATE (not the Date header)."""
    now = datetime.now(UTC)
    old = imap_account.deliver(sample_message(subject="old"), when=now - timedelta(days=30))
    new = imap_account.deliver(
        sample_message(subject="new", Date="Mon, 1 Jan 2001 00:00:00 +0000"), when=now
    )
    with opened(imap_account) as box:
        box.select("INBOX")
        assert box.search_new(None, (now - timedelta(days=7)).date()) == [new]
        assert box.search_new(None, date(2000, 1, 1)) == [old, new]


def test_seen_mail_is_still_new(imap_account: ImapAccount) -> None:
    """Mail a person already read (\\Seen) is found like any other."""
    uid = imap_account.deliver(sample_message(), flags=["\\Seen"])
    with opened(imap_account) as box:
        box.select("INBOX")
        assert box.search_new(None, None) == [uid]
        assert box.search_new(None, date.today() - timedelta(days=1)) == [uid]


def test_fetch_returns_exact_bytes_and_leaves_unseen(imap_account: ImapAccount) -> None:
    """fetch yields the stored bytes with INTERNALDATE and the key, and sets no \\Seen."""
    raw = sample_message(body="Имя: Пётр\r\nТелефон: 8 (900) 123-45-67")
    when = datetime(2026, 11, 30, 9, 15, 0, tzinfo=UTC)
    uid = imap_account.deliver(raw, when=when)
    with opened(imap_account) as box:
        uidvalidity = box.select("INBOX")
        (msg,) = list(box.fetch([uid]))
    assert msg.raw == raw
    assert msg.internaldate == when
    assert (msg.key.folder, msg.key.uidvalidity, msg.key.uid) == ("INBOX", uidvalidity, uid)
    assert "\\Seen" not in imap_account.flags(uid)


def test_fetch_in_chunks_keeps_order(imap_account: ImapAccount) -> None:
    """Many messages come back in UID order across chunk boundaries, each with its bytes."""
    raws = [sample_message(subject=f"n{i}") for i in range(7)]
    uids = imap_account.append_many(raws)
    with opened(imap_account) as box:
        box.select("INBOX")
        got = list(box.fetch(list(reversed(uids)), chunk=3))
    assert [m.key.uid for m in got] == uids
    assert [m.raw for m in got] == raws


def test_fetch_skips_message_expunged_meanwhile(imap_account: ImapAccount) -> None:
    """A message another client expunged between SEARCH and FETCH is simply not yielded."""
    uids = imap_account.append_many([sample_message(subject=f"x{i}") for i in range(3)])
    with opened(imap_account) as box:
        box.select("INBOX")
        found = box.search_new(None, None)
        imap_account.expunge(uids[1])
        got = [m.key.uid for m in box.fetch(found)]
    assert got == [uids[0], uids[2]]


def test_fetch_survives_a_message_the_server_cannot_read(imap_account: ImapAccount) -> None:
    """Dovecot hangs up (BYE) on a FETCH of an unreadable file: that one is skipped, the
    others still come after a reconnect, and no session is left behind."""
    uids = imap_account.append_many([sample_message(subject=f"r{i}") for i in range(5)])
    maildir = imap_account.server.root / "mail" / imap_account.user / "Maildir"
    files = sorted([*maildir.glob("new/*"), *maildir.glob("cur/*")])
    files[1].chmod(0)  # the imap process (nobody, or the test user) cannot read it
    with opened(imap_account) as box:
        box.select("INBOX")
        got = [m.key.uid for m in box.fetch(uids, chunk=3)]
        assert [uid for uid, _ in box.skipped] == [uids[1]]
        assert "hung up" in box.skipped[0][1]
    assert got == [uids[0], *uids[2:]]
    assert imap_account.server.wait_who(imap_account.user, 0) == 0


# ---- finishing ------------------------------------------------------------------------


def test_finish_marks_seen(imap_account: ImapAccount) -> None:
    """With no processed folder the message stays and gets \\Seen."""
    uid, other = imap_account.append_many([sample_message(), sample_message()])
    with opened(imap_account) as box:
        box.select("INBOX")
        assert box.finish(uid, "") == "seen"
    assert "\\Seen" in imap_account.flags(uid)
    assert "\\Seen" not in imap_account.flags(other)
    assert imap_account.uids() == [uid, other]


def test_finish_moves_into_created_subfolder(imap_account: ImapAccount) -> None:
    """MOVE into "Forms/Processed", created on first use; other mail stays put."""
    a, b, c = imap_account.append_many([sample_message(subject=s) for s in "abc"])
    with opened(imap_account) as box:
        box.select("INBOX")
        assert not box.folder_exists("Forms/Processed")
        assert box.finish(a, "Forms/Processed") == "moved"
        assert box.folder_exists("Forms/Processed")
        assert box.finish(c, "Forms/Processed") == "moved"
        assert box.finish(a, "Forms/Processed") == "gone"
    assert imap_account.uids() == [b]
    assert len(imap_account.uids("Forms/Processed")) == 2
    assert "Forms/Processed" in imap_account.folders()


def test_finish_into_non_ascii_folder(imap_account: ImapAccount) -> None:
    """A Cyrillic processed folder name works (modified UTF-7 on the wire)."""
    uid = imap_account.deliver(sample_message())
    with opened(imap_account) as box:
        box.select("INBOX")
        assert box.finish(uid, "Обработано") == "moved"
    assert "Обработано" in imap_account.folders()


def test_finish_gone_message(imap_account: ImapAccount) -> None:
    """A message someone else already removed is reported as "gone", nothing else changes."""
    uid, other = imap_account.append_many([sample_message(), sample_message()])
    imap_account.expunge(uid)
    with opened(imap_account) as box:
        box.select("INBOX")
        assert box.finish(uid, "") == "gone"
        assert box.finish(uid, "Processed") == "gone"
    assert imap_account.uids() == [other]


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


# ---- waiting and losing the connection ------------------------------------------------


def test_idle_wait_wakes_on_delivery(imap_account: ImapAccount) -> None:
    """A delivery by another client during IDLE makes idle_wait return True."""
    with opened(imap_account) as box:
        box.select("INBOX")
        t = later(0.2, lambda: imap_account.deliver(sample_message()))
        assert box.idle_wait(30) is True
        t.join()
        assert box.search_new(None, None) == imap_account.uids()
        box.noop()  # the session is still usable after IDLE


def test_idle_wait_times_out_quietly(imap_account: ImapAccount) -> None:
    """No new mail: idle_wait returns False and the connection stays usable."""
    with opened(imap_account) as box:
        box.select("INBOX")
        assert box.idle_wait(0.3) is False
        assert box.noop() is False


def test_idle_wait_stop_event(imap_account: ImapAccount) -> None:
    """A set stop Event ends the wait early with False."""
    stop = threading.Event()
    with opened(imap_account) as box:
        box.select("INBOX")
        later(0.2, stop.set)
        assert box.idle_wait(60, stop=stop) is False


def test_kick_during_idle_is_unavailable(imap_account: ImapAccount) -> None:
    """doveadm kick (BYE) during IDLE raises MailboxUnavailable; a new connection works."""
    box = ImapMailbox(imap_account.config("ssl"))
    box.connect()
    box.select("INBOX")
    later(0.2, imap_account.kick)
    with pytest.raises(MailboxUnavailable) as err:
        box.idle_wait(30)
    assert "BYE" in str(err.value) or "EOF" in str(err.value)  # EOF if the kick came first
    assert not box.connected
    with pytest.raises(MailboxUnavailable):
        box.noop()
    box.close()
    box.connect()
    assert box.select("INBOX") == imap_account.uidvalidity()
    box.close()


def test_noop_on_kicked_connection_is_unavailable(imap_account: ImapAccount) -> None:
    """NOOP on a connection the server closed raises MailboxUnavailable."""
    with opened(imap_account) as box:
        box.select("INBOX")
        imap_account.kick()
        with pytest.raises(MailboxUnavailable):
            for _ in range(50):  # the kick lands asynchronously
                box.noop()
                time.sleep(0.02)


def test_crash_during_idle_is_unavailable() -> None:
    """A server crash (EOF, no BYE) during IDLE raises MailboxUnavailable at once."""
    with running_server(tls=False) as server:
        account = new_account(server)
        with opened(account) as box:
            box.select("INBOX")
            later(0.2, server.crash)
            with pytest.raises(MailboxUnavailable) as err:
                box.idle_wait(30)
            assert "EOF" in str(err.value)


def test_restart_then_reconnect(dovecot_server: DovecotServer) -> None:
    """After a server restart the old session fails with MailboxUnavailable; a new one works."""
    account = new_account(dovecot_server)
    uid = account.deliver(sample_message())
    box = ImapMailbox(account.config("ssl"))
    box.connect()
    box.select("INBOX")
    dovecot_server.restart()
    with pytest.raises(MailboxUnavailable):
        box.search_new(None, None)
    box.close()
    with ImapMailbox(account.config("ssl")) as again:
        again.select("INBOX")
        assert again.search_new(None, None) == [uid]


def test_uidvalidity_change_seen_at_next_select(imap_account: ImapAccount) -> None:
    """A UIDVALIDITY change drops the open session; the next SELECT reports the new value."""
    imap_account.deliver(sample_message())
    box = ImapMailbox(imap_account.config("plain"))
    box.connect()
    before = box.select("INBOX")
    new = imap_account.set_uidvalidity()
    with pytest.raises(MailboxUnavailable):  # Dovecot: BYE "session state is inconsistent"
        box.noop()
    box.close()
    with opened(imap_account) as again:
        assert again.select("INBOX") == new != before


def test_uidvalidity_change_during_idle_shows_at_the_next_idle(
    imap_account: ImapAccount,
) -> None:
    """IDLE hears nothing of a UIDVALIDITY change; re-issuing IDLE gets BYE -> Unavailable."""
    imap_account.deliver(sample_message())
    with opened(imap_account) as box:
        box.select("INBOX")
        changer = later(0.1, imap_account.set_uidvalidity)
        assert box.idle_wait(1.0) is False
        changer.join()
        with pytest.raises(MailboxUnavailable) as err:
            box.idle_wait(30)
        assert "inconsistent" in str(err.value)


def test_no_connection_leak(imap_account: ImapAccount) -> None:
    """Many connect/close cycles, including failed selects, leave no session on the server."""
    for i in range(25):
        box = ImapMailbox(imap_account.config("plain" if i % 2 else "ssl"))
        with box:
            box.select("INBOX")
            if i % 5 == 0:
                with pytest.raises(MailboxRejected):
                    box.select("Missing")
    assert imap_account.server.wait_who(imap_account.user, 0) == 0


# ---- `mailbridge check` ---------------------------------------------------------------


def test_check_imap_all_good(imap_account: ImapAccount) -> None:
    """Every step passes against a healthy server, in order."""
    results = check_imap(imap_account.config("ssl", processed_folder="Processed"))
    assert [r.name for r in results] == [
        "imap dns", "imap tcp", "imap tls", "imap login", "imap folder",
        "imap processed_folder", "imap idle",
    ]
    assert all(r.ok for r in results), results
    assert "will be created" in results[5].detail


@pytest.mark.parametrize(
    ("overrides", "step", "error", "words"),
    [
        ({"host": "no-such-host.invalid"}, "imap dns", MailboxUnavailable, "cannot resolve"),
        ({"port": 0}, "imap tcp", MailboxUnavailable, "TCP"),
        ({"ca_file": None}, "imap tls", MailboxRejected, "imap.ca_file"),
        ({"password": "nope-nope"}, "imap login", MailboxRejected, "imap.password"),
        ({"folder": "Missing"}, "imap folder", MailboxRejected, "imap.folder"),
    ],
)
def test_check_imap_names_the_failing_step(
    imap_account: ImapAccount, overrides: dict, step: str, error: type, words: str
) -> None:
    """Each kind of failure stops the check at its own step with its own message."""
    if overrides.get("port") == 0:
        overrides = {"port": free_port()}
    results = check_imap(imap_account.config("ssl", **overrides))
    last = results[-1]
    assert (last.name, last.ok) == (step, False)
    assert isinstance(last.error, error)
    assert words in last.detail
    assert all(r.ok for r in results[:-1])
    assert "nope-nope" not in last.detail


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
                    for uid in parse_set(rest.split(b" ")[2].decode()):
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


def parse_set(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition(":")
        out += range(int(a), int(b or a) + 1)
    return out


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


def test_finish_many_moves_a_set_and_reports_gone(imap_account: ImapAccount) -> None:
    """One MOVE for many UIDs; a UID removed by someone else is reported as "gone"."""
    uids = imap_account.append_many([sample_message(subject=str(i)) for i in range(5)])
    imap_account.expunge(uids[1])
    with opened(imap_account) as box:
        box.select("INBOX")
        done = box.finish_many(uids[:4], "Processed")
    assert done == {uids[0]: "moved", uids[1]: "gone", uids[2]: "moved", uids[3]: "moved"}
    assert imap_account.uids() == [uids[4]]
    assert len(imap_account.uids("Processed")) == 3


def test_finish_many_marks_seen_without_a_processed_folder(imap_account: ImapAccount) -> None:
    """Without a processed folder every UID is marked \\Seen and stays."""
    uids = imap_account.append_many([sample_message(subject=str(i)) for i in range(3)])
    with opened(imap_account) as box:
        box.select("INBOX")
        assert set(box.finish_many(uids, "").values()) == {"seen"}
    assert imap_account.uids() == uids
    assert all("\\Seen" in imap_account.flags(u) for u in uids)


def test_fetch_groups_are_capped_by_size(imap_account: ImapAccount) -> None:
    """Big messages are fetched one per FETCH, small ones together, so memory stays flat."""
    big = b"Subject: big\r\n\r\n" + (b"x" * 76 + b"\r\n") * 40_000  # ~3 MiB
    uids = imap_account.append_many([big, big, sample_message(), sample_message()])
    with opened(imap_account) as box:
        box.select("INBOX")
        groups = list(box._groups(uids, 25))
        fetched = [m.key.uid for m in box.fetch(uids)]
    assert groups == [[uids[0]], [uids[1], uids[2], uids[3]]]
    assert fetched == uids


def test_big_message_fetched_in_pieces_is_byte_identical(imap_account: ImapAccount) -> None:
    """A message above FETCH_BYTES comes in partial FETCH pieces and arrives byte for byte."""
    from bridge.mailbox import FETCH_BYTES, PARTIAL_BYTES

    line = bytes(range(33, 109)) + b"\r\n"
    big = b"Subject: big\r\n\r\n" + line * ((FETCH_BYTES + PARTIAL_BYTES // 2) // len(line))
    assert len(big) > FETCH_BYTES
    uid = imap_account.deliver(big)
    with opened(imap_account) as box:
        box.select("INBOX")
        (msg,) = list(box.fetch([uid]))
    assert msg.raw == big
    assert "\\Seen" not in imap_account.flags(uid)
