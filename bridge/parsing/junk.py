"""What a form notification adds around the client's data: trailers, metadata, site footers.

None of it is client data (SPEC §3): a value ends where it starts, and it goes nowhere.

* **trailers**: lines a CMS prints after the fields: "Отправлено 07.12.2026 в 10:14.
  Просмотреть результат на сайте: …/bitrix/admin/…" (1C-Bitrix templates), "The results of
  this submission may be viewed at:" (Drupal Webform), "View entry/submission/contact
  record", "Посмотреть заявку", "Sent by an unverified visitor" (Jetpack), "Заявка
  отправлена с сайта X", "This is a notification that a contact form was submitted", and
  a bare link into an admin panel;
* **metadata labels**: the visitor's IP (``REMOTE_ADDR``, "IP-адрес посетителя"), user
  agent, the date and time of sending ("Дата добавления", "Date of submission"), "submitted
  by anonymous user [IP]", entry/result/transaction ids; the page URL/referer is *not*
  metadata and stays a field;
* **site footers**: the closing paragraph of a template that names the site itself (its
  domain, its URL or its name from the robot's display name) with the shop's own address
  and phone; :func:`footer_trimmer` cuts such paragraphs off the end of a body before its
  fields are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_TRAILER = re.compile(
    r"^(?:"
    r"отправлено:?\s+\d{1,2}[./]\d{1,2}[./]\d{2,4}|"
    r"(?:дата|время)\s+(?:и\s+время\s+)?(?:отправки|заполнения|добавления|создания)\b|"
    r"(?:про|по)смотреть\s+(?:результат|заявку|ответ|обращение|сообщение|запись)|"
    r"для\s+просмотра\b|ссылка\s+на\s+(?:результат|заявку)\b|"
    r"the\s+results?\s+of\s+this\s+submission|"
    r"view\s+(?:the\s+|this\s+|your\s+|all\s+)?(?:submissions?|entry|entries|result|response|"
    r"contact(?:\s+record)?|lead|in\s+results)\b|"
    r"go\s+to\s+(?:your\s+)?(?:site\s+)?dashboard|"
    r"sent\s+by\s+(?:an?\s+)?(?:unverified|verified)\b|"
    r"submitted\s+by\s+(?:an?\s+)?(?:anonymous|user)\b|отправлено\s+анонимным\b|"
    r"(?:заявка|сообщение|письмо|форма|запрос)\s+(?:был[аои]?\s+)?(?:отправлен[аоы]?|"
    r"получен[аоы]?)\s+(?:с|со|через)\s+(?:сайта|страницы|форм\w*)\b|"
    r"this\s+is\s+a\s+notification\s+that\b|это\s+уведомление\s+о\s+том\b|"
    r"https?://\S+/(?:bitrix/admin|wp-admin|administrator|admin)/\S*$"
    r")",
    re.IGNORECASE,
)

_META_LABEL = re.compile(
    r"^(?:remote[_ ]addr|http_user_agent|http_x_forwarded_for|(?:user|client|visitor|sender)"
    r"[_ ]?ip(?: address)?|ip[- ]?адрес\w*(?:\s+\w+)?|ip\b.*|.*\bip[- ]?адрес\w*|"
    r"отправлено с ip|(?:дата|время)(?:\s+и\s+время)?\s+(?:отправки|заполнения|добавления|"
    r"создания|получения|заявки|обращения|сообщения)(?:\s+(?:формы|заявки|сообщения|"
    r"обращения|результата))?|дата и время|"
    r"date(?: and time)? of (?:submission|sending|entry)|(?:submission|entry) (?:date|time)|"
    r"date submitted|(?:form )?submitted(?: on| at)?|sent at|"
    r"submitted by(?: anonymous user| user)?|"
    r"отправлено(?: анонимным пользователем| пользователем)?|отправитель ip|"
    r"(?:entry|result|submission|transaction|lead|request|заявк\w*|результат\w*|запис\w*)"
    r"[ _-]?(?:id|№|#|номер)|id (?:заявки|результата|записи)|"
    r"user[- ]?agent.*|браузер.*|referrer ip)$",
    re.IGNORECASE,
)


_LIST_HEADING = re.compile(
    r"^(?:состав заказа|ваш заказ|заказ|товары|корзина|список товаров|позиции|"
    r"order(?: details| items)?|products|items|cart|итого|всего|total)$",
    re.IGNORECASE,
)


def ends_message(label: str) -> bool:
    """A label that opens its own field under a message: an order list, a total."""
    return _LIST_HEADING.match(" ".join(label.split()).rstrip(" :*")) is not None


# the first letters of every _TRAILER branch: a cheap test before the regex, as every line
# of every body is asked
_TRAILER_FIRST = frozenset("одвпсзфэtvgshОДВПСЗФЭTVGSH")


def is_trailer(line: str) -> bool:
    """A line a template prints after the fields (see the module docstring): it ends a value."""
    s = line.strip()
    return bool(s) and s[0] in _TRAILER_FIRST and _TRAILER.match(s) is not None


def is_meta_label(key: str) -> bool:
    """A normalised label that names metadata (IP, user agent, send time, ids)."""
    return _META_LABEL.match(key) is not None


def strip_trailers(value: str) -> str:
    """A value without the trailer lines glued to its end (and what follows them); only
    the value's last lines are looked at, where a template glues them."""
    lines = value.split("\n")
    for i in range(max(1, len(lines) - 12), len(lines)):
        if is_trailer(lines[i]):
            return "\n".join(lines[:i]).rstrip()
    return value


