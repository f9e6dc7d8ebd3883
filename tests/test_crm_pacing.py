"""Bitrix24Client pacing (the leaky bucket, backoff, pure arithmetic with a fake clock), TLS trust
and the JSON body with files.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import (
    ConfigError,
    CrmSetupError,
    CrmTemporary,
)
from bridge.ratelimit import LeakyBucket, backoff_delay
from bridge.sandbox import SandboxServer
from bridge.sandbox.portal import Bucket
from tests.bitrix_fixtures import make_client
from tests.helpers.crmdata import PNG, lead_fields

pytest_plugins = ["tests.bitrix_fixtures"]


# ================================================================== pacing
def test_bucket_keeps_a_burst_free_of_503():
    """With the client bucket mirroring the portal's (burst 5, 25/s), 20 calls see no 503."""
    with SandboxServer(rate=25.0, burst=5) as sb:
        client = make_client(sb, max_tries=1, bucket=LeakyBucket(25.0, 5))
        for _ in range(20):
            client.profile()
        assert sb.portal.count_503 == 0 and sb.portal.max_bucket_level <= 5


def test_without_bucket_the_same_portal_refuses():
    """Control case: without pacing, rapid calls past the burst get QUERY_LIMIT_EXCEEDED."""
    with SandboxServer(rate=0.5, burst=5) as sb:
        client = make_client(sb, max_tries=1)
        with pytest.raises(CrmTemporary) as info:
            for _ in range(10):
                client.profile()
        assert info.value.code == "QUERY_LIMIT_EXCEEDED"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_leaky_bucket_waits_past_the_burst():
    """The first `burst` requests pass at once; then one request per 1/rate seconds."""
    clock = FakeClock()
    bucket = LeakyBucket(2.0, 5, clock=clock, sleep=clock.sleep, headroom=0)
    waits = [bucket.acquire() for _ in range(7)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(0.5) and waits[6] == pytest.approx(0.5)


def test_leaky_bucket_penalize_holds_requests():
    """penalize(3) after a 503 makes the next request wait at least 3 s."""
    clock = FakeClock()
    bucket = LeakyBucket(2.0, 5, clock=clock, sleep=clock.sleep)
    bucket.penalize(3.0)
    assert bucket.acquire() >= 3.0


@settings(deadline=None, max_examples=50)
@given(st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=80),
       st.floats(min_value=0.5, max_value=10), st.integers(min_value=1, max_value=20))
def test_leaky_bucket_never_overfills_the_portal(gaps, rate, burst):
    """Fed the same request times, the portal's own bucket never refuses a paced request."""
    clock = FakeClock()
    client = LeakyBucket(rate, burst, clock=clock, sleep=clock.sleep, headroom=0)
    portal = Bucket(rate, burst, stamp=0.0)
    for gap in gaps:
        clock.now += gap
        client.acquire()
        assert portal.admit(clock.now + 1e-9)


def test_leaky_bucket_is_thread_safe():
    """Concurrent reservations are all counted: waits grow by 1/rate each."""
    clock = FakeClock()
    bucket = LeakyBucket(10.0, 1, clock=clock, sleep=lambda s: None, headroom=0)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            w = bucket.reserve()
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w, 6) for w in waits) == [round(i / 10, 6) for i in range(100)]


def test_backoff_delay_is_exponential_with_full_jitter():
    """backoff_delay grows as base*2^(n-1), capped, scaled by the jitter draw."""
    assert [backoff_delay(n, 0.5, 30.0, rng=lambda: 1.0) for n in (1, 2, 3, 8, 20)] == [
        0.5, 1.0, 2.0, 30.0, 30.0]
    assert backoff_delay(3, 0.5, 30.0, rng=lambda: 0.0) == 0.0
    assert backoff_delay(3, 0.5, 30.0, rng=lambda: 0.5) == 1.0
    assert backoff_delay(0, 0.5, 30.0) == 0.0


# ================================================================== TLS
@pytest.fixture
def tls_sandbox(tmp_path):
    """A sandbox speaking HTTPS with a self-signed certificate for 127.0.0.1."""
    from tests.servers.dovecot import make_certificate

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_certificate(cert, key)
    with SandboxServer(certfile=str(cert), keyfile=str(key), rate=1000.0, burst=1000) as sb:
        yield sb, cert


def test_tls_is_verified_and_ca_file_adds_trust(tls_sandbox):
    """A private certificate is refused (CrmSetupError) unless bitrix24.ca_file names its CA."""
    sb, cert = tls_sandbox
    assert sb.webhook_url.startswith("https://127.0.0.1:")
    with pytest.raises(CrmSetupError) as info:
        make_client(sb, max_tries=1).profile()
    assert "bitrix24.ca_file" in str(info.value)
    assert make_client(sb, ca_file=str(cert)).add_lead(lead_fields("tls"), [PNG],
                                                       sb.portal.file_field_code) == 1
    assert sb.portal.lead_files(1) == [(PNG.filename, PNG.data)]


def test_unreadable_ca_file_is_a_config_error(sandbox, tmp_path):
    """A ca_file that is not a certificate bundle is a ConfigError naming bitrix24.ca_file."""
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("nothing here")
    with pytest.raises(ConfigError) as info:
        make_client(sandbox, ca_file=str(bad))
    assert info.value.key == "bitrix24.ca_file"


def test_json_body_splices_files_as_base64_bytes():
    """File bytes go into the JSON body as base64 exactly; look-alike text is left alone."""
    import base64 as _b64mod
    import json as _json

    from bridge.crm import FileContent, json_body

    data = bytes(range(256)) * 100
    body = json_body({"fields": {"TITLE": "\x00blob-0-0\x00 «Заявка»",
                                 "UF_CRM_1701234567": [{"fileData": ["a.pdf", FileContent(data)]}]},
                      "FILES": [["b.txt", FileContent(b"")]]})
    parsed = _json.loads(body)
    assert parsed["fields"]["TITLE"] == "\x00blob-0-0\x00 «Заявка»"
    assert _b64mod.b64decode(parsed["fields"]["UF_CRM_1701234567"][0]["fileData"][1]) == data
    assert parsed["FILES"] == [["b.txt", ""]]
