"""Field extraction and classification: layouts, labels, name/e-mail rules, non-leads.

Messages are written here in the formats of corpus/README.md (including the layouts the
corpus holds back: Ninja Forms, the 1C-Bitrix form module, RSForm, Webflow, Formspree,
LPgenerator, Tilda cart, Russian Thunderbird/Yandex forwards) and run through the real
``parse_message``; a few cases build a MailDoc directly to pin what the decoder hands over.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import ParseError
from bridge.model import Attachment, ParsedForm, ParseOptions
from bridge.parsing import parse_doc, parse_message
from bridge.parsing.doc import Address, MailDoc
from bridge.parsing.fields import colon_pairs, lines_pairs, stars_pairs, strip_forward
from bridge.parsing.htmltext import html_to_text, table_pairs
from bridge.parsing.labels import label_kind, normalize_label
from bridge.parsing.report import to_json

SITE = "РостФеррум <noreply@rostferrum.ru>"


def _eml(body: str, *, html: bool = False, frm: str = SITE, reply_to: str | None = None,
         subject: str = "Заявка с сайта", headers: str = "") -> bytes:
    head = (
        f"From: {frm}\r\nTo: sales@rostferrum.ru\r\nSubject: {subject}\r\n"
        "Date: Mon, 16 Nov 2026 10:00:00 +0500\r\nMessage-ID: <t1@rostferrum.ru>\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: text/{'html' if html else 'plain'}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
    )
    if reply_to:
        head += f"Reply-To: {reply_to}\r\n"
    head += headers
    return (head + "\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n")).encode()


def _parse(body: str, options: ParseOptions | None = None, **kw: object) -> ParsedForm:
    return parse_message(_eml(body, **kw), options or ParseOptions())  # type: ignore[arg-type]


def _doc(text: str | None = None, *, html: str | None = None, frm: Address | None = None,
         reply_to: tuple[Address, ...] = (), subject: str = "Заявка", auto_kind: str | None = None,
         forwarded: MailDoc | None = None, attachments: tuple[Attachment, ...] = ()) -> MailDoc:
    return MailDoc(
        message_id="<d@x>", subject=subject, date=None,
        from_=frm or Address("РостФеррум", "noreply@rostferrum.ru"), reply_to=reply_to,
        to=(Address(None, "sales@rostferrum.ru"),), headers={}, header_all={}, text=text,
        html=html, attachments=attachments, rejected=(), auto_kind=auto_kind,
        forwarded=forwarded,
    )


CF7_FORM = """Имя: Иван Петров
Телефон: 8 (912) 345-67-89
E-mail: ivan@mail.ru

Сообщение:
Нужна арматура А500С 12 мм.
Итого: 24 т, доставка в Екатеринбург.

