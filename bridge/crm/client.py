"""The Bitrix24 methods the bridge calls: leads, batch, look-ups, timeline comments, checks.

Built on :class:`~bridge.crm.transport.Transport` (session, deadline, rate limit, retries);
the request shapes come from bridge.crm.wire and per-command answers of ``batch`` are
classified by bridge.crm.answers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.crm.answers import classify_error
from bridge.crm.transport import Transport
from bridge.crm.wire import FileContent, as_map, batch_key, file_values, php_query
from bridge.errors import CrmError, CrmRejected, CrmUnknownOutcome
from bridge.model import Attachment, Lead

__all__ = ["BATCH_MAX", "BatchResult", "Bitrix24Client"]

log = logging.getLogger("bridge.crm")

BATCH_MAX = 50
_LOOKUP_SELECT = ["ID", "ORIGIN_ID", "ORIGINATOR_ID"]


@dataclass(slots=True)
class BatchResult:
    """What one ``batch`` call gave: per command key, a result or an error."""

    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, CrmError] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    nexts: dict[str, int] = field(default_factory=dict)


class Bitrix24Client(Transport):
    """One portal, one webhook: the methods. Sequential use per thread (one Session)."""

    # ------------------------------------------------------------ leads
    def _lead_fields(self, fields: Mapping[str, Any], files: Sequence[Attachment],
                     file_field: str) -> dict[str, Any]:
        out = dict(fields)
        if files:
            if not file_field:
                raise ValueError("files need a file_field (or use add_timeline_comment)")
            out[file_field] = file_values(files)
        return out

    def add_lead(self, fields: Mapping[str, Any], files: Sequence[Attachment] = (),
                 file_field: str = "") -> int:
        """Create one lead (files inline in the multiple ``file_field``); returns its id."""
        params = {"fields": self._lead_fields(fields, files, file_field),
                  "params": {"REGISTER_SONET_EVENT": "Y"}}
        result = self.call("crm.lead.add", params, write=True)
        try:
            return int(result)
        except (TypeError, ValueError):
            raise CrmUnknownOutcome(f"crm.lead.add: unexpected result {type(result).__name__}"
                                    ) from None

    def find_leads_by_origin(self, origin_ids: Sequence[str],
                             originator: str = "mailbridge") -> dict[str, int]:
        """Map each ``ORIGIN_ID`` that has a lead (with this ``ORIGINATOR_ID``) to its lowest id.

        Rows are checked against what was asked, because the portal silently drops filter
        keys it does not know and would then return every lead.
        """
        wanted = list(dict.fromkeys(str(o) for o in origin_ids))
        found: dict[str, int] = {}
        ignored = 0
        for i in range(0, len(wanted), BATCH_MAX):
            chunk = wanted[i : i + BATCH_MAX]
            rows = self._lead_rows_by_origin(chunk, originator)
            ignored += _keep_lowest(rows, set(chunk), originator, found)
        if ignored:
            log.warning("crm.lookup_mismatch rows=%d hint=portal returned leads the filter "
                        "excludes", ignored)
        return found

    def _lead_rows_by_origin(self, chunk: list[str], originator: str) -> list[Any]:
        """The ``crm.lead.list`` rows for up to 50 origins (``@`` filter, else one by one)."""
        try:
            return self.call_list("crm.lead.list", {
                "filter": {"=ORIGINATOR_ID": originator, "@ORIGIN_ID": chunk},
                "select": _LOOKUP_SELECT, "order": {"ID": "ASC"},
            })
        except CrmRejected:
            # A portal that refuses the "in" operator: one plain-equality query each.
            log.warning("crm.lookup_fallback reason=in_filter_rejected count=%d", len(chunk))
            rows: list[Any] = []
            for origin in chunk:
                rows += self.call_list("crm.lead.list", {
                    "filter": {"ORIGINATOR_ID": originator, "ORIGIN_ID": origin},
                    "select": _LOOKUP_SELECT, "order": {"ID": "ASC"},
                })
            return rows

    def batch(self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], halt: bool = False,
              *, write: bool = True) -> BatchResult:
        """Run up to 50 ``(method, params)`` commands in one ``batch`` request.

        A failure of the whole request raises (CrmUnknownOutcome: every command is unknown).
        Per-command errors land in ``BatchResult.errors``; a command missing from both maps
        (halted, or never run) gets a CrmUnknownOutcome there too.
        """
        if len(commands) > BATCH_MAX:
            raise ValueError(f"batch takes at most {BATCH_MAX} commands, got {len(commands)}")
        if not commands:
            return BatchResult()
        cmd = {key: f"{m}?{php_query(p)}" if p else m for key, (m, p) in commands.items()}
        result = self.call("batch", {"halt": 1 if halt else 0, "cmd": cmd}, write=write)
        if not isinstance(result, dict):
            raise CrmUnknownOutcome("batch: unexpected answer shape")
        self.operating.note_batch({k: m for k, (m, _) in commands.items()},
                                  result.get("result_time"))
        out = BatchResult(
            results=as_map(result.get("result")),
            totals={k: int(v) for k, v in as_map(result.get("result_total")).items()},
            nexts={k: int(v) for k, v in as_map(result.get("result_next")).items()},
        )
        for key, err in as_map(result.get("result_error")).items():
            method = commands[key][0] if key in commands else "batch"
            if isinstance(err, dict):
                out.errors[key] = classify_error(method, str(err.get("error") or ""),
                                                 str(err.get("error_description") or ""), None)
        for key, (method, _) in commands.items():
            if key not in out.results and key not in out.errors:
                out.errors[key] = CrmUnknownOutcome(f"{method}: not run inside batch")
        return out

    def add_leads_batch(self, leads: Sequence[Lead],
                        file_field: str = "") -> dict[str, int | CrmError]:
        """Create up to 50 leads with one ``batch`` call (halt=0).

        Returns ``origin_id -> lead id`` or the per-command CrmError (mostly CrmRejected). If
        the batch request itself fails, that error is raised: after a CrmUnknownOutcome every
        lead of the batch is unknown and must be looked up by origin.
        """
        keys: dict[str, str] = {}
        commands: dict[str, tuple[str, Mapping[str, Any]]] = {}
        for lead in leads:
            key = batch_key(lead.origin_id)
            if key in keys:
                raise ValueError("add_leads_batch: duplicate origin_id in one batch")
            keys[key] = lead.origin_id
            commands[key] = ("crm.lead.add", {
                "fields": self._lead_fields(lead.fields, lead.files, file_field),
                "params": {"REGISTER_SONET_EVENT": "Y"},
            })
        res = self.batch(commands, halt=False, write=True)
        out: dict[str, int | CrmError] = {}
        for key, origin in keys.items():
            if key in res.errors:
                out[origin] = res.errors[key]
                continue
            try:
                out[origin] = int(res.results[key])
            except (TypeError, ValueError):
                out[origin] = CrmUnknownOutcome("crm.lead.add: unexpected result in batch")
        return out

    # ------------------------------------------------------------ timeline
    def add_timeline_comment(self, lead_id: int, text: str,
                             files: Sequence[Attachment] = ()) -> int:
        """Add a comment (with files) to the lead's timeline; returns the comment id."""
        fields: dict[str, Any] = {"ENTITY_ID": int(lead_id), "ENTITY_TYPE": "lead",
                                  "COMMENT": text}
        if files:
            fields["FILES"] = [[f.filename, FileContent(f.data)] for f in files]
        result = self.call("crm.timeline.comment.add", {"fields": fields}, write=True)
        try:
            return int(result)
        except (TypeError, ValueError):
            raise CrmUnknownOutcome("crm.timeline.comment.add: unexpected result") from None

    def find_timeline_comment(self, lead_id: int, marker: str) -> int | None:
        """The lowest id of a comment on the lead whose text contains ``marker``."""
        rows = self.call_list("crm.timeline.comment.list", {
            "filter": {"ENTITY_ID": int(lead_id), "ENTITY_TYPE": "lead"},
            "select": ["ID", "ENTITY_ID", "ENTITY_TYPE", "COMMENT"],
            "order": {"ID": "ASC"},
        })
        hits = []
        for row in rows:
            if not isinstance(row, dict) or str(row.get("ENTITY_ID")) != str(int(lead_id)):
                continue
            if marker in str(row.get("COMMENT") or ""):
                try:
                    hits.append(int(row["ID"]))
                except (KeyError, TypeError, ValueError):
                    continue
        return min(hits) if hits else None

    # ------------------------------------------------------------ checks
    def profile(self) -> dict[str, Any]:
        """The webhook owner's profile (the cheapest credentials probe)."""
        result = self.call("profile")
        return result if isinstance(result, dict) else {}

    def scopes(self) -> set[str]:
        """The scopes granted to this webhook."""
        result = self.call("scope")
        if isinstance(result, dict):
            return {str(k) for k, v in result.items() if v}
        return {str(s) for s in result or ()}

    def get_user(self, user_id: int) -> dict[str, Any] | None:
        """The user's record if the user exists and is active, else None."""
        rows = self.call("user.get", {"filter": {"ID": int(user_id), "ACTIVE": True}})
        for row in rows or []:
            if (isinstance(row, dict) and str(row.get("ID")) == str(int(user_id))
                    and row.get("ACTIVE") in (True, "Y", "1", 1)):
                return row
        return None

    def lead_fields(self) -> dict[str, Any]:
        """``crm.lead.fields``: FIELD -> {type, isMultiple, ...} including ``UF_*``."""
        result = self.call("crm.lead.fields")
        return result if isinstance(result, dict) else {}

    def lead_userfields(self) -> list[dict[str, Any]]:
        """``crm.lead.userfield.list`` of the File fields: their ``SETTINGS`` (limits)."""
        rows = self.call("crm.lead.userfield.list", {"filter": {"USER_TYPE_ID": "file"}})
        return [r for r in (rows or []) if isinstance(r, dict)]

    def source_ids(self) -> set[str]:
        """The portal's lead sources (``STATUS_ID`` of ``ENTITY_ID=SOURCE``)."""
        rows = self.call_list("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"},
                                                  "order": {"SORT": "ASC"}})
        return {str(r["STATUS_ID"]) for r in rows
                if isinstance(r, dict) and r.get("ENTITY_ID") == "SOURCE" and "STATUS_ID" in r}


def _keep_lowest(rows: list[Any], asked: set[str], originator: str,
                 found: dict[str, int]) -> int:
    """Put each asked origin's lowest lead id into ``found``; returns the rows not asked for."""
    ignored = 0
    for row in rows:
        if not isinstance(row, dict):
            continue
        origin = row.get("ORIGIN_ID")
        # ORIGIN_ID is our own 40-hex key, so it decides; ORIGINATOR_ID only has to
        # agree when the portal returns it.
        if origin not in asked or row.get("ORIGINATOR_ID") not in (originator, None):
            ignored += 1
            continue
        try:
            lead_id = int(row["ID"])
        except (KeyError, TypeError, ValueError):
            continue
        if origin not in found or lead_id < found[origin]:
            found[origin] = lead_id
    return ignored
