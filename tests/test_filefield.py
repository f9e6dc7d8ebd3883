"""attachments.field = "auto": which lead field takes the files, read from the portal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bridge.dirsource import DirMailbox
from bridge.filefield import (
    COMMENT,
    FIELD,
    WAIT,
    FileField,
    FileFieldResolver,
    decide,
    refusal,
)
from bridge.model import Attachment
from bridge.pipeline import Pipeline, Settings
from bridge.sandbox import SandboxServer
from bridge.store import Ledger
from tests.bitrix_fixtures import make_client
from tests.forms import form_email

CODE = "UF_CRM_1722578010"


def uf(code: str = CODE, *, type: str = "file", multiple: bool = True,
       label: str = "Files") -> dict[str, Any]:
    return {"type": type, "isMultiple": multiple, "formLabel": label, "title": code}


def test_auto_takes_the_only_multiple_file_field() -> None:
    """One multiple File field (a single one and other types do not count): it is used."""
    fields = {"TITLE": {"type": "string"}, CODE: uf(), "UF_CRM_1": uf("UF_CRM_1", multiple=False),
              "UF_CRM_2": uf("UF_CRM_2", type="string")}
    d = decide("auto", fields)
    assert (d.mode, d.field.code if d.field else None, d.via) == (FIELD, CODE, f"field:{CODE}")


def test_auto_without_a_file_field_uses_a_timeline_comment() -> None:
    """No multiple File field on leads: the files go to a timeline comment."""
    d = decide("auto", {"TITLE": {"type": "string"}})
    assert (d.mode, d.via, d.candidates) == (COMMENT, "comment", ())


def test_auto_with_several_fields_uses_a_comment_and_lists_them() -> None:
    """Several multiple File fields: a timeline comment, and the candidates with labels."""
    d = decide("auto", {CODE: uf(label="Estimate"), "UF_CRM_9": uf("UF_CRM_9", label="Photos")})
    assert d.mode == COMMENT
    assert [f.shown for f in d.candidates] == [f"{CODE} (Estimate)", "UF_CRM_9 (Photos)"]


@pytest.mark.parametrize(("fields", "problem"), [
    ({}, "does not exist"),
    ({CODE: uf(type="string")}, "not file"),
    ({CODE: uf(multiple=False)}, "not multiple"),
])
def test_a_named_field_that_is_wrong_makes_mail_with_files_wait(fields, problem) -> None:
    """A field named in attachments.field that is gone or wrong: WAIT, saying what is wrong."""
    d = decide(CODE, fields)
    assert d.mode == WAIT and problem in d.why


def test_legacy_uf_crm_task_is_auto_with_a_deprecation() -> None:
    """UF_CRM_TASK on a portal whose leads lack it behaves as auto, flagged deprecated; a
    portal that really has such a lead field keeps using it."""
    d = decide("UF_CRM_TASK", {CODE: uf()})
    assert d.deprecated and d.mode == FIELD and d.field and d.field.code == CODE
    d = decide("UF_CRM_TASK", {"UF_CRM_TASK": uf("UF_CRM_TASK")})
    assert not d.deprecated and d.field and d.field.code == "UF_CRM_TASK"


def test_the_fields_own_settings_come_from_userfield_list() -> None:
    """EXTENSIONS (list or map; empty = any) and MAX_ALLOWED_SIZE (0 = none) are read."""
    rows = [{"FIELD_NAME": CODE, "SETTINGS": {"MAX_ALLOWED_SIZE": 1000, "EXTENSIONS": ["PDF"]}}]
    d = decide("auto", {CODE: uf()}, rows)
    assert d.field == FileField(CODE, "Files", True, frozenset({"pdf"}), 1000)
    rows = [{"FIELD_NAME": CODE, "SETTINGS": {"MAX_ALLOWED_SIZE": 0, "EXTENSIONS": {"jpg": True}}}]
    assert decide("auto", {CODE: uf()}, rows).field.extensions == frozenset({"jpg"})


def test_refusal_by_extension_and_size() -> None:
    """A file outside the field's extensions or over its size is refused, with the reason."""
    field = FileField(CODE, extensions=frozenset({"pdf"}), max_size=10)
    assert refusal(Attachment("a.PDF", "application/pdf", b"x" * 10), field) is None
    assert refusal(Attachment("a.doc", "application/msword", b"x"), field) == "field_type"
    assert refusal(Attachment("noext", "application/pdf", b"x"), field) == "field_type"
    assert refusal(Attachment("a.pdf", "application/pdf", b"x" * 11), field) == "field_size"
    assert refusal(Attachment("a.exe", "x", b"x" * 99), FileField(CODE)) is None


