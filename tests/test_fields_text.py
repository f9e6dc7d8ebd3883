"""Field extraction from plain-text layouts: colon lines, stars, dashes, key lines, carts, footers.

Messages are written in the formats of corpus/README.md (including layouts the corpus holds
back: the 1C-Bitrix form module, Formspree, Tilda cart) and run through the real ``parse_message``.
"""

from __future__ import annotations

from bridge.model import ParseOptions
from bridge.parsing.fields import colon_pairs, stars_pairs
from tests.helpers.fieldmail import CF7_FORM, parse_form

# --------------------------------------------------------------------- text layouts


def test_colon_layout_with_block_message() -> None:
    """``Label: value`` lines; a message block keeps its 'Word: text' lines and drops the footer."""
    p = parse_form(CF7_FORM)
    assert (p.name, p.phone, p.email) == ("Иван Петров", "+79123456789", "ivan@mail.ru")
    assert p.message == "Нужна арматура А500С 12 мм.\nИтого: 24 т, доставка в Екатеринбург."
    assert p.is_form and p.create_lead and p.reason is None


def test_colon_value_continues_on_next_lines() -> None:
    """A value that starts on the label line continues on the following plain lines."""
    pairs = colon_pairs("Сообщение: первая строка\nвторая строка\nСтраница: https://x.example/",
                        ParseOptions())
    assert pairs == [("Сообщение", "первая строка\nвторая строка"),
                     ("Страница", "https://x.example/")]


def test_bulleted_label_lines() -> None:
    """'- Label: value' and '• Label: value' list items read like plain label lines."""
    p = parse_form("- Имя: Анна\n• Телефон: 89123456789\n- Марка: Ст3\n")
    assert (p.name, p.phone, dict(p.extra)) == ("Анна", "+79123456789", {"Марка": "Ст3"})


def test_literal_br_and_entities_in_plain_text() -> None:
    """A plain-text template's literal '<br />' and '&quot;' become a newline and a quote."""
    p = parse_form("Имя: Оля\nСообщение: Лист &quot;в размер&quot;<br />Оплата &amp; доставка\n")
    assert p.message == 'Лист "в размер"\nОплата & доставка'


def test_message_keeps_its_word_colon_lines() -> None:
    """'Звоните: …' under a one-line message stays in it; a later field paragraph does not."""
    p = parse_form("Имя: Олег\nСообщение: Нужен швеллер.\nЗвоните: 8-912-345-67-89\n\n"
                   "Объект: склад\nСрок: декабрь\n")
    assert p.message == "Нужен швеллер.\nЗвоните: 8-912-345-67-89"
    assert p.phone == "+79123456789"
    assert dict(p.extra) == {"Объект": "склад", "Срок": "декабрь"}


def test_question_label_after_a_message_is_a_field() -> None:
    """'Что требуется?: …' after a message line is a field; a question is no client's prose."""
    p = parse_form("Комментарий: Нужна доставка.\nЧто требуется?: Лист г/к\nИмя: Лёня\n")
    assert (p.message, dict(p.extra)) == ("Нужна доставка.", {"Что требуется?": "Лист г/к"})


def test_name_parts_order() -> None:
    """English parts read First Last whatever their order; a Russian surname first stays first."""
    assert parse_form("Last Name: Sokolova\nFirst Name: Elena\nPhone: 89123456789\n").name == \
        "Elena Sokolova"
    assert parse_form("Фамилия: Иванов\nИмя (имя): Иван\nТелефон: 89123456789\n").name == \
        "Иванов Иван"


def test_sentence_is_not_a_label() -> None:
    """'Прошу КП. Перезвоните, пожалуйста: 8 …' is message text, not a field."""
    p = parse_form("Имя: Иван\nСообщение: Нужна арматура.\nПрошу КП. Перезвоните, пожалуйста: "
                   "8 (912) 345-67-89\n")
    assert p.message == "Нужна арматура.\nПрошу КП. Перезвоните, пожалуйста: 8 (912) 345-67-89"


def test_unknown_labels_after_a_short_value_are_fields() -> None:
    """An unknown 'Label: value' line after a one-line value starts a new field (extra)."""
    p = parse_form("Имя: Анна\nГород доставки: Тюмень\nТелефон: 89123456789\nСообщение: Нужен лист")
    assert dict(p.extra)["Город доставки"] == "Тюмень"
    assert p.name == "Анна"


