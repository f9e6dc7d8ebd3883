"""Synthetic RostFerrum-style form e-mails for backlog, crash and benchmark runs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form_email(
    i: int,
    *,
    file_size: int = 0,
    when: datetime | None = None,
    message: str | None = None,
) -> bytes:
    """Form notification number ``i``: a distinct client, phone and enquiry.

    ``file_size`` > 0 attaches a PDF of about that many bytes.
    """
    when = when or datetime(2026, 11, 30, 9, 0, tzinfo=UTC) + timedelta(seconds=i)
    msg = EmailMessage()
    msg["Date"] = format_datetime(when)
    msg["To"] = "zayavki@rostferrum.ru"
    msg["From"] = "РостФеррум <noreply@rostferrum.ru>"
    msg["Reply-To"] = f"client{i}@example.ru"
    msg["Subject"] = f"Заявка с сайта #{i}"
    msg["Message-ID"] = make_msgid(idstring=f"form{i}", domain="rostferrum.ru")
    text = message or f"Нужна арматура А500С, партия {i}, доставка в Екатеринбург."
    msg.set_content(
        f"Имя: Клиент Номер{i}\n"
        f"Телефон: +7 912 {i // 10000 % 1000:03d}-{i // 100 % 100:02d}-{i % 100:02d}\n"
        f"E-mail: client{i}@example.ru\n"
        f"Сообщение: {text}\n"
    )
    if file_size:
        seed = hashlib.sha256(str(i).encode()).digest()
        body = PDF + (seed * (file_size // len(seed) + 1))[: max(0, file_size - len(PDF))]
        msg.add_attachment(body, maintype="application", subtype="pdf",
                           filename=f"Спецификация-{i}.pdf")
    return msg.as_bytes()


# A form in a layout no rule knows (labels the parser has never seen): quarantined for a person.
ODD_LAYOUT = (
    "From: Site <robot@shop.example>\r\nTo: sales@shop.example\r\n"
    "Subject: New request\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
    "Message-ID: <odd-1@shop.example>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Позывной заказчика: Степан Разин\r\n"
    "Связь: 8 (912) 555-44-33\r\n"
)
