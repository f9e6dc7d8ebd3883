"""ParsedForm -> the JSON object of ``mailbridge parse --json`` (SPEC §5).

The keys are those of the corpus's ``expected.json`` files: ``is_form``, ``create_lead``,
``name``, ``phone``, ``email``, ``message``, ``extra``, ``attachments``,
``rejected_attachments``; plus ``other_phones``, ``phone_extension``, ``duplicate_of``,
``reason``, ``spam`` and ``invalid_email`` only where they apply.
"""

from __future__ import annotations

from typing import Any

from bridge.model import ParsedForm


def to_json(parsed: ParsedForm, *, duplicate_of: str | None = None) -> dict[str, Any]:
    """The SPEC §5 object for one parsed message; ``duplicate_of`` names the earlier file."""
    out: dict[str, Any] = {
        "is_form": parsed.is_form,
        "create_lead": parsed.create_lead and duplicate_of is None,
        "name": parsed.name,
        "phone": parsed.phone,
        "email": parsed.email,
        "message": parsed.message,
        "extra": dict(parsed.extra),
        "attachments": [
            {"filename": a.filename, "size": a.size, "sha256": a.sha256}
            for a in parsed.attachments
        ],
        "rejected_attachments": [
            {"filename": r.filename, "reason": r.reason} for r in parsed.rejected_attachments
        ],
    }
    if parsed.other_phones:
        out["other_phones"] = list(parsed.other_phones)
    if parsed.phone_extension:
        out["phone_extension"] = parsed.phone_extension
    if parsed.invalid_email:
        out["invalid_email"] = parsed.invalid_email
    if parsed.spam:
        out["spam"] = True
    if duplicate_of is not None:
        out["duplicate_of"] = duplicate_of
        out["reason"] = "double click"
    elif parsed.reason:
        out["reason"] = parsed.reason
    if parsed.quarantine:
        out["quarantine"] = True
    if parsed.unrecognised:
        out["unrecognised"] = True
    return out
