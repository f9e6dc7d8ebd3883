"""Form fields out of a notification's text or HTML: the layouts, and what the pairs mean.

Every layout reader turns a body into ``(label, value)`` pairs; :func:`read_pairs` runs
them all over the HTML and the text part, keeps the one that finds the most client fields
(HTML first on a tie: PHPMailer's automatic text part glues table cells together) and adds
what other readers of the same body found elsewhere (a Marquiz mail mixes "question line,
answer line" with ``Label: value``). :func:`interpret` then maps labels to client fields.

Layouts (see corpus/README.md):

* ``table``: HTML table rows (cell pairs, label row + value row, Gravity Forms, WPForms,
  a caption row over label/value rows) and ``<dl>`` lists;
* ``bold``: ``<b>Label</b> value<br>`` and ``<b>Question?</b><br>answer`` markup;
* ``colon``: ``Label: value`` lines (also ``Label - value`` for known labels and
  ``Order #123`` titles); a value continues on the next lines (a label alone on its line
  takes the following lines as its value) until the next label, a separator or a
  platform footer; a client label alone above a ``-----`` rule (DLE) is a heading whose
  value is the text under the rule; a closing line with the platform's name under it
  ("Regards,", "Zoho Forms") ends the mail;
* ``enquiry``: Joomla com_contact: an intro line ending in ``:``, ``Name <address>``, a
  blank line, the enquiry text;
* ``address``: a shop order's ``Billing address`` block (name, address lines, phone,
  e-mail), mixed with the order table (WooCommerce);
* ``tabs``: ``Label<TAB>value`` lines (a table rendered to text by a mail client);
* ``dashes``: WPForms plain text ``--- Label ---`` then the value;
* ``stars``: 1C-Bitrix form module: title line, a ``*****`` line, the value;
* ``bare``: a placeholder-only form (no labels): the first paragraph's lines read by
  shape (phone, e-mail, a capitalised name, the rest is the message);
* ``lines``: a label line then the value line(s) (Yandex Forms, a table flattened by a
  Gmail forward, Formspree ``key:`` then value, Marquiz question then answer, Webflow's
  label paragraph then value paragraph).

A letter (not a form) is recognised by a sign-off ("С уважением", ``--``) before any client
field: the signature's ``Тел.:``/``E-mail:`` lines are not read as form fields.

Inline forwards (Gmail ``---------- Forwarded message ---------``, Thunderbird/Yandex
``-------- Пересылаемое сообщение --------``, Outlook ``From:/Sent:`` blocks) are cut down
to the forwarded part by :func:`strip_forward` before any layout reads them.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import unquote_plus

from bs4 import BeautifulSoup

from bridge.model import ParseOptions
from bridge.parsing.htmltext import bold_pairs, html_to_text, parse_html, table_pairs
from bridge.parsing.junk import ends_message, is_trailer
from bridge.parsing.labels import (
    CLIENT_KINDS,
    ROBOT_NAMES,
    is_empty_value,
    is_known_label,
    label_kind,
    lead_field_for,
    normalize_label,
)
from bridge.parsing.shapes import split_sender

Pair = tuple[str, str]
BIG_HTML = 1_000_000  # past this, a message with a text part is read from the text alone

# ---------------------------------------------------------------------------- footers

_FOOTERS = re.compile(
    r"^(?:--|—|[-=_*~#]{3,}|"
    r"это (?:сообщение|письмо) (?:было )?(?:отправлено|сформировано|создано|сгенерировано)|"
    r"(?:сообщение|письмо) (?:было )?(?:сгенерировано|отправлено|сформировано) автоматически|"
    r"this (?:e-?mail|message) (?:was|has been) (?:sent|generated)|"
    r"отправлено (?:с сайта|с помощью|через|из формы)|письмо отправлено с сайта|"
    r"sent (?:from|via|with|using|by) |submitted (?:via|through) |powered by\b|"
    r"you can see all submissions|see all submissions|все ответы\b|"
    r"view (?:all |this |the )?(?:submissions?|entry|entries)\b|"
    r"submitted (?:at |on )?\d|mark as spam|отметить как спам|manage (?:your )?forms?\b|"
    r"go to (?:your )?dashboard|перейти в (?:личный кабинет|панель)|"
    r"(?:please )?do not reply|не отвечайте на (?:это|данное) письмо|"
    r"пожалуйста, не отвечайте|unsubscribe|отписаться)",
    re.IGNORECASE,
)


_SIGN_OFF = re.compile(
    r"^(?:--|с уважением\b.*|с наилучшими пожеланиями.*|всего (?:доброго|хорошего)\b.*|"
    r"best regards\b.*|kind regards\b.*|regards,?|sincerely\b.*|yours (?:truly|sincerely).*)$",
    re.IGNORECASE,
)


def _signs_off(line: str, pairs: list[Pair], cur: _Open | None, options: ParseOptions) -> bool:
    """A signature or closing line before any client field: a letter, not a form; what
    follows (a signature's 'Тел.:' and 'E-mail:') must not be read as form fields."""
    if not _SIGN_OFF.match(line.strip()):
        return False
    if cur is not None and label_kind(cur.label, options) in CLIENT_KINDS:
        return False
    return not any(label_kind(k, options) in CLIENT_KINDS for k, _ in pairs)


def is_footer(line: str) -> bool:
    """A separator, signature delimiter, platform footer or trailer line: it ends a value."""
    return bool(_FOOTERS.match(line.strip()) or is_trailer(line)) if line.strip() else False


# ---------------------------------------------------------------------------- forwards

_FWD_MARK = re.compile(
    r"^[ \t>]*(?:-{2,}|_{2,})\s*(?:forwarded message|forwarded e-?mail|"
    r"пересылаемое сообщение|пересланное сообщение|"
    r"начало переадресованного сообщения|переадресованное сообщение|"
    r"begin forwarded message)\s*:?\s*-*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Outlook marks a reply's quote and a forward alike; only a forward's subject tells them apart
_ORIGINAL_MARK = re.compile(
    r"^[ \t>]*-{2,}\s*(?:original message|исходное сообщение)\s*-*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:\[?(?:fwd?|пересл|переслано|tr|wg|rv)\b|fw:)",
                              re.IGNORECASE)
_FWD_END = re.compile(
    r"^[ \t>]*-{2,}\s*(?:конец пересылаемого сообщения|end (?:of )?forwarded message)\s*-*\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_OUTLOOK_RULE = re.compile(r"^[ \t]*_{10,}[ \t]*\n(?=[ \t]*(?:from|от)\s*:)",
                           re.IGNORECASE | re.MULTILINE)
_FWD_HEADER = re.compile(
    r"^[ \t>]*(?P<key>from|date|subject|to|cc|bcc|sent|reply-to|reply to|от|от кого|дата|"
    r"тема|кому|копия|отправлено|ответить|ответить на|ответ на|адрес для ответа|обратный адрес)"
    r"\s*:\s*(?P<value>.*)$",
    re.IGNORECASE,
)
_YANDEX_FWD_LINE = re.compile(
    r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4},?\s+\d{1,2}:\d{2},?\s+(.*<[^>]+>)\s*:\s*$"
)


@dataclass(frozen=True, slots=True)
class Forward:
    """The forwarded part of an inline forward, and its original From/Reply-To."""

    text: str
    from_addr: str | None
    from_name: str | None
    reply_to: str | None


_OUTLOOK_BLOCK = re.compile(
    r"^[ \t]*(?:from|от)[ \t]*:.*\n(?:[ \t]*(?:sent|отправлено|date|дата|to|кому|cc|копия)"
    r"[ \t]*:.*\n){2,4}[ \t]*(?:subject|тема)[ \t]*:.*$",
    re.IGNORECASE | re.MULTILINE,
)


def strip_forward(text: str, subject: str | None = None) -> Forward | None:
    """The forwarded message inside an inline forward, or None when the text is not one.

    Gmail, Thunderbird, Yandex and Mail.ru mark a forward as such. Outlook's markers
    (``-----Original Message-----``, a rule or a ``From:/Sent:`` block) also quote replies,
    so they count only when the subject is a forward's (``FW:``, ``Fwd:``) or unknown.
    """
    outlook_ok = subject is None or bool(_FORWARD_SUBJECT.match(subject))
    marks = list(_FWD_MARK.finditer(text))
    if not marks and outlook_ok:
        marks = list(_ORIGINAL_MARK.finditer(text)) or list(_OUTLOOK_RULE.finditer(text))
    if marks:
        rest = text[marks[-1].end():]
    else:
        if not outlook_ok:
            return None
        block = _OUTLOOK_BLOCK.search(text)
        if block is None or not re.search(r"^[ \t]*(?:sent|отправлено)[ \t]*:", block.group(0),
                                          re.IGNORECASE | re.MULTILINE):
            return None
        rest = text[block.start():]
    end = _FWD_END.search(rest)
    if end:
        rest = rest[: end.start()]
    lines = rest.split("\n")
    i = 0
    headers: dict[str, str] = {}
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines):
        line = lines[i]
        m = _FWD_HEADER.match(line)
        y = _YANDEX_FWD_LINE.match(line)
        if m:
            headers.setdefault(m.group("key").casefold(), m.group("value").strip())
        elif y:
            headers.setdefault("from", y.group(1))
        elif not line.strip():
            if headers:
                break
        else:
            break
        i += 1
    body = "\n".join(lines[i:]).strip("\n")
    sender = headers.get("from") or headers.get("от") or headers.get("от кого") or ""
    name, addr = parseaddr(sender.replace("\t", " "))
    reply = next((headers[k] for k in ("reply-to", "reply to", "ответить", "ответить на",
                                       "ответ на", "адрес для ответа", "обратный адрес")
                  if headers.get(k)), "")
    return Forward(
        text=body,
        from_addr=addr or None,
        from_name=name or None,
        reply_to=parseaddr(reply)[1] or None,
    )


