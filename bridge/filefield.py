"""Which lead field receives the files (``attachments.field``), and what that field accepts.

A real portal's lead File field has a generated code (``UF_CRM_1701234567``), and
``crm.lead.add`` silently drops keys it does not know, so a wrong name loses the files
without an error (docs/bitrix24.md "File fields"). The decision is therefore read from the
portal (``crm.lead.fields`` for type and multiplicity, ``crm.lead.userfield.list`` for the
field's own ``SETTINGS``):

* ``"auto"``: exactly one multiple File field -> that field; none, or several -> one timeline
  comment on the lead (``check`` lists the several, with how to name one);
* a named field (``UF_CRM_…``): that field; when it is gone or is not a multiple File field,
  mail with files waits (a temporary condition) and :func:`raise_file_field_alarm` is called;
* ``""``: always a timeline comment;
* ``"UF_CRM_TASK"`` (the tasks' CRM binding, the old default) on a portal whose leads lack it
  behaves as ``"auto"`` with a deprecation warning.

Pure functions decide; :class:`FileFieldResolver` reads the portal and caches the answer for
``bitrix24.health_interval`` seconds (or until :meth:`FileFieldResolver.invalidate`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bridge.errors import CrmError, CrmRejected
from bridge.i18n import t
from bridge.model import Attachment, ParsedForm, RejectedAttachment

log = logging.getLogger(__name__)

AUTO = "auto"
LEGACY_DEFAULT = "UF_CRM_TASK"
FIELD, COMMENT, WAIT = "field", "comment", "wait"


@dataclass(frozen=True, slots=True)
class FileField:
    """One lead user field of type ``file`` and the limits it sets itself."""

    code: str
    label: str = ""
    multiple: bool = True
    extensions: frozenset[str] = frozenset()  # empty = any
    max_size: int = 0  # bytes; 0 = no limit of its own

    @property
    def shown(self) -> str:
        if self.label and self.label != self.code:
            return f"{self.code} ({self.label})"
        return self.code


@dataclass(frozen=True, slots=True)
class Decision:
    """Where the files of the next message go."""

    mode: str  # FIELD, COMMENT or WAIT (a named field is missing: mail with files waits)
    field: FileField | None = None
    why: str = ""
    candidates: tuple[FileField, ...] = ()  # the multiple File fields "auto" saw
    deprecated: bool = False  # attachments.field = "UF_CRM_TASK" taken as "auto"

    @property
    def via(self) -> str:
        """What the ledger records per message: ``field:UF_CRM_…`` or ``comment``."""
        if self.mode == FIELD and self.field is not None:
            return f"{FIELD}:{self.field.code}"
        return self.mode


def _extensions(settings: Mapping[str, Any]) -> frozenset[str]:
    raw = settings.get("EXTENSIONS")
    if isinstance(raw, Mapping):  # PHP may send {"pdf": true, ...}
        items: Iterable[Any] = [k for k, v in raw.items() if v not in (False, "N", "0", 0)]
    elif isinstance(raw, list | tuple):
        items = raw
    elif isinstance(raw, str):
        items = raw.replace(";", ",").split(",")
    else:
        items = ()
    return frozenset(str(e).strip().lstrip(".").lower() for e in items if str(e).strip())


def _max_size(settings: Mapping[str, Any]) -> int:
    try:
        return max(0, int(float(settings.get("MAX_ALLOWED_SIZE") or 0)))
    except (TypeError, ValueError):
        return 0


def file_fields(fields: Mapping[str, Any],
                userfields: Sequence[Mapping[str, Any]] = ()) -> dict[str, FileField]:
    """Every lead field of type ``file`` (single and multiple), with its own settings."""
    settings_of: dict[str, Mapping[str, Any]] = {}
    for row in userfields:
        if isinstance(row, Mapping) and isinstance(row.get("SETTINGS"), Mapping):
            settings_of[str(row.get("FIELD_NAME"))] = row["SETTINGS"]
    out: dict[str, FileField] = {}
    for code, info in fields.items():
        if not isinstance(info, Mapping) or str(info.get("type")) != "file":
            continue
        settings = settings_of.get(code)
        if settings is None:
            own = info.get("settings")
            settings = own if isinstance(own, Mapping) else {}
        label = str(info.get("formLabel") or info.get("listLabel") or info.get("title") or "")
        out[code] = FileField(code=code, label=label, multiple=bool(info.get("isMultiple")),
                              extensions=_extensions(settings), max_size=_max_size(settings))
    return out


def decide(configured: str, fields: Mapping[str, Any],
           userfields: Sequence[Mapping[str, Any]] = ()) -> Decision:
    """The decision for ``attachments.field`` against the portal's lead fields. Pure."""
    if not configured:
        return Decision(COMMENT, why='attachments.field is ""')
    found = file_fields(fields, userfields)
    multiple = tuple(f for f in found.values() if f.multiple)
    deprecated = False
    if configured == LEGACY_DEFAULT and LEGACY_DEFAULT not in fields:
        configured, deprecated = AUTO, True
    if configured == AUTO:
        if len(multiple) == 1:
            return Decision(FIELD, multiple[0], "the lead's only multiple File field",
                            multiple, deprecated)
        if not multiple:
            return Decision(COMMENT, why="the leads have no multiple File field",
                            deprecated=deprecated)
        return Decision(COMMENT, why="the leads have several multiple File fields",
                        candidates=multiple, deprecated=deprecated)
    info = fields.get(configured)
    if not isinstance(info, Mapping):
        problem = "does not exist"
    elif str(info.get("type")) != "file":
        problem = f"has type {info.get('type')!r}, not file"
    elif not info.get("isMultiple"):
        problem = "is not multiple (only one file would be kept)"
    else:
        return Decision(FIELD, found[configured], "named in attachments.field", multiple)
    return Decision(WAIT, FileField(configured), f"the lead field {configured} {problem}",
                    multiple)


