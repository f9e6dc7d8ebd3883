"""Phone numbers: field values and free text to E.164 (bridge.parsing.phones)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.parsing.phones import (
    Phone,
    find_phones_in_text,
    normalize_phone,
    parse_phone_field,
)


@pytest.mark.parametrize(
    ("value", "e164"),
    [
        ("8 (912) 345-67-89", "+79123456789"),
        ("89123456789", "+79123456789"),
        ("9123456789", "+79123456789"),
        ("+7 912 345 67 89", "+79123456789"),
        ("7 912 345 67 89", "+79123456789"),
        ("8-912-345-67-89", "+79123456789"),
        ("8912 345 6789", "+79123456789"),
        ("+7-912-3456789", "+79123456789"),
        ("+7 (343) 123-45-67", "+73431234567"),
        ("+7 701 123 45 67", "+77011234567"),
        ("+375 29 123-45-67", "+375291234567"),
        ("+998 90 123 45 67", "+998901234567"),
        ("+1 212 555 0199", "+12125550199"),
        ("+49 1512 3456789", "+4915123456789"),
        ("375 29 123 45 67", "+375291234567"),
        ("4951234567", "+74951234567"),
        ("8-800-555-35-35", "+78005553535"),
        ("+8 (912) 345-67-89", "+79123456789"),
        ("+89123456789", "+79123456789"),
    ],
)
def test_field_formats(value: str, e164: str) -> None:
    """Every way people type a number becomes the same E.164 string."""
    assert normalize_phone(value) == e164


def test_kazakhstan_keeps_plus_seven() -> None:
    """A +7 7xx number is Kazakhstan but still written +7 in E.164."""
    assert parse_phone_field("+7 (701) 123-45-67") == [Phone("+77011234567")]


@pytest.mark.parametrize(
    ("value", "ext"),
    [
        ("+7(495)123-45-67 доб. 123", "123"),
        ("8 (343) 123-45-67 ext. 5", "5"),
        ("+7 495 123 45 67 x123", "123"),
        ("8(912)3456789 (доб.12)", "12"),
    ],
)
def test_extension_is_kept_apart(value: str, ext: str) -> None:
    """An extension is not part of the number; it is returned separately."""
    phones = parse_phone_field(value)
    assert phones[0].extension == ext
    assert "доб" not in phones[0].e164 and phones[0].e164.startswith("+7")


def test_several_numbers_in_one_field() -> None:
    """Two numbers in one field give both, first one first."""
    phones = parse_phone_field("8 912 345-67-89, 8 (343) 123-45-67")
    assert [p.e164 for p in phones] == ["+79123456789", "+73431234567"]
    phones = parse_phone_field("+7 912 345 67 89 или 8-343-123-45-67")
    assert [p.e164 for p in phones] == ["+79123456789", "+73431234567"]


@pytest.mark.parametrize(
    "value",
    ["не звонить, только почта", "+1 000 000 00 00", "ivan@mail.ru", "", "-", "123", "нет"],
)
def test_garbage_gives_no_number(value: str) -> None:
    """Text, an e-mail or an impossible number in the phone field gives no phone."""
    assert parse_phone_field(value) == []


def test_number_inside_message_text() -> None:
    """A number written in the message (CF7 default, Bitrix feedback) is found."""
    text = "Прошу выставить КП. Перезвоните, пожалуйста: 8 (912) 345-67-89, Иван."
    assert find_phones_in_text(text) == [Phone("+79123456789")]
    assert find_phones_in_text("Звоните: тел. 8-912-345-67-89 (Олег)") == [Phone("+79123456789")]
    assert find_phones_in_text("мой номер +8 912 345 67 89") == [Phone("+79123456789")]


@pytest.mark.parametrize(
    "text",
    [
        "Счёт на ООО, ИНН 6671000000, КПП 667101001",
        "ИНН 667100000012",
        "заказ № 89123456789 от 16.11.2026",
        "итого 89123456789 руб",
        "Дата: 16.11.2026, время 11:42",
        "IP 198.51.100.23",
        "индекс 620000, Екатеринбург",
        "heat 4471-00000 mass 1.000 t price 54000 GOST 34028-2016",
        "р/с 40702810000000000000",
        "Арматура 12 мм, 24 т, 5400000 руб.",
    ],
)
def test_not_a_phone_in_text(text: str) -> None:
    """Dates, tax and order numbers, prices, IPs and postal codes are not phones."""
    assert find_phones_in_text(text) == []


def test_text_extension_and_order() -> None:
    """Numbers in text come in order of appearance, with an extension when given."""
    text = "Офис: +7(495)123-45-67 доб. 123; мобильный 9123456780"
    assert find_phones_in_text(text) == [Phone("+74951234567", "123"), Phone("+79123456780")]


def test_other_region_default() -> None:
    """The default region decides what a number without a country code means."""
    assert normalize_phone("029 123-45-67", "BY") == "+375291234567"


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=200))
def test_never_raises(text: str) -> None:
    """Any text at all is read without an exception, and every result is E.164."""
    for phone in parse_phone_field(text) + find_phones_in_text(text):
        assert phone.e164.startswith("+") and phone.e164[1:].isdigit()


@pytest.mark.parametrize(("typed", "e164"), [
    ("0049 151 23456789", "+4915123456789"),
    ("00375 29 123 45 67", "+375291234567"),
    ("8 10 375 29 765 43 21", "+375297654321"),
    ("8 912 345 00 11", "+79123450011"),
])
def test_international_prefix_instead_of_plus(typed: str, e164: str) -> None:
    """'00' (and Russia's '8 10') before a country code are read as the plus."""
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(("value", "e164"), [
    ("8 029 555-12-83", "+375295551283"),
    ("8 (017) 255-12-84", "+375172551284"),
    ("80445551284", "+375445551284"),
])
def test_belarus_domestic_eight_zero(value: str, e164: str) -> None:
    """Belarus' domestic '8 0XX' form is +375 (a Russian number never has 0 after the 8)."""
    assert [p.e164 for p in parse_phone_field(value)] == [e164]