class CountingCrm:
    """A lead-field source of our own that counts reads (a fake of our Protocol)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.reads = 0

    def lead_fields(self) -> dict[str, Any]:
        self.reads += 1
        return self.fields


def test_resolver_reads_again_after_health_interval_and_invalidate() -> None:
    """The decision is cached for health_interval seconds, and read again after invalidate()."""
    now = [0.0]
    crm = CountingCrm({CODE: uf()})
    r = FileFieldResolver(crm, "auto", 300.0, clock=lambda: now[0])
    assert r.decision().mode == FIELD and crm.reads == 1
    now[0] = 299.0
    r.decision()
    assert crm.reads == 1
    crm.fields = {}
    now[0] = 300.0
    assert r.decision().mode == COMMENT and crm.reads == 2
    crm.fields = {CODE: uf()}
    r.invalidate()
    assert r.decision().mode == FIELD and crm.reads == 3


# ------------------------------------------------------------------ through the pipeline
@pytest.fixture
def portal() -> Iterator[SandboxServer]:
    """A sandbox portal with a fast bucket; stopped afterwards."""
    server = SandboxServer(rate=1000.0, burst=100_000).start()
    try:
        yield server
    finally:
        server.stop()


def make_pipeline(tmp_path: Path, sb: SandboxServer, field: str = "auto",
                  interval: float = 300.0) -> tuple[Pipeline, Ledger, Path]:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    ledger = Ledger.open(tmp_path / "bridge.db")
    settings = Settings(since_days=36500, file_field=field, health_interval=interval,
                        dedupe_window=timedelta(minutes=10), backoff_base=0.0,
                        backoff_cap=0.0)
    crm = make_client(sb)
    return Pipeline(settings, ledger, crm, lambda: DirMailbox(inbox)), ledger, inbox


def deliver(inbox: Path, n: int, **kw: Any) -> None:
    (inbox / f"{n:03d}.eml").write_bytes(form_email(n, **kw))


def test_no_file_field_files_go_to_one_timeline_comment(tmp_path: Path,
                                                          portal: SandboxServer) -> None:
    """auto on a portal without a lead File field: the lead, and one timeline comment on it
    with the file and the ORIGIN_ID marker; the ledger records the way per message."""
    portal.configure(file_field=None)
    pipe, ledger, inbox = make_pipeline(tmp_path, portal)
    deliver(inbox, 1, file_size=2000)
    report = pipe.poll_once()
    assert report.created == 1
    [lead] = portal.portal.list_leads()
    [(cid, comment)] = portal.portal.comments.items()
    assert comment["ENTITY_ID"] == lead["ID"] and lead["ORIGIN_ID"] in comment["COMMENT"]
    [(name, data)] = portal.portal.comment_files(cid)
    assert name == "Спецификация-1.pdf" and len(data) == 2000
    assert ledger.get_meta(f"files_via:{lead['ORIGIN_ID']}") == "comment"


def test_several_file_fields_also_use_a_comment(tmp_path: Path, portal: SandboxServer) -> None:
    """Two multiple File fields: neither gets the files; a timeline comment does."""
    portal.portal.set_file_field("UF_CRM_1700000002", label="Photos")
    pipe, _, inbox = make_pipeline(tmp_path, portal)
    deliver(inbox, 1, file_size=500)
    pipe.poll_once()
    [lead] = portal.portal.list_leads()
    assert portal.portal.lead_files(int(lead["ID"])) == []
    assert len(portal.portal.comments) == 1


def test_field_limits_name_the_refused_file_in_the_lead(tmp_path: Path,
                                                        portal: SandboxServer) -> None:
    """The field's own EXTENSIONS / MAX_ALLOWED_SIZE: a file it would refuse is named in
    COMMENTS with the reason and not sent; the lead is created (the sandbox would refuse it)."""
    code = portal.portal.file_field_code
    portal.configure(file_field={"name": code, "extensions": ["jpg"], "label": "Фото"})
    pipe, _, inbox = make_pipeline(tmp_path, portal)
    deliver(inbox, 1, file_size=500)
    assert pipe.poll_once().created == 1
    [lead] = portal.portal.list_leads()
    assert portal.portal.lead_files(int(lead["ID"])) == []
    assert "Спецификация-1.pdf" in lead["COMMENTS"]
    assert "не принимает этот тип" in lead["COMMENTS"]
    portal.configure(file_field={"name": code, "max_size": 100})
    pipe.files.invalidate()
    deliver(inbox, 2, file_size=500)
    pipe.poll_once()
    lead2 = portal.portal.list_leads()[1]
    assert portal.portal.lead_files(int(lead2["ID"])) == []
    assert "больше, чем принимает поле" in lead2["COMMENTS"]


def test_sandbox_refuses_a_file_the_field_does_not_take(portal: SandboxServer) -> None:
    """The sandbox enforces the field's settings as a save error (400, error "")."""
    from bridge.errors import CrmRejected

    code = portal.portal.file_field_code
    portal.configure(file_field={"name": code, "extensions": ["pdf"]})
    client = make_client(portal)
    with pytest.raises(CrmRejected):
        client.add_lead({"TITLE": "x"}, [Attachment("a.exe", "x", b"MZ")], code)
    assert portal.portal.leads == {}