def refusal(attachment: Attachment, field: FileField) -> str | None:
    """Why ``field`` would refuse the file (``field_type``/``field_size``), or None."""
    if field.extensions:
        ext = attachment.filename.rpartition(".")[2].lower() if "." in attachment.filename else ""
        if ext not in field.extensions:
            return "field_type"
    if field.max_size and len(attachment.data) > field.max_size:
        return "field_size"
    return None


def fit_to_field(parsed: ParsedForm, field: FileField) -> ParsedForm:
    """``parsed`` with the files ``field`` would refuse moved to the rejected ones (named in
    the lead with the reason, not sent)."""
    kept: list[Attachment] = []
    refused: list[RejectedAttachment] = []
    for att in parsed.attachments:
        why = refusal(att, field)
        if why is None:
            kept.append(att)
        else:
            refused.append(RejectedAttachment(att.filename, why, len(att.data)))
    if not refused:
        return parsed
    return replace(parsed, attachments=tuple(kept),
                   rejected_attachments=(*parsed.rejected_attachments, *refused))


def raise_file_field_alarm(field: str, problem: str) -> None:
    """The alarm hook for a named file field that vanished (mail with files waits).

    Today it logs at error priority; the notification channels hook in here.
    """
    log.error("crm.file_field_missing field=%s problem=%s fix=create the field or set "
              "attachments.field = \"auto\"", field, problem.replace(" ", "_"))


def file_field_checks(cfg: Any, crm: Any) -> list[tuple[str, str]]:
    """`check`'s lines about the files: ("ok"|"warn"|"bad"|"down", text)."""
    configured = cfg.attachments.field
    if not configured:
        return [("ok", t("check.files.comment_configured"))]
    try:
        decision = FileFieldResolver(crm, configured, 0.0).decision()
    except CrmError as exc:
        from bridge.errors import CrmSetupError

        return [("bad" if isinstance(exc, CrmSetupError) else "down",
                 t("check.crm.problem", error=exc))]
    out: list[tuple[str, str]] = []
    if decision.deprecated:
        out.append(("warn", t("check.files.legacy_task")))
    if decision.mode == WAIT:
        out.append(("bad", t("check.files.wait", why=decision.why)))
        return out
    if decision.mode == COMMENT and decision.candidates:
        listed = "; ".join(f.shown for f in decision.candidates)
        out.append(("warn", t("check.files.several", listed=listed,
                              code=decision.candidates[0].code)))
        return out
    if decision.mode == COMMENT:
        out.append(("ok", t("check.files.none")))
        return out
    field = decision.field
    assert field is not None
    how = "auto" if configured in (AUTO, LEGACY_DEFAULT) else "attachments.field"
    out.append(("ok", t("check.files.field", field=field.shown, how=how)))
    limits = []
    if field.extensions:
        limits.append(t("check.files.only", extensions=", ".join(sorted(field.extensions))))
    if field.max_size:
        limits.append(t("check.files.max_size", size=f"{field.max_size / 1048576:g}"))
    if limits:
        out.append(("ok", t("check.files.limits", limits=t("check.files.and").join(limits))))
    return out


class LeadFieldSource(Protocol):
    """What the resolver needs from the portal."""

    def lead_fields(self) -> dict[str, Any]: ...


class FileFieldResolver:
    """Reads the portal's lead fields and keeps the decision for ``interval`` seconds."""

    def __init__(self, crm: LeadFieldSource, configured: str, interval: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.crm = crm
        self.configured = configured
        self.interval = float(interval)
        self.clock = clock
        self._decision: Decision | None = None
        self._read_at = 0.0
        self._warned = False
        self.reads = 0

    def invalidate(self) -> None:
        """Read the fields again before the next decision (after a rejected upload)."""
        self._decision = None

    def decision(self) -> Decision:
        """The current decision; raises CrmError only when the portal cannot be read."""
        if not self.configured:
            return Decision(COMMENT, why='attachments.field is ""')
        now = self.clock()
        if self._decision is not None and now - self._read_at < self.interval:
            return self._decision
        fields = self.crm.lead_fields()
        userfields: list[Any] = []
        reader = getattr(self.crm, "lead_userfields", None)
        if reader is not None:
            try:
                userfields = list(reader())
            except CrmRejected as exc:  # settings unknown: the field's limits are not applied
                log.warning("crm.userfield_list_refused error=%s", " ".join(str(exc).split()))
        self.reads += 1
        decision = decide(self.configured, fields, userfields)
        if decision.deprecated and not self._warned:
            self._warned = True
            log.warning("config.deprecated key=attachments.field value=UF_CRM_TASK "
                        "hint=UF_CRM_TASK is the tasks' CRM binding, not a lead field; delete "
                        "the line (the default \"auto\" is used)")
        previous = self._decision
        if previous is None or previous.via != decision.via:
            log.info("crm.file_field decision=%s reason=%s", decision.via,
                     decision.why.replace(" ", "_"))
        self._decision, self._read_at = decision, now
        return decision


__all__ = ["AUTO", "COMMENT", "FIELD", "LEGACY_DEFAULT", "WAIT", "Decision", "FileField",
           "FileFieldResolver", "decide", "file_fields", "fit_to_field",
           "raise_file_field_alarm", "refusal"]
