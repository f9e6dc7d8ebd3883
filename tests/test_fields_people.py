"""Labels and the client's name, e-mail and phone: synonyms, configured labels, From/Reply-To rules.
"""

from __future__ import annotations

import pytest

from bridge.model import ParseOptions
from bridge.parsing.fields import lines_pairs
from bridge.parsing.labels import label_kind, normalize_label
from bridge.parsing.report import to_json
from tests.helpers.fieldmail import FORM_INNER, parse_form

# --------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("ВАШ ТЕЛЕФОН*:", "phone"), ("Ф.И.О.", "name"), ("Как к вам обращаться?", "name"),
        ("Эл. почта", "email"), ("_replyto", "email"), ("your-name", "name"),
        ("Текст сообщения", "message"), ("Message Body", "message"), ("Enquiry", "message"),
        ("Номер телефона для связи", "phone"), ("E-mail автора", "email"),
        ("First Name", "first_name"), ("Фамилия", "last_name"), ("Отчество", "middle_name"),
        ("Remote IP", "meta"), ("Агент пользователя", "meta"), ("Компания", "extra"),
        ("Имя пользователя", "extra"), ("Your Name (required)", "name"),
        ("Телефон (обязательно)", "phone"), ("Form Name", "extra"), ("Company name", "extra"),
    ],
)
def test_label_synonyms(label: str, kind: str) -> None:
    """Built-in synonyms match case-insensitively, with a trailing ':' or '*' ignored."""
    assert label_kind(label) == kind


def test_normalize_label() -> None:
    """Decoration and case do not matter; ё is е."""
    assert normalize_label("  Ваш  ТЕЛЕФОН * : ") == "ваш телефон"
    assert normalize_label("Объём") == "объем"


def test_configured_synonym() -> None:
    """options.label_synonyms teaches a site's own label."""
    options = ParseOptions(label_synonyms=(("phone", ("Куда перезвонить",)),))
    p = parse_form("Имя: Оля\nКуда перезвонить: 89123456789\n", options)
    assert p.phone == "+79123456789" and p.extra == ()


def test_configured_lead_field() -> None:
    """options.label_fields sends a label to a lead field and still keeps it in extra."""
    options = ParseOptions(label_fields=(("Компания", "COMPANY_TITLE"), ("ИНН", "UF_CRM_INN")))
    p = parse_form("Имя: Оля\nТелефон: 89123456789\nКомпания: ООО «Сталь»\nИНН: 6671000000\n",
                   options)
    assert dict(p.lead_fields) == {"COMPANY_TITLE": "ООО «Сталь»", "UF_CRM_INN": "6671000000"}
    assert dict(p.extra)["Компания"] == "ООО «Сталь»"


def test_name_parts_joined_in_printed_order() -> None:
    """First Name + Last Name (and Фамилия/Имя/Отчество) join as printed."""
    assert parse_form("First Name: Elena\nLast Name: Sokolova\nPhone: 89123456789\n").name == \
        "Elena Sokolova"
    p = parse_form("Фамилия: Иванов\nИмя (имя): Иван\nОтчество: Иванович\nТелефон: 89123456789\n")
    assert p.name == "Иванов Иван Иванович"


def test_lines_reader_ignores_colon_lines() -> None:
    """The label-line reader never takes a 'Label: value' line for a bare label."""
    assert lines_pairs("Имя: Ирина\nТелефон: 89123456789\n", ParseOptions()) == []


# --------------------------------------------------------------------- name and e-mail rules


def test_name_from_client_from_header() -> None:
    """No name field and From is the client: the display name is the name, From the e-mail."""
    p = parse_form("Телефон: 89123456789\nСообщение: Профнастил С8.\n",
                   frm="Иван Смирнов <ivan.smirnov@mail.ru>")
    assert (p.name, p.email) == ("Иван Смирнов", "ivan.smirnov@mail.ru")


def test_site_from_on_another_domain_is_not_the_client() -> None:
    """A site sending from its own domain (not the mailbox's) is told by its links or name."""
    p = parse_form("Телефон: 89123456789\nСообщение: Лист\nСтраница: https://www.rostferrum-site.ru/a/\n",
                   frm="Заявки <zakaz@rostferrum-site.ru>")
    assert (p.name, p.email) == (None, None)
    p = parse_form("Телефон: 89123456789\nСообщение: Лист\n\nОтправлено с сайта РостФеррум\n",
                   frm="РостФеррум <zakaz@rostferrum-site.ru>")
    assert (p.name, p.email) == (None, None)
    p = parse_form("Телефон: 89123456789\nСообщение: Лист\n", frm="Сайт <zakaz@rostferrum-site.ru>",
                   reply_to="ivan@mail.ru")
    assert (p.name, p.email) == (None, "ivan@mail.ru")


def test_client_from_who_signs_the_message() -> None:
    """A client From whose one-word name also signs the message stays the client."""
    p = parse_form("Телефон: 89123456789\nСообщение: Нужен лист. Иван\n", frm="Иван <ivan@mail.ru>")
    assert (p.name, p.email) == ("Иван", "ivan@mail.ru")


def test_robot_from_is_never_a_name() -> None:
    """A robot or site From gives neither a name nor an e-mail."""
    for frm in ("WordPress <wordpress@rostferrum.ru>", "РостФеррум <info@rostferrum.ru>",
                "Tilda <noreply@tilda.ws>"):
        p = parse_form("Телефон: 89123456789\nСообщение: Нужен лист.\n", frm=frm)
        assert (p.name, p.email) == (None, None), frm


