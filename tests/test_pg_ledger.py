"""The ledger on PostgreSQL (store.url): created and versioned, 32-bit unsigned IMAP numbers,
errors without the password, and the whole program run against it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge import store
from bridge.errors import StoreError
from bridge.store import Ledger
from tests.e2e import corpus, run, sandbox, write_config
from tests.servers.dovecot import new_account
from tests.servers.postgres import PostgresServer

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MAX_UNSIGNED_32 = 2**32 - 1


def test_new_database_gets_the_latest_schema_once(pg_url: str, tmp_path: Path) -> None:
    """An empty database gets every table and the latest version; opening again changes
    nothing."""
    with Ledger.open_url(pg_url, tmp_path / "bridge.db") as led:
        assert led.schema_version() == store.SCHEMA_VERSION
        led.set_meta("k", "v")
    with Ledger.open_url(pg_url, tmp_path / "bridge.db") as led:
        assert led.schema_version() == store.SCHEMA_VERSION
        assert led.get_meta("k") == "v"


def test_database_of_another_program_is_refused(
    postgres_server: PostgresServer, pg_url: str, tmp_path: Path
) -> None:
    """A database that already has a `messages` table but no mailbridge version is not
    taken over."""
    with postgres_server.connect(pg_url.rsplit("/", 1)[1]) as conn:
        conn.execute("CREATE TABLE messages (id integer)")
    with pytest.raises(StoreError, match="use an empty database"):
        Ledger.open_url(pg_url, tmp_path / "bridge.db")


def test_newer_schema_is_refused(
    postgres_server: PostgresServer, pg_url: str, tmp_path: Path
) -> None:
    """A ledger written by a newer mailbridge is not opened (nothing is changed in it)."""
    Ledger.open_url(pg_url, tmp_path / "bridge.db").close()
    with postgres_server.connect(pg_url.rsplit("/", 1)[1]) as conn:
        conn.execute("UPDATE mailbridge_schema SET version = version + 5")
    with pytest.raises(StoreError, match="newer than this mailbridge"):
        Ledger.open_url(pg_url, tmp_path / "bridge.db")


def test_wrong_password_error_does_not_show_it(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """A refused login is a StoreError naming the masked URL, never the password tried."""
    bad = postgres_server.url().replace(postgres_server.password, "Wr0ngPassw0rdXXXX")
    with pytest.raises(StoreError) as info:
        Ledger.open_url(bad, tmp_path / "bridge.db")
    assert "Wr0ngPassw0rdXXXX" not in str(info.value)
    assert ":***@" in str(info.value)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_unsigned_32_bit_uids_fit(backend: str, request: pytest.FixtureRequest,
                                  tmp_path: Path) -> None:
    """IMAP's UIDVALIDITY and UID go up to 2**32 - 1, past a signed 32-bit column."""
    if backend == "postgresql":
        led = Ledger.open_url(request.getfixturevalue("pg_url"), tmp_path / "bridge.db")
    else:
        led = Ledger.open(tmp_path / "bridge.db")
    with led:
        r = led.add_received("INBOX", MAX_UNSIGNED_32, MAX_UNSIGNED_32, None, "i", "o", "s",
                             T0, b"x", T0)
        led.set_folder_state("INBOX", MAX_UNSIGNED_32, MAX_UNSIGNED_32)
        led.set_folder_state("INBOX", MAX_UNSIGNED_32, 5)  # never lowered
        assert led.by_key("INBOX", MAX_UNSIGNED_32, MAX_UNSIGNED_32) == r
        assert led.folder_state("INBOX") == (MAX_UNSIGNED_32, MAX_UNSIGNED_32)


def test_poll_now_and_status_on_a_postgresql_ledger(
    dovecot_server, postgres_server: PostgresServer, pg_url: str,
    tmp_path: Path,
) -> None:
    """With store.url set, --poll-now records the lead in PostgreSQL (no SQLite ledger file),
    a second run creates nothing new, status reads it, and the password shows nowhere."""
    account = new_account(dovecot_server)
    account.deliver(corpus("001-cf7-default-ru"))
    (tmp_path / "store.url").write_text(pg_url + "\n")
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url,
                           extra='url_file = "store.url"')
        code, out1, err1 = run("--config", str(cfg), "--poll-now", "-v")
        assert code == 0, err1
        code, out2, err2 = run("--config", str(cfg), "--poll-now", "-v")
        assert code == 0, err2
        assert len(sb.portal.list_leads()) == 1
    assert not (tmp_path / "bridge.db").exists()
    code, out3, err3 = run("--config", str(cfg), "status")
    assert code == 0 and "created: 1" in out3
    for text in (out1, err1, out2, err2, out3, err3):
        assert postgres_server.password not in text
    with postgres_server.connect(pg_url.rsplit("/", 1)[1]) as conn:
        row = conn.execute("SELECT state, lead_id FROM messages").fetchall()
    assert [r[0] for r in row] == ["created"] and row[0][1] is not None


def test_processor_lock_holds_across_hosts(pg_url: str, tmp_path: Path) -> None:
    """Two processors with different local lock files (two hosts) cannot both hold one
    PostgreSQL ledger; the refusal names the holder; after release the other gets it."""
    from bridge.errors import LockHeld
    from bridge.lock import InstanceLock
    from bridge.pglock import PgProcessorLock

    first = PgProcessorLock(InstanceLock(tmp_path / "host-a" / "bridge.db.lock"), pg_url)
    second = PgProcessorLock(InstanceLock(tmp_path / "host-b" / "bridge.db.lock"), pg_url)
    first.acquire()
    try:
        with pytest.raises(LockHeld, match=r"mailbridge@.*waited 0\.3 s"):
            second.acquire(wait=0.3)
        assert not second.held and not second.file_lock.held  # its file lock was given back
    finally:
        first.release()
    second.acquire(wait=5)
    assert second.held
    second.release()


