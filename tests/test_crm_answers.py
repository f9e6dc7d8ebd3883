"""Answers classified by method, the documented limits, and the sandbox that shows them."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from bridge.crm import classify_error
from bridge.dirsource import DirMailbox
from bridge.errors import CrmRejected, CrmSetupError, CrmTemporary
from bridge.model import Attachment
from bridge.pipeline import Pipeline, Settings
from bridge.sandbox import SandboxServer
from bridge.store import Ledger
from tests.bitrix_fixtures import make_client
from tests.forms import form_email


# ------------------------------------------------------------------ per-record answers
@pytest.mark.parametrize(("code", "description"), [
    ("NOT_FOUND", "Not found."),  # the literal answer of crm-timeline-comment-add.md
    ("ACCESS_DENIED", "Insufficient permissions"),
    ("OWNER_NOT_FOUND", "Owner of the item not found"),
    ("INVALID_ARG_VALUE", "Empty comment"),
])
def test_timeline_comment_answers_are_about_the_record(code: str, description: str) -> None:
    """A 400 with these codes on crm.timeline.comment.add is class 3 (this record), never a
    portal-wide setup error."""
    err = classify_error("crm.timeline.comment.add", code, description, 400)
    assert type(err) is CrmRejected and code in str(err)


def test_the_same_codes_elsewhere_stay_portal_wide() -> None:
    """ACCESS_DENIED 403 (REST on a free plan, system-errors.md) and a lead method's "Access
    denied." stay setup errors; a comment list's "" "Access denied" is about its lead."""
    plan = classify_error("profile", "ACCESS_DENIED",
                          "REST API is available only on commercial plans", 403)
    assert type(plan) is CrmSetupError
    assert type(classify_error("crm.lead.add", "", "Access denied.", 400)) is CrmSetupError
    assert type(classify_error("crm.timeline.comment.list", "", "Access denied", 400)) \
        is CrmRejected


def test_sandbox_refuses_a_comment_on_one_lead_with_access_denied(sandbox: SandboxServer) -> None:
    """The sandbox answers 400 ACCESS_DENIED for a lead whose timeline the user may not edit."""
    client = make_client(sandbox)
    lead_id = client.add_lead({"TITLE": "x"})
    sandbox.configure(comment_denied=[lead_id])
    r = requests.post(sandbox.webhook_url + "crm.timeline.comment.add", timeout=5, json={
        "fields": {"ENTITY_ID": lead_id, "ENTITY_TYPE": "lead", "COMMENT": "hi"}})
    assert (r.status_code, r.json()) == (400, {"error": "ACCESS_DENIED",
                                               "error_description": "Access denied."})


def test_a_refused_double_click_comment_does_not_stop_the_run(tmp_path: Path,
                                                              sandbox: SandboxServer,
                                                              caplog) -> None:
    """A double click whose first lead refuses timeline comments: the run goes on (other
    mail is created), the comment is tried again on later passes, then given up with an
    error naming the ledger id, and the mail is finished."""
    caplog.set_level(logging.WARNING)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "001.eml").write_bytes(form_email(1))
    pipe = Pipeline(Settings(since_days=36500, dedupe_window=timedelta(minutes=10),
                             max_attempts=3), Ledger.open(tmp_path / "b.db"), make_client(sandbox),
                    lambda: DirMailbox(inbox))
    assert pipe.poll_once().created == 1
    sandbox.configure(comment_denied=[1])
    (inbox / "002.eml").write_bytes(form_email(1))  # the same enquiry again
    (inbox / "003.eml").write_bytes(form_email(3))
    report = pipe.poll_once()
    assert (report.duplicates, report.created) == (1, 1)
    assert report.finished == 1  # 003; the double click waits for its comment
    pipe.poll_once()
    assert pipe.poll_once().finished == 1  # third refusal: given up, the mail is finished
    assert "lead.comment_given_up id=2" in caplog.text
    assert sandbox.portal.comments == {}


# ------------------------------------------------------------------ limits
def test_overload_limit_is_portal_wide_with_the_fix(sandbox: SandboxServer) -> None:
    """OVERLOAD_LIMIT (503, a manual block) is a setup error saying to contact support."""
    sandbox.configure(overloaded=True)
    with pytest.raises(CrmSetupError) as info:
        make_client(sandbox).profile()
    assert "OVERLOAD_LIMIT" in str(info.value) and "contact Bitrix24 support" in str(info.value)


def test_query_limit_exceeded_stays_temporary(sandbox: SandboxServer) -> None:
    """503 QUERY_LIMIT_EXCEEDED is temporary: retried, then handed back as CrmTemporary."""
    sandbox.inject("profile", "limit503", times=10)
    with pytest.raises(CrmTemporary):
        make_client(sandbox, max_tries=2).profile()


def test_time_blocks_carry_operating_also_per_batch_command(sandbox: SandboxServer) -> None:
    """Answers carry time.operating/operating_reset_at (integer unix time, as limits.md shows),
    batch has them per command in result_time, and the client keeps them per method."""
    client = make_client(sandbox)
    env = client.call_envelope("crm.lead.list", {})
    assert isinstance(env["time"]["operating_reset_at"], int) and "operating" in env["time"]
    sandbox.configure(operating_cost=7.0)
    client.batch({"a": ("crm.status.list", {}), "b": ("crm.status.list", {})}, write=False)
    assert client.operating.operating("crm.status.list") == pytest.approx(14.0)
    assert client.operating.operating("batch") == 0.0  # the outer batch is not charged


