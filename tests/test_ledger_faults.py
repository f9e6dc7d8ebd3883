"""A lost, restored, corrupt, deleted or replaced ledger, and a removed lock, cost no enquiry
and make no duplicate (issue 10 items 1, 3, 10, 11). Real files, real Dovecot, real sandbox.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.errors import ConfigError, LockHeld, RowClaimed
from bridge.lock import InstanceLock
from bridge.store import Ledger
from tests.bitrix_fixtures import origin_counts
from tests.e2e import run, sandbox, write_config
from tests.forms import form_email
from tests.helpers.waiting import wait_for
from tests.servers.dovecot import ImapAccount

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def ledger_files(db: Path) -> list[Path]:
    return [db.with_name(db.name + s) for s in ("", "-wal", "-shm")]


def start_daemon(cfg: Path, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bridge", "--config", str(cfg)], cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def stop_daemon(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err.decode(errors="replace")


# --------------------------------------------------------------------- a corrupt ledger: 78


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_ledger_exits_78_with_the_fix(
    account: ImapAccount, tmp_path: Path, damage: str
) -> None:
    """A damaged ledger is a setup problem (78, "move it aside"), not 75 that loops forever;
    moving it aside and starting a new ledger then creates no duplicate."""
    account.append_many(form_email(i) for i in range(30))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        db = tmp_path / "bridge.db"
        with Ledger.open(db) as led:  # make it big enough to have pages to lose
            led.set_meta("padding", "x" * 200_000)
        for side in ledger_files(db)[1:]:
            side.unlink(missing_ok=True)
        if damage == "garbage":
            db.write_bytes(b"this is not an SQLite file at all\n" * 100)
        else:
            with db.open("r+b") as f:
                f.truncate(db.stat().st_size // 3)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert "move it aside" in err
        db.rename(tmp_path / "bridge.db.broken")
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        counts = origin_counts(sb)
        assert len(counts) == 30 and set(counts.values()) == {1}


def test_the_daemon_exits_78_on_a_corrupt_ledger(account: ImapAccount, tmp_path: Path) -> None:
    """Under systemd (RestartPreventExitStatus=78) a corrupt ledger stops the daemon with 78."""
    (tmp_path / "bridge.db").write_bytes(b"garbage " * 1000)
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        proc = start_daemon(cfg)
        proc.wait(timeout=60)
        code, err = stop_daemon(proc)
    assert code == 78, err
    assert "move it aside" in err


# --------------------------------------------------------- deleted or replaced under the daemon


def test_daemon_reopens_a_deleted_ledger_and_creates_no_duplicate(
    account: ImapAccount, tmp_path: Path
) -> None:
    """The ledger removed under a running daemon: it notices (inode check), opens a new one
    at store.path under first-pass rules, keeps running, and no lead is made twice."""
    account.append_many(form_email(i) for i in range(3))
    db = tmp_path / "bridge.db"
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        proc = start_daemon(cfg)
        try:
            assert wait_for(lambda: len(sb.portal.list_leads()) == 3)
            assert wait_for(lambda: all("\\Seen" in account.flags(u) for u in account.uids()))
            for f in ledger_files(db):
                f.unlink(missing_ok=True)
            account.append_many(form_email(i) for i in range(3, 5))
            assert wait_for(lambda: len(sb.portal.list_leads()) == 5)
            assert wait_for(lambda: db.exists())
            assert proc.poll() is None, "the daemon stopped"
        finally:
            code, err = stop_daemon(proc)
        assert code == 0, err
        assert "ledger.replaced" in err
        counts = origin_counts(sb)
        assert len(counts) == 5 and set(counts.values()) == {1}
        with Ledger.open(db) as led:  # the new ledger has the mail, found or created
            assert led.counts()["created"] == 5
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        assert len(sb.portal.list_leads()) == 5


def test_daemon_reopens_a_ledger_replaced_by_an_older_copy(
    account: ImapAccount, tmp_path: Path
) -> None:
    """An older copy put in place under the running daemon: reopened, its generation does not
    match, so the mail finished after the copy is looked up, not created again."""
    db = tmp_path / "bridge.db"
    backup = tmp_path / "backup.db"
    account.append_many(form_email(i) for i in range(2))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        shutil.copy2(db, backup)  # no WAL left after a clean exit
        account.append_many(form_email(i) for i in range(2, 5))
        proc = start_daemon(cfg)
        try:
            assert wait_for(lambda: len(sb.portal.list_leads()) == 5)
            assert wait_for(lambda: all("\\Seen" in account.flags(u) for u in account.uids()))
            tmp = tmp_path / "restore.tmp"
            shutil.copy2(backup, tmp)
            tmp.replace(db)  # a new inode at the path, as a restore tool does
            account.deliver(form_email(9))
            assert wait_for(lambda: len(sb.portal.list_leads()) == 6)
            assert wait_for(lambda: "\\Seen" in account.flags(account.uids()[-1]))
        finally:
            code, err = stop_daemon(proc)
        assert code == 0, err
        assert "ledger.replaced" in err
        with Ledger.open(db) as led:  # the copy now knows what was done after it was taken
            assert led.counts()["created"] == 6
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        counts = origin_counts(sb)
        assert len(counts) == 6 and set(counts.values()) == {1}


def test_restored_older_copy_makes_no_duplicate(account: ImapAccount, tmp_path: Path) -> None:
    """A ledger restored from a backup taken before mail it later finished (left in place,
    \\Seen): that mail is looked up, not created again."""
    db = tmp_path / "bridge.db"
    account.append_many(form_email(i) for i in range(3))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        shutil.copy2(db, tmp_path / "backup.db")
        account.append_many(form_email(i) for i in range(3, 8))
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        assert len(sb.portal.list_leads()) == 8
        shutil.copy2(tmp_path / "backup.db", db)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        counts = origin_counts(sb)
        assert len(counts) == 8 and set(counts.values()) == {1}


# ------------------------------------------------------------------------- the lock holds


def test_a_removed_lock_file_does_not_let_a_second_processor_in(
    account: ImapAccount, tmp_path: Path
) -> None:
    """The lock file removed while the daemon works through a backlog: a second process
    still finds the ledger locked (75), and every enquiry is one lead."""
    n = 40
    account.append_many(form_email(i) for i in range(n))
    with sandbox(rate=8.0, burst=2) as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url,
                           imap_extra="idle = false", bitrix_extra="batch = false",
                           rate=8, burst=2)
        proc = start_daemon(cfg)
        try:
            assert wait_for(lambda: len(sb.portal.list_leads()) >= 2)
            (tmp_path / "bridge.db.lock").unlink()
            second = subprocess.run(
                [sys.executable, "-m", "bridge", "--config", str(cfg), "--poll-now"],
                cwd=ROOT, env={**os.environ, "MAILBRIDGE_LOCK_WAIT": "1"},
                capture_output=True, timeout=120,
            )
            assert second.returncode == 75, second.stderr.decode()
            assert "another mailbridge" in second.stderr.decode()
            assert wait_for(lambda: len(sb.portal.list_leads()) >= n, 120)
        finally:
            code, err = stop_daemon(proc)
        assert code == 0, err
        counts = origin_counts(sb)
        assert len(counts) == n and set(counts.values()) == {1}


def test_a_removed_lock_file_still_leaves_the_ledger_locked(tmp_path: Path) -> None:
    """With the lock file gone, a new lock file can be made, but the ledger itself stays
    locked: the second InstanceLock gets LockHeld and holds nothing."""
    lock = InstanceLock(tmp_path / "bridge.db")
    lock.acquire()
    try:
        lock.path.unlink()
        other = InstanceLock(tmp_path / "bridge.db")
        with pytest.raises(LockHeld, match="another mailbridge"):
            other.acquire()
        assert not other.held
    finally:
        lock.release()
    with InstanceLock(tmp_path / "bridge.db") as again:
        assert again.held


def test_the_ledger_refuses_a_second_concurrent_push(tmp_path: Path) -> None:
    """Two processes' views of one row: the first claim wins, the second is refused, and a
    late parse of the claimed row is refused too."""
    path = tmp_path / "bridge.db"
    a, b = Ledger.open(path), Ledger.open(path)
    try:
        row = a.add_received("INBOX", 1, 1, None, "i", "o", "s", T0, b"raw", T0)
        a.set_parsed(row.id, ["phone:+1"], "d", T0)
        b.set_parsed(row.id, ["phone:+1"], "d", T0)
        assert a.claim_push(row.id, T0).state == "pushing"
        with pytest.raises(RowClaimed):
            b.claim_push(row.id, T0)
        with pytest.raises(RowClaimed):
            b.set_parsed(row.id, ["phone:+1"], "d", T0)
    finally:
        a.close()
        b.close()


# ------------------------------------------------------------------------------ file modes


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_files_are_0600_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    """The ledger, its WAL and SHM, the lock and the generation file are 0600 (raw mail)."""
    old = os.umask(umask)
    try:
        path = tmp_path / "bridge.db"
        lock = InstanceLock(path)
        lock.acquire()
        led = Ledger.open(path)
        led.add_received("INBOX", 1, 1, None, "i", "o", "s", T0, b"raw", T0)
        names = ["bridge.db", "bridge.db-wal", "bridge.db-shm", "bridge.db.lock",
                 "bridge.db.generation"]
        modes = {n: stat.S_IMODE((tmp_path / n).stat().st_mode) for n in names}
        led.close()
        lock.release()
    finally:
        os.umask(old)
    assert modes == dict.fromkeys(names, 0o600)


def test_an_existing_world_readable_ledger_is_tightened(tmp_path: Path) -> None:
    """A ledger made by an older version with 0644 is 0600 after it is opened."""
    path = tmp_path / "bridge.db"
    Ledger.open(path).close()
    path.chmod(0o644)
    Ledger.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ------------------------------------------------------------------------------ keep_days


def test_old_finished_rows_lose_the_client_data(tmp_path: Path) -> None:
    """store.keep_days: a finished row older than that keeps no subject, client keys or raw
    bytes (not even in the file's free pages), and is still known by its identity."""
    path = tmp_path / "bridge.db"
    subject = "Заявка Секретный Клиент Иванов"
    with Ledger.open(path) as led:
        old = led.add_received("INBOX", 1, 1, "<m1@x>", "ident1", "o1", subject, T0,
                               b"raw bytes of the client " * 50, T0)
        led.set_parsed(old.id, ["phone:+79120000001", "email:ivanov@example.ru"], "d", T0)
        led.set_pushing(old.id, T0)
        led.set_created(old.id, 7, T0)
        led.set_mailbox_done(old.id, "seen", T0)
        new = led.add_received("INBOX", 1, 2, "<m2@x>", "ident2", "o2", "Новая заявка",
                               T0 + timedelta(days=200), b"new", T0 + timedelta(days=200))
        assert led.forget_client_data(T0 + timedelta(days=20)) == 1
        assert led.forget_client_data(T0 + timedelta(days=20)) == 0
        row = led.by_id(old.id)
        assert row is not None
        assert (row.subject, row.client_keys, row.message_id) == ("", (), None)
        assert row.state == "created" and row.lead_id == 7
        assert led.by_identity("ident1") == row
        assert led.by_id(new.id).subject == "Новая заявка"
    blob = b"".join(f.read_bytes() for f in ledger_files(path) if f.exists())
    assert subject.encode() not in blob
    assert b"ivanov@example.ru" not in blob


def test_keep_days_is_validated(tmp_path: Path) -> None:
    """store.keep_days must be a positive integer; the error names the key."""
    from bridge import config

    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[imap]\nhost = "127.0.0.1"\nsecurity = "plain"\nusername = "u"\npassword = "p"\n'
        '[bitrix24]\nwebhook_url = "http://127.0.0.1:1/rest/1/XXXXXXXXXXXXXXXX/"\n'
        "[store]\nkeep_days = 0\n"
    )
    with pytest.raises(ConfigError, match=r"store\.keep_days"):
        config.load(cfg, {})
    cfg.write_text(cfg.read_text().replace("keep_days = 0", "keep_days = 30"))
    assert config.load(cfg, {}).store.keep_days == 30


def test_forgotten_mail_seen_again_makes_no_lead(account: ImapAccount, tmp_path: Path) -> None:
    """Mail whose row lost its data (keep_days) and that is seen again after a folder rebuild
    is known by identity or looked up: no second lead."""
    account.append_many(form_email(i) for i in range(3))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url, processed_folder="")
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        with Ledger.open(tmp_path / "bridge.db") as led:
            assert led.forget_client_data(datetime.now(UTC) + timedelta(days=1)) == 3
        account.rebuild_folder()
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        counts = origin_counts(sb)
        assert len(counts) == 3 and set(counts.values()) == {1}

