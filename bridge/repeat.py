"""Repeat clients: which contact or company the CRM already has for one enquiry. Pure.

Which match wins (README "Repeat clients", docs/bitrix24.md):

1. a contact whose phones *and* e-mails both match the enquiry's, then one matching by phone,
   then one matching by e-mail;
2. among several of the same rank, the most recently modified (``DATE_MODIFY``), then the
   highest id (the newest);
3. the company is the chosen contact's ``COMPANY_ID``; when the contact has none (or no
   contact matched), a company is chosen by the same two rules.

Phones are compared by their digits (a Russian ``8…`` trunk prefix read as ``7…``); e-mails
case-insensitively, as the portal's duplicate index does (crm-duplicate-find-by-comm.md).
The ledger keeps the contacts the bridge created under a hash of each phone and e-mail
(:func:`memo_keys`), so two enquiries of one new client close together make one contact
although the portal's duplicate index has not caught up yet.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("CONTACT", "COMPANY")


@dataclass(frozen=True, slots=True)
class Client:
    """What identifies the client of one enquiry."""

    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.phones and not self.emails


@dataclass(frozen=True, slots=True)
class Candidate:
    """A contact or company as read back from the portal."""

    kind: str  # "CONTACT" | "COMPANY"
    id: int
    phones: frozenset[str]  # normalised
    emails: frozenset[str]  # normalised
    modified: str = ""  # DATE_MODIFY, ISO 8601 with the portal's offset
    assigned_by: int | None = None
    company_id: int | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """The decision for one enquiry."""

    contact_id: int | None = None
    company_id: int | None = None
    owner_id: int | None = None  # the contact's (or company's) responsible user
    how: str = ""  # "phone+email" | "phone" | "email" | "created" (the ledger's own) | ""


def norm_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits


def norm_email(value: str) -> str:
    return value.strip().casefold()


def client_of(phones: Iterable[str | None], email: str | None) -> Client:
    """The enquiry's client: its phones (E.164) and its e-mail, empties left out."""
    return Client(tuple(dict.fromkeys(p for p in phones if p)), (email,) if email else ())


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", "0", 0) else None
    except (TypeError, ValueError):
        return None


def candidate(kind: str, row: Mapping[str, Any]) -> Candidate | None:
    """A list row (``ID``, ``DATE_MODIFY``, ``ASSIGNED_BY_ID``, ``COMPANY_ID``, ``PHONE``,
    ``EMAIL``) as a Candidate; None for a row without a usable id."""
    rid = _int(row.get("ID"))
    if rid is None:
        return None

    def values(name: str) -> list[str]:
        items = row.get(name) or []
        return [str(m.get("VALUE") or "") for m in items if isinstance(m, dict)]

    return Candidate(kind, rid, frozenset(norm_phone(v) for v in values("PHONE") if v),
                     frozenset(norm_email(v) for v in values("EMAIL") if v),
                     str(row.get("DATE_MODIFY") or ""), _int(row.get("ASSIGNED_BY_ID")),
                     _int(row.get("COMPANY_ID")))


def _rank(c: Candidate, client: Client) -> int:
    by_phone = any(norm_phone(p) in c.phones for p in client.phones)
    by_email = any(norm_email(e) in c.emails for e in client.emails)
    return 3 if by_phone and by_email else 2 if by_phone else 1 if by_email else 0


def _best(cands: Sequence[Candidate], client: Client) -> tuple[Candidate, int] | None:
    ranked = [(c, _rank(c, client)) for c in cands]
    ranked = [(c, r) for c, r in ranked if r]
    if not ranked:
        return None
    return max(ranked, key=lambda cr: (cr[1], cr[0].modified, cr[0].id))


_HOW = {3: "phone+email", 2: "phone", 1: "email"}


def choose(client: Client, candidates: Sequence[Candidate],
           created_contact: int | None = None) -> Match:
    """The contact and company for ``client`` (rules in the module docstring).
    ``created_contact`` is a contact the ledger made for this client; it serves when the
    portal's index does not show a better one yet."""
    contacts = [c for c in candidates if c.kind == "CONTACT"]
    companies = [c for c in candidates if c.kind == "COMPANY"]
    best = _best(contacts, client)
    company = None
    if best is not None:
        contact, rank = best
        company_id = contact.company_id
        if company_id is None and (co := _best(companies, client)):
            company_id = co[0].id
        return Match(contact.id, company_id, contact.assigned_by, _HOW[rank])
    if (co := _best(companies, client)) is not None:
        company = co[0]
    if created_contact is not None:
        return Match(created_contact, company.id if company else None, None, "created")
    if company is not None:
        return Match(None, company.id, company.assigned_by, _HOW[_rank(company, client)])
    return Match()


def memo_keys(client: Client) -> list[str]:
    """The ledger ``meta`` keys under which a contact the bridge created is remembered:
    hashes, so the ledger keeps no phone or e-mail in this table."""
    raw = [f"phone:{norm_phone(p)}" for p in client.phones]
    raw += [f"email:{norm_email(e)}" for e in client.emails]
    return ["contact:" + hashlib.sha256(k.encode()).hexdigest()[:32] for k in raw]


def lookup_values(clients: Iterable[Client]) -> dict[str, list[str]]:
    """The distinct values to ask ``crm.duplicate.findbycomm`` for, per type."""
    phones: dict[str, None] = {}
    emails: dict[str, None] = {}
    for c in clients:
        phones.update(dict.fromkeys(c.phones))
        emails.update(dict.fromkeys(c.emails))
    return {"PHONE": list(phones), "EMAIL": list(emails)}
