"""The text layouts other than ``colon`` (see corpus/README.md).

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
  label paragraph then value paragraph);
* ``dump``: a JSON object or PHP's ``print_r($_POST)``.
"""

from __future__ import annotations

import json
import re

from bridge.model import ParseOptions
from bridge.parsing.labels import (
    CLIENT_KINDS,
    is_empty_value,
    is_known_label,
    label_kind,
)
from bridge.parsing.textlines import (
    SIGN_OFF,
    OpenValue,
    Pair,
    bare_label,
    close_value,
    colon_match,
    is_footer,
    label_ok,
    paragraph_label,
    signs_off,
)

_DASHED = re.compile(r"^\s*-{2,}\s*(?P<label>[^-\s].*?)\s*-{2,}\s*$")


def dashes_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """WPForms plain text: ``--- Label ---``, a blank line, the value."""
    pairs: list[Pair] = []
    cur: OpenValue | None = None
    for line in text.split("\n"):
        m = _DASHED.match(line)
        if m and re.search(r"\w", m.group("label")):
            close_value(cur, pairs)
            cur = OpenValue(m.group("label"), "", [], True)
        elif cur is not None:
            if line.strip() and is_footer(line):
                close_value(cur, pairs)
                cur = None
            else:
                cur.lines.append(line.rstrip())
    close_value(cur, pairs)
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
    cur: OpenValue | None = None
    n = len(lines)
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            if cur is not None and not cur.lines and cur.kind == "bare":
                cur.kind = "gap"  # '<p>Label</p><p>value</p>': one blank line may part them
                continue
            close_value(cur, pairs)
            cur = None
            continue
        if signs_off(s, pairs, cur, options):
            break
        if is_footer(s):
            close_value(cur, pairs)
            cur = None
            continue
        if cur is not None and not cur.lines:
            # the first line after a label is its value, unless it is a known label itself
            label = bare_label(s, options)
            pair = colon_match(s, options)
            if pair is not None and pair[1] and is_known_label(pair[0], options):
                close_value(cur, pairs)  # a 'Label: value' line belongs to the colon layout
                cur = None
                continue
            if label is None or not is_known_label(label, options):
                cur.lines.append(line.rstrip())
                continue
        label = bare_label(s, options)
        kind = "bare"
        if label is None and (i == 0 or not lines[i - 1].strip()):
            nxt = lines[i + 1].strip() if i + 1 < n else ""
            if nxt and not is_footer(nxt):
                label, kind = paragraph_label(s, options), ""
        if label is not None:
            close_value(cur, pairs)
            cur = OpenValue(label, kind, [], True)
        elif cur is not None:
            cur.lines.append(line.rstrip())
    close_value(cur, pairs)
    return [(k, v) for k, v in pairs if v]


def tab_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """Table rows rendered as ``Label<TAB>value`` lines (a forwarded or rendered table)."""
    pairs: list[Pair] = []
    for line in text.split("\n"):
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if len(cells) == 2 and "\t" in line and label_ok(cells[0].rstrip(":*"), options):
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
    if any(SIGN_OFF.match(x.strip()) and x.strip() != "--" for x in text.split("\n")):
        return []  # a letter signed by its writer, not a form
    paragraphs = re.split(r"\n[ \t]*\n", text.strip())
    for para in paragraphs[:2]:
        lines = [x.strip() for x in para.split("\n") if x.strip()]
        if any(is_footer(x) or SIGN_OFF.match(x) for x in lines):
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
