"""Overall deadlines on Bitrix24 requests, against real slow servers on loopback."""

from __future__ import annotations

import time

import pytest
import requests

from bridge.crm import Bitrix24Client
from bridge.deadline import DEADLINE_CAP, MIN_UPLOAD_RATE, DeadlineAdapter, request_deadline, watch
from bridge.errors import CrmUnknownOutcome
from tests.servers.slowhttp import DripServer

DEADLINE = 0.5
DRIP = 0.2
BOUND = 10 * DEADLINE  # catches a hang, never a timing assertion


def test_deadline_formula_is_base_plus_upload_time_capped() -> None:
    """A base plus the body over the minimum rate, never above the cap (nor below the base)."""
    assert request_deadline(30, 0) == 30
    assert request_deadline(30, MIN_UPLOAD_RATE * 10) == pytest.approx(40)
    assert request_deadline(30, 10**12) == DEADLINE_CAP
    assert request_deadline(0.5, 1024, min_rate=1024, cap=0.1) == 0.5


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_dripping_answer_is_cut_at_the_overall_deadline(host: str) -> None:
    """One byte every 0.2 s never trips a 0.5 s read timeout; the overall deadline ends the
    call as an unknown outcome that remembers when its last byte was sent (also when an
    http:// host name is sent to its resolved loopback address)."""
    with DripServer(DRIP) as server:
        url = server.webhook_url.replace("127.0.0.1", host)
        client = Bitrix24Client(url, timeout=DEADLINE, max_tries=1)
        started = time.monotonic()
        with pytest.raises(CrmUnknownOutcome) as info:
            client.call("crm.lead.add", {"fields": {"TITLE": "x"}}, write=True)
        elapsed = time.monotonic() - started
        client.close()
    assert elapsed < BOUND
    assert info.value.code == "DEADLINE"
    assert info.value.sent_monotonic is not None
    assert started <= info.value.sent_monotonic <= started + elapsed
    assert server.requests_read == 1


def test_a_dripping_read_is_retried_and_still_ends() -> None:
    """Reads are retried after a deadline, and every try is cut: the call ends all the same."""
    with DripServer(DRIP) as server:
        client = Bitrix24Client(server.webhook_url, timeout=DEADLINE, max_tries=2,
                                backoff_base=0.01, backoff_cap=0.02)
        started = time.monotonic()
        with pytest.raises(CrmUnknownOutcome):
            client.call("profile")
        assert time.monotonic() - started < 2 * BOUND
        client.close()
    assert server.requests_read == 2


def test_an_upload_the_server_never_reads_is_cut_and_counts_as_not_sent() -> None:
    """A server that never reads: the send blocks, the deadline cuts it, and the request is
    known never to have been sent whole (so it cannot have run)."""
    with DripServer(DRIP, read_body=False) as server:
        session = requests.Session()
        session.mount("http://", DeadlineAdapter())
        body = b"x" * (64 * 1024 * 1024)
        started = time.monotonic()
        with watch(DEADLINE) as timer, pytest.raises(requests.RequestException):
            session.post(server.webhook_url + "crm.lead.add", data=body, timeout=(5, 5))
        session.close()
    assert time.monotonic() - started < BOUND
    assert timer.expired and timer.sent is None
