"""Intake in milliseconds: headers read once per message with the same identity, Message-ID,
subject and date as before, the mail source's optional features, and the first-pass lookup."""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bridge.identity as identity_mod
from bridge.identity import (
    identity_of,
    message_id_of,
    message_identity,
    origin_id,
    read_headers,
)
from bridge.pipeline import summary
from bridge.pipeline.protocols import features_of
from bridge.states import CREATED, QUARANTINED
from tests.forms import form_email
from tests.pipeline_fakes import BulkMailbox, FakeMailbox, Rig

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
CASES = Path(__file__).resolve().parent / "cases"


def parser_summary(raw: bytes, internaldate: datetime | None) -> tuple[str, datetime | None]:
    """The ledger's subject and date as a full e-mail header parse gives them (the reference
    the one-read summary must match)."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(
        raw[:65536])
    subject = " ".join(str(headers.get("subject", "") or "").split())[:200]
    when = None
    try:
        raw_date = headers.get("date")
        when = None if raw_date is None else email.utils.parsedate_to_datetime(str(raw_date))
    except ValueError:
        when = None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return subject, when or internaldate


def mails() -> list[Path]:
    """Every stored mail of the corpus and the parsing cases."""
    return sorted([*CORPUS.glob("*.eml"), *CASES.glob("*.eml")])


def test_the_one_read_summary_matches_a_full_header_parse_on_every_stored_mail() -> None:
    """Subject and date from the one header read equal what the e-mail parser gives, for
    every mail of the corpus and the cases (encoded words, folding, 8-bit, no Date)."""
    paths = mails()
    assert len(paths) > 50
    fallback = datetime(2026, 1, 2, tzinfo=UTC)
    for path in paths:
        raw = path.read_bytes()
        assert summary(raw, fallback) == parser_summary(raw, fallback), path.name


def test_identity_and_message_id_from_one_read_equal_the_standalone_functions() -> None:
    """identity_of and HeaderBlock.message_id over one read give what message_identity and
    message_id_of give, so origin ids stay the same."""
    for path in mails():
        raw = path.read_bytes()
        block = read_headers(raw)
        assert identity_of(raw, block) == message_identity(raw), path.name
        assert block.message_id == message_id_of(raw), path.name


def test_intake_reads_each_message_s_headers_once(
    make_rig: Callable[..., Rig], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three new mails: three header reads in all (identity, Message-ID, subject and date
    share one), and the rows carry the subject, the date and the Message-ID."""
    r = make_rig()
    reads: list[int] = []
    real = identity_mod._headers

    def counted(head: bytes) -> dict[bytes, bytes]:
        reads.append(len(head))
        return real(head)

    monkeypatch.setattr(identity_mod, "_headers", counted)  # every header read goes here
    raws = [form_email(i) for i in (1, 2, 3)]
    for raw in raws:
        r.box.deliver(raw)
    assert r.pipe.intake_only().fetched == 3
    assert len(reads) == 3
    row = r.ledger.by_id(3)
    assert row is not None and row.subject == "Заявка с сайта #3"
    assert row.message_id == message_id_of(raws[2])
    assert row.msg_date == datetime(2026, 11, 30, 9, 0, 3, tzinfo=UTC)


def test_optional_features_are_found_once_per_connection() -> None:
    """A plain source has none of the optional features; the bulk source has all three."""
    plain, bulk = features_of(FakeMailbox()), features_of(BulkMailbox())
    assert (plain.many, plain.uidnext, plain.unreadable) == (None, None, None)
    assert bulk.many is not None and bulk.uidnext is not None and bulk.unreadable is not None


def test_finish_many_updates_the_mailbox_in_one_command(make_rig: Callable[..., Rig]) -> None:
    """A source with finish_many gets one call for all finished mail, never finish()."""
    box = BulkMailbox()
    r = make_rig(box=box)
    for i in (1, 2):
        box.deliver(form_email(i))
    assert r.pipe.poll_once().finished == 2
    assert box.bulk_calls == [[1, 2]] and box.finish_calls == 0
    assert box.finished == {1: "moved", 2: "moved"}


def test_mail_the_server_could_not_deliver_is_quarantined(make_rig: Callable[..., Rig]) -> None:
    """A UID the source reports as skipped becomes a quarantined row naming the reason."""
    box = BulkMailbox()
    r = make_rig(box=box)
    box.deliver(form_email(1))
    box.skipped.append((7, "BODY[] missing"))
    report = r.pipe.poll_once()
    assert report.quarantined == 1 and box.skipped == []
    row = r.ledger.by_key("INBOX", 1, 7)
    assert row is not None and row.state == QUARANTINED
    assert "unreadable on the server: BODY[] missing" in (row.reason or row.error or "")


def test_an_empty_first_pass_starts_after_uidnext(make_rig: Callable[..., Rig]) -> None:
    """On a first pass with nothing new the baseline is UIDNEXT - 1: older mail is not
    fetched again."""
    box = BulkMailbox()
    box.uidnext = 42
    r = make_rig(box=box, baseline=False)
    r.pipe.poll_once()
    assert r.ledger.folder_state("INBOX") == (1, 41)


def test_a_first_pass_looks_every_mail_up_before_sending(make_rig: Callable[..., Rig]) -> None:
    """A ledger new to the folder looks its mail up by ORIGIN_ID (one request) first: a lead
    that exists is recorded, not made again; the rest are sent."""
    r = make_rig(baseline=False)
    known, new = form_email(1), form_email(2)
    r.box.deliver(known)
    r.box.deliver(new)
    r.crm.leads[900] = {"ORIGIN_ID": origin_id(message_identity(known))}
    report = r.pipe.poll_once()
    assert len(r.crm.lookups) == 1 and len(r.crm.lookups[0]) == 2
    first = r.ledger.by_id(1)
    assert first is not None and first.state == CREATED and first.lead_id == 900
    assert report.created == 2 and len(r.crm.leads) == 2


def test_seen_mail_is_looked_up_first_and_unseen_mail_is_not(make_rig: Callable[..., Rig]) -> None:
    """On a known folder only mail already marked \\Seen is looked up before sending."""
    r = make_rig()
    r.box.deliver(form_email(1), seen=True)
    r.box.deliver(form_email(2))
    r.pipe.poll_once()
    [looked_up] = r.crm.lookups
    seen = r.ledger.by_id(1)
    assert seen is not None and looked_up == [seen.origin_id] and len(r.crm.leads) == 2
