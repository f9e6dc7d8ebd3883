"""Finding and creating the contacts of enquiries on the portal (the I/O of bridge.repeat).

Lookups go in batches: one ``batch`` of ``crm.duplicate.findbycomm`` commands (20 values
each, per type and per entity, contacts and companies asked apart so that a client with 20
old leads cannot hide their contact — crm-duplicate-find-by-comm.md "Method Operation
Features"), then one ``batch`` of ``crm.contact.list`` / ``crm.company.list`` by ``@ID`` for
the phones, e-mails, ``DATE_MODIFY`` and responsible of every hit. A lookup that fails raises
(a temporary or unknown-outcome error the caller retries): it is never skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bridge.crm import BATCH_MAX
from bridge.errors import CrmUnknownOutcome
from bridge.repeat import KINDS, Candidate, Client, Match, candidate, choose, lookup_values
from bridge.repeat import memo_keys as _memo_keys
from bridge.routes import MetaStore

log = logging.getLogger(__name__)

FINDBYCOMM_VALUES = 20  # crm-duplicate-find-by-comm.md: "Maximum number of values — 20"
LIST_IDS = 50  # one page of a list method
_SELECT = {"CONTACT": ["ID", "DATE_MODIFY", "ASSIGNED_BY_ID", "COMPANY_ID", "PHONE", "EMAIL"],
           "COMPANY": ["ID", "DATE_MODIFY", "ASSIGNED_BY_ID", "PHONE", "EMAIL"]}


class BatchClient(Protocol):
    """The part of bridge.crm.Bitrix24Client used here."""

    def batch(self, commands: Mapping[str, tuple[str, Mapping[str, Any]]], halt: bool = False,
              *, write: bool = True) -> Any: ...

    def call(self, method: str, params: Mapping[str, Any] | None = None, *,
             write: bool = False) -> Any: ...


def _run(client: BatchClient, commands: dict[str, tuple[str, Mapping[str, Any]]]
         ) -> dict[str, Any]:
    """Run read commands in batches of 50; any per-command error is raised."""
    out: dict[str, Any] = {}
    keys = list(commands)
    for i in range(0, len(keys), BATCH_MAX):
        part = {k: commands[k] for k in keys[i : i + BATCH_MAX]}
        res = client.batch(part, halt=False, write=False)
        for key in part:
            if key in res.errors:
                raise res.errors[key]
            out[key] = res.results.get(key)
    return out


def _ids(result: Any, kind: str) -> list[int]:
    if not isinstance(result, dict):
        return []  # [] = nothing found
    ids = []
    for v in result.get(kind) or []:
        try:
            ids.append(int(v))
        except (TypeError, ValueError):
            continue
    return ids


def find_candidates(client: BatchClient, clients: Sequence[Client]) -> list[Candidate]:
    """Every contact and company the portal's duplicate index shows for these clients."""
    values = lookup_values(clients)
    commands: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for ctype, vals in values.items():
        for i in range(0, len(vals), FINDBYCOMM_VALUES):
            for kind in KINDS:
                commands[f"f{len(commands)}"] = ("crm.duplicate.findbycomm", {
                    "type": ctype, "values": vals[i : i + FINDBYCOMM_VALUES],
                    "entity_type": kind})
    if not commands:
        return []
    found: dict[str, set[int]] = {k: set() for k in KINDS}
    for key, result in _run(client, commands).items():
        kind = str(commands[key][1]["entity_type"])
        found[kind].update(_ids(result, kind))
    details: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for kind, ids in found.items():
        ordered = sorted(ids)
        for i in range(0, len(ordered), LIST_IDS):
            details[f"{kind.lower()}{i}"] = (f"crm.{kind.lower()}.list", {
                "filter": {"@ID": ordered[i : i + LIST_IDS]}, "select": _SELECT[kind],
                "order": {"ID": "ASC"}})
    out: list[Candidate] = []
    for key, rows in _run(client, details).items():
        kind = "CONTACT" if details[key][0] == "crm.contact.list" else "COMPANY"
        wanted = found[kind]
        for row in rows or []:
            if isinstance(row, dict) and (c := candidate(kind, row)) and c.id in wanted:
                out.append(c)  # rows the filter excludes are ignored (a dropped filter key)
    return out


class ContactBook:
    """Repeat-client decisions for a group of enquiries, with the ledger's memory of the
    contacts the bridge created (``meta`` keys from bridge.repeat.memo_keys)."""

    def __init__(self, client: BatchClient, meta: MetaStore) -> None:
        self.client = client
        self.meta = meta

    def created_contact(self, person: Client) -> int | None:
        for key in _memo_keys(person):
            value = self.meta.get_meta(key)
            if value and value.isdigit():
                return int(value)
        return None

    def remember(self, person: Client, contact_id: int) -> None:
        """Record a contact the bridge created, before anything else is sent."""
        for key in _memo_keys(person):
            self.meta.set_meta(key, str(int(contact_id)))

    def find(self, people: Mapping[str, Client]) -> dict[str, Match]:
        """``origin_id -> Match`` for every enquiry (an empty Match when the CRM does not
        know the client). Raises the lookup's error: the caller retries later."""
        asked = [c for c in people.values() if not c.empty]
        cands = find_candidates(self.client, asked) if asked else []
        out = {origin: choose(person, cands, self.created_contact(person))
               for origin, person in people.items()}
        hits = sum(1 for m in out.values() if m.contact_id or m.company_id)
        log.info("crm.repeat_lookup enquiries=%d known=%d", len(people), hits)
        return out

    def add_contact(self, person: Client, fields: Mapping[str, Any]) -> int:
        """Create the contact; the id is remembered before it is returned."""
        result = self.client.call("crm.contact.add", {
            "fields": dict(fields), "params": {"REGISTER_SONET_EVENT": "N"}}, write=True)
        try:
            contact_id = int(result)
        except (TypeError, ValueError):
            raise CrmUnknownOutcome("crm.contact.add: unexpected result") from None
        self.remember(person, contact_id)
        return contact_id