_HOST = re.compile(r"(?<![\w@.-])(?:https?://)?(?:www\.)?((?:[\w-]+\.)+[a-zа-я]{2,})\b",
                   re.IGNORECASE)
_ORG_LINE = re.compile(
    r"^(?:интернет-магазин|магазин|компания|завод|торговый дом|группа компаний|"
    r"ООО|АО|ЗАО|ПАО|ИП|ТД|ГК|online store|shop|store)\b",
    re.IGNORECASE,
)


def _names_site(paragraph: str, hosts: set[str], names: set[str]) -> bool:
    low = paragraph.casefold()
    for host in _HOST.findall(paragraph):
        host = host.casefold()
        if any(host == h or host.endswith("." + h) for h in hosts):
            return True
    return any(len(n) >= 4 and n in low for n in names)


_CONTACT = re.compile(r"https?://|www\.|@|\d{3}|\bул\.|\bг\.|тел|phone|адрес|address",
                      re.IGNORECASE)


_LABELLED = re.compile(r"^(?P<label>[^:\n]{1,40}):\s*\S")
_CONTACT_LABEL = re.compile(r"^(?:тел\.?|телефон\w*|phone|tel\.?|факс|fax|e-?mail|почта|"
                            r"адрес|address|сайт|site|web|www)\b", re.IGNORECASE)


def _field_line(line: str) -> bool:
    """A ``Label: value`` line other than a contact line ("Тел.:", "Адрес:") of a footer."""
    m = _LABELLED.match(line)
    if m is None:
        return False
    return not line[m.end("label") + 1:].startswith("//") and \
        not _CONTACT_LABEL.match(m.group("label").strip())


def _contact_line(line: str, hosts: set[str], names: set[str]) -> bool:
    """An address, phone, link or e-mail line, a trailer, or a short line naming the site."""
    if len(line) > 100:
        return False
    if is_trailer(line) or _CONTACT.search(line):
        return True
    return len(line.split()) <= 6 and _names_site(line, hosts, names)


def footer_trimmer(hosts: Iterable[str], names: Iterable[str]) -> Callable[[str], str]:
    """A function that cuts the site's closing paragraphs off the end of a body.

    A trailing paragraph (never the first) is the site's footer when it names the site (one
    of ``hosts`` as a URL or bare domain, or one of the site's display ``names``) and reads
    as one: a company/shop line, or short lines only (address, phone, link), or trailer
    lines. What stays is read for fields as before.
    """
    host_set = {h.casefold().removeprefix("www.") for h in hosts if h}
    name_set = {n.casefold() for n in names if n and len(n) >= 4}

    def trim(text: str) -> str:
        if not host_set and not name_set:
            return text
        original, trimmed = text, False
        cut = max(0, len(text) - 4000)  # a footer is short: only the tail is split
        cut = text.rfind("\n\n", 0, cut) + 1 if cut else 0
        head, text = text[:cut], text[cut:]
        paragraphs = re.split(r"(\n[ \t]*\n)", text.rstrip())
        # paragraphs[::2] are the texts, [1::2] the separators
        while len(paragraphs) >= 3:
            last = paragraphs[-1].strip()
            lines = [x.strip() for x in last.split("\n") if x.strip()]
            if not lines or len(lines) > 8:
                break
            footer_like = _ORG_LINE.match(lines[0]) is not None or (len(lines) >= 2 and all(
                _contact_line(x, host_set, name_set) for x in lines
            ))
            fields = any(_field_line(x) for x in lines)
            if not (footer_like and not fields and _names_site(last, host_set, name_set)) and \
                    not all(is_trailer(x) for x in lines):
                break
            paragraphs = paragraphs[:-2]
            trimmed = True
        return head + "".join(paragraphs) if trimmed else original

    return trim
