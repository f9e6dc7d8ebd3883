"""What the pairs mean: labels mapped to client fields, extra fields and lead fields.

Parsing runs in stages, each a module: decide the kind of mail (:mod:`bridge.parsing.kind`),
strip inline forwards (:mod:`bridge.parsing.forwards`), read the layouts
(:mod:`bridge.parsing.colon`, :mod:`bridge.parsing.layouts`, :mod:`bridge.parsing.htmltext`),
merge the readings (:mod:`bridge.parsing.merge`), and interpret the values (here:
:func:`interpret`). The layout readers are re-exported here for the callers that import
them from this module.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from bridge.model import ParseOptions
from bridge.parsing.colon import colon_pairs
from bridge.parsing.forwards import Forward, strip_forward
from bridge.parsing.labels import (
    CLIENT_KINDS,
    is_empty_value,
    label_kind,
    lead_field_for,
    normalize_label,
)
from bridge.parsing.layouts import (
    address_pairs,
    bare_pairs,
    dashes_pairs,
    dump_pairs,
    enquiry_pairs,
    lines_pairs,
    stars_pairs,
    tab_pairs,
)
from bridge.parsing.merge import BIG_HTML, Layout, Reading, read_pairs, score
from bridge.parsing.shapes import split_sender
from bridge.parsing.textlines import Pair, colon_match, is_footer

__all__ = [
    "BIG_HTML", "Fields", "Forward", "Layout", "Pair", "Reading", "address_pairs", "bare_pairs",
    "clean_value", "colon_match", "colon_pairs", "dashes_pairs", "display_label", "dump_pairs",
    "enquiry_pairs", "interpret", "is_footer", "lines_pairs", "read_pairs", "score",
    "stars_pairs", "strip_forward", "tab_pairs",
]


_UTM = re.compile(r"\b(utm_(?:source|medium|campaign|term|content))=([^&,;\s]+)", re.IGNORECASE)


_TECHNICAL = frozenset(normalize_label(x) for x in (
    "Страница", "Адрес страницы", "Page URL", "Page", "URL", "Referer", "Referrer", "Источник",
    "Source", "Форма", "Form", "Form Name", "Название формы", "Transaction ID", "Form ID",
    "Order", "Заказ", "Заявка", "Заполнена web-форма",
))


def _technical(label: str) -> bool:
    """Filled in by the platform, not typed by the visitor (page, form name, UTM, ids)."""
    key = normalize_label(label)
    return key in _TECHNICAL or key.startswith("utm_")


@dataclass(slots=True)
class Fields:
    """What the pairs say, before the name/e-mail/phone policy picks the client's values."""

    name: str | None = None
    name_parts: list[tuple[str, str]] = field(default_factory=list)  # (kind, value)
    name_part_labels: list[str] = field(default_factory=list)
    name_label: str = ""  # the label of the name field, as printed
    name_at: int = 0  # how many name parts were printed before the name field
    sender_name: str | None = None
    sender_email: str | None = None
    phone_values: list[str] = field(default_factory=list)
    phone_labels: list[str] = field(default_factory=list)  # as printed, beside phone_values
    email_values: list[str] = field(default_factory=list)
    message: str | None = None
    extra: list[Pair] = field(default_factory=list)
    lead_fields: list[Pair] = field(default_factory=list)
    client_labels: int = 0  # client labels seen, even with empty values
    client_values: int = 0  # client labels with a value
    other_values: int = 0  # non-client, non-meta labels with a value

    def full_name(self) -> str | None:
        """The name field, else the parts joined: "First Last" (Wix, Webflow), or in the
        printed order when a Russian form asks for the surname first (Фамилия Имя Отчество)."""
        parts, labels = self.name_parts, self.name_part_labels
        if self.name and parts and len(self.name.split()) == 1 \
                and not any(k == "first_name" for k, _ in parts) \
                and any(k == "last_name" for k, _ in parts):
            # 'Имя: Лев' + 'Фамилия: Гусев' (Bitrix24, amoCRM forms): the name is the first name
            at = min(self.name_at, len(parts))
            parts = [*parts[:at], ("first_name", self.name), *parts[at:]]
            labels = [*labels[:at], self.name_label, *labels[at:]]
        elif self.name:
            return self.name
        if not parts:
            return None
        kinds = [k for k, _ in parts]
        first_label = labels[0] if labels else ""
        if kinds[0] == "last_name" and re.search(r"[а-яё]", first_label, re.IGNORECASE):
            return " ".join(v for _, v in parts)
        order = {"first_name": 0, "middle_name": 1, "last_name": 2}
        return " ".join(v for _, v in sorted(parts, key=lambda kv: order[kv[0]]))


_ENUMERATION = re.compile(r"^\d{1,2}[.)][ \t]+(?=\S)")


def display_label(label: str) -> str:
    """The label as printed, without the trailing ``:``/``*`` decoration and without a
    question's running number (``2. Какая толщина?``, ``3) …``)."""
    text = " ".join(label.split()).rstrip(":*： ").strip()
    text = _ENUMERATION.sub("", text, count=1) if len(text) > 6 else text
    return text or label.strip()


_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")
_LITERAL_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def clean_value(value: str) -> str | None:
    """The value without NULs and surrounding blanks; None for the empty markers.

    Plain-text templates sometimes carry a textarea's ``<br />`` (Elementor) or escaped
    entities (``&quot;``) literally; they become a line break and the character.
    """
    text = value.replace("\x00", "")
    if "<" in text:
        text = _LITERAL_BR.sub("\n", text)
    if "&" in text and _ENTITY.search(text):
        text = html_lib.unescape(text)
    text = text.strip()
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines).strip()
    return None if is_empty_value(text) else text


def interpret(pairs: tuple[Pair, ...] | list[Pair], options: ParseOptions) -> Fields:
    """Sort the pairs into client fields, extra fields and lead fields."""
    out = Fields()
    extra_seen: set[str] = set()

    def add_extra(label: str, value: str) -> None:
        key = display_label(label)
        if key.casefold() not in extra_seen:
            extra_seen.add(key.casefold())
            out.extra.append((key, value))

    for label, raw in pairs:
        kind = label_kind(label, options)
        value = clean_value(raw)
        if kind in CLIENT_KINDS:
            out.client_labels += 1
            if value is not None:
                out.client_values += 1
        elif kind != "meta" and value is not None and not _technical(label):
            out.other_values += 1
        if value is None:
            continue
        lead_field = lead_field_for(label, options)
        if lead_field:
            out.lead_fields.append((lead_field, value))
            if kind not in CLIENT_KINDS:
                add_extra(label, value)
        if kind == "name":
            if out.name is None:
                out.name = " ".join(value.split())
                out.name_label, out.name_at = label, len(out.name_parts)
            else:
                add_extra(label, value)
        elif kind in ("first_name", "middle_name", "last_name"):
            out.name_parts.append((kind, " ".join(value.split())))
            out.name_part_labels.append(label)
        elif kind == "phone":
            out.phone_values.append(value)
            out.phone_labels.append(display_label(label))
        elif kind == "email":
            out.email_values.append(value)
        elif kind == "message":
            if out.message is None:
                out.message = value
            else:
                add_extra(label, value)
        elif kind == "sender":
            name, addr = split_sender(value)
            out.sender_name = out.sender_name or (name.strip() or None)
            out.sender_email = out.sender_email or (addr or None)
        elif kind != "meta":
            add_extra(label, value)
    for _, value in list(out.extra):
        for key, val in _UTM.findall(value):
            add_extra(key.lower(), unquote_plus(val))
    return out
