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
XFAIL: frozenset[str] = frozenset()


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
