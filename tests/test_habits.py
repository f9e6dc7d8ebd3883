"""House habits the review asks for, checked over the whole tree.

Every ``noqa`` and ``type: ignore`` says why; every broad ``except`` (bare, ``Exception`` or
``BaseException``) in bridge/ says why on its line and either re-raises or leaves a trace (a log
call, ``tolerated``, a recorded error), or says "no log" and why (a logging filter that would
recurse).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SUPPRESS = re.compile(r"#\s*(?:ruff:\s*)?(noqa(?::\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)?"
                       r"|type:\s*ignore(?:\[[a-z-, ]+\])?)(?P<rest>.*)$")
_BROAD = {"Exception", "BaseException"}
_TRACE = re.compile(r"log|tolerated|warn|error|exception|debug|info|critical|record|report|notify|"
                    r"fail|alarm",
                    re.IGNORECASE)


def _files(*tops: str) -> list[Path]:
    return [p for top in tops for p in sorted((ROOT / top).rglob("*.py"))]


def unexplained_suppressions(paths: list[Path]) -> list[str]:
    """``file:line`` of each noqa / type: ignore with no words after it."""
    found = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = _SUPPRESS.search(line)
            if m and not re.search(r"[A-Za-z]{3,}", m.group("rest")):
                found.append(f"{path.relative_to(ROOT)}:{n}")
    return found


def _broad(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type
    if kinds is None:
        return True
    names = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    return any(isinstance(k, ast.Name) and k.id in _BROAD for k in names)


def _leaves_trace(handler: ast.ExceptHandler) -> bool:
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if _TRACE.search(name):
                return True
        if isinstance(node, ast.Assign | ast.AugAssign | ast.Return) and handler.name and any(
            isinstance(n, ast.Name) and n.id == handler.name for n in ast.walk(node)
        ):
            return True  # the error is kept (stored or returned) for the caller to report
    return False


def silent_broad_excepts(paths: list[Path]) -> list[str]:
    """``file:line`` of each broad except without a reason on its line or without a trace."""
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ExceptHandler) and _broad(node):
                line = lines[node.lineno - 1]
                comment = line.partition("#")[2]
                quiet_on_purpose = re.search(r"\bno log\b", comment)  # e.g. inside a log filter
                if not comment or not (_leaves_trace(node) or quiet_on_purpose):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_suppression_says_why() -> None:
    """Each noqa and type: ignore in bridge/, tests/ and bench/ carries a reason after it."""
    assert unexplained_suppressions(_files("bridge", "tests", "bench")) == []


def test_every_broad_except_says_why_and_leaves_a_trace() -> None:
    """Each broad except in bridge/ explains itself and re-raises, logs or keeps the error."""
    assert silent_broad_excepts(_files("bridge")) == []


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The two checks flag a bare noqa and a silent broad except, and pass explained ones."""
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1  # noqa: E731\ntry:\n    pass\nexcept Exception:\n    pass\n")
    good = tmp_path / "good.py"
    good.write_text("x = 1  # noqa: E731 - a named lambda reads better here\ntry:\n    pass\n"
                    "except Exception as exc:  # any failure of the probe is reported\n"
                    "    log.warning('probe failed: %s', exc)\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert unexplained_suppressions([bad]) == ["bad.py:1"]
        assert silent_broad_excepts([bad]) == ["bad.py:4"]
        assert unexplained_suppressions([good]) == []
        assert silent_broad_excepts([good]) == []
    finally:
        ROOT = saved
