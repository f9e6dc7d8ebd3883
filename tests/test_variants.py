"""Independent variants: form e-mails in the held-back themes and other layouts of the corpus.

Each case is a whole message written as its mailer writes it (PHPMailer via ``mail()`` or
SMTP, ``wp_mail()``, 1C-Bitrix, Drupal, SaaS senders; CRLF; 8bit/QP/base64; UTF-8,
windows-1251, KOI8-R) with the extraction a person would agree on under corpus/README.md,
compared by the README's rules (whitespace-collapsed name/message, extra as a subset,
files as multisets of name and hash).
"""

from __future__ import annotations

import base64
import hashlib
import quopri
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from bridge.parsing import parse_message
from bridge.parsing.report import to_json

# ---------------------------------------------------------------------------- files

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + bytes(range(64)) + b"\xff\xd9")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
FAKE_PDF = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
XLS_1C = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    "</head><body><table><tr><td>Номенклатура</td><td>Количество</td></tr>"
    "<tr><td>Арматура А500С 12</td><td>5</td></tr></table></body></html>"
).encode()
TXT_1251 = "Размеры: 6000х1500х4 мм, 12 листов.\r\n".encode("cp1251")
BIG_PDF = PDF + b"0" * (10 * 1024 * 1024 + 100)


# ---------------------------------------------------------------------------- builders

def _b64(data: bytes) -> bytes:
    enc = base64.b64encode(data)
    return b"\r\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + b"\r\n"


def _qp(data: bytes) -> bytes:
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    out = quopri.encodestring(b"\n".join(lines)).replace(b"\n", b"\r\n")
    return out


def _words(text: str, charset: str = "UTF-8", size: int = 30) -> str:
    """B encoded-words of up to ``size`` characters each, folded (PHPMailer isMail style)."""
    if all(ord(c) < 128 for c in text):
        return text
    chunks = [text[i:i + size] for i in range(0, len(text), size)]
    return "\r\n ".join(
        f"=?{charset}?B?{base64.b64encode(c.encode(charset)).decode()}?=" for c in chunks
    )


def _encode(body: bytes, cte: str) -> bytes:
    if cte.lower() == "base64":
        return _b64(body)
    if cte.lower() == "quoted-printable":
        return _qp(body)
    return body


TRACE = (
    "Return-Path: <www-data@vps-41872.rostferrum.ru>\r\n"
    "Delivered-To: sales@rostferrum.ru\r\n"
    "Received: from vps-41872.rostferrum.ru (vps-41872.rostferrum.ru [203.0.113.41])\r\n"
    "\tby mx.yandex.ru with ESMTPS id 4Xk2LqA1\r\n"
    "\tfor <sales@rostferrum.ru>; Mon, 16 Nov 2026 10:15:32 +0500\r\n"
)


def leaf(ctype: str, body: bytes | str, cte: str = "8bit", charset: str = "UTF-8",
         extra: str = "") -> bytes:
    """One MIME part: headers + encoded body."""
    data = body.encode(charset) if isinstance(body, str) else body
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") if ctype.startswith("text/") \
        else data
    cs = f"; charset={charset}" if ctype.startswith("text/") and charset else ""
    head = f"Content-Type: {ctype}{cs}\r\nContent-Transfer-Encoding: {cte}\r\n{extra}"
    return head.encode() + b"\r\n" + _encode(data, cte)


def attachment(name_params: str, data: bytes, ctype: str = "application/octet-stream",
               disposition: str = "attachment") -> bytes:
    """A base64 file part; ``name_params`` is the raw parameter text after the type."""
    head = (f"Content-Type: {ctype};{name_params[0]}\r\n"
            f"Content-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: {disposition};{name_params[1]}\r\n")
    return head.encode() + b"\r\n" + _b64(data)


def rfc2047_name(name: str) -> tuple[str, str]:
    """PHPMailer: an RFC 2047 word inside quotes in both name= and filename=."""
    w = name if name.isascii() else f"=?UTF-8?B?{base64.b64encode(name.encode()).decode()}?="
    return f' name="{w}"', f' filename="{w}"'


def multipart(subtype: str, boundary: str, parts: list[bytes], *, preamble: str = "",
              close: bool = True) -> bytes:
    """Multipart headers + body (the part's own Content-Type line included)."""
    out = f'Content-Type: multipart/{subtype};\r\n\tboundary="{boundary}"\r\n\r\n'.encode()
    if preamble:
        out += preamble.encode() + b"\r\n"
    for p in parts:
        out += f"--{boundary}\r\n".encode() + p + b"\r\n"
    if close:
        out += f"--{boundary}--\r\n".encode()
    return out


def phpmailer(content: bytes, *, subject: str, frm: str, reply_to: str | None = None,
              to: str = "sales@rostferrum.ru", smtp: bool = False, extra: str = "",
              mid: str = "ej5rFst19I4lzrnMvMVT20gO1PzNmDwG0w7a8Lfmu4D@rostferrum.ru") -> bytes:
    """PHPMailer 6 headers; with mail() (WordPress) To and Subject come first."""
    subj = f"Subject: {_words(subject)}\r\n"
    head = TRACE
    if not smtp:
        head += f"To: {to}\r\n{subj}"
    head += "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\n"
    if smtp:
        head += f"To: {to}\r\n"
    head += f"From: {frm}\r\n"
    if reply_to:
        head += f"Reply-To: {reply_to}\r\n"
    if smtp:
        head += subj
    head += (f"Message-ID: <{mid}>\r\n"
             "X-Mailer: PHPMailer 6.9.1 (https://github.com/PHPMailer/PHPMailer)\r\n"
             f"{extra}MIME-Version: 1.0\r\n")
    if content.startswith(b"Content-Type: multipart/"):
        head += "Content-Transfer-Encoding: 8bit\r\n"
    return head.encode() + content


def bitrix(body: str, *, subject: str, event: str, charset: str = "windows-1251",
           frm: str = "robot@rostferrum.ru", files: list[bytes] | None = None) -> bytes:
    """1C-Bitrix CEvent mail via mail(): 8bit body, MTA-added Message-Id and Date."""
    subj = f"=?{charset}?B?{base64.b64encode(subject.encode(charset)).decode()}?="
    head = (TRACE + "To: sales@rostferrum.ru\r\n"
            f"Subject: {subj}\r\n"
            f"From: {frm}\r\n"
            f"X-EVENT_NAME: {event}\r\nX-MID: 48213.7 (16.11.2026 10:15:32)\r\n"
            "X-Priority: 3 (Normal)\r\nMIME-Version: 1.0\r\n")
    text = leaf("text/plain", body, "8bit", charset)
    if files:
        content = multipart("mixed", "------------ab2c17e4f0c9d3e8", [text, *files])
        head += "Content-Transfer-Encoding: 8bit\r\n"
    else:
        content = text
    tail = ("Message-Id: <20261116051532.6A1F01C2B4@vps-41872.rostferrum.ru>\r\n"
            "Date: Mon, 16 Nov 2026 10:15:32 +0500 (+05)\r\n")
    return (head + tail).encode() + content


def saas(content: bytes, *, subject: str, frm: str, reply_to: str | None = None,
         extra: str = "") -> bytes:
    """A SaaS platform's notification over its own SMTP (no PHP trace)."""
    head = ("Return-Path: <bounces@mailer.example>\r\nDelivered-To: sales@rostferrum.ru\r\n"
            "Received: from out.mailer.example (out.mailer.example [198.51.100.7])\r\n"
            "\tby mx.yandex.ru with ESMTPS id 7Qw; Mon, 16 Nov 2026 10:15:33 +0500\r\n"
            f"From: {frm}\r\nTo: sales@rostferrum.ru\r\nSubject: {_words(subject)}\r\n")
    if reply_to:
        head += f"Reply-To: {reply_to}\r\n"
    head += ("Date: Mon, 16 Nov 2026 05:15:33 +0000\r\n"
             "Message-ID: <0100018f3a2b.4c1d@email.mailer.example>\r\n"
             f"{extra}MIME-Version: 1.0\r\n")
    return head.encode() + content


def alt(text: str, html: str, cte: str = "base64", boundary: str = "=_alt_7f3a") -> bytes:
    return multipart("alternative", boundary,
                     [leaf("text/plain", text, cte), leaf("text/html", html, cte)])


def html_doc(inner: str) -> str:
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"
            f"{inner}</body></html>")


# ---------------------------------------------------------------------------- cases

@dataclass
class V:
    """One variant: the raw message and the expected extraction."""

    id: str
    raw: bytes
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    message: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    is_form: bool = True
    create_lead: bool = True
    other_phones: list[str] | None = None
    phone_extension: str | None = None
    absent_extra: tuple[str, ...] = ()


WP = "=?UTF-8?B?0KDQvtGB0YLQpNC10YDRgNGD0Lw=?= <wordpress@rostferrum.ru>"
CASES: list[V] = []


def case(v: V) -> None:
    CASES.append(v)


# --- Contact Form 7 with English custom labels, Reply-To = client --------------------------
case(V(
    "cf7-english-custom-labels",
    phpmailer(leaf("text/plain", (
        "Your Name: John Smith\n"
        "Your Email: john.smith@acmesteel.example\n"
        "Phone Number: +1 (416) 555-0188\n"
        "Company Name: Acme Steel Ltd\n"
        "Subject: Quote request\n\n"
        "Your Message:\nWe need 40 t of rebar A500C 12 mm delivered to Riga.\n"
        "Please send a quote.\n\n-- \n"
        "This e-mail was sent from a contact form on RostFerrum (https://rostferrum.ru)\n"
    ), "7bit", "us-ascii"), subject='RostFerrum "Quote request"', frm=WP,
        reply_to="john.smith@acmesteel.example"),
    name="John Smith", phone="+14165550188", email="john.smith@acmesteel.example",
    message="We need 40 t of rebar A500C 12 mm delivered to Riga.\nPlease send a quote.",
    extra={"Company Name": "Acme Steel Ltd"},
))

# --- WPForms plain text with Russian labels; an empty field '(пусто)' -----------------------
case(V(
    "wpforms-plain-russian",
    phpmailer(leaf("text/plain", (
        "--- Имя ---\n\nОльга Сергеевна Кузнецова\n\n"
        "--- Номер телефона ---\n\n8 (922) 111-22-33\n\n"
        "--- Электронная почта ---\n\n(пусто)\n\n"
        "--- Что вас интересует? ---\n\nЛист оцинкованный\n\n"
        "--- Комментарий ---\n\nНужно 30 листов 0,55 мм.\nДоставка в Пермь.\n\n"
    )), subject="Новая запись: Обратная связь", frm=WP),
    name="Ольга Сергеевна Кузнецова", phone="+79221112233", email=None,
    message="Нужно 30 листов 0,55 мм.\nДоставка в Пермь.",
    extra={"Что вас интересует?": "Лист оцинкованный"},
))

# --- Elementor, plain-text [all-fields], English metadata block ---------------------------
case(V(
    "elementor-plain",
    phpmailer(leaf("text/plain", (
        "Имя: Артём\n"
        "Email: artem.b@inbox.ru\n"
        "Телефон: 8 912 000 11 22\n"
        "Сообщение: Швеллер 16П, 12 м, 8 штук.\nМожно самовывоз?\n\n"
        "---\n\n"
        "Date: 16.11.2026\nTime: 10:15\nPage URL: https://rostferrum.ru/shveller/\n"
        "User Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\n"
        "Remote IP: 198.51.100.77\nPowered by: Elementor\n"
    )), subject='New message from "РостФеррум"', frm=WP),
    name="Артём", phone="+79120001122", email="artem.b@inbox.ru",
    message="Швеллер 16П, 12 м, 8 штук.\nМожно самовывоз?",
    extra={"Page URL": "https://rostferrum.ru/shveller/"},
    absent_extra=("Remote IP", "User Agent", "Powered by"),
))

# --- Gravity Forms {all_fields} with a single-column list field ------------------------------
_GF_ROW = (
    '<tr bgcolor="#EAF2FA"><td colspan="2"><font style="font-family: sans-serif; '
    'font-size:12px;"><strong>{label}</strong></font></td></tr>'
    '<tr bgcolor="#FFFFFF"><td width="20">&nbsp;</td><td><font style="font-family: '
    'sans-serif; font-size:12px;">{value}</font></td></tr>'
)
_GF = (
    '<table width="99%" border="0" cellpadding="1" cellspacing="0" bgcolor="#EAEAEA"><tr><td>'
    '<table width="100%" border="0" cellpadding="5" cellspacing="0" bgcolor="#FFFFFF">'
    + _GF_ROW.format(label="ФИО", value="Гончаров Павел Ильич")
    + _GF_ROW.format(label="Телефон", value="+7 (912) 765-43-21")
    + _GF_ROW.format(label="Email", value="<a href='mailto:p.goncharov@uralmet.example'>"
                     "p.goncharov@uralmet.example</a>")
    + _GF_ROW.format(label="Позиции", value="<ul class='bulleted'><li>Арматура А500С 12 мм</li>"
                     "<li>Уголок 50х5</li></ul>")
    + _GF_ROW.format(label="Комментарий", value="Нужен счёт на юрлицо.")
    + "</table></td></tr></table>"
)
case(V(
    "gravity-list-field",
    phpmailer(leaf("text/html", html_doc(_GF)), subject="New submission from Заявка",
              frm=WP),
    name="Гончаров Павел Ильич", phone="+79127654321", email="p.goncharov@uralmet.example",
    message="Нужен счёт на юрлицо.",
    extra={"Позиции": "Арматура А500С 12 мм\nУголок 50х5"},
))

