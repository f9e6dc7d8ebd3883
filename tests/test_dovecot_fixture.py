"""The Dovecot test fixture itself: config text, lifecycle, cleanup and mailbox hooks."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.servers import dovecot
from tests.servers.dovecot import (
    DovecotError,
    DovecotServer,
    Layout,
    fast_tmpdir,
    group_members,
    maildir_folder,
    new_account,
    parse_uid_set,
    parse_version,
    render_config,
    running_server,
    sample_message,
)

pytestmark = pytest.mark.imap
ROOT = Path(__file__).resolve().parent.parent


def layout(as_root: bool = True, tls: bool = True) -> Layout:
    root = Path("/tmp/dc-test")
    return Layout(
        root=root, base_dir=root / "run", port=10143, tls_port=10993 if tls else 0, tls=tls,
        as_root=as_root, mail_uid=65534, mail_gid=65534, login_user="dovenull",
        internal_user="dovecot", internal_group="dovecot",
    )  # fmt: skip


def settings(text: str) -> list[str]:
    """The non-empty, non-comment lines, stripped."""
    return [s.strip() for s in text.splitlines() if s.strip() and not s.strip().startswith("#")]


def listening_ports(pgid: int) -> set[int]:
    """TCP ports in LISTEN state whose socket belongs to a process of group ``pgid``
    (what ``ss -ltnp`` shows, read from /proc so iproute2 is not needed)."""
    inodes = set()
    for pid, _ in group_members(pgid):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in list(f)[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


# ---- config text ----------------------------------------------------------------------


def test_version_parsing() -> None:
    """``dovecot --version`` output of 2.3 and 2.4 builds parses to (major, minor)."""
    assert parse_version("2.3.19.1 (9b53102964)") == (2, 3)
    assert parse_version("2.4.1-4 (7d8c0e5759)") == (2, 4)
    with pytest.raises(DovecotError):
        parse_version("garbage")


def test_config_24_syntax() -> None:
    """The 2.4 text starts with dovecot_config_version and uses every renamed setting."""
    lo = layout()
    lines = settings(render_config(lo, (2, 4)))
    assert lines[0] == "dovecot_config_version = 2.4.0"
    assert lines[1] == "dovecot_storage_version = 2.4.0"
    text = "\n".join(lines)
    for expected in [
        "auth_allow_cleartext = yes",
        "auth_failure_delay = 0",
        "passdb passwd-file {",
        "userdb passwd-file {",
        f"passwd_file_path = {lo.passwd_dir}/%{{user}}.passwd",
        "default_password_scheme = PLAIN",
        "auth_username_format = %{user}",
        "mail_driver = maildir",
        "mail_path = ~/Maildir",
        "mailbox_list_layout = Maildir++",
        f"ssl_server_cert_file = {lo.cert}",
        f"ssl_server_key_file = {lo.key}",
        "listen = 127.0.0.1",
        "port = 10143",
        "port = 10993",
        "mode = 0",
        "mail_max_userip_connections = 100",
        "protocols = imap",
        "mail_uid = 65534",
        "default_login_user = dovenull",
    ]:
        assert expected in lines, expected
    for gone in ["disable_plaintext_auth", "mail_location", "ssl_cert", "ssl_key =",
                 "address =", "args =", "%u", "<"]:
        assert gone not in text, gone
    assert not any(line.startswith("driver =") for line in lines)
    assert "chroot" not in text  # root variant


def test_config_23_syntax() -> None:
    """The 2.3 text uses the old names and no 2.4-only settings."""
    lo = layout()
    lines = settings(render_config(lo, (2, 3)))
    text = "\n".join(lines)
    for expected in [
        "disable_plaintext_auth = no",
        "auth_failure_delay = 0",
        "driver = passwd-file",
        f"args = scheme=PLAIN username_format=%u {lo.passwd_dir}/%u.passwd",
        "mail_location = maildir:~/Maildir",
        f"ssl_cert = <{lo.cert}",
        f"ssl_key = <{lo.key}",
        "address = 127.0.0.1",
        "mail_max_userip_connections = 100",
    ]:
        assert expected in lines, expected
    for gone in ["dovecot_config_version", "auth_allow_cleartext", "mail_driver",
                 "ssl_server_cert_file", "listen = 127.0.0.1\nport"]:
        assert gone not in text, gone


@pytest.mark.parametrize("version", [(2, 3), (2, 4)])
def test_config_variants(version: tuple[int, int]) -> None:
    """Non-root adds ``chroot =`` to imap-login and anvil; tls off means ssl = no, port 0."""
    nonroot = settings(render_config(layout(as_root=False), version))
    assert nonroot.count("chroot =") == 2
    plain = settings(render_config(layout(tls=False), version))
    assert "ssl = no" in plain and "port = 0" in plain
    assert not any(s.startswith(("ssl_cert", "ssl_server")) for s in plain)
    debug = render_config(Layout(**{**layout().__dict__, "debug": True}), version)
    assert "mail_debug = yes" in debug
    extra = render_config(
        Layout(**{**layout().__dict__, "extra_conf": "imap_idle_notify_interval = 5 secs"}),
        version,
    )
    assert settings(extra)[-1] == "imap_idle_notify_interval = 5 secs"  # later wins


def test_installed_version_config_is_valid(tmp_path: Path) -> None:
    """doveconf accepts the text generated for the installed version."""
    dovecot.require_dovecot()
    server = DovecotServer(tmp_path)
    server._port, server._tls_port = 10143, 10993
    server._prepare()
    doveconf = dovecot.find_binary("doveconf")
    assert doveconf
    r = subprocess.run([doveconf, "-n", "-c", str(server.conf_path)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


# ---- lifecycle ------------------------------------------------------------------------


def test_start_stop_restart_crash_cleanly() -> None:
    """Only the fixture's ports listen; restart keeps them; stop and crash leave nothing."""
    with running_server(tls=True) as server:
        pid = server.pid
        assert pid is not None
        assert listening_ports(pid) == {server.port, server.tls_port}
        ports = (server.port, server.tls_port)
        server.restart()
        assert (server.port, server.tls_port) == ports
        assert server.pid != pid
        assert not group_members(pid)
        pid = server.pid
        server.stop()
        assert not server.running and not group_members(pid)
        server.start()
        pid = server.pid
        server.crash()
        assert not group_members(pid)
        server.start()  # a stale master.pid does not matter
        with server.client("test", tls=True) as c:
            assert c.select_folder("INBOX")[b"EXISTS"] == 0


