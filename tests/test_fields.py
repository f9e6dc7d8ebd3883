"""Field extraction: the JSON report and the rules found on real mail since (quizzes, question
lines, input masks, template tags, owner wordings, joined fields).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bridge.model import ParseOptions
from bridge.parsing.htmltext import table_pairs
from bridge.parsing.labels import label_kind
from bridge.parsing.report import to_json
from tests.helpers.fieldmail import CF7_FORM, SPAM, parse_form

# --------------------------------------------------------------------- report


def test_report_keys() -> None:
    """to_json gives exactly the SPEC §5 keys, plus the optional ones only when they apply."""
    p = parse_form(CF7_FORM)
    out = to_json(p)
    assert set(out) == {"is_form", "create_lead", "name", "phone", "email", "message", "extra",
                        "attachments", "rejected_attachments"}
    dup = to_json(p, duplicate_of="052-double-click-first")
    assert (dup["create_lead"], dup["duplicate_of"], dup["reason"]) == (
        False, "052-double-click-first", "double click")
    spam = to_json(parse_form(SPAM))
    assert (spam["spam"], spam["reason"]) == (True, "spam")
    ext = to_json(replace(p, phone_extension="5", other_phones=("+73431234567",)))
    assert (ext["phone_extension"], ext["other_phones"]) == ("5", ["+73431234567"])


def test_quiz_section_heading_is_split_into_questions() -> None:
    """A heading over numbered 'question / answer' paragraphs gives one field per question."""
    body = ("Ответы на вопросы:\n\n1. Какой металл нужен?\nЛист\n\n2. Какой объём?\n5 т\n\n"
            "Контакты:\n\nИмя: Руслан\nТелефон: 89175556677\n")
    p = parse_form(body)
    assert dict(p.extra) == {"Какой металл нужен?": "Лист", "Какой объём?": "5 т"}
    assert (p.name, p.phone) == ("Руслан", "+79175556677")


def test_block_of_plain_paragraphs_stays_one_value() -> None:
    """A heading whose paragraphs are not questions keeps its whole block."""
    p = parse_form("Имя: Ира\nТелефон: 89175556677\nАдрес:\n\nул. Мира, 5\nкв. 3\n\nподъезд 2\n")
    assert dict(p.extra)["Адрес"] == "ул. Мира, 5\nкв. 3\n\nподъезд 2"


@pytest.mark.parametrize(("label", "kind"), [
    ("Сот. телефон", "phone"),
    ("Добрый день! Телефон 8 912 606 70 81.", "extra"),
    ("Здравствуйте. Мой телефон", "extra"),
])
def test_sentence_with_a_label_word_is_no_label(label: str, kind: str) -> None:
    """Abbreviated labels stay known; a sentence or a number that mentions one is no label."""
    assert label_kind(label) == kind


def test_letter_first_line_mentioning_a_phone_is_not_a_form() -> None:
    """A two-line letter whose first sentence names a phone is quarantined, not a form."""
    p = parse_form("Добрый день! Телефон 8 912 606 70 81.\nНужна такая же решётка.\n",
                   frm="Кирилл Волков <k.volkov@mail.ru>", subject="Решётка")
    assert (p.is_form, p.quarantine) == (False, True)


def test_question_and_answer_lines() -> None:
    """'Вопрос: X' then 'Ответ: Y' is the field X: Y (quiz mails in plain text)."""
    p = parse_form("Вопрос: Какой профиль нужен?\nОтвет: Труба 80х80\n\n"
                   "Вопрос: Сколько?\nОтвет: 300\n"
                   "\nИмя: Глеб\nТелефон: 89125055050\n")
    assert dict(p.extra) == {"Какой профиль нужен?": "Труба 80х80", "Сколько?": "300"}
    assert p.message is None
    p = parse_form("Имя: Глеб\nТелефон: 89125055050\nВопрос: Есть ли лист 3 мм?\n")
    assert p.message == "Есть ли лист 3 мм?"


def test_unfilled_input_mask_is_empty() -> None:
    """A phone mask left unfilled ('+7 (___) ___-__-__') is no value, not an extra field."""
    p = parse_form("Имя: Ксения\nТелефон: +7 (___) ___-__-__\nE-mail: ksu@ya.ru\n")
    assert (p.phone, p.email, p.extra) == (None, "ksu@ya.ru", ())


def test_platform_view_link_is_a_footer() -> None:
    """'View this submission in your … dashboard: URL' is the platform's, not a field."""
    p = parse_form("Message:\nCall me: 8-912-111-22-33.\n\n---\n"
                   "View this submission in your Netlify dashboard: https://app.netlify.com/x\n")
    assert p.extra == () and p.phone == "+79121112233"