# --- 1C-Bitrix main.feedback on a UTF-8 site ---------------------------------------------------
_FEEDBACK = (
    "Информационное сообщение сайта РостФеррум\n"
    "------------------------------------------\n\n"
    "Вам было отправлено сообщение через форму обратной связи\n\n"
    "Автор: Лебедева Марина\n"
    "E-mail автора: marina.lebedeva@yandex.ru\n\n"
    "Текст сообщения:\n"
    "Добрый день! Интересует профнастил С21, 120 м2.\nМой телефон +7 912 222-33-44.\n\n"
    "Сообщение сгенерировано автоматически.\n"
)
case(V(
    "bitrix-feedback-utf8",
    bitrix(_FEEDBACK, subject="РостФеррум: Сообщение из формы обратной связи",
           event="FEEDBACK_FORM", charset="UTF-8"),
    name="Лебедева Марина", phone="+79122223344", email="marina.lebedeva@yandex.ru",
    message="Добрый день! Интересует профнастил С21, 120 м2.\nМой телефон +7 912 222-33-44.",
))

# --- 1C-Bitrix form module, windows-1251, upload as a form_show_file.php link -----------------
_WEBFORM = (
    "rostferrum.ru\n\n"
    "Заполнена web-форма: [2] Заказать звонок\n"
    "-------------------------------------------------------\n\n"
    "Дата - 16.11.2026 10:15:32\n"
    "Результат - 512\n"
    "Пользователь - [0] Не авторизован\n"
    "Посмотреть - https://rostferrum.ru/bitrix/admin/form_result_view.php?lang=ru&WEB_FORM_ID=2&RESULT_ID=512\n\n"
    "-------------------------------------------------------\n\n"
    "Как к вам обращаться?\n*******************************\nГеоргий\n\n"
    "Номер телефона\n*******************************\n8(912)3332211\n\n"
    "Компания\n*******************************\nООО \"СтройМонтаж\"\n\n"
    "Реквизиты\n*******************************\n"
    "https://rostferrum.ru/bitrix/tools/form_show_file.php?rid=512&hash=8f2a&lang=ru\n\n"
    "Ваш вопрос\n*******************************\nСколько стоит резка балки 20Б1?\n\n"
    "Письмо сгенерировано автоматически.\n"
)
case(V(
    "bitrix-webform-cp1251",
    bitrix(_WEBFORM, subject="rostferrum.ru: заполнена web-форма [2] Заказать звонок",
           event="FORM_FILLING_SIMPLE_FORM_2"),
    name="Георгий", phone="+79123332211", email=None,
    message="Сколько стоит резка балки 20Б1?",
    extra={"Компания": 'ООО "СтройМонтаж"',
           "Реквизиты": "https://rostferrum.ru/bitrix/tools/form_show_file.php?rid=512&hash=8f2a&lang=ru"},
    absent_extra=("Результат", "Дата"),
))

# --- 1C-Bitrix form module, UTF-8, with a 1C '.xls' (an HTML table) attached ---------------
_WEBFORM2 = (
    "rostferrum.ru\n\nЗаполнена web-форма: [4] Заявка на расчёт\n"
    "-------------------------------------------------------\n\n"
    "Дата - 16.11.2026 10:15:32\nРезультат - 77\n\n"
    "-------------------------------------------------------\n\n"
    "ФИО\n*******************************\nЖуков Сергей Петрович\n\n"
    "Телефон\n*******************************\n+7 343 311-22-00\n\n"
    "E-mail\n*******************************\nsnab@zhukov-stroy.example\n\n"
    "Комментарий\n*******************************\nСпецификация во вложении.\n\n"
    "Письмо сгенерировано автоматически.\n"
)
case(V(
    "bitrix-webform-xls-from-1c",
    bitrix(_WEBFORM2, subject="rostferrum.ru: заполнена web-форма [4] Заявка на расчёт",
           event="FORM_FILLING_RASCHET", charset="UTF-8",
           files=[attachment(rfc2047_name("Заявка 1С.xls"), XLS_1C,
                             "application/vnd.ms-excel")]),
    name="Жуков Сергей Петрович", phone="+73433112200", email="snab@zhukov-stroy.example",
    message="Спецификация во вложении.", files=[("Заявка 1С.xls", XLS_1C)],
))

# --- Tilda with custom (lower-case) variable names, QP alternative --------------------------
_TILDA_TXT = (
    "Request details:\n\n"
    "name: Виктория\nphone: +7 (950) 123-45-67\nemail: vika.z@mail.ru\n"
    "company: ИП Зайцева\ncomment: Интересует сетка кладочная 50х50, 200 шт.\n\n"
    "Additional information:\nTransaction ID: 7419501:3350216231\nBlock ID: rec512345678\n"
    "Form Name: Cart\nReferer: https://rostferrum.ru/setka\n"
    "utm_source: yandex\nutm_medium: cpc\n"
)
case(V(
    "tilda-custom-variable-names",
    saas(alt(_TILDA_TXT, html_doc(_TILDA_TXT.replace("\n", "<br>\n")), "quoted-printable"),
         subject="Заявка с сайта rostferrum.ru", frm="Tilda <robot@tilda.ws>",
         reply_to="vika.z@mail.ru"),
    name="Виктория", phone="+79501234567", email="vika.z@mail.ru",
    message="Интересует сетка кладочная 50х50, 200 шт.",
    extra={"company": "ИП Зайцева", "utm_source": "yandex", "utm_medium": "cpc",
           "Referer": "https://rostferrum.ru/setka"},
))

# --- Tilda cart order ----------------------------------------------------------------------
_CART = (
    "Order #2038475611\n\n"
    "1. Труба профильная 40х20х2 (Длина: 6 м) - 20x540 = 10800\n"
    "2. Уголок 50х5 - 10x890 = 8900\n"
    "Payment Amount: 19700 RUB\n\n"
    "Payment system: cash\n\n"
    "Name: Денис Романов\nPhone: +7 912 400-50-60\nEmail: denis.r@gmail.com\n"
    "Адрес доставки: Екатеринбург, ул. Фронтовых Бригад, 18\n\n"
    "Additional information:\nTransaction ID: 7419501:3350216299\nForm Name: Cart\n"
)
case(V(
    "tilda-cart",
    saas(leaf("text/plain", _CART, "quoted-printable"), subject="New order #2038475611",
         frm="Tilda <robot@tilda.ws>", reply_to="denis.r@gmail.com"),
    name="Денис Романов", phone="+79124005060", email="denis.r@gmail.com", message=None,
    extra={"Order": "2038475611", "Payment Amount": "19700 RUB",
           "Адрес доставки": "Екатеринбург, ул. Фронтовых Бригад, 18"},
))

# --- Marquiz with many answers ----------------------------------------------------------------
_MQ = ("<h2>Новая заявка из квиза «Подбор металлопроката»</h2>"
       "<p><b>Ответы на вопросы:</b></p>"
       "<p>1. Какой металлопрокат нужен?<br><b>Лист г/к</b></p>"
       "<p>2. Какая толщина?<br><b>8–10 мм</b></p>"
       "<p>3. Какой объём?<br><b>более 20 т</b></p>"
       "<p>4. Нужна ли резка?<br><b>Да, плазменная</b></p>"
       "<p>5. Нужна ли доставка?<br><b>Да</b></p>"
       "<p>6. Когда нужна поставка?<br><b>Срочно</b></p>"
       "<p>7. Как вам удобнее получить расчёт?<br><b>WhatsApp</b></p>"
       "<p><b>Контакты:</b></p>"
       "<p>Имя: Руслан<br>Телефон: +7 (917) 555-66-77<br>Email: ruslan@mail.ru</p>"
       "<p><b>Дополнительно:</b><br>Страница: https://rostferrum.ru/quiz/<br>"
       "utm_source: yandex<br>utm_campaign: list_gk</p>")
case(V(
    "marquiz-many-answers",
    saas(leaf("text/html", html_doc(_MQ), "base64"), subject="Новая заявка из квиза",
         frm="Marquiz <noreply@marquiz.ru>"),
    name="Руслан", phone="+79175556677", email="ruslan@mail.ru", message=None,
    extra={"Какой металлопрокат нужен?": "Лист г/к", "Какая толщина?": "8–10 мм",
           "Какой объём?": "более 20 т", "Нужна ли резка?": "Да, плазменная",
           "Нужна ли доставка?": "Да", "Когда нужна поставка?": "Срочно",
           "Как вам удобнее получить расчёт?": "WhatsApp", "utm_source": "yandex",
           "utm_campaign": "list_gk", "Страница": "https://rostferrum.ru/quiz/"},
))

# --- Jivo offline message without a phone ---------------------------------------------------
_JIVO = ("Новое сообщение, оставленное посетителем в оффлайне\n\n"
         "Имя: Константин\nEmail: k.belov@bk.ru\n"
         "Сообщение: Есть ли у вас балка 30Ш1? Ответьте на почту.\n\n"
         "Страница: https://rostferrum.ru/balka/\nГород: Челябинск\n"
         "Браузер: Chrome 131\nIP: 198.51.100.12\n\n"
         "--\nJivo — чат для сайта\nhttps://www.jivo.ru\n")
case(V(
    "jivo-no-phone",
    saas(alt(_JIVO, html_doc(_JIVO.replace("\n", "<br>\n"))),
         subject="Оффлайн-сообщение с сайта rostferrum.ru", frm="Jivo <noreply@jivo.ru>"),
    name="Константин", phone=None, email="k.belov@bk.ru",
    message="Есть ли у вас балка 30Ш1? Ответьте на почту.",
    extra={"Страница": "https://rostferrum.ru/balka/", "Город": "Челябинск"},
))

# --- Wix with a single Name field -------------------------------------------------------------
_WIX = ('<table cellpadding="0" cellspacing="0">'
        "<tr><td><p>New form submission</p><p>Contact Us</p></td></tr>"
        "<tr><td><p><b>Name</b></p><p>Maria Lopez</p></td></tr>"
        "<tr><td><p><b>Email</b></p><p>maria.lopez@example.com</p></td></tr>"
        "<tr><td><p><b>Phone</b></p><p>+49 170 1234567</p></td></tr>"
        "<tr><td><p><b>Message</b></p><p>Do you ship to Latvia?</p></td></tr>"
        "<tr><td><p>View all submissions in your Wix dashboard.</p></td></tr></table>")
case(V(
    "wix-single-name",
    saas(leaf("text/html", html_doc(_WIX), "quoted-printable"),
         subject="Contact Us got a new submission", frm="Wix Forms <no-reply@wix-forms.com>",
         reply_to="maria.lopez@example.com"),
    name="Maria Lopez", phone="+491701234567", email="maria.lopez@example.com",
    message="Do you ship to Latvia?",
))

# --- Netlify: a message-only form, the phone inside the text ---------------------------------
_NET = ("You've got a new submission for the form \"callback\" on rostferrum.\n\n"
        "Message:\nPlease call back: 8-912-111-22-33, Pavel. Need 5 t of sheet 3 mm.\n\n"
        "---\nView this submission in your Netlify dashboard: "
        "https://app.netlify.com/sites/rostferrum/forms/5f8a\n")
case(V(
    "netlify-message-only",
    saas(leaf("text/plain", _NET, "7bit", "us-ascii"),
         subject='[Netlify] New form submission for "callback" on rostferrum',
         frm="Netlify Forms <formresponses@netlify.com>"),
    name=None, phone="+79121112233", email=None,
    message="Please call back: 8-912-111-22-33, Pavel. Need 5 t of sheet 3 mm.",
    absent_extra=("View this submission in your Netlify dashboard",),
))

# --- Formspree: key line, value line -----------------------------------------------------------
_FS = ("Hey there,\n\nSomeone just submitted your form on rostferrum.ru. "
       "Here's what they had to say:\n\n"
       "name:\nАлексей Смирнов\n\n_replyto:\nalex.smirnov@yandex.ru\n\n"
       "phone:\n+375 29 123-45-67\n\nmessage:\nНужна доставка в Минск, 10 т арматуры.\n\n"
       "Submitted 10:15 AM - 16 November 2026\n\nMark as spam\n")
case(V(
    "formspree-belarus",
    saas(leaf("text/plain", _FS, "quoted-printable"), subject="New submission from rostferrum.ru",
         frm="Formspree <noreply@formspree.io>", reply_to="alex.smirnov@yandex.ru"),
    name="Алексей Смирнов", phone="+375291234567", email="alex.smirnov@yandex.ru",
    message="Нужна доставка в Минск, 10 т арматуры.",
))

# --- Webflow, QP (long line), Uzbekistan phone ------------------------------------------------
_WF = ("Your form, Quote Form, on RostFerrum has a new submission:\n\n"
       "Name: Бахтиёр Каримов\nEmail: bakhtiyor@uzmetal.example\nPhone: +998 90 123 45 67\n"
       "Message: " + "Нужны трубы 57х3,5 для теплотрассы, " * 30 + "итого 2 км.\n\n"
       "---\nGo to your dashboard: https://webflow.com/dashboard/sites/rostferrum/forms\n")
