"""Classification: bounces, auto-replies, bulk mail, CMS notices, empty forms, spam, letters, and
input that must never break the parser.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import ParseError
from bridge.model import ParsedForm, ParseOptions
from bridge.parsing import parse_doc, parse_message
from tests.helpers.fieldmail import CF7_FORM, SPAM, mail_doc, parse_form

# --------------------------------------------------------------------- classification


@pytest.mark.parametrize("kind", ["bounce", "auto-reply"])
def test_bounce_and_auto_reply_are_not_forms(kind: str) -> None:
    """Bounces and auto-replies are not forms, whatever form text they carry."""
    p = parse_doc(mail_doc(CF7_FORM, auto_kind=kind))
    assert (p.is_form, p.create_lead, p.reason, p.phone) == (False, False, kind, None)


def test_bulk_mail_is_not_a_lead() -> None:
    """A newsletter with contact lines in its footer is bulk mail, not a lead."""
    body = ("Скидки на арматуру!\n\nТелефон: +7 (343) 000-11-22\nE-mail: sales@supplier.example\n"
            "Адрес: Екатеринбург\n")
    p = parse_form(body, frm="Поставщик <news@supplier.example>", subject="Скидки недели",
                   headers="List-Unsubscribe: <mailto:u@supplier.example>\r\nPrecedence: bulk\r\n")
    assert (p.is_form, p.create_lead, p.reason) == (False, False, "bulk mail")


def test_bulk_header_on_a_plain_form_notification() -> None:
    """A form notification sent through a bulk relay is still a lead."""
    p = parse_doc(mail_doc(CF7_FORM, auto_kind="bulk mail"))
    assert p.create_lead and p.name == "Иван Петров"
    p = parse_doc(mail_doc("Phone: +7 (912) 345-67-89\n", auto_kind="bulk mail",
                           subject="Заявка на обратный звонок"))
    assert p.create_lead and p.phone == "+79123456789"


@pytest.mark.parametrize(
    ("subject", "body", "headers"),
    [
        ("[РостФеррум] Некоторые плагины были автоматически обновлены",
         "Некоторые плагины на вашем сайте https://rostferrum.ru были автоматически обновлены."
         " Никаких действий от вас не требуется.", ""),
        ("[RostFerrum] Password Reset",
         "Someone has requested a password reset for the following account:\n\nUsername: admin",
         ""),
        ("[РостФеррум] Регистрация нового пользователя",
         "Новый пользователь зарегистрировался на вашем сайте:\n\nИмя пользователя: ivan\n"
         "Email: ivan@mail.ru", ""),
        ("[РостФеррум] Мало на складе", "Товар Арматура А500С заканчивается на складе.", ""),
        ("РостФеррум: Запрос на смену пароля",
         "Логин: ivan\nE-mail: ivan@mail.ru\nКонтрольная строка: 123",
         "X-EVENT_NAME: USER_PASS_REQUEST\r\n"),
        ("[RostFerrum] Please moderate: \"Steel\"",
         "A new comment on the post \"Steel\" is waiting for your approval\n"
         "https://rostferrum.ru/?p=1\n\nAuthor: Bob (IP address: 192.0.2.1, host)\n"
         "Email: bob@x.example\nURL:\nComment: Great post, call me 8 912 345 67 89\n\n"
         "Approve it: https://rostferrum.ru/wp-admin/comment.php?action=approve&c=1\n"
         "Trash it: https://rostferrum.ru/wp-admin/comment.php?action=trash&c=1\n", ""),
        ("[РостФеррум] Комментарий: \"Арматура\"",
         "Новый комментарий к записи «Арматура»\nАвтор: Иван\nEmail: ivan@mail.ru\n"
         "Комментарий: Сколько стоит?\n", ""),
    ],
)
def test_system_notices(subject: str, body: str, headers: str) -> None:
    """CMS notices from the forms' own sender are not forms (reason 'system notice')."""
    p = parse_form(body, frm="WordPress <wordpress@rostferrum.ru>", subject=subject,
                   headers=headers)
    assert (p.is_form, p.create_lead, p.reason) == (False, False, "system notice")


def test_notice_wording_never_beats_form_fields() -> None:
    """A client's subject that sounds like a notice does not hide a real form."""
    p = parse_form(CF7_FORM, subject='РостФеррум "Сброс пароля от личного кабинета"')
    assert p.create_lead
    p = parse_form(CF7_FORM, subject="[РостФеррум] Заявка: сброс пароля, комментарий: срочно")
    assert p.create_lead


@pytest.mark.parametrize(
    "body",
    ["<p>Была отправлена пустая форма.</p>", "<p>An empty form was submitted.</p>"],
)
def test_wpforms_empty_form(body: str) -> None:
    """WPForms' empty-form notice is a form but not a lead."""
    p = parse_form(body, html=True, subject="Новая запись: Обратная связь")
    assert (p.is_form, p.create_lead, p.reason) == (True, False, "empty form")


