"""Field extraction from HTML layouts (Ninja Forms, WPForms, Gravity, RSForm, Webflow, LPgenerator)
and from forwarded forms (Russian Thunderbird/Yandex, Outlook, attached letters).
"""

from __future__ import annotations

from bridge.model import Attachment
from bridge.parsing import parse_doc
from bridge.parsing.doc import Address
from bridge.parsing.fields import strip_forward
from bridge.parsing.htmltext import html_to_text, table_pairs
from tests.helpers.fieldmail import FORM_INNER, mail_doc, parse_form

# --------------------------------------------------------------------- HTML layouts


def test_ninja_forms_cell_pairs() -> None:
    """Ninja Forms table: <td>Label:</td><td>value</td>; <br> in a value is a line break."""
    html = ("<table><tr><td>Имя:</td><td>Пётр Иванов</td></tr><tr><td>Телефон:</td>"
            "<td>8 (912) 345-67-89</td></tr><tr><td>Email:</td><td>petr@mail.ru</td></tr>"
            "<tr><td>Сообщение:</td><td>Нужна арматура<br>12 мм &amp; 16 мм</td></tr></table>")
    p = parse_form(html, html=True, subject="Ninja Forms Submission")
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
    p = parse_form(html, html=True)
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
    p = parse_form(html, html=True)
    assert (p.name, p.email) == ("Захаров Николай", "n@mk.example")
    assert dict(p.extra) == {"Файл": "https://x.example/up/v.pdf"}


def test_bold_labels_and_formit_keys() -> None:
    """'<b>Label:</b> value<br>' and FormIt's '<strong>key</strong>: value<br />' both read."""
    p = parse_form("<p><b>Имя:</b> Максим<br><b>Телефон:</b> +7 (922) 111-22-33<br>"
                   "<b>Комментарий:</b> Балка 20Б1</p>", html=True)
    assert (p.name, p.phone, p.message) == ("Максим", "+79221112233", "Балка 20Б1")
    p = parse_form("<p><strong>name</strong>: Гриша<br /><strong>phone</strong>: 8 912 345-67-89"
                   "<br /><strong>product</strong>: Арматура"
                   "<br /><strong>text</strong>: 5 т<br /></p>",
                   html=True)
    assert (p.name, p.phone, p.message) == ("Гриша", "+79123456789", "5 т")
    assert dict(p.extra) == {"product": "Арматура"}


def test_bold_label_without_colon() -> None:
    """'<b>Имя</b> Иван<br>' (no colon) and '<b>Вопрос?</b><br>ответ' are read from the markup."""
    html = ("<p><b>Внимание!</b> Новая заявка</p><p><b>Имя</b> Иван Петров<br><b>Телефон</b>"
            " 8 912 345 67 89<br><b>Сообщение</b> Нужен лист</p>"
            "<p><b>Какая марка стали?</b><br>Ст3</p>")
    p = parse_form(html, html=True)
    assert (p.name, p.phone, p.message) == ("Иван Петров", "+79123456789", "Нужен лист")
    assert dict(p.extra) == {"Какая марка стали?": "Ст3"}


def test_rsform_caption_row_is_not_a_field() -> None:
    """An RSForm table with a 'Поле | Значение' caption row reads its rows, not the caption."""
    html = ("<table><tr><th>Поле</th><th>Значение</th></tr><tr><td>ФИО</td><td>Николаев Пётр"
            "</td></tr><tr><td>Телефон</td><td>+375 29 123-45-67</td></tr><tr><td>Вопрос</td>"
            "<td>Есть доставка в Минск?</td></tr></table>")
    p = parse_form(html, html=True, frm="Joomla <admin@rostferrum.ru>")
    assert (p.name, p.phone, p.message) == ("Николаев Пётр", "+375291234567",
                                            "Есть доставка в Минск?")
    assert p.extra == ()