# ---------------------------------------------------------------------------- labels in text

_COLON = re.compile(
    r"^[ \t]*(?:[-•·*–—][ \t]+)?(?P<label>[^\s:：][^:：\n]{0,79}?)[ \t]*[:：](?P<sep>[ \t]*)"
    r"(?P<value>.*)$"
)
_BAD_LABEL = re.compile(r"[@<>\[\]={}|\\]|://|^\W")


def _label_ok(label: str, options: ParseOptions) -> bool:
    if is_known_label(label, options):
        return True
    if _BAD_LABEL.search(label) or len(label) > 50 or len(label.split()) > 7:
        return False
    if re.search(r"[.!?]\s", label):
        return False  # a sentence ("Прошу КП. Перезвоните"), not a label
    if sum(ch.isdigit() for ch in label) > 2:
        return False
    return label[0].isalpha() or label[0] == "_"


_DASH_PAIR = re.compile(
    r"^[ \t]*(?P<label>[^-–—:=\s][^-–—:=\n]{0,40}?)[ \t]+(?:[-–—]|=>?|->)[ \t]+(?P<value>\S.*)$"
)
_ORDER_LINE = re.compile(
    r"^[ \t]*(?P<label>order|заказ|заявка|request|submission)[ \t]*(?:#|№|no\.?|n)[ \t]*"
    r"(?P<value>[\w-]{1,40})[ \t]*$",
    re.IGNORECASE,
)


