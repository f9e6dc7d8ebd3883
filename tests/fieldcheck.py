"""Field-by-field comparison of a ``parse --json`` object with a case's expected.json.

The rules are those of corpus/README.md ("Suggested comparison"); ``exact_extra`` makes
``extra`` an exact match (the case set of tests/cases, where metadata in extras is a miss).
Shared by tests/test_cases.py and bench/fields.py.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from bridge.model import ParseOptions

FIELDS = ("class", "name", "phone", "email", "message", "extra", "attachments")


def case_options(expected: dict[str, Any]) -> ParseOptions:
    """The parse options a case names (``"options": {"default_region": "US"}`` for a site
    abroad, as its operator would configure), else the defaults."""
    return ParseOptions(**expected.get("options", {}))


def ws(value: str | None) -> str | None:
    """Whitespace runs collapsed to one space (None stays None)."""
    return None if value is None else " ".join(value.split())


def field_problems(actual: dict[str, Any], expected: dict[str, Any], *,
                   exact_extra: bool = False) -> dict[str, list[str]]:
    """For each field of :data:`FIELDS`, what differs (an empty list when it matches).

    ``class`` is ``is_form``, ``create_lead`` (not for a double click, which is the
    pipeline's rule) and the optional ``spam``/``phone_extension`` keys; ``phone`` includes
    ``other_phones`` (always compared with ``exact_extra``, where no key means none).
    """
    out: dict[str, list[str]] = {f: [] for f in FIELDS}
    keys = ["is_form"] + ([] if "duplicate_of" in expected else ["create_lead"])
    for key in keys:
        if actual[key] != expected[key]:
            out["class"].append(f"{key}: got {actual[key]!r}, expected {expected[key]!r}")
    for key in ("spam", "phone_extension"):
        if key in expected and actual.get(key) != expected[key]:
            out["class"].append(f"{key}: got {actual.get(key)!r}, expected {expected[key]!r}")
    if actual["phone"] != expected["phone"]:
        out["phone"].append(f"phone: got {actual['phone']!r}, expected {expected['phone']!r}")
    if ("other_phones" in expected or exact_extra) and \
            actual.get("other_phones", []) != expected.get("other_phones", []):
        # in the case set a second number (the shop's own phone in a footer) is a miss too
        out["phone"].append(f"other_phones: got {actual.get('other_phones')!r}, "
                            f"expected {expected.get('other_phones', [])!r}")
    if (actual["email"] or "").lower() != (expected["email"] or "").lower():
        out["email"].append(f"email: got {actual['email']!r}, expected {expected['email']!r}")
    if ws(actual["name"]) != ws(expected["name"]):
        out["name"].append(f"name: got {actual['name']!r}, expected {expected['name']!r}")
    if "message_sha256" in expected:
        digest = hashlib.sha256((actual["message"] or "").encode()).hexdigest()
        if digest != expected["message_sha256"]:
            out["message"].append("message: sha256 differs")
    if ws(actual["message"]) != ws(expected["message"]):
        out["message"].append(f"message: got {str(actual['message'])[:300]!r}")
    got_extra = actual["extra"]
    for key, value in expected["extra"].items():
        if ws(got_extra.get(key)) != ws(value):
            out["extra"].append(f"extra[{key!r}]: got {got_extra.get(key)!r}, expected {value!r}")
    if exact_extra:
        for key in got_extra.keys() - expected["extra"].keys():
            out["extra"].append(f"extra[{key!r}]: not expected ({str(got_extra[key])[:80]!r})")
    got = Counter((a["filename"], a["sha256"]) for a in actual["attachments"])
    want = Counter((a["filename"], a["sha256"]) for a in expected["attachments"])
    if got != want:
        out["attachments"].append(f"attachments: got {sorted(got)}, expected {sorted(want)}")
    got = Counter((a["filename"], a["reason"]) for a in actual["rejected_attachments"])
    want = Counter((a["filename"], a["reason"]) for a in expected["rejected_attachments"])
    if got != want:
        out["attachments"].append(f"rejected: got {sorted(got)}, expected {sorted(want)}")
    return out


def message_junk(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    """The extracted message carries text that is not the client's: it differs from the
    expected message while containing it, or there should be no message at all."""
    got, want = ws(actual.get("message")), ws(expected.get("message"))
    if not got or got == want:
        return False
    return want is None or want in got