def test_wpforms_plain_dashes_and_empty_marker() -> None:
    """WPForms plain text '--- Label ---' blocks; '(empty)' becomes no value."""
    body = ("--- Name ---\n\nOlga\n\n--- Email ---\n\n(empty)\n\n--- Phone ---\n\n89123456789"
            "\n\n--- Comment or Message ---\n\nNeed a price list.\nThanks.\n")
    p = parse_form(body)
    assert (p.name, p.email, p.phone) == ("Olga", None, "+79123456789")
    assert p.message == "Need a price list.\nThanks."


def test_bitrix_form_module_stars() -> None:
    """1C-Bitrix web form: title line, '*****' line, value; the header block is metadata."""
    body = """rostferrum.ru

Заполнена web-форма: [3] Заявка на расчёт
-------------------------------------------------------

Дата - 16.11.2026 10:20:00
Результат - 145
Посмотреть - https://rostferrum.ru/bitrix/admin/form_result_view.php?RESULT_ID=145

-------------------------------------------------------

Ваше имя
*******************************
Кирилл Орлов

Контактный телефон
*******************************
+7 (912) 345-67-89

E-mail
*******************************
k.orlov@mail.ru

Объём, т
*******************************
10

Комментарий
*******************************
Прошу рассчитать доставку
в Тюмень.

Письмо сгенерировано автоматически.
"""
    p = parse_form(body, subject="rostferrum.ru: заполнена web-форма [3] Заявка на расчёт",
                   headers="X-EVENT_NAME: FORM_FILLING_SIMPLE_FORM_3\r\n")
    assert (p.name, p.phone, p.email) == ("Кирилл Орлов", "+79123456789", "k.orlov@mail.ru")
    assert p.message == "Прошу рассчитать доставку\nв Тюмень."
    assert dict(p.extra)["Объём, т"] == "10"
    assert not {"Дата", "Результат", "Посмотреть"} & set(dict(p.extra))
    assert stars_pairs("Имя\n*****\nОля\n", ParseOptions()) == [("Имя", "Оля")]


def test_yandex_forms_question_lines() -> None:
    """Yandex Forms: question line, answer line; a custom question lands in extra."""
    body = """Новый ответ в форме «Заявка»

Ваше имя
Леонид Фомин

Телефон
+79123456789

Что требуется?
Лист г/к

Объём заказа
5 т

Комментарий
Нужна доставка.

Все ответы: https://forms.yandex.ru/cloud/admin/1/answers
"""
    p = parse_form(body, frm="Яндекс Формы <noreply@forms.yandex.ru>")
    assert (p.name, p.phone, p.message) == ("Леонид Фомин", "+79123456789", "Нужна доставка.")
    assert dict(p.extra) == {"Что требуется?": "Лист г/к", "Объём заказа": "5 т"}


def test_formspree_key_then_value() -> None:
    """Formspree: 'key:' line then the value; its 'Submitted …' footer is not the message."""
    body = """Someone just submitted your form on rostferrum.ru. Here's what they had to say:

name:
John Smith

email:
john@smith.example

message:
Need a quote for rebar.
Thanks!

Submitted 10:42 AM - 16 November 2026

Mark as spam
"""
    p = parse_form(body, frm="Formspree <noreply@formspree.io>", reply_to="john@smith.example")
    assert (p.name, p.email) == ("John Smith", "john@smith.example")
    assert p.message == "Need a quote for rebar.\nThanks!"


def test_site_contacts_in_the_footer_are_not_the_clients() -> None:
    """The template footer's own phone and e-mail below a separator are not the client's."""
    p = parse_form("Имя: Оля\nТелефон: 89123456789\nE-mail: olya@mail.ru\n\n---\n"
                   "РостФеррум, Екатеринбург\nТелефон: +7 343 000-00-00\n"
                   "E-mail: info@rostferrum.ru\n")
    assert (p.phone, p.other_phones, p.email) == ("+79123456789", (), "olya@mail.ru")


def test_webflow_footer_is_not_extra() -> None:
    """Webflow: 'Label: value' lines; the dashboard link after '---' is not a form field."""
    body = ("Your form, Contact Form, on Rostferrum has a new submission:\n\nName: Oleg\n"
            "Email: oleg@x.example\nPhone: 89123456789\nMessage: Need sheet 4 mm.\n\n---\n"
            "Go to your dashboard: https://webflow.com/dashboard/sites/rostferrum/forms\n")
    p = parse_form(body, frm="Webflow <no-reply-forms@webflow.com>", reply_to="oleg@x.example")
    assert p.extra == ()
    assert (p.name, p.phone, p.message) == ("Oleg", "+79123456789", "Need sheet 4 mm.")


