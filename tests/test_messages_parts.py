"""The message catalogue in parts: each key is written in exactly one part, and the merged
CATALOGUE that bridge.i18n reads holds every entry of every part."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from bridge import i18n, messages

PARTS_DIR = Path(messages.__file__).resolve().parent


def _written_keys() -> Counter[str]:
    """Every key of a MESSAGES dict literal, counted over all the part modules."""
    keys: Counter[str] = Counter()
    for path in sorted(PARTS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys.update(k.value for k in node.keys
                            if isinstance(k, ast.Constant) and isinstance(k.value, str))
    return keys


def test_each_key_is_written_in_one_part_only() -> None:
    """No key is written twice (a second one would silently replace the first)."""
    written = _written_keys()
    assert [k for k, n in written.items() if n > 1] == []
    assert set(written) == set(messages.CATALOGUE)


def test_the_catalogue_is_every_part_merged() -> None:
    """CATALOGUE has each part's entries, unchanged, and nothing else."""
    assert len(messages.PARTS) >= 4
    assert sum(len(part) for part in messages.PARTS) == len(messages.CATALOGUE)
    for part in messages.PARTS:
        for key, msg in part.items():
            assert messages.CATALOGUE[key] is msg


def test_i18n_reads_an_entry_from_every_part() -> None:
    """t() finds a key of each part in both languages."""
    try:
        for part in messages.PARTS:
            key = next(k for k, m in part.items() if "{" not in m.en)
            i18n.set_language("ru")
            assert i18n.t(key) == part[key].ru
            i18n.set_language("en")
            assert i18n.t(key) == part[key].en
    finally:
        i18n.set_language("en")