-- \nЭто сообщение отправлено из контактной формы на сайте РостФеррум (https://rostferrum.ru)
"""


# --------------------------------------------------------------------- text layouts


def test_colon_layout_with_block_message() -> None:
    """``Label: value`` lines; a message block keeps its 'Word: text' lines and drops the footer."""
    p = _parse(CF7_FORM)
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
    p = _parse("- Имя: Анна\n• Телефон: 89123456789\n- Марка: Ст3\n")
    assert (p.name, p.phone, dict(p.extra)) == ("Анна", "+79123456789", {"Марка": "Ст3"})


def test_literal_br_and_entities_in_plain_text() -> None:
    """A plain-text template's literal '<br />' and '&quot;' become a newline and a quote."""
    p = _parse("Имя: Оля\nСообщение: Лист &quot;в размер&quot;<br />Оплата &amp; доставка\n")
    assert p.message == 'Лист "в размер"\nОплата & доставка'


def test_message_keeps_its_word_colon_lines() -> None:
    """'Звоните: …' under a one-line message stays in it; a later field paragraph does not."""
    p = _parse("Имя: Олег\nСообщение: Нужен швеллер.\nЗвоните: 8-912-345-67-89\n\n"
               "Объект: склад\nСрок: декабрь\n")
    assert p.message == "Нужен швеллер.\nЗвоните: 8-912-345-67-89"
    assert p.phone == "+79123456789"
    assert dict(p.extra) == {"Объект": "склад", "Срок": "декабрь"}


def test_question_label_after_a_message_is_a_field() -> None:
    """'Что требуется?: …' after a message line is a field; a question is no client's prose."""
    p = _parse("Комментарий: Нужна доставка.\nЧто требуется?: Лист г/к\nИмя: Лёня\n")
    assert (p.message, dict(p.extra)) == ("Нужна доставка.", {"Что требуется?": "Лист г/к"})


def test_name_parts_order() -> None:
    """English parts read First Last whatever their order; a Russian surname first stays first."""
    assert _parse("Last Name: Sokolova\nFirst Name: Elena\nPhone: 89123456789\n").name == \
        "Elena Sokolova"
    assert _parse("Фамилия: Иванов\nИмя (имя): Иван\nТелефон: 89123456789\n").name == \
        "Иванов Иван"


def test_sentence_is_not_a_label() -> None:
    """'Прошу КП. Перезвоните, пожалуйста: 8 …' is message text, not a field."""
    p = _parse("Имя: Иван\nСообщение: Нужна арматура.\nПрошу КП. Перезвоните, пожалуйста: "
               "8 (912) 345-67-89\n")
    assert p.message == "Нужна арматура.\nПрошу КП. Перезвоните, пожалуйста: 8 (912) 345-67-89"


def test_unknown_labels_after_a_short_value_are_fields() -> None:
    """An unknown 'Label: value' line after a one-line value starts a new field (extra)."""
    p = _parse("Имя: Анна\nГород доставки: Тюмень\nТелефон: 89123456789\nСообщение: Нужен лист")
    assert dict(p.extra)["Город доставки"] == "Тюмень"
    assert p.name == "Анна"


def test_wpforms_plain_dashes_and_empty_marker() -> None:
    """WPForms plain text '--- Label ---' blocks; '(empty)' becomes no value."""
    body = ("--- Name ---\n\nOlga\n\n--- Email ---\n\n(empty)\n\n--- Phone ---\n\n89123456789"
            "\n\n--- Comment or Message ---\n\nNeed a price list.\nThanks.\n")
    p = _parse(body)
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
    p = _parse(body, subject="rostferrum.ru: заполнена web-форма [3] Заявка на расчёт",
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
    p = _parse(body, frm="Яндекс Формы <noreply@forms.yandex.ru>")
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
    p = _parse(body, frm="Formspree <noreply@formspree.io>", reply_to="john@smith.example")
    assert (p.name, p.email) == ("John Smith", "john@smith.example")
    assert p.message == "Need a quote for rebar.\nThanks!"


def test_site_contacts_in_the_footer_are_not_the_clients() -> None:
    """The template footer's own phone and e-mail below a separator are not the client's."""
    p = _parse("Имя: Оля\nТелефон: 89123456789\nE-mail: olya@mail.ru\n\n---\n"
               "РостФеррум, Екатеринбург\nТелефон: +7 343 000-00-00\nE-mail: info@rostferrum.ru\n")
    assert (p.phone, p.other_phones, p.email) == ("+79123456789", (), "olya@mail.ru")


def test_webflow_footer_is_not_extra() -> None:
    """Webflow: 'Label: value' lines; the dashboard link after '---' is not a form field."""
    body = ("Your form, Contact Form, on Rostferrum has a new submission:\n\nName: Oleg\n"
            "Email: oleg@x.example\nPhone: 89123456789\nMessage: Need sheet 4 mm.\n\n---\n"
            "Go to your dashboard: https://webflow.com/dashboard/sites/rostferrum/forms\n")
    p = _parse(body, frm="Webflow <no-reply-forms@webflow.com>", reply_to="oleg@x.example")
    assert p.extra == ()
    assert (p.name, p.phone, p.message) == ("Oleg", "+79123456789", "Need sheet 4 mm.")


def test_elementor_metadata_stays_out() -> None:
    """Elementor's '---' block: only the page URL is kept; date, agent, IP never pollute."""
    body = ("Name: Mark\nEmail: mark@x.example\nPhone: +7 701 123 45 67\nMessage: Need pipes.\n"
            "\n---\n\nDate: November 16, 2026\nTime: 11:42 am\nPage URL: https://rostferrum.ru/p/\n"
            "User Agent: Mozilla/5.0\nRemote IP: 198.51.100.23\nPowered by: Elementor\n")
    p = _parse(body)
    assert dict(p.extra) == {"Page URL": "https://rostferrum.ru/p/"}
    assert p.message == "Need pipes." and p.phone == "+77011234567"


def test_drupal_submitted_lines_are_metadata() -> None:
    """Drupal Webform's 'Submitted on/by/values are' lines are neither message nor extra."""
    body = ("Submitted on Mon, 11/16/2026 - 14:05\nSubmitted by: Anonymous\n"
            "Submitted values are:\n\nФИО: Белова Ирина\nТелефон: 89123456789\nСообщение:\n"
            "Добрый день!\n")
    p = _parse(body)
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
    p = _parse(body, frm="Tilda <noreply@tilda.ws>", reply_to="igor@ya.ru")
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
    p = _parse(body, frm="Tilda <noreply@tilda.ws>")
    extra = dict(p.extra)
    assert extra["Order"] == "1234567890"
    assert extra["Products"] == "1. Арматура А500С 12 мм — 2 x 5000 = 10000\n2. Доставка — 2500"
    assert extra["Payment Amount"] == "12500 RUB"


def test_php_print_r_and_json_dumps() -> None:
    """A handler that mails print_r($_POST) or a JSON object is read by its keys."""
    p = _parse("Array\n(\n    [name] => Иван\n    [phone] => 8 912 345 67 89\n"
               "    [message] => Нужен лист\n    [utm_source] => yandex\n)\n")
    assert (p.name, p.phone, p.message, dict(p.extra)) == (
        "Иван", "+79123456789", "Нужен лист", {"utm_source": "yandex"})
    p = _parse('{"name": "Анна", "email": "anna@ya.ru", "phone": "", "comment": "Прайс"}')
    assert (p.name, p.email, p.phone, p.message) == ("Анна", "anna@ya.ru", None, "Прайс")


def test_utm_packed_in_one_line_is_split() -> None:
    """'Источник: utm_source=…, utm_medium=…' also gives the separate utm fields."""
    p = _parse("Имя: Максим\nТелефон: 89221112233\n"
               "Источник: utm_source=yandex, utm_medium=cpc, utm_campaign=balka\n")
    extra = dict(p.extra)
    assert (extra["utm_source"], extra["utm_medium"], extra["utm_campaign"]) == (
        "yandex", "cpc", "balka")


# --------------------------------------------------------------------- HTML layouts


def test_ninja_forms_cell_pairs() -> None:
    """Ninja Forms table: <td>Label:</td><td>value</td>; <br> in a value is a line break."""
    html = ("<table><tr><td>Имя:</td><td>Пётр Иванов</td></tr><tr><td>Телефон:</td>"
            "<td>8 (912) 345-67-89</td></tr><tr><td>Email:</td><td>petr@mail.ru</td></tr>"
            "<tr><td>Сообщение:</td><td>Нужна арматура<br>12 мм &amp; 16 мм</td></tr></table>")
    p = _parse(html, html=True, subject="Ninja Forms Submission")
    assert (p.name, p.phone, p.email) == ("Пётр Иванов", "+79123456789", "petr@mail.ru")
    assert p.message == "Нужна арматура\n12 мм & 16 мм"


def test_wpforms_label_row_value_row() -> None:
    """WPForms HTML: a field-name row then a field-value row; '(пусто)' is no value."""
    html = """<table><tbody>
<tr><td class="field-name"><strong>Имя</strong></td></tr>
<tr class="field-name"><td class="field-value">Ольга</td></tr>
<tr><td class="field-name"><strong>Email</strong></td></tr>
<tr class="field-email"><td class="field-value">(пусто)</td></tr>
<tr><td class="field-name"><strong>Телефон</strong></td></tr>
<tr class="field-phone"><td class="field-value">89123456789</td></tr>
<tr><td class="field-name"><strong>Марка стали</strong></td></tr>
<tr class="field-select"><td class="field-value">09Г2С</td></tr>
</tbody></table>"""
    p = _parse(html, html=True)
    assert (p.name, p.email, p.phone) == ("Ольга", None, "+79123456789")
    assert dict(p.extra) == {"Марка стали": "09Г2С"}


def test_gravity_forms_rows_and_upload_link() -> None:
    """Gravity Forms: coloured label rows, a spacer cell, and an upload given as its URL."""
    html = """<table>
<tr bgcolor="#EAF2FA"><td colspan="2"><strong>Имя</strong></td></tr>
<tr bgcolor="#FFFFFF"><td width="20">&nbsp;</td><td>Захаров Николай</td></tr>
<tr bgcolor="#EAF2FA"><td colspan="2"><strong>Email</strong></td></tr>
<tr bgcolor="#FFFFFF"><td width="20">&nbsp;</td>
<td><a href='mailto:n@mk.example'>n@mk.example</a></td></tr>
<tr bgcolor="#EAF2FA"><td colspan="2"><strong>Файл</strong></td></tr>
<tr bgcolor="#FFFFFF"><td width="20">&nbsp;</td>
<td><a href='https://x.example/up/v.pdf'>v.pdf</a></td></tr>
</table>"""
    p = _parse(html, html=True)
    assert (p.name, p.email) == ("Захаров Николай", "n@mk.example")
    assert dict(p.extra) == {"Файл": "https://x.example/up/v.pdf"}


def test_bold_labels_and_formit_keys() -> None:
    """'<b>Label:</b> value<br>' and FormIt's '<strong>key</strong>: value<br />' both read."""
    p = _parse("<p><b>Имя:</b> Максим<br><b>Телефон:</b> +7 (922) 111-22-33<br>"
               "<b>Комментарий:</b> Балка 20Б1</p>", html=True)
    assert (p.name, p.phone, p.message) == ("Максим", "+79221112233", "Балка 20Б1")
    p = _parse("<p><strong>name</strong>: Гриша<br /><strong>phone</strong>: 8 912 345-67-89"
               "<br /><strong>product</strong>: Арматура<br /><strong>text</strong>: 5 т<br /></p>",
               html=True)
    assert (p.name, p.phone, p.message) == ("Гриша", "+79123456789", "5 т")
    assert dict(p.extra) == {"product": "Арматура"}


def test_bold_label_without_colon() -> None:
    """'<b>Имя</b> Иван<br>' (no colon) and '<b>Вопрос?</b><br>ответ' are read from the markup."""
    html = ("<p><b>Внимание!</b> Новая заявка</p><p><b>Имя</b> Иван Петров<br><b>Телефон</b>"
            " 8 912 345 67 89<br><b>Сообщение</b> Нужен лист</p>"
            "<p><b>Какая марка стали?</b><br>Ст3</p>")
    p = _parse(html, html=True)
    assert (p.name, p.phone, p.message) == ("Иван Петров", "+79123456789", "Нужен лист")
    assert dict(p.extra) == {"Какая марка стали?": "Ст3"}


def test_rsform_caption_row_is_not_a_field() -> None:
    """An RSForm table with a 'Поле | Значение' caption row reads its rows, not the caption."""
    html = ("<table><tr><th>Поле</th><th>Значение</th></tr><tr><td>ФИО</td><td>Николаев Пётр"
            "</td></tr><tr><td>Телефон</td><td>+375 29 123-45-67</td></tr><tr><td>Вопрос</td>"
            "<td>Есть доставка в Минск?</td></tr></table>")
    p = _parse(html, html=True, frm="Joomla <admin@rostferrum.ru>")
    assert (p.name, p.phone, p.message) == ("Николаев Пётр", "+375291234567",
                                            "Есть доставка в Минск?")
    assert p.extra == ()


def test_lpgenerator_table_plus_lines() -> None:
    """A table plus 'Label: value' paragraphs outside it: both are read, IP is dropped."""
    html = ("<p>Новая заявка с сайта</p><table><tr><td><b>Имя</b></td><td>Анна</td></tr>"
            "<tr><td><b>Телефон</b></td><td>+7 912 345 67 89</td></tr></table>"
            "<p>Страница: https://rostferrum.ru/truba/</p><p>IP: 198.51.100.7</p>")
    p = _parse(html, html=True, frm="LPgenerator <noreply@lpgenerator.ru>")
    assert (p.name, p.phone) == ("Анна", "+79123456789")
    assert dict(p.extra) == {"Страница": "https://rostferrum.ru/truba/"}


def test_html_preferred_over_glued_text_part() -> None:
    """PHPMailer's automatic text part glues cells; the HTML table is read instead."""
    doc = _doc("ИмяФёдор НикитинТелефон89123456789",
               html="<table><tr><td>Имя</td><td>Фёдор Никитин</td></tr>"
                    "<tr><td>Телефон</td><td>89123456789</td></tr></table>")
    p = parse_doc(doc)
    assert (p.name, p.phone) == ("Фёдор Никитин", "+79123456789")


def test_label_paragraph_then_value_paragraph() -> None:
    """Webflow-style '<p><strong>Name</strong></p><p>value</p>' pairs are read."""
    html = ("<p>New submission</p><p><strong>Name</strong></p><p>Oleg</p><p><strong>Phone</strong>"
            "</p><p>89123456789</p><p><strong>Company</strong></p><p></p><p><strong>Message"
            "</strong></p><p>Need sheet.</p>")
    p = _parse(html, html=True, frm="Webflow <no-reply-forms@webflow.com>")
    assert (p.name, p.phone, p.message) == ("Oleg", "+79123456789", "Need sheet.")


def test_definition_list() -> None:
    """<dl><dt>Label</dt><dd>value</dd></dl> pairs are read."""
    p = _parse("<dl><dt>Имя</dt><dd>Вера</dd><dt>Телефон</dt><dd>89123456789</dd>"
               "<dt>Марка</dt><dd>Ст3</dd></dl>", html=True)
    assert (p.name, p.phone, dict(p.extra)) == ("Вера", "+79123456789", {"Марка": "Ст3"})


def test_scripts_styles_and_remote_images_are_dropped() -> None:
    """Script, style and image content never reaches a field."""
    html = ("<style>td{color:red}</style><script>var a='Имя: Хакер';</script>"
            "<div style='display: none'>Имя: Скрытый</div>"
            "<img src='https://x.example/l.png' alt='Логотип'><p>Имя: Лена<br>"
            "Телефон: 89123456789</p>")
    p = _parse(html, html=True)
    assert (p.name, p.phone, p.extra) == ("Лена", "+79123456789", ())


def test_html_to_text_layout() -> None:
    """<br> and blocks break lines, <p> leaves a blank line, rows become tab-separated lines."""
    html = ("<div>Заявка&nbsp;№1</div><p>Имя: Иван<br />Тел: 1</p><table><tr><td>A</td>"
            "<td>B &amp; C</td></tr><tr><td>D</td><td>E</td></tr></table><pre>x  y\n z</pre>"
            "<ul><li>один</li><li>два</li></ul><!-- note -->")
    assert html_to_text(html) == ("Заявка №1\n\nИмя: Иван\nТел: 1\n\nA\tB & C\nD\tE\n\n"
                                  "x  y\nz\n\nодин\nдва")


def test_table_pairs_shapes() -> None:
    """Cell pairs, label row + value row and column titles over one row all give pairs."""
    assert table_pairs("<table><tr><td>Имя:</td><td>Иван</td></tr></table>") == [("Имя:", "Иван")]
    assert table_pairs("<table><tr><td><b>Имя</b></td></tr><tr><td>Иван</td></tr></table>") == [
        ("Имя", "Иван")]
    assert table_pairs("<table><tr><th>Имя</th><th>Телефон</th></tr><tr><td>Иван</td>"
                       "<td>8912</td></tr></table>") == [("Имя", "Иван"), ("Телефон", "8912")]


def test_deep_and_big_html_is_linear() -> None:
    """Deeply nested markup renders without recursion errors."""
    html = "<div>" * 3000 + "Имя: Иван<br>Телефон: 89123456789" + "</div>" * 3000
    p = parse_doc(_doc(None, html=html))
    assert (p.name, p.phone) == ("Иван", "+79123456789")


# --------------------------------------------------------------------- forwards

FORM_INNER = "Имя: Вадим Крылов\nТелефон: 8 912 345 67 89\nСообщение: Нужен швеллер.\n"


def test_thunderbird_russian_forward() -> None:
    """'-------- Пересылаемое сообщение --------': the forwarded form's Reply-To is the client."""
    body = ("Обработайте заявку.\n\n-------- Пересылаемое сообщение --------\n"
            "Тема: \tЗаявка с сайта\nДата: \tMon, 16 Nov 2026 10:00:00 +0500\n"
            "От: \tРостФеррум <noreply@rostferrum.ru>\nОтветить: \tВадим <vadim@mail.ru>\n"
            "Кому: \tsales@rostferrum.ru\n\n" + FORM_INNER)
    p = _parse(body, frm="Мария <maria.rf@gmail.com>", subject="Fwd: Заявка с сайта")
    assert (p.name, p.phone, p.email) == ("Вадим Крылов", "+79123456789", "vadim@mail.ru")
    assert p.message == "Нужен швеллер."


def test_thunderbird_html_forward_with_header_table() -> None:
    """Thunderbird's HTML forward (header table, then the form's own table) reads the form."""
    html = (
        "<p>Обработайте.</p><div class='moz-forward-container'><br><br>"
        "-------- Пересылаемое сообщение --------<table class='moz-email-headers-table'>"
        "<tr><th>Тема: </th><td>Заявка с сайта</td></tr>"
        "<tr><th>Дата: </th><td>Mon, 16 Nov 2026 10:00:00 +0500</td></tr>"
        "<tr><th>От: </th><td>РостФеррум <a href='mailto:noreply@rostferrum.ru'>"
        "&lt;noreply@rostferrum.ru&gt;</a></td></tr><tr><th>Кому: </th><td>"
        "<a href='mailto:sales@rostferrum.ru'>sales@rostferrum.ru</a></td></tr></table><br><br>"
        "<table><tr><td><b>Имя</b></td><td>Вадим Крылов</td></tr><tr><td><b>Телефон</b></td>"
        "<td>8 912 345 67 89</td></tr><tr><td><b>E-mail</b></td><td>vadim@mail.ru</td></tr>"
        "<tr><td><b>Сообщение</b></td><td>Нужен швеллер.</td></tr></table></div>"
    )
    p = _parse(html, html=True, frm="Мария <maria@rostferrum.ru>", subject="Fwd: Заявка с сайта")
    assert (p.name, p.phone, p.email, p.message) == (
        "Вадим Крылов", "+79123456789", "vadim@mail.ru", "Нужен швеллер.")


def test_yandex_forward_with_end_marker() -> None:
    """A Yandex forward ends at its end marker; the forwarder's signature is not read."""
    body = ("\n-------- Пересылаемое сообщение --------\n"
            "16.11.2026, 10:00, \"РостФеррум\" <noreply@rostferrum.ru>:\n\n" + FORM_INNER +
            "\n-------- Конец пересылаемого сообщения --------\n\n--\nМария, менеджер\n"
            "Телефон: +7 343 000-00-00\n")
    p = _parse(body, frm="Мария <maria.rf@yandex.ru>", subject="Fwd: Заявка")
    assert (p.name, p.phone, p.email) == ("Вадим Крылов", "+79123456789", None)


def test_forwarder_is_never_the_client() -> None:
    """Without any client e-mail in the forwarded form, the forwarder's address is not used."""
    body = ("Клиент звонил.\n\n---------- Forwarded message ---------\n"
            "From: РостФеррум <info@rostferrum.ru>\nDate: Tue, 17 Nov 2026 at 15:58\n"
            "Subject: Заявка\nTo: <sales@rostferrum.ru>\n\n" + FORM_INNER)
    p = _parse(body, frm="Игорь Лапин <igor.lapin.rf@gmail.com>",
               reply_to="igor.lapin.rf@gmail.com", subject="Fwd: Заявка")
    assert p.email is None and p.name == "Вадим Крылов"


def test_outlook_inline_forward_headers() -> None:
    """An Outlook 'From:/Sent:/To:/Subject:' block starts the forwarded part."""
    body = ("Передаю.\n\nFrom: РостФеррум <noreply@rostferrum.ru>\nSent: Monday, November 16, "
            "2026 10:00 AM\nTo: sales@rostferrum.ru\nSubject: Заявка\n\n" + FORM_INNER)
    p = _parse(body, frm="Мария <m.ivanova@rostferrum.ru>", subject="FW: Заявка")
    assert (p.name, p.phone) == ("Вадим Крылов", "+79123456789")
    assert strip_forward("no forward here") is None


def test_outlook_reply_quote_is_not_a_forward() -> None:
    """An Outlook reply quotes our own mail under the same header block: not a forward."""
    body = ("Спасибо, счёт получили.\n\nС уважением, Иван\n\nFrom: Менеджер <m@rostferrum.ru>\n"
            "Sent: Monday, November 16, 2026 10:00 AM\nTo: ivan@client.example\n"
            "Subject: Счёт\n\nИмя: Менеджер\nТелефон: +7 343 000-00-00\n")
    assert strip_forward(body, "RE: Счёт") is None
    assert strip_forward(body, "FW: Счёт") is not None
    p = _parse(body, frm="Иван <ivan@client.example>", subject="RE: Счёт")
    assert (p.is_form, p.reason) == (False, "layout not recognised")


def test_rfc822_forward_uses_the_inner_message() -> None:
    """A message/rfc822 forward is read from the inner message, with its files."""
    pdf = Attachment("Спецификация.pdf", "application/pdf", b"%PDF-1.4 x")
    inner = _doc("Имя: Ахмед\nТелефон: +7 912 345 67 89\nСообщение: Труба.",
                 reply_to=(Address(None, "ahmed@stroy.example"),), attachments=(pdf,))
    outer = _doc("Коллеги, обработайте.\n-- \nАнна", frm=Address("Анна", "anna@rostferrum.ru"),
                 forwarded=inner, subject="FW: заявка")
    p = parse_doc(outer)
    assert (p.name, p.email, p.attachments) == ("Ахмед", "ahmed@stroy.example", (pdf,))


def test_attached_letter_that_is_no_form() -> None:
    """When the attached message holds no form, the forwarding message's form is read."""
    inner = _doc("Добрый день, пришлите прайс.", frm=Address("Иван", "ivan@client.example"))
    outer = _doc(FORM_INNER, forwarded=inner, subject="Заявка с сайта")
    p = parse_doc(outer)
    assert (p.name, p.phone, p.create_lead) == ("Вадим Крылов", "+79123456789", True)


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
    p = _parse("Имя: Оля\nКуда перезвонить: 89123456789\n", options)
    assert p.phone == "+79123456789" and p.extra == ()


def test_configured_lead_field() -> None:
    """options.label_fields sends a label to a lead field and still keeps it in extra."""
    options = ParseOptions(label_fields=(("Компания", "COMPANY_TITLE"), ("ИНН", "UF_CRM_INN")))
    p = _parse("Имя: Оля\nТелефон: 89123456789\nКомпания: ООО «Сталь»\nИНН: 6671000000\n",
               options)
    assert dict(p.lead_fields) == {"COMPANY_TITLE": "ООО «Сталь»", "UF_CRM_INN": "6671000000"}
    assert dict(p.extra)["Компания"] == "ООО «Сталь»"


def test_name_parts_joined_in_printed_order() -> None:
    """First Name + Last Name (and Фамилия/Имя/Отчество) join as printed."""
    assert _parse("First Name: Elena\nLast Name: Sokolova\nPhone: 89123456789\n").name == \
        "Elena Sokolova"
    p = _parse("Фамилия: Иванов\nИмя (имя): Иван\nОтчество: Иванович\nТелефон: 89123456789\n")
    assert p.name == "Иванов Иван Иванович"


def test_lines_reader_ignores_colon_lines() -> None:
    """The label-line reader never takes a 'Label: value' line for a bare label."""
    assert lines_pairs("Имя: Ирина\nТелефон: 89123456789\n", ParseOptions()) == []


# --------------------------------------------------------------------- name and e-mail rules


def test_name_from_client_from_header() -> None:
    """No name field and From is the client: the display name is the name, From the e-mail."""
    p = _parse("Телефон: 89123456789\nСообщение: Профнастил С8.\n",
               frm="Иван Смирнов <ivan.smirnov@mail.ru>")
    assert (p.name, p.email) == ("Иван Смирнов", "ivan.smirnov@mail.ru")


def test_site_from_on_another_domain_is_not_the_client() -> None:
    """A site sending from its own domain (not the mailbox's) is told by its links or name."""
    p = _parse("Телефон: 89123456789\nСообщение: Лист\nСтраница: https://www.rostferrum-site.ru/a/\n",
               frm="Заявки <zakaz@rostferrum-site.ru>")
    assert (p.name, p.email) == (None, None)
    p = _parse("Телефон: 89123456789\nСообщение: Лист\n\nОтправлено с сайта РостФеррум\n",
               frm="РостФеррум <zakaz@rostferrum-site.ru>")
    assert (p.name, p.email) == (None, None)
    p = _parse("Телефон: 89123456789\nСообщение: Лист\n", frm="Сайт <zakaz@rostferrum-site.ru>",
               reply_to="ivan@mail.ru")
    assert (p.name, p.email) == (None, "ivan@mail.ru")


def test_client_from_who_signs_the_message() -> None:
    """A client From whose one-word name also signs the message stays the client."""
    p = _parse("Телефон: 89123456789\nСообщение: Нужен лист. Иван\n", frm="Иван <ivan@mail.ru>")
    assert (p.name, p.email) == ("Иван", "ivan@mail.ru")


def test_robot_from_is_never_a_name() -> None:
    """A robot or site From gives neither a name nor an e-mail."""
    for frm in ("WordPress <wordpress@rostferrum.ru>", "РостФеррум <info@rostferrum.ru>",
                "Tilda <noreply@tilda.ws>"):
        p = _parse("Телефон: 89123456789\nСообщение: Нужен лист.\n", frm=frm)
        assert (p.name, p.email) == (None, None), frm


def test_opencart_name_in_from() -> None:
    """OpenCart: the customer's name is the From display name on the shop's address."""
    p = _parse("Сколько стоит лист 3 мм?\nМожно забрать сегодня?",
               frm="Петров Сергей <shop@rostferrum.ru>", reply_to="s.petrov@inbox.ru",
               subject="Enquiry Петров Сергей", headers="X-Mailer: PHP/7.4.33\r\n")
    assert (p.name, p.email, p.create_lead) == ("Петров Сергей", "s.petrov@inbox.ru", True)
    assert p.message == "Сколько стоит лист 3 мм?\nМожно забрать сегодня?"


def test_client_name_in_site_from_keeps_name_field() -> None:
    """A script that puts the client's name on the site's From still gives the name field."""
    p = _parse("Имя: Пётр Сидоров\nТелефон: 89123456789\n",
               frm="Пётр Сидоров <noreply@rostferrum.ru>")
    assert (p.name, p.email) == ("Пётр Сидоров", None)


def test_reply_to_robot_ignored_body_email_used() -> None:
    """A robot Reply-To is skipped; the body's e-mail field is the client's."""
    p = _parse("Имя: Оля\nE-mail: olya@mail.ru\nТелефон: 89123456789\n",
               reply_to="noreply@rostferrum.ru")
    assert p.email == "olya@mail.ru"


def test_invalid_email_goes_apart() -> None:
    """An address the portal would reject is kept as invalid_email, not as email."""
    p = _parse("Имя: Ирина\nТелефон: 89123456789\nE-mail: irina@mail\n")
    assert (p.email, p.invalid_email) == (None, "irina@mail")
    assert to_json(p)["invalid_email"] == "irina@mail"


def test_email_typed_into_phone_field() -> None:
    """An e-mail in the phone field is used as the e-mail; there is no phone."""
    p = _parse("Имя: Ирина\nТелефон: irina@mail.ru\nСообщение: Пишите на почту\n")
    assert (p.phone, p.email) == (None, "irina@mail.ru")


def test_address_typed_into_name_field() -> None:
    """An e-mail address in the name field is no name, but it is the e-mail."""
    p = _parse("Имя: olga@mail.ru\nТелефон: 89123456789\n")
    assert (p.name, p.email) == (None, "olga@mail.ru")


def test_mail_ru_forward_header() -> None:
    """Mail.ru's 'От кого:' forward header is read; the original From is the site."""
    body = ("-------- Пересылаемое сообщение --------\nОт кого: РостФеррум <noreply@rostferrum.ru>"
            "\nКому: sales@rostferrum.ru\nДата: Понедельник, 16 ноября 2026, 10:00 +05:00\n"
            "Тема: Заявка\n\n" + FORM_INNER)
    p = _parse(body, frm="Мария <maria@mail.ru>", subject="Fwd: Заявка")
    assert (p.name, p.phone, p.email) == ("Вадим Крылов", "+79123456789", None)


def test_phone_typed_into_name_field() -> None:
    """A number in the name field of a form without a phone field is the phone."""
    p = _parse("Имя: Иван, 8 912 345-67-89\nСообщение: Перезвоните\n")
    assert (p.name, p.phone) == ("Иван", "+79123456789")


def test_site_senders_option() -> None:
    """options.site_senders marks a sender on another domain as the site, not the client."""
    options = ParseOptions(site_senders=("@forms.rostferrum-mail.example",))
    p = _parse("Телефон: 89123456789\nСообщение: Лист\n", options,
               frm="Заявки <leads@forms.rostferrum-mail.example>")
    assert (p.name, p.email) == (None, None)


def test_public_domain_in_site_senders_keeps_clients() -> None:
    """A public mail domain among the site's senders never hides a client on that domain."""
    options = ParseOptions(site_senders=("@gmail.com", "rostferrum.site@gmail.com"))
    p = _parse("Имя: Оля\nТелефон: 89123456789\n", options,
               frm="Сайт <rostferrum.site@gmail.com>", reply_to="olya@gmail.com")
    assert p.email == "olya@gmail.com"


def test_phone_only_in_message() -> None:
    """Without a phone field, the number written in the message is the phone."""
    p = _parse("От: Иван <ivan@mail.ru>\nТема: КП\n\nСообщение:\nПерезвоните: 8 (912) 345-67-89\n")
    assert (p.phone, p.name, p.email) == ("+79123456789", "Иван", "ivan@mail.ru")


def test_garbage_phone_gives_none() -> None:
    """'не звонить' in the phone field gives no phone and still a lead."""
    p = _parse("Имя: Кирилл\nТелефон: не звонить, только почта\nE-mail: k@gmail.com\n")
    assert (p.phone, p.create_lead) == (None, True)
    assert dict(p.extra) == {"Телефон": "не звонить, только почта"}  # kept for the comment


def test_several_phones_and_extension() -> None:
    """More numbers go to other_phones; the first number's extension to phone_extension."""
    p = _parse("Имя: Ирина\nТелефон: +7(495)123-45-67 доб. 123, 8 912 345-67-89\n")
    assert (p.phone, p.other_phones, p.phone_extension) == (
        "+74951234567", ("+79123456789",), "123")


# --------------------------------------------------------------------- classification


@pytest.mark.parametrize("kind", ["bounce", "auto-reply"])
def test_bounce_and_auto_reply_are_not_forms(kind: str) -> None:
    """Bounces and auto-replies are not forms, whatever form text they carry."""
    p = parse_doc(_doc(CF7_FORM, auto_kind=kind))
    assert (p.is_form, p.create_lead, p.reason, p.phone) == (False, False, kind, None)


def test_bulk_mail_is_not_a_lead() -> None:
    """A newsletter with contact lines in its footer is bulk mail, not a lead."""
    body = ("Скидки на арматуру!\n\nТелефон: +7 (343) 000-11-22\nE-mail: sales@supplier.example\n"
            "Адрес: Екатеринбург\n")
    p = _parse(body, frm="Поставщик <news@supplier.example>", subject="Скидки недели",
               headers="List-Unsubscribe: <mailto:u@supplier.example>\r\nPrecedence: bulk\r\n")
    assert (p.is_form, p.create_lead, p.reason) == (False, False, "bulk mail")


def test_bulk_header_on_a_plain_form_notification() -> None:
    """A form notification sent through a bulk relay is still a lead."""
    p = parse_doc(_doc(CF7_FORM, auto_kind="bulk mail"))
    assert p.create_lead and p.name == "Иван Петров"
    p = parse_doc(_doc("Phone: +7 (912) 345-67-89\n", auto_kind="bulk mail",
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
    p = _parse(body, frm="WordPress <wordpress@rostferrum.ru>", subject=subject,
               headers=headers)
    assert (p.is_form, p.create_lead, p.reason) == (False, False, "system notice")


def test_notice_wording_never_beats_form_fields() -> None:
    """A client's subject that sounds like a notice does not hide a real form."""
    p = _parse(CF7_FORM, subject='РостФеррум "Сброс пароля от личного кабинета"')
    assert p.create_lead
    p = _parse(CF7_FORM, subject="[РостФеррум] Заявка: сброс пароля, комментарий: срочно")
    assert p.create_lead


@pytest.mark.parametrize(
    "body",
    ["<p>Была отправлена пустая форма.</p>", "<p>An empty form was submitted.</p>"],
)
def test_wpforms_empty_form(body: str) -> None:
    """WPForms' empty-form notice is a form but not a lead."""
    p = _parse(body, html=True, subject="Новая запись: Обратная связь")
    assert (p.is_form, p.create_lead, p.reason) == (True, False, "empty form")


def test_empty_form_with_platform_metadata() -> None:
    """Empty client fields plus only the page URL and form name is still an empty form."""
    p = _parse("Имя: \nТелефон: \nСообщение: \n\n---\n\nДата: 16.11.2026\n"
               "Адрес страницы: https://rostferrum.ru/\nФорма: Обратный звонок\n")
    assert (p.is_form, p.create_lead, p.reason) == (True, False, "empty form")


def test_words_empty_form_in_a_message_are_a_lead() -> None:
    """A client who writes about an empty form is still a lead."""
    p = _parse("Имя: Оля\nТелефон: 89123456789\nСообщение: У вас пустая форма на сайте.\n"
               "Была отправлена пустая форма.\n")
    assert p.create_lead and p.reason is None


def test_all_fields_empty_is_empty_form() -> None:
    """A form whose every field is empty is an empty form."""
    body = ("Имя: \nТелефон: \nE-mail: (пусто)\n\nСообщение:\n\n-- \n"
            "Это сообщение отправлено из контактной формы на сайте РостФеррум\n")
    p = _parse(body)
    assert (p.is_form, p.create_lead, p.reason) == (True, False, "empty form")


SPAM = ("Имя: CryptoBonus\nТелефон: +1 000 000 00 00\nE-mail: bonus@promo.example\n\n"
        "Сообщение:\nGet bonus http://a.example/1 http://a.example/2 https://b.example/ "
        "http://c.example/ [url=http://d.example/]casino[/url]\n")


def test_spam_submission() -> None:
    """Many links or BBCode and no valid phone: a spam form, no lead."""
    p = _parse(SPAM)
    assert (p.is_form, p.create_lead, p.spam, p.reason) == (True, False, True, "spam")
    assert p.name == "CryptoBonus" and p.email == "bonus@promo.example"


def test_links_with_a_valid_phone_are_not_spam() -> None:
    """A client who gives a valid phone is never dropped as spam."""
    p = _parse(SPAM.replace("+1 000 000 00 00", "8 912 345 67 89"))
    assert p.create_lead and not p.spam


def test_spam_rule_is_configurable() -> None:
    """spam_max_links and spam_words tune the rule."""
    body = "Имя: Оля\nE-mail: o@x.example\nСообщение: см. http://a.example http://b.example\n"
    assert _parse(body).create_lead
    assert _parse(body, ParseOptions(spam_max_links=1)).spam
    assert _parse("Имя: Оля\nE-mail: o@x.example\nСообщение: Casino bonus\n",
                  ParseOptions(spam_words=("casino",))).spam


def test_unrecognised_layout_is_quarantined() -> None:
    """No client field in any known layout: not a form, quarantined for a person."""
    p = _parse("Добрый день! Высылаем акт сверки за ноябрь.",
               frm="Бухгалтерия <buh@partner.example>", subject="Акт сверки")
    assert (p.is_form, p.create_lead, p.quarantine, p.reason) == (
        False, False, True, "layout not recognised")


def test_letter_with_signature_is_not_a_form() -> None:
    """A person's letter whose signature has 'Тел.:' and 'E-mail:' lines is not a form."""
    body = ("Добрый день!\nНаправляем акт сверки за ноябрь.\n\nС уважением,\nОльга Иванова\n"
            "Тел.: +7 (343) 000-11-22\nE-mail: o.ivanova@partner.example\n")
    p = _parse(body, frm="Ольга Иванова <o.ivanova@partner.example>", subject="Акт сверки")
    assert (p.is_form, p.quarantine, p.reason) == (False, True, "layout not recognised")


def test_closing_words_inside_a_form_message() -> None:
    """'С уважением' inside a form's message does not end the form."""
    p = _parse("Имя: Иван\nСообщение: Нужен лист.\nС уважением, Иван\nКомпания: ООО Лист\n")
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
    p = parse_doc(_doc(text, html=html))
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
    assert isinstance(parse_doc(_doc(body)), ParsedForm)
    assert isinstance(parse_doc(_doc(None, html=body)), ParsedForm)


# --------------------------------------------------------------------- report


def test_report_keys() -> None:
    """to_json gives exactly the SPEC §5 keys, plus the optional ones only when they apply."""
    p = _parse(CF7_FORM)
    out = to_json(p)
    assert set(out) == {"is_form", "create_lead", "name", "phone", "email", "message", "extra",
                        "attachments", "rejected_attachments"}
    dup = to_json(p, duplicate_of="052-double-click-first")
    assert (dup["create_lead"], dup["duplicate_of"], dup["reason"]) == (
        False, "052-double-click-first", "double click")
    spam = to_json(_parse(SPAM))
    assert (spam["spam"], spam["reason"]) == (True, "spam")
    ext = to_json(replace(p, phone_extension="5", other_phones=("+73431234567",)))
    assert (ext["phone_extension"], ext["other_phones"]) == ("5", ["+73431234567"])


def test_quiz_section_heading_is_split_into_questions() -> None:
    """A heading over numbered 'question / answer' paragraphs gives one field per question."""
    body = ("Ответы на вопросы:\n\n1. Какой металл нужен?\nЛист\n\n2. Какой объём?\n5 т\n\n"
            "Контакты:\n\nИмя: Руслан\nТелефон: 89175556677\n")
    p = _parse(body)
    assert dict(p.extra) == {"Какой металл нужен?": "Лист", "Какой объём?": "5 т"}
    assert (p.name, p.phone) == ("Руслан", "+79175556677")


def test_block_of_plain_paragraphs_stays_one_value() -> None:
    """A heading whose paragraphs are not questions keeps its whole block."""
    p = _parse("Имя: Ира\nТелефон: 89175556677\nАдрес:\n\nул. Мира, 5\nкв. 3\n\nподъезд 2\n")
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
    p = _parse("Добрый день! Телефон 8 912 606 70 81.\nНужна такая же решётка.\n",
               frm="Кирилл Волков <k.volkov@mail.ru>", subject="Решётка")
    assert (p.is_form, p.quarantine) == (False, True)


def test_question_and_answer_lines() -> None:
    """'Вопрос: X' then 'Ответ: Y' is the field X: Y (quiz mails in plain text)."""
    p = _parse("Вопрос: Какой профиль нужен?\nОтвет: Труба 80х80\n\nВопрос: Сколько?\nОтвет: 300\n"
               "\nИмя: Глеб\nТелефон: 89125055050\n")
    assert dict(p.extra) == {"Какой профиль нужен?": "Труба 80х80", "Сколько?": "300"}
    assert p.message is None
    p = _parse("Имя: Глеб\nТелефон: 89125055050\nВопрос: Есть ли лист 3 мм?\n")
    assert p.message == "Есть ли лист 3 мм?"


def test_unfilled_input_mask_is_empty() -> None:
    """A phone mask left unfilled ('+7 (___) ___-__-__') is no value, not an extra field."""
    p = _parse("Имя: Ксения\nТелефон: +7 (___) ___-__-__\nE-mail: ksu@ya.ru\n")
    assert (p.phone, p.email, p.extra) == (None, "ksu@ya.ru", ())


def test_platform_view_link_is_a_footer() -> None:
    """'View this submission in your … dashboard: URL' is the platform's, not a field."""
    p = _parse("Message:\nCall me: 8-912-111-22-33.\n\n---\n"
               "View this submission in your Netlify dashboard: https://app.netlify.com/x\n")
    assert p.extra == () and p.phone == "+79121112233"


@pytest.mark.parametrize("tag", ["[your-phone]", "#PHONE#", "[[+phone]]", "{Phone:value}"])
def test_unreplaced_template_tag_is_empty(tag: str) -> None:
    """A CMS tag left in the mail because the form lacks the field is no value."""
    p = _parse(f"Имя: Леонид\nТелефон: {tag}\nE-mail: leonid@x.example\n")
    assert (p.phone, p.extra) == (None, ())


def test_joomla_enquiry_layout() -> None:
    """Joomla com_contact: intro line, 'Name <address>' line, blank line, enquiry text."""
    p = _parse("This is an enquiry e-mail via https://x.example/ from:\n"
               "Ann Lee <ann@lee.example>\n\nNeed 5 t of rebar.\nPhone 8 912 100 20 30.\n")
    assert (p.name, p.email, p.phone) == ("Ann Lee", "ann@lee.example", "+79121002030")
    assert p.message == "Need 5 t of rebar.\nPhone 8 912 100 20 30."


def test_client_label_above_a_rule_is_a_heading() -> None:
    """DLE: 'Текст сообщения' over a dashed rule takes the text under the rule."""
    p = _parse("Имя отправителя: Пётр\n-----------\nТекст сообщения\n-----------\n\n"
               "Нужен лист 2 мм.\n")
    assert (p.name, p.message) == ("Пётр", "Нужен лист 2 мм.")


def test_ip_labels_are_metadata() -> None:
    """'IP отправителя' and 'IP адрес отправителя' are the platform's, not extra fields."""
    assert label_kind("IP отправителя") == "meta"
    assert label_kind("IP адрес отправителя:") == "meta"


def test_one_word_name_beside_surname_is_the_first_name() -> None:
    """'Имя: Лев' + 'Фамилия: Гусев' is 'Лев Гусев'; a full name field is kept as it is."""
    assert _parse("Имя: Лев\nФамилия: Гусев\nТелефон: 89125551215\n").name == "Лев Гусев"
    assert _parse("Фамилия: Гусев\nИмя: Лев\nТелефон: 89125551215\n").name == "Гусев Лев"
    assert _parse("Имя: Лев Гусев\nФамилия: Гусев\nТелефон: 89125551215\n").name == "Лев Гусев"


def test_order_billing_address_block() -> None:
    """A shop order's 'Billing address' block gives name, phone and e-mail; the rest is extra."""
    p = _parse("Order #12\n\nNote: Call first\n\nBilling address\nIvan Ivanov\nul. Lenina 1\n"
               "+79125551230\nivan@x.example\n")
    assert (p.name, p.phone, p.email) == ("Ivan Ivanov", "+79125551230", "ivan@x.example")
    assert dict(p.extra).get("Billing address") == "ul. Lenina 1"


def test_delivery_address_field_without_contacts_is_not_a_block() -> None:
    """A form's own 'Адрес доставки' field (no phone/e-mail under it) stays an extra field."""
    p = _parse("Имя: Олег\nТелефон: 89125551231\n\nАдрес доставки\nг. Курган, ул. Мира 5\n")
    assert p.name == "Олег" and dict(p.extra).get("Адрес доставки") == "г. Курган, ул. Мира 5"


def test_platform_signature_ends_the_message_but_a_client_signature_stays() -> None:
    """'Regards,' + 'Zoho Forms' is the template's; the client's own sign-off is their text."""
    p = _parse("Name : Lucas\nPhone : +33 6 12 34 56 78\nMessage : Price?\n\n"
               "Regards,\nZoho Forms\n")
    assert p.message == "Price?"
    p = _parse("Имя: Иван\nТелефон: 89125551232\nСообщение: Нужен счёт.\n\n"
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
    p = _parse("You have a new website form submission: <br/> <ol><li><b>Имя</b><br/>Тимур</li>"
               "<li><b>Телефон</b><br/>8 917 555 12 02</li><li><b>Email</b><br/>t@bk.ru</li>"
               "</ol>", html=True)
    assert (p.name, p.phone, p.extra) == ("Тимур", "+79175551202", ())


def test_fields_without_labels_read_by_shape() -> None:
    """A placeholder-only form's bare values: name, phone, e-mail and the message by shape."""
    p = _parse("Марина Котова\n+7 912 555-13-10\nm.k@mail.ru\nНужен лист 2 мм.\n\n---\n"
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
    p = _parse("Имя: Глеб | Телефон: 89125551324 | Объём: 5 т\n")
    assert (p.name, p.phone, dict(p.extra)) == ("Глеб", "+79125551324", {"Объём": "5 т"})
    p = _parse("Имя: Глеб\nТелефон: 89125551324\nСообщение: Нужно: арматура; уголок: 5 т\n")
    assert p.message == "Нужно: арматура; уголок: 5 т"
