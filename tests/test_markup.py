"""Client markup (BB code, HTML) never renders in the CRM, and text reads cleanly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from bridge.dirsource import DirMailbox
from bridge.leads import LeadSettings, build_lead, double_click_comment, files_comment
from bridge.markup import ZWSP, comments_text, plain_text
from bridge.model import ParsedForm
from bridge.pipeline import Pipeline, Settings
from bridge.sandbox import SandboxServer
from bridge.store import Ledger
from tests.bitrix_fixtures import make_client

URL = "[URL=https://phish.example/login]Ваш аккаунт заблокирован[/URL]"
IMG = "[IMG]https://evil.example/x.png[/IMG]"
USER = "[USER=1]Администратор[/USER]"
HTML = '<a href="https://phish.example">вход</a><script>x()</script>'
# A BB or HTML tag as the portal's parsers would see one (an opener right after "[" or "<").
LIVE_TAG = re.compile(r"\[/?\s*(url|img|user|b|i|u|s|list|quote|code)\b|<\s*/?\s*(a|script|b)\b",
                      re.I)


def test_plain_text_breaks_every_tag_opener() -> None:
    """TITLE/NAME text: BB and HTML openers get a zero-width space; other text is unchanged."""
    for hostile in (URL, IMG, USER, HTML, "[ url=x]", "[/URL]", "[*]"):
        out = plain_text(hostile)
        assert not LIVE_TAG.search(out), out
        assert out.replace(ZWSP, "") == hostile
    assert plain_text("Цена [1] < 2 & R&D") == "Цена [1] < 2 & R&D"


def test_comments_text_is_escaped_once_and_brackets_are_entities() -> None:
    """COMMENTS: & < > escaped exactly once, [ ] as &#91; &#93; (the only literal form BB code
    has), line breaks kept as they are."""
    out = comments_text(f"R&D\n{URL}\n{HTML}")
    assert "R&amp;D\n" in out and "&amp;amp;" not in out
    assert "[" not in out and "]" not in out and "<" not in out
    assert "&#91;URL=https://phish.example/login&#93;" in out
    assert out.count("\n") == 2


def test_a_hostile_form_becomes_an_inert_lead() -> None:
    """BB code and HTML in name, message and extra fields are inert in TITLE, NAME, COMMENTS."""
    parsed = ParsedForm(message_id=None, subject=URL, sender=None, date=None, is_form=True,
                        create_lead=True, name=f"{USER}Иван",
                        phone="+79120000001", message=f"{URL}\n{IMG}\n{HTML}\nR&D",
                        extra=(("Компания", "[B]ООО[/B] Ромашка"),))
    lead = build_lead(parsed, LeadSettings(), "o1")
    for key in ("TITLE", "NAME", "COMMENTS"):
        assert not LIVE_TAG.search(str(lead.fields[key])), key
    assert "R&amp;D" in lead.fields["COMMENTS"] and "&amp;amp;" not in lead.fields["COMMENTS"]
    assert "\n" in lead.fields["COMMENTS"]  # line breaks kept


def test_the_bridges_own_comments_never_embed_client_text() -> None:
    """The double-click comment leaves the subject out; the files comment breaks tags in file
    names and escapes nothing (no literal &amp;)."""
    text = double_click_comment("o1", URL, "2026-11-30T09:00+00:00")
    assert "phish" not in text and not LIVE_TAG.search(text)
    text = files_comment("o1", ["[URL=https://phish.example]счёт[/URL].pdf", "A&B.pdf"])
    assert not LIVE_TAG.search(text) and "A&B.pdf" in text and "&amp;" not in text
    assert "mailbridge:files o1" in text


def hostile_mail(minute: int) -> bytes:
    msg = EmailMessage()
    msg["Date"] = format_datetime(datetime(2026, 11, 30, 9, minute, tzinfo=UTC))
    msg["From"] = "РостФеррум <noreply@rostferrum.ru>"
    msg["To"] = "zayavki@rostferrum.ru"
    msg["Subject"] = URL
    msg.set_content(f"Имя: {USER}Иван\nТелефон: +7 912 000-00-01\nE-mail: ivan@example.ru\n"
                    f"Сообщение: {URL} {IMG} {HTML} R&D\n")
    return msg.as_bytes()


def test_hostile_mail_through_the_pipeline_lands_inert(tmp_path: Path,
                                                       sandbox: SandboxServer) -> None:
    """Through the real pipeline and sandbox: the lead and the double-click comment carry no
    live tag and no phishing link from the Subject."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "001.eml").write_bytes(hostile_mail(0))
    (inbox / "002.eml").write_bytes(hostile_mail(1))  # a double click
    pipe = Pipeline(Settings(since_days=36500, dedupe_window=timedelta(minutes=10)),
                    Ledger.open(tmp_path / "b.db"), make_client(sandbox), lambda: DirMailbox(inbox))
    report = pipe.poll_once()
    assert (report.created, report.duplicates) == (1, 1)
    [lead] = sandbox.portal.list_leads()
    for key in ("TITLE", "NAME", "COMMENTS"):
        assert not LIVE_TAG.search(str(lead[key])), (key, lead[key])
    [comment] = sandbox.portal.comments.values()
    assert "phish" not in comment["COMMENT"] and not LIVE_TAG.search(comment["COMMENT"])


def test_what_the_card_shows_is_clean_text_without_live_links(sandbox: SandboxServer) -> None:
    """Through the portal's own normalising (modelled in the sandbox): the manager reads the
    client's text as written (R&D, quotes, brackets, line breaks), and no link renders."""
    from bridge.sandbox.render import displayed, normalize_comment

    client = make_client(sandbox)
    text = f'Нужен "А500С" R&D\n{URL}\n{IMG} [1] a < b'
    parsed = ParsedForm(message_id=None, subject="", sender=None, date=None, is_form=True,
                        create_lead=True, name="Иван", phone="+79120000001", message=text)
    lead_id = client.add_lead(build_lead(parsed, LeadSettings(), "o1").fields)
    shown, live = sandbox.portal.displayed_comments(lead_id)
    assert shown == text and live == []
    # the same text unescaped would render the client's link and image
    assert displayed(normalize_comment(text))[1] == ["https://phish.example/login",
                                                     "https://evil.example/x.png"]
