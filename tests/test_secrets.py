"""bridge.secrets: one owner of webhook parsing, masking and log redaction, and the layout of
the bridge.crm package built on it."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from bridge import config, crm, logsetup, secrets

CODE = "XXXXXXXXXXXXXXXX"
URL = f"https://portal.example.invalid/rest/7/{CODE}/"
CRM_DIR = Path(crm.__file__).parent


def test_callers_share_the_one_implementation() -> None:
    """config, bridge.crm and logsetup use bridge.secrets' functions, not copies of their own."""
    assert config.mask_webhook_url is secrets.mask_webhook_url
    assert crm.parse_webhook_url is secrets.parse_webhook_url
    assert crm.redact is secrets.redact and crm.redact_url is secrets.redact_url
    assert issubclass(logsetup.RedactingFilter, secrets.RedactingFilter)
    assert logsetup.RedactingFilter.redact is secrets.RedactingFilter.redact


def test_redact_masks_known_secrets_and_webhook_codes() -> None:
    """Known secrets (longest first) and every /rest/<user>/<code> are masked in free text."""
    text = f"login pw=hunter2hunter2 url={URL}crm.lead.add other=/rest/12/Abc_-9?x=1"
    out = secrets.redact(text, ["hunter2hunter2", "hunter2"])
    assert out == ("login pw=*** url=https://portal.example.invalid/rest/7/***/crm.lead.add "
                   "other=/rest/12/***?x=1")


def test_webhook_secrets_are_the_url_and_its_code() -> None:
    """webhook_secrets gives the whole URL and its code, with or without the trailing slash."""
    assert secrets.webhook_secrets(URL) == (URL, CODE)
    assert secrets.webhook_secrets(URL.rstrip("/"))[1] == CODE


def test_filter_ignores_short_secrets_and_masks_added_ones() -> None:
    """A filter masks secrets added later, ignores ones under 4 characters (ordinary words)."""
    f = secrets.RedactingFilter(["abc"])
    f.add("s3cr3t-pass")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a abc %s %s",
                               ("s3cr3t-pass", URL), None)
    assert f.filter(record)
    assert record.getMessage() == "a abc *** https://portal.example.invalid/rest/7/***/"


def test_handler_filter_masks_like_the_library_filter() -> None:
    """The handler's filter (one line, escaped) masks exactly what bridge.secrets masks."""
    f = logsetup.RedactingFilter(["pw-0123456"])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "u=%s p=%s", (URL, "pw-0123456"),
                               None)
    f.filter(record)
    assert record.getMessage() == secrets.redact(f"u={URL} p=pw-0123456", ["pw-0123456"])
    assert CODE not in record.getMessage()


def test_library_loggers_redact_without_any_handler_of_ours(caplog: pytest.LogCaptureFixture
                                                            ) -> None:
    """urllib3's and the client's own loggers carry the filter, so caplog never sees a code."""
    for name in ("urllib3.connectionpool", "bridge.crm"):  # logsetup.setup may have raised it
        caplog.set_level(logging.DEBUG, logger=name)
    for name in ("urllib3.connectionpool", "bridge.crm"):
        logging.getLogger(name).debug('"POST /rest/1/%s/profile HTTP/1.1" 200', CODE)
    assert CODE not in caplog.text and caplog.text.count("/rest/1/***/profile") == 2


@pytest.mark.parametrize("url, masked", [
    (URL, "https://portal.example.invalid/rest/7/***/"),
    ("http://[::1]:8080/rest/1/abcd/", "http://[::1]:8080/rest/1/***/"),
])
def test_every_way_of_showing_a_valid_url_agrees(url: str, masked: str) -> None:
    """mask_webhook_url, redact_url and a parsed WebhookUrl show a valid URL the same way."""
    assert secrets.mask_webhook_url(url) == masked
    assert secrets.redact_url(url) == masked
    assert str(secrets.parse_webhook_url(url)) == masked


def test_showing_an_invalid_url_never_shows_it() -> None:
    """A value that is not a webhook URL is shown without its path, by either function."""
    assert secrets.mask_webhook_url("not a url") == "***"
    assert secrets.redact_url(f"https://p.example.invalid/rest/x/{CODE}/") == (
        "https://p.example.invalid/***")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names


def test_crm_layers_import_only_downwards() -> None:
    """wire and answers are pure (no session, no client), transport uses no methods layer."""
    layers = ["wire", "answers", "transport", "client"]
    for i, name in enumerate(layers):
        imported = _imports(CRM_DIR / f"{name}.py")
        above = {f"bridge.crm.{upper}" for upper in layers[i + 1:]} | {"bridge.crm"}
        assert not imported & above, (name, imported & above)
    assert "requests" not in _imports(CRM_DIR / "wire.py")


def test_crm_modules_and_functions_stay_small() -> None:
    """Every module of bridge.crm and bridge.secrets is under 400 lines, each function under 60."""
    for path in [*CRM_DIR.glob("*.py"), Path(secrets.__file__)]:
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") < 400, path.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= 60, (path.name, node.name, length)