def test_the_client_slows_down_before_the_operating_limit(sandbox: SandboxServer) -> None:
    """Near the limit (80 %) the client waits for the oldest basket to drop instead of running
    into 429 OPERATION_TIME_LIMIT; every call succeeds and no 429 is ever answered."""
    sandbox.configure(operating_limit=1.0, operating_cost=0.3, operating_window=2.0)
    client = make_client(sandbox, operating_limit=1.0, max_wait=5.0)
    for _ in range(6):
        client.call("crm.lead.list", {})
    assert sandbox.portal.status_counts[429] == 0
    assert sandbox.portal.method_calls["crm.lead.list"] == 6


def test_a_long_operating_wait_is_handed_back_unsent(sandbox: SandboxServer) -> None:
    """When the reset is further away than max_wait, the call is not sent at all: a
    CrmTemporary with retry_after until the reset goes back to the caller."""
    sandbox.configure(operating_limit=1.0, operating_cost=0.9)
    client = make_client(sandbox, operating_limit=1.0, max_wait=1.0)
    client.call("crm.lead.list", {})
    with pytest.raises(CrmTemporary) as info:
        client.call("crm.lead.list", {})
    assert info.value.retry_after is not None and info.value.retry_after > 500
    assert sandbox.portal.method_calls["crm.lead.list"] == 1


# ------------------------------------------------------------------ sandbox strictness
def test_unknown_keys_are_dropped_so_uf_crm_task_loses_the_files(sandbox: SandboxServer) -> None:
    """crm.lead.add with UF_CRM_TASK (a tasks field): the lead is created, the files are lost
    without an error, as a real portal does."""
    lead_id = make_client(sandbox).add_lead({"TITLE": "x"}, [Attachment("a.pdf", "x", b"%PDF")],
                                            "UF_CRM_TASK")
    assert sandbox.portal.lead_files(lead_id) == []
    assert "UF_CRM_TASK" not in sandbox.portal.lead(lead_id)


def test_a_body_over_the_limit_is_refused_before_it_runs(sandbox: SandboxServer) -> None:
    """A request body over the front end's limit: an HTML 413, nothing created; the client
    calls it rejected (not an unknown outcome)."""
    sandbox.configure(max_body=10_000)
    client = make_client(sandbox)
    with pytest.raises(CrmRejected) as info:
        client.add_lead({"TITLE": "x"}, [Attachment("a.pdf", "x", b"x" * 20_000)],
                        sandbox.portal.file_field_code)
    assert info.value.status == 413 and sandbox.portal.leads == {}


# ------------------------------------------------------------------ pure classification
# Every row of the REST docs' table of system errors (_includes/system-errors.md: status,
# code, message), and the class the bridge gives it; no portal is involved.
SYSTEM_ERRORS = [
    (500, "INTERNAL_SERVER_ERROR", "Internal server error", "CrmUnknownOutcome"),
    (500, "ERROR_UNEXPECTED_ANSWER", "Server returned an unexpected response",
     "CrmUnknownOutcome"),
    (503, "QUERY_LIMIT_EXCEEDED", "Too many requests", "CrmTemporary"),
    (405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage",
     "CrmSetupError"),
    (400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", "CrmRejected"),
    (401, "NO_AUTH_FOUND", "Wrong authorization data", "CrmSetupError"),
    (400, "INVALID_REQUEST", "Https required", "CrmSetupError"),
    (503, "OVERLOAD_LIMIT", "REST API is blocked due to overload", "CrmSetupError"),
    (403, "ACCESS_DENIED", "REST API is available only on commercial plans", "CrmSetupError"),
    (403, "INVALID_CREDENTIALS", "Invalid request credentials", "CrmSetupError"),
    (403, "insufficient_scope", "The request requires higher privileges than provided by the "
     "webhook token", "CrmSetupError"),
    (401, "expired_token", "The access token provided has expired", "CrmSetupError"),
    (403, "user_access_error", "The user does not have access to the application",
     "CrmSetupError"),
    (500, "PORTAL_DELETED", "Portal was deleted", "CrmSetupError"),
    (429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit",
     "CrmTemporary"),  # limits.md: "returns the 429 status and error code OPERATION_TIME_LIMIT"
]


@pytest.mark.parametrize(("status", "code", "message", "cls"), SYSTEM_ERRORS)
def test_system_errors_of_the_docs_are_classified(status: int, code: str, message: str,
                                                  cls: str) -> None:
    """Each documented system error lands in its class of the error tree, with its code."""
    err = classify_error("crm.lead.add", code, message, status)
    assert type(err).__name__ == cls and err.code == code and err.status == status


def test_a_redirect_names_the_new_host_and_never_the_code() -> None:
    """A 301 from a renamed portal is a setup error naming the new host, the code masked."""
    from bridge.crm.answers import redirect_error

    err = redirect_error("profile", 301, "https://new.bitrix24.ru/rest/1/XXXXXXXXXXXXXXXX/", 1)
    assert isinstance(err, CrmSetupError) and err.code == "REDIRECT"
    assert "new.bitrix24.ru" in str(err) and "https://new.bitrix24.ru/rest/1/***/" in str(err)
    assert "XXXXXXXXXXXXXXXX" not in str(err)


@pytest.mark.parametrize(("status", "cls"), [
    (404, "CrmSetupError"), (429, "CrmTemporary"), (413, "CrmRejected"),
    (502, "CrmUnknownOutcome"), (200, "CrmUnknownOutcome"),
])
def test_a_page_that_is_not_json_is_classified_by_status(status: int, cls: str) -> None:
    """A front end's HTML page: 4xx turned away before running, anything else may have run."""
    from bridge.crm.answers import non_json_error

    err = non_json_error("crm.lead.add", status, "text/html; charset=utf-8",
                         "https://p.example.invalid/rest/1/***/")
    assert type(err).__name__ == cls and "(text/html)" in str(err)
