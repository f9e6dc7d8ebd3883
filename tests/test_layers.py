"""Which part of bridge/ may import which: the layers, bottom to top, in one table.

A module may import a module of a lower rank, or one of its own row. Two rows of the same rank
are siblings and never import each other (the daemon does not import ``check``; neither imports
the command line). Modules are placed by their name under ``bridge.`` with the longest entry
that matches: ``store`` places ``bridge/store.py`` and every ``bridge/store/*`` module alike,
``alerts.cli`` places that one module apart from the rest of ``alerts``.

Imports are read with ``ast`` from every file, including those inside functions and under
``TYPE_CHECKING``: a lazy import is an arrow all the same.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BRIDGE = ROOT / "bridge"

# (rank, row, members): bottom to top
LAYERS: tuple[tuple[int, str, frozenset[str]], ...] = (
    (0, "vocabulary", frozenset({
        "__init__", "clock", "model", "errors", "states", "i18n", "messages", "markup", "hosts",
        "secrets", "routes", "identity", "terminal", "bounds", "repeat", "crm_items",
        "unrecognised",
    })),
    (1, "config", frozenset({
        "config", "placeholders", "storeurl",
    })),
    (2, "parsing", frozenset({"parsing", "oversized", "dedupe", "leads"})),
    (3, "adapters", frozenset({
        "crm", "operating", "ratelimit", "deadline", "contacts", "deals", "crm_target",
        "filefield", "funnel", "store", "generation", "lock", "pglock", "lease",
        "ownership", "testhooks", "mailbox",
        "dirsource", "alerts", "notify", "metrics", "healthfile",
        "logsetup", "progress", "sandbox",
    })),
    (4, "pipeline", frozenset({"pipeline", "health", "refusal", "firstpass"})),
    (5, "composition root", frozenset({"app"})),
    (6, "daemon", frozenset({"daemon", "multibox", "reload", "standby"})),
    (6, "check", frozenset({"checks"})),
    (6, "demo", frozenset({"demo"})),
    (7, "command line", frozenset({
        "cli", "clihelp", "__main__", "multicommands", "alerts.cli",
    })),
)

# Import cycles that are known and may only go: each is the set of top-level names its
# modules belong to. A new cycle fails; so does an entry here that no longer is one.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def module_name(path: Path, root: Path = BRIDGE) -> str:
    """``bridge/store/schema.py`` -> ``store.schema``; ``bridge/crm/__init__.py`` -> ``crm``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def modules(root: Path = BRIDGE) -> dict[str, Path]:
    """Every module under bridge/, by its name below ``bridge.``."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imported(path: Path, known: set[str], root: Path = BRIDGE) -> Iterator[str]:
    """The bridge modules ``path`` imports (names below ``bridge.``), wherever it imports them.

    ``from bridge import x`` is module ``x`` when there is one, else the package itself."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [_short(a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package and package != "__init__" else []
                base = base[: len(base) - (node.level - 1)]
                source: str | None = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = _short(node.module or "")
            if source is None:
                continue
            targets = [f"{source}.{a.name}".lstrip(".") for a in node.names]
            targets = [t if t in known else source for t in targets]
        else:
            continue
        for target in targets:
            if target is None:
                continue
            while target and target not in known:  # `import bridge.x.y`: x.y, else x
                target = target.rpartition(".")[0]
            yield target or "__init__"


def _short(name: str) -> str | None:
    """``bridge.store.schema`` -> ``store.schema``, ``bridge`` -> ``""``; None: not ours."""
    if name == "bridge":
        return ""
    return name.removeprefix("bridge.") if name.startswith("bridge.") else None


def graph(root: Path = BRIDGE) -> dict[str, set[str]]:
    """module -> the modules it imports (itself left out)."""
    found = modules(root)
    known = set(found)
    return {m: set(imported(p, known, root)) - {m} for m, p in found.items()}


def place(module: str) -> tuple[int, str] | None:
    """(rank, row) of the longest table entry that is ``module`` or a package above it."""
    best: tuple[int, int, str] | None = None
    for rank, row, members in LAYERS:
        for member in members:
            covers = module == member or module.startswith(member + ".")
            if covers and (best is None or len(member) > best[0]):
                best = (len(member), rank, row)
    return None if best is None else (best[1], best[2])


def wrong_arrows(edges: dict[str, set[str]]) -> list[str]:
    """Every import that goes up, or sideways to a sibling row."""
    bad = []
    for source, targets in sorted(edges.items()):
        here = place(source)
        for target in sorted(targets):
            there = place(target)
            if here is None or there is None or there[1] == here[1] or there[0] < here[0]:
                continue
            bad.append(f"{source} ({here[1]}) -> {target} ({there[1]})")
    return bad


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_every_module_has_a_place_in_the_table() -> None:
    """A new module under bridge/ fails until it is placed in LAYERS."""
    missing = sorted(m for m in modules() if place(m) is None)
    assert not missing, f"place these in tests/test_layers.py LAYERS: {missing}"


