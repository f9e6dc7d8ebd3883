"""More independent variants: notifications of builders and CMS not in the corpus or test_variants.

Each message is written as the platform's mailer sends it (Joomla/PHPMailer, WordPress
plugins over ``wp_mail()``, 1C-Bitrix, SaaS senders with base64/QP HTML, Russian site
builders), with the extraction a person would agree on under corpus/README.md and the same
comparison as tests/test_variants.py.
"""

from __future__ import annotations

import base64

import pytest

from bridge.parsing import parse_message
from bridge.parsing.report import to_json
from tests.test_variants import (
    PDF,
    PNG,
    WP,
    V,
    _problems,
    alt,
    attachment,
    bitrix,
    html_doc,
    leaf,
    multipart,
    phpmailer,
    rfc2047_name,
    saas,
)

CASES: list[V] = []


def case(v: V) -> None:
    CASES.append(v)


def _b64h(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


def _html(body: str, cte: str = "quoted-printable") -> bytes:
    return leaf("text/html", html_doc(body), cte)


# --- Joomla core com_contact: 'This is an enquiry e-mail via SITE from:' ----------------------
case(V(
    "joomla-com-contact-enquiry",
    phpmailer(leaf("text/plain", (
        "This is an enquiry e-mail via https://rostferrum.ru/ from:\n"
        "Andrei Kovalenko <a.kovalenko@stroyinvest.example>\r\n\r\n"
        "Hello, do you have HEA 200 beams in stock? 12 pcs, 12 m.\n"
        "Call me back: +7 (912) 404-50-60."
    )), subject="RostFerrum: Beams in stock", frm="RostFerrum <noreply@rostferrum.ru>",
        reply_to="Andrei Kovalenko <a.kovalenko@stroyinvest.example>", smtp=True),
    name="Andrei Kovalenko", phone="+79124045060", email="a.kovalenko@stroyinvest.example",
    message="Hello, do you have HEA 200 beams in stock? 12 pcs, 12 m.\n"
            "Call me back: +7 (912) 404-50-60.",
))

# --- WordPress Fluent Forms {all_data}: th label row + td value row ---------------------------
_FF_ROW = ('<tr class="field-label"><th style="padding: 6px 12px; background-color: #f8f8f8; '
           'text-align: left;"><strong>{label}</strong></th></tr><tr class="field-value">'
           '<td style="padding: 6px 12px 12px 12px;">{value}</td></tr>')
case(V(
    "fluent-forms-all-data",
    phpmailer(_html(
        '<table class="ff_all_data" width="600" cellpadding="0" cellspacing="0"><tbody>'
        + _FF_ROW.format(label="Имя", value="Виталий Дроздов")
        + _FF_ROW.format(label="Email", value="v.drozdov@yandex.ru")
        + _FF_ROW.format(label="Телефон", value="+79125551201")
        + _FF_ROW.format(label="Город доставки", value="Челябинск")
        + _FF_ROW.format(label="Сообщение", value="Нужна труба профильная 40х20х2,<br />"
                         "200 м.")
        + "</tbody></table>"
    ), subject="Новая заявка: Контакты", frm=WP, reply_to="v.drozdov@yandex.ru"),
    name="Виталий Дроздов", phone="+79125551201", email="v.drozdov@yandex.ru",
    message="Нужна труба профильная 40х20х2,\n200 м.", extra={"Город доставки": "Челябинск"},
))

# --- Formidable default message: two-cell rows, then user information ------------------------
_FRM_ROW = ('<tr style="background-color:#ffffff;"><td style="text-align:left;color:#555555;'
            'padding:7px 9px;vertical-align:top;border-top:1px solid #dddddd;">{label}</td>'
            '<td style="color:#555555;padding:7px 9px;vertical-align:top;border-top:1px solid '
            '#dddddd;">{value}</td></tr>')
case(V(
    "formidable-default-message",
    phpmailer(_html(
        '<table cellspacing="0" style="font-size:12px;line-height:135%; border-bottom:1px '
        'solid #dddddd;"><tbody>'
        + _FRM_ROW.format(label="Name", value="Maria Lopez")
        + _FRM_ROW.format(label="Email", value="maria.lopez@construct.example")
        + _FRM_ROW.format(label="Phone", value="+49 151 23456780")
        + _FRM_ROW.format(label="Product", value="Sheet piles L-type")
        + _FRM_ROW.format(label="Message", value="Please quote 60 t, delivery Hamburg.")
        + _FRM_ROW.format(label="IP Address", value="198.51.100.23")
        + _FRM_ROW.format(label="User-Agent (Browser/OS)", value="Chrome 119.0 / Windows")
        + _FRM_ROW.format(label="Referrer", value="https://rostferrum.ru/en/contact/")
        + "</tbody></table>"
    ), subject="Contact Us Form submitted on RostFerrum", frm=WP,
        reply_to="maria.lopez@construct.example"),
    name="Maria Lopez", phone="+4915123456780", email="maria.lopez@construct.example",
    message="Please quote 60 t, delivery Hamburg.", extra={"Product": "Sheet piles L-type"},
    absent_extra=("IP Address", "User-Agent (Browser/OS)"),
))

# --- Forminator {all_fields}: an ordered list of <b>Label</b><br/>value -----------------------
case(V(
    "forminator-all-fields-list",
    phpmailer(_html(
        "You have a new website form submission: <br/> <ol>"
        "<li><b>Имя</b><br/>Тимур Ахметов</li>"
        "<li><b>Email</b><br/>t.akhmetov@bk.ru</li>"
        "<li><b>Телефон</b><br/>8 (917) 555-12-02</li>"
        "<li><b>Ваш вопрос</b><br/>Есть ли уголок 75х6 в наличии?<br/>Нужно 3 т.</li>"
        "</ol> <br/>---<br/> This message was sent from https://rostferrum.ru."
    ), subject="Заявка с формы Контакты", frm=WP),
    name="Тимур Ахметов", phone="+79175551202", email="t.akhmetov@bk.ru",
    message="Есть ли уголок 75х6 в наличии?\nНужно 3 т.",
    absent_extra=("You have a new website form submission",),
))

# --- Caldera Forms {summary}: <strong>Label</strong><div>value</div> -------------------------
case(V(
    "caldera-summary",
    phpmailer(_html(
        '<strong>Имя</strong><div style="margin-bottom:20px;">Светлана Орлова</div>'
        '<strong>Телефон</strong><div style="margin-bottom:20px;">+7 912 555 12 03</div>'
        '<strong>Email</strong><div style="margin-bottom:20px;">s.orlova@list.ru</div>'
        '<strong>Компания</strong><div style="margin-bottom:20px;">ООО «Вектор»</div>'
        '<strong>Комментарий</strong><div style="margin-bottom:20px;">Счёт на 2 т '
        'арматуры.</div>'
    ), subject="Заявка", frm=WP, reply_to="s.orlova@list.ru"),
    name="Светлана Орлова", phone="+79125551203", email="s.orlova@list.ru",
    message="Счёт на 2 т арматуры.", extra={"Компания": "ООО «Вектор»"},
))

# --- HubSpot form notification: First/Last name, Phone number --------------------------------
_HS_ROW = ('<tr><td style="padding:4px 0;"><span style="font-weight:600;">{label}:</span> '
           '{value}</td></tr>')
case(V(
    "hubspot-form-submission",
    saas(alt(
        "New form submission on RostFerrum\n\nForm: Contact us\nPage: https://rostferrum.ru/en/\n\n"
        "First Name: Kevin\nLast Name: O'Brien\nEmail: kevin.obrien@buildco.example\n"
        "Phone Number: +1 416 555 0142\nMessage: Need a quote for 20 t of I-beams.\n\n"
        "View contact record: https://app.hubspot.com/contacts/4012345/record/0-1/901\n",
        html_doc(
            "<p>New form submission on RostFerrum</p><table>"
            + _HS_ROW.format(label="Form", value="Contact us")
            + _HS_ROW.format(label="Page", value="https://rostferrum.ru/en/")
            + "</table><table>"
            + _HS_ROW.format(label="First Name", value="Kevin")
            + _HS_ROW.format(label="Last Name", value="O&#39;Brien")
            + _HS_ROW.format(label="Email", value='<a href="mailto:kevin.obrien@buildco.example">'
                             "kevin.obrien@buildco.example</a>")
            + _HS_ROW.format(label="Phone Number", value="+1 416 555 0142")
            + _HS_ROW.format(label="Message", value="Need a quote for 20 t of I-beams.")
            + '</table><p><a href="https://app.hubspot.com/contacts/4012345/record/0-1/901">'
            "View contact record</a></p>"),
        "quoted-printable"),
        subject="New form submission on RostFerrum: Contact us",
        frm="HubSpot <noreply@notifications.hubspot.com>"),
    name="Kevin O'Brien", phone="+14165550142", email="kevin.obrien@buildco.example",
    message="Need a quote for 20 t of I-beams.", absent_extra=("View contact record",),
))

# --- Jotform: questionColumn / valueColumn table, Reply-To = client ---------------------------
_JF_ROW = ('<tr id="row_{n}" class="questionRow"><td class="questionColumn" style="padding:5px '
           '38px 5px 0;color:#000000;font-weight:bold;">{label}</td><td class="valueColumn" '
           'style="padding:5px 38px 5px 0;">{value}</td></tr>')
case(V(
    "jotform-table",
    saas(_html(
        '<table class="mceTable" width="100%" cellpadding="0" cellspacing="0"><tbody>'
        + _JF_ROW.format(n=3, label="Full Name", value="Анна Белова")
        + _JF_ROW.format(n=4, label="E-mail", value='<a href="mailto:anna.belova@gmail.com">'
                         "anna.belova@gmail.com</a>")
        + _JF_ROW.format(n=5, label="Phone Number", value="(912) 555-1204")
        + _JF_ROW.format(n=6, label="Type a question", value="Сколько стоит доставка в Уфу?")
        + "</tbody></table>", "base64"),
        subject="Re: Contact Form", frm="Jotform <noreply@jotform.com>",
        reply_to="anna.belova@gmail.com"),
    # ten digits starting with 9 are a Russian mobile without the trunk prefix
    name="Анна Белова", phone="+79125551204", email="anna.belova@gmail.com",
    extra={"Type a question": "Сколько стоит доставка в Уфу?"},
    message=None,
))

# --- Typeform: bold question paragraph, answer paragraph ------------------------------------
case(V(
    "typeform-new-response",
    saas(alt(
        "New response to Заявка на расчёт\n\nFirst name\nGleb\n\nLast name\nSokolov\n\n"
        "Phone number\n+79125551205\n\nEmail\ng.sokolov@mail.ru\n\nCompany\nСтальМонтаж\n\n"
        "Anything else?\nНужны двутавры 20Б1, 6 шт.\n",
        html_doc(
            "<h2>New response to Заявка на расчёт</h2>"
            "<p><strong>First name</strong></p><p>Gleb</p>"
            "<p><strong>Last name</strong></p><p>Sokolov</p>"
            "<p><strong>Phone number</strong></p><p>+79125551205</p>"
            "<p><strong>Email</strong></p><p>g.sokolov@mail.ru</p>"
            "<p><strong>Company</strong></p><p>СтальМонтаж</p>"
            "<p><strong>Anything else?</strong></p><p>Нужны двутавры 20Б1, 6 шт.</p>"),
        "base64"),
        subject="New response: Заявка на расчёт",
        frm="Typeform <notifications@typeform.com>"),
    name="Gleb Sokolov", phone="+79125551205", email="g.sokolov@mail.ru",
    extra={"Company": "СтальМонтаж", "Anything else?": "Нужны двутавры 20Б1, 6 шт."},
))

# --- Google Forms via the 'Email Notifications for Google Forms' add-on ----------------------
_GFO_ROW = ('<tr><td style="padding:8px;border:1px solid #ddd;"><strong>{label}</strong></td>'
            '<td style="padding:8px;border:1px solid #ddd;">{value}</td></tr>')
case(V(
    "google-forms-addon-table",
    saas(_html(
        "<p>A new response was submitted to your form.</p><table>"
        + _GFO_ROW.format(label="Отметка времени", value="16.11.2026 10:15:30")
        + _GFO_ROW.format(label="Адрес электронной почты", value="r.nazarov@yandex.ru")
        + _GFO_ROW.format(label="Ваше имя", value="Руслан Назаров")
        + _GFO_ROW.format(label="Номер телефона", value="89125551206")
        + _GFO_ROW.format(label="Что нужно?", value="Лист г/к 10 мм, 4 листа")
        + "</table>", "base64"),
        subject="Заявка на металл [Response #17]",
        frm="Form Notifications <forms-receipts-noreply@google.com>"),
    name="Руслан Назаров", phone="+79125551206", email="r.nazarov@yandex.ru",
    extra={"Что нужно?": "Лист г/к 10 мм, 4 листа"}, absent_extra=("Отметка времени",),
))

# --- Squarespace form submission (plain text alternative + HTML) ----------------------------
case(V(
    "squarespace-form-submission",
    saas(alt(
        "Form Submission - Contact - RostFerrum\n\nSent via form submission from RostFerrum\n\n"
        "Name: Oliver Grant\n\nEmail Address: oliver.grant@metalworks.example\n\n"
        "Phone: +44 20 7946 0321\n\nSubject: Steel plates\n\n"
        "Message: Do you export S355 plates to the UK?\n\n"
        "(Sent via RostFerrum <https://rostferrum.squarespace.com>)\n",
        html_doc(
            "<h1>Form Submission - Contact - RostFerrum</h1>"
            "<p>Sent via form submission from <a href=\"https://rostferrum.squarespace.com\">"
            "RostFerrum</a></p>"
            "<p><strong>Name:</strong> Oliver Grant</p>"
            "<p><strong>Email Address:</strong> oliver.grant@metalworks.example</p>"
            "<p><strong>Phone:</strong> +44 20 7946 0321</p>"
            "<p><strong>Subject:</strong> Steel plates</p>"
            "<p><strong>Message:</strong> Do you export S355 plates to the UK?</p>"),
        "quoted-printable"),
        subject="Form Submission - Contact - RostFerrum",
        frm="Squarespace <form-submission@squarespace.info>",
        reply_to="oliver.grant@metalworks.example"),
    name="Oliver Grant", phone="+442079460321", email="oliver.grant@metalworks.example",
    message="Do you export S355 plates to the UK?",
))

# --- Weebly: table with First Name / Last Name / Comment ------------------------------------
_WB_ROW = ('<tr><td style="font-weight:bold;padding:4px 10px 4px 0;vertical-align:top;">'
           '{label}</td><td style="padding:4px 0;">{value}</td></tr>')
case(V(
    "weebly-new-form-submission",
    saas(_html(
        "<p>You've received a new form submission from your website.</p><table>"
        + _WB_ROW.format(label="First Name", value="Дарья")
        + _WB_ROW.format(label="Last Name", value="Комарова")
        + _WB_ROW.format(label="Email", value="d.komarova@rambler.ru")
        + _WB_ROW.format(label="Phone", value="+7-912-555-12-07")
        + _WB_ROW.format(label="Comment", value="Интересует сетка кладочная 50х50.")
        + "</table><p>Weebly</p>", "quoted-printable"),
        subject="New Form Entry: Contact Form", frm="Weebly <no-reply@weebly.com>"),
    name="Дарья Комарова", phone="+79125551207", email="d.komarova@rambler.ru",
    message="Интересует сетка кладочная 50х50.",
))

# --- Shopify contact form: Country Code / Name / Email / Phone / Body --------------------------
case(V(
    "shopify-contact-form",
    saas(alt(
        "You received a new message from your online store's contact form.\n\n"
        "Country Code:\nRU\n\nName:\nЕгор Лапин\n\nEmail:\ne.lapin@inbox.ru\n\n"
        "Phone:\n+7 912 555-12-08\n\nBody:\nЕсть ли у вас арматура 16 мм?\nНужно 5 т.\n",
        html_doc(
            "<p>You received a new message from your online store's contact form.</p>"
            "<table><tr><td><b>Country Code:</b></td><td>RU</td></tr>"
            "<tr><td><b>Name:</b></td><td>Егор Лапин</td></tr>"
            "<tr><td><b>Email:</b></td><td>e.lapin@inbox.ru</td></tr>"
            "<tr><td><b>Phone:</b></td><td>+7 912 555-12-08</td></tr>"
            "<tr><td><b>Body:</b></td><td>Есть ли у вас арматура 16 мм?<br>Нужно 5 т.</td>"
            "</tr></table>"),
        "quoted-printable"),
        subject="[RostFerrum Shop] New customer message on November 16, 2026 at 10:15 am",
        frm="RostFerrum Shop <mailer@shopify.com>", reply_to="e.lapin@inbox.ru"),
    name="Егор Лапин", phone="+79125551208", email="e.lapin@inbox.ru",
    message="Есть ли у вас арматура 16 мм?\nНужно 5 т.", extra={"Country Code": "RU"},
))

# --- uCoz 'Сообщение с сайта' (windows-1251, 8bit) -------------------------------------------
_UCOZ = (
    "Сообщение с сайта rostferrum.ucoz.ru\n\n"
    "Имя отправителя: Захар Ефимов\n"
    "E-mail отправителя: z.efimov@mail.ru\n"
    "Тема: Заказ\n"
    "Телефон: 8 912 555 12 09\n"
    "Текст сообщения: Прошу выставить счёт на швеллер 10П, 2 т.\n\n"
    "IP отправителя: 198.51.100.91\n"
    "Дата: 16.11.2026 10:15\n"
)
case(V(
    "ucoz-message-from-site",
    (("Return-Path: <noreply@ucoz.net>\r\nDelivered-To: sales@rostferrum.ru\r\n"
      "From: =?windows-1251?B?" + base64.b64encode("Сайт".encode("cp1251")).decode()
      + "?= <noreply@ucoz.net>\r\nTo: sales@rostferrum.ru\r\n"
      "Subject: =?windows-1251?B?" + base64.b64encode(
          "Сообщение с сайта rostferrum.ucoz.ru".encode("cp1251")).decode() + "?=\r\n"
      "Reply-To: z.efimov@mail.ru\r\nDate: Mon, 16 Nov 2026 10:15:33 +0300\r\n"
      "MIME-Version: 1.0\r\n").encode()
     + leaf("text/plain", _UCOZ, "8bit", "windows-1251")),
    name="Захар Ефимов", phone="+79125551209", email="z.efimov@mail.ru",
    message="Прошу выставить счёт на швеллер 10П, 2 т.",
    absent_extra=("IP отправителя",),
))

# --- Nethouse: HTML paragraphs with bold labels -----------------------------------------------
case(V(
    "nethouse-new-request",
    saas(_html(
        "<h3>Новая заявка с сайта rostferrum.nethouse.ru</h3>"
        "<p><b>Форма:</b> Обратный звонок</p>"
        "<p><b>Имя:</b> Полина Рябова</p>"
        "<p><b>Телефон:</b> +7 (912) 555-12-10</p>"
        "<p><b>E-mail:</b> p.ryabova@yandex.ru</p>"
        "<p><b>Комментарий:</b> Перезвоните после 14:00</p>"
        "<p>Страница: https://rostferrum.nethouse.ru/contacts</p>", "base64"),
        subject="Новая заявка с сайта", frm="Nethouse <noreply@nethouse.ru>"),
    name="Полина Рябова", phone="+79125551210", email="p.ryabova@yandex.ru",
    message="Перезвоните после 14:00",
    extra={"Форма": "Обратный звонок", "Страница": "https://rostferrum.nethouse.ru/contacts"},
))

# --- Craftum: label/value table, UTM rows -----------------------------------------------------
_CR_ROW = ('<tr><td style="color:#8a8a8a;width:35%;padding:6px 0;">{label}</td>'
           '<td style="padding:6px 0;">{value}</td></tr>')
case(V(
    "craftum-form-table",
    saas(_html(
        "<h2>Новая заявка с формы «Рассчитать стоимость»</h2><table>"
        + _CR_ROW.format(label="Имя", value="Станислав")
        + _CR_ROW.format(label="Телефон", value="+7 912 555-12-11")
        + _CR_ROW.format(label="Вид металлопроката", value="Профнастил")
        + _CR_ROW.format(label="utm_source", value="yandex")
        + _CR_ROW.format(label="utm_campaign", value="profnastil_ekb")
        + "</table><p>Письмо отправлено сервисом Craftum</p>", "quoted-printable"),
        subject="Новая заявка с сайта rostferrum.craftum.io",
        frm="Craftum <noreply@craftum.com>"),
    name="Станислав", phone="+79125551211",
    extra={"Вид металлопроката": "Профнастил", "utm_source": "yandex",
           "utm_campaign": "profnastil_ekb"},
))

# --- Taplink: plain 'Label: value' with the page and the block ----------------------------------
case(V(
    "taplink-plain",
    saas(leaf("text/plain", (
        "Новая заявка на странице taplink.cc/rostferrum\n\n"
        "Имя: Вероника\nТелефон: +79125551212\nКомментарий: Нужен прайс на арматуру\n\n"
        "Перейти к заявкам: https://taplink.cc/profile/123/statistics/leads/\n"
    ), "base64"), subject="Новая заявка", frm="Taplink <noreply@taplink.cc>"),
    name="Вероника", phone="+79125551212", message="Нужен прайс на арматуру",
    absent_extra=("Перейти к заявкам",),
))

# --- Creatium: 'Label: value<br>' plus source and UTM -----------------------------------------
case(V(
    "creatium-br-lines",
    saas(_html(
        "Заявка с сайта rostferrum.ru<br><br>"
        "Имя: Мирон Фомин<br>Телефон: 8 912 555 12 13<br>Email: m.fomin@gmail.com<br>"
        "Сообщение: Нужна резка листа в размер<br><br>"
        "Источник: Яндекс Директ<br>utm_medium: cpc<br>"
        "Страница: https://rostferrum.ru/rezka/<br>"
    ), subject="Заявка с сайта rostferrum.ru", frm="Creatium <robot@creatium.io>"),
    name="Мирон Фомин", phone="+79125551213", email="m.fomin@gmail.com",
    message="Нужна резка листа в размер",
    extra={"utm_medium": "cpc", "Страница": "https://rostferrum.ru/rezka/"},
))

# --- Mottor / LPmotor: 'Ваше имя' / 'Ваш телефон' and a form name --------------------------------
case(V(
    "lpmotor-request",
    saas(_html(
        "<p>Новая заявка с сайта <b>rostferrum.lpmotor.ru</b></p>"
        "<p>Форма: Получить прайс</p>"
        "<p>Ваше имя: Ярослав<br>Ваш телефон: +7 (912) 555-12-14<br>"
        "Ваш e-mail: yaroslav.t@bk.ru</p>"
        "<p>utm_source: vk<br>utm_content: banner_2</p>", "base64"),
        subject="Новая заявка с сайта rostferrum.lpmotor.ru",
        frm="LPmotor <noreply@lpmotor.ru>"),
    name="Ярослав", phone="+79125551214", email="yaroslav.t@bk.ru",
    extra={"Форма": "Получить прайс", "utm_source": "vk", "utm_content": "banner_2"},
))

# --- Bitrix24 CRM site form: Имя + Фамилия are one client ---------------------------------------
case(V(
    "bitrix24-crm-form",
    saas(_html(
        "<p>Заполнена CRM-форма «Обратная связь» на сайте rostferrum.bitrix24.site</p>"
        "<p>Имя: Лев<br>Фамилия: Гусев<br>Телефон: +7 912 555-12-15<br>"
        "E-mail: lev.gusev@mail.ru<br>Комментарий: Нужен уголок 63х5, 1 т</p>",
        "quoted-printable"),
        subject="Заполнена CRM-форма «Обратная связь»",
        frm="Битрикс24 <no-reply@bitrix24.ru>"),
    name="Лев Гусев", phone="+79125551215", email="lev.gusev@mail.ru",
    message="Нужен уголок 63х5, 1 т",
))

# --- InSales feedback form --------------------------------------------------------------------
case(V(
    "insales-feedback",
    saas(_html(
        "<p>Новое сообщение из формы обратной связи магазина «РостФеррум»</p>"
        "<table><tr><td>Имя:</td><td>Арина Лосева</td></tr>"
        "<tr><td>Email:</td><td>arina.loseva@yandex.ru</td></tr>"
        "<tr><td>Телефон:</td><td>89125551216</td></tr>"
        "<tr><td>Тема:</td><td>Доставка</td></tr>"
        "<tr><td>Сообщение:</td><td>Доставляете ли в Тюмень?</td></tr></table>", "base64"),
        subject="Сообщение из формы обратной связи", frm="InSales <noreply@insales.ru>",
        reply_to="arina.loseva@yandex.ru"),
    name="Арина Лосева", phone="+79125551216", email="arina.loseva@yandex.ru",
    message="Доставляете ли в Тюмень?",
))

# --- 1C-Bitrix main.feedback, UTF-8, template with custom fields and a file --------------------
case(V(
    "bitrix-feedback-utf8-custom-fields",
    bitrix(
        "Информационное сообщение сайта РостФеррум\n"
        "------------------------------------------\n\n"
        "Вам было отправлено сообщение через форму обратной связи\n\n"
        "Автор: Кузьмин Олег Петрович\n"
        "E-mail автора: o.kuzmin@uralstal.example\n"
        "Телефон: +7 (343) 555-12-17\n"
        "Компания: АО «УралСталь»\n\n"
        "Текст сообщения:\nПрошу КП на арматуру по спецификации во вложении.\n\n"
        "Сообщение сгенерировано автоматически.\n",
        subject="РостФеррум: Сообщение из формы обратной связи", event="FEEDBACK_FORM",
        charset="UTF-8",
        files=[attachment(rfc2047_name("спецификация.pdf"), PDF, "application/pdf")]),
    name="Кузьмин Олег Петрович", phone="+73435551217", email="o.kuzmin@uralstal.example",
    message="Прошу КП на арматуру по спецификации во вложении.",
    extra={"Компания": "АО «УралСталь»"}, files=[("спецификация.pdf", PDF)],
))

# --- MODX Evolution eForm report: two-cell table with trailing colons ------------------------
case(V(
    "modx-evo-eform-report",
    phpmailer(leaf("text/html", (
        "<p>This form was submitted on 16.11.2026 at 10:15</p>"
        '<table class="eform"><tr valign="top"><td>Your name:</td><td>Nikolai Ivanov</td></tr>'
        '<tr valign="top"><td>Your Email Address:</td><td>n.ivanov@inbox.ru</td></tr>'
        '<tr valign="top"><td>Phone:</td><td>8-912-555-12-18</td></tr>'
        '<tr valign="top"><td>Regarding:</td><td>Price list</td></tr>'
        '<tr valign="top"><td>Message:</td><td>Send me the price list for pipes.</td></tr>'
        "</table>"
    )), subject="Contact form", frm="RostFerrum <noreply@rostferrum.ru>", smtp=True),
    name="Nikolai Ivanov", phone="+79125551218", email="n.ivanov@inbox.ru",
    message="Send me the price list for pipes.",
))

# --- DataLife Engine feedback, windows-1251 --------------------------------------------------
_DLE = (
    "Уважаемый admin,\n\n"
    "это письмо отправлено вам с сайта https://rostferrum.ru/ через форму обратной связи.\n\n"
    "------------------------------------------------\n"
    "Логин отправителя: Гость\n"
    "Имя отправителя: Пётр Голованов\n"
    "E-mail отправителя: p.golovanov@mail.ru\n"
    "IP адрес отправителя: 198.51.100.92\n"
    "Тема сообщения: Заказ металла\n"
    "------------------------------------------------\n"
    "Текст сообщения\n"
    "------------------------------------------------\n\n"
    "Нужен лист 2 мм, 30 штук. Телефон 89125551219.\n"
)
case(V(
    "dle-feedback-cp1251",
    phpmailer(leaf("text/plain", _DLE, "8bit", "windows-1251"),
              subject="Заказ металла", frm="RostFerrum <admin@rostferrum.ru>",
              reply_to="p.golovanov@mail.ru"),
    name="Пётр Голованов", phone="+79125551219", email="p.golovanov@mail.ru",
    message="Нужен лист 2 мм, 30 штук. Телефон 89125551219.",
    absent_extra=("IP адрес отправителя",),
))

# --- OpenCart contact with a phone typed in the enquiry text ---------------------------------
case(V(
    "opencart-phone-in-enquiry",
    ("Return-Path: <shop@rostferrum.ru>\r\nDelivered-To: sales@rostferrum.ru\r\n"
     "MIME-Version: 1.0\r\nTo: <sales@rostferrum.ru>\r\n"
     f"Subject: {_b64h('Запрос Ильин Богдан')}\r\n"
     "Date: Mon, 16 Nov 2026 16:22:10 +0500\r\n"
     f"From: {_b64h('Ильин Богдан')} <shop@rostferrum.ru>\r\n"
     f"Reply-To: {_b64h('b.ilin@inbox.ru')} <b.ilin@inbox.ru>\r\n"
     "X-Mailer: PHP/7.4.33\r\n"
     'Content-Type: multipart/mixed; boundary="----=_NextPart_7d1e"\r\n\r\n'
     "------=_NextPart_7d1e\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
     "Content-Transfer-Encoding: 8bit\r\n\r\n"
     "Добрый день! Нужна труба 57х3,5, 100 м. Перезвоните: 8 (912) 555-12-20.\r\n\r\n"
     "------=_NextPart_7d1e--\r\n").encode(),
    name="Ильин Богдан", phone="+79125551220", email="b.ilin@inbox.ru",
    message="Добрый день! Нужна труба 57х3,5, 100 м. Перезвоните: 8 (912) 555-12-20.",
))

# --- CF7 with checkboxes, radio buttons and a date field ------------------------------------
case(V(
    "cf7-checkboxes-radio-date",
    phpmailer(leaf("text/plain", (
        "Имя: Евгения\nТелефон: 8 912 555 12 21\nE-mail: evgenia@metall-snab.example\n"
        "Услуги: Резка, Гибка, Доставка\n"
        "Способ связи: Телефон\n"
        "Желаемая дата доставки: 2026-11-20\n"
        "Сообщение: Лист 3 мм, раскрой по чертежу.\n\n-- \n"
        "Это сообщение отправлено с сайта РостФеррум (https://rostferrum.ru)\n"
    )), subject='РостФеррум "Заявка"', frm=WP, reply_to="evgenia@metall-snab.example"),
    name="Евгения", phone="+79125551221", email="evgenia@metall-snab.example",
    message="Лист 3 мм, раскрой по чертежу.",
    extra={"Услуги": "Резка, Гибка, Доставка", "Способ связи": "Телефон",
           "Желаемая дата доставки": "2026-11-20"},
))

# --- a name field holding the full ФИО and the company -----------------------------------------
case(V(
    "name-fio-and-company",
    phpmailer(_html(
        "Имя: Иванов Иван Иванович, ООО Ромашка<br>Телефон: +7 912 555-12-22<br>"
        "Сообщение: Прошу счёт.<br>"
    ), subject="Заявка", frm=WP),
    name="Иванов Иван Иванович, ООО Ромашка", phone="+79125551222", message="Прошу счёт.",
))

# --- a phone typed with Cyrillic letters (З for 3) is garbage ----------------------------------
case(V(
    "phone-cyrillic-letters-garbage",
    phpmailer(leaf("text/plain", (
        "Имя: Всеволод\nТелефон: 8-912-ЗЗЗ-44-55\nСообщение: Нужен уголок\n"
    )), subject="Заявка", frm=WP),
    name="Всеволод", phone=None, message="Нужен уголок",
))

# --- an e-mail as a mailto link in 'Label: value<br>' lines -----------------------------------
case(V(
    "email-mailto-link-in-br-lines",
    phpmailer(_html(
        'Имя: Алиса<br>Телефон: 89125551223<br>E-mail: <a href="mailto:alisa.k@yandex.ru" '
        'target="_blank">alisa.k@yandex.ru</a><br>Сообщение: Прайс на сетку<br>'
    ), subject="Заявка", frm=WP),
    name="Алиса", phone="+79125551223", email="alisa.k@yandex.ru", message="Прайс на сетку",
))

# --- labels in upper case ----------------------------------------------------------------------
case(V(
    "labels-upper-case",
    phpmailer(leaf("text/plain", (
        "ИМЯ: Семён Кравец\nТЕЛЕФОН: 8 912 555 12 24\nE-MAIL: s.kravets@mail.ru\n"
        "КОМПАНИЯ: ООО «Кровля»\nСООБЩЕНИЕ: Нужен профнастил НС35\n"
    )), subject="ЗАЯВКА С САЙТА", frm="noreply@rostferrum.ru", smtp=True),
    name="Семён Кравец", phone="+79125551224", email="s.kravets@mail.ru",
    message="Нужен профнастил НС35", extra={"КОМПАНИЯ": "ООО «Кровля»"},
))

# --- labels with asterisks and non-breaking spaces -------------------------------------------
case(V(
    "labels-asterisks-and-nbsp",
    phpmailer(_html(
        "<p>Имя*:&nbsp;Влада</p><p>Телефон&nbsp;*:&nbsp;+7&nbsp;912&nbsp;555-12-25</p>"
        "<p>E-mail*: vlada.m@list.ru</p><p>Компания\u00a0*:\u00a0ИП Миронова</p>"
        "<p>Комментарий: Арматура 10 мм</p>"
    ), subject="Заявка", frm=WP),
    name="Влада", phone="+79125551225", email="vlada.m@list.ru", message="Арматура 10 мм",
    extra={"Компания": "ИП Миронова"},
))

# --- 'Label — value' with an em dash ----------------------------------------------------------
case(V(
    "labels-em-dash",
    phpmailer(leaf("text/plain", (
        "Новая заявка с сайта\n\n"
        "Имя — Глеб Тарасов\nТелефон — 8 (912) 555-12-26\nE-mail — g.tarasov@mail.ru\n"
        "Сообщение — Нужна балка 20Б1\n"
    )), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Глеб Тарасов", phone="+79125551226", email="g.tarasov@mail.ru",
    message="Нужна балка 20Б1",
))

# --- tab-separated 'Label<TAB>value' ----------------------------------------------------------
case(V(
    "labels-tab-separated",
    phpmailer(leaf("text/plain", (
        "Заявка с сайта rostferrum.ru\n\n"
        "Имя\tЛюдмила Зайцева\nТелефон\t+7 912 555 12 27\nE-mail\tl.zaitseva@yandex.ru\n"
        "Город\tКурган\nСообщение\tНужен круг 20 мм, 1 т\n"
    )), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Людмила Зайцева", phone="+79125551227", email="l.zaitseva@yandex.ru",
    message="Нужен круг 20 мм, 1 т", extra={"Город": "Курган"},
))

# --- Fluent Forms-style multipart with an upload attached ------------------------------------
case(V(
    "wp-plugin-html-with-png-attachment",
    phpmailer(multipart("mixed", "b1=_ff7", [
        _html("<p><strong>Имя:</strong> Оскар</p><p><strong>Телефон:</strong> 89125551228</p>"
              "<p><strong>Сообщение:</strong> Чертёж во вложении</p>"),
        attachment(rfc2047_name("чертёж.png"), PNG, "image/png"),
    ]), subject="Заявка", frm=WP),
    name="Оскар", phone="+79125551228", message="Чертёж во вложении",
    files=[("чертёж.png", PNG)],
))


# ---------------------------------------------------------------------------- batch 2

# --- Joomla com_contact on a Russian site, Joomla 4 custom fields after the text -----------------
case(V(
    "joomla-com-contact-russian-custom-fields",
    phpmailer(leaf("text/plain", (
        "Это сообщение было отправлено через https://rostferrum.ru/ пользователем:\n"
        "Тихон Зуев <t.zuev@mail.ru>\r\n\r\n"
        "Нужен лист нержавеющий AISI 304, 2 мм, 10 листов."
    )), subject="РостФеррум: Нержавейка", frm="РостФеррум <noreply@rostferrum.ru>",
        reply_to="Тихон Зуев <t.zuev@mail.ru>", smtp=True),
    name="Тихон Зуев", phone=None, email="t.zuev@mail.ru",
    message="Нужен лист нержавеющий AISI 304, 2 мм, 10 листов.",
))

# --- WooCommerce 'New order' with a customer note and the billing address --------------------
_WOO = (
    "<p>You’ve received the following order from Ilya Markov:</p>"
    "<h2>[Order #4127] (November 16, 2026)</h2>"
    '<table class="td" cellspacing="0" cellpadding="6" border="1"><thead><tr>'
    '<th class="td">Product</th><th class="td">Quantity</th><th class="td">Price</th></tr>'
    "</thead><tbody><tr class=\"order_item\"><td class=\"td\">Rebar A500C 12 mm</td>"
    '<td class="td">2</td><td class="td"><span class="woocommerce-Price-amount amount">'
    "96 000,00&nbsp;₽</span></td></tr></tbody><tfoot>"
    '<tr><th class="td" scope="row" colspan="2">Subtotal:</th><td class="td">96 000,00&nbsp;₽'
    "</td></tr>"
    '<tr><th class="td" scope="row" colspan="2">Payment method:</th><td class="td">'
    "Bank transfer</td></tr>"
    '<tr><th class="td" scope="row" colspan="2">Total:</th><td class="td">96 000,00&nbsp;₽'
    "</td></tr>"
    '<tr><th class="td" scope="row" colspan="2">Note:</th><td class="td">Deliver after 12:00,'
    " please.</td></tr></tfoot></table>"
    '<table id="addresses"><tr><td><h2>Billing address</h2><address class="address">'
    "Ilya Markov<br/>Metallbaza LLC<br/>ul. Lenina 1<br/>Yekaterinburg<br/>620000<br/>"
    '<a href="tel:+79125551230">+79125551230</a><br/>'
    '<a href="mailto:i.markov@metallbaza.example">i.markov@metallbaza.example</a>'
    "</address></td></tr></table>"
)
case(V(
    "woocommerce-new-order-note",
    phpmailer(_html(_WOO), subject="[RostFerrum]: New order #4127", frm=WP),
    name="Ilya Markov", phone="+79125551230", email="i.markov@metallbaza.example",
    message="Deliver after 12:00, please.",
    extra={"Billing address": "Metallbaza LLC\nul. Lenina 1\nYekaterinburg\n620000"},
))

# --- Typeform with question labels ---------------------------------------------------------------
case(V(
    "typeform-question-labels",
    saas(alt(
        "New response to Quote\n\nWhat's your name?\nHenrik Larsen\n\n"
        "What's your phone number?\n+45 20 12 34 56\n\nAnd your email?\n"
        "henrik@byg.example\n\nWhat do you need?\nHEB 240 beams, 8 pcs\n",
        html_doc(
            "<h2>New response to Quote</h2>"
            "<p><strong>What&#39;s your name?</strong></p><p>Henrik Larsen</p>"
            "<p><strong>What&#39;s your phone number?</strong></p><p>+45 20 12 34 56</p>"
            "<p><strong>And your email?</strong></p><p>henrik@byg.example</p>"
            "<p><strong>What do you need?</strong></p><p>HEB 240 beams, 8 pcs</p>"),
        "base64"),
        subject="New response: Quote", frm="Typeform <notifications@typeform.com>"),
    name="Henrik Larsen", phone="+4520123456", email="henrik@byg.example",
    extra={"What do you need?": "HEB 240 beams, 8 pcs"},
))

# --- Wufoo: th label / td value rows -------------------------------------------------------------
case(V(
    "wufoo-th-td-table",
    saas(_html(
        '<table cellpadding="0" cellspacing="0" border="0"><tbody>'
        '<tr><th style="text-align:left;padding:7px 9px;">Name</th>'
        '<td style="padding:7px 9px;">Paulina Nowak</td></tr>'
        '<tr><th style="text-align:left;padding:7px 9px;">Email</th>'
        '<td style="padding:7px 9px;"><a href="mailto:p.nowak@stal.example">'
        "p.nowak@stal.example</a></td></tr>"
        '<tr><th style="text-align:left;padding:7px 9px;">Phone Number</th>'
        '<td style="padding:7px 9px;">+48 601 234 567</td></tr>'
        '<tr><th style="text-align:left;padding:7px 9px;">Message</th>'
        '<td style="padding:7px 9px;">Need 12 t of angle bar 50x5.</td></tr>'
        "</tbody></table>", "quoted-printable"),
        subject="Contact Form [#12]", frm="Wufoo <no-reply@wufoo.com>",
        reply_to="p.nowak@stal.example"),
    name="Paulina Nowak", phone="+48601234567", email="p.nowak@stal.example",
    message="Need 12 t of angle bar 50x5.",
))

# --- value on the next line after a bold label in the same paragraph ---------------------------
case(V(
    "bold-label-br-value",
    phpmailer(_html(
        "<p><b>Имя:</b><br>Кира Савельева</p><p><b>Телефон:</b><br>+7 912 555-12-31</p>"
        "<p><b>Сообщение:</b><br>Нужна арматура 8 мм, 500 кг.<br>Самовывоз.</p>"
    ), subject="Заявка", frm=WP),
    name="Кира Савельева", phone="+79125551231",
    message="Нужна арматура 8 мм, 500 кг.\nСамовывоз.",
))

# --- <dl> list (uKit / Webnode style) ------------------------------------------------------------
case(V(
    "definition-list",
    saas(_html(
        "<h3>Новая заявка с сайта</h3><dl>"
        "<dt>Имя</dt><dd>Фёдор Киселёв</dd><dt>Телефон</dt><dd>8 912 555 12 32</dd>"
        "<dt>Email</dt><dd>f.kiselev@yandex.ru</dd><dt>Комментарий</dt><dd>Балка 30Б1</dd>"
        "</dl>", "base64"),
        subject="Новая заявка", frm="uKit <noreply@ukit.com>"),
    name="Фёдор Киселёв", phone="+79125551232", email="f.kiselev@yandex.ru",
    message="Балка 30Б1",
))

# --- amoCRM-style: Фамилия printed before Имя -------------------------------------------------
case(V(
    "surname-before-first-name",
    saas(leaf("text/plain", (
        "Новая заявка с формы «Консультация»\n\n"
        "Фамилия: Мельников\nИмя: Артур\nТелефон: +7 912 555 12 33\n"
        "Email: a.melnikov@gmail.com\n"
    ), "base64"), subject="Новая заявка", frm="amoCRM <noreply@amocrm.ru>"),
    name="Мельников Артур", phone="+79125551233", email="a.melnikov@gmail.com",
))

# --- Zoho Forms: 'Name' with nested First / Last lines -----------------------------------------
case(V(
    "zoho-forms-plain",
    saas(leaf("text/plain", (
        "Hi,\n\nYou have a new entry for the form Contact Us.\n\n"
        "Name : Lucas Moreau\nEmail : lucas.moreau@acier.example\n"
        "Phone : +33 6 12 34 56 78\nMessage : Prix pour 5 t de tôle 3 mm ?\n\n"
        "Regards,\nZoho Forms\n"
    ), "quoted-printable"), subject="New entry: Contact Us",
        frm="Zoho Forms <notification@zohoforms.com>"),
    name="Lucas Moreau", phone="+33612345678", email="lucas.moreau@acier.example",
    message="Prix pour 5 t de tôle 3 mm ?",
))

# --- Cyrillic О for zero inside a phone is garbage, the real number is in the message ----------
case(V(
    "phone-cyrillic-o-garbage-number-in-message",
    phpmailer(leaf("text/plain", (
        "Имя: Игнат\nТелефон: 8 912 555 12 ОЗ\n"
        "Сообщение: Если не дозвонитесь, пишите на почту.\n"
    )), subject="Заявка", frm=WP),
    name="Игнат", phone=None, message="Если не дозвонитесь, пишите на почту.",
))


# ---------------------------------------------------------------------------- batch 3

# --- WooCommerce in Russian: 'Платёжный адрес' without links, 'Примечание:' -------------------
case(V(
    "woocommerce-russian-billing-block",
    phpmailer(_html(
        "<p>Вы получили заказ от Иванова Петра:</p><h2>[Заказ №4130] (16.11.2026)</h2>"
        '<table class="td"><thead><tr><th>Товар</th><th>Количество</th><th>Цена</th></tr>'
        "</thead><tbody><tr><td>Швеллер 12П</td><td>10</td><td>54 000,00&nbsp;₽</td></tr>"
        "</tbody><tfoot><tr><th colspan=\"2\">Итого:</th><td>54 000,00&nbsp;₽</td></tr>"
        "<tr><th colspan=\"2\">Примечание:</th><td>Нужна доставка манипулятором.</td></tr>"
        "</tfoot></table>"
        "<h2>Платёжный адрес</h2><address>Пётр Иванов<br/>ООО «Стройка»<br/>"
        "Екатеринбург<br/>89125551240<br/>p.ivanov@stroyka.example</address>"
        "<h2>Адрес доставки</h2><address>Пётр Иванов<br/>ул. Фронтовых бригад, 18</address>"
    ), subject="[РостФеррум]: Новый заказ #4130", frm=WP),
    name="Пётр Иванов", phone="+79125551240", email="p.ivanov@stroyka.example",
    message="Нужна доставка манипулятором.",
))

# --- emoji in front of the labels (Taplink / Marquiz style) ------------------------------------
case(V(
    "emoji-before-labels",
    saas(leaf("text/plain", (
        "🔥 Новая заявка!\n\n👤 Имя: Ростислав\n📞 Телефон: +7 912 555-12-41\n"
        "✉️ Email: rostislav@mail.ru\n💬 Комментарий: Нужен расчёт кровли\n"
    ), "base64"), subject="Новая заявка", frm="Taplink <noreply@taplink.cc>"),
    name="Ростислав", phone="+79125551241", email="rostislav@mail.ru",
    message="Нужен расчёт кровли",
))

# --- a non-breaking hyphen and a non-breaking space inside labels -------------------------------
case(V(
    "labels-nonbreaking-hyphen-and-space",
    phpmailer(leaf("text/plain", (
        "Ваше\u00a0имя: Арсений\nНомер\u00a0телефона: 8 912 555 12 42\n"
        "E\u2011mail: arseniy@yandex.ru\nСообщение: Счёт на трубу\n"
    )), subject="Заявка", frm=WP),
    name="Арсений", phone="+79125551242", email="arseniy@yandex.ru", message="Счёт на трубу",
    absent_extra=("E\u2011mail",),
))

# --- 'Label — value' paragraphs in HTML --------------------------------------------------------
case(V(
    "labels-em-dash-html",
    saas(_html(
        "<p>Имя — Лилия Ковалёва</p><p>Телефон — +7 (912) 555-12-43</p>"
        "<p>Почта — liliya.k@bk.ru</p><p>Комментарий — Лист 1,5 мм, 20 шт.</p>",
        "base64"), subject="Заявка с сайта", frm="Сайт <noreply@rostferrum.ru>"),
    name="Лилия Ковалёва", phone="+79125551243", email="liliya.k@bk.ru",
    message="Лист 1,5 мм, 20 шт.",
))

# --- tab-separated with colons and an unknown extra -------------------------------------------
case(V(
    "labels-tab-with-colons",
    phpmailer(leaf("text/plain", (
        "Имя:\tДенис Абрамов\nТелефон:\t+375 29 555-12-44\nE-mail:\td.abramov@tut.by\n"
        "Объём:\t12 т\nКомментарий:\tДоставка в Минск\n"
    )), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Денис Абрамов", phone="+375295551244", email="d.abramov@tut.by",
    message="Доставка в Минск", extra={"Объём": "12 т"},
))

# --- HubSpot 'Mobile phone number' and e-mail in Reply-To only --------------------------------
case(V(
    "hubspot-mobile-phone-label",
    saas(leaf("text/plain", (
        "New form submission on RostFerrum\n\nFirst name: Priya\nLast name: Sharma\n"
        "Mobile phone number: +91 98765 43210\nEmail: priya.sharma@infra.example\n"
        "Company name: Infra Build Pvt Ltd\nMessage: Need a quote for TMT bars.\n\n"
        "View contact record: https://app.hubspot.com/contacts/4012345/record/0-1/902\n"
    ), "quoted-printable"), subject="New form submission on RostFerrum",
        frm="HubSpot <noreply@notifications.hubspot.com>"),
    name="Priya Sharma", phone="+919876543210", email="priya.sharma@infra.example",
    message="Need a quote for TMT bars.", extra={"Company name": "Infra Build Pvt Ltd"},
))

# --- Mobirise formoid: lower-case keys in a two-column table -----------------------------------
case(V(
    "mobirise-lowercase-keys-table",
    phpmailer(_html(
        "<table><tr><td><b>name</b></td><td>Святослав Рыбин</td></tr>"
        "<tr><td><b>phone</b></td><td>+7 912 555 12 45</td></tr>"
        "<tr><td><b>email</b></td><td>s.rybin@gmail.com</td></tr>"
        "<tr><td><b>message</b></td><td>Сетка рабица, 10 рулонов</td></tr></table>"
    ), subject="Mobirise form", frm="noreply@rostferrum.ru", smtp=True),
    name="Святослав Рыбин", phone="+79125551245", email="s.rybin@gmail.com",
    message="Сетка рабица, 10 рулонов",
))

# --- Russian Caldera/Contact-form with 'ТЕЛЕФОН*' heading lines (label, value on next line) -----
case(V(
    "uppercase-asterisk-label-lines",
    phpmailer(leaf("text/plain", (
        "ВАШЕ ИМЯ*\nЗлата\n\nТЕЛЕФОН*\n+7 912 555 12 46\n\nE-MAIL\nzlata@list.ru\n\n"
        "ВАШ ВОПРОС\nЕсть ли квадрат 20х20?\n"
    )), subject="Заявка", frm=WP),
    name="Злата", phone="+79125551246", email="zlata@list.ru",
    message="Есть ли квадрат 20х20?",
))


# ---------------------------------------------------------------------------- batch 4

# --- label and value in sibling <div>s (newer builders' card layout) ----------------------------
_CARD = ('<div style="margin-bottom:12px"><div style="color:#888;font-size:12px">{label}</div>'
         '<div style="font-size:15px">{value}</div></div>')
case(V(
    "div-card-label-value",
    saas(_html(
        "<h2>Новая заявка</h2>"
        + _CARD.format(label="Имя", value="Эмиль Гарипов")
        + _CARD.format(label="Телефон", value="+7 912 555-12-52")
        + _CARD.format(label="Email", value="emil.g@mail.ru")
        + _CARD.format(label="Комментарий", value="Нужен лист ПВЛ 506")
        + _CARD.format(label="Страница", value="https://rostferrum.ru/pvl/"),
        "base64"), subject="Новая заявка с сайта", frm="Сайт <noreply@rostferrum.ru>"),
    name="Эмиль Гарипов", phone="+79125551252", email="emil.g@mail.ru",
    message="Нужен лист ПВЛ 506", extra={"Страница": "https://rostferrum.ru/pvl/"},
))

# --- a messenger field: 'WhatsApp/Telegram' is a phone, a Telegram handle is an extra ----------
case(V(
    "messenger-fields",
    phpmailer(leaf("text/plain", (
        "Имя: Марат\nWhatsApp/Telegram: +7 912 555-12-53\nTelegram-ник: @marat_stroy\n"
        "Сообщение: Напишите в мессенджер\n"
    )), subject="Заявка", frm=WP),
    name="Марат", phone="+79125551253", message="Напишите в мессенджер",
    extra={"Telegram-ник": "@marat_stroy"},
))

# --- Formspree with the honeypot and subject keys -----------------------------------------------
case(V(
    "formspree-honeypot-and-subject-keys",
    saas(leaf("text/plain", (
        "Someone just submitted your form on rostferrum.ru.\n\nHere's what they had to say:\n\n"
        "name:\nВасилиса\n\nemail:\nvasilisa@yandex.ru\n\nphone:\n89125551254\n\n"
        "message:\nНужна профтруба 60х40\n\n_subject:\nЗаявка с лендинга\n\n"
        "Submitted 10:15 AM - 16 November 2026\n"
    ), "8bit"), subject="New submission from rostferrum.ru",
        frm="Formspree <noreply@formspree.io>", reply_to="vasilisa@yandex.ru"),
    name="Василиса", phone="+79125551254", email="vasilisa@yandex.ru",
    message="Нужна профтруба 60х40",
))

# --- Yandex Forms: several choices in one answer --------------------------------------------
case(V(
    "yandex-forms-multiple-choice",
    saas(alt(
        "Ответ на форму «Заявка на металл»\n\nВаше имя\nАнатолий\n\nТелефон\n+79125551255\n\n"
        "Что нужно?\nАрматура, Уголок, Швеллер\n\nКомментарий\nВсё по ГОСТ\n",
        html_doc(
            "<p>Ответ на форму «Заявка на металл»</p>"
            "<p><b>Ваше имя</b><br>Анатолий</p><p><b>Телефон</b><br>+79125551255</p>"
            "<p><b>Что нужно?</b><br>Арматура, Уголок, Швеллер</p>"
            "<p><b>Комментарий</b><br>Всё по ГОСТ</p>"), "base64"),
        subject="Заявка на металл", frm="Яндекс Формы <forms@yandex.ru>"),
    name="Анатолий", phone="+79125551255", message="Всё по ГОСТ",
    extra={"Что нужно?": "Арматура, Уголок, Швеллер"},
))

# --- windows-1251 quoted-printable HTML table from an old Joomla extension ----------------------
case(V(
    "joomla-extension-cp1251-qp-table",
    phpmailer(leaf("text/html", (
        "<html><body><table border=1>"
        "<tr><td><b>Контактное лицо:</b></td><td>Гаврилов Степан</td></tr>"
        "<tr><td><b>Организация:</b></td><td>ИП Гаврилов</td></tr>"
        "<tr><td><b>Телефон:</b></td><td>(3452) 55-12-56</td></tr>"
        "<tr><td><b>E-mail:</b></td><td>gavrilov72@mail.ru</td></tr>"
        "<tr><td><b>Текст:</b></td><td>Уголок 100х8, 3 т, Тюмень</td></tr></table></body></html>"
    ), "quoted-printable", "windows-1251"), subject="Заявка с сайта",
        frm="noreply@rostferrum.ru", smtp=True),
    name="Гаврилов Степан", phone="+73452551256", email="gavrilov72@mail.ru",
    message="Уголок 100х8, 3 т, Тюмень", extra={"Организация": "ИП Гаврилов"},
))

# --- Craftum quiz: numbered questions, then contacts -----------------------------------------
case(V(
    "quiz-numbered-questions-then-contacts",
    saas(leaf("text/plain", (
        "Новая заявка с квиза «Подбор профнастила»\n\n"
        "1. Для чего профнастил?\nЗабор\n\n2. Какая длина забора?\n40 м\n\n"
        "3. Нужен монтаж?\nДа\n\n"
        "Имя: Роберт\nТелефон: +7 912 555 12 57\n"
    ), "base64"), subject="Новая заявка с квиза", frm="Craftum <noreply@craftum.com>"),
    name="Роберт", phone="+79125551257",
    extra={"Для чего профнастил?": "Забор", "Какая длина забора?": "40 м",
           "Нужен монтаж?": "Да"},
))


# ---------------------------------------------------------------------------- batch 5: labels

# --- labels site owners type (not in the README's list, meaning plain to a person) -------------
_LABELLED = [
    ("labels-contact-number-english", "Your name (required): Tom Baker\n"
     "Contact Number: 0044 20 7946 0958\nYour email (required): tom@baker.example\n"
     "Project details: 30 t of hollow sections\n",
     "Tom Baker", "+442079460958", "tom@baker.example", "30 t of hollow sections"),
    ("labels-mobile-no", "Name: Ahmed Karimov\nMobile No.: +998 90 123 45 67\n"
     "Email: a.karimov@mail.uz\nMessage: Need rebar\n",
     "Ahmed Karimov", "+998901234567", "a.karimov@mail.uz", "Need rebar"),
    ("labels-tel-fax-and-electronic-address", "Контактное лицо (ФИО): Орлов Денис Олегович\n"
     "Тел./факс: (343) 555-12-60\nЭлектронный адрес: d.orlov@ural.example\n"
     "Текст заявки: Прошу КП на балку 25Ш1\n",
     "Орлов Денис Олегович", "+73435551260", "d.orlov@ural.example",
     "Прошу КП на балку 25Ш1"),
    ("labels-introduce-yourself-contact-number", "Представьтесь, пожалуйста: Софья\n"
     "Контактный номер: 8 912 555 12 61\nПочта для ответа: sofia.r@yandex.ru\n"
     "Опишите задачу: Нужна резка трубы в размер\n",
     "Софья", "+79125551261", "sofia.r@yandex.ru", "Нужна резка трубы в размер"),
    ("labels-cyrillic-e-in-email-and-mob-tel", "ФИО: Крылов Антон\nМоб. тел.: 8-912-555-12-62\n"
     "Е-mail: a.krylov@bk.ru\nВаши пожелания: Позвонить после 18:00\n",
     "Крылов Антон", "+79125551262", "a.krylov@bk.ru", "Позвонить после 18:00"),
]
for _id, _body, _name, _phone, _email, _msg in _LABELLED:
    case(V(_id, phpmailer(leaf("text/plain", _body), subject="Заявка", frm=WP),
           name=_name, phone=_phone, email=_email, message=_msg))


# ---------------------------------------------------------------------------- batch 6: HTML shapes

# --- WPForms 1.8.5+ modern template: label and value in one cell, split by <br> -----------------
_WPM = ('<tr class="smart-tag"><td class="field-name field-value" style="padding:25px 0;'
        'border-top:1px solid #e4e4e4"><strong>{label}</strong><br>{value}</td></tr>')
case(V(
    "wpforms-modern-one-cell",
    phpmailer(_html(
        '<table class="wpforms-table" width="100%"><tbody>'
        + _WPM.format(label="Name", value="Вадим Цой")
        + _WPM.format(label="Email", value="vadim.tsoy@mail.ru")
        + _WPM.format(label="Phone", value="+7 912 555-12-71")
        + _WPM.format(label="Comment or Message", value="Нужен лист рифлёный 4 мм")
        + "</tbody></table>"
    ), subject="New Entry: Contact Form", frm=WP, reply_to="vadim.tsoy@mail.ru"),
    name="Вадим Цой", phone="+79125551271", email="vadim.tsoy@mail.ru",
    message="Нужен лист рифлёный 4 мм",
))

# --- an old PHP template: three cells per row with the colon in the middle cell ---------------
case(V(
    "three-cell-rows-colon-cell",
    phpmailer(leaf("text/html", (
        "<html><body><table>"
        "<tr><td>Имя</td><td>:</td><td>Григорий Носов</td></tr>"
        "<tr><td>Телефон</td><td>:</td><td>8 (912) 555-12-72</td></tr>"
        "<tr><td>E-mail</td><td>:</td><td>g.nosov@yandex.ru</td></tr>"
        "<tr><td>Сообщение</td><td>:</td><td>Арматура 14 мм, 3 т</td></tr>"
        "</table></body></html>"
    ), "base64", "windows-1251"), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Григорий Носов", phone="+79125551272", email="g.nosov@yandex.ru",
    message="Арматура 14 мм, 3 т",
))

# --- a table with a 'Поле | Значение' header row ------------------------------------------------
case(V(
    "table-with-header-row",
    phpmailer(_html(
        '<table border="1" cellpadding="4"><tr><th>Поле</th><th>Значение</th></tr>'
        "<tr><td>Имя</td><td>Инна Гордеева</td></tr>"
        "<tr><td>Телефон</td><td>+7 912 555 12 73</td></tr>"
        "<tr><td>Объект</td><td>Склад 20х40 м</td></tr>"
        "<tr><td>Комментарий</td><td>Нужен расчёт металлокаркаса</td></tr></table>"
    ), subject="Заявка", frm=WP),
    name="Инна Гордеева", phone="+79125551273", message="Нужен расчёт металлокаркаса",
    extra={"Объект": "Склад 20х40 м"},
))

# --- label/value spans inside list items -----------------------------------------------------
case(V(
    "spans-in-list-items",
    saas(_html(
        '<ul style="list-style:none;padding:0">'
        '<li><span class="label">Имя:</span> <span class="value">Остап</span></li>'
        '<li><span class="label">Телефон:</span> <span class="value">89125551274</span></li>'
        '<li><span class="label">E-mail:</span> <span class="value">ostap@gmail.com</span></li>'
        '<li><span class="label">Сообщение:</span> <span class="value">Круг 40 мм</span></li>'
        "</ul>", "base64"), subject="Заявка с сайта", frm="Сайт <noreply@rostferrum.ru>"),
    name="Остап", phone="+79125551274", email="ostap@gmail.com", message="Круг 40 мм",
))

# --- Jimdo contact form: Sender / E-mail / Message, plain text ----------------------------------
case(V(
    "jimdo-contact-form",
    saas(leaf("text/plain", (
        "Someone has contacted you via your Jimdo website rostferrum.jimdosite.com.\n\n"
        "Name: Jonas Weber\nEmail: jonas.weber@stahl.example\nTelefon: +49 30 901820\n"
        "Message:\nWir brauchen 10 t Betonstahl.\nBitte um Angebot.\n\n"
        "---\nThis message was sent via Jimdo.\n"
    ), "quoted-printable"), subject="New message from your Jimdo website",
        frm="Jimdo <no-reply@jimdo.com>", reply_to="jonas.weber@stahl.example"),
    name="Jonas Weber", phone="+4930901820", email="jonas.weber@stahl.example",
    message="Wir brauchen 10 t Betonstahl.\nBitte um Angebot.",
))


# ---------------------------------------------------------------------------- batch 7

# --- a Belarus client types the domestic '8 029 …' form ----------------------------------------
case(V(
    "phone-belarus-domestic-eight-zero",
    phpmailer(leaf("text/plain", (
        "Имя: Алесь Жук\nТелефон: 8 029 555-12-83\nE-mail: ales.zhuk@tut.by\n"
        "Сообщение: Доставка в Гомель возможна?\n"
    )), subject="Заявка", frm=WP, reply_to="ales.zhuk@tut.by"),
    name="Алесь Жук", phone="+375295551283", email="ales.zhuk@tut.by",
    message="Доставка в Гомель возможна?",
))


# --- a template saved with a UTF-8 BOM, sent base64 ------------------------------------------
case(V(
    "utf8-bom-before-first-label",
    phpmailer(leaf("text/plain", "\ufeffИмя: Таисия\nТелефон: 89125551295\n"
                   "Сообщение: Лист 0,7 мм\n", "base64"),
              subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Таисия", phone="+79125551295", message="Лист 0,7 мм",
))

# --- an old script that htmlentities() every Cyrillic letter ------------------------------------
def _ents(text: str) -> str:
    return "".join(f"&#{ord(c)};" if ord(c) > 127 else c for c in text)


case(V(
    "html-numeric-entities-everywhere",
    phpmailer(leaf("text/html", (
        "<html><body>"
        f"<b>{_ents('Имя')}:</b> {_ents('Ефим Лаптев')}<br>"
        f"<b>{_ents('Телефон')}:</b> 8 912 555 12 96<br>"
        f"<b>E-mail:</b> e.laptev@mail.ru<br>"
        f"<b>{_ents('Сообщение')}:</b> {_ents('Нужна полоса 40х4')}<br>"
        "</body></html>"
    ), "7bit", "us-ascii"), subject="Zayavka", frm="noreply@rostferrum.ru", smtp=True),
    name="Ефим Лаптев", phone="+79125551296", email="e.laptev@mail.ru",
    message="Нужна полоса 40х4",
))

# --- misspelt charset names from hand-written PHP headers ----------------------------------------
for _cs_label, _cs in (("win-1251", "cp1251"), ("utf8", "utf-8"), ("windows1251", "cp1251")):
    case(V(
        f"charset-name-{_cs_label}",
        (("To: sales@rostferrum.ru\r\nSubject: Zayavka\r\nFrom: noreply@rostferrum.ru\r\n"
          "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\nMIME-Version: 1.0\r\n"
          f"Content-Type: text/plain; charset={_cs_label}\r\n"
          "Content-Transfer-Encoding: 8bit\r\n\r\n").encode()
         + "Имя: Прохор\r\nТелефон: 89125551297\r\nСообщение: Труба 108х4\r\n".encode(_cs)),
        name="Прохор", phone="+79125551297", message="Труба 108х4",
    ))

# --- HubSpot with the contact owner (an employee) and a 'Recent conversion' block -----------
case(V(
    "hubspot-contact-owner-is-not-the-client",
    saas(leaf("text/plain", (
        "New form submission on RostFerrum\n\n"
        "Contact owner: Irina Volkova\n\n"
        "Email: dmitry.s@steelpro.example\nFirst name: Dmitry\nLast name: Sokolov\n"
        "Phone number: +7 912 555 12 98\nMessage: Need a price for coil 2 mm\n\n"
        "Recent conversion: Contact us\nPage: https://rostferrum.ru/en/contact/\n"
    ), "quoted-printable"), subject="New form submission on RostFerrum",
        frm="HubSpot <noreply@notifications.hubspot.com>"),
    name="Dmitry Sokolov", phone="+79125551298", email="dmitry.s@steelpro.example",
    message="Need a price for coil 2 mm", absent_extra=("Contact owner",),
))


# ---------------------------------------------------------------------------- batch 8: non-leads

# --- WordPress 'New user registration' to the admin: labels and an e-mail, but no enquiry -------
case(V(
    "wordpress-new-user-registration",
    phpmailer(leaf("text/plain", (
        "New user registration on your site РостФеррум:\n\n"
        "Username: ivan_petrov\n\nEmail: ivan.petrov@mail.ru\n"
    )), subject="[РостФеррум] New User Registration", frm=WP),
    is_form=False, create_lead=False,
))

# --- WooCommerce low stock notice -----------------------------------------------------------------
case(V(
    "woocommerce-low-stock-notice",
    phpmailer(leaf("text/plain", "Rebar A500C 12 mm is low in stock. There are 2 left.\n"),
              subject="[РостФеррум] Product low in stock", frm=WP),
    is_form=False, create_lead=False,
))

# --- Jotform account notice from the same sender ---------------------------------------------
case(V(
    "jotform-submission-limit-notice",
    saas(_html(
        "<p>Hi rostferrum,</p><p>Your account has reached 90% of its monthly submission "
        "limit (90/100). Upgrade your plan to keep receiving submissions.</p>"
        '<p><a href="https://www.jotform.com/pricing">Upgrade now</a></p>'
        "<p>Thanks,<br>The Jotform Team</p>", "quoted-printable"),
        subject="You are about to reach your submission limit",
        frm="Jotform <noreply@jotform.com>"),
    is_form=False, create_lead=False,
))


# ---------------------------------------------------------------------------- batch 9: files

HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40
RAR = b"Rar!\x1a\x07\x01\x00" + b"\x00" * 40

# --- Jotform with an upload attached: RFC 2231 name, an iPhone HEIC photo rejected -------------
case(V(
    "jotform-uploads-rfc2231-and-heic",
    saas(multipart("mixed", "----=_Part_91_1734", [
        alt("Full Name: Ксения Белая\nPhone Number: +7 912 555 13 01\n"
            "E-mail: k.belaya@mail.ru\nFile Upload: спецификация.pdf, IMG_0412.HEIC\n",
            html_doc('<table><tr><td class="questionColumn">Full Name</td>'
                     '<td class="valueColumn">Ксения Белая</td></tr>'
                     '<tr><td class="questionColumn">Phone Number</td>'
                     '<td class="valueColumn">+7 912 555 13 01</td></tr>'
                     '<tr><td class="questionColumn">E-mail</td><td class="valueColumn">'
                     "k.belaya@mail.ru</td></tr>"
                     '<tr><td class="questionColumn">File Upload</td><td class="valueColumn">'
                     "спецификация.pdf, IMG_0412.HEIC</td></tr></table>"),
            "quoted-printable", "----=_Part_92_alt"),
        (b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
         b"Content-Disposition: attachment; filename*=UTF-8''"
         + "".join(f"%{b:02X}" for b in "спецификация.pdf".encode()).encode()
         + b"\r\n\r\n" + base64.encodebytes(PDF).replace(b"\n", b"\r\n")),
        (b"Content-Type: image/heic\r\nContent-Transfer-Encoding: base64\r\n"
         b'Content-Disposition: attachment; filename="IMG_0412.HEIC"\r\n\r\n'
         + base64.encodebytes(HEIC).replace(b"\n", b"\r\n")),
    ]), subject="Re: Заявка с файлами", frm="Jotform <noreply@jotform.com>",
        reply_to="k.belaya@mail.ru"),
    name="Ксения Белая", phone="+79125551301", email="k.belaya@mail.ru",
    files=[("спецификация.pdf", PDF)], rejected=[("IMG_0412.HEIC", "type")],
))

# --- koi8-r encoded-word file name and a .rar archive (rejected) ---------------------------------
_KOI_NAME = "=?koi8-r?B?" + base64.b64encode("прайс.pdf".encode("koi8-r")).decode() + "?="
case(V(
    "koi8r-filename-and-rar",
    (("To: sales@rostferrum.ru\r\nSubject: =?koi8-r?B?"
      + base64.b64encode("Заявка".encode("koi8-r")).decode() + "?=\r\n"
      "From: noreply@rostferrum.ru\r\nDate: Mon, 16 Nov 2026 10:15:32 +0500\r\n"
      "MIME-Version: 1.0\r\n").encode()
     + multipart("mixed", "=_koi", [
         leaf("text/plain", "Имя: Ростислав\nТелефон: 89125551302\nСообщение: См. файлы\n",
              "8bit", "koi8-r"),
         attachment((f' name="{_KOI_NAME}"', f' filename="{_KOI_NAME}"'), PDF, "application/pdf"),
         attachment(rfc2047_name("чертежи.rar"), RAR, "application/x-rar-compressed"),
     ])),
    name="Ростислав", phone="+79125551302", message="См. файлы",
    files=[("прайс.pdf", PDF)], rejected=[("чертежи.rar", "type")],
))

# --- Tilda: an upload given as a link is an extra field, not a file ------------------------------
case(V(
    "tilda-upload-link",
    saas(alt(
        "Name: Лев Архипов\nPhone: +7 (912) 555-13-03\nEmail: l.arkhipov@ya.ru\n"
        "Файл: https://ucarecdn.com/3f1c2a7e-1b2c-4d5e-8f90-1a2b3c4d5e6f/\n\n"
        "Request details:\nTransaction ID: 7391552:4409111\nBlock ID: rec612345678\n"
        "Form Name: Form with file\nReferer: https://rostferrum.ru/\n",
        html_doc("Name: Лев Архипов<br>Phone: +7 (912) 555-13-03<br>Email: l.arkhipov@ya.ru<br>"
                 'Файл: <a href="https://ucarecdn.com/3f1c2a7e-1b2c-4d5e-8f90-1a2b3c4d5e6f/">'
                 "https://ucarecdn.com/3f1c2a7e-1b2c-4d5e-8f90-1a2b3c4d5e6f/</a><br><br>"
                 "Request details:<br>Transaction ID: 7391552:4409111<br>"
                 "Block ID: rec612345678<br>Form Name: Form with file<br>"
                 "Referer: https://rostferrum.ru/<br>"), "quoted-printable"),
        subject="Новая заявка с сайта rostferrum.ru", frm="Tilda <robot@tilda.ws>",
        reply_to="l.arkhipov@ya.ru"),
    name="Лев Архипов", phone="+79125551303", email="l.arkhipov@ya.ru",
    extra={"Файл": "https://ucarecdn.com/3f1c2a7e-1b2c-4d5e-8f90-1a2b3c4d5e6f/",
           "Form Name": "Form with file", "Referer": "https://rostferrum.ru/"},
))


# ---------------------------------------------------------------------------- batch 10: no labels

# --- Elementor placeholder-only form: [all-fields] prints bare values, metadata after '---'
case(V(
    "elementor-fields-without-labels-html",
    phpmailer(leaf("text/html", html_doc(
        "Марина Котова<br>+7 912 555-13-10<br>m.kotova@mail.ru<br>"
        "Нужен лист 2 мм, 15 штук, с доставкой.<br><br>---<br><br>Дата: 16.11.2026<br>"
        "Время: 10:15<br>Адрес страницы: https://rostferrum.ru/<br>"
        "Агент пользователя: Mozilla/5.0<br>Удаленный IP: 198.51.100.7<br>"
        "Работает на: Elementor<br>"), "quoted-printable"),
        subject='Новое сообщение с сайта "РостФеррум"', frm=WP),
    name="Марина Котова", phone="+79125551310", email="m.kotova@mail.ru",
    message="Нужен лист 2 мм, 15 штук, с доставкой.",
    extra={"Адрес страницы": "https://rostferrum.ru/"},
    absent_extra=("Марина Котова",),
))

# --- Elementor callback form without labels, plain text: name and phone only ---------------
case(V(
    "elementor-callback-without-labels-plain",
    phpmailer(leaf("text/plain", (
        "Всеслав\n8 912 555 13 11\n\n---\n\nDate: 16.11.2026\nTime: 10:15\n"
        "Page URL: https://rostferrum.ru/call/\nRemote IP: 198.51.100.8\n"
        "Powered by: Elementor\n"
    )), subject='New message from "РостФеррум"', frm=WP),
    name="Всеслав", phone="+79125551311", extra={"Page URL": "https://rostferrum.ru/call/"},
))


# --- some fields labelled, the contacts not (a select with a label, inputs with placeholders)
case(V(
    "elementor-mixed-bare-contacts-labelled-select",
    phpmailer(leaf("text/html", html_doc(
        "Иван Сидоров<br>89125551313<br>i.sidorov@inbox.ru<br>Товар: Арматура А500С<br>"
        "<br>---<br><br>Дата: 16.11.2026<br>Адрес страницы: https://rostferrum.ru/armatura/<br>"
    ), "quoted-printable"), subject='Новое сообщение с сайта "РостФеррум"', frm=WP),
    name="Иван Сидоров", phone="+79125551313", email="i.sidorov@inbox.ru",
    extra={"Товар": "Арматура А500С", "Адрес страницы": "https://rostferrum.ru/armatura/"},
))


# ---------------------------------------------------------------------------- batch 11: separators

# --- 'Label — value' with an unknown label among known ones ----------------------------------
case(V(
    "em-dash-form-with-unknown-label",
    phpmailer(leaf("text/plain", (
        "Новая заявка\n\nИмя — Глеб\nТелефон — 8 912 555 13 20\nМарка стали — Ст3\n"
        "Сообщение — Нужна балка\n"
    )), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Глеб", phone="+79125551320", message="Нужна балка", extra={"Марка стали": "Ст3"},
))

# --- a PHP loop printing '$key => $value' -------------------------------------------------------
case(V(
    "php-loop-arrow-separator",
    phpmailer(leaf("text/plain", "Имя => Глеб Юдин\nТелефон => 89125551322\nОбъём => 5 т\n"),
              subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Глеб Юдин", phone="+79125551322", extra={"Объём": "5 т"},
))

# --- all fields joined on one line with ' | ' (an SMS-style notification) ------------------------
case(V(
    "fields-joined-with-pipes",
    saas(leaf("text/plain", (
        "Заявка с сайта rostferrum.ru\n"
        "Имя: Лада Егорова | Телефон: +7 912 555-13-24 | Объём: 5 т | Сообщение: Круг 20\n"
    ), "base64"), subject="Заявка", frm="Сайт <noreply@rostferrum.ru>"),
    name="Лада Егорова", phone="+79125551324", message="Круг 20", extra={"Объём": "5 т"},
))

# --- fields joined with '; ' ----------------------------------------------------------------
case(V(
    "fields-joined-with-semicolons",
    phpmailer(leaf("text/plain", "Имя: Глеб Жданов; Телефон: 89125551325; E-mail: g.zh@x.ru\n"),
              subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Глеб Жданов", phone="+79125551325", email="g.zh@x.ru",
))


# --- 1C-Bitrix main.feedback: custom fields appended under the message block ---------------------
case(V(
    "bitrix-feedback-fields-after-text",
    bitrix(
        "Информационное сообщение сайта РостФеррум\n"
        "------------------------------------------\n\n"
        "Вам было отправлено сообщение через форму обратной связи\n\n"
        "Автор: Лаврентий Осипов\nE-mail автора: l.osipov@mail.ru\n\n"
        "Текст сообщения:\nНужен двутавр 30Б1, 12 м, 6 шт.\nДоставка в Нижний Тагил.\n\n"
        "Телефон: 8 (3435) 55-13-40\nКомпания: ООО «ТагилСтрой»\n\n"
        "Сообщение сгенерировано автоматически.\n",
        subject="РостФеррум: Сообщение из формы обратной связи", event="FEEDBACK_FORM",
        charset="UTF-8"),
    name="Лаврентий Осипов", phone="+73435551340", email="l.osipov@mail.ru",
    message="Нужен двутавр 30Б1, 12 м, 6 шт.\nДоставка в Нижний Тагил.",
    extra={"Компания": "ООО «ТагилСтрой»"},
))

# --- Bitrix24 lead notification: the responsible employee is not the client ---------------------
case(V(
    "bitrix24-new-lead-responsible-employee",
    saas(_html(
        "<p>Новый лид: Заявка с сайта</p><table>"
        "<tr><td>Ответственный:</td><td>Ирина Волкова</td></tr>"
        "<tr><td>Источник:</td><td>CRM-форма</td></tr>"
        "<tr><td>Имя:</td><td>Родион</td></tr><tr><td>Фамилия:</td><td>Щукин</td></tr>"
        "<tr><td>Телефон:</td><td>+7 912 555-13-41</td></tr>"
        "<tr><td>E-mail:</td><td>r.shchukin@yandex.ru</td></tr>"
        "<tr><td>Комментарий:</td><td>Перезвоните по поводу оцинковки</td></tr></table>",
        "quoted-printable"), subject="Новый лид: Заявка с сайта",
        frm="Битрикс24 <no-reply@bitrix24.ru>"),
    name="Родион Щукин", phone="+79125551341", email="r.shchukin@yandex.ru",
    message="Перезвоните по поводу оцинковки",
))


# ---------------------------------------------------------------------------- batch 12: languages

# --- a Ukrainian-language form (Ім'я / Прізвище / Повідомлення) -------------------------------
case(V(
    "ukrainian-labels",
    phpmailer(leaf("text/plain", (
        "Ім'я: Тарас\nПрізвище: Коваль\nНомер телефону: +380 67 123 45 67\n"
        "Електронна пошта: t.koval@ukr.net\nПовідомлення: Потрібна арматура 12 мм, 20 т.\n"
    )), subject="Заявка", frm=WP),
    name="Тарас Коваль", phone="+380671234567", email="t.koval@ukr.net",
    message="Потрібна арматура 12 мм, 20 т.",
))

# --- a French Wix-style form: Prénom + Nom, Téléphone, Courriel -----------------------------------
case(V(
    "french-labels",
    saas(_html(
        "<table><tr><td>Prénom</td><td>Camille</td></tr><tr><td>Nom</td><td>Durand</td></tr>"
        "<tr><td>Téléphone</td><td>+33 6 12 34 56 79</td></tr>"
        "<tr><td>Courriel</td><td>camille.durand@acier.example</td></tr>"
        "<tr><td>Message</td><td>Prix des poutres IPE 200 ?</td></tr></table>", "base64"),
        subject="Nouveau message", frm="Wix <no-reply@wix.com>"),
    name="Camille Durand", phone="+33612345679", email="camille.durand@acier.example",
    message="Prix des poutres IPE 200 ?",
))

# --- a Spanish form: Nombre / Teléfono / Correo electrónico / Mensaje --------------------------
case(V(
    "spanish-labels",
    phpmailer(leaf("text/plain", (
        "Nombre: Javier Ruiz\nTeléfono: +34 612 34 56 78\n"
        "Correo electrónico: j.ruiz@acero.example\nMensaje: Necesito 10 t de chapa.\n"
    )), subject="Nuevo mensaje", frm=WP),
    name="Javier Ruiz", phone="+34612345678", email="j.ruiz@acero.example",
    message="Necesito 10 t de chapa.",
))


# --- Tilda with the default variable names the owner never renamed (Input, Textarea) ----------
case(V(
    "tilda-default-variable-names",
    saas(leaf("text/plain", (
        "Name: Элина\nPhone: +7 (912) 555-13-61\nEmail: elina@bk.ru\nInput: ООО «Профиль»\n"
        "Textarea: Нужна полоса 50х5, 2 т\n\nRequest details:\nTransaction ID: 7391552:4409222\n"
        "Block ID: rec612345679\nForm Name: Cart\nReferer: https://rostferrum.ru/\n"
    ), "quoted-printable"), subject="Новая заявка с сайта rostferrum.ru",
        frm="Tilda <robot@tilda.ws>", reply_to="elina@bk.ru"),
    name="Элина", phone="+79125551361", email="elina@bk.ru", message="Нужна полоса 50х5, 2 т",
    extra={"Input": "ООО «Профиль»"},
))


# --- a SaaS e-mail template: <style> and MSO conditionals in the head, a hidden preheader
_TEMPLATE = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" '
    'content="text/html; charset=UTF-8" />\n<title>Новая заявка</title>\n'
    '<style type="text/css">\nbody { margin: 0; padding: 0; }\n'
    "td.label { color: #555555; font-weight: bold; }\n"
    "@media only screen and (max-width: 600px) { .wrap { width: 100% !important; } }\n"
    "</style>\n<!--[if mso]><style>table { border-collapse: collapse; }</style><![endif]-->\n"
    '</head><body>\n<div style="display:none;max-height:0;overflow:hidden">'
    "Новая заявка от Любомир</div>\n"
    '<table class="wrap" width="600"><tr><td class="label">Имя</td><td>Любомир</td></tr>\n'
    '<tr><td class="label">Телефон</td><td>+7 912 555 13 70</td></tr>\n'
    '<tr><td class="label">Email</td><td>lubomir@mail.ru</td></tr>\n'
    '<tr><td class="label">Сообщение</td><td>Уголок 40х4</td></tr></table>\n'
    "</body></html>"
)
case(V(
    "saas-template-style-mso-preheader",
    saas(leaf("text/html", _TEMPLATE, "quoted-printable"), subject="Заявка",
         frm="Сайт <noreply@rostferrum.ru>"),
    name="Любомир", phone="+79125551370", email="lubomir@mail.ru", message="Уголок 40х4",
))


# ---------------------------------------------------------------------------- test

def test_enough_variants() -> None:
    """This file adds at least twenty-five distinct messages."""
    assert len(CASES) >= 25
    assert len({v.id for v in CASES}) == len(CASES)


@pytest.mark.parametrize("v", [pytest.param(v, id=v.id) for v in CASES])
def test_variant(v: V) -> None:
    """The message parses to the extraction a person would agree on (README comparison)."""
    got = to_json(parse_message(v.raw))
    problems = _problems(v, got)
    assert not problems, "\n".join(problems)
