"""The golden corpus: every form e-mail in /work/shared/corpus parses as its expected.json says.

Comparison rules are those of corpus/README.md: exact ``is_form``/``create_lead``/``phone``,
``email`` case-insensitively, ``name``/``message`` after collapsing whitespace, every expected
``extra`` key present with an equal value, attachments and rejected attachments as multisets,
and the optional keys when the case gives them. The double-click rule (``duplicate_of``) is
the pipeline's, so for such a case ``create_lead`` is not compared here.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bridge.parsing import parse_message
from bridge.parsing.report import to_json
from tests.fieldcheck import ws

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _cases() -> list[Any]:
    return [
        pytest.param(path, id=path.name.removesuffix(".expected.json"))
        for path in sorted(CORPUS.glob("*.expected.json"))
    ]


def _check(actual: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    keys = ["is_form", "phone"]
    if "duplicate_of" not in expected:
        keys.append("create_lead")
    for key in keys:
        if actual[key] != expected[key]:
            problems.append(f"{key}: got {actual[key]!r}, expected {expected[key]!r}")
    if (actual["email"] or "").lower() != (expected["email"] or "").lower():
        problems.append(f"email: got {actual['email']!r}, expected {expected['email']!r}")
    if ws(actual["name"]) != ws(expected["name"]):
        problems.append(f"name: got {actual['name']!r}, expected {expected['name']!r}")
    if "message_sha256" in expected:
        digest = hashlib.sha256((actual["message"] or "").encode()).hexdigest()
        if digest != expected["message_sha256"]:
            problems.append("message: sha256 differs")
    if ws(actual["message"]) != ws(expected["message"]):
        problems.append(f"message: got {str(actual['message'])[:200]!r}")
    for key, value in expected["extra"].items():
        if ws(actual["extra"].get(key)) != ws(value):
            problems.append(f"extra[{key!r}]: got {actual['extra'].get(key)!r}, expected {value!r}")
    got = Counter((a["filename"], a["sha256"]) for a in actual["attachments"])
    want = Counter((a["filename"], a["sha256"]) for a in expected["attachments"])
    if got != want:
        problems.append(f"attachments: got {sorted(got)}, expected {sorted(want)}")
    got = Counter((a["filename"], a["reason"]) for a in actual["rejected_attachments"])
    want = Counter((a["filename"], a["reason"]) for a in expected["rejected_attachments"])
    if got != want:
        problems.append(f"rejected: got {sorted(got)}, expected {sorted(want)}")
    for key in ("other_phones", "phone_extension", "spam"):
        if key in expected and actual.get(key) != expected[key]:
            problems.append(f"{key}: got {actual.get(key)!r}, expected {expected[key]!r}")
    return problems


def test_corpus_is_there() -> None:
    """The shared corpus is found next to the repository, with its 45 published cases."""
    assert len(_cases()) >= 45


@pytest.mark.parametrize("expected_path", _cases())
def test_corpus_case(expected_path: Path) -> None:
    """The message parses to what its expected.json says, under the README's comparison rules."""
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    raw = expected_path.with_name(expected_path.name.replace(".expected.json", ".eml")).read_bytes()
    actual = to_json(parse_message(raw))
    problems = _check(actual, expected)
    assert not problems, "\n".join(problems)