def colon_match(line: str, options: ParseOptions) -> tuple[str, str] | None:
    """``(label, value)`` when the line reads ``Label: value`` (value may be empty).

    Also ``Label - value`` for known labels (1C-Bitrix form module metadata, old scripts)
    and ``Order #123`` / ``Заказ №123`` title lines (Tilda cart, shops).
    """
    m = _COLON.match(line)
    if not m:
        d = _DASH_PAIR.match(line)
        if d and is_known_label(d.group("label"), options):
            return d.group("label").strip(), d.group("value").strip()
        o = _ORDER_LINE.match(line)
        if o:
            return o.group("label").strip().capitalize(), o.group("value")
        return None
    label, sep, value = m.group("label").strip(), m.group("sep"), m.group("value")
    if value.startswith("//") or not label:
        return None
    if not _label_ok(label, options):
        return None
    if not sep and value and not is_known_label(label, options):
        return None  # "14:05", "ref:abc": a colon inside a value, not a label
    return label, value.strip().lstrip(":：").strip()


def _bare_label(line: str, options: ParseOptions) -> str | None:
    """A line that is only a label: a known label, ``key:``, or a question."""
    s = line.strip()
    if not s or len(s) > 150:
        return None
    core = s.rstrip("*").rstrip()
    if ": " in core or "\t" in core:
        return None
    if core.endswith((":", "：")):
        inner = core[:-1].strip()
        if inner and ":" not in inner and _label_ok(inner, options):
            return inner
        return None
    if is_known_label(core, options) and label_kind(core, options) != "meta":
        return core
    if core.endswith("?") and ": " not in core and not re.search(r"https?://|@", core):
        return core
    return None


def _paragraph_label(line: str, options: ParseOptions) -> str | None:
    """A short heading-like line that opens a two-line "label / value" paragraph."""
    s = line.strip()
    if not s or len(s) > 50 or len(s.split()) > 6 or s.endswith((".", "!", ",", ";")):
        return None
    if ": " in s or "\t" in s or not _label_ok(s, options):
        return None
    return s


# ---------------------------------------------------------------------------- layouts


@dataclass(slots=True)
class _Open:
    label: str
    kind: str
    lines: list[str]
    block: bool  # the value started on the line after the label

    def content(self) -> bool:
        return any(x.strip() for x in self.lines)


def _close(cur: _Open | None, pairs: list[Pair]) -> None:
    if cur is None:
        return
    lines = list(cur.lines)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    pairs.append((cur.label, "\n".join(lines).strip()))


def _inside(cur: _Open, prev_blank: bool, field_list: bool) -> bool:
    """Whether an unknown ``Word: text`` line belongs to the open value.

    A message keeps such lines ("Звоните: 8 912 …") unless, after a blank line, a whole
    paragraph of label lines follows (more form fields). Any other value ends there
    ("Products:" with its item lines, then "Payment Amount: …").
    """
    if cur.kind == "message":
        return not (prev_blank and field_list)
    return False


