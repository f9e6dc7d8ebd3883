"""The comparison of a parsed message with a variant's expected JSON (tests/variants/README.md).

A key the JSON gives is checked; a key it leaves out is not. ``name``/``message`` compare after
collapsing whitespace, ``email`` case-insensitively, ``phone`` exactly (``null`` means no phone),
``extra`` as a subset, ``absent_extra`` keys must be missing, files as multisets.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.fieldcheck import ws

REQUIRED = frozenset({"is_form", "create_lead", "attachments", "rejected_attachments"})
OPTIONAL = frozenset({"name", "phone", "email", "message", "extra", "absent_extra",
                      "other_phones", "phone_extension"})


def _scalar_problems(got: dict[str, Any], exp: dict[str, Any]) -> list[str]:
    out = []
    for key in ("is_form", "create_lead"):
        if got[key] != exp[key]:
            out.append(f"{key}: got {got[key]!r} ({got.get('reason')})")
    if "phone" in exp and got["phone"] != exp["phone"]:
        out.append(f"phone: got {got['phone']!r}, expected {exp['phone']!r}")
    if "email" in exp and (got["email"] or "").lower() != (exp["email"] or "").lower():
        out.append(f"email: got {got['email']!r}, expected {exp['email']!r}")
    for key in ("name", "message"):
        if key in exp and ws(got[key]) != ws(exp[key]):
            out.append(f"{key}: got {got[key]!r}, expected {exp[key]!r}")
    if "other_phones" in exp and got.get("other_phones", []) != exp["other_phones"]:
        out.append(f"other_phones: got {got.get('other_phones')!r}")
    if "phone_extension" in exp and got.get("phone_extension") != exp["phone_extension"]:
        out.append(f"phone_extension: got {got.get('phone_extension')!r}")
    return out


def problems(got: dict[str, Any], exp: dict[str, Any]) -> list[str]:
    """What differs between ``to_json`` output ``got`` and the expected JSON ``exp``."""
    unknown = set(exp) - REQUIRED - OPTIONAL
    missing = REQUIRED - set(exp)
    if unknown or missing:
        return [f"expected JSON: unknown keys {sorted(unknown)}, missing {sorted(missing)}"]
    out = _scalar_problems(got, exp)
    for key, value in exp.get("extra", {}).items():
        if ws(got["extra"].get(key)) != ws(value):
            out.append(f"extra[{key!r}]: got {got['extra'].get(key)!r}, expected {value!r}")
    out += [f"extra[{key!r}] should be absent"
            for key in exp.get("absent_extra", []) if key in got["extra"]]
    want = Counter((a["filename"], a["sha256"]) for a in exp["attachments"])
    have = Counter((a["filename"], a["sha256"]) for a in got["attachments"])
    if want != have:
        out.append(f"attachments: got {sorted(have)}")
    want = Counter((r["filename"], r["reason"]) for r in exp["rejected_attachments"])
    have = Counter((r["filename"], r["reason"]) for r in got["rejected_attachments"])
    if want != have:
        out.append(f"rejected: got {sorted(have)}")
    return out
