"""Prometheus metrics: the endpoint is scraped, names follow the conventions, labels carry no
client data, CRM calls and IMAP reconnects are counted, the textfile is written."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bridge.alerts.monitor import Monitor
from bridge.alerts.settings import NotifyConfig
from bridge.errors import ConfigError, CrmTemporary
from bridge.metrics import MeteredCrm, Metrics, metered_factory, skip_label
from bridge.model import PollReport
from bridge.store import Ledger
from tests.configfiles import BITRIX, IMAP, error_of, load_text

NAME = re.compile(r"^mailbridge_[a-z0-9_]+$")


class FakeCrm:
    """Our own Crm Protocol stand-in: the first add_lead is refused for a while."""

    def __init__(self) -> None:
        self.calls = 0

    def add_lead(self, fields: dict, files: tuple, field: str) -> int:  # type: ignore[type-arg]  # Protocol shape
        self.calls += 1
        if self.calls == 1:
            raise CrmTemporary("503 QUERY_LIMIT_EXCEEDED")
        return 10

    def lead_fields(self) -> dict:  # type: ignore[type-arg]  # Protocol shape
        return {}


def scrape(url: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    text = requests.get(url, timeout=10).text
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_endpoint_is_scraped_with_conventional_names(tmp_path: Path) -> None:
    """A scrape of the HTTP endpoint shows every metric, named mailbridge_*, counters
    ending in _total, times in _seconds, and the values the monitor fed in."""
    metrics = Metrics()
    host, port = metrics.serve("127.0.0.1", 0)
    ledger = Ledger.open(tmp_path / "bridge.db")
    try:
        now = datetime.now(UTC)
        row = ledger.add_received("INBOX", 1, 1, None, "i1", "o1", "Иван +79161234567",
                                  now - timedelta(seconds=42), b"x", now)
        ledger.set_skipped(row.id, "spam", now)
        monitor = Monitor(NotifyConfig(), ledger, send=lambda n: None, metrics=metrics)
        crm = MeteredCrm(FakeCrm(), metrics)
        with pytest.raises(CrmTemporary):
            crm.add_lead({}, (), "")
        assert crm.add_lead({}, (), "") == 10
        connect = metered_factory(lambda: object(), metrics)
        connect()
        connect()
        monitor.lead_created(row, 10, type("L", (), {"fields": {}})())
        monitor.poll_finished(PollReport(created=1, duplicates=2), None, now - timedelta(1))
        got = scrape(f"http://{host}:{port}/metrics")
    finally:
        metrics.close()
        ledger.close()
    names = set(got)
    for name in names:
        assert NAME.match(name), name
    for base in ("leads_created", "messages_skipped", "duplicates", "messages_quarantined",
                 "messages_unrecognised", "crm_requests", "crm_errors", "imap_reconnects"):
        assert f"mailbridge_{base}_total" in names, base
    for name in ("mailbridge_messages_waiting", "mailbridge_blocked",
                 "mailbridge_last_successful_poll_timestamp_seconds",
                 "mailbridge_push_latency_seconds_bucket"):
        assert name in names, name
    assert got["mailbridge_leads_created_total"][()] == 1
    assert got["mailbridge_duplicates_total"][()] == 2
    assert got["mailbridge_messages_skipped_total"][(("reason", "spam"),)] == 1
    assert got["mailbridge_crm_requests_total"][(("method", "add_lead"),)] == 2
    assert got["mailbridge_crm_errors_total"][(("class", "temporary"),)] == 1
    assert got["mailbridge_imap_reconnects_total"][()] == 1
    assert got["mailbridge_blocked"][()] == 0
    assert got["mailbridge_push_latency_seconds_count"][()] == 1
    assert 40 <= got["mailbridge_push_latency_seconds_sum"][()] < 400
    labels = {v for samples in got.values() for key in samples for _, v in key}
    assert not any("Иван" in v or "7916" in v for v in labels)


def test_skip_reasons_map_to_a_fixed_set() -> None:
    """Free-text reasons never become label values: unknown ones are "other"."""
    assert skip_label("auto-reply") == "auto_reply"
    assert skip_label("sender not in filter.senders") == "sender_not_in_filter_senders"
    assert skip_label("Иван Петров прислал") == "other"
    assert skip_label(None) == "other"


def test_textfile_is_written_for_node_exporter(tmp_path: Path) -> None:
    """The .prom textfile holds the same exposition, written atomically."""
    metrics = Metrics()
    metrics.leads_created.inc(3)
    target = tmp_path / "mailbridge.prom"
    metrics.write_textfile(target)
    assert "mailbridge_leads_created_total 3.0" in target.read_text()


@pytest.mark.parametrize("line,expected", [
    ('listen = "0.0.0.0:9464"', "not a loopback address"),
    ('listen = "9464"', 'expected "HOST:PORT"'),
    ('textfile = "m.txt"', ".prom"),
])
def test_metrics_config_is_checked(tmp_path: Path, line: str, expected: str) -> None:
    """A remote listen address needs allow_remote; the shapes are checked."""
    err = error_of(tmp_path, IMAP + BITRIX + f"[metrics]\n{line}\n")
    assert expected in str(err) and err.key and err.key.startswith("metrics.")


def test_remote_metrics_allowed_when_asked(tmp_path: Path) -> None:
    """metrics.allow_remote = true accepts a non-loopback listen address."""
    cfg = load_text(tmp_path, IMAP + BITRIX + '[metrics]\nlisten = "0.0.0.0:9464"\n'
                    "allow_remote = true\n")
    assert cfg.metrics.address == ("0.0.0.0", 9464)


def test_bad_value_is_a_config_error(tmp_path: Path) -> None:
    """A wrong type under [metrics] is a ConfigError naming the key."""
    with pytest.raises(ConfigError, match=r"metrics\.allow_remote"):
        load_text(tmp_path, IMAP + BITRIX + "[metrics]\nallow_remote = 1\n")


def test_sample_alert_rules_use_metrics_that_exist() -> None:
    """Every mailbridge_* name in deploy/mailbridge-alerts.yml is one the bridge exports."""
    rules = (Path(__file__).resolve().parent.parent / "deploy" / "mailbridge-alerts.yml")
    used = set(re.findall(r"\bmailbridge_[a-z0-9_]+", rules.read_text(encoding="utf-8")))
    exported: set[str] = set()
    for family in Metrics().registry.collect():
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
        exported |= {family.name + s for s in suffixes.get(family.type, ("",))}
    assert used and used <= exported, used - exported
    assert rules.read_text(encoding="utf-8").count("- alert:") >= 5


def test_a_taken_port_is_a_config_error_naming_the_key() -> None:
    """metrics.listen on a port already in use is a ConfigError (exit 78), not a crash."""
    first = Metrics()
    host, port = first.serve("127.0.0.1", 0)
    try:
        with pytest.raises(ConfigError, match=r"metrics\.listen: cannot listen"):
            Metrics().serve(host, port)
    finally:
        first.close()
