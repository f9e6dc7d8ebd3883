"""The case set of tests/cases: form layouts modelled on public templates, one test per case.

Every case parses to what its expected.json says, under the corpus's comparison rules with
``extra`` compared exactly (see tests/cases/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.parsing import parse_message
from bridge.parsing.report import to_json
from tests.fieldcheck import case_options, field_problems

CASES = Path(__file__).resolve().parent / "cases"

# Cases the parser does not read right yet; each must fail (strict), and the list shrinks as
# the rules are fixed.
XFAIL: frozenset[str] = frozenset({
    "a01-bitrix-aspro-sent-at-trailer",
    "a02-bitrix-form-module-cp1251-view-link",
    "a03-drupal7-webform-results-viewed-at",
    "a05-mailphp-shop-footer-own-phone",
    "a06-flexbe-order-list-after-comment",
    "b03-drupal7-webform-ru-anonymous",
    "b05-mailphp-server-vars",
    "b06-netcat-message-added",
    "b08-quform-entry-metadata",
    "c01-cf7-empty-field-then-unlabelled-text",
    "c02-wpforms-plain-question-label",
    "c03-everest-forms-question-textarea",
    "c04-ninja-forms-project-details",
    "c05-netlify-keys-request",
    "c06-mailphp-trailing-paragraph",
    "c07-yandex-forms-tell-more",
    "c08-formspree-project",
    "d01-mailphp-three-column-table",
    "d02-jotform-question-answer-table",
    "d03-crm-export-id-label-value",
    "d04-four-column-table",
    "e01-cf7-57-default-en",
    "e02-cf7-57-default-ru",
    "e03-cf7-57-no-reply-to",
    "f01-own-address-ru",
    "f02-own-address-en-wpforms",
    "f03-own-address-bitrix-feedback",
    "g01-cf7-seo-spam-whatsapp",
    "g02-cf7-spam-whatsapp-api-ru",
    "g03-cf7-client-whatsapp-link",
    "h08-tilda-ru-default-vars",
    "h09-typeform-question-blocks",
    "i10-supplier-letter",
    "i11-phishing-mailbox-full",
})


def _cases() -> list[Any]:
    out = []
    for path in sorted(CASES.glob("*.expected.json")):
        slug = path.name.removesuffix(".expected.json")
        marks = [pytest.mark.xfail(strict=True, reason="not read right yet")] \
            if slug in XFAIL else []
        out.append(pytest.param(path, id=slug, marks=marks))
    return out


def test_case_set_is_there() -> None:
    """The set holds at least 60 cases, each with its message file and a named source."""
    paths = sorted(CASES.glob("*.expected.json"))
    assert len(paths) >= 60
    for path in paths:
        exp = json.loads(path.read_text(encoding="utf-8"))
        assert exp["template"] and exp["source"], path.name
        assert path.with_name(path.name.replace(".expected.json", ".eml")).exists()


@pytest.mark.parametrize("expected_path", _cases())
def test_case(expected_path: Path) -> None:
    """The message parses to what its expected.json says, ``extra`` compared exactly."""
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    eml = expected_path.name.replace(".expected.json", ".eml")
    raw = expected_path.with_name(eml).read_bytes()
    actual = to_json(parse_message(raw, case_options(expected)))
    problems = field_problems(actual, expected, exact_extra=True)
    flat = [p for field in problems.values() for p in field]
    assert not flat, "\n".join(flat)
