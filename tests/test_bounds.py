"""The whole COMMENTS is bounded; when it is cut, the full text goes with the lead as a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.bounds import COMMENTS_MAX_BYTES, bound_comments
from bridge.leads import FULL_TEXT_NAME, LeadSettings, build_lead
from bridge.model import ParsedForm
from tests.e2e import run, sandbox, write_config
from tests.servers.dovecot import ImapAccount

HUGE = "Характеристики изделия & размеры; " * 300_000  # ~10 MB of UTF-8 in one field


def _form(**kw: object) -> ParsedForm:
    base: dict[str, object] = {"message_id": "<x@y>", "subject": "s", "sender": None,
                               "date": None, "is_form": True, "create_lead": True,
                               "name": "Иван", "phone": "+79123456789",
                               "message": "Нужна арматура"}
    base.update(kw)
    return ParsedForm(**base)


def test_a_huge_labelled_field_is_cut_and_attached_whole() -> None:
    """A 10 MB value in a labelled field: COMMENTS stays bounded, the full text is a .txt file."""
    lead = build_lead(_form(extra=(("Комментарий", HUGE),)), LeadSettings(), "o1")
    comments = lead.fields["COMMENTS"]
    assert isinstance(comments, str)
    assert len(comments.encode("utf-8")) <= COMMENTS_MAX_BYTES
    assert comments.startswith("Нужна арматура")
    assert FULL_TEXT_NAME in comments.splitlines()[-1]
    full = [f for f in lead.files if f.filename == FULL_TEXT_NAME]
    assert len(full) == 1
    text = full[0].data.decode("utf-8")
    assert "Нужна арматура" in text and f"Комментарий: {HUGE}" in text


def test_short_comments_are_untouched() -> None:
    """An ordinary enquiry has no cut and no extra file."""
    lead = build_lead(_form(extra=(("Город", "Пермь"),)), LeadSettings(), "o2")
    assert "Город: Пермь" in str(lead.fields["COMMENTS"])
    assert not lead.files


@pytest.mark.parametrize("limit", [50, 51, 52, 53, 54, 55, 56, 57, 58, 200])
def test_cut_never_splits_an_entity_or_a_letter(limit: int) -> None:
    """The cut lands outside HTML entities and whole UTF-8 letters, within the byte budget."""
    text = "ЖЖЖ &amp; &lt;b&gt; " * 40
    cut, was_cut = bound_comments(text, "message.txt", max_bytes=limit + 60)
    assert was_cut and len(cut.encode("utf-8")) <= limit + 60
    head = cut.split("\n(…", 1)[0]
    assert head.count("&") == head.count(";")


def test_huge_field_through_dovecot_makes_a_bounded_lead_with_the_full_text(
    account: ImapAccount, tmp_path: Path
) -> None:
    """Through real Dovecot and the sandbox: COMMENTS fits the column; message.txt is whole."""
    value = "Прошу рассчитать стоимость. " * 40_000  # ~1.9 MB in a labelled field
    body = (f"Имя: Иван Петров\nТелефон: +7 912 345-67-89\nСообщение: Нужна арматура\n"
            f"Комментарий к заказу: {value}\n")
    raw = (
        b"From: noreply@rostferrum.ru\r\nTo: zayavki@rostferrum.ru\r\n"
        b"Subject: Form\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        b"Message-ID: <huge1@rostferrum.ru>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ) + body.encode()
    account.deliver(raw)
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        lead = sb.portal.lead(int(leads[0]["ID"]))
        assert len(lead["COMMENTS"].encode("utf-8")) <= 65_535
        assert lead["NAME"] == "Иван Петров"
        files = dict(sb.portal.lead_files(int(leads[0]["ID"])))
        assert value.strip() in files[FULL_TEXT_NAME].decode("utf-8")
