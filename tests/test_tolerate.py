"""bridge.parsing.tolerate: hostile input is tolerated visibly, without message content."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from bridge.parsing.tolerate import tolerated

PARSING = Path(__file__).resolve().parent.parent / "bridge" / "parsing"


def test_tolerated_logs_place_and_type_only(caplog: pytest.LogCaptureFixture) -> None:
    """The log line names the place and the exception type, never the exception's text."""
    caplog.set_level(logging.DEBUG, logger="bridge.parsing")
    tolerated("mime.header", ValueError("Иван Петров +79123456789"))
    (record,) = caplog.records
    assert record.getMessage() == "event=input_tolerated where=mime.header error=ValueError"
    assert record.exc_info is None and record.levelno == logging.DEBUG


def test_every_broad_except_in_parsing_goes_through_tolerated() -> None:
    """A broad ``except Exception`` in bridge/parsing either calls tolerated() or re-raises."""
    offenders = []
    for path in sorted(PARSING.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ExceptHandler):
                continue
            if not (isinstance(node.type, ast.Name) and node.type.id in ("Exception",
                                                                          "BaseException")) \
                    and node.type is not None:
                continue
            calls = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Name)}
            raises = any(isinstance(n, ast.Raise) for n in ast.walk(node))
            if "tolerated" not in calls and not raises:
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
