"""bridge/parsing stays split by stage: small modules, short functions, a re-exporting __init__."""

from __future__ import annotations

import ast
from pathlib import Path

PARSING = Path(__file__).resolve().parent.parent / "bridge" / "parsing"


def _trees() -> dict[str, ast.Module]:
    return {p.name: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(PARSING.glob("*.py"))}


def test_no_parsing_module_over_400_lines() -> None:
    """Every module in bridge/parsing has at most 400 lines."""
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines())
             for p in PARSING.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 400} == {}


def test_no_parsing_function_over_60_lines() -> None:
    """Every function in bridge/parsing has at most 60 lines."""
    long = [f"{name}:{node.name}" for name, tree in _trees().items() for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and (node.end_lineno or node.lineno) - node.lineno + 1 > 60]
    assert long == []


def test_parsing_init_only_reexports() -> None:
    """bridge/parsing/__init__.py defines nothing: imports, ``__all__`` and its docstring."""
    tree = _trees()["__init__.py"]
    kinds = {type(node).__name__ for node in tree.body[1:]}
    assert kinds <= {"ImportFrom", "Import", "Assign"}
    assigned = [t.id for node in tree.body if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)]
    assert assigned == ["__all__"]