def test_lpgenerator_table_plus_lines() -> None:
    """A table plus 'Label: value' paragraphs outside it: both are read, IP is dropped."""
    html = ("<p>Новая заявка с сайта</p><table><tr><td><b>Имя</b></td><td>Анна</td></tr>"
            "<tr><td><b>Телефон</b></td><td>+7 912 345 67 89</td></tr></table>"
            "<p>Страница: https://rostferrum.ru/truba/</p><p>IP: 198.51.100.7</p>")
    p = parse_form(html, html=True, frm="LPgenerator <noreply@lpgenerator.ru>")
    assert (p.name, p.phone) == ("Анна", "+79123456789")
    assert dict(p.extra) == {"Страница": "https://rostferrum.ru/truba/"}


def test_html_preferred_over_glued_text_part() -> None:
    """PHPMailer's automatic text part glues cells; the HTML table is read instead."""
    doc = mail_doc("ИмяФёдор НикитинТелефон89123456789",
                   html="<table><tr><td>Имя</td><td>Фёдор Никитин</td></tr>"
                    "<tr><td>Телефон</td><td>89123456789</td></tr></table>")
    p = parse_doc(doc)
    assert (p.name, p.phone) == ("Фёдор Никитин", "+79123456789")


def test_label_paragraph_then_value_paragraph() -> None:
    """Webflow-style '<p><strong>Name</strong></p><p>value</p>' pairs are read."""
    html = ("<p>New submission</p><p><strong>Name</strong></p><p>Oleg</p><p><strong>Phone</strong>"
            "</p><p>89123456789</p><p><strong>Company</strong></p><p></p><p><strong>Message"
            "</strong></p><p>Need sheet.</p>")
    p = parse_form(html, html=True, frm="Webflow <no-reply-forms@webflow.com>")
    assert (p.name, p.phone, p.message) == ("Oleg", "+79123456789", "Need sheet.")


def test_definition_list() -> None:
    """<dl><dt>Label</dt><dd>value</dd></dl> pairs are read."""
    p = parse_form("<dl><dt>Имя</dt><dd>Вера</dd><dt>Телефон</dt><dd>89123456789</dd>"
                   "<dt>Марка</dt><dd>Ст3</dd></dl>", html=True)
    assert (p.name, p.phone, dict(p.extra)) == ("Вера", "+79123456789", {"Марка": "Ст3"})


def test_scripts_styles_and_remote_images_are_dropped() -> None:
    """Script, style and image content never reaches a field."""
    html = ("<style>td{color:red}</style><script>var a='Имя: Хакер';</script>"
            "<div style='display: none'>Имя: Скрытый</div>"
            "<img src='https://x.example/l.png' alt='Логотип'><p>Имя: Лена<br>"
            "Телефон: 89123456789</p>")
    p = parse_form(html, html=True)
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
    p = parse_doc(mail_doc(None, html=html))
    assert (p.name, p.phone) == ("Иван", "+79123456789")


# --------------------------------------------------------------------- forwards


def test_thunderbird_russian_forward() -> None:
    """'-------- Пересылаемое сообщение --------': the forwarded form's Reply-To is the client."""
    body = ("Обработайте заявку.\n\n-------- Пересылаемое сообщение --------\n"
            "Тема: \tЗаявка с сайта\nДата: \tMon, 16 Nov 2026 10:00:00 +0500\n"
            "От: \tРостФеррум <noreply@rostferrum.ru>\nОтветить: \tВадим <vadim@mail.ru>\n"
            "Кому: \tsales@rostferrum.ru\n\n" + FORM_INNER)
    p = parse_form(body, frm="Мария <maria.rf@gmail.com>", subject="Fwd: Заявка с сайта")
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
    p = parse_form(html, html=True, frm="Мария <maria@rostferrum.ru>",
                   subject="Fwd: Заявка с сайта")
    assert (p.name, p.phone, p.email, p.message) == (
        "Вадим Крылов", "+79123456789", "vadim@mail.ru", "Нужен швеллер.")


