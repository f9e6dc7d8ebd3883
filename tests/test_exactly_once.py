"""Exactly once, whatever fails: faults at the portal, crashes, reconnects, UIDVALIDITY."""

from __future__ import annotations

import collections
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e import corpus, run, sandbox, write_config
from tests.forms import form_email
from tests.servers.dovecot import ImapAccount

ROOT = Path(__file__).resolve().parents[1]


def origin_counts(sb) -> collections.Counter[str]:
    return collections.Counter(lead["ORIGIN_ID"] for lead in sb.portal.list_leads())


def unseen(account: ImapAccount, folder: str = "INBOX") -> list[str]:
    """The messages in ``folder`` without \\Seen (one doveadm search)."""
    out = account.server.doveadm("search", "-u", account.user, "mailbox", folder, "unseen")
    return out.stdout.decode().split()


def poll_until_done(cfg: Path, tries: int = 12) -> list[int]:
    """--poll-now until nothing waits (temporary failures retried after their backoff)."""
    codes = []
    for _ in range(tries):
        code, _, _ = run("--config", str(cfg), "--poll-now")
        codes.append(code)
        if code == 0:
            return codes
        time.sleep(0.3)
    return codes


@pytest.mark.parametrize(
    ("fault", "opts"),
    [
        ("lost_answer", {}),
        ("error500", {"executed": True}),
        ("error500", {"executed": False}),
        ("html502", {"executed": True}),
        ("html504", {"executed": False}),
        ("reset", {}),
        ("limit503", {}),
        ("op429", {}),
    ],
    ids=["lost-answer", "500-after-commit", "500-before", "html502-after", "html504-before",
         "reset", "503-limit", "429-operating"],
)
def test_single_lead_with_files_survives_portal_faults(
    account, tmp_path: Path, fault: str, opts: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the portal does to crm.lead.add, 029 ends as one lead with its 7 files once."""
    # A 429 with no earlier report of the method waits one basket (60 s on a portal); here
    # 1 s, the shortest wait the client takes (bridge.operating.OperatingTime.blocked).
    monkeypatch.setattr("bridge.operating.BLOCKED_FALLBACK", 1.0)
    account.deliver(corpus("029-rostferrum-all-types-base64"))
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", fault, times=1, **opts)
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        codes = poll_until_done(cfg)
        assert codes[-1] == 0, codes
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        assert len(sb.portal.lead_files(int(leads[0]["ID"]))) == 7
        assert account.uids("INBOX") == []


def test_lost_batch_answer_leaves_no_duplicate(account, tmp_path: Path) -> None:
    """A backlog sent in one batch whose answer is lost: each enquiry is one lead."""
    account.append_many(form_email(i) for i in range(12))
    with sandbox() as sb:
        sb.portal.inject("batch", "lost_answer", times=1)
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        codes = poll_until_done(cfg)
        assert codes[-1] == 0, codes
        counts = origin_counts(sb)
        assert len(counts) == 12
        assert set(counts.values()) == {1}
        assert sb.portal.stats()["by_method"].get("batch", 0) >= 1


def test_slow_answer_past_the_timeout_is_found_not_resent(account, tmp_path: Path) -> None:
    """A lead whose answer comes after our timeout is looked up, not created again."""
    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", "slow", times=1, seconds=3)
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url, crm_timeout=1)
        codes = poll_until_done(cfg, tries=20)
        time.sleep(3.5)  # let the slow request finish on the portal side
        codes += poll_until_done(cfg)
        assert codes[-1] == 0, codes
        assert len(sb.portal.list_leads()) == 1


def test_two_concurrent_runs_make_each_lead_once(account, tmp_path: Path) -> None:
    """Two --poll-now processes on one ledger at once: every enquiry exactly once."""
    account.append_many(form_email(i) for i in range(20))
    with sandbox(rate=30.0, burst=5) as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           bitrix_extra="batch = false", rate=30, burst=5)
        cmd = [sys.executable, "-m", "bridge", "--config", str(cfg), "--poll-now"]
        procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(2)]
        for p in procs:
            p.communicate(timeout=120)
        assert {p.returncode for p in procs} <= {0}
        counts = origin_counts(sb)
        assert len(counts) == 20 and set(counts.values()) == {1}


LEDGER_FILES = ("bridge.db", "bridge.db-wal", "bridge.db-shm")


def ledger_fault(fault: str, leads: int, folder: Path, state: dict[str, int]) -> None:
    """Between two kills, by progress: once 5 leads exist keep a copy of the ledger; once 5
    more exist delete the ledger, or put the older copy back, as an operator restoring a
    backup would (with the daemon down)."""
    backup = folder / "backup"
    if "copied" not in state:
        if leads >= 5 and (folder / "bridge.db").exists():
            backup.mkdir()
            for name in LEDGER_FILES[:2]:
                if (folder / name).exists():
                    shutil.copy2(folder / name, backup / name)
            state["copied"] = leads
        return
    if "done" in state or leads < state["copied"] + 5:
        return
    for name in LEDGER_FILES:
        (folder / name).unlink(missing_ok=True)
    if fault == "restored":
        for f in backup.iterdir():
            shutil.copy2(f, folder / f.name)
    state["done"] = leads


@pytest.mark.parametrize("fault", ["none", "deleted", "restored"])
def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    account, tmp_path: Path, fault: str
) -> None:
    """The daemon killed with SIGKILL again and again through a backlog, its ledger deleted or
    restored from an older copy midway (finished mail left in place, \\Seen, the harder
    case): 0 lost, 0 duplicated."""
    n = 40
    account.append_many(form_email(i, file_size=2000 if i % 4 == 0 else 0) for i in range(n))
    rng = random.Random(20261130)
    processed = "Processed" if fault == "none" else ""
    with sandbox(rate=25.0, burst=3) as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           imap_extra="idle = false", bitrix_extra="batch = false",
                           rate=25, burst=3, processed_folder=processed)
        cmd = [sys.executable, "-m", "bridge", "--config", str(cfg)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        state: dict[str, int] = {}
        kills = 0
        while kills < 8 or (fault != "none" and "done" not in state and kills < 30):
            before = len(sb.portal.list_leads())
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            if fault != "none":  # however loaded the machine, each run makes some progress
                deadline = time.monotonic() + 20  # (none left to make once all n exist)
                while (before == len(sb.portal.list_leads()) < n
                       and time.monotonic() < deadline):
                    time.sleep(0.05)
            time.sleep(rng.uniform(0.2, 0.9) if fault == "none" else rng.uniform(0.0, 0.6))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
            if fault != "none":
                ledger_fault(fault, len(sb.portal.list_leads()), tmp_path, state)
        assert fault == "none" or "done" in state, f"the backlog went too slowly: {state}"
        codes = poll_until_done(cfg, tries=20)
        assert codes[-1] == 0, codes
        counts = origin_counts(sb)
        assert len(counts) == n, f"lost {n - len(counts)}"
        assert set(counts.values()) == {1}, "duplicated"
        if processed:
            assert account.uids("INBOX") == []
            assert len(account.uids("Processed")) == n
        else:  # every message stays, \Seen (one doveadm search, not one per message)
            assert len(account.uids("INBOX")) == n and not unseen(account)


def test_sigterm_stops_the_daemon_cleanly(account, tmp_path: Path) -> None:
    """SIGTERM stops the daemon with exit 0 after it processed the waiting mail."""
    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not sb.portal.list_leads() and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err.decode()
        assert len(sb.portal.list_leads()) == 1


def test_uidvalidity_reset_makes_no_new_leads(account, tmp_path: Path) -> None:
    """After the folder is rebuilt (new UIDVALIDITY, renumbered UIDs) nothing is re-created."""
    for i in range(3):
        account.deliver(form_email(i))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url, processed_folder="")
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        assert len(sb.portal.list_leads()) == 3
        old = account.uidvalidity()
        account.rebuild_folder()
        assert account.uidvalidity() != old
        account.deliver(form_email(99))
        code, _out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        counts = origin_counts(sb)
        assert len(counts) == 4 and set(counts.values()) == {1}


def test_dovecot_restart_between_polls_is_survived(account, dovecot_server, tmp_path: Path) -> None:
    """A server restart kills the kept connection; the next pass reconnects and goes on."""
    account.deliver(form_email(1))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        dovecot_server.restart()
        account.deliver(form_email(2))
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        assert len(sb.portal.list_leads()) == 2


def test_unreachable_mailbox_exits_75_and_loses_nothing(account, tmp_path: Path) -> None:
    """A dead IMAP server: exit 75 (try later), and the mail is processed once it is back."""
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        text = cfg.read_text()
        port = account.server.tls_port
        cfg.write_text(text.replace(f"port = {port}", "port = 1"))
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 75, err
        assert "XXXXXXXXXXXXXXXX" not in err


def test_dead_portal_exits_75_and_the_mail_waits(account, tmp_path: Path) -> None:
    """The portal unreachable: exit 75, the mail stays unmarked, a later run creates the lead."""
    uid = account.deliver(corpus("001-cf7-default-ru"))
    # A port bound but not listening refuses connections, and no other test's server can take
    # it meanwhile (a stopped sandbox's port can be reused by a parallel test).
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{dead.getsockname()[1]}/rest/1/XXXXXXXXXXXXXXXX/"
        cfg = write_config(tmp_path / "config.toml", account, url)
        code, _, _ = run("--config", str(cfg), "--poll-now")
    assert code == 75
    assert account.uids("INBOX") == [uid]
    assert "\\Seen" not in account.flags(uid)


def test_repeat_while_the_first_waits_for_a_retry_makes_no_second_lead(
    account, tmp_path: Path
) -> None:
    """052 fails for now (rate limit); its repeat 053 arrives meanwhile: still one lead, and
    the repeat's comment lands on it once the first is created."""
    account.deliver(corpus("052-double-click-first"))
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", "limit503", times=4)
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace("backoff_base = 0.05\nbackoff_cap = 0.2",
                                             "backoff_base = 600\nbackoff_cap = 900"))
        assert run("--config", str(cfg), "--poll-now")[0] == 75
        account.deliver(corpus("053-double-click-second"))
        code, out, _ = run("--config", str(cfg), "--poll-now")
        assert code == 75 and "duplicates=1" in out
        assert sb.portal.list_leads() == []
        assert run("--config", str(cfg), "retry", "--all")[0] == 0
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        assert [c for c in sb.portal.comments.values()
                if str(c["ENTITY_ID"]) == str(leads[0]["ID"])]
        assert account.uids("INBOX") == []


def test_lost_answer_on_a_portal_without_the_in_filter(account, tmp_path: Path) -> None:
    """A portal that refuses the `@` (in) filter operator: the lookup falls back to plain
    equality, and a lost answer still ends as exactly one lead."""
    account.deliver(corpus("029-rostferrum-all-types-base64"))
    with sandbox() as sb:
        sb.configure(rejected_operators={"@"})
        sb.portal.inject("crm.lead.add", "lost_answer", times=1)
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        codes = poll_until_done(cfg)
        assert codes[-1] == 0, codes
        assert len(sb.portal.list_leads()) == 1
