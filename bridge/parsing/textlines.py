"""Reading one line of a form's text: the vocabulary every layout reader shares.

A footer or separator line ends a value (:func:`is_footer`); a sign-off before any client
field marks a letter, not a form (:func:`signs_off`); :func:`colon_match` reads
``Label: value`` lines, :func:`bare_label` and :func:`paragraph_label` lines that are only a
label; :class:`OpenValue` is the value a reader is collecting under its label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bridge.model import ParseOptions
from bridge.parsing.junk import is_trailer
from bridge.parsing.labels import CLIENT_KINDS, is_known_label, label_kind

Pair = tuple[str, str]

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


SIGN_OFF = re.compile(
    r"^(?:--|с уважением\b.*|с наилучшими пожеланиями.*|всего (?:доброго|хорошего)\b.*|"
    r"best regards\b.*|kind regards\b.*|regards,?|sincerely\b.*|yours (?:truly|sincerely).*)$",
    re.IGNORECASE,
)


def signs_off(line: str, pairs: list[Pair], cur: OpenValue | None, options: ParseOptions) -> bool:
    """A signature or closing line before any client field: a letter, not a form; what
    follows (a signature's 'Тел.:' and 'E-mail:') must not be read as form fields."""
    if not SIGN_OFF.match(line.strip()):
        return False
    if cur is not None and label_kind(cur.label, options) in CLIENT_KINDS:
        return False
    return not any(label_kind(k, options) in CLIENT_KINDS for k, _ in pairs)


def is_footer(line: str) -> bool:
    """A separator, signature delimiter, platform footer or trailer line: it ends a value."""
    return bool(_FOOTERS.match(line.strip()) or is_trailer(line)) if line.strip() else False


COLON = re.compile(
    r"^[ \t]*(?:[-•·*–—][ \t]+)?(?P<label>[^\s:：][^:：\n]{0,79}?)[ \t]*[:：](?P<sep>[ \t]*)"
    r"(?P<value>.*)$"
)
_BAD_LABEL = re.compile(r"[@<>\[\]={}|\\]|://|^\W")


def label_ok(label: str, options: ParseOptions) -> bool:
    if is_known_label(label, options):
        return True
    if _BAD_LABEL.search(label) or len(label) > 50 or len(label.split()) > 7:
        return False
    if re.search(r"[.!?]\s", label):
        return False  # a sentence ("Прошу КП. Перезвоните"), not a label
    if sum(ch.isdigit() for ch in label) > 2:
        return False
    return label[0].isalpha() or label[0] == "_"


DASH_PAIR = re.compile(
    r"^[ \t]*(?P<label>[^-–—:=\s][^-–—:=\n]{0,40}?)[ \t]+(?:[-–—]|=>?|->)[ \t]+(?P<value>\S.*)$"
)
ORDER_LINE = re.compile(
    r"^[ \t]*(?P<label>order|заказ|заявка|request|submission)[ \t]*(?:#|№|no\.?|n)[ \t]*"
    r"(?P<value>[\w-]{1,40})[ \t]*$",
    re.IGNORECASE,
)


def colon_match(line: str, options: ParseOptions) -> tuple[str, str] | None:
    """``(label, value)`` when the line reads ``Label: value`` (value may be empty).

    Also ``Label - value`` for known labels (1C-Bitrix form module metadata, old scripts)
    and ``Order #123`` / ``Заказ №123`` title lines (Tilda cart, shops).
    """
    m = COLON.match(line)
    if not m:
        d = DASH_PAIR.match(line)
        if d and is_known_label(d.group("label"), options):
            return d.group("label").strip(), d.group("value").strip()
        o = ORDER_LINE.match(line)
        if o:
            return o.group("label").strip().capitalize(), o.group("value")
        return None
    label, sep, value = m.group("label").strip(), m.group("sep"), m.group("value")
    if value.startswith("//") or not label:
        return None
    if not label_ok(label, options):
        return None
    if not sep and value and not is_known_label(label, options):
        return None  # "14:05", "ref:abc": a colon inside a value, not a label
    return label, value.strip().lstrip(":：").strip()


def bare_label(line: str, options: ParseOptions) -> str | None:
    """A line that is only a label: a known label, ``key:``, or a question."""
    s = line.strip()
    if not s or len(s) > 150:
        return None
    core = s.rstrip("*").rstrip()
    if ": " in core or "\t" in core:
        return None
    if core.endswith((":", "：")):
        inner = core[:-1].strip()
        if inner and ":" not in inner and label_ok(inner, options):
            return inner
        return None
    if is_known_label(core, options) and label_kind(core, options) != "meta":
        return core
    if core.endswith("?") and ": " not in core and not re.search(r"https?://|@", core):
        return core
    return None


def paragraph_label(line: str, options: ParseOptions) -> str | None:
    """A short heading-like line that opens a two-line "label / value" paragraph."""
    s = line.strip()
    if not s or len(s) > 50 or len(s.split()) > 6 or s.endswith((".", "!", ",", ";")):
        return None
    if ": " in s or "\t" in s or not label_ok(s, options):
        return None
    return s


@dataclass(slots=True)
class OpenValue:
    label: str
    kind: str
    lines: list[str]
    block: bool  # the value started on the line after the label

    def content(self) -> bool:
        return any(x.strip() for x in self.lines)


def close_value(cur: OpenValue | None, pairs: list[Pair]) -> None:
    if cur is None:
        return
    lines = list(cur.lines)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    pairs.append((cur.label, "\n".join(lines).strip()))