_SIGNED_BY_PLATFORM = re.compile(
    r"\b(?:team|forms?|support|notifications?|robot|команда|формы|поддержка|"
    r"уведомлени\w*|робот)\b",
    re.IGNORECASE,
)


def _platform_signature(lines: list[str], i: int) -> bool:
    """A closing line ("Regards,") and at most two short lines naming the platform ("Zoho
    Forms", "The Wufoo Team") that end the mail: the template's, not the client's text."""
    if not _SIGN_OFF.match(lines[i].strip()):
        return False
    tail = [x.strip() for x in lines[i + 1:] if x.strip()]
    return 1 <= len(tail) <= 2 and all(len(x.split()) <= 4 for x in tail) \
        and any(_SIGNED_BY_PLATFORM.search(x) or normalize_label(x) in ROBOT_NAMES
                for x in tail)


_UNDERLINE = re.compile(r"[-=_]{3,}")


def _underlined(lines: list[str], i: int, found_at: list[Pair | None],
                options: ParseOptions) -> str | None:
    """A client label alone on the line above a rule (DLE ``Текст сообщения`` / ``-----``):
    a heading whose value is the text under the rule."""
    if i == 0 or not _UNDERLINE.fullmatch(lines[i].strip()) or found_at[i - 1] is not None:
        return None
    above = lines[i - 1].strip()
    if not above or is_footer(above) or not is_known_label(above, options):
        return None
    return above if label_kind(above, options) in CLIENT_KINDS else None


_JOIN = re.compile(r"[ \t]*[|;][ \t]*")


def _split_joined_fields(lines: list[str], options: ParseOptions) -> list[str]:
    """A script that joins the fields on one line (``Имя: Глеб | Телефон: … | …`` or with
    ``;``): one line per field, when every piece is ``Label: value`` and two labels are
    known."""
    out: list[str] = []
    for line in lines:
        pieces = _JOIN.split(line.strip()) if ("|" in line or ";" in line) else []
        if len(pieces) >= 2:
            found = [_COLON.match(p) for p in pieces]
            if all(found) and sum(
                1 for m in found if m and is_known_label(m.group("label").strip(), options)
            ) >= 2:
                out.extend(pieces)
                continue
        out.append(line)
    return out


def _dash_fields(lines: list[str], found_at: list[Pair | None], options: ParseOptions) -> None:
    """In a ``Label — value`` form (two known labels so printed), the unknown labels
    printed the same way are fields too ('Марка стали — Ст3')."""
    dashed = [i for i, line in enumerate(lines) if found_at[i] is not None
              and not _COLON.match(line) and _DASH_PAIR.match(line)]
    if len(dashed) < 2:
        return
    for i, line in enumerate(lines):
        if found_at[i] is None and line.strip():
            d = _DASH_PAIR.match(line)
            if d and _label_ok(d.group("label").strip(), options):
                found_at[i] = (d.group("label").strip(), d.group("value").strip())


def colon_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """``Label: value`` lines, multi-line values included."""
    lines = _split_joined_fields(text.split("\n"), options)
    found_at = [colon_match(line, options) if line.strip() else None for line in lines]
    _dash_fields(lines, found_at, options)
    pairs: list[Pair] = []
    cur: _Open | None = None
    prev_blank = True
    footer_at: int | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        blank = not stripped
        if not blank and _signs_off(stripped, pairs, cur, options):
            break
        if not blank and prev_blank and _platform_signature(lines, i):
            break
        if not blank and is_footer(stripped):
            heading = _underlined(lines, i, found_at, options)
            if heading is not None and cur is not None and cur.lines \
                    and cur.lines[-1].strip() == lines[i - 1].strip():
                cur.lines.pop()  # the heading is no part of the value above it
            _close(cur, pairs)
            cur = None
            prev_blank = False
            if heading is not None:
                cur = _Open(heading, label_kind(heading, options), [], True)
                continue
            if footer_at is None:
                footer_at = len(pairs)
            continue
        found = found_at[i]
        if found is not None and cur is not None and not is_known_label(found[0], options) \
                and not found[0].endswith("?") and not _answer_to(cur.label, found[0]) \
                and not (prev_blank and ends_message(found[0])) \
                and _inside(cur, prev_blank, _field_list(lines, found_at, i)):
            found = None  # "Звоните: 8 912 …" inside a message
        if found is not None:
            _close(cur, pairs)
            label, value = found
            kind = "order" if _ORDER_LINE.match(line) else label_kind(label, options)
            cur = _Open(label, kind, [value] if value else [], not value)
        elif cur is not None and cur.kind == "order" and not blank:
            # the product lines under a cart's "Order #123" title
            _close(cur, pairs)
            items = "Товары" if re.search(r"[а-яё]", cur.label, re.IGNORECASE) else "Products"
            cur = _Open(items, "extra", [line.rstrip()], True)
        elif cur is not None:
            if blank and _empty_before_gap(cur, lines, i, options):
                _close(cur, pairs)  # 'Компания:' left empty, then the unlabelled text
                cur = None
            elif blank:
                cur.lines.append("")
            elif prev_blank and cur.content() and not (cur.block or cur.kind == "message"):
                _close(cur, pairs)
                cur = None
            else:
                cur.lines.append(line.rstrip())
        prev_blank = blank
    _close(cur, pairs)
    pairs = _question_answers(_split_sections(pairs, options))
    return _drop_footer_contacts(pairs, footer_at, options)


