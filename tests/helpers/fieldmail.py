"""Form e-mails for the field-extraction tests: a raw message around a body, a MailDoc, samples.

``form_eml`` writes a one-part message as a site sends it; ``parse_form`` runs it through the
real ``parse_message``; ``mail_doc`` builds the MailDoc the decoder would hand over.
"""

from __future__ import annotations

from bridge.model import Attachment, ParsedForm, ParseOptions
from bridge.parsing import parse_message
from bridge.parsing.doc import Address, MailDoc

SITE = "РостФеррум <noreply@rostferrum.ru>"


def form_eml(body: str, *, html: bool = False, frm: str = SITE, reply_to: str | None = None,
             subject: str = "Заявка с сайта", headers: str = "") -> bytes:
    """A one-part text (or HTML) message from ``frm`` with ``body``, CRLF line ends."""
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


def parse_form(body: str, options: ParseOptions | None = None, **kw: object) -> ParsedForm:
    """``form_eml(body, **kw)`` through ``parse_message``."""
    raw = form_eml(body, **kw)  # type: ignore[arg-type]  # kw: form_eml's own keywords
    return parse_message(raw, options or ParseOptions())


def mail_doc(text: str | None = None, *, html: str | None = None, frm: Address | None = None,
             reply_to: tuple[Address, ...] = (), subject: str = "Заявка",
             auto_kind: str | None = None, forwarded: MailDoc | None = None,
             attachments: tuple[Attachment, ...] = ()) -> MailDoc:
    """A MailDoc as the decoder hands it over, with the given parts."""
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

FORM_INNER = "Имя: Вадим Крылов\nТелефон: 8 912 345 67 89\nСообщение: Нужен швеллер.\n"

SPAM = ("Имя: CryptoBonus\nТелефон: +1 000 000 00 00\nE-mail: bonus@promo.example\n\n"
        "Сообщение:\nGet bonus http://a.example/1 http://a.example/2 https://b.example/ "
        "http://c.example/ [url=http://d.example/]casino[/url]\n")