case(V(
    "webflow-qp-uzbekistan",
    saas(leaf("text/plain", _WF, "quoted-printable"), subject="New form submission: Quote Form",
         frm="Webflow <no-reply-forms@webflow.com>", reply_to="bakhtiyor@uzmetal.example"),
    name="Бахтиёр Каримов", phone="+998901234567", email="bakhtiyor@uzmetal.example",
    message="Нужны трубы 57х3,5 для теплотрассы, " * 30 + "итого 2 км.",
))

# --- Ninja Forms {all_fields_table} -------------------------------------------------------------
_NF = ("<table><tbody>"
       "<tr><td>Имя:</td><td>Вера Александровна</td></tr>"
       "<tr><td>Телефон:</td><td>+7 701 234 56 78</td></tr>"
       "<tr><td>Email:</td><td>vera.a@mail.kz</td></tr>"
       "<tr><td>Город:</td><td>Алматы</td></tr>"
       "<tr><td>Сообщение:</td><td>Нужен расчёт на металлочерепицу.<br />Площадь 180 м2.</td></tr>"
       "</tbody></table>")
case(V(
    "ninja-forms-kazakhstan",
    phpmailer(leaf("text/html", html_doc(_NF)), subject="Ninja Forms Submission", frm=WP),
    name="Вера Александровна", phone="+77012345678", email="vera.a@mail.kz",
    message="Нужен расчёт на металлочерепицу.\nПлощадь 180 м2.", extra={"Город": "Алматы"},
))

# --- Joomla RSForm!Pro: admin template as an HTML table, PHPMailer 5.2 -------------------------
_RS = ("<p>Новая заявка с формы «Обратный звонок»</p>"
       '<table border="1" cellpadding="4">'
       "<tr><th>Поле</th><th>Значение</th></tr>"
       "<tr><td>Ф.И.О.</td><td>Титов Андрей</td></tr>"
       "<tr><td>Мобильный</td><td>8-950-765-43-21</td></tr>"
       "<tr><td>Эл. почта</td><td>a.titov@rambler.ru</td></tr>"
       "<tr><td>Удобное время</td><td>после 14:00</td></tr>"
       "<tr><td>Ваш вопрос</td><td>Нужен двутавр 20Б1, 12 шт.</td></tr></table>")
_RS_MSG = (TRACE + "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\nTo: sales@rostferrum.ru\r\n"
           "From: RostFerrum <noreply@rostferrum.ru>\r\n"
           f"Subject: {_words('Заявка на обратный звонок')}\r\n"
           "Message-ID: <6a4b2c1d9e8f7a6b5c4d3e2f1a0b9c8d@rostferrum.ru>\r\n"
           "X-Priority: 3\r\nX-Mailer: PHPMailer 5.2.28 (https://github.com/PHPMailer/PHPMailer)\r\n"
           "MIME-Version: 1.0\r\n").encode() + multipart(
    "alternative", "b1_6a4b2c1d9e8f7a6b5c4d3e2f1a0b9c8d",
    [leaf("text/plain", "Новая заявка с формы «Обратный звонок»ПолеЗначениеФ.И.О.Титов Андрей"
          "Мобильный8-950-765-43-21Эл. почтаa.titov@rambler.ru"),
     leaf("text/html", html_doc(_RS))],
    preamble="This is a multi-part message in MIME format.")
case(V(
    "rsform-table-phpmailer52",
    _RS_MSG,
    name="Титов Андрей", phone="+79507654321", email="a.titov@rambler.ru",
    message="Нужен двутавр 20Б1, 12 шт.", extra={"Удобное время": "после 14:00"},
    absent_extra=("Поле",),
))

# --- LPgenerator: HTML lines with bold labels ----------------------------------------------------
_LPG = ("<p>Новый лид на странице <a href=\"https://rostferrum.lpgenerator.ru/\">"
        "Металлопрокат оптом</a></p>"
        "<p><b>Имя:</b> Ирина<br><b>Телефон:</b> 8 (912) 808-70-60<br>"
        "<b>E-mail:</b> irina@ural-snab.example<br><b>Компания:</b> Урал-Снаб<br>"
        "<b>Комментарий:</b> Прошу прайс на трубу ВГП.</p>"
        "<p>utm_source: google<br>utm_medium: cpc<br>utm_term: труба вгп</p>"
        "<p>-- <br>LPgenerator</p>")
case(V(
    "lpgenerator-bold-lines",
    saas(leaf("text/html", html_doc(_LPG), "base64"),
         subject="Новый лид: Металлопрокат оптом", frm="LPgenerator <noreply@lpgenerator.ru>"),
    name="Ирина", phone="+79128087060", email="irina@ural-snab.example",
    message="Прошу прайс на трубу ВГП.",
    extra={"Компания": "Урал-Снаб", "utm_source": "google", "utm_term": "труба вгп"},
))

# --- Drupal webform, flowed, multi-line value on the next line --------------------------------
_DRUPAL = ("Submitted on Mon, 11/16/2026 - 10:15\nSubmitted by: Anonymous\n"
           "Submitted values are:\n\nВаше имя: Полина\nТелефон: 89123456780\n"
           "E-mail: polina@list.ru\nСообщение:\nЗдравствуйте! Нужен лист нержавеющий AISI 304,  "
           "\n2 мм, 10 листов.\n\n\n-- \nРостФеррум\n")
case(V(
    "drupal-flowed-ru",
    (TRACE + "MIME-Version: 1.0\r\n"
     "Content-Type: text/plain; charset=UTF-8; format=flowed; delsp=yes\r\n"
     "Content-Transfer-Encoding: 8Bit\r\nX-Mailer: Drupal\r\n"
     "Return-Path: noreply@rostferrum.ru\r\nSender: noreply@rostferrum.ru\r\n"
     "From: РостФеррум <noreply@rostferrum.ru>\r\nTo: sales@rostferrum.ru\r\n"
     f"Subject: {_words('Webform submission from: Контакты')}\r\n"
     "Message-ID: <20261116051532.1@rostferrum.ru>\r\n"
     "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\n\r\n").encode()
    + _DRUPAL.replace("\n", "\r\n").encode(),
    name="Полина", phone="+79123456780", email="polina@list.ru",
    message="Здравствуйте! Нужен лист нержавеющий AISI 304, 2 мм, 10 листов.",
))

# --- mislabelled charset: windows-1251 bytes declared utf-8 -------------------------------------
_MIS = ("Имя: Николай Степанов\r\nТелефон: +7 (343) 200-10-20 доб. 115\r\n"
        "E-mail: n.stepanov@zavod.example\r\nСообщение: Нужен круг 40 мм, сталь 45, 3 т.\r\n")
