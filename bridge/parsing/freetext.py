"""Which text is the client's message, and where it ends.

* A message value never runs past its end: trailer lines glued to it (1C-Bitrix "Отправлено
  … Просмотреть результат", Jetpack "Sent by …") are cut (:func:`bridge.parsing.junk`).
* When no field is labelled as a message, the client's free text is still the message
  (:func:`settle_message`):

  1. a field whose label is a question ("Что нужно изготовить?", "What can we build for
     you?") or, failing that, the longest free-text field under the site owner's own
     wording ("Details of your project", ``request``): a value of several words that is no
     link, address, company, product list or page;
  2. else an unlabelled paragraph after the fields (a template that prints
     ``[your-message]`` with no label, after an empty optional field).
"""

from __future__ import annotations

import re

from bridge.model import ParseOptions
from bridge.parsing.fields import Fields
from bridge.parsing.junk import strip_trailers
from bridge.parsing.labels import CLIENT_KINDS, label_kind
from bridge.parsing.merge import Reading
from bridge.parsing.shapes import without_urls
from bridge.parsing.textlines import colon_match, is_footer

_NOT_FREE = re.compile(
    r"заказ|товар|состав|продук|услуг|product|order|item|итого|сумм|total|amount|price|цен[аы]|"
    r"адрес|address|город|city|регион|region|компан|company|организац|organi[sz]ation|"
    r"страниц|page|url|referr?er|источник|source|utm|форм[аы]|form|тема|subject|сайт|site|"
    r"website|должност|position|инн|файл|file|вложени|attachment|дата|date|время|time",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]{2,}")


def _free_text(label: str, value: str) -> bool:
    """Several words of prose, under a label that names no other kind of field."""
    words = _WORD.findall(without_urls(value))
    question = label.rstrip(" :*").endswith("?")
    if question:
        return len(words) >= 4 and len(value) >= 20  # a quiz's short answer is no message
    return len(words) >= 5 and len(value) >= 25 and not _NOT_FREE.search(label)


def _from_extras(fields: Fields) -> str | None:
    """Move the best free-text field out of the extras; return its value."""
    best: tuple[bool, int, int] | None = None
    for i, (label, value) in enumerate(fields.extra):
        if not _free_text(label, value):
            continue
        key = (label.rstrip(" :*").endswith("?"), len(value), -i)
        if best is None or key > best:
            best = key
    if best is None:
        return None
    index = -best[2]
    value = fields.extra.pop(index)[1]
    return value


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _unlabelled(reading: Reading, options: ParseOptions) -> str | None:
    """The first paragraph after the fields that no field covers and no template wrote."""
    if not reading.pairs or not reading.body:
        return None
    covered = " \n ".join(_norm(f"{k} {v}") for k, v in reading.pairs)
    seen_field = False
    for para in re.split(r"\n[ \t]*\n", reading.body):
        lines = [x.strip() for x in para.split("\n") if x.strip()]
        if not lines:
            continue
        labelled = [colon_match(x, options) for x in lines]
        if any(p is not None and label_kind(p[0], options) in CLIENT_KINDS for p in labelled):
            seen_field = True
            continue
        if not seen_field or any(is_footer(x) for x in lines):
            continue
        text = "\n".join(lines)
        if _norm(text) in covered or any(p is not None for p in labelled):
            continue
        if len(_WORD.findall(without_urls(text))) >= 4:
            return text
    return None


def settle_message(fields: Fields, reading: Reading, options: ParseOptions) -> None:
    """Cut trailers off the message, or find the message when no label named one."""
    if fields.message is not None:
        fields.message = strip_trailers(fields.message)
        return
    if not fields.client_values:
        return  # no form fields at all: nothing to choose from
    picked = _from_extras(fields) or _unlabelled(reading, options)
    if picked:
        fields.message = picked
        fields.other_values = max(0, fields.other_values - 1)
