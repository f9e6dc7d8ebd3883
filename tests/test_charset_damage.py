"""A declared charset that fits all but a few bytes wins; sniffing is for bodies that do not fit."""

from __future__ import annotations

import base64
from pathlib import Path

from bridge.parsing import parse_message
from bridge.parsing.charsets import decode_bytes, decode_header, sniff
from tests.e2e import run, sandbox, write_config
from tests.servers.dovecot import ImapAccount

CUT = "р".encode()[:1]  # PHP substr() cutting a two-byte Cyrillic letter in half


def _form(ctype: str, body: bytes, subject: str = "Form request") -> bytes:
    head = (
        "From: noreply@rostferrum.ru\r\nTo: zayavki@rostferrum.ru\r\n"
        f"Subject: {subject}\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        "Message-ID: <cut1@rostferrum.ru>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode("ascii") + body


BODY = (
    "Имя: Иван Петров\r\nТелефон: +7 912 345-67-89\r\n"
    "Сообщение: Нужна арматура А500С, доставка в Екатеринбу"
).encode() + CUT + b"...\r\n"


def test_one_bad_byte_keeps_the_declared_utf8() -> None:
    """One cut letter in a utf-8 body: the rest is read as utf-8, the bad byte replaced."""
    text, note = decode_bytes(BODY, "utf-8")
    assert text.startswith("Имя: Иван Петров\r\nТелефон")
    assert "Екатеринбу\ufffd..." in text
    assert note and "replaced" in note


def test_one_bad_byte_in_an_undeclared_body_is_still_utf8() -> None:
    """Without a declared charset, bytes that are UTF-8 but for one are read as UTF-8."""
    text, used = sniff(BODY)
    assert used == "utf-8" and "Иван Петров" in text


def test_single_byte_label_with_an_undefined_byte_keeps_its_label() -> None:
    """A windows-1251 body with one byte the codec does not define stays windows-1251."""
    data = "Здравствуйте, нужна арматура, звоните".encode("cp1251") + b"\x98"
    text, note = decode_bytes(data, "windows-1251")
    assert text == "Здравствуйте, нужна арматура, звоните\ufffd"
    assert note and "replaced" in note


def test_mislabelled_body_is_still_sniffed() -> None:
    """cp1251 bytes under a utf-8 label do not fit at all: they are still sniffed."""
    text, note = decode_bytes("Здравствуйте, нужна арматура".encode("cp1251"), "utf-8")
    assert text == "Здравствуйте, нужна арматура"
    assert note and "sniffed cp1251" in note


def test_header_word_with_a_cut_letter_keeps_utf8() -> None:
    """An encoded-word Subject cut inside a letter keeps its UTF-8 reading."""
    raw = "Заявка: Иван Петро".encode() + "в".encode()[:1]
    word = "=?utf-8?B?" + base64.b64encode(raw).decode("ascii") + "?="
    assert decode_header(word) == "Заявка: Иван Петро\ufffd"


def test_form_with_a_cut_letter_keeps_name_phone_and_message() -> None:
    """The whole form survives one bad byte: name, phone and message are read."""
    form = parse_message(_form("text/plain; charset=utf-8", BODY))
    assert form.name == "Иван Петров"
    assert form.phone == "+79123456789"
    assert form.message and form.message.startswith("Нужна арматура А500С")


def test_html_part_with_a_cut_letter_keeps_utf8() -> None:
    """An HTML part under a utf-8 label keeps its fields when one byte is bad."""
    html = (
        "<html><body><table><tr><td>Имя:</td><td>Иван Петров</td></tr>"
        "<tr><td>Телефон:</td><td>+7 912 345-67-89</td></tr>"
        "<tr><td>Сообщение:</td><td>Нужна арматура, доставка в Екатеринбу"
    ).encode() + CUT + b"...</td></tr></table></body></html>"
    form = parse_message(_form("text/html; charset=utf-8", html))
    assert form.name == "Иван Петров"
    assert form.phone == "+79123456789"


def test_cut_letter_through_dovecot_makes_a_whole_lead(account: ImapAccount,
                                                      tmp_path: Path) -> None:
    """Through real Dovecot: the lead has the client's name, phone and a readable comment."""
    account.deliver(_form("text/plain; charset=utf-8", BODY))
    with sandbox() as sb:
        cfg = write_config(tmp_path / "config.toml", account, sb.webhook_url)
        code, _, err = run("--config", str(cfg), "--poll-now")
        assert code == 0, err
        leads = sb.portal.list_leads()
        assert len(leads) == 1
        lead = sb.portal.lead(int(leads[0]["ID"]))
        assert lead["NAME"] == "Иван Петров"
        assert [p["VALUE"] for p in lead["PHONE"]] == ["+79123456789"]
        assert "Нужна арматура А500С" in lead["COMMENTS"]


def test_raw_8bit_header_with_a_cut_letter_keeps_utf8() -> None:
    """An undeclared raw 8-bit Subject cut inside a letter is still read as UTF-8."""
    raw = ("Заявка от Ива".encode() + "н".encode()[:1]).decode("utf-8", "surrogateescape")
    assert decode_header(raw) == "Заявка от Ива\ufffd"


def test_many_cut_fields_in_a_long_body_keep_utf8() -> None:
    """A long UTF-8 body with 40 cut values (one bad byte each) is still read as UTF-8."""
    line = "Позиция: арматура А500С диаметр двенадцать миллиметров, партия ".encode()
    body = b"".join(line + "ж".encode()[:1] + b"\n" for _ in range(40))
    text, note = decode_bytes(body, "utf-8")
    assert text.count("арматура А500С") == 40 and text.count("\ufffd") == 40
    assert note and "40 invalid" in note
