"""Several mailboxes in one process: one ledger and pipeline per mailbox, a failing mailbox that
never holds up the others, one rate limit per portal host, per-mailbox status."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.config import load
from bridge.multibox import PortalBuckets, combine, ledger_path, per_mailbox, portal_key
from tests.e2e import corpus, run, sandbox, toml_str
from tests.servers.dovecot import ImapAccount, new_account

ROOT = Path(__file__).resolve().parents[1]
CODE_A = "AaaaC0deXXXXXXXX"


@pytest.fixture
def two_accounts(dovecot_server) -> tuple[ImapAccount, ImapAccount]:
    return new_account(dovecot_server), new_account(dovecot_server)


def write_multi(
    path: Path, shared_url: str, boxes: list[str], *, timeout: float = 10
) -> Path:
    """A [[mailboxes]] config: [imap]/[bitrix24] defaults plus the given mailbox tables."""
    text = f"""
[imap]
host = "127.0.0.1"
security = "ssl"
folder = "INBOX"
processed_folder = "Processed"
poll_interval = 60
timeout = {timeout}

[bitrix24]
webhook_url = {toml_str(shared_url)}
rate_per_second = 1000
burst = 1000
max_request_seconds = 0.2

[retry]
backoff_base = 0.05
backoff_cap = 0.2

[store]
path = "bridge.db"
""" + "\n".join(boxes)
    path.write_text(text, encoding="utf-8")
    return path


def box(name: str, account: ImapAccount, *, password: str | None = None,
        port: int | None = None, portal_url: str | None = None) -> str:
    server = account.server
    text = f"""
[[mailboxes]]
name = "{name}"
port = {port or server.tls_port}
username = {toml_str(account.user)}
password = {toml_str(password if password is not None else account.password)}
ca_file = {toml_str(server.ca_file)}
"""
    if portal_url:
        text += f"""
[mailboxes.bitrix24]
webhook_url = {toml_str(portal_url)}
rate_per_second = 1000
burst = 1000
max_request_seconds = 0.2
"""
    return text


# -- pure parts -------------------------------------------------------------------------


def test_ledger_path_is_one_file_per_mailbox() -> None:
    """Each mailbox keeps its own ledger beside store.path, named after the mailbox."""
    assert ledger_path(Path("/var/lib/mb/bridge.db"), "site-a") == Path(
        "/var/lib/mb/bridge.site-a.db"
    )
    assert ledger_path(Path("/x/ledger"), "b") == Path("/x/ledger.b.db")


def test_combined_exit_code_follows_the_spec_order() -> None:
    """78 beats 69 beats 75 beats 65; all zero is zero."""
    assert combine([0, 75, 65]) == 75
    assert combine([65, 78, 75]) == 78
    assert combine([0, 0]) == 0
    assert combine([69, 75]) == 69


def test_rate_limit_is_shared_per_portal_host(tmp_path: Path) -> None:
    """Mailboxes sending to one portal host share one bucket; another portal has its own."""
    url_a = f"https://a.bitrix24.ru/rest/1/{CODE_A}/"
    text = f"""
[imap]
host = "imap.example.ru"

[bitrix24]
webhook_url = "https://shared.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/"

[[mailboxes]]
name = "one"
username = "1@x.ru"
password = "p1"

[[mailboxes]]
name = "two"
username = "2@x.ru"
password = "p2"

[[mailboxes]]
name = "three"
username = "3@x.ru"
password = "p3"

[mailboxes.bitrix24]
webhook_url = "{url_a}"

[[mailboxes]]
name = "four"
username = "4@x.ru"
password = "p4"

