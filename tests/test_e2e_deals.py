"""End to end with Dovecot: the deal path for a repeat client, through --poll-now."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import corpus, expected, run, sandbox, write_config


def test_repeat_client_becomes_a_deal_on_their_contact(account, tmp_path: Path) -> None:
    """[crm] target = "deal": a client the CRM knows by e-mail gets a deal in funnel 2 on
    the existing contact; no lead and no second contact; a second run creates nothing."""
    from bridge.sandbox.entities import add_category, state

    account.deliver(corpus("001-cf7-default-ru"))
    exp = expected("001-cf7-default-ru")
    with sandbox() as sb:
        add_category(sb.portal, 2, "Опт")
        state(sb.portal).index_lag = 0.0
        from tests.bitrix_fixtures import make_client

        client = make_client(sb)
        known = int(client.call("crm.contact.add", {"fields": {
            "NAME": "Иван", "EMAIL": [{"VALUE": exp["email"].upper()}]}}, write=True))
        client.close()
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           extra='[crm]\ntarget = "deal"\ncategory_id = 2\n'
                                 'stage_id = "C2:PREPARATION"\n')
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert "created=1" in out
        ent = state(sb.portal)
        assert sb.portal.list_leads() == [] and list(ent.contacts) == [known]
        [deal] = ent.deals.values()
        assert (deal["CATEGORY_ID"], deal["STAGE_ID"]) == ("2", "C2:PREPARATION")
        assert deal["CONTACT_IDS"] == [str(known)] and deal["ORIGINATOR_ID"] == "mailbridge"
        assert deal["TITLE"] == f"Заявка с сайта - {exp['name']}"
        assert account.uids("INBOX") == []
        code, out, _ = run("--config", str(cfg), "--poll-now")
        assert code == 0 and "created=0" in out and len(ent.deals) == 1


def test_simple_mode_portal_takes_deals_without_blocking(account, tmp_path: Path) -> None:
    """A portal in simple CRM mode blocks a lead target but not target = "deal": the
    enquiry becomes a contact and a deal in the general funnel."""
    from bridge.sandbox.entities import state

    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        sb.portal.crm_mode = 2
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           extra='[crm]\ntarget = "deal"\n')
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        ent = state(sb.portal)
        assert len(ent.deals) == 1 and len(ent.contacts) == 1
        assert next(iter(ent.deals.values()))["STAGE_ID"] == "NEW"
        code, out, err = run("--config", str(cfg), "check")
        assert "CRM mode is simple" in out


@pytest.mark.parametrize("batch", [False, True], ids=["one-by-one", "batched"])
def test_sigkill_on_the_deal_path_loses_and_duplicates_nothing(account, tmp_path: Path,
                                                               batch: bool) -> None:
    """The daemon on the deal target, killed with SIGKILL again and again through a backlog
    (every 4th enquiry with a file): each enquiry one deal, each client one contact."""
    import collections
    import os
    import random
    import signal
    import subprocess
    import sys
    import time

    from bridge.sandbox.entities import state
    from tests.forms import form_email

    n = 24
    account.append_many(form_email(i, file_size=2000 if i % 4 == 0 else 0) for i in range(n))
    rng = random.Random(20261207)
    root = Path(__file__).resolve().parents[1]
    with sandbox(rate=25.0, burst=3) as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url,
                           imap_extra="idle = false",
                           bitrix_extra=f"batch = {'true' if batch else 'false'}",
                           extra='[crm]\ntarget = "deal"\n', rate=25, burst=3)
        cmd = [sys.executable, "-m", "bridge", "--config", str(cfg)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for _ in range(6):
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.3, 1.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        for _ in range(20):
            code, _, err = run("--config", str(cfg), "--poll-now")
            if code == 0:
                break
            time.sleep(0.3)
        assert code == 0, err
        ent = state(sb.portal)
        deals = collections.Counter(d["ORIGIN_ID"] for d in ent.deals.values())
        contacts = collections.Counter(c["ORIGIN_ID"] for c in ent.contacts.values())
        assert len(deals) == n and set(deals.values()) == {1}
        assert len(ent.contacts) == n and set(contacts.values()) == {1}
        assert sb.portal.list_leads() == [] and account.uids("INBOX") == []
        with_files = collections.Counter(c["ENTITY_ID"] for c in sb.portal.comments.values()
                                         if c["ENTITY_TYPE"] == "deal" and c["FILES"])
        assert len(with_files) == n // 4 and set(with_files.values()) == {1}


def test_sighup_reloads_the_target_of_a_running_daemon(account, tmp_path: Path) -> None:
    """The daemon makes a lead; the config is changed to target deals and SIGHUP sent; the
    next enquiry becomes a deal without a restart."""
    import signal
    import subprocess
    import sys
    import time

    from bridge.sandbox.entities import state
    from tests.forms import form_email

    root = Path(__file__).resolve().parents[1]
    account.deliver(form_email(1))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "--config", str(cfg)],
                                cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not sb.portal.list_leads() and time.monotonic() < deadline:
                time.sleep(0.1)
            with cfg.open("a", encoding="utf-8") as fh:
                fh.write('\n[crm]\ntarget = "deal"\n')
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            account.deliver(form_email(2))
            while not state(sb.portal).deals and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err.decode()
        assert len(sb.portal.list_leads()) == 1 and len(state(sb.portal).deals) == 1
        assert b"reload.done" in err


def test_deals_are_announced_counted_and_shown_as_deals(account, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """On the deal path a text-only enquiry (batched) and one with files each call the
    new-lead hook: a notice linking /crm/deal/details/ID/, the created counter and the push
    latency histogram; `status` (human and --json) calls their rows deals."""
    import json

    from bridge.sandbox.entities import state
    from tests.forms import form_email
    from tests.servers.notify_stubs import HttpStub

    for key in ("BRIDGE_IMAP_PASSWORD", "BITRIX24_WEBHOOK_URL"):
        monkeypatch.delenv(key, raising=False)
    account.deliver(form_email(4))
    account.deliver(corpus("029-rostferrum-all-types-base64"))
    hook = HttpStub()
    try:
        with sandbox() as sb:
            cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url, extra=(
                '[crm]\ntarget = "deal"\n[notify]\non_lead = true\n'
                f'[notify.webhook]\nurl = "{hook.url}/h"\n[metrics]\ntextfile = "m.prom"\n'))
            code, out, err = run("--config", str(cfg), "--poll-now")
            assert code == 0, err
            deals = sorted(int(d) for d in state(sb.portal).deals)
            assert len(deals) == 2 and sb.portal.list_leads() == []
            base = sb.webhook_url.split("/rest/")[0]
            notices = [r.body for r in hook.requests if r.body.get("kind") == "lead"]
            assert sorted(n["deal_id"] for n in notices) == deals
            assert {n["entity"] for n in notices} == {"deal"}
            assert sorted(n["url"] for n in notices) == [
                f"{base}/crm/deal/details/{d}/" for d in deals]
            assert any(n["name"] == "Клиент Номер4" for n in notices)
            prom = (tmp_path / "m.prom").read_text()
            assert "mailbridge_leads_created_total 2.0" in prom
            assert "mailbridge_push_latency_seconds_count 2.0" in prom
            status = json.loads(run("--config", str(cfg), "status", "--json")[1])
            created = status["recent_created"]
            assert sorted(c["crm_id"] for c in created) == deals
            assert {c["entity"] for c in created} == {"deal"}
            code, out, _ = run("--config", str(cfg), "status")
            assert code == 0 and out.count(" deal ") == 2, out
    finally:
        hook.close()