def test_yandex_forward_with_end_marker() -> None:
    """A Yandex forward ends at its end marker; the forwarder's signature is not read."""
    body = ("\n-------- Пересылаемое сообщение --------\n"
            "16.11.2026, 10:00, \"РостФеррум\" <noreply@rostferrum.ru>:\n\n" + FORM_INNER +
            "\n-------- Конец пересылаемого сообщения --------\n\n--\nМария, менеджер\n"
            "Телефон: +7 343 000-00-00\n")
    p = parse_form(body, frm="Мария <maria.rf@yandex.ru>", subject="Fwd: Заявка")
    assert (p.name, p.phone, p.email) == ("Вадим Крылов", "+79123456789", None)


def test_forwarder_is_never_the_client() -> None:
    """Without any client e-mail in the forwarded form, the forwarder's address is not used."""
    body = ("Клиент звонил.\n\n---------- Forwarded message ---------\n"
            "From: РостФеррум <info@rostferrum.ru>\nDate: Tue, 17 Nov 2026 at 15:58\n"
            "Subject: Заявка\nTo: <sales@rostferrum.ru>\n\n" + FORM_INNER)
    p = parse_form(body, frm="Игорь Лапин <igor.lapin.rf@gmail.com>",
                   reply_to="igor.lapin.rf@gmail.com", subject="Fwd: Заявка")
    assert p.email is None and p.name == "Вадим Крылов"


def test_outlook_inline_forward_headers() -> None:
    """An Outlook 'From:/Sent:/To:/Subject:' block starts the forwarded part."""
    body = ("Передаю.\n\nFrom: РостФеррум <noreply@rostferrum.ru>\nSent: Monday, November 16, "
            "2026 10:00 AM\nTo: sales@rostferrum.ru\nSubject: Заявка\n\n" + FORM_INNER)
    p = parse_form(body, frm="Мария <m.ivanova@rostferrum.ru>", subject="FW: Заявка")
    assert (p.name, p.phone) == ("Вадим Крылов", "+79123456789")
    assert strip_forward("no forward here") is None


def test_outlook_reply_quote_is_not_a_forward() -> None:
    """An Outlook reply quotes our own mail under the same header block: not a forward."""
    body = ("Спасибо, счёт получили.\n\nС уважением, Иван\n\nFrom: Менеджер <m@rostferrum.ru>\n"
            "Sent: Monday, November 16, 2026 10:00 AM\nTo: ivan@client.example\n"
            "Subject: Счёт\n\nИмя: Менеджер\nТелефон: +7 343 000-00-00\n")
    assert strip_forward(body, "RE: Счёт") is None
    assert strip_forward(body, "FW: Счёт") is not None
    p = parse_form(body, frm="Иван <ivan@client.example>", subject="RE: Счёт")
    assert (p.is_form, p.reason) == (False, "layout not recognised")


def test_rfc822_forward_uses_the_inner_message() -> None:
    """A message/rfc822 forward is read from the inner message, with its files."""
    pdf = Attachment("Спецификация.pdf", "application/pdf", b"%PDF-1.4 x")
    inner = mail_doc("Имя: Ахмед\nТелефон: +7 912 345 67 89\nСообщение: Труба.",
                     reply_to=(Address(None, "ahmed@stroy.example"),), attachments=(pdf,))
    outer = mail_doc("Коллеги, обработайте.\n-- \nАнна", frm=Address("Анна", "anna@rostferrum.ru"),
                     forwarded=inner, subject="FW: заявка")
    p = parse_doc(outer)
    assert (p.name, p.email, p.attachments) == ("Ахмед", "ahmed@stroy.example", (pdf,))


def test_attached_letter_that_is_no_form() -> None:
    """When the attached message holds no form, the forwarding message's form is read."""
    inner = mail_doc("Добрый день, пришлите прайс.", frm=Address("Иван", "ivan@client.example"))
    outer = mail_doc(FORM_INNER, forwarded=inner, subject="Заявка с сайта")
    p = parse_doc(outer)
    assert (p.name, p.phone, p.create_lead) == ("Вадим Крылов", "+79123456789", True)
