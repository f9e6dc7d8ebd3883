"""parsing.unrecognised (SPEC §3): a form notification whose fields cannot be read becomes a
lead of its whole text by default; a letter that is no form never does; status and the
summary count them per sender. The "quarantine" setting is covered in test_quarantine.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.config import ConfigError, load
from bridge.leads import LeadSettings, build_lead
from bridge.model import ParseOptions
from bridge.parsing import parse_message
from bridge.parsing.unread import UNREAD_NOTE
from tests.e2e import run, sandbox, write_config
from tests.forms import ODD_LAYOUT

SUPPLIER = (
    "From: =?utf-8?B?0JDQvdC00YDQtdC5?= <a.kolesnikov@supplier.example>\r\n"
    "To: sales@shop.example\r\nSubject: Price list\r\nDate: Mon, 30 Nov 2026 11:00:00 +0000\r\n"
    "Message-ID: <price-1@supplier.example>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Добрый день!\r\n\r\nНаправляю прайс: арматура от 58 000 руб./т.\r\n\r\n"
    "С уважением,\r\nАндрей\r\nТел.: +7 495 111-22-33\r\n"
)
BITRIX_ODD = (
    "From: info@shop.example\r\nTo: sales@shop.example\r\nSubject: =?utf-8?B?0KHQsNC50YI6IA==?=\r\n"
    "X-EVENT_NAME: FORM_FILLING_CALLBACK\r\nDate: Mon, 30 Nov 2026 12:00:00 +0000\r\n"
    "Message-ID: <bx-1@shop.example>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Позывной: Ермак\r\nКуда звонить: восемь девятьсот двенадцать\r\n\r\n"
    "IP-адрес: 203.0.113.5\r\nПросмотреть результат на сайте: "
    "https://shop.example/bitrix/admin/form_result_view.php?RESULT_ID=9\r\n"
)


def test_unreadable_form_is_a_lead_made_of_its_text() -> None:
    """Default "lead": a robot's notification with unknown labels is a lead whose message is
    the cleaned text (metadata and admin links gone), flagged as unrecognised."""
    p = parse_message(BITRIX_ODD.encode())
    assert (p.is_form, p.create_lead, p.unrecognised, p.quarantine) == (True, True, True, False)
    assert p.message == "Позывной: Ермак\nКуда звонить: восемь девятьсот двенадцать"


def test_quarantine_setting_keeps_it_for_a_person() -> None:
    """"quarantine": the same mail is quarantined as layout not recognised, as before."""
    p = parse_message(BITRIX_ODD.encode(), ParseOptions(unrecognised="quarantine"))
    assert (p.is_form, p.create_lead, p.quarantine) == (False, False, True)
    assert p.reason == "layout not recognised"


def test_supplier_letter_never_becomes_a_lead() -> None:
    """A supplier's letter is no form notification: no lead, even under "lead"."""
    p = parse_message(SUPPLIER.encode())
    assert not p.create_lead and not p.unrecognised and p.quarantine


def test_configured_sender_makes_it_a_form() -> None:
    """A mail from a sender in a non-empty filter.senders counts as a form notification."""
    raw = SUPPLIER.replace("Price list", "Hello").replace("С уважением,\r\n", "")
    assert not parse_message(raw.encode()).unrecognised
    p = parse_message(raw.encode(), ParseOptions(site_senders=("@supplier.example",)))
    assert p.unrecognised and p.create_lead


def test_reply_is_never_an_unread_form() -> None:
    """A reply in the sales mailbox (In-Reply-To) is a person writing back, not a form."""
    raw = ODD_LAYOUT.replace("Subject: New request", "Subject: Re: New request\r\n"
                             "In-Reply-To: <x@shop.example>")
    assert not parse_message(raw.encode()).create_lead


def test_lead_title_is_the_subject_and_comment_says_so() -> None:
    """The lead's title carries the subject; the comment's first line says the fields could
    not be read, then the text follows."""
    p = parse_message(ODD_LAYOUT.encode())
    lead = build_lead(p, LeadSettings(title="Заявка с сайта - {name}"), "o-1")
    assert lead.fields["TITLE"] == "Заявка с сайта - New request"
    comments = str(lead.fields["COMMENTS"]).split("\n")
    assert comments[0] == UNREAD_NOTE
    assert "Позывной заказчика: Степан Разин" in comments


def test_config_key_is_validated(tmp_path: Path) -> None:
    """parsing.unrecognised accepts "lead" or "quarantine"; anything else names the key."""
    path = tmp_path / "c.toml"
    base = ('[imap]\nhost = "h"\nusername = "u"\npassword = "p"\n[bitrix24]\n'
            'webhook_url = "https://b24.example/rest/1/XXXXXXXXXXXXXXXX/"\n'
            'responsible_user_id = 1\n')
    path.write_text(base + '[parsing]\nunrecognised = "lead"\n')
    assert load(path, env={}).parse_options().unrecognised == "lead"
    path.write_text(base)
    assert load(path, env={}).parsing.unrecognised == "lead"
    path.write_text(base + '[parsing]\nunrecognised = "drop"\n')
    with pytest.raises(ConfigError, match=r"parsing\.unrecognised"):
        load(path, env={})


def test_end_to_end_lead_and_count_per_sender(account, tmp_path: Path) -> None:
    """Sandbox end to end with the default: the unreadable notification becomes a lead
    titled with its subject, the supplier's letter is quarantined, and the summary and
    `status` count one such lead for the robot's address."""
    account.deliver(ODD_LAYOUT.encode())
    account.deliver(SUPPLIER.encode())
    with sandbox() as sb:
        cfg = write_config(tmp_path / "c.toml", account, sb.webhook_url)
        code, out, _ = run("--config", str(cfg), "--poll-now")
        assert code == 65, out  # the supplier's letter waits for a person
        assert "unrecognised=1 unrecognised_by_sender=robot@shop.example:1" in out
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        lead = sb.portal.lead(int(leads[0]["ID"]))
        assert "New request" in lead["TITLE"]
        assert lead["COMMENTS"].startswith(UNREAD_NOTE)
        assert "Степан Разин" in lead["COMMENTS"]
        status = json.loads(run("--config", str(cfg), "status", "--json")[1])
        assert status["unrecognised_by_sender"] == {"robot@shop.example": 1}
        assert status["states"]["quarantined"] == 1
        code, text, _ = run("--config", str(cfg), "status")
        assert "robot@shop.example: 1" in text
