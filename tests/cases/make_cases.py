"""Write the case set: every ``<slug>.eml`` and ``<slug>.expected.json`` of this folder.

Run ``.venv/bin/python -m tests.cases.make_cases`` after editing a case. The texts and the
expected values are written by hand in ``cases_a.py``/``cases_b.py``/``cases_c.py``; this
script only serialises them and refreshes the table in ``README.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cases import cases_b, cases_c  # noqa: F401  (importing registers their cases)
from tests.cases.cases_a import CASES

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- CASES:BEGIN -->", "<!-- CASES:END -->"


def main() -> None:
    """Write the files and the README table."""
    rows = ["| case | template | what it tests | format source |", "|---|---|---|---|"]
    for case in sorted(CASES, key=lambda c: c["slug"]):
        slug, exp = case["slug"], case["expected"]
        (HERE / f"{slug}.eml").write_bytes(case["eml"])
        (HERE / f"{slug}.expected.json").write_text(
            json.dumps(exp, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        rows.append(f"| `{slug}` | {exp['template']} | {exp['notes']} | {exp['source']} |")
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    readme.write_text(head + BEGIN + "\n" + "\n".join(rows) + "\n" + END + tail, encoding="utf-8")
    print(f"{len(CASES)} cases written")


if __name__ == "__main__":
    main()
