"""README.md's "How the code is laid out" lists every module and package of bridge/, and only
those that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRIDGE = ROOT / "bridge"
SECTION = "## How the code is laid out"


def listed(readme: str) -> list[str]:
    """The names in the section's tree block: ``app.py``, ``cli/{parser,dispatch}`` …"""
    section = readme.split(SECTION, 1)[1]
    block = section.split("```", 2)[1]
    names = []
    for line in block.splitlines()[1:]:  # the first line is the ``bridge/`` root
        entry = line.startswith("  ") and not line.startswith("   ")  # deeper: a description
        if entry and not line.strip().startswith("#"):
            names.append(line.split()[0])
    return names


def expand(name: str) -> list[str]:
    """``cli/{a,b}`` -> ``cli/a.py``, ``cli/b.py``; other names stay as they are."""
    m = re.fullmatch(r"(\w+)/\{([\w,]+)\}", name)
    if m is None:
        return [name]
    return [f"{m.group(1)}/{module}.py" for module in m.group(2).split(",")]


def present() -> set[str]:
    """Every module (``x.py``) and package (``x/``) directly under bridge/."""
    found = {p.name for p in BRIDGE.glob("*.py")}
    found |= {f"{p.name}/" for p in BRIDGE.iterdir() if (p / "__init__.py").is_file()}
    return found


def test_the_layout_lists_every_module_and_package() -> None:
    """A module or package added to bridge/ fails until the README's tree has a line for it."""
    names = listed((ROOT / "README.md").read_text(encoding="utf-8"))
    tops = {n.split("{")[0] if "{" in n else n for n in names}
    missing = sorted(present() - tops)
    assert missing == [], f"add a line to README.md's {SECTION!r} for: {missing}"


def test_everything_the_layout_lists_exists() -> None:
    """No line names a module or package that is gone, and a package's module list is whole."""
    names = listed((ROOT / "README.md").read_text(encoding="utf-8"))
    tops = [n.split("{")[0] if "{" in n else n for n in names]
    assert sorted(set(tops) - present()) == []
    assert len(tops) == len(set(tops)), "a name is listed twice"
    for name in names:
        if "{" not in name:
            continue
        package = BRIDGE / name.split("/")[0]
        shown = {Path(p).name for p in expand(name)}
        assert shown == {p.name for p in package.glob("*.py")}, name


def test_the_tree_reader_reads_what_it_should() -> None:
    """The reader itself: brace lists expand, comments and continuation lines are skipped."""
    readme = (f"{SECTION}\n\ntext\n\n```\nbridge/\n  # a group\n  app.py    the root\n"
              "  cli/{a,b}\n                 the command line\n  sandbox/  a portal\n```\n")
    assert listed(readme) == ["app.py", "cli/{a,b}", "sandbox/"]
    assert expand("cli/{a,b}") == ["cli/a.py", "cli/b.py"]
    assert expand("app.py") == ["app.py"]
