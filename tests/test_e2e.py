"""End to end: a form e-mail in a real Dovecot becomes one lead in the real sandbox."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from tests.e2e import corpus, expected, run, sandbox, write_config


def test_rostferrum_form_becomes_one_lead_with_seven_files(account, tmp_path: Path) -> None:
    """Case 029 via --poll-now: one lead, every SPEC §3 field, 7 identical files, mail moved."""
    account.deliver(corpus("029-rostferrum-all-types-base64"))
    exp = expected("029-rostferrum-all-types-base64")
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert "created=1" in out
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        lead = sb.portal.lead(int(leads[0]["ID"]))
        assert lead["NAME"] == exp["name"]
        assert lead["TITLE"] == f"Заявка с сайта - {exp['name']}"
        assert [p["VALUE"] for p in lead["PHONE"]] == [exp["phone"]]
        assert [e["VALUE"] for e in lead["EMAIL"]] == [exp["email"]]
        assert " ".join(exp["message"].split()) in " ".join(lead["COMMENTS"].split())
        assert "Страница: https://rostferrum.ru/armatura/" in lead["COMMENTS"]
        assert lead["SOURCE_ID"] == "WEB"
        assert lead["SOURCE_DESCRIPTION"] == "Сайт РостФеррум"
        assert str(lead["ASSIGNED_BY_ID"]) == "1"
        assert lead["ORIGINATOR_ID"] == "mailbridge"
        assert lead["ORIGIN_ID"]
        files = sb.portal.lead_files(int(leads[0]["ID"]))
        got = sorted((name, hashlib.sha256(data).hexdigest()) for name, data in files)
        want = sorted((a["filename"], a["sha256"]) for a in exp["attachments"])
        assert got == want
        assert account.uids("INBOX") == []
        assert len(account.uids("Processed")) == 1

        code, out, _ = run("--config", str(cfg), "--poll-now")
        assert code == 0
        assert "created=0" in out
        assert len(sb.portal.list_leads()) == 1


def test_seen_mail_is_still_processed_and_marked(account, tmp_path: Path) -> None:
    """Mail a person already read is processed (found by UID); without a processed folder
    it stays in place, marked \\Seen."""
    uid = account.deliver(corpus("001-cf7-default-ru"), flags=["\\Seen"])
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url, processed_folder="")
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert len(sb.portal.list_leads()) == 1
    assert account.uids("INBOX") == [uid]
    assert "\\Seen" in account.flags(uid)


def test_bounce_and_autoreply_make_no_lead_and_are_recorded(account, tmp_path: Path) -> None:
    """A bounce (045) and an auto-reply (046) create nothing and stay recorded with a reason."""
    account.deliver(corpus("045-bounce-dsn-with-form-inside"))
    account.deliver(corpus("046-autoreply-vacation"))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert "skipped=2" in out
        assert sb.portal.list_leads() == []
        code, out, _ = run("--config", str(cfg), "status", "--json")
        assert code == 0
        status = json.loads(out)
        assert status["states"].get("skipped") == 2
        assert status["last_poll_at"]


def test_double_click_makes_one_lead_and_a_comment(account, tmp_path: Path) -> None:
    """052 then 053 (same enquiry 3 s later): one lead, and a timeline comment on it."""
    account.deliver(corpus("052-double-click-first"))
    account.deliver(corpus("053-double-click-second"))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        code, out, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert "duplicates=1" in out
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        comments = [c for c in sb.portal.comments.values()
                    if str(c["ENTITY_ID"]) == str(leads[0]["ID"])]
        assert len(comments) == 1
        assert "повторно" in comments[0]["COMMENT"]
        assert account.uids("INBOX") == []


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("[imap]\nhost = \"x\"\nusername = \"u\"\npassword = \"p\"\nport = \"abc\"\n", "imap.port"),
        ("[imap]\nhost = \"x\"\nusername = \"u\"\npassword = \"p\"\ncolour = 1\n", "imap.colour"),
    ],
    ids=["bad-type", "unknown-key"],
)
def test_config_errors_exit_78_naming_the_key(tmp_path: Path, body: str, needle: str) -> None:
    """A bad type or an unknown key exits 78 with a message naming the key."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(body, encoding="utf-8")
    code, _, err = run("--config", str(cfg), "--poll-now")
    assert code == 78
    assert needle in err


def test_missing_config_exits_78_and_suggests_demo(tmp_path: Path) -> None:
    """A missing config file exits 78 and points at `mailbridge demo`."""
    code, _, err = run("--config", str(tmp_path / "nope.toml"), "--poll-now")
    assert code == 78
    assert "nope.toml" in err
    assert "demo" in err


def test_vanished_named_file_field_holds_back_only_mail_with_files(account,
                                                                    tmp_path: Path) -> None:
    """A field named in attachments.field that is gone from the portal (which would drop it
    silently): the mail with files waits (exit 75, an error naming the field), a text-only
    mail still becomes a lead, and once the field is back the files arrive in it."""
    uid = account.deliver(corpus("029-rostferrum-all-types-base64"))
    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        sb.portal.set_file_field("UF_CRM_1701234567")
        sb.portal.remove_userfield("UF_CRM_1701234567")
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace('field = "auto"', 'field = "UF_CRM_1701234567"'))
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 75, err
        assert "crm.file_field_missing field=UF_CRM_1701234567" in err
        assert len(sb.portal.list_leads()) == 1  # the text-only mail
        assert sb.portal.lead_files(int(sb.portal.list_leads()[0]["ID"])) == []
        assert account.uids("INBOX") == [uid]
        assert "\\Seen" not in account.flags(uid)
        sb.portal.set_file_field("UF_CRM_1701234567")
        time.sleep(0.3)  # retry.backoff_cap in tests is 0.2 s
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        leads = sb.portal.list_leads()
        assert len(leads) == 2
        assert len(sb.portal.lead_files(int(leads[1]["ID"]), "UF_CRM_1701234567")) == 7


def test_legacy_uf_crm_task_behaves_as_auto(account, tmp_path: Path) -> None:
    """attachments.field = "UF_CRM_TASK" (the old default, a tasks field) on a portal whose
    leads lack it: a deprecation warning, and the files go to the one File field."""
    account.deliver(corpus("029-rostferrum-all-types-base64"))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace('field = "auto"', 'field = "UF_CRM_TASK"'))
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        assert "config.deprecated key=attachments.field" in err
        [lead] = sb.portal.list_leads()
        assert len(sb.portal.lead_files(int(lead["ID"]), sb.portal.file_field_code)) == 7
