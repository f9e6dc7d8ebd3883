"""SIGHUP: the daemon re-reads its config and secrets; a broken file is alarmed and the old
config stays; restart-only keys are named. Real Dovecot, sandbox and an HTTP receiver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bridge.healthfile import health_path
from tests.e2e import sandbox, write_config
from tests.forms import form_email
from tests.helpers.waiting import wait_for
from tests.servers.dovecot import ImapAccount
from tests.servers.notify_stubs import HttpStub

ROOT = Path(__file__).resolve().parents[1]


def test_sighup_reloads_keeps_the_old_config_on_error_and_alarms(
    account: ImapAccount, tmp_path: Path
) -> None:
    """A new title applies after SIGHUP (store.path is named as restart-only and kept); a
    broken file raises one reload_failed alarm while leads keep coming with the last good
    config; the next good reload sends one resolved."""
    hook = HttpStub()
    try:
        with sandbox() as sb:
            def config(title: str, store: str = "bridge.db") -> str:
                path = write_config(tmp_path / "c.toml", account, sb.webhook_url, extra=(
                    f'[notify.webhook]\nurl = "{hook.url}/hooks/XXXXXXXX"\n'))
                text = path.read_text().replace('path = "bridge.db"', f'path = "{store}"')
                return text.replace('source_id = "WEB"', f'source_id = "WEB"\ntitle = "{title}"')

            cfg = tmp_path / "c.toml"
            cfg.write_text(config("A - {name}"))
            env = {k: v for k, v in os.environ.items()
                   if k not in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL")}
            proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                    cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            try:
                assert wait_for(health_path(tmp_path / "bridge.db").exists)
                cfg.write_text(config("B - {name}", store="other.db"))
                proc.send_signal(signal.SIGHUP)
                account.deliver(form_email(1))
                assert wait_for(lambda: len(sb.portal.list_leads()) == 1)
                titles = [sb.portal.lead(int(x["ID"]))["TITLE"] for x in sb.portal.list_leads()]
                assert titles == ["B - Клиент Номер1"]

                cfg.write_text(config("C - {name}") + "\n[imap]\nport = 'x'\n")
                proc.send_signal(signal.SIGHUP)
                assert wait_for(lambda: any(r.body.get("kind") == "reload_failed"
                                            for r in hook.requests))
                account.deliver(form_email(2))
                assert wait_for(lambda: len(sb.portal.list_leads()) == 2)
                titles = sorted(sb.portal.lead(int(x["ID"]))["TITLE"]
                                for x in sb.portal.list_leads())
                assert titles == ["B - Клиент Номер1", "B - Клиент Номер2"]

                cfg.write_text(config("B - {name}"))
                proc.send_signal(signal.SIGHUP)
                assert wait_for(lambda: [r.body.get("event") for r in hook.requests
                                         if r.body.get("kind") == "reload_failed"]
                                == ["alarm", "resolved"])
            finally:
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            assert "reload.kept key=store.path" in err
            assert "reload.failed" in err and "not valid TOML" in err
            assert not (tmp_path / "other.db").exists()
            assert "XXXXXXXX" not in err
            events = [(r.body["kind"], r.body["event"]) for r in hook.requests]
            assert events.count(("reload_failed", "alarm")) == 1
            assert events.count(("reload_failed", "resolved")) == 1
    finally:
        hook.close()


def test_reload_rereads_secret_files_and_keeps_restart_only_keys(tmp_path: Path) -> None:
    """A changed password_file is read again; a changed metrics.listen keeps its old value
    (restart-only); a bad file leaves the current config untouched and raises the alarm."""
    from bridge.alerts.alarms import RELOAD_FAILED, Alarms
    from bridge.config import load
    from bridge.reload import Reloader

    (tmp_path / "pw").write_text("first-XXXX")
    base = ('[imap]\nhost = "imap.example.ru"\nusername = "f@example.ru"\n'
            'password_file = "pw"\n[bitrix24]\n'
            'webhook_url = "https://p.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/"\n')
    cfg_path = tmp_path / "c.toml"
    cfg_path.write_text(base + '[metrics]\nlisten = "127.0.0.1:9464"\n')
    applied: list[object] = []
    sent: list[object] = []
    reloader = Reloader(load(cfg_path, env={}), load=lambda p: load(p, env={}),
                        apply=applied.append, alarms=Alarms(sent.append, repeat=timedelta(1)))
    (tmp_path / "pw").write_text("second-XXXX")
    cfg_path.write_text(base + '[metrics]\nlisten = "127.0.0.1:9999"\n')
    assert reloader.reload()
    assert reloader.current.imap.password == "second-XXXX"
    assert reloader.current.metrics.listen == "127.0.0.1:9464"
    cfg_path.write_text(base + "[imap]\n")
    assert not reloader.reload()
    assert reloader.current.imap.password == "second-XXXX" and len(applied) == 1
    assert reloader.alarms.is_active(RELOAD_FAILED)