@pytest.mark.parametrize("tag", ["[your-phone]", "#PHONE#", "[[+phone]]", "{Phone:value}"])
def test_unreplaced_template_tag_is_empty(tag: str) -> None:
    """A CMS tag left in the mail because the form lacks the field is no value."""
    p = parse_form(f"Имя: Леонид\nТелефон: {tag}\nE-mail: leonid@x.example\n")
    assert (p.phone, p.extra) == (None, ())


def test_joomla_enquiry_layout() -> None:
    """Joomla com_contact: intro line, 'Name <address>' line, blank line, enquiry text."""
    p = parse_form("This is an enquiry e-mail via https://x.example/ from:\n"
                   "Ann Lee <ann@lee.example>\n\nNeed 5 t of rebar.\nPhone 8 912 100 20 30.\n")
    assert (p.name, p.email, p.phone) == ("Ann Lee", "ann@lee.example", "+79121002030")
    assert p.message == "Need 5 t of rebar.\nPhone 8 912 100 20 30."


def test_client_label_above_a_rule_is_a_heading() -> None:
    """DLE: 'Текст сообщения' over a dashed rule takes the text under the rule."""
    p = parse_form("Имя отправителя: Пётр\n-----------\nТекст сообщения\n-----------\n\n"
                   "Нужен лист 2 мм.\n")
    assert (p.name, p.message) == ("Пётр", "Нужен лист 2 мм.")


def test_ip_labels_are_metadata() -> None:
    """'IP отправителя' and 'IP адрес отправителя' are the platform's, not extra fields."""
    assert label_kind("IP отправителя") == "meta"
    assert label_kind("IP адрес отправителя:") == "meta"


def test_one_word_name_beside_surname_is_the_first_name() -> None:
    """'Имя: Лев' + 'Фамилия: Гусев' is 'Лев Гусев'; a full name field is kept as it is."""
    assert parse_form("Имя: Лев\nФамилия: Гусев\nТелефон: 89125551215\n").name == "Лев Гусев"
    assert parse_form("Фамилия: Гусев\nИмя: Лев\nТелефон: 89125551215\n").name == "Гусев Лев"
    assert parse_form("Имя: Лев Гусев\nФамилия: Гусев\nТелефон: 89125551215\n").name == "Лев Гусев"


def test_order_billing_address_block() -> None:
    """A shop order's 'Billing address' block gives name, phone and e-mail; the rest is extra."""
    p = parse_form("Order #12\n\nNote: Call first\n\nBilling address\nIvan Ivanov\nul. Lenina 1\n"
                   "+79125551230\nivan@x.example\n")
    assert (p.name, p.phone, p.email) == ("Ivan Ivanov", "+79125551230", "ivan@x.example")
    assert dict(p.extra).get("Billing address") == "ul. Lenina 1"


def test_delivery_address_field_without_contacts_is_not_a_block() -> None:
    """A form's own 'Адрес доставки' field (no phone/e-mail under it) stays an extra field."""
    p = parse_form("Имя: Олег\nТелефон: 89125551231\n\nАдрес доставки\nг. Курган, ул. Мира 5\n")
    assert p.name == "Олег" and dict(p.extra).get("Адрес доставки") == "г. Курган, ул. Мира 5"


def test_platform_signature_ends_the_message_but_a_client_signature_stays() -> None:
    """'Regards,' + 'Zoho Forms' is the template's; the client's own sign-off is their text."""
    p = parse_form("Name : Lucas\nPhone : +33 6 12 34 56 78\nMessage : Price?\n\n"
                   "Regards,\nZoho Forms\n")
    assert p.message == "Price?"
    p = parse_form("Имя: Иван\nТелефон: 89125551232\nСообщение: Нужен счёт.\n\n"
                   "С уважением,\nИван Петров\n")
    assert p.message == "Нужен счёт.\n\nС уважением,\nИван Петров"