def test_elementor_metadata_stays_out() -> None:
    """Elementor's '---' block: only the page URL is kept; date, agent, IP never pollute."""
    body = ("Name: Mark\nEmail: mark@x.example\nPhone: +7 701 123 45 67\nMessage: Need pipes.\n"
            "\n---\n\nDate: November 16, 2026\nTime: 11:42 am\nPage URL: https://rostferrum.ru/p/\n"
            "User Agent: Mozilla/5.0\nRemote IP: 198.51.100.23\nPowered by: Elementor\n")
    p = parse_form(body)
    assert dict(p.extra) == {"Page URL": "https://rostferrum.ru/p/"}
    assert p.message == "Need pipes." and p.phone == "+77011234567"


def test_drupal_submitted_lines_are_metadata() -> None:
    """Drupal Webform's 'Submitted on/by/values are' lines are neither message nor extra."""
    body = ("Submitted on Mon, 11/16/2026 - 14:05\nSubmitted by: Anonymous\n"
            "Submitted values are:\n\nФИО: Белова Ирина\nТелефон: 89123456789\nСообщение:\n"
            "Добрый день!\n")
    p = parse_form(body)
    assert p.extra == () and p.message == "Добрый день!" and p.name == "Белова Ирина"


def test_tilda_cart_order() -> None:
    """Tilda cart: 'Order #…' and the product lines are kept as extra fields."""
    body = """Order #1234567890

Name: Игорь Петров
Phone: +7 (912) 345-67-89
Email: igor@ya.ru
Payment Amount: 12500 RUB

Products:
1. Арматура А500С 12 мм — 2 x 5000 = 10000 RUB
2. Доставка — 2500 RUB
Subtotal: 12500

Additional information:
Transaction ID: 4417321:1111
Form Name: Cart
"""
    p = parse_form(body, frm="Tilda <noreply@tilda.ws>", reply_to="igor@ya.ru")
    extra = dict(p.extra)
    assert extra["Order"] == "1234567890"
    assert extra["Products"].startswith("1. Арматура") and "2500 RUB" in extra["Products"]
    assert extra["Payment Amount"] == "12500 RUB" and extra["Form Name"] == "Cart"
    assert extra["Subtotal"] == "12500"
    assert p.message is None and p.create_lead


def test_cart_items_under_the_order_title() -> None:
    """Unlabelled product lines under 'Order #…' are kept as the order's items."""
    body = ("Order #1234567890\n1. Арматура А500С 12 мм — 2 x 5000 = 10000\n"
            "2. Доставка — 2500\nPayment Amount: 12500 RUB\n\nName: Игорь\nPhone: 89123456789\n")
    p = parse_form(body, frm="Tilda <noreply@tilda.ws>")
    extra = dict(p.extra)
    assert extra["Order"] == "1234567890"
    assert extra["Products"] == "1. Арматура А500С 12 мм — 2 x 5000 = 10000\n2. Доставка — 2500"
    assert extra["Payment Amount"] == "12500 RUB"


def test_php_print_r_and_json_dumps() -> None:
    """A handler that mails print_r($_POST) or a JSON object is read by its keys."""
    p = parse_form("Array\n(\n    [name] => Иван\n    [phone] => 8 912 345 67 89\n"
                   "    [message] => Нужен лист\n    [utm_source] => yandex\n)\n")
    assert (p.name, p.phone, p.message, dict(p.extra)) == (
        "Иван", "+79123456789", "Нужен лист", {"utm_source": "yandex"})
    p = parse_form('{"name": "Анна", "email": "anna@ya.ru", "phone": "", "comment": "Прайс"}')
    assert (p.name, p.email, p.phone, p.message) == ("Анна", "anna@ya.ru", None, "Прайс")


def test_utm_packed_in_one_line_is_split() -> None:
    """'Источник: utm_source=…, utm_medium=…' also gives the separate utm fields."""
    p = parse_form("Имя: Максим\nТелефон: 89221112233\n"
                   "Источник: utm_source=yandex, utm_medium=cpc, utm_campaign=balka\n")
    extra = dict(p.extra)
    assert (extra["utm_source"], extra["utm_medium"], extra["utm_campaign"]) == (
        "yandex", "cpc", "balka")