def test_the_table_names_each_module_once_and_nothing_that_is_gone() -> None:
    """No entry stands in two rows, and every entry places at least one module."""
    entries = [m for _rank, _row, members in LAYERS for m in members]
    assert sorted(m for m in set(entries) if entries.count(m) > 1) == []
    names = modules()
    stale = sorted(e for e in entries
                   if not any(n == e or n.startswith(e + ".") for n in names))
    assert stale == [], f"delete from LAYERS (no such module any more): {stale}"


def test_no_import_goes_up_or_to_a_sibling() -> None:
    """No bridge module imports one of a higher layer or of a sibling row."""
    assert wrong_arrows(graph()) == []


def test_no_new_import_cycle() -> None:
    """Every import cycle among bridge modules is a known one (KNOWN_CYCLES only shrinks)."""
    found = [frozenset(top(m) for m in c) for c in cycles(graph())]
    new = [sorted(c) for c in found if not any(c <= known for known in KNOWN_CYCLES)]
    assert new == [], f"new import cycles among: {new}"
    gone = [sorted(k) for k in KNOWN_CYCLES if not any(c <= k for c in found)]
    assert gone == [], f"no longer cycles; delete them from KNOWN_CYCLES: {gone}"


def test_entry_points_are_not_in_a_cycle() -> None:
    """No cycle touches the composition root or an entry point (the ones issue 11 named)."""
    for component in cycles(graph()):
        ranks = {place(m) for m in component}
        assert all(r is not None and r[0] < 5 for r in ranks), sorted(component)


@pytest.mark.parametrize(("edges", "expected"), [
    ({"model": {"store"}, "store": set()}, ["model (vocabulary) -> store (adapters)"]),
    ({"daemon": {"checks"}, "checks": set()}, ["daemon (daemon) -> checks (check)"]),
    ({"app": {"cli.parser"}, "cli.parser": set()},
     ["app (composition root) -> cli.parser (command line)"]),
    ({"cli": {"app", "daemon"}, "daemon": {"app", "pipeline"}, "store.schema": {"store"}}, []),
])
def test_the_rule_flags_an_arrow_the_wrong_way(edges: dict[str, set[str]],
                                               expected: list[str]) -> None:
    """The check itself: up and sideways arrows are reported, down and in-row ones are not."""
    assert wrong_arrows(edges) == expected


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import(tmp_path: Path) -> None:
    """An import inside a function closes a cycle like one at the top of a module does, and
    relative and package imports are read as the modules they name."""
    root = tmp_path / "bridge"
    (root / "pkg").mkdir(parents=True)
    (root / "__init__.py").write_text("", encoding="utf-8")
    (root / "a.py").write_text("def f():\n    from bridge import b\n", encoding="utf-8")
    (root / "b.py").write_text("import bridge.pkg.c\n", encoding="utf-8")
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "c.py").write_text("from ..a import f\nfrom . import d\n", encoding="utf-8")
    (root / "pkg" / "d.py").write_text("", encoding="utf-8")
    edges = graph(root)
    assert edges["pkg.c"] == {"a", "pkg.d"}
    assert cycles(edges) == [{"a", "b", "pkg.c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_table_places_split_packages_by_their_top_name() -> None:
    """``bridge/store/*`` falls under ``store``, and a longer entry wins over a shorter one."""
    assert place("store.schema") == (3, "adapters")
    assert place("config.values") == (1, "config")
    assert place("pipeline.intake") == (4, "pipeline")
    assert place("alerts.cli") == (7, "command line")
    assert place("alerts.monitor") == (3, "adapters")
    assert place("nowhere") is None


def test_names_moved_down_to_break_a_cycle_keep_their_old_import_paths() -> None:
    """[notify]/[metrics] moved into the config package and the sandbox's records below its
    method modules; the old modules still hand out the very same objects."""
    from bridge.alerts import settings
    from bridge.config import notify, notify_values
    from bridge.sandbox import base, filefields, records, registry, users

    for name in notify_values.__dict__:
        if name.isupper() or name.endswith("Config"):
            assert getattr(settings, name) is getattr(notify_values, name), name
    assert (settings.load_notify, settings.load_metrics) == (notify.load_notify,
                                                             notify.load_metrics)
    assert (users.User, users.Webhook) == (records.User, records.Webhook)
    assert filefields.UserField is records.UserField
    assert (registry.Ctx, registry.Handler) == (records.Ctx, base.Handler)