def test_empty_form_with_platform_metadata() -> None:
    """Empty client fields plus only the page URL and form name is still an empty form."""
    p = parse_form("Имя: \nТелефон: \nСообщение: \n\n---\n\nДата: 16.11.2026\n"
                   "Адрес страницы: https://rostferrum.ru/\nФорма: Обратный звонок\n")
    assert (p.is_form, p.create_lead, p.reason) == (True, False, "empty form")


def test_words_empty_form_in_a_message_are_a_lead() -> None:
    """A client who writes about an empty form is still a lead."""
    p = parse_form("Имя: Оля\nТелефон: 89123456789\nСообщение: У вас пустая форма на сайте.\n"
                   "Была отправлена пустая форма.\n")
    assert p.create_lead and p.reason is None


def test_all_fields_empty_is_empty_form() -> None:
    """A form whose every field is empty is an empty form."""
    body = ("Имя: \nТелефон: \nE-mail: (пусто)\n\nСообщение:\n\n-- \n"
            "Это сообщение отправлено из контактной формы на сайте РостФеррум\n")
    p = parse_form(body)
    assert (p.is_form, p.create_lead, p.reason) == (True, False, "empty form")


def test_spam_submission() -> None:
    """Many links or BBCode and no valid phone: a spam form, no lead."""
    p = parse_form(SPAM)
    assert (p.is_form, p.create_lead, p.spam, p.reason) == (True, False, True, "spam")
    assert p.name == "CryptoBonus" and p.email == "bonus@promo.example"


def test_links_with_a_valid_phone_are_not_spam() -> None:
    """A client who gives a valid phone is never dropped as spam."""
    p = parse_form(SPAM.replace("+1 000 000 00 00", "8 912 345 67 89"))
    assert p.create_lead and not p.spam


def test_spam_rule_is_configurable() -> None:
    """spam_max_links and spam_words tune the rule."""
    body = "Имя: Оля\nE-mail: o@x.example\nСообщение: см. http://a.example http://b.example\n"
    assert parse_form(body).create_lead
    assert parse_form(body, ParseOptions(spam_max_links=1)).spam
    assert parse_form("Имя: Оля\nE-mail: o@x.example\nСообщение: Casino bonus\n",
                      ParseOptions(spam_words=("casino",))).spam


def test_unrecognised_layout_is_quarantined() -> None:
    """No client field in any known layout: not a form, quarantined for a person."""
    p = parse_form("Добрый день! Высылаем акт сверки за ноябрь.",
                   frm="Бухгалтерия <buh@partner.example>", subject="Акт сверки")
    assert (p.is_form, p.create_lead, p.quarantine, p.reason) == (
        False, False, True, "layout not recognised")


def test_letter_with_signature_is_not_a_form() -> None:
    """A person's letter whose signature has 'Тел.:' and 'E-mail:' lines is not a form."""
    body = ("Добрый день!\nНаправляем акт сверки за ноябрь.\n\nС уважением,\nОльга Иванова\n"
            "Тел.: +7 (343) 000-11-22\nE-mail: o.ivanova@partner.example\n")
    p = parse_form(body, frm="Ольга Иванова <o.ivanova@partner.example>", subject="Акт сверки")
    assert (p.is_form, p.quarantine, p.reason) == (False, True, "layout not recognised")


def test_closing_words_inside_a_form_message() -> None:
    """'С уважением' inside a form's message does not end the form."""
    p = parse_form("Имя: Иван\nСообщение: Нужен лист.\nС уважением, Иван\nКомпания: ООО Лист\n")
    assert p.message == "Нужен лист.\nС уважением, Иван"
    assert dict(p.extra) == {"Компания": "ООО Лист"}


def test_unreadable_bytes_raise_parse_error() -> None:
    """Bytes that are not a message raise ParseError, nothing else."""
    with pytest.raises(ParseError):
        parse_message(b"")


@settings(deadline=None, max_examples=60)
@given(text=st.text(max_size=400), html=st.one_of(st.none(), st.text(max_size=400)))
def test_any_body_parses_without_error(text: str, html: str | None) -> None:
    """Whatever text and HTML the decoder hands over, extraction returns a ParsedForm."""
    p = parse_doc(mail_doc(text, html=html))
    assert isinstance(p, ParsedForm)
    assert p.create_lead is False or p.is_form


@settings(deadline=None, max_examples=40)
@given(st.lists(st.sampled_from([
    "Имя:", "Телефон: ", "E-mail: x@y.example", "Сообщение:", "<br>", "<td>", "</tr>", "<b>",
    "--- Имя ---", "*****", "-- ", "\n", "\n\n", "Вопрос?", "(пусто)", "8 912 345 67 89",
    "<table><tr><td>Имя</td><td>", "</td></tr></table>", "http://a.example", "[url=",
]), max_size=40))
def test_form_like_fragments_never_break(parts: list[str]) -> None:
    """Shuffled form fragments, as text and as HTML, never make extraction fail."""
    body = "".join(parts)
    for p in (parse_doc(mail_doc(body)), parse_doc(mail_doc(None, html=body))):
        assert isinstance(p, ParsedForm)
        assert p.create_lead is False or p.is_form  # a lead only ever comes from a form
