"""Shapes of values that need care: a sender line, links that carry a number, site domains.

* Contact Form 7 >= 5.7 writes its default ``From:`` line as ``[your-name] [your-email]``:
  a name and an address with no angle brackets (:func:`split_sender`);
* a phone number inside a URL (``https://wa.me/79161234567``,
  ``api.whatsapp.com/send?phone=…``) is a link, not the client's phone
  (:func:`without_urls`), and a messenger link is how link spam leaves its contact
  (:func:`messenger_links`);
* a site names itself in its own template without ``https://`` ("Заявка отправлена с сайта
  metallcentr.ru"): :func:`mentions_domain`.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

_BARE_SENDER = re.compile(r"^(?P<name>.*?)[\s,;]*<?(?P<addr>[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+)>?\s*$")
_URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:wa\.me|t\.me|api\.whatsapp\.com|viber\.click)/\S*",
                  re.IGNORECASE)
_MESSENGER = re.compile(
    r"(?:https?://)?(?:wa\.me|api\.whatsapp\.com|chat\.whatsapp\.com|t\.me|telegram\.me|"
    r"viber\.click|invite\.viber\.com)/", re.IGNORECASE)


def split_sender(value: str) -> tuple[str, str]:
    """``(name, address)`` of a sender field: ``Name <a@b>``, ``Name a@b`` (CF7 5.7+), or
    a name alone (address ``""``)."""
    text = " ".join(value.split())
    m = _BARE_SENDER.match(text)
    if m:
        return m.group("name").strip().strip('"'), m.group("addr")
    name, addr = parseaddr(text)
    if "@" not in addr:
        return text, ""
    return name, addr


def without_urls(text: str) -> str:
    """The text with every link blanked, so a number inside a link is not read as a phone."""
    return _URL.sub(" ", text)


def messenger_links(text: str) -> int:
    """How many messenger links (WhatsApp, Telegram, Viber) the text holds."""
    return len(_MESSENGER.findall(text))


def mentions_domain(text: str, domain: str) -> bool:
    """Whether ``domain`` (or a subdomain of it) is named in ``text``, with or without a
    scheme: ``https://www.site.ru/x``, ``site.ru``, ``shop.site.ru``."""
    if not domain:
        return False
    pattern = r"(?<![\w@.-])(?:[\w-]+\.)*" + re.escape(domain) + r"(?![\w-])(?!\.[\w-])"
    return re.search(pattern, text, re.IGNORECASE) is not None


def outside_message(body: str, message: str | None) -> str:
    """The body without the client's message (where a site names itself, not the client)."""
    if not message:
        return body
    flat = " ".join(message.split())
    return " ".join(body.split()).replace(flat, " ") if flat else body