[mailboxes.bitrix24]
webhook_url = "https://A.bitrix24.ru/rest/9/YYYYYYYYYYYYYYYY/"
"""
    path = tmp_path / "c.toml"
    path.write_text(text)
    cfg = load(path, env={})
    buckets = PortalBuckets()
    got = [buckets.for_portal(c.bitrix24) for _b, c in per_mailbox(cfg)]
    assert got[0] is got[1]  # the shared portal
    assert got[2] is got[3]  # two webhooks of one portal host (case-insensitive)
    assert got[0] is not got[2]
    assert len(buckets) == 2
    assert portal_key(url_a) == "a.bitrix24.ru"
    assert {c.store.path.name for _b, c in per_mailbox(cfg)} == {
        "bridge.one.db", "bridge.two.db", "bridge.three.db", "bridge.four.db",
    }


# -- against Dovecot and the sandbox ------------------------------------------------------


def test_poll_now_sends_each_mailbox_to_its_own_portal(two_accounts, tmp_path: Path) -> None:
    """--poll-now reads both mailboxes; the one with a portal of its own sends there, the
    other to the shared portal; status shows one block per mailbox."""
    a, b = two_accounts
    a.deliver(corpus("001-cf7-default-ru"))
    b.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as shared, sandbox() as own:
        cfg = write_multi(tmp_path / "c.toml", shared.webhook_url, [
            box("site-a", a, portal_url=own.webhook_url), box("site-b", b),
        ])
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert len(own.portal.list_leads()) == 1
        assert len(shared.portal.list_leads()) == 1
    assert "== mailbox site-a" in out and "== mailbox site-b" in out
    assert (tmp_path / "bridge.site-a.db").exists() and (tmp_path / "bridge.site-b.db").exists()
    code, out, _ = run("--config", str(cfg), "status")
    assert code == 0
    assert out.count("== mailbox ") == 2 and out.count("created: 1") == 2
    code, out, _ = run("--config", str(cfg), "status", "--json")
    data = json.loads(out)["mailboxes"]
    assert set(data) == {"site-a", "site-b"}
    assert data["site-a"]["states"]["created"] == 1 == data["site-b"]["states"]["created"]
    assert data["site-b"]["username"] == b.user
    code, out, _ = run("--config", str(cfg), "status", "--health")
    assert code == 0, out
    assert out.startswith("site-a: ") and "\nsite-b: " in out


def test_poll_now_refused_login_fails_only_that_mailbox(two_accounts, tmp_path: Path) -> None:
    """A mailbox whose login is refused exits 78 for the run, but the other mailbox's lead is
    still created."""
    a, b = two_accounts
    b.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as shared:
        cfg = write_multi(tmp_path / "c.toml", shared.webhook_url, [
            box("site-a", a, password="wrong-password"), box("site-b", b),
        ])
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 78, err
        assert len(shared.portal.list_leads()) == 1


def test_retry_ids_need_a_mailbox(two_accounts, tmp_path: Path) -> None:
    """IDs are per ledger: `retry 1` with several mailboxes is a usage error; --mailbox works."""
    a, b = two_accounts
    cfg = write_multi(tmp_path / "c.toml", "https://x.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/",
                      [box("site-a", a), box("site-b", b)])
    code, _, err = run("--config", str(cfg), "retry", "1")
    assert code == 64 and "--mailbox" in err
    code, _, err = run("--config", str(cfg), "retry", "--mailbox", "nope", "1")
    assert code == 65 and "site-a" in err
    code, _, err = run("--config", str(cfg), "retry", "--mailbox", "site-b", "--all")
    assert code == 0, err


def test_hung_mailbox_never_holds_up_the_others(two_accounts, tmp_path: Path) -> None:
    """The daemon serves a mailbox whose server accepts the connection and never answers
    (with a 600 s timeout) next to a working one: the working one's lead is created at once,
    and SIGTERM still stops the process with exit 0."""
    a, b = two_accounts
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts (the kernel does) and never greets
    try:
        with sandbox() as shared:
            cfg = write_multi(tmp_path / "c.toml", shared.webhook_url, [
                box("hung", a, port=silent.getsockname()[1]), box("good", b),
            ], timeout=600)
            proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                    cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                b.deliver(corpus("001-cf7-default-ru"))
                deadline = time.monotonic() + 60  # catches a hang; the hung box holds 600 s
                while time.monotonic() < deadline and not shared.portal.list_leads():
                    time.sleep(0.1)
                assert len(shared.portal.list_leads()) == 1
                assert proc.poll() is None
            finally:
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=30)
    finally:
        silent.close()
    assert proc.returncode == 0, err.decode()
    assert "daemon.started mailboxes=2 portals=1" in err.decode()


def test_daemon_keeps_serving_next_to_a_refused_login(two_accounts, tmp_path: Path) -> None:
    """A refused login is logged for its mailbox and retried; it never stops the daemon or the
    other mailbox (a single-mailbox daemon would exit 78)."""
    a, b = two_accounts
    with sandbox() as shared:
        cfg = write_multi(tmp_path / "c.toml", shared.webhook_url, [
            box("bad", a, password="wrong-password"), box("good", b),
        ])
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            b.deliver(corpus("001-cf7-default-ru"))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not shared.portal.list_leads():
                time.sleep(0.1)
            assert len(shared.portal.list_leads()) == 1
            assert proc.poll() is None  # still running
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    log = err.decode()
    assert proc.returncode == 0, log
    assert "mailbox.refused mailbox=bad" in log  # at error priority, retried (bridge.refusal)
    assert "wrong-password" not in log and a.password not in log


def test_sighup_fixes_one_mailbox_without_a_restart(two_accounts, tmp_path: Path) -> None:
    """A mailbox refused for a wrong password works after its password file is fixed and the
    daemon gets SIGHUP; the other mailbox ran on all along."""
    a, b = two_accounts
    a.deliver(corpus("005-wpforms-plain-longline-qp"))
    (tmp_path / "a.password").write_text("wrong-password\n")
    with sandbox() as shared:
        boxes = [box("fixme", a), box("good", b)]
        boxes[0] = boxes[0].replace(f"password = {toml_str(a.password)}",
                                    'password_file = "a.password"')
        cfg = write_multi(tmp_path / "c.toml", shared.webhook_url, boxes)
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            b.deliver(corpus("001-cf7-default-ru"))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not shared.portal.list_leads():
                time.sleep(0.1)
            assert len(shared.portal.list_leads()) == 1  # only the good mailbox's
            (tmp_path / "a.password").write_text(a.password + "\n")
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(shared.portal.list_leads()) < 2:
                time.sleep(0.1)
            assert len(shared.portal.list_leads()) == 2
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert "reload.done" in err.decode()


def test_metrics_are_off_per_mailbox(tmp_path: Path) -> None:
    """Mailbox configs carry no metrics endpoint or textfile: without a mailbox label their
    series would overwrite one another."""
    text = """
