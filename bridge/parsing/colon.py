"""The ``colon`` layout: ``Label: value`` lines.

Also ``Label - value`` for known labels and ``Order #123`` titles; a value continues on the
next lines (a label alone on its line takes the following lines as its value) until the next
label, a separator or a platform footer; a client label alone above a ``-----`` rule (DLE) is
a heading whose value is the text under the rule; a closing line with the platform's name
under it ("Regards,", "Zoho Forms") ends the mail. A letter (not a form) is recognised by a
sign-off ("С уважением", ``--``) before any client field: the signature's
``Тел.:``/``E-mail:`` lines are not read as form fields.
"""

from __future__ import annotations

import re

from bridge.model import ParseOptions
from bridge.parsing.junk import ends_message
from bridge.parsing.labels import (
    CLIENT_KINDS,
    ROBOT_NAMES,
    is_known_label,
    label_kind,
    normalize_label,
)
from bridge.parsing.textlines import (
    COLON,
    DASH_PAIR,
    ORDER_LINE,
    SIGN_OFF,
    OpenValue,
    Pair,
    bare_label,
    close_value,
    colon_match,
    is_footer,
    label_ok,
    signs_off,
)


def _inside(cur: OpenValue, prev_blank: bool, field_list: bool) -> bool:
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
    if not SIGN_OFF.match(lines[i].strip()):
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
            found = [COLON.match(p) for p in pieces]
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
              and not COLON.match(line) and DASH_PAIR.match(line)]
    if len(dashed) < 2:
        return
    for i, line in enumerate(lines):
        if found_at[i] is None and line.strip():
            d = DASH_PAIR.match(line)
            if d and label_ok(d.group("label").strip(), options):
                found_at[i] = (d.group("label").strip(), d.group("value").strip())


def _labelled_lines(text: str, options: ParseOptions) -> tuple[list[str], list[Pair | None]]:
    """The lines (joined fields split) and the ``(label, value)`` each one reads as."""
    lines = _split_joined_fields(text.split("\n"), options)
    found_at = [colon_match(line, options) if line.strip() else None for line in lines]
    _dash_fields(lines, found_at, options)
    return lines, found_at


def colon_pairs(text: str, options: ParseOptions) -> list[Pair]:
    """``Label: value`` lines, multi-line values included."""
    lines, found_at = _labelled_lines(text, options)
    pairs: list[Pair] = []
    cur: OpenValue | None = None
    prev_blank = True
    footer_at: int | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        blank = not stripped
        if not blank and signs_off(stripped, pairs, cur, options):
            break
        if not blank and prev_blank and _platform_signature(lines, i):
            break
        if not blank and is_footer(stripped):
            heading = _underlined(lines, i, found_at, options)
            if heading is not None and cur is not None and cur.lines \
                    and cur.lines[-1].strip() == lines[i - 1].strip():
                cur.lines.pop()  # the heading is no part of the value above it
            close_value(cur, pairs)
            cur = None
            prev_blank = False
            if heading is not None:
                cur = OpenValue(heading, label_kind(heading, options), [], True)
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
            close_value(cur, pairs)
            label, value = found
            kind = "order" if ORDER_LINE.match(line) else label_kind(label, options)
            cur = OpenValue(label, kind, [value] if value else [], not value)
        elif cur is not None and cur.kind == "order" and not blank:
            # the product lines under a cart's "Order #123" title
            close_value(cur, pairs)
            items = "Товары" if re.search(r"[а-яё]", cur.label, re.IGNORECASE) else "Products"
            cur = OpenValue(items, "extra", [line.rstrip()], True)
        elif cur is not None:
            if blank and _empty_before_gap(cur, lines, i, options):
                close_value(cur, pairs)  # 'Компания:' left empty, then the unlabelled text
                cur = None
            elif blank:
                cur.lines.append("")
            elif prev_blank and cur.content() and not (cur.block or cur.kind == "message"):
                close_value(cur, pairs)
                cur = None
            else:
                cur.lines.append(line.rstrip())
        prev_blank = blank
    close_value(cur, pairs)
    pairs = _question_answers(_split_sections(pairs, options))
    return _drop_footer_contacts(pairs, footer_at, options)


def _empty_before_gap(cur: OpenValue, lines: list[str], i: int, options: ParseOptions) -> bool:
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
                head = bare_label(lines[0], options) if len(lines) >= 2 else None
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