def _empty_before_gap(cur: _Open, lines: list[str], i: int, options: ParseOptions) -> bool:
    """An empty optional field (``Компания:`` with nothing after it), a blank line, then a
    sentence: the sentence is the template's unlabelled message, not that field's value
    (short lines under the gap, an address block, stay the field's value)."""
    if not (cur.kind == "extra" and cur.block and not cur.content()) \
            or cur.label.rstrip(" :*").endswith("?"):
        return False
    nxt = next((x.strip() for x in lines[i + 1:i + 4] if x.strip()), "")
    return len(nxt.split()) >= 6 and colon_match(nxt, options) is None


_QUESTION_WORDS = frozenset({"вопрос", "question"})
_ANSWER_WORDS = frozenset({"ответ", "answer"})


def _answer_to(open_label: str, label: str) -> bool:
    """``Ответ:`` right under an open ``Вопрос:`` (a quiz printed as question/answer lines)."""
    return normalize_label(open_label) in _QUESTION_WORDS and \
        normalize_label(label) in _ANSWER_WORDS


def _question_answers(pairs: list[Pair]) -> list[Pair]:
    """``Вопрос: X`` followed by ``Ответ: Y`` is the field ``X: Y``."""
    out: list[Pair] = []
    i = 0
    while i < len(pairs):
        label, value = pairs[i]
        if i + 1 < len(pairs) and value.strip() and "\n" not in value.strip() \
                and _answer_to(label, pairs[i + 1][0]):
            out.append((value.strip(), pairs[i + 1][1]))
            i += 2
            continue
        out.append((label, value))
        i += 1
    return out


_CLIENT_BLOCK_KINDS = frozenset({"name", "phone", "email", "sender", "message"})


def _split_sections(pairs: list[Pair], options: ParseOptions) -> list[Pair]:
    """A section heading (``Ответы на вопросы:``) whose block is made of "question line,
    answer line(s)" paragraphs is no field: its paragraphs are the fields (quiz answers)."""
    out: list[Pair] = []
    for label, value in pairs:
        paragraphs = [p for p in re.split(r"\n[ \t]*\n", value) if p.strip()]
        if len(paragraphs) >= 2 and label_kind(label, options) not in _CLIENT_BLOCK_KINDS:
            sub: list[Pair] = []
            for para in paragraphs:
                lines = [x.strip() for x in para.strip().split("\n")]
                head = _bare_label(lines[0], options) if len(lines) >= 2 else None
                if head is None or not lines[0].rstrip("*: ").endswith("?"):
                    break
                sub.append((head, "\n".join(lines[1:])))
            else:
                out.extend(sub)
                continue
        out.append((label, value))
    return out


_CONTACT_KINDS = frozenset({"name", "phone", "email", "sender"})


def _drop_footer_contacts(pairs: list[Pair], footer_at: int | None,
                          options: ParseOptions) -> list[Pair]:
    """Below a footer or separator, a second phone/e-mail/name is the site's own contact
    ("Наш телефон: …" in the template's footer), not the client's."""
    if not footer_at:
        return pairs
    seen = {label_kind(k, options) for k, v in pairs[:footer_at] if v}
    return pairs[:footer_at] + [
        (k, v) for k, v in pairs[footer_at:]
        if not (label_kind(k, options) in _CONTACT_KINDS and label_kind(k, options) in seen)
    ]


def _field_list(lines: list[str], found_at: list[Pair | None], start: int) -> bool:
    """Whether the paragraph from ``start`` on consists of ``Label: value`` lines only."""
    for j in range(start, len(lines)):
        if not lines[j].strip():
            return True
        if found_at[j] is None:
            return False
    return True


_DASHED = re.compile(r"^\s*-{2,}\s*(?P<label>[^-\s].*?)\s*-{2,}\s*$")


def dashes_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """WPForms plain text: ``--- Label ---``, a blank line, the value."""
    pairs: list[Pair] = []
    cur: _Open | None = None
    for line in text.split("\n"):
        m = _DASHED.match(line)
        if m and re.search(r"\w", m.group("label")):
            _close(cur, pairs)
            cur = _Open(m.group("label"), "", [], True)
        elif cur is not None:
            if line.strip() and is_footer(line):
                _close(cur, pairs)
                cur = None
            else:
                cur.lines.append(line.rstrip())
    _close(cur, pairs)
    return pairs