[imap]
host = "imap.example.ru"

[bitrix24]
webhook_url = "https://shared.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/"

[metrics]
listen = "127.0.0.1:9464"
textfile = "m.prom"

[[mailboxes]]
name = "one"
username = "1@x.ru"
password = "p1"
"""
    path = tmp_path / "c.toml"
    path.write_text(text)
    cfg = load(path, env={})
    assert cfg.metrics.listen
    ((_box, box_cfg),) = per_mailbox(cfg)
    assert box_cfg.metrics.listen == "" and box_cfg.metrics.textfile is None


def test_mailbox_route_applies_only_to_its_mailbox(two_accounts, tmp_path: Path) -> None:
    """A [[mailboxes.routes]] title is used for that mailbox's enquiries; the same form in the
    other mailbox keeps the default title."""
    a, b = two_accounts
    a.deliver(corpus("005-wpforms-plain-longline-qp"))
    b.deliver(corpus("001-cf7-default-ru"))
    route = ("\n[[mailboxes.routes]]\nname = \"all\"\nsender = \"@rostferrum.ru\"\n"
             "title = \"Site A - {name}\"\n")
    with sandbox() as shared:
        cfg = write_multi(tmp_path / "c.toml", shared.webhook_url,
                          [box("site-a", a) + route, box("site-b", b)])
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        titles = sorted(lead["TITLE"] for lead in shared.portal.list_leads())
    assert len(titles) == 2
    assert sum(t.startswith("Site A - ") for t in titles) == 1
