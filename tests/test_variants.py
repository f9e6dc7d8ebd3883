"""Independent variants: form e-mails in layouts the corpus does not hold, kept as data.

Every ``tests/variants/<name>.eml`` is a whole message as its mailer writes it (PHPMailer via
``mail()`` or SMTP, ``wp_mail()``, 1C-Bitrix, Drupal, SaaS senders; CRLF; 8bit/QP/base64;
UTF-8, windows-1251, KOI8-R) and ``<name>.json`` the extraction a person would agree on, compared
as tests/variants/README.md says (tests/helpers/variantcheck.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bridge.parsing import parse_message
from bridge.parsing.report import to_json
from tests.helpers.variantcheck import OPTIONAL, REQUIRED, problems

VARIANTS = Path(__file__).resolve().parent / "variants"


def _cases() -> list[Any]:
    return [pytest.param(path, id=path.stem) for path in sorted(VARIANTS.glob("*.json"))]


def test_enough_variants() -> None:
    """The folder holds at least 190 distinct variants."""
    assert len(_cases()) >= 190


def test_every_variant_has_its_message_and_expectation() -> None:
    """Each .json has its .eml and each .eml its .json; no file is left without its pair."""
    emls = {p.stem for p in VARIANTS.glob("*.eml")}
    jsons = {p.stem for p in VARIANTS.glob("*.json")}
    assert emls == jsons


def test_readme_documents_exactly_the_keys_the_check_knows() -> None:
    """The README's key table and the checker agree on every key and on which are required."""
    rows = re.findall(r"^\| `(\w+)` \| (yes|no) \|", (VARIANTS / "README.md").read_text(), re.M)
    assert {k for k, req in rows if req == "yes"} == REQUIRED
    assert {k for k, req in rows if req == "no"} == OPTIONAL


@pytest.mark.parametrize("expected_path", _cases())
def test_variant(expected_path: Path) -> None:
    """The message parses to the extraction a person would agree on (README comparison)."""
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    got = to_json(parse_message(expected_path.with_suffix(".eml").read_bytes()))
    found = problems(got, expected)
    assert not found, "\n".join(found)
