"""One ``check`` line: its mark (✓, ✗ or ⚠) and text, the exit code of a list of them, and the
line for a CRM answer that says the setup is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.errors import CrmError, CrmSetupError, CrmTemporary, CrmUnknownOutcome
from bridge.i18n import t

OK, BAD, DOWN, WARN = "ok", "bad", "down", "warn"


@dataclass(frozen=True, slots=True)
class Check:
    status: str  # OK, BAD (setup wrong: exit 78), DOWN (unreachable: exit 69) or WARN (exit 0)
    text: str

    @property
    def line(self) -> str:
        mark = {OK: "✓ ", WARN: "⚠ "}.get(self.status, "✗ ")
        return mark + self.text


def exit_code(results: list[Check]) -> int:
    """78 when something is set up wrongly, else 69 when a service was unreachable, else 0."""
    if any(r.status == BAD for r in results):
        return 78
    if any(r.status == DOWN for r in results):
        return 69
    return 0


# Portal-wide setup answers with a fix of their own in the catalogue (by the portal's code)
_SETUP_ANSWERS = {
    "INVALID_CREDENTIALS": "check.crm.webhook_rejected",
    "NO_AUTH_FOUND": "check.crm.webhook_rejected",
    "WRONG_AUTH_TYPE": "check.crm.webhook_rejected",
    "EXPIRED_TOKEN": "check.crm.webhook_rejected",
    "INVALID_TOKEN": "check.crm.webhook_rejected",
    "INSUFFICIENT_SCOPE": "check.crm.insufficient_scope",
    "PORTAL_DELETED": "check.crm.portal_deleted",
    "PAYMENT_REQUIRED": "check.crm.payment_required",
    "OVERLOAD_LIMIT": "check.crm.overload",
}


def crm_problem(exc: CrmError) -> Check:
    """The line for a CRM error: a known setup answer with its fix, else BAD or DOWN."""
    key = _SETUP_ANSWERS.get((exc.code or "").upper())
    if isinstance(exc, CrmSetupError) and key is not None:
        return Check(BAD, t(key, code=exc.code))
    if isinstance(exc, CrmSetupError):
        return Check(BAD, t("check.crm.problem", error=exc))
    if isinstance(exc, (CrmTemporary, CrmUnknownOutcome)):
        return Check(DOWN, t("check.crm.unreachable", error=exc))
    return Check(BAD, t("check.crm.problem", error=exc))