_STARS = re.compile(r"^\s*\*{5,}\s*$")


def stars_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """1C-Bitrix form module: question title, a ``*****`` line, then the answer."""
    lines = text.split("\n")
    marks = [i for i, line in enumerate(lines) if _STARS.match(line)]
    pairs: list[Pair] = []
    for n, i in enumerate(marks):
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j < 0:
            continue
        label = lines[j].strip()
        stop = len(lines)
        if n + 1 < len(marks):
            stop = marks[n + 1] - 1
            while stop > i and not lines[stop].strip():
                stop -= 1
        value: list[str] = []
        for line in lines[i + 1 : stop]:
            if line.strip() and is_footer(line):
                break
            value.append(line.rstrip())
        pairs.append((label, "\n".join(value).strip()))
    return pairs


def lines_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """A label on its own line, the value on the next line(s), fields apart by blank lines."""
    lines = text.split("\n")
    pairs: list[Pair] = []
    cur: _Open | None = None
    n = len(lines)
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            if cur is not None and not cur.lines and cur.kind == "bare":
                cur.kind = "gap"  # '<p>Label</p><p>value</p>': one blank line may part them
                continue
            _close(cur, pairs)
            cur = None
            continue
        if _signs_off(s, pairs, cur, options):
            break
        if is_footer(s):
            _close(cur, pairs)
            cur = None
            continue
        if cur is not None and not cur.lines:
            # the first line after a label is its value, unless it is a known label itself
            label = _bare_label(s, options)
            pair = colon_match(s, options)
            if pair is not None and pair[1] and is_known_label(pair[0], options):
                _close(cur, pairs)  # a 'Label: value' line belongs to the colon layout
                cur = None
                continue
            if label is None or not is_known_label(label, options):
                cur.lines.append(line.rstrip())
                continue
        label = _bare_label(s, options)
        kind = "bare"
        if label is None and (i == 0 or not lines[i - 1].strip()):
            nxt = lines[i + 1].strip() if i + 1 < n else ""
            if nxt and not is_footer(nxt):
                label, kind = _paragraph_label(s, options), ""
        if label is not None:
            _close(cur, pairs)
            cur = _Open(label, kind, [], True)
        elif cur is not None:
            cur.lines.append(line.rstrip())
    _close(cur, pairs)
    return [(k, v) for k, v in pairs if v]


def tab_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """Table rows rendered as ``Label<TAB>value`` lines (a forwarded or rendered table)."""
    pairs: list[Pair] = []
    for line in text.split("\n"):
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if len(cells) == 2 and "\t" in line and _label_ok(cells[0].rstrip(":*"), options):
            pairs.append((cells[0], cells[1]))
    return pairs


_PRINT_R = re.compile(r"^\s*\[(?P<label>[^\]\n]{1,60})\]\s*=>\s?(?P<value>.*)$")