case(V(
    "mislabelled-utf8-cp1251-extension",
    (TRACE + "To: sales@rostferrum.ru\r\n"
     f"Subject: {_words('Заявка с сайта')}\r\nFrom: noreply@rostferrum.ru\r\n"
     "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\nMessage-ID: <m1@rostferrum.ru>\r\n"
     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
     "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + _MIS.encode("cp1251"),
    name="Николай Степанов", phone="+73432001020", phone_extension="115",
    email="n.stepanov@zavod.example", message="Нужен круг 40 мм, сталь 45, 3 т.",
))

# --- mislabelled charset in a base64 HTML part -------------------------------------------------
_MIS_HTML = ("<table><tr><td><b>Имя:</b></td><td>Светлана</td></tr>"
             "<tr><td><b>Телефон:</b></td><td>8 912 345 00 11</td></tr>"
             "<tr><td><b>Сообщение:</b></td><td>Сколько стоит доставка в Курган?</td></tr></table>")
case(V(
    "mislabelled-utf8-html-base64",
    (TRACE + "To: sales@rostferrum.ru\r\nSubject: Zayavka s sajta\r\n"
     "From: =?utf-8?B?0KDQvtGB0YLQpNC10YDRgNGD0Lw=?= <noreply@rostferrum.ru>\r\n"
     "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\nMessage-ID: <m2@rostferrum.ru>\r\n"
     "MIME-Version: 1.0\r\nContent-Type: text/html; charset=\"utf-8\"\r\n"
     "Content-Transfer-Encoding: base64\r\n\r\n").encode()
    + _b64(_MIS_HTML.encode("cp1251")),
    name="Светлана", phone="+79123450011", email=None,
    message="Сколько стоит доставка в Курган?",
))

# --- KOI8-R legacy script with the client in From --------------------------------------------
_KOI = "Имя: Фёдоров Игорь\nТелефон: 8(3412)55-66-77\nСообщение: Нужна полоса 40х4.\n"
case(V(
    "koi8r-client-in-from",
    (TRACE + "To: sales@rostferrum.ru\r\n").encode() + b"Subject: " + "Заявка".encode("koi8-r")
    + (b"\r\nFrom: fedorov.i@udm.example\r\nDate: Mon, 16 Nov 2026 10:15:32 +0500\r\n"
       b"Message-ID: <k1@rostferrum.ru>\r\nContent-Type: text/plain; charset=koi8-r\r\n"
       b"Content-Transfer-Encoding: 8bit\r\n\r\n")
    + _KOI.replace("\n", "\r\n").encode("koi8-r"),
    name="Фёдоров Игорь", phone="+73412556677", email="fedorov.i@udm.example",
    message="Нужна полоса 40х4.",
))

# --- phone specials ---------------------------------------------------------------------------


def _cf7(body: str, reply_to: str | None = None) -> bytes:
    return phpmailer(leaf("text/plain", body), subject="РостФеррум \"Заявка\"", frm=WP,
                     reply_to=reply_to)


case(V(
    "phone-two-numbers-one-field",
    _cf7("Имя: Эдуард\nТелефон: 8 912 345-67-89, 8 (343) 222-33-44 (офис)\n"
         "Сообщение: Звоните в любое время.\n"),
    name="Эдуард", phone="+79123456789", other_phones=["+73432223344"],
    message="Звоните в любое время.",
))
case(V(
    "phone-email-typed-in-phone-field",
    _cf7("Имя: Людмила\nТелефон: lyuda.k@mail.ru\nСообщение: Пришлите прайс на почту.\n"),
    name="Людмила", phone=None, email="lyuda.k@mail.ru", message="Пришлите прайс на почту.",
))
case(V(
    "phone-us-extension",
    _cf7("Name: Robert Green\nPhone: +1 416-555-0123 ext. 45\nEmail: rgreen@steel.example\n"
         "Message: Looking for HEA 200 beams.\n", reply_to="rgreen@steel.example"),
    name="Robert Green", phone="+14165550123", phone_extension="45",
    email="rgreen@steel.example", message="Looking for HEA 200 beams.",
))
case(V(
    "phone-kz-eight-prefix",
    _cf7("Имя: Айгерим\nТелефон: 8 (777) 123-45-67\nСообщение: Нужна арматура в Астану.\n"),
    name="Айгерим", phone="+77771234567", message="Нужна арматура в Астану.",
))

# --- attachments ------------------------------------------------------------------------------
_TB_HEAD = (TRACE + "Message-ID: <c0ffee12-3456-7890-abcd-ef0123456789@mail.ru>\r\n"
            "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\nMIME-Version: 1.0\r\n"
            "User-Agent: Mozilla Thunderbird\r\nContent-Language: ru\r\n"
            "To: sales@rostferrum.ru\r\nFrom: Кирилл Волков <k.volkov@mail.ru>\r\n"
            f"Subject: {_words('Заявка на металл')}\r\n")
_TB_NAME = "Спецификация на поставку металлопроката ноябрь.pdf"
_tb_enc = "".join(f"%{b:02X}" for b in _TB_NAME.encode())
_tb_params = (
    "\r\n name*0*=utf-8''" + _tb_enc[:60] + ";\r\n name*1*=" + _tb_enc[60:120]
    + ";\r\n name*2*=" + _tb_enc[120:],
    "\r\n filename*0*=utf-8''" + _tb_enc[:60] + ";\r\n filename*1*=" + _tb_enc[60:120]
    + ";\r\n filename*2*=" + _tb_enc[120:],
)
case(V(
    "thunderbird-rfc2231-continuations-and-upper-jpeg",
    _TB_HEAD.encode() + multipart("mixed", "------------0aB9cD8eF7gH6iJ5kL4mN3oP", [
        leaf("text/plain", "Здравствуйте!\nИмя: Кирилл Волков\nТелефон: +7 912 606-70-80\n"
             "Сообщение: Прошу счёт по спецификации, фото склада прилагаю.\n", "8bit"),
        attachment(_tb_params, PDF, "application/pdf"),
        attachment(rfc2047_name("СКЛАД.JPEG"), JPEG, "image/jpeg"),
    ], preamble="This is a multi-part message in MIME format."),
    name="Кирилл Волков", phone="+79126067080", email="k.volkov@mail.ru",
    message="Прошу счёт по спецификации, фото склада прилагаю.",
    files=[(_TB_NAME, PDF), ("СКЛАД.JPEG", JPEG)],
))
case(V(
    "pdf-that-is-exe-and-oversize",
    phpmailer(multipart("mixed", "b1=_Kq3mXz8", [
        leaf("text/plain", "Имя: Тимур\nТелефон: 89125554433\nСообщение: Файлы во вложении.\n"),
        attachment(rfc2047_name("счет.pdf"), FAKE_PDF, "application/pdf"),
        attachment(rfc2047_name("чертёж.pdf"), BIG_PDF, "application/pdf"),
        attachment(rfc2047_name("размеры.txt"), TXT_1251, "text/plain"),
    ]), subject="Заявка с сайта", frm="РостФеррум <noreply@rostferrum.ru>", smtp=True),
    name="Тимур", phone="+79125554433", message="Файлы во вложении.",
    files=[("размеры.txt", TXT_1251)],
    rejected=[("счет.pdf", "type"), ("чертёж.pdf", "size")],
))
_OUT_NAME = "=?iso-8859-1?Q?Preisanfrage_M=FCller_Stahl.pdf?="
case(V(
    "outlook-iso-8859-1-filename",
    (TRACE + "From: =?iso-8859-1?Q?J=FCrgen_M=FCller?= <j.mueller@mueller-stahl.example>\r\n"
     "To: sales@rostferrum.ru\r\nSubject: Anfrage Bewehrungsstahl\r\n"
     "Date: Mon, 16 Nov 2026 06:15:32 +0000\r\n"
     "Message-ID: <AM0PR10MB1234ABCD@AM0PR10MB1234.eurprd10.prod.outlook.com>\r\n"
     "Content-Language: de-DE\r\nX-MS-Has-Attach: yes\r\nMIME-Version: 1.0\r\n").encode()
    + multipart("mixed", "_004_AM0PR10MB1234ABCD_", [
        leaf("text/plain", "Name: Jürgen Müller\nTelefon: +49 151 23456789\n"
             "Nachricht: Bitte um Angebot laut Anlage.\n", "quoted-printable", "iso-8859-1"),
        attachment((f' name="{_OUT_NAME}"', f' filename="{_OUT_NAME}"; size={len(PDF)}'),
                   PDF, "application/pdf"),
    ]),
    name="Jürgen Müller", phone="+4915123456789", email="j.mueller@mueller-stahl.example",
    message="Bitte um Angebot laut Anlage.",
    files=[("Preisanfrage Müller Stahl.pdf", PDF)],
))

# --- not leads ----------------------------------------------------------------------------------
_NEWS = ("Здравствуйте!\n\nНовые цены на металлопрокат в ноябре: арматура от 52 000 руб/т.\n\n"
         "Телефон: +7 (343) 300-00-00\nE-mail: info@metallsnab.example\n\n"
         "Отписаться: https://metallsnab.example/unsubscribe?u=42\n")
case(V(
    "newsletter-list-unsubscribe",
    saas(alt(_NEWS, html_doc(_NEWS.replace("\n", "<br>"))), subject="Цены на ноябрь",
         frm="МеталлСнаб <news@metallsnab.example>",
         extra="List-Unsubscribe: <https://metallsnab.example/unsubscribe?u=42>, "
               "<mailto:unsubscribe@metallsnab.example>\r\n"
               "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nPrecedence: bulk\r\n"),
    is_form=False, create_lead=False,
))
case(V(
    "empty-form-ru-sentence",
    phpmailer(leaf("text/plain", "Была отправлена пустая форма.\n"),
              subject="Новая запись: Обратная связь", frm=WP),
    is_form=True, create_lead=False,
))
_EMPTY_HTML = ('<table><tr><td class="field-name"><strong>Имя</strong></td></tr>'
               '<tr class="field-name"><td class="field-value">(пусто)</td></tr>'
               '<tr><td class="field-name"><strong>Телефон</strong></td></tr>'
               '<tr class="field-phone"><td class="field-value">(пусто)</td></tr>'
               '<tr><td class="field-name"><strong>Сообщение</strong></td></tr>'
               '<tr class="field-textarea"><td class="field-value">(пусто)</td></tr></table>')
case(V(
    "empty-form-all-pusto",
    phpmailer(leaf("text/html", html_doc(_EMPTY_HTML)), subject="Новая запись: Заявка", frm=WP),
    is_form=True, create_lead=False,
))

# --- forwards ---------------------------------------------------------------------------------
_FWD = ("Коллеги, посмотрите заявку, клиент ждёт звонка.\n\n-- \nМенеджер Анна Ковалёва\n"
        "РостФеррум, +7 343 000-00-01\n\n"
        "-------- Пересылаемое сообщение --------\n"
        "Тема: \tРостФеррум \"Заявка\"\n"
        "Дата: \tMon, 16 Nov 2026 10:15:32 +0500\n"
        "От: \tРостФеррум <wordpress@rostferrum.ru>\n"
        "Ответить: \tsemen.ivanov@yandex.ru\n"
        "Кому: \tanna.kovaleva@rostferrum.ru\n\n\n\n"
        "Имя: Семён Иванов\nТелефон: 8 912 765-00-99\nE-mail: semen.ivanov@yandex.ru\n"
        "Сообщение: Нужна балка 25Б1, 6 штук, с резкой.\n\n-- \n"
        "Это сообщение отправлено из контактной формы на сайте РостФеррум\n")
_FWD_SUBJECT = 'Fwd: РостФеррум "Заявка"'
case(V(
    "thunderbird-russian-forward",
    (TRACE + "Message-ID: <fw1@rostferrum.ru>\r\nDate: Mon, 16 Nov 2026 11:00:00 +0500\r\n"
     "MIME-Version: 1.0\r\nUser-Agent: Mozilla Thunderbird\r\n"
     "From: =?UTF-8?B?0JDQvdC90LAg0JrQvtCy0LDQu9GR0LLQsA==?= <anna.kovaleva@rostferrum.ru>\r\n"
     f"To: sales@rostferrum.ru\r\nSubject: {_words(_FWD_SUBJECT)}\r\n").encode()
    + leaf("text/plain", _FWD, "8bit"),
    name="Семён Иванов", phone="+79127650099", email="semen.ivanov@yandex.ru",
    message="Нужна балка 25Б1, 6 штук, с резкой.",
))
_YFWD = ("<div>Переслать менеджеру</div><div> </div><div>-------- Пересылаемое сообщение --------"
         "</div><div>16.11.2026, 10:15, \"РостФеррум\" &lt;noreply@rostferrum.ru&gt;:</div>"
         "<div> </div><div><b>Имя:</b> Олеся<br /><b>Телефон:</b> +7 (912) 313-14-15<br />"
         "<b>Сообщение:</b> Нужен квадрат 20х20, 2 т.</div><div> </div>"
         "<div>-------- Конец пересылаемого сообщения --------</div>")
case(V(
    "yandex-html-forward",
    (TRACE + "From: =?utf-8?B?0J/RkdGC0YAg0KHQvtC60L7Qu9C+0LI=?= <p.sokolov@yandex.ru>\r\n"
     "To: sales@rostferrum.ru\r\nSubject: =?utf-8?B?RndkOiDQl9Cw0Y/QstC60LA=?=\r\n"
     "MIME-Version: 1.0\r\nX-Mailer: Yamail [ http://yandex.ru ] 5.0\r\n"
     "Date: Mon, 16 Nov 2026 11:02:00 +0500\r\nMessage-Id: <123451605510120@mail.yandex.ru>\r\n"
     ).encode() + alt("Переслать менеджеру\n\n-------- Пересылаемое сообщение --------\n"
                      "16.11.2026, 10:15, \"РостФеррум\" <noreply@rostferrum.ru>:\n\n"
                      "Имя: Олеся\nТелефон: +7 (912) 313-14-15\n"
                      "Сообщение: Нужен квадрат 20х20, 2 т.\n\n"
                      "-------- Конец пересылаемого сообщения --------\n",
                      html_doc(_YFWD), "base64", "----==--bound.77.sas1"),
    name="Олеся", phone="+79123131415", email=None, message="Нужен квадрат 20х20, 2 т.",
))

# --- malformed ---------------------------------------------------------------------------------
case(V(
    "missing-closing-boundary",
    phpmailer(multipart("mixed", "b1=_NoEnd", [
        leaf("text/plain", "Имя: Глеб\nТелефон: 89126660011\nСообщение: Нужна сетка.\n"),
        attachment(rfc2047_name("план.pdf"), PDF, "application/pdf"),
    ], close=False), subject="Заявка с сайта", frm="РостФеррум <noreply@rostferrum.ru>",
        smtp=True),
    name="Глеб", phone="+79126660011", message="Нужна сетка.", files=[("план.pdf", PDF)],
))
_BAD_B64 = base64.b64encode("Имя: Вадим\r\nТелефон: +7 912 777-88-99\r\nСообщение: Лист 2 мм\r\n"
                            .encode()).rstrip(b"=")
case(V(
    "bad-base64-padding",
    phpmailer(b"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
              b"\r\n" + _BAD_B64 + b"\r\n", subject="Заявка", frm="noreply@rostferrum.ru",
              smtp=True),
    name="Вадим", phone="+79127778899", message="Лист 2 мм",
))
case(V(
    "empty-body",
    phpmailer(b"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n"
              b"\r\n", subject="Заявка с сайта", frm="noreply@rostferrum.ru", smtp=True),
    is_form=False, create_lead=False,
))
case(V(
    "raw-8bit-headers-broken-from-duplicates",
    (TRACE + "To: sales@rostferrum.ru\r\n").encode()
    + "Subject: Заявка с сайта\r\nFrom: Сайт <\"\"@rostferrum.ru>\r\n".encode()
    + b"Subject: duplicate\r\nDate: Mon, 16 Nov 2026 10:15:32 +0500\r\n"
      b"Date: Mon, 16 Nov 2026 10:15:33 +0500\r\nMessage-ID: <d1@rostferrum.ru>\r\n"
      b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + "Имя: Зоя\r\nТелефон: 8-912-100-20-30\r\nE-mail: zoya@ya.ru\r\nСообщение: Уголок 75х6\r\n"
    .encode(),
    name="Зоя", phone="+79121002030", email="zoya@ya.ru", message="Уголок 75х6",
))
case(V(
    "bare-lf-and-qp-soft-breaks",
    (b"From: noreply@rostferrum.ru\nTo: sales@rostferrum.ru\nSubject: Zayavka\n"
     b"Date: Mon, 16 Nov 2026 10:15:32 +0500\nMIME-Version: 1.0\n"
     b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
     ) + quopri.encodestring(
        ("Имя: Евгений\nТелефон: 89120009988\nСообщение: " + "очень длинный текст " * 10
         + "конец\n").encode()),
    name="Евгений", phone="+79120009988", message="очень длинный текст " * 10 + "конец",
))


# ---------------------------------------------------------------------------- batch 2
# harder shapes of the same themes

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
DOCX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"[Content_Types].xml" + b"\x00" * 64
EXACT_10MIB = PDF + b"1" * (10 * 1024 * 1024 - len(PDF))

# --- Ninja Forms: fields table with bold labels and no colons, plain alternative -----------
_NF2 = ('<table cellpadding="5"><tr><td><strong>Ваше имя</strong></td><td>Лариса</td></tr>'
        "<tr><td><strong>Номер телефона</strong></td><td>+7 (912) 900-80-70</td></tr>"
        "<tr><td><strong>Адрес электронной почты</strong></td>"
        "<td>larisa@metallbaza.example</td></tr>"
        "<tr><td><strong>Продукция</strong></td><td>Труба ВГП 32х3,2</td></tr>"
        "<tr><td><strong>Сообщение</strong></td><td>Нужен сертификат качества.</td></tr>"
        "</table>")
case(V(
    "ninja-forms-bold-no-colon",
    phpmailer(alt("Ваше имяЛариса Номер телефона+7 (912) 900-80-70",
                  html_doc(_NF2), "8bit", "b1=_nf2"), subject="Ninja Forms Submission", frm=WP),
    name="Лариса", phone="+79129008070", email="larisa@metallbaza.example",
    message="Нужен сертификат качества.", extra={"Продукция": "Труба ВГП 32х3,2"},
))

# --- 1C-Bitrix form module, cp1251, the file attached with a windows-1251 encoded name -----
_W3 = ("rostferrum.ru\n\nЗаполнена web-форма: [5] Отправить заявку\n"
       "-------------------------------------------------------\n\n"
       "Дата - 16.11.2026 10:15:32\nРезультат - 901\n\n"
       "-------------------------------------------------------\n\n"
       "Имя\n*******************************\nАнтонина\n\n"
       "Телефон\n*******************************\n8 912 480 90 10\n\n"
       "Файл с заявкой\n*******************************\nзаявка.docx\n\n"
       "Письмо сгенерировано автоматически.\n")
_W3_NAME = "=?windows-1251?B?" + base64.b64encode("заявка.docx".encode("cp1251")).decode() + "?="
case(V(
    "bitrix-webform-cp1251-attached-docx",
    bitrix(_W3, subject="rostferrum.ru: заполнена web-форма [5] Отправить заявку",
           event="FORM_FILLING_ZAYAVKA",
           files=[attachment((f' name="{_W3_NAME}"', f' filename="{_W3_NAME}"'), DOCX,
                             "application/vnd.openxmlformats-officedocument."
                             "wordprocessingml.document")]),
    name="Антонина", phone="+79124809010", files=[("заявка.docx", DOCX)],
))

# --- RSForm!Pro: caption/value lines with <strong> ------------------------------------------
_RS2 = ("<p>Пользователь отправил форму «Заказать расчёт»:</p>"
        "<p><strong>Ваше имя</strong>: Семёнов Аркадий<br />"
        "<strong>Телефон</strong>: +375 (17) 222-33-44<br />"
        "<strong>E-mail</strong>: arkady@belstal.example<br />"
        "<strong>Организация</strong>: ОАО «БелСталь»<br />"
        "<strong>Комментарий</strong>: Интересует поставка в Брест.<br />Объём 60 т.</p>"
        "<p>IP: 198.51.100.4</p>")
case(V(
    "rsform-strong-lines-belarus-landline",
    phpmailer(leaf("text/html", html_doc(_RS2)), subject="Заказать расчёт",
              frm="RostFerrum <noreply@rostferrum.ru>", smtp=True),
    name="Семёнов Аркадий", phone="+375172223344", email="arkady@belstal.example",
    message="Интересует поставка в Брест.\nОбъём 60 т.", extra={"Организация": "ОАО «БелСталь»"},
))

# --- Webflow HTML layout: bold label paragraph, value paragraph -----------------------------
_WF2 = ("<p>Your form, <b>Contact</b>, on <b>RostFerrum</b> has a new submission:</p>"
        "<p><b>Name</b></p><p>Oksana Ivanova</p>"
        "<p><b>Email</b></p><p>oksana.i@gmail.com</p>"
        "<p><b>Phone</b></p><p>8 912 123 98 76</p>"
        "<p><b>Company</b></p><p>StroyMontazh LLC</p>"
        "<p><b>Message</b></p><p>Need a price for 12 mm rebar.</p>"
        "<p>Go to your dashboard: <a href=\"https://webflow.com/dashboard\">Forms</a></p>")
case(V(
    "webflow-html-paragraphs",
    saas(alt("Your form, Contact, on RostFerrum has a new submission:\n\nName\nOksana Ivanova\n\n"
             "Email\noksana.i@gmail.com\n\nPhone\n8 912 123 98 76\n\nCompany\nStroyMontazh LLC\n\n"
             "Message\nNeed a price for 12 mm rebar.\n", html_doc(_WF2), "quoted-printable"),
         subject="New form submission: Contact", frm="Webflow <no-reply-forms@webflow.com>",
         reply_to="oksana.i@gmail.com"),
    name="Oksana Ivanova", phone="+79121239876", email="oksana.i@gmail.com",
    message="Need a price for 12 mm rebar.", extra={"Company": "StroyMontazh LLC"},
))

# --- Formspree with capitalised keys and a _subject hidden field ----------------------------
_FS2 = ("Someone just submitted your form on rostferrum.ru. Here's what they had to say:\n\n"
        "Name:\nОлег Власов\n\nEmail:\noleg.vlasov@mail.ru\n\nPhone:\n+7 912 345-11-22\n\n"
        "Message:\nЗдравствуйте!\nНужна балка 40Б1 — 4 шт.\n\n"
        "Submitted 10:15 AM - 16 November 2026\n\nMark as spam\n")
case(V(
    "formspree-capitalised-keys",
    saas(alt(_FS2, html_doc(_FS2.replace("\n", "<br>"))),
         subject="New submission from rostferrum.ru", frm="Formspree <noreply@formspree.io>",
         reply_to="oleg.vlasov@mail.ru"),
    name="Олег Власов", phone="+79123451122", email="oleg.vlasov@mail.ru",
    message="Здравствуйте!\nНужна балка 40Б1 — 4 шт.",
))

# --- LPgenerator plain text with a packed UTM line ---------------------------------------------
_LPG2 = ("Новый лид с лендинга «Арматура оптом»\n\n"
         "Имя: Станислав\nТелефон: 79221234567\nEmail: stas@ural.example\n\n"
         "Источник: https://arm.rostferrum.ru/?utm_source=vk&utm_medium=social&utm_campaign=arm\n"
         "Дата: 16.11.2026 10:15\n")
case(V(
    "lpgenerator-plain-utm-url",
    saas(leaf("text/plain", _LPG2, "base64"), subject="Новый лид: Арматура оптом",
         frm="LPgenerator <noreply@lpgenerator.ru>"),
    name="Станислав", phone="+79221234567", email="stas@ural.example",
    extra={"utm_source": "vk", "utm_medium": "social", "utm_campaign": "arm"},
))

# --- Tilda cart in HTML with options and a Russian "Товары" ---------------------------------
_TC = ("<p>Order #5566778899</p>"
       "<p>1. Профнастил С8 (Цвет: RAL 3005, Длина: 2 м) - 40x620 = 24800<br>"
       "2. Саморез кровельный 4,8х35 - 3x950 = 2850<br>"
       "Payment Amount: 27650 RUB</p>"
       "<p>Name: Вероника Плотникова<br>Phone: +7 (982) 600-10-20<br>Email: nika.p@mail.ru<br>"
       "Комментарий: Доставка после 15:00</p>"
       "<p>Additional information:<br>Transaction ID: 7419501:3350216400<br>"
       "Block ID: rec600000001<br>Form Name: Cart<br>"
       "Referer: https://rostferrum.ru/shop</p>")
case(V(
    "tilda-cart-html",
    saas(leaf("text/html", html_doc(_TC), "quoted-printable"), subject="New order #5566778899",
         frm="Tilda <robot@tilda.ws>", reply_to="nika.p@mail.ru"),
    name="Вероника Плотникова", phone="+79826001020", email="nika.p@mail.ru",
    message="Доставка после 15:00",
    extra={"Order": "5566778899", "Payment Amount": "27650 RUB",
           "Referer": "https://rostferrum.ru/shop"},
))

# --- CF7 default English template, no Reply-To -------------------------------------------------
case(V(
    "cf7-default-english",
    phpmailer(leaf("text/plain", (
        "From: Peter Novak <peter.novak@stavby.example>\nSubject: Steel beams\n\n"
        "Message Body:\nHello, we need IPE 300 beams, 15 t. Phone +420 601 123 456.\n\n-- \n"
        "This e-mail was sent from a contact form on RostFerrum (https://rostferrum.ru)\n"
    ), "7bit", "us-ascii"), subject='RostFerrum "Steel beams"',
        frm="RostFerrum <wordpress@rostferrum.ru>"),
    name="Peter Novak", phone="+420601123456", email="peter.novak@stavby.example",
    message="Hello, we need IPE 300 beams, 15 t. Phone +420 601 123 456.",
))

# --- Gravity Forms: multi-line address, checkboxes, name and e-mail ----------------------------
_GF2 = (
    '<table width="99%" border="0" cellpadding="1" cellspacing="0" bgcolor="#EAEAEA"><tr><td>'
    '<table width="100%" border="0" cellpadding="5" cellspacing="0" bgcolor="#FFFFFF">'
    + _GF_ROW.format(label="Имя", value="Ярослав Дьяченко")
    + _GF_ROW.format(label="Телефон", value="(912) 345-67-01")
    + _GF_ROW.format(label="Адрес доставки",
                     value="ул. Мира, 5<br />Екатеринбург, Свердловская обл. 620000<br />Россия")
    + _GF_ROW.format(label="Что нужно?", value="<ul class='bulleted'><li>Лист</li>"
                     "<li>Труба</li></ul>")
    + "</table></td></tr></table>"
)
case(V(
    "gravity-address-checkboxes",
    phpmailer(leaf("text/html", html_doc(_GF2)), subject="New submission from Заявка", frm=WP),
    name="Ярослав Дьяченко", phone="+79123456701", email=None, message=None,
    extra={"Адрес доставки": "ул. Мира, 5\nЕкатеринбург, Свердловская обл. 620000\nРоссия",
           "Что нужно?": "Лист\nТруба"},
))

# --- Jivo with the visitor's phone only and a chat-style layout ------------------------------
_JIVO2 = ("<p>Посетитель оставил сообщение в офлайн-форме</p>"
          "<table><tr><td>Имя:</td><td>Гость 4821</td></tr>"
          "<tr><td>Телефон:</td><td>+7 912 741 85 20</td></tr>"
          "<tr><td>Сообщение:</td><td>Перезвоните по уголку</td></tr>"
          "<tr><td>Страница:</td><td>https://rostferrum.ru/ugolok/</td></tr></table>")
case(V(
    "jivo-table-guest-name",
    saas(leaf("text/html", html_doc(_JIVO2), "base64"), subject="Новое офлайн-сообщение",
         frm="Jivo <noreply@jivo.ru>"),
    name="Гость 4821", phone="+79127418520", message="Перезвоните по уголку",
    extra={"Страница": "https://rostferrum.ru/ugolok/"},
))

# --- phones, harder ---------------------------------------------------------------------------
case(V(
    "phone-slash-two-numbers-landline-first",
    _cf7("Имя: Максим\nТелефон: (343) 222-33-44 / 8 912 555 44 33\nСообщение: Прайс.\n"),
    name="Максим", phone="+73432223344", other_phones=["+79125554433"], message="Прайс.",
))
case(V(
    "phone-extension-no-space",
    _cf7("Имя: Инна\nТелефон: 8(495)123-45-67доб.321\nСообщение: Счёт на оплату.\n"),
    name="Инна", phone="+74951234567", phone_extension="321", message="Счёт на оплату.",
))
case(V(
    "phone-uzbek-landline-and-plus-eight",
    _cf7("Имя: Шерзод\nТелефон: +998 71 200-30-40\nСообщение: Поставка в Ташкент.\n"),
    name="Шерзод", phone="+998712003040", message="Поставка в Ташкент.",
))
case(V(
    "phone-toll-free-and-name-with-spaces",
    _cf7("Имя:   Пётр   Ильич  \nТелефон: 8-800-555-35-35\nСообщение: Тест формы.\n"),
    name="Пётр Ильич", phone="+78005553535", message="Тест формы.",
))
case(V(
    "phone-uppercase-email-in-phone-and-email-field",
    _cf7("Имя: Роза\nТелефон: ROZA.M@MAIL.RU\nE-mail: roza.m@mail.ru\nСообщение: Только почта.\n"),
    name="Роза", phone=None, email="roza.m@mail.ru", message="Только почта.",
    absent_extra=("Телефон",),
))

# --- attachments, harder ------------------------------------------------------------------------
_OUT2 = "Preisanfrage%20M%FCller.pdf"
case(V(
    "attachments-rfc2231-latin1-and-type-mismatch",
    phpmailer(multipart("mixed", "b1=_att2", [
        leaf("text/plain", "Имя: Инга\nТелефон: 89126543210\nСообщение: Два файла.\n"),
        attachment((f" name*=iso-8859-1''{_OUT2}", f" filename*=iso-8859-1''{_OUT2}"), PDF,
                   "application/pdf"),
        attachment(rfc2047_name("фото.jpg"), PNG, "image/jpeg"),
        attachment(rfc2047_name("Договор.DOCX"), DOCX, "application/octet-stream"),
        attachment(rfc2047_name("прайс.xls"), OLE2, "application/vnd.ms-excel"),
    ]), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Инга", phone="+79126543210", message="Два файла.",
    files=[("Preisanfrage Müller.pdf", PDF), ("Договор.DOCX", DOCX), ("прайс.xls", OLE2)],
    rejected=[("фото.jpg", "type")],
))
case(V(
    "attachment-exactly-10mib-and-name-only-in-content-type",
    phpmailer(multipart("mixed", "b1=_att3", [
        leaf("text/plain", "Имя: Карина\nТелефон: 89127770000\nСообщение: Чертёж.\n"),
        b'Content-Type: application/pdf; name="plan.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
        b"\r\n" + _b64(EXACT_10MIB),
        attachment(rfc2047_name("winmail.dat"), b"\x78\x9f\x3e\x22" + b"\x00" * 40,
                   "application/ms-tnef"),
    ]), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Карина", phone="+79127770000", message="Чертёж.",
    files=[("plan.pdf", EXACT_10MIB)], rejected=[("winmail.dat", "type")],
))
case(V(
    "thunderbird-plain-continuations-inline-photo",
    _TB_HEAD.encode() + multipart("mixed", "------------tb2", [
        leaf("text/plain", "Добрый день! Телефон 8 912 606 70 81.\nНужна такая же решётка.\n"),
        b'Content-Type: image/jpeg;\r\n name="IMG_20261116_101500.JPG"\r\n'
        b"Content-Disposition: inline;\r\n filename*0=\"IMG_20261116_\";\r\n"
        b" filename*1=\"101500.JPG\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + _b64(JPEG),
    ]),
    # a person's letter without form fields: quarantined for a person (SPEC), files still read
    is_form=False, create_lead=False, files=[("IMG_20261116_101500.JPG", JPEG)],
))

# --- forwards, harder ----------------------------------------------------------------------
_OLFWD = ("Посмотрите, пожалуйста.\n\nС уважением,\nАнна\n\n"
          "________________________________\n"
          "От: РостФеррум <wordpress@rostferrum.ru>\n"
          "Отправлено: 16 ноября 2026 г. 10:15\n"
          "Кому: anna.kovaleva@rostferrum.ru\n"
          "Тема: РостФеррум \"Заявка\"\n\n"
          "Имя: Аркадий Петренко\nТелефон: 8 912 000 77 66\nE-mail: arkadiy.p@mail.ru\n"
          "Сообщение: Нужен швеллер 10П.\n")
case(V(
    "outlook-russian-inline-forward",
    (TRACE + "From: =?utf-8?B?0JDQvdC90LAg0JrQvtCy0LDQu9GR0LLQsA==?= <anna.kovaleva@rostferrum.ru>"
     "\r\nTo: sales@rostferrum.ru\r\nSubject: =?utf-8?B?0J/QtdGA0LXRgdC7LjogWmF5YXZrYQ==?=\r\n"
     "Date: Mon, 16 Nov 2026 11:00:00 +0500\r\nMessage-ID: <AM9PR@outlook.com>\r\n"
     "Thread-Topic: Zayavka\r\nContent-Language: ru-RU\r\nMIME-Version: 1.0\r\n").encode()
    + leaf("text/plain", _OLFWD, "base64"),
    name="Аркадий Петренко", phone="+79120007766", email="arkadiy.p@mail.ru",
    message="Нужен швеллер 10П.",
))
_TBEN = ("FYI\n\n\n-------- Forwarded Message --------\n"
         "Subject: \tNew Entry: Заявка\nDate: \tMon, 16 Nov 2026 10:15:32 +0500\n"
         "From: \tРостФеррум <wordpress@rostferrum.ru>\nReply-To: \tmila.b@yandex.ru\n"
         "To: \tsales@rostferrum.ru\n\n\n\n"
         "--- Имя ---\n\nЛюдмила Быкова\n\n--- Телефон ---\n\n+7 912 432-10-98\n\n"
         "--- Email ---\n\nmila.b@yandex.ru\n\n--- Сообщение ---\n\nКруг 20 мм, 1 т.\n")
case(V(
    "thunderbird-english-forward-of-wpforms",
    (TRACE + "Message-ID: <fw2@rostferrum.ru>\r\nDate: Mon, 16 Nov 2026 11:00:00 +0500\r\n"
     "MIME-Version: 1.0\r\nUser-Agent: Mozilla Thunderbird\r\n"
     "From: Igor Manager <igor.m@gmail.com>\r\nTo: sales@rostferrum.ru\r\n"
     "Subject: =?UTF-8?B?RndkOiBOZXcgRW50cnk6INCX0LDRj9Cy0LrQsA==?=\r\n").encode()
    + leaf("text/plain", _TBEN, "8bit"),
    name="Людмила Быкова", phone="+79124321098", email="mila.b@yandex.ru",
    message="Круг 20 мм, 1 т.",
))

# --- not leads, harder -----------------------------------------------------------------------
case(V(
    "bulk-precedence-only-promo",
    saas(leaf("text/html", html_doc(
        "<h1>Скидки недели</h1><p>Арматура А500С — 49 900 ₽/т</p>"
        "<p>Телефон: 8 800 000-00-00<br>E-mail: sale@stalmarket.example</p>"
        "<p><a href=\"https://stalmarket.example/unsub\">Отписаться от рассылки</a></p>"),
        "base64"),
        subject="Скидки недели на металл", frm="СтальМаркет <promo@stalmarket.example>",
        extra="Precedence: bulk\r\nX-Mailru-Msgtype: marketing\r\n"),
    is_form=False, create_lead=False,
))
case(V(
    "empty-form-wpforms-plain-pusto",
    phpmailer(leaf("text/plain", "--- Имя ---\n\n(пусто)\n\n--- Телефон ---\n\n(пусто)\n\n"
                   "--- Сообщение ---\n\n(пусто)\n\n"), subject="Новая запись: Заявка", frm=WP),
    is_form=True, create_lead=False,
))
case(V(
    "empty-form-english-html",
    phpmailer(leaf("text/html", html_doc("<p>An empty form was submitted.</p>")),
              subject="New Entry: Contact Form", frm=WP),
    is_form=True, create_lead=False,
))

# --- malformed, harder -----------------------------------------------------------------------
_TRUNC = _b64(PDF)[:-7].replace(b"\r\n", b"")
case(V(
    "truncated-attachment-no-end-boundary",
    phpmailer(multipart("mixed", "b1=_trunc", [
        leaf("text/plain", "Имя: Леся\nТелефон: 89120001122\nСообщение: Счёт во вложении.\n"),
        b'Content-Type: application/pdf; name="schet.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
        b'Content-Disposition: attachment; filename="schet.pdf"\r\n\r\n'
        + _b64(PDF)[:-7] + b"\r\n",
    ], close=False), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Леся", phone="+79120001122", message="Счёт во вложении.",
    # the cut base64 is decoded as far as it goes (padding added)
    files=[("schet.pdf", base64.b64decode(_TRUNC + b"=" * (-len(_TRUNC) % 4)))],
))
case(V(
    "raw-8bit-utf8-from-name-and-qp-bad-escape",
    (TRACE + "To: sales@rostferrum.ru\r\nSubject: Заявка\r\n"
     "From: Сайт РостФеррум <noreply@rostferrum.ru>\r\n"
     "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\nMIME-Version: 1.0\r\n"
     "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
     "\r\n").encode()
    + b"=D0=98=D0=BC=D1=8F: =D0=A0=D0=B8=D1=82=D0=B0\r\n"
      b"=D0=A2=D0=B5=D0=BB=D0=B5=D1=84=D0=BE=D0=\r\n=BD: 8 912 111 00 22\r\n"
      b"=D0=A1=D0=BE=D0=BE=D0=B1=D1=89=D0=B5=D0=BD=D0=B8=D0=B5: 100% =\r\n"
      b"=3DZZ =D0=B3=D0=BE=D1=82=D0=BE=D0=B2=D0=BE\r\n",
    name="Рита", phone="+79121110022", message="100% =ZZ готово",
))
case(V(
    "nested-multipart-inner-boundary-missing",
    phpmailer(multipart("mixed", "b1=_outer", [
        multipart("alternative", "b2=_inner", [
            leaf("text/plain", "Имя: Тамара\nТелефон: 89123330099\nСообщение: Вопрос.\n"),
            leaf("text/html", html_doc("<p>Имя: Тамара<br>Телефон: 89123330099<br>"
                                       "Сообщение: Вопрос.</p>")),
        ], close=False),
        attachment(rfc2047_name("смета.pdf"), PDF, "application/pdf"),
    ]), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Тамара", phone="+79123330099", message="Вопрос.", files=[("смета.pdf", PDF)],
))
case(V(
    "no-subject-no-date-from-empty",
    (b"From: \r\nTo: sales@rostferrum.ru\r\nContent-Type: text/plain; charset=utf-8\r\n"
     b"Content-Transfer-Encoding: 8bit\r\n\r\n"
     + "Имя: Агата\nТелефон: +7 912 000 00 01\nE-mail: agata@ya.ru\n".replace("\n", "\r\n")
     .encode()),
    name="Агата", phone="+79120000001", email="agata@ya.ru",
))


# ---------------------------------------------------------------------------- batch 3

# --- Elementor HTML, English labels, one long line -> QP, Reply-To configured ---------------
_EL = ("Name: Anna Berg<br>Email: anna.berg@bygg.example<br>Phone: +46 70 123 45 67<br>"
       "Message: Hello!<br />We need " + "stainless sheet 2 mm, " * 40 + "thanks.<br><br>"
       "---<br><br>Date: November 16, 2026<br>Time: 10:15 am<br>"
       "Page URL: https://rostferrum.ru/en/contact/<br>User Agent: Mozilla/5.0<br>"
       "Remote IP: 198.51.100.9<br>Powered by: Elementor<br>")
case(V(
    "elementor-html-english-qp",
    phpmailer(leaf("text/html", _EL, "quoted-printable"), subject='New message from "RostFerrum"',
              frm="RostFerrum <wordpress@rostferrum.ru>", reply_to="anna.berg@bygg.example"),
    name="Anna Berg", phone="+46701234567", email="anna.berg@bygg.example",
    message="Hello!\nWe need " + "stainless sheet 2 mm, " * 40 + "thanks.",
    extra={"Page URL": "https://rostferrum.ru/en/contact/"}, absent_extra=("Remote IP",),
))

# --- Bitrix main.feedback cp1251 with a customised template adding a phone ------------------
_FB2 = ("Информационное сообщение сайта РостФеррум\n"
        "------------------------------------------\n\n"
        "Вам было отправлено сообщение через форму обратной связи\n\n"
        "Автор: Павлов Денис Сергеевич\nE-mail автора: d.pavlov@uraltrade.example\n"
        "Телефон: 8 (343) 385-20-10\n\n"
        "Текст сообщения:\nПрошу выставить счёт на лист 10 мм, 2 т.\n\n"
        "Сообщение сгенерировано автоматически.\n")
case(V(
    "bitrix-feedback-cp1251-custom-phone",
    bitrix(_FB2, subject="РостФеррум: Сообщение из формы обратной связи", event="FEEDBACK_FORM"),
    name="Павлов Денис Сергеевич", phone="+73433852010", email="d.pavlov@uraltrade.example",
    message="Прошу выставить счёт на лист 10 мм, 2 т.",
))

# --- Marquiz plain text: 'Вопрос:' / 'Ответ:' pairs -----------------------------------------
_MQ2 = ("Новая заявка из квиза «Расчёт стоимости»\n\n"
        "Вопрос: Какой профиль нужен?\nОтвет: Труба 80х80\n\n"
        "Вопрос: Сколько метров?\nОтвет: 300\n\n"
        "Контакты\nИмя: Глеб\nТелефон: +7 912 505-50-50\n")
case(V(
    "marquiz-question-answer-lines",
    saas(leaf("text/plain", _MQ2, "base64"), subject="Новая заявка из квиза",
         frm="Marquiz <noreply@marquiz.ru>"),
    name="Глеб", phone="+79125055050", message=None,
    extra={"Какой профиль нужен?": "Труба 80х80", "Сколько метров?": "300"},
))

# --- Tilda: masked phone left empty, e-mail only ------------------------------------------------
case(V(
    "tilda-empty-phone-mask",
    saas(leaf("text/plain", "Name: Ксения\nPhone: +7 (___) ___-__-__\nEmail: ksu@ya.ru\n"
              "Comments: Пришлите каталог\n\nAdditional information:\n"
              "Transaction ID: 7419501:1\nForm Name: Form\n", "quoted-printable"),
         subject="Заявка с сайта", frm="Tilda <robot@tilda.ws>", reply_to="ksu@ya.ru"),
    name="Ксения", phone=None, email="ksu@ya.ru", message="Пришлите каталог",
    absent_extra=("Phone",),
))

# --- Yandex Forms as an HTML table --------------------------------------------------------------
_YF = ("<p>Новый ответ в форме «Заявка на металл»</p><table>"
       "<tr><td><b>Ваше имя</b></td></tr><tr><td>Лилия</td></tr>"
       "<tr><td><b>Телефон</b></td></tr><tr><td>89120203040</td></tr>"
       "<tr><td><b>Электронная почта</b></td></tr><tr><td>liliya@mail.ru</td></tr>"
       "<tr><td><b>Комментарий</b></td></tr><tr><td>Нужна сетка 50х50х4</td></tr></table>"
       '<p><a href="https://forms.yandex.ru/cloud/admin/1/answers">Все ответы</a></p>')
case(V(
    "yandex-forms-html-rows",
    saas(alt("Новый ответ в форме «Заявка на металл»\n\nВаше имя\nЛилия\n\nТелефон\n89120203040\n\n"
             "Электронная почта\nliliya@mail.ru\n\nКомментарий\nНужна сетка 50х50х4\n",
             html_doc(_YF)), subject="Новый ответ в форме «Заявка на металл»",
         frm="Яндекс Формы <noreply@forms.yandex.ru>"),
    name="Лилия", phone="+79120203040", email="liliya@mail.ru", message="Нужна сетка 50х50х4",
))

# --- WPForms HTML, English, with '(empty)' message ------------------------------------------
_WPF = ('<table><tr><td class="field-name"><strong>Name</strong></td></tr>'
        '<tr class="field-name"><td class="field-value">Tom Hardy</td></tr>'
        '<tr><td class="field-name"><strong>Email</strong></td></tr>'
        '<tr class="field-email"><td class="field-value">tom@hardy.example</td></tr>'
        '<tr><td class="field-name"><strong>Phone</strong></td></tr>'
        '<tr class="field-phone"><td class="field-value">+1 647 555 0177</td></tr>'
        '<tr><td class="field-name"><strong>Comment or Message</strong></td></tr>'
        '<tr class="field-textarea"><td class="field-value">(empty)</td></tr></table>')
case(V(
    "wpforms-html-english-empty-message",
    phpmailer(leaf("text/html", html_doc(_WPF)), subject="New Entry: Contact Form", frm=WP),
    name="Tom Hardy", phone="+16475550177", email="tom@hardy.example", message=None,
))

# --- an invalid e-mail in the field, the valid one in Reply-To is the same typo ------------
case(V(
    "invalid-email-in-field",
    _cf7("Имя: Фаина\nТелефон: 89127771100\nE-mail: faina@mail\nСообщение: Лист 1 мм\n"),
    name="Фаина", phone="+79127771100", email=None, message="Лист 1 мм",
))

# --- two e-mail fields: the first is the client's -------------------------------------------
case(V(
    "two-email-fields",
    _cf7("Имя: Родион\nТелефон: 89127771101\nE-mail: rodion@mail.ru\n"
         "E-mail для счетов: buh@rodion-stroy.example\nСообщение: Счёт на оплату\n"),
    name="Родион", phone="+79127771101", email="rodion@mail.ru", message="Счёт на оплату",
))

# --- phone with messenger words and a name in the field -------------------------------------
case(V(
    "phone-with-words",
    _cf7("Имя: Алина\nТелефон: 89123456700 (WhatsApp, Viber)\nСообщение: Пишите в мессенджер\n"),
    name="Алина", phone="+79123456700", message="Пишите в мессенджер",
))
case(V(
    "phone-seven-without-plus-and-spaces",
    _cf7("Имя: Богдан\nТелефон: 7 912 345 67 02\nСообщение: Вопрос по наличию\n"),
    name="Богдан", phone="+79123456702", message="Вопрос по наличию",
))

# --- Mail.ru forward ---------------------------------------------------------------------------
_MRU = ("\n\n\n-------- Пересылаемое сообщение --------\n"
        "От кого: РостФеррум <noreply@rostferrum.ru>\nКому: sales-old@rostferrum.ru\n"
        "Дата: Понедельник, 16 ноября 2026, 10:15 +05:00\nТема: Заявка с сайта\n\n"
        "Имя: Дарина\nТелефон: 8 912 303 40 50\nE-mail: darina@bk.ru\n"
        "Сообщение: Нужен уголок 40х4.\n\n-------- Конец пересылаемого сообщения --------\n"
        "\n--\nВиктор, отдел продаж\nтел. +7 343 000-00-02\n")
case(V(
    "mailru-forward-signature-after",
    (TRACE + "From: =?UTF-8?B?0JLQuNC60YLQvtGA?= <viktor.sales@mail.ru>\r\n"
     "To: sales@rostferrum.ru\r\n"
     "Subject: =?UTF-8?B?RndkOiDQl9Cw0Y/QstC60LAg0YEg0YHQsNC50YLQsA==?=\r\n"
     "Date: Mon, 16 Nov 2026 11:00:00 +0300\r\nMessage-ID: <1605510000.123@f1.mail.ru>\r\n"
     "X-Mailer: Mail.Ru Mailer 1.0\r\nMIME-Version: 1.0\r\n").encode()
    + leaf("text/plain", _MRU, "base64"),
    name="Дарина", phone="+79123034050", email="darina@bk.ru", message="Нужен уголок 40х4.",
))

# --- Thunderbird forward keeps the original files as parts ---------------------------------
case(V(
    "thunderbird-forward-with-files",
    (TRACE + "Message-ID: <fw3@rostferrum.ru>\r\nDate: Mon, 16 Nov 2026 11:00:00 +0500\r\n"
     "MIME-Version: 1.0\r\nUser-Agent: Mozilla Thunderbird\r\n"
     "From: =?UTF-8?B?0JDQvdC90LAg0JrQvtCy0LDQu9GR0LLQsA==?= <anna.kovaleva@rostferrum.ru>\r\n"
     "To: sales@rostferrum.ru\r\nSubject: =?UTF-8?B?0J/QtdGA0LXRgdC7Lg==?=\r\n").encode()
    + multipart("mixed", "------------fw3", [
        leaf("text/plain", "\n\n-------- Пересылаемое сообщение --------\n"
             "Тема: \tЗаявка с сайта\nДата: \tMon, 16 Nov 2026 10:15:32 +0500\n"
             "От: \tРостФеррум <noreply@rostferrum.ru>\nКому: \tanna.kovaleva@rostferrum.ru\n\n\n"
             "Имя: Прохор\nТелефон: 89125006070\nСообщение: Смета во вложении.\n"),
        attachment(_tb_params, PDF, "application/pdf"),
    ]),
    name="Прохор", phone="+79125006070", email=None, message="Смета во вложении.",
    files=[(_TB_NAME, PDF)],
))

# --- malformed: declared base64 but the body is plain 8bit text ------------------------------
case(V(
    "declared-base64-actually-8bit",
    phpmailer(b"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
              b"\r\n" + "Имя: Герман\r\nТелефон: 89121234599\r\nСообщение: Лист 6 мм\r\n".encode(),
              subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Герман", phone="+79121234599", message="Лист 6 мм",
))
case(V(
    "multipart-without-boundary-param",
    phpmailer(b"Content-Type: multipart/alternative\r\n\r\n"
              + "Имя: Нелли\r\nТелефон: 89121234598\r\nСообщение: Балка\r\n".encode(),
              subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Нелли", phone="+79121234598", message="Балка",
))
case(V(
    "raw-cp1251-headers",
    (TRACE + "To: sales@rostferrum.ru\r\n").encode()
    + "Subject: Заявка с сайта\r\nFrom: Сайт <noreply@rostferrum.ru>\r\n".encode("cp1251")
    + b"Date: Mon, 16 Nov 2026 10:15:32 +0500\r\nContent-Type: text/plain; charset=windows-1251\r\n"
      b"\r\n" + "Имя: Всеволод\r\nТелефон: 89121234597\r\nСообщение: Круг 12\r\n".encode("cp1251"),
    name="Всеволод", phone="+79121234597", message="Круг 12",
))
case(V(
    "auto-submitted-autoreply-with-form-text",
    saas(leaf("text/plain", "Спасибо за заявку! Мы перезвоним.\n\nВаша заявка:\nИмя: Ян\n"
              "Телефон: 89121234596\n"), subject="Автоответ: Заявка с сайта",
         frm="РостФеррум <noreply@rostferrum.ru>",
         extra="Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n"),
    is_form=False, create_lead=False,
))


# ---------------------------------------------------------------------------- batch 4

XML_XLS = ('<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n'
           '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet>'
           "<Table><Row><Cell><Data>Арматура</Data></Cell></Row></Table></Worksheet></Workbook>"
           ).encode()
HTML_XLS_1251 = ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
                 '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
                 "</head><body><table><tr><td>Швеллер 12П</td><td>10</td></tr></table>"
                 "</body></html>").encode("cp1251")

# --- a form notification sent through a bulk ESP (List-Unsubscribe) is still a lead ----------
case(V(
    "form-notification-with-list-unsubscribe",
    saas(leaf("text/plain", "Request details:\n\nName: Эмиль\nPhone: +7 912 600 11 22\n"
              "Email: emil@ya.ru\nComments: Нужен лист ПВЛ\n\nAdditional information:\n"
              "Transaction ID: 1:2\nForm Name: Form\n", "quoted-printable"),
         subject="Заявка с сайта rostferrum.ru", frm="Tilda <robot@tilda.ws>",
         reply_to="emil@ya.ru",
         extra="List-Unsubscribe: <https://tilda.cc/unsubscribe/?id=1>\r\n"),
    name="Эмиль", phone="+79126001122", email="emil@ya.ru", message="Нужен лист ПВЛ",
))

# --- a colon layout whose every field is '(пусто)' --------------------------------------------
case(V(
    "empty-form-colon-pusto",
    _cf7("Имя: (пусто)\nТелефон: (пусто)\nE-mail: (пусто)\nСообщение: (пусто)\n"),
    is_form=True, create_lead=False,
))

# --- phones, more -------------------------------------------------------------------------------
case(V(
    "phone-russian-international-prefix-810",
    _cf7("Имя: Василий\nТелефон: 8 10 375 29 765 43 21\nСообщение: Доставка в Гомель\n"),
    name="Василий", phone="+375297654321", message="Доставка в Гомель",
))
case(V(
    "phone-tel-link-in-html",
    phpmailer(leaf("text/html", html_doc(
        "<p><b>Имя:</b> Ульяна<br><b>Телефон:</b> <a href=\"tel:+79123456711\">"
        "+7 912 345-67-11</a><br><b>Сообщение:</b> Жду звонка</p>")),
        subject="Заявка с сайта", frm="РостФеррум <noreply@rostferrum.ru>", smtp=True),
    name="Ульяна", phone="+79123456711", message="Жду звонка",
))
case(V(
    "phone-ten-digits-spaced-comma-extension",
    _cf7("Имя: Эльвира\nТелефон: 343 385 20 11, доб. 7\nСообщение: Бухгалтерия\n"),
    name="Эльвира", phone="+73433852011", phone_extension="7", message="Бухгалтерия",
))
case(V(
    "phone-two-countries",
    _cf7("Имя: Нурлан\nТелефон: +7 701 111 22 33 / +998 90 555 66 77\nСообщение: Два офиса\n"),
    name="Нурлан", phone="+77011112233", other_phones=["+998905556677"], message="Два офиса",
))

# --- attachments, more ----------------------------------------------------------------------
_RAW_LATIN1 = "Müller Angebot.pdf".encode("latin-1")
case(V(
    "attachments-1c-exports-and-padding",
    phpmailer(multipart("mixed", "b1=_att4", [
        leaf("text/plain", "Имя: Ефим\nТелефон: 89127000001\nСообщение: Выгрузки из 1С.\n"),
        attachment(rfc2047_name("Остатки.xls"), XML_XLS, "application/vnd.ms-excel"),
        attachment(rfc2047_name("Счёт 1С.xls"), HTML_XLS_1251, "application/vnd.ms-excel"),
        b'Content-Type: application/pdf; name="akt.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
        b'Content-Disposition: attachment; filename="akt.pdf"\r\n\r\n'
        + _b64(PDF + b"x").replace(b"=", b""),
    ]), subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Ефим", phone="+79127000001", message="Выгрузки из 1С.",
    files=[("Остатки.xls", XML_XLS), ("Счёт 1С.xls", HTML_XLS_1251), ("akt.pdf", PDF + b"x")],
))
case(V(
    "thunderbird-mixed-continuations",
    _TB_HEAD.encode() + multipart("mixed", "------------tb4", [
        leaf("text/plain", "Имя: Кирилл Волков\nТелефон: 89126067082\nСообщение: Прайс.\n"),
        b"Content-Type: application/pdf;\r\n name*0*=utf-8''%D0%9F%D1%80%D0%B0%D0%B9%D1%81;\r\n"
        b' name*1=" 2026.pdf"\r\nContent-Disposition: attachment;\r\n'
        b" filename*0*=utf-8''%D0%9F%D1%80%D0%B0%D0%B9%D1%81;\r\n"
        b' filename*1=" 2026.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + _b64(PDF),
    ]),
    name="Кирилл Волков", phone="+79126067082", email="k.volkov@mail.ru", message="Прайс.",
    files=[("Прайс 2026.pdf", PDF)],
))
case(V(
    "outlook-raw-latin1-filename",
    (TRACE + "From: Hans Weber <h.weber@stahlbau.example>\r\nTo: sales@rostferrum.ru\r\n"
     "Subject: Anfrage\r\nDate: Mon, 16 Nov 2026 06:15:32 +0000\r\n"
     "Message-ID: <AM0PR10MB9999@outlook.com>\r\nMIME-Version: 1.0\r\n").encode()
    + multipart("mixed", "_005_AM0PR10MB9999_", [
        leaf("text/plain", "Name: Hans Weber\nTelefon: +49 171 2345678\n"
             "Nachricht: Angebot anbei.\n", "quoted-printable", "iso-8859-1"),
        b'Content-Type: application/pdf; name="' + _RAW_LATIN1 + b'"\r\n'
        b'Content-Disposition: attachment; filename="' + _RAW_LATIN1 + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(PDF),
    ]),
    name="Hans Weber", phone="+491712345678", email="h.weber@stahlbau.example",
    message="Angebot anbei.", files=[("Müller Angebot.pdf", PDF)],
))


# ---------------------------------------------------------------------------- batch 5


def _fwd_mail(body: bytes, frm: str, subject: str) -> bytes:
    return (TRACE + f"From: {frm}\r\nTo: sales@rostferrum.ru\r\nSubject: {_words(subject)}\r\n"
            "Date: Mon, 16 Nov 2026 11:00:00 +0500\r\nMessage-ID: <fwd5@mail.example>\r\n"
            "MIME-Version: 1.0\r\n").encode() + body


# --- Gmail in Russian: 'Пересланное сообщение' -----------------------------------------------
case(V(
    "gmail-russian-forward",
    _fwd_mail(alt("Срочно!\n\n---------- Пересланное сообщение ---------\n"
                  "От: РостФеррум <wordpress@rostferrum.ru>\n"
                  "Date: пн, 16 нояб. 2026 г. в 10:15\nSubject: Новая запись: Заявка\n"
                  "To: <manager.rf@gmail.com>\n\n\nИмя\nЖанна Орлова\nТелефон\n+7 912 700-80-90\n"
                  "Сообщение\nНужна профтруба 40х40.\n",
                  html_doc("<div>Срочно!</div><br><div class=\"gmail_quote\">"
                           "---------- Пересланное сообщение ---------<br>От: <b>РостФеррум</b> "
                           "&lt;wordpress@rostferrum.ru&gt;<br>Date: пн, 16 нояб. 2026 г. в 10:15"
                           "<br>Subject: Новая запись: Заявка<br>To: &lt;manager.rf@gmail.com&gt;"
                           "<br><br><br><table><tr><td><strong>Имя</strong></td></tr><tr><td>"
                           "Жанна Орлова</td></tr><tr><td><strong>Телефон</strong></td></tr><tr>"
                           "<td>+7 912 700-80-90</td></tr><tr><td><strong>Сообщение</strong></td>"
                           "</tr><tr><td>Нужна профтруба 40х40.</td></tr></table></div>"),
                  "quoted-printable", "000000000000abcd05f0"),
              "Менеджер РФ <manager.rf@gmail.com>", "Fwd: Новая запись: Заявка"),
    name="Жанна Орлова", phone="+79127008090", email=None, message="Нужна профтруба 40х40.",
))

# --- Thunderbird forward: the client's address only in the block's Reply-To line -------------
case(V(
    "forward-reply-to-line-is-the-client",
    _fwd_mail(leaf("text/plain", "\n\n-------- Пересылаемое сообщение --------\n"
                   "Тема: \tРостФеррум \"Заявка\"\nДата: \tMon, 16 Nov 2026 10:15:32 +0500\n"
                   "От: \tРостФеррум <wordpress@rostferrum.ru>\n"
                   "Ответить: \tАнтон Ершов <anton.ershov@yandex.ru>\n"
                   "Кому: \tsales-old@rostferrum.ru\n\n\n\n"
                   "От: Антон Ершов <anton.ershov@yandex.ru>\nТема: Арматура\n\n"
                   "Сообщение:\nНужна арматура 16 мм, 8 т. Тел. 8 912 440-50-60.\n\n-- \n"
                   "Это сообщение отправлено из контактной формы на сайте РостФеррум\n"),
              "=?UTF-8?B?0JDQvdC90LAg0JrQvtCy0LDQu9GR0LLQsA==?= <anna.kovaleva@rostferrum.ru>",
              "Fwd: РостФеррум \"Заявка\""),
    name="Антон Ершов", phone="+79124405060", email="anton.ershov@yandex.ru",
    message="Нужна арматура 16 мм, 8 т. Тел. 8 912 440-50-60.",
))

# --- Thunderbird HTML forward with the header table and a Ninja Forms table inside ---------
_TBH = ('<p>Передаю.</p><div class="moz-forward-container"><br><br>'
        "-------- Пересылаемое сообщение --------"
        '<table class="moz-email-headers-table" border="0" cellpadding="0" cellspacing="0">'
        '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Тема: </th>'
        "<td>Ninja Forms Submission</td></tr>"
        '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Дата: </th>'
        "<td>Mon, 16 Nov 2026 10:15:32 +0500</td></tr>"
        '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">От: </th>'
        "<td>РостФеррум <a href=\"mailto:wordpress@rostferrum.ru\">&lt;wordpress@rostferrum.ru&gt;"
        "</a></td></tr>"
        '<tr><th valign="BASELINE" nowrap="nowrap" align="RIGHT">Кому: </th>'
        "<td>anna.kovaleva@rostferrum.ru</td></tr></table><br><br>"
        "<table><tr><td>Имя:</td><td>Фрол Кузьмин</td></tr>"
        "<tr><td>Телефон:</td><td>89125550101</td></tr>"
        "<tr><td>Email:</td><td>frol@kuzmin.example</td></tr>"
        "<tr><td>Сообщение:</td><td>Сколько стоит доставка?</td></tr></table></div>")
case(V(
    "thunderbird-html-forward-ninja",
    _fwd_mail(leaf("text/html", html_doc(_TBH)),
              "=?UTF-8?B?0JDQvdC90LAg0JrQvtCy0LDQu9GR0LLQsA==?= <anna.kovaleva@rostferrum.ru>",
              "Fwd: Ninja Forms Submission"),
    name="Фрол Кузьмин", phone="+79125550101", email="frol@kuzmin.example",
    message="Сколько стоит доставка?",
))

# --- name specials ----------------------------------------------------------------------------
case(V(
    "name-dash-is-no-name",
    _cf7("Имя: -\nТелефон: 89125550102\nСообщение: Перезвоните\n"),
    name=None, phone="+79125550102", message="Перезвоните",
))
case(V(
    "name-uppercase-latin-kept",
    _cf7("Имя: IVAN PETROV\nТелефон: 89125550103\nСообщение: Price please\n"),
    name="IVAN PETROV", phone="+79125550103", message="Price please",
))
case(V(
    "name-with-company-kept-as-written",
    _cf7("Ваше имя: Ольга, ООО «Металл-Сервис»\nТелефон: 89125550104\nСообщение: КП\n"),
    name="Ольга, ООО «Металл-Сервис»", phone="+79125550104", message="КП",
))
case(V(
    "cf7-reply-to-with-display-name-no-name-field",
    _cf7("Телефон: 89125550105\nСообщение: Нужен лист 3 мм\n",
         reply_to="=?UTF-8?B?0JPRgNC40LPQvtGA0LjQuSDQm9C+0YHQtdCy?= <g.losev@mail.ru>"),
    name="Григорий Лосев", phone="+79125550105", email="g.losev@mail.ru",
    message="Нужен лист 3 мм",
))


# ---------------------------------------------------------------------------- batch 6

_CP = "windows-1251"
_SUBJ_1251_AS_UTF8 = "=?utf-8?B?" + base64.b64encode("Заявка с сайта".encode(_CP)).decode() + "?="
_NAME_1251_AS_UTF8 = "=?utf-8?B?" + base64.b64encode("Прайс.txt".encode(_CP)).decode() + "?="

# --- mislabelled utf-8 everywhere: QP body, B subject and file name are cp1251 bytes ----------
case(V(
    "mislabelled-utf8-qp-subject-and-filename",
    (TRACE + f"To: sales@rostferrum.ru\r\nSubject: {_SUBJ_1251_AS_UTF8}\r\n"
     "From: noreply@rostferrum.ru\r\nDate: Mon, 16 Nov 2026 10:15:32 +0500\r\n"
     "Message-ID: <m3@rostferrum.ru>\r\nMIME-Version: 1.0\r\n").encode()
    + multipart("mixed", "b1=_mis3", [
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
        b"\r\n\r\n" + _qp("Имя: Ростислав\r\nТелефон: 89125550106\r\n"
                          "Сообщение: Цены на уголок 100х8\r\n".encode(_CP)),
        attachment((f' name="{_NAME_1251_AS_UTF8}"', f' filename="{_NAME_1251_AS_UTF8}"'),
                   TXT_1251, "text/plain"),
    ]),
    name="Ростислав", phone="+79125550106", message="Цены на уголок 100х8",
    files=[("Прайс.txt", TXT_1251)],
))

# --- RFC 2231 continuation split inside a two-byte character --------------------------------
_SPLIT_NAME = "Коммерческое предложение.pdf"
_se = "".join(f"%{b:02X}" for b in _SPLIT_NAME.encode())
case(V(
    "rfc2231-split-inside-a-character",
    _TB_HEAD.encode() + multipart("mixed", "------------tb6", [
        leaf("text/plain", "Имя: Кирилл Волков\nТелефон: 89126067083\nСообщение: КП.\n"),
        (b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
         b" filename*0*=UTF-8''" + _se[:21].encode() + b";\r\n filename*1*=" + _se[21:].encode()
         + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + _b64(PDF)),
    ]),
    name="Кирилл Волков", phone="+79126067083", email="k.volkov@mail.ru", message="КП.",
    files=[(_SPLIT_NAME, PDF)],
))

# --- a broken header line in the middle of the header block ---------------------------------
case(V(
    "header-line-without-colon",
    (TRACE + "To: sales@rostferrum.ru\r\nSubject: Zayavka\r\nFrom: noreply@rostferrum.ru\r\n"
     "X-Originating-Script 1001:send.php\r\n"
     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1251\r\n"
     "Content-Transfer-Encoding: 8bit\r\n\r\n").encode()
    + "Имя: Серафима\r\nТелефон: 89125550107\r\nСообщение: Лист 4 мм\r\n".encode(_CP),
    name="Серафима", phone="+79125550107", message="Лист 4 мм",
    absent_extra=("Content-Type", "MIME-Version"),
))

# --- unterminated encoded word in From, NUL bytes in the body ----------------------------------
case(V(
    "broken-encoded-from-and-nuls",
    (TRACE + "To: sales@rostferrum.ru\r\nSubject: =?utf-8?B?0JfQsNGP0LLQutCw?=\r\n"
     "From: =?utf-8?B?0KHQsNC50YI <noreply@rostferrum.ru>\r\n"
     "Date: Mon, 16 Nov 2026 10:15:32 +0500\r\nMIME-Version: 1.0\r\n"
     "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode()
    + "Имя: Ника\r\nТелефон: 89125550108\r\nСообщение: Нужен\x00 круг 30\r\n".encode(),
    name="Ника", phone="+79125550108", message="Нужен круг 30",
))

# --- delimiter lines with transport padding, an epilogue, upper-case CTE -------------------
case(V(
    "boundary-padding-and-epilogue",
    phpmailer(b'Content-Type: multipart/mixed; boundary="=_Part_17"\r\n\r\n'
              b"This is a multi-part message in MIME format.\r\n--=_Part_17  \r\n"
              + leaf("text/plain", "Имя: Ульяна\nТелефон: 89125550109\nСообщение: Сетка\n",
                     "8BIT")
              + b"\r\n--=_Part_17\t\r\n"
              + attachment(rfc2047_name("схема.PNG"), PNG, "image/png")
              + b"\r\n--=_Part_17--  \r\nepilogue garbage\r\n",
              subject="Заявка", frm="noreply@rostferrum.ru", smtp=True),
    name="Ульяна", phone="+79125550109", message="Сетка", files=[("схема.PNG", PNG)],
))

# --- only an attachment, empty text part ----------------------------------------------------
case(V(
    "form-with-empty-text-and-a-file",
    phpmailer(multipart("mixed", "b1=_only", [
        leaf("text/plain", "\n"),
        attachment(rfc2047_name("заявка.pdf"), PDF, "application/pdf"),
    ]), subject="Заявка с сайта", frm="noreply@rostferrum.ru", smtp=True),
    # nothing a person can read as a client: quarantined, the file still listed
    is_form=False, create_lead=False, files=[("заявка.pdf", PDF)],
))


# ---------------------------------------------------------------------------- batch 7

# --- template tags left unreplaced (the form has no such field) ------------------------------
case(V(
    "cf7-unreplaced-mail-tag",
    _cf7("Ваше имя: Леонид\nВаш телефон: [your-phone]\nВаш e-mail: leonid@x.example\n"
         "Сообщение: Нужен прайс\n", reply_to="leonid@x.example"),
    name="Леонид", phone=None, email="leonid@x.example", message="Нужен прайс",
    absent_extra=("Ваш телефон",),
))
case(V(
    "bitrix-feedback-unreplaced-macro",
    bitrix(_FEEDBACK.replace("E-mail автора: marina.lebedeva@yandex.ru\n",
                             "E-mail автора: marina.lebedeva@yandex.ru\nТелефон: #PHONE#\n"),
           subject="РостФеррум: Сообщение из формы обратной связи", event="FEEDBACK_FORM",
           charset="UTF-8"),
    name="Лебедева Марина", phone="+79122223344", email="marina.lebedeva@yandex.ru",
    message="Добрый день! Интересует профнастил С21, 120 м2.\nМой телефон +7 912 222-33-44.",
    absent_extra=("Телефон",),
))


# ---------------------------------------------------------------------------- test

def _ws(v: str | None) -> str | None:
    return None if v is None else " ".join(v.split())


def _problems(v: V, got: dict[str, Any]) -> list[str]:
    out = []
    for key in ("is_form", "create_lead"):
        if got[key] != getattr(v, key):
            out.append(f"{key}: got {got[key]!r} ({got.get('reason')})")
    if v.create_lead:
        if got["phone"] != v.phone:
            out.append(f"phone: got {got['phone']!r}, expected {v.phone!r}")
        if (got["email"] or "").lower() != (v.email or "").lower():
            out.append(f"email: got {got['email']!r}, expected {v.email!r}")
        if _ws(got["name"]) != _ws(v.name):
            out.append(f"name: got {got['name']!r}, expected {v.name!r}")
        if _ws(got["message"]) != _ws(v.message):
            out.append(f"message: got {got['message']!r}, expected {v.message!r}")
    for k, val in v.extra.items():
        if _ws(got["extra"].get(k)) != _ws(val):
            out.append(f"extra[{k!r}]: got {got['extra'].get(k)!r}, expected {val!r}")
    for k in v.absent_extra:
        if k in got["extra"]:
            out.append(f"extra[{k!r}] should be absent")
    want = Counter((n, hashlib.sha256(d).hexdigest()) for n, d in v.files)
    have = Counter((a["filename"], a["sha256"]) for a in got["attachments"])
    if want != have:
        out.append(f"attachments: got {sorted(have)}")
    have_r = Counter((r["filename"], r["reason"]) for r in got["rejected_attachments"])
    if have_r != Counter(v.rejected):
        out.append(f"rejected: got {sorted(have_r)}")
    if v.other_phones is not None and got.get("other_phones", []) != v.other_phones:
        out.append(f"other_phones: got {got.get('other_phones')!r}")
    if v.phone_extension is not None and got.get("phone_extension") != v.phone_extension:
        out.append(f"phone_extension: got {got.get('phone_extension')!r}")
    return out


def test_enough_variants() -> None:
    """The checker covers at least thirty distinct messages."""
    assert len(CASES) >= 30
    assert len({v.id for v in CASES}) == len(CASES)


@pytest.mark.parametrize("v", [pytest.param(v, id=v.id) for v in CASES])
def test_variant(v: V) -> None:
    """The message parses to the extraction a person would agree on (README comparison)."""
    got = to_json(parse_message(v.raw))
    problems = _problems(v, got)
    assert not problems, "\n".join(problems)
