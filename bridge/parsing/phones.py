"""Phone numbers to E.164, with the ``phonenumbers`` library.

Two entry points:

* :func:`parse_phone_field` reads what a visitor typed into a phone field: any format
  (``8 (912) 345-67-89``, ``89123456789``, bare ``9123456789``, ``+7(495)… доб. 123``,
  ``+375``/``+998``/``+1``/``+49``, ``+7 7xx`` Kazakhstan), several numbers in one field,
  an extension; text such as "не звонить" gives no number.
* :func:`find_phones_in_text` finds numbers inside free text (Contact Form 7's default
  template and Bitrix' feedback form have no phone field). It is stricter: only valid
  numbers with at least ten digits, and never a date, an IP, a tax or order number, a
  price, a quantity or a postal code (checked by validity and by the words around it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from bridge.parsing.tolerate import tolerated

_EXT_AFTER = re.compile(
    r"^\s*[,;(]?\s*(?:доб(?:авочный)?|вн(?:утр(?:енний)?)?|ext(?:ension)?|x|#)\.?\s*[:#№]?\s*"
    r"(\d{1,6})\b",
    re.IGNORECASE,
)
_BAD_BEFORE = re.compile(
    r"(?:инн|кпп|огрн(?:ип)?|бик|окпо|оквэд|р/с|к/с|р/сч|л/с|сч[её]т\w*|сч\.|№|#|заказ\w*|"
    r"order|invoice|inn|арт(?:икул)?\.?|код|индекс|index|zip|postcode|паспорт\w*|снилс|"
    r"гост|ту|дог(?:овор)?\w*|id|heat|плавк\w*|партия|lot)\W{0,3}$",
    re.IGNORECASE,
)
_BAD_AFTER = re.compile(
    r"^\s*(?:руб|р\.|р\b|₽|rub|usd|\$|eur|€|тыс|млн|т\b|тн\b|тонн|шт|кг|мм|см|м\b|м2|м3|"
    r"kg|mm|pcs|%)",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_PLUS_EIGHT = re.compile(
    r"(^|[\s,;:(])\+\s*8(?=[\s(\-]*\d{3}[\s)\-]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}\b)"
)
# "00" that starts a number: not after a digit group of the same number ("345 00 11")
_DOUBLE_ZERO = re.compile(r"(^|[,;:/]\s*|[^\d\s()\-.]\s+)00[ \t]?(?=[1-9]\d)")
_SPLIT = re.compile(r"\s*(?:[,;/|\n]|\s(?:или|or|и|and)\s)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Phone:
    """One phone number: E.164 and an extension when one was given."""

    e164: str
    extension: str | None = None


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _extension(number: phonenumbers.PhoneNumber, after: str) -> str | None:
    if number.extension:
        return str(number.extension)
    m = _EXT_AFTER.match(after)
    return m.group(1) if m else None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _parse_loose(text: str, region: str) -> Phone | None:
    """One number from a short string that the matcher did not accept as a whole."""
    digits = _digits(text)
    if not 7 <= len(digits) <= 15:
        return None
    candidates = [("+" + digits) if text.strip().startswith("+") else digits]
    if len(digits) >= 11 and not candidates[0].startswith("+"):
        candidates.append("+" + digits)  # a country code typed without its plus: 375 29 …
    if len(digits) == 11 and digits.startswith("80") and not text.strip().startswith("+"):
        # Belarus' domestic '8 0XX …' (8 029 555-12-83): no Russian number has a 0 after 8
        candidates.append("+375" + digits[2:])
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return Phone(_e164(number), str(number.extension) if number.extension else None)
    return None


def dedupe(phones: list[Phone]) -> list[Phone]:
    """The phones in order, each E.164 number once."""
    seen: set[str] = set()
    out: list[Phone] = []
    for p in phones:
        if p.e164 not in seen:
            seen.add(p.e164)
            out.append(p)
    return out


def parse_phone_field(value: str | None, region: str = "RU") -> list[Phone]:
    """All valid numbers in a phone field's value, first one first; [] for garbage."""
    if not value or not re.search(r"\d", value):
        return []
    # "+8 912 …": a Russian trunk prefix typed with a plus is still 8, not a country code
    text = _PLUS_EIGHT.sub(r"\1 8", value.strip())
    # "0049 151 …": the international prefix most of Europe and Asia dial instead of "+"
    text = _DOUBLE_ZERO.sub(r"\1+", text)
    found: list[Phone] = []
    try:
        for m in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            found.append(Phone(_e164(m.number), _extension(m.number, text[m.end:])))
    except Exception as exc:  # the matcher must never take the parser down
        tolerated("phones.field", exc)
        found = []
    if found:
        return dedupe(found)
    # The matcher is picky about unusual grouping ("8912 345 6789", "+7-912-3456789"):
    # try each separated chunk as one number.
    for chunk in _SPLIT.split(text):
        main, ext = chunk, None
        tail = re.search(r"(?:доб|ext|вн|x)\.?\s*(\d{1,6})\s*$", chunk, re.IGNORECASE)
        if tail:
            main, ext = chunk[: tail.start()], tail.group(1)
        phone = _parse_loose(main, region)
        if phone:
            found.append(Phone(phone.e164, phone.extension or ext))
    return dedupe(found)


def _plausible_in_text(raw: str, before: str, after: str) -> bool:
    digits = _digits(raw)
    if len(digits) < 10:
        return False
    if _IP.match(raw.strip()) or _DATE.fullmatch(raw.strip()):
        return False
    if _BAD_BEFORE.search(before) or _BAD_AFTER.match(after):
        return False
    if re.fullmatch(r"\d+", raw.strip()):
        # A bare digit run is a phone only in the two shapes people type: 8/7 + 10 digits
        # or a 10-digit mobile number starting with 9; anything else is an INN or an order.
        return (len(digits) == 11 and digits[0] in "78") or (
            len(digits) == 10 and digits[0] == "9"
        )
    return True


def find_phones_in_text(text: str | None, region: str = "RU") -> list[Phone]:
    """Valid phone numbers written inside free text, in order of appearance."""
    if not text or not re.search(r"\d{3}", text):
        return []
    text = _PLUS_EIGHT.sub(r"\1 8", text)
    found: list[Phone] = []
    try:
        matcher = PhoneNumberMatcher(text, region, leniency=Leniency.VALID, max_tries=200)
        for m in matcher:
            before = text[max(0, m.start - 16) : m.start]
            after = text[m.end : m.end + 12]
            if not _plausible_in_text(m.raw_string, before, after):
                continue
            found.append(Phone(_e164(m.number), _extension(m.number, after)))
    except Exception as exc:  # the matcher must never take the parser down
        tolerated("phones.text", exc)
        return dedupe(found)
    return dedupe(found)


def normalize_phone(value: str | None, region: str = "RU") -> str | None:
    """The first number of a field in E.164, or None."""
    phones = parse_phone_field(value, region)
    return phones[0].e164 if phones else None