def dump_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """A hand-written handler that mails its input as a dump: a JSON object or PHP's
    ``print_r($_POST)`` (``[name] => Иван`` lines)."""
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return [(str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                    for k, v in data.items() if v not in (None, "", [], {})]
    pairs: list[Pair] = []
    for line in text.split("\n"):
        m = _PRINT_R.match(line)
        if m:
            pairs.append((m.group("label").strip().strip("'\""), m.group("value").strip()))
        elif pairs and line.strip() and not re.match(r"^\s*[()]\s*$", line):
            label, value = pairs[-1]
            pairs[-1] = (label, value + "\n" + line.strip())
    return pairs


_SENDER_LINE = re.compile(
    r"^[ \t]*(?P<name>[^<>@:\n]{1,80}?)[ \t]*<(?P<addr>[^<>@\s]+@[^<>\s]+)>[ \t]*$"
)


def enquiry_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """Joomla com_contact: an intro line ending in ``:`` ("This is an enquiry e-mail via
    SITE from:"), the sender as ``Name <address>`` on its own line, a blank line, then the
    enquiry text (up to a footer)."""
    lines = text.split("\n")
    for i in range(1, min(len(lines) - 2, 12)):
        m = _SENDER_LINE.match(lines[i])
        if not m or not lines[i - 1].rstrip().endswith(":") or lines[i + 1].strip():
            continue
        body: list[str] = []
        for line in lines[i + 2:]:
            if line.strip() and is_footer(line):
                break
            body.append(line.rstrip())
        pairs: list[Pair] = [("From", lines[i].strip())]
        if "\n".join(body).strip():
            pairs.append(("Message", "\n".join(body).strip()))
        return pairs
    return []


_ADDRESS_HEADING = re.compile(
    r"^(?P<label>(?:billing|payment|shipping|delivery) address|"
    r"(?:платежный|платёжный) адрес|адрес плательщика|адрес доставки)[ \t]*:?$",
    re.IGNORECASE,
)
_PHONE_LINE = re.compile(r"^(?:tel\.?|phone|тел\.?|телефон)?[:\s]*\+?[\d\s()\-–.]{7,20}$",
                         re.IGNORECASE)
_MAIL_LINE = re.compile(r"^(?:e-?mail:?\s*)?[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+$", re.IGNORECASE)


def address_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """A shop order's address block (WooCommerce, Shopify, OpenCart orders): a ``Billing
    address`` heading, then the customer's name, address lines, phone and e-mail, one a
    line. The billing block wins over the shipping block."""
    lines = [line.strip() for line in text.split("\n")]
    blocks: list[list[Pair]] = []
    for i, line in enumerate(lines):
        m = _ADDRESS_HEADING.match(line)
        if not m:
            continue
        j = i + 1
        while j < len(lines) and not lines[j]:
            j += 1
        block: list[str] = []
        while j < len(lines) and lines[j] and not is_footer(lines[j]):
            block.append(lines[j])
            j += 1
        phones = [x for x in block if _PHONE_LINE.match(x) and sum(c.isdigit() for c in x) >= 7]
        mails = [x for x in block if _MAIL_LINE.match(x)]
        rest = [x for x in block if x not in phones and x not in mails]
        if not rest or not (phones or mails) or len(rest[0].split()) > 5 \
                or any(ch.isdigit() for ch in rest[0]):
            continue
        pairs: list[Pair] = [("Name", rest[0])]
        pairs += [("Phone", x) for x in phones[:1]] + [("E-mail", x) for x in mails[:1]]
        if rest[1:]:
            pairs.append((m.group("label"), "\n".join(rest[1:])))
        blocks.append(pairs)
        if not re.match(r"shipping|delivery|адрес доставки", line, re.IGNORECASE):
            break  # the billing block is the customer's
    return blocks[-1] if blocks else []


_NAME_SHAPE = re.compile(r"[A-ZА-ЯЁ][a-zа-яё'’.-]*(?:[ \t]+[A-ZА-ЯЁ][a-zа-яё'’.-]*){0,3}")
_PHONE_SHAPE = re.compile(r"\+?[\d\s()\-–.]{7,22}")


def bare_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """A form whose fields have no labels (placeholder-only forms: Elementor prints such a
    field's bare value): the first paragraph, one value a line, read by shape. A line that
    is only a phone number or only an address is the phone or the e-mail, a capitalised
    one-to-four-word line is the name, the other lines are the message. Only a paragraph
    with a phone or an e-mail and with nothing labelled counts."""
    if any(_SIGN_OFF.match(x.strip()) and x.strip() != "--" for x in text.split("\n")):
        return []  # a letter signed by its writer, not a form
    paragraphs = re.split(r"\n[ \t]*\n", text.strip())
    for para in paragraphs[:2]:
        lines = [x.strip() for x in para.split("\n") if x.strip()]
        if any(is_footer(x) or _SIGN_OFF.match(x) for x in lines):
            return []
        if len(lines) < 2:
            continue  # a heading line ("Новая заявка с сайта") over the values
        labelled = [colon_match(x, options) for x in lines]
        if len(lines) > 8 or any(
            (pair and label_kind(pair[0], options) in CLIENT_KINDS)
            or (not pair and (is_known_label(x, options) or is_empty_value(x)))
            for x, pair in zip(lines, labelled, strict=True)
        ):
            return []  # labelled after all ('Имя' on its own line, then the value)
        # a labelled extra among bare values ('Товар: …') is the colon reader's
        lines = [x for x, pair in zip(lines, labelled, strict=True) if not pair]
        name = phone = email = None
        rest: list[str] = []
        for x in lines:
            if phone is None and _PHONE_SHAPE.fullmatch(x) and sum(c.isdigit() for c in x) >= 7:
                phone = x
            elif email is None and _MAIL_LINE.fullmatch(x) and ":" not in x:
                email = x
            elif name is None and not rest and len(x) <= 40 and _NAME_SHAPE.fullmatch(x):
                name = x
            else:
                rest.append(x)
        if phone is None and email is None:
            return []
        pairs: list[Pair] = []
        if name:
            pairs.append(("Name", name))
        pairs += [("Phone", phone)] if phone else []
        pairs += [("E-mail", email)] if email else []
        if rest:
            pairs.append(("Message", "\n".join(rest)))
        return pairs
    return []


_TEXT_LAYOUTS = (
    ("colon", colon_pairs),
    ("bare", bare_pairs),
    ("enquiry", enquiry_pairs),
    ("address", address_pairs),
    ("tabs", tab_pairs),
    ("dashes", dashes_pairs),
    ("stars", stars_pairs),
    ("lines", lines_pairs),
    ("dump", dump_pairs),
)


@dataclass(frozen=True, slots=True)
class Layout:
    """The pairs one layout reader found, and where."""

    name: str
    source: str  # "html" or "text"
    pairs: tuple[Pair, ...]


def score(pairs: tuple[Pair, ...] | list[Pair], options: ParseOptions) -> int:
    """How well a layout reading looks like a form: client fields found, then pair count."""
    kinds: set[str] = set()
    for label, value in pairs:
        if is_empty_value(value):
            continue
        kind = label_kind(label, options)
        if kind in ("first_name", "middle_name", "last_name"):
            kind = "name"
        if kind == "sender":
            kinds.update(("name", "email"))
        elif kind in CLIENT_KINDS:
            kinds.add(kind)
    known = sum(1 for label, _ in pairs if is_known_label(label, options))
    valued = sum(1 for _, value in pairs if not is_empty_value(value))
    return len(kinds) * 1000 + min(known, 30) * 10 + min(valued, 9)


def _readings(source: str, text: str, html: BeautifulSoup | None,
              options: ParseOptions) -> list[Layout]:
    out: list[Layout] = []
    if html is not None:
        known = lambda label: is_known_label(label, options)  # noqa: E731
        out.append(Layout("table", source, tuple(table_pairs(html, known))))
        out.append(Layout("bold", source, tuple(bold_pairs(html))))
    for name, reader in _TEXT_LAYOUTS:
        if name == "tabs" and html is not None:
            continue  # the table reader sees the same rows with their markup
        out.append(Layout(name, source, tuple(reader(text, options))))
    return out


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


_MIXABLE = frozenset({"table", "bold", "colon", "lines", "address"})


def _merge(primary: Layout, others: list[Layout], options: ParseOptions) -> tuple[Pair, ...]:
    """Add pairs found by other readers of the same body, where the primary saw nothing."""
    pairs = list(primary.pairs)
    seen_labels = {normalize_label(k) for k, _ in pairs}
    covered = " \n ".join(_norm(k) + " " + _norm(v) for k, v in pairs)
    taken = [_norm(v) for _, v in pairs if len(_norm(v)) >= 3]
    for other in others:
        if other is primary or other.source != primary.source:
            continue
        if primary.name not in _MIXABLE | {"bare"} or other.name not in _MIXABLE:
            continue  # a dump, WPForms or Bitrix layout is the whole mail; bare values
            # only take the labelled lines around them (Elementor's metadata block)
        for label, value in other.pairs:
            key = normalize_label(label)
            if key in seen_labels or is_empty_value(value):
                continue
            if _norm(label) in covered or _norm(value) in covered:
                continue
            if sum(1 for v in taken if v in _norm(value)) >= 2:
                continue  # a heading over the whole block, read again as one value
            if other.name == "bold" and not (
                is_known_label(label, options) or label.rstrip().endswith((":", "?"))
            ):
                continue  # a bold heading with text after it is not a field
            pairs.append((label, value))
            seen_labels.add(key)
            if len(_norm(value)) >= 3:
                taken.append(_norm(value))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class Reading:
    """The chosen pairs plus the rendered body they came from."""

    pairs: tuple[Pair, ...]
    body: str  # the text the pairs were read from (forward part only, HTML rendered)
    layout: str
    forward: Forward | None


def read_pairs(text: str | None, html: str | None, options: ParseOptions,
               subject: str | None = None, trim: Callable[[str], str] | None = None) -> Reading:
    """Run every layout reader over the HTML and the text part and keep the best reading.

    ``trim`` cuts the site's own footer off a text body before the text layouts read it."""
    bodies: list[tuple[str, str, BeautifulSoup | None, Forward | None]] = []
    if html and html.strip() and not (text and text.strip() and len(html) > BIG_HTML):
        soup = parse_html(html)
        rendered = html_to_text(soup)
        fwd = strip_forward(rendered, subject)
        rendered = fwd.text if fwd else rendered
        bodies.append(("html", trim(rendered) if trim else rendered, None if fwd else soup, fwd))
    if text and text.strip():
        plain = text.replace("\r\n", "\n").replace("\r", "\n")
        fwd = strip_forward(plain, subject)
        plain = fwd.text if fwd else plain
        bodies.append(("text", trim(plain) if trim else plain, None, fwd))
    best: tuple[int, Layout, list[Layout], str, Forward | None] | None = None
    for source, body, raw_html, fwd in bodies:
        readings = _readings(source, body, raw_html, options)
        for layout in readings:
            s = score(layout.pairs, options)
            if best is None or s > best[0]:
                best = (s, layout, readings, body, fwd)
    if best is None:
        return Reading((), "", "none", None)
    _, layout, readings, body, fwd = best
    return Reading(_merge(layout, readings, options), body, layout.name, fwd)


# ---------------------------------------------------------------------------- meaning

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
