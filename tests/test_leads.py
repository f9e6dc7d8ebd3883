"""The lead mapping of SPEC §3 and the message identity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bridge.dedupe import find_first, is_double_click
from bridge.identity import ORIGINATOR_ID, message_id_of, message_identity, origin_id
from bridge.leads import (
    FULL_TEXT_NAME,
    MESSAGE_MAX,
    NAME_MAX,
    LeadSettings,
    build_lead,
    render_title,
)
from bridge.model import Attachment, ParsedForm, RejectedAttachment


def form(**kw: object) -> ParsedForm:
    base: dict[str, object] = dict(
        message_id="<a@b>", subject="s", sender="noreply@site.example", date=None,
        is_form=True, create_lead=True,
    )
    base.update(kw)
    return ParsedForm(**base)


def test_lead_has_every_spec_field() -> None:
    """Name, phones, e-mail, source, responsible user and the origin pair are all set."""
    parsed = form(
        name="Иван Петров", phone="+79123456789", other_phones=("+74951234567",),
        email="ivan@example.ru", message="Нужна арматура",
        extra=(("Компания", "ООО Ромашка"), ("utm_source", "yandex")),
    )
    settings = LeadSettings(source_description="Сайт", responsible_user_id=7)
    lead = build_lead(parsed, settings, "mb-1")
    f = lead.fields
    assert f["TITLE"] == "Заявка с сайта - Иван Петров"
    assert f["NAME"] == "Иван Петров"
    assert f["PHONE"] == [
        {"VALUE": "+79123456789", "VALUE_TYPE": "WORK"},
        {"VALUE": "+74951234567", "VALUE_TYPE": "WORK"},
    ]
    assert f["EMAIL"] == [{"VALUE": "ivan@example.ru", "VALUE_TYPE": "WORK"}]
    assert f["SOURCE_ID"] == "WEB" and f["SOURCE_DESCRIPTION"] == "Сайт"
    assert f["ASSIGNED_BY_ID"] == 7
    assert f["ORIGINATOR_ID"] == ORIGINATOR_ID and f["ORIGIN_ID"] == "mb-1"
    assert f["UTM_SOURCE"] == "yandex"
    assert f["COMMENTS"].startswith("Нужна арматура\n\n")
    assert "Компания: ООО Ромашка" in f["COMMENTS"]


def test_title_falls_back_to_phone_then_email() -> None:
    """Without a name the title names the phone, then the e-mail."""
    assert render_title("Lead {name}", form(phone="+79990001122")) == "Lead +79990001122"
    assert render_title("Lead {name}", form(email="a@b.ru")) == "Lead a@b.ru"


def test_comments_escape_markup_and_name_rejected_files() -> None:
    """COMMENTS is plain text with <, >, & escaped, and lists the files not attached."""
    parsed = form(
        message="<script>x</script> & co",
        rejected_attachments=(RejectedAttachment("setup.exe", "type"),),
        phone_extension="123",
    )
    comments = build_lead(parsed, LeadSettings(), "mb-2").fields["COMMENTS"]
    assert "&lt;script&gt;x&lt;/script&gt; &amp; co" in comments
    assert "setup.exe" in comments
    assert "123" in comments
    assert "<" not in comments


def test_long_name_goes_whole_into_comments() -> None:
    """A name longer than the NAME column is cut there and kept whole in COMMENTS."""
    name = "Очень " * 20 + "Длинное Имя"
    lead = build_lead(form(name=name), LeadSettings(), "mb-3")
    assert len(lead.fields["NAME"]) == NAME_MAX
    assert " ".join(name.split()) in " ".join(lead.fields["COMMENTS"].split())


def test_long_message_is_cut_and_attached_whole() -> None:
    """A message too long for a comment is cut and attached as a .txt file."""
    text = "x" * (MESSAGE_MAX + 100)
    lead = build_lead(form(message=text), LeadSettings(), "mb-4")
    assert len(lead.fields["COMMENTS"]) < len(text)
    assert lead.files[-1].filename == FULL_TEXT_NAME
    assert lead.files[-1].data == text.encode()


def test_invalid_email_goes_to_comments() -> None:
    """An address the portal would reject is not sent as EMAIL but named in COMMENTS."""
    lead = build_lead(form(email="ivan@@mail", name="Иван"), LeadSettings(), "mb-5")
    assert "EMAIL" not in lead.fields
    assert "ivan@@mail" in lead.fields["COMMENTS"]


def test_configured_lead_fields_are_set() -> None:
    """Form labels mapped in config land in their lead fields."""
    lead = build_lead(form(lead_fields=(("COMPANY_TITLE", "ООО Ромашка"),)), LeadSettings(), "m")
    assert lead.fields["COMPANY_TITLE"] == "ООО Ромашка"


def test_files_ride_along_unchanged() -> None:
    """Accepted attachments are passed on with their exact bytes and names."""
    a = Attachment("Счёт.pdf", "application/pdf", b"%PDF-1.4 data")
    lead = build_lead(form(attachments=(a,)), LeadSettings(), "mb-6")
    assert lead.files == (a,)


RAW = (
    b"Received: from a by b; Mon, 1 Jan 2026 10:00:00 +0000\r\n"
    b"Message-ID: <x1@site>\r\nFrom: site <noreply@site.example>\r\n"
    b"Subject: Form\r\nDate: Mon, 1 Jan 2026 10:00:00 +0000\r\n\r\nName: Ivan\r\n"
)


def test_identity_ignores_trace_headers_and_line_endings() -> None:
    """The same message delivered twice (other Received, LF endings) keeps its identity."""
    again = RAW.replace(b"Received: from a by b", b"Received: from c by d").replace(b"\r\n", b"\n")
    assert message_identity(RAW) == message_identity(again)
    assert message_id_of(RAW) == "<x1@site>"


def test_identity_differs_for_same_message_id_other_content() -> None:
    """Two different messages sharing a Message-ID get different identities and origins."""
    other = RAW.replace(b"Name: Ivan", b"Name: Petr")
    assert message_identity(RAW) != message_identity(other)
    assert origin_id(message_identity(RAW)) != origin_id(message_identity(other))


def test_double_click_rule() -> None:
    """Same client and content within the window is a double click; outside it is not."""
    a = form(phone="+79123456789", message="Нужен уголок")
    b = form(phone="+79123456789", message="Нужен  уголок ")
    t = datetime(2026, 1, 1, tzinfo=UTC)
    w = timedelta(minutes=10)
    assert is_double_click(b, t + timedelta(seconds=3), a, t, w)
    assert not is_double_click(b, t + timedelta(minutes=11), a, t, w)
    assert not is_double_click(form(phone="+79000000000", message="Нужен уголок"), t, a, t, w)
    assert not is_double_click(form(phone="+79123456789", message="Другое"), t, a, t, w)
    assert find_first(b, t, [("first", a, t)], w) == "first"