def test_long_root_uses_short_base_dir() -> None:
    """A root path past the AF_UNIX limit gets a short base_dir, and the server still runs."""
    dovecot.require_dovecot()
    root = fast_tmpdir() / ("x" * 80)
    with DovecotServer(root, tls=False) as server:
        base = server.layout.base_dir if server.layout else None
        assert base is not None and len(str(base)) <= dovecot.MAX_BASE_DIR
        with server.client("test") as c:
            c.noop()
    assert base is not None and not base.exists()
    shutil.rmtree(root.parent)


def test_broken_setting_fails_with_log_tail() -> None:
    """A bad setting fails start() quickly with doveconf's message in DovecotError."""
    dovecot.require_dovecot()
    root = fast_tmpdir()
    server = DovecotServer(root, tls=False, extra_conf="no_such_setting = 1")
    try:
        with pytest.raises(DovecotError) as err:
            server.start()
        assert "no_such_setting" in str(err.value)
    finally:
        server.close()
        shutil.rmtree(root)


def test_killed_parent_takes_dovecot_along(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: when the process that started dovecot is SIGKILLed, dovecot ends."""
    dovecot.require_dovecot()
    script = (
        "import sys, time\n"
        "from tests.servers.dovecot import DovecotServer\n"
        f"s = DovecotServer({str(tmp_path)!r}, tls=False).start()\n"
        "print(s.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout is not None
        pid = int(child.stdout.readline())
        assert group_members(pid)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    DovecotServer.wait_group_gone(pid, timeout=10)


def test_missing_dovecot_fails_not_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without dovecot the fixture fails with an install hint (it never skips)."""
    monkeypatch.setattr(dovecot, "find_binary", lambda name: None)
    with pytest.raises(pytest.fail.Exception) as err:
        dovecot.require_dovecot()
    assert "apt-get install" in str(err.value) and "dovecot-imapd" in str(err.value)


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the fixture as nobody through runuser")
def test_non_root_variant_runs_as_nobody() -> None:
    """The non-root variant (everything as the current user, chroot off) serves IMAP."""
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.fail("runuser (util-linux) is needed for this test")
    work = fast_tmpdir(prefix="dc-nobody-")
    os.chmod(work, 0o777)
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from tests.servers.dovecot import DovecotServer\n"
        f"with DovecotServer({str(work / 'srv')!r}, tls=True) as s:\n"
        "    uid = s.deliver('test', b'Subject: hi\\r\\n\\r\\nbody\\r\\n')\n"
        "    print('ok', s.as_root, uid, s.folder_uids('test'))\n"
    )
    # the venv's interpreter may live under /root (0700): then use the system python3,
    # with the venv's packages on PYTHONPATH
    site = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin",
           "PYTHONPATH": f"{ROOT}:{site}", "PYTHONDONTWRITEBYTECODE": "1"}
    python = next(
        (p for p in (sys.executable, "/usr/bin/python3")
         if subprocess.run([runuser, "-u", "nobody", "--", p, "-c", "import imapclient"],
                           capture_output=True, env=env, cwd="/", check=False).returncode == 0),
        None,
    )
    if python is None:
        # e.g. a checkout under a 0700 mktemp folder: nobody cannot read the code at all.
        # The root variant (what CI and every other test use) is unaffected.
        pytest.skip("user nobody cannot read this checkout or its .venv (folder permissions)")
    try:
        r = subprocess.run(
            [runuser, "-u", "nobody", "--", python, "-c", script],
            capture_output=True, text=True, timeout=60, check=False, cwd="/", env=env,
        )
        assert r.returncode == 0, r.stderr[-3000:]
        assert r.stdout.split() == ["ok", "False", "1", "[1]"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- mailbox hooks --------------------------------------------------------------------


def test_rebuild_folder_renumbers_uids_and_changes_uidvalidity() -> None:
    """Recipe 2: after an index rebuild the UIDs restart densely and UIDVALIDITY changes."""
    with running_server(tls=False) as server:
        account = new_account(server)
        uids = account.append_many([sample_message(subject=str(i)) for i in range(4)])
        account.expunge(uids[0])
        account.expunge(uids[2])
        assert account.uids() == [2, 4]
        before = account.uidvalidity()
        after = account.rebuild_folder()
        assert after != before and account.uidvalidity() == after
        assert account.uids() == [1, 2]
        sub = account.append_many([sample_message(), sample_message()], "Forms/Processed")
        account.expunge(sub[0], "Forms/Processed")
        before = account.uidvalidity("Forms/Processed")
        assert account.rebuild_folder("Forms/Processed") != before
        assert account.uids("Forms/Processed") == [1]


def test_set_uidvalidity_keeps_uids(account: dovecot.ImapAccount) -> None:
    """Recipe 1: a new UIDVALIDITY online, UIDs unchanged; an explicit value is honoured."""
    uid = account.deliver(sample_message())
    old = account.uidvalidity()
    new = account.set_uidvalidity()
    assert new > old and account.uidvalidity() == new
    assert account.set_uidvalidity(value=new + 100) == new + 100
    assert account.uids() == [uid]


def test_delivery_helpers(account: dovecot.ImapAccount) -> None:
    """deliver/append_many return the new UIDs; flags, expunge and folders report state."""
    first = account.deliver(sample_message(), flags=["\\Flagged"])
    more = account.append_many([sample_message() for _ in range(3)])
    assert more == [first + 1, first + 2, first + 3]
    assert "\\Flagged" in account.flags(first)
    account.expunge(more[1])
    assert account.uids() == [first, more[0], more[2]]
    account.server.deliver_doveadm(account.user, sample_message(), "Other")
    assert "Other" in account.folders()
    assert len(account.uids("Other")) == 1


def test_fresh_accounts_are_isolated(dovecot_server: DovecotServer) -> None:
    """Each new account logs in at once with its own password and sees only its own mail."""
    a, b = new_account(dovecot_server), new_account(dovecot_server)
    a.deliver(sample_message())
    assert b.uids() == []
    with pytest.raises(IMAPClient.Error):
        IMAPClient("127.0.0.1", dovecot_server.port, ssl=False).login(a.user, b.password)


def test_unknown_user_is_an_auth_failure() -> None:
    """A user without a passwd-file is refused as AUTHENTICATIONFAILED, not as a server error."""
    name = f"nobody-here-{os.getpid()}"
    with running_server(tls=False, extra_conf="auth_verbose = yes") as server:
        client = IMAPClient("127.0.0.1", server.port, ssl=False, timeout=10)
        try:
            with pytest.raises(IMAPClient.Error) as err:
                client.login(name, "whatever")
        finally:
            client.shutdown()
        assert "AUTHENTICATIONFAILED" in str(err.value)
        # the auth process writes its log line asynchronously: wait for it, do not sleep
        assert server.layout is not None
        wanted = f"missing passwd file: {server.layout.passwd_dir}/{name}.passwd"
        deadline = time.monotonic() + 5
        while wanted not in server.layout.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert wanted in server.layout.log.read_text()


def test_who_counts_and_kick(account: dovecot.ImapAccount) -> None:
    """who() counts open sessions; kill_connections() ends them."""
    clients = [account.client(tls=i % 2 == 1) for i in range(3)]
    assert account.server.wait_who(account.user, 3) == 3
    account.kick()
    assert account.server.wait_who(account.user, 0) == 0
    for c in clients:
        with pytest.raises((IMAPClient.AbortError, OSError)):
            c.noop()
        c.shutdown()


def test_small_helpers() -> None:
    """UID sets expand, and Maildir++ folder paths follow the separator."""
    assert parse_uid_set("3:5,9,12:11") == [3, 4, 5, 9, 11, 12]
    m = Path("/m/Maildir")
    assert maildir_folder(m, "INBOX") == m
    assert maildir_folder(m, "Forms/Processed") == m / ".Forms.Processed"


def test_doveadm_errors_carry_the_log(account: dovecot.ImapAccount) -> None:
    """A failing doveadm call raises DovecotError with its stderr and the log tail."""
    with pytest.raises(DovecotError) as err:
        account.server.doveadm("mailbox", "status", "-u", account.user,
                                    "uidvalidity", "NoSuchFolder")
    assert "dovecot.log" in str(err.value)