def test_a_rejected_upload_reads_the_fields_again(tmp_path: Path, portal: SandboxServer) -> None:
    """The field changed after it was read (the portal refuses the file): the fields are
    read again before the next try (not only after health_interval), which names the file."""
    code = portal.portal.file_field_code
    pipe, _, inbox = make_pipeline(tmp_path, portal)
    pipe.files.decision()
    reads = pipe.files.reads
    portal.configure(file_field={"name": code, "extensions": ["jpg"]})
    deliver(inbox, 1, file_size=500)
    pipe.poll_once()
    assert portal.portal.leads == {}  # refused once
    pipe.poll_once()
    assert pipe.files.reads == reads + 1
    [lead] = portal.portal.list_leads()
    assert "Спецификация-1.pdf" in lead["COMMENTS"]


def test_a_retry_never_sends_the_files_a_second_way(tmp_path: Path,
                                                    portal: SandboxServer) -> None:
    """Created with the files owed to a comment (no field then); the comment fails; a File
    field appears meanwhile: the retry still adds the comment, never the field."""
    portal.configure(file_field=None)
    pipe, _, inbox = make_pipeline(tmp_path, portal, interval=0.0)
    deliver(inbox, 1, file_size=500)
    portal.inject("crm.timeline.comment.add", "limit503", times=8)
    pipe.poll_once()
    [lead] = portal.portal.list_leads()
    assert portal.portal.comments == {}
    portal.configure(file_field="UF_CRM_1700000009")
    pipe.poll_once()
    assert portal.portal.lead_files(int(lead["ID"])) == []
    assert len(portal.portal.comments) == 1


def test_a_files_comment_whose_mail_no_longer_parses_is_retried_not_dropped(
    tmp_path: Path, portal: SandboxServer, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The lead exists and owes its files comment, but the stored mail fails to parse again:
    the comment is not marked done (the mail stays unfinished, a warning names the ledger id),
    and the next pass that parses sends the files; a fault that persists is given up after
    retry.max_attempts with an error, never silently."""
    import bridge.pipeline.forms as pipeline_mod  # the one place the pipeline parses

    real = pipeline_mod.parse_message
    seen: set[bytes] = set()

    def again_fails(raw: bytes, options: Any) -> Any:
        if raw in seen:
            raise RuntimeError("parser fault quoting Степан")
        seen.add(raw)
        return real(raw, options)

    portal.configure(file_field=None)
    pipe, _, inbox = make_pipeline(tmp_path, portal)
    deliver(inbox, 1, file_size=1500)
    portal.inject("crm.timeline.comment.add", "limit503", times=8)  # owed to a later pass
    monkeypatch.setattr(pipeline_mod, "parse_message", again_fails)
    with caplog.at_level("WARNING", logger="bridge.pipeline"):
        report = pipe.poll_once()
    assert report.created == 1 and portal.portal.comments == {}
    assert report.finished == 0  # the mail is not finished while the files are owed
    assert any("lead.files_unreadable" in r.getMessage() and "RuntimeError" in r.getMessage()
               for r in caplog.records)
    assert not any("Степан" in r.getMessage() for r in caplog.records)

    monkeypatch.setattr(pipeline_mod, "parse_message", real)
    assert any(pipe.poll_once().finished for _ in range(20))
    [(cid, _)] = portal.portal.comments.items()
    [(name, data)] = portal.portal.comment_files(cid)
    assert name == "Спецификация-1.pdf" and len(data) == 1500

    monkeypatch.setattr(pipeline_mod, "parse_message", again_fails)
    deliver(inbox, 2, file_size=700)
    portal.inject("crm.timeline.comment.add", "limit503", times=8)
    caplog.clear()
    finished = [pipe.poll_once().finished for _ in range(20)]
    assert sum(finished) == 1
    assert len(portal.portal.comments) == 1  # the second lead's files never went anywhere
    assert any("lead.comment_given_up" in r.getMessage() and r.levelname == "ERROR"
               for r in caplog.records)