def test_processor_lock_is_freed_when_its_holder_dies(pg_url: str, tmp_path: Path) -> None:
    """A holder killed with SIGKILL loses its session and so its lock."""
    import signal
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path\n"
        "from bridge.lock import InstanceLock\nfrom bridge.pglock import PgProcessorLock\n"
        "lock = PgProcessorLock(InstanceLock(Path(sys.argv[2])), sys.argv[1])\n"
        "lock.acquire(); print('locked', flush=True); sys.stdin.readline()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, pg_url, str(tmp_path / "a.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        from bridge.lock import InstanceLock
        from bridge.pglock import PgProcessorLock

        other = PgProcessorLock(InstanceLock(tmp_path / "b.lock"), pg_url)
        from bridge.errors import LockHeld

        with pytest.raises(LockHeld):
            other.acquire()
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=30)
        other.acquire(wait=30)  # the server notices the closed socket at once
        other.release()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.communicate()


def test_keep_days_forgets_client_data_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """store.keep_days works on PostgreSQL too: an old finished row loses subject, client keys
    and raw bytes, and is still known by its identity."""
    from datetime import timedelta

    with Ledger.open_url(pg_url, tmp_path / "bridge.db") as led:
        old = led.add_received("INBOX", 1, 1, "<m1@x>", "ident1", "o1", "Заявка Иванов", T0,
                               b"raw bytes", T0)
        led.set_parsed(old.id, ["phone:+79120000001"], "d", T0)
        led.set_pushing(old.id, T0)
        led.set_created(old.id, 7, T0)
        led.set_mailbox_done(old.id, "seen", T0)
        assert led.forget_client_data(T0 + timedelta(days=20)) == 1
        row = led.by_identity("ident1")
        assert row is not None and (row.subject, row.client_keys) == ("", ())
        assert led.raw(old.id) is None and row.lead_id == 7


def test_mailbox_schemas_keep_ledgers_and_locks_apart(pg_url: str, tmp_path: Path) -> None:
    """Two mailboxes' schemas in one database: the same UID in each is no conflict, and each
    schema has its own processor lock (a second holder of one schema is refused)."""
    from bridge.errors import LockHeld
    from bridge.lock import InstanceLock
    from bridge.pglock import PgProcessorLock

    with Ledger.open_url(pg_url, tmp_path / "a.db", "mailbridge_site_a") as a, \
            Ledger.open_url(pg_url, tmp_path / "b.db", "mailbridge_site_b") as b:
        a.add_received("INBOX", 7, 1, None, "ia", "oa", "s", T0, b"x", T0)
        b.add_received("INBOX", 7, 1, None, "ib", "ob", "s", T0, b"x", T0)
        assert a.by_key("INBOX", 7, 1).identity == "ia"
        assert b.by_key("INBOX", 7, 1).identity == "ib"
    lock_a = PgProcessorLock(InstanceLock(tmp_path / "a.lock"), pg_url, "mailbridge_site_a")
    lock_b = PgProcessorLock(InstanceLock(tmp_path / "b.lock"), pg_url, "mailbridge_site_b")
    again = PgProcessorLock(InstanceLock(tmp_path / "a2.lock"), pg_url, "mailbridge_site_a")
    lock_a.acquire()
    try:
        lock_b.acquire()
        with pytest.raises(LockHeld, match="mailbridge@"):
            again.acquire()
        lock_b.release()
    finally:
        lock_a.release()


def test_several_mailboxes_on_one_postgresql_database(
    dovecot_server, postgres_server: PostgresServer, pg_url: str,
    tmp_path: Path,
) -> None:
    """[[mailboxes]] with store.url: --poll-now keeps each mailbox's ledger in its own schema of
    the one database, and status shows both."""
    from tests.e2e import toml_str

    a, b = new_account(dovecot_server), new_account(dovecot_server)
    a.deliver(corpus("005-wpforms-plain-longline-qp"))
    b.deliver(corpus("001-cf7-default-ru"))
    boxes = "".join(
        f"""
[[mailboxes]]
name = "{name}"
port = {acc.server.tls_port}
username = {toml_str(acc.user)}
password = {toml_str(acc.password)}
ca_file = {toml_str(acc.server.ca_file)}
""" for name, acc in (("site-a", a), ("site-b", b)))
    with sandbox() as sb:
        text = f"""
[imap]
host = "127.0.0.1"
processed_folder = "Processed"
timeout = 10

[bitrix24]
webhook_url = {toml_str(sb.webhook_url)}
rate_per_second = 1000
burst = 1000
max_request_seconds = 0.2

[store]
path = "bridge.db"
url = {toml_str(pg_url)}
""" + boxes
        cfg = tmp_path / "c.toml"
        cfg.write_text(text)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert len(sb.portal.list_leads()) == 2
    code, out, _ = run("--config", str(cfg), "status")
    assert code == 0 and out.count("created: 1") == 2
    with postgres_server.connect(pg_url.rsplit("/", 1)[1]) as conn:
        rows = conn.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'messages' "
            "ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == ["mailbridge_site_a", "mailbridge_site_b"]
