"""Field-by-field accuracy of the parser: ``.venv/bin/python bench/fields.py``.

Over the shared corpus (``extra``: the expected keys must be there) and the case set of
tests/cases (``extra`` compared exactly), prints for each field the share of cases that
match (class = is_form/create_lead/spam, name, phone, email, message, extra, attachments),
the share of cases fully right, and the message-junk count (tests/fieldcheck.py). ``-v``
lists each miss.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bridge.errors import ParseError
from bridge.parsing import parse_message
from bridge.parsing.report import to_json
from tests.fieldcheck import FIELDS, case_options, field_problems, message_junk

ROOT = Path(__file__).resolve().parent.parent
SETS = (("corpus", ROOT.parent / "shared" / "corpus", False),
        ("cases", ROOT / "tests" / "cases", True))


def measure(folder: Path, exact: bool, verbose: bool) -> None:
    """Print one set's figures."""
    paths = sorted(folder.glob("*.expected.json"))
    ok = dict.fromkeys(FIELDS, 0)
    whole = junk = 0
    for path in paths:
        expected = json.loads(path.read_text(encoding="utf-8"))
        raw = path.with_name(path.name.replace(".expected.json", ".eml")).read_bytes()
        try:
            actual = to_json(parse_message(raw, case_options(expected)))
        except ParseError as exc:
            print(f"  {path.name}: parse error {exc}")
            continue
        problems = field_problems(actual, expected, exact_extra=exact)
        for field in FIELDS:
            ok[field] += not problems[field]
        whole += not any(problems.values())
        junk += message_junk(actual, expected)
        if verbose and any(problems.values()):
            print(f"  {path.name.removesuffix('.expected.json')}")
            for field in FIELDS:
                for p in problems[field]:
                    print(f"      {p}")
    n = len(paths) or 1
    checks = sum(ok.values())
    print("  " + "  ".join(f"{f} {100 * ok[f] / n:.1f}%" for f in FIELDS))
    print(f"  all field checks {100 * checks / (n * len(FIELDS)):.1f}%, cases fully right "
          f"{whole}/{len(paths)}, message junk {junk}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="list each miss")
    args = ap.parse_args()
    for name, folder, exact in SETS:
        print(f"== {name} ({folder})")
        measure(folder, exact, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
