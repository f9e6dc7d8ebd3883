"""Quarantine and retry: a bad message never blocks the others, and comes back on retry."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.e2e import corpus, run, sandbox, write_config
from tests.forms import ODD_LAYOUT, form_email


def test_rejected_message_is_quarantined_and_does_not_block_others(
    account, tmp_path: Path
) -> None:
    """The portal refuses one message every time: after max_attempts it is quarantined
    (exit 65), stays unmarked in the mailbox, the next message still becomes a lead, and
    `retry` brings the quarantined one back once the portal accepts it."""
    bad_uid = account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        sb.portal.inject("crm.lead.add", "html", times=2, status=400)
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace("[retry]\n", "[retry]\nmax_attempts = 2\n"))
        first, _, _ = run("--config", str(cfg), "--poll-now")
        time.sleep(0.3)
        second, _, _ = run("--config", str(cfg), "--poll-now")
        assert (first, second) == (75, 65)
        assert sb.portal.list_leads() == []
        assert account.uids("INBOX") == [bad_uid]
        assert "\\Seen" not in account.flags(bad_uid)

        status = json.loads(run("--config", str(cfg), "status", "--json")[1])
        assert status["states"]["quarantined"] == 1
        problem = status["errors"][0]
        assert problem["subject"] and "rejected" in problem["error"]

        account.deliver(form_email(7))
        code, _, _ = run("--config", str(cfg), "--poll-now")
        assert code == 0
        assert len(sb.portal.list_leads()) == 1

        code, out, _ = run("--config", str(cfg), "retry", str(problem["id"]))
        assert code == 0 and f"#{problem['id']}" in out
        code, _, _ = run("--config", str(cfg), "--poll-now")
        assert code == 0
        assert len(sb.portal.list_leads()) == 2
        assert account.uids("INBOX") == []


def test_unrecognised_layout_is_quarantined_until_the_labels_are_extended(
    account, tmp_path: Path
) -> None:
    """With parsing.unrecognised = "quarantine", an unknown layout is quarantined as `layout
    not recognised`; after the operator adds the labels to the config, `retry --all` turns
    it into a lead."""
    account.deliver(ODD_LAYOUT.encode())
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url,
                           extra='\n[parsing]\nunrecognised = "quarantine"\n')
        code, out, _ = run("--config", str(cfg), "--poll-now")
        assert code == 65, out
        status = json.loads(run("--config", str(cfg), "status", "--json")[1])
        assert status["states"]["quarantined"] == 1
        assert "layout not recognised" in status["errors"][0]["error"]

        cfg.write_text(cfg.read_text() + (
            '\n[parsing.labels]\nname = ["Позывной заказчика"]\nphone = ["Связь"]\n'
        ))
        assert run("--config", str(cfg), "retry", "--all")[0] == 0
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        lead = sb.portal.lead(int(leads[0]["ID"]))
        assert lead["NAME"] == "Степан Разин"
        assert lead["PHONE"][0]["VALUE"] == "+79125554433"


def test_sender_filter_skips_other_senders(account, tmp_path: Path) -> None:
    """With filter.senders set, mail from another sender is recorded as skipped, no lead."""
    account.deliver(corpus("001-cf7-default-ru"))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url,
                           extra='\n[filter]\nsenders = ["@only-this-site.example"]\n')
        code, out, _ = run("--config", str(cfg), "--poll-now")
        assert code == 0
        assert "skipped=1" in out
        assert sb.portal.list_leads() == []


def test_files_go_to_a_timeline_comment_when_no_field_is_set(account, tmp_path: Path) -> None:
    """attachments.field = "": the lead is created and its files ride on one timeline
    comment carrying the ORIGIN_ID marker; a second pass adds nothing."""
    account.deliver(corpus("029-rostferrum-all-types-base64"))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        cfg.write_text(cfg.read_text().replace('field = "auto"', 'field = ""'))
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        assert run("--config", str(cfg), "--poll-now")[0] == 0
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        comments = list(sb.portal.comments.items())
        assert len(comments) == 1
        comment_id, comment = comments[0]
        assert leads[0]["ORIGIN_ID"] in comment["COMMENT"]
        assert len(sb.portal.comment_files(comment_id)) == 7