@pytest.mark.parametrize("label", ["📞 Телефон", "✉️ Email", "► Имя", "What’s your name?"])
def test_decorated_and_question_labels(label: str) -> None:
    """Emoji or a symbol before a label, and a survey's name question, keep their meaning."""
    assert label_kind(label) in ("phone", "email", "name")


@pytest.mark.parametrize(("label", "kind"), [
    ("Контактный номер", "phone"), ("Тел./факс", "phone"), ("Моб. тел.", "phone"),
    ("Contact Number", "phone"), ("Mobile No.", "phone"), ("Электронный адрес", "email"),
    ("Почта для ответа", "email"), ("Е-mail", "email"), ("Представьтесь, пожалуйста", "name"),
    ("Контактное лицо (ФИО)", "name"), ("Текст заявки", "message"), ("Опишите задачу", "message"),
    ("Project details", "message"), ("Удобное время для звонка", "extra"), ("Заявка", "extra"),
    ("Почтовый адрес", "extra"),
])
def test_site_owner_wordings(label: str, kind: str) -> None:
    """Labels typed by site owners keep the meaning a person reads in them."""
    assert label_kind(label) == kind


def test_separator_cell_between_label_and_value() -> None:
    """'Имя | : | Иван' rows read as Имя: Иван; a '-' value cell in a two-cell row stays."""
    html = ("<table><tr><td>Имя</td><td>:</td><td>Иван</td></tr>"
            "<tr><td>E-mail</td><td>-</td></tr><tr><td>Телефон</td><td>89125551272</td></tr>"
            "</table>")
    assert table_pairs(html) == [("Имя", "Иван"), ("E-mail", "-"), ("Телефон", "89125551272")]


def test_intro_line_over_the_whole_block_is_no_field() -> None:
    """'You have a new website form submission:' over the list is not an extra field."""
    p = parse_form("You have a new website form submission: <br/> <ol><li><b>Имя</b><br/>Тимур</li>"
                   "<li><b>Телефон</b><br/>8 917 555 12 02</li><li><b>Email</b><br/>t@bk.ru</li>"
                   "</ol>", html=True)
    assert (p.name, p.phone, p.extra) == ("Тимур", "+79175551202", ())


def test_fields_without_labels_read_by_shape() -> None:
    """A placeholder-only form's bare values: name, phone, e-mail and the message by shape."""
    p = parse_form("Марина Котова\n+7 912 555-13-10\nm.k@mail.ru\nНужен лист 2 мм.\n\n---\n"
                   "Дата: 16.11.2026\n")
    assert (p.name, p.phone, p.email, p.message) == (
        "Марина Котова", "+79125551310", "m.k@mail.ru", "Нужен лист 2 мм.")


def test_signed_letter_is_not_read_as_bare_values() -> None:
    """A letter with a sign-off keeps its signature out of the shape reader."""
    from bridge.parsing.fields import bare_pairs
    text = "Добрый день!\nПришлите прайс.\n+7 912 555 13 12\n\nС уважением,\nИван\n"
    assert bare_pairs(text, ParseOptions()) == []
    assert bare_pairs("Имя\nИван\nТелефон\n89125551312\n", ParseOptions()) == []


def test_joined_fields_are_split_but_a_message_with_semicolons_is_not() -> None:
    """'Имя: X | Телефон: Y' splits into fields; a message with ';' and ':' stays whole."""
    p = parse_form("Имя: Глеб | Телефон: 89125551324 | Объём: 5 т\n")
    assert (p.name, p.phone, dict(p.extra)) == ("Глеб", "+79125551324", {"Объём": "5 т"})
    p = parse_form("Имя: Глеб\nТелефон: 89125551324\nСообщение: Нужно: арматура; уголок: 5 т\n")
    assert p.message == "Нужно: арматура; уголок: 5 т"