def test_opencart_name_in_from() -> None:
    """OpenCart: the customer's name is the From display name on the shop's address."""
    p = parse_form("Сколько стоит лист 3 мм?\nМожно забрать сегодня?",
                   frm="Петров Сергей <shop@rostferrum.ru>", reply_to="s.petrov@inbox.ru",
                   subject="Enquiry Петров Сергей", headers="X-Mailer: PHP/7.4.33\r\n")
    assert (p.name, p.email, p.create_lead) == ("Петров Сергей", "s.petrov@inbox.ru", True)
    assert p.message == "Сколько стоит лист 3 мм?\nМожно забрать сегодня?"


def test_client_name_in_site_from_keeps_name_field() -> None:
    """A script that puts the client's name on the site's From still gives the name field."""
    p = parse_form("Имя: Пётр Сидоров\nТелефон: 89123456789\n",
                   frm="Пётр Сидоров <noreply@rostferrum.ru>")
    assert (p.name, p.email) == ("Пётр Сидоров", None)


def test_reply_to_robot_ignored_body_email_used() -> None:
    """A robot Reply-To is skipped; the body's e-mail field is the client's."""
    p = parse_form("Имя: Оля\nE-mail: olya@mail.ru\nТелефон: 89123456789\n",
                   reply_to="noreply@rostferrum.ru")
    assert p.email == "olya@mail.ru"


def test_invalid_email_goes_apart() -> None:
    """An address the portal would reject is kept as invalid_email, not as email."""
    p = parse_form("Имя: Ирина\nТелефон: 89123456789\nE-mail: irina@mail\n")
    assert (p.email, p.invalid_email) == (None, "irina@mail")
    assert to_json(p)["invalid_email"] == "irina@mail"


def test_email_typed_into_phone_field() -> None:
    """An e-mail in the phone field is used as the e-mail; there is no phone."""
    p = parse_form("Имя: Ирина\nТелефон: irina@mail.ru\nСообщение: Пишите на почту\n")
    assert (p.phone, p.email) == (None, "irina@mail.ru")


def test_address_typed_into_name_field() -> None:
    """An e-mail address in the name field is no name, but it is the e-mail."""
    p = parse_form("Имя: olga@mail.ru\nТелефон: 89123456789\n")
    assert (p.name, p.email) == (None, "olga@mail.ru")


def test_mail_ru_forward_header() -> None:
    """Mail.ru's 'От кого:' forward header is read; the original From is the site."""
    body = ("-------- Пересылаемое сообщение --------\nОт кого: РостФеррум <noreply@rostferrum.ru>"
            "\nКому: sales@rostferrum.ru\nДата: Понедельник, 16 ноября 2026, 10:00 +05:00\n"
            "Тема: Заявка\n\n" + FORM_INNER)
    p = parse_form(body, frm="Мария <maria@mail.ru>", subject="Fwd: Заявка")
    assert (p.name, p.phone, p.email) == ("Вадим Крылов", "+79123456789", None)


def test_phone_typed_into_name_field() -> None:
    """A number in the name field of a form without a phone field is the phone."""
    p = parse_form("Имя: Иван, 8 912 345-67-89\nСообщение: Перезвоните\n")
    assert (p.name, p.phone) == ("Иван", "+79123456789")


def test_site_senders_option() -> None:
    """options.site_senders marks a sender on another domain as the site, not the client."""
    options = ParseOptions(site_senders=("@forms.rostferrum-mail.example",))
    p = parse_form("Телефон: 89123456789\nСообщение: Лист\n", options,
                   frm="Заявки <leads@forms.rostferrum-mail.example>")
    assert (p.name, p.email) == (None, None)


def test_public_domain_in_site_senders_keeps_clients() -> None:
    """A public mail domain among the site's senders never hides a client on that domain."""
    options = ParseOptions(site_senders=("@gmail.com", "rostferrum.site@gmail.com"))
    p = parse_form("Имя: Оля\nТелефон: 89123456789\n", options,
                   frm="Сайт <rostferrum.site@gmail.com>", reply_to="olya@gmail.com")
    assert p.email == "olya@gmail.com"


def test_phone_only_in_message() -> None:
    """Without a phone field, the number written in the message is the phone."""
    p = parse_form("От: Иван <ivan@mail.ru>\nТема: КП\n\n"
                   "Сообщение:\nПерезвоните: 8 (912) 345-67-89\n")
    assert (p.phone, p.name, p.email) == ("+79123456789", "Иван", "ivan@mail.ru")


def test_garbage_phone_gives_none() -> None:
    """'не звонить' in the phone field gives no phone and still a lead."""
    p = parse_form("Имя: Кирилл\nТелефон: не звонить, только почта\nE-mail: k@gmail.com\n")
    assert (p.phone, p.create_lead) == (None, True)
    assert dict(p.extra) == {"Телефон": "не звонить, только почта"}  # kept for the comment


def test_several_phones_and_extension() -> None:
    """More numbers go to other_phones; the first number's extension to phone_extension."""
    p = parse_form("Имя: Ирина\nТелефон: +7(495)123-45-67 доб. 123, 8 912 345-67-89\n")
    assert (p.phone, p.other_phones, p.phone_extension) == (
        "+74951234567", ("+79123456789",), "123")
