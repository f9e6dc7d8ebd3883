"""Parsing throughput and memory, run on demand: ``.venv/bin/python bench/parse.py``.

* messages per second over the whole corpus through ``bridge.parsing.parse_message``
  (``bridge.parsing.mime.decode`` when parse_message does not exist yet);
* peak memory for the 2 MB case: the tracemalloc peak and the RSS growth, each also as a
  ratio to the message size;
* peak memory for big attachments ("big attachment" section): a form e-mail with one
  10 MiB PDF and one with three 3 MiB PDFs (base64), through parse_message and through
  mime.decode with and without the big-part path (``big_part=None`` is the plain stdlib
  parse), each a tracemalloc peak and its ratio to the message size. Target: <= 3x.

Options: ``--corpus DIR`` (default: ../shared/corpus beside the repository),
``--rounds N`` (default 5), ``--big-only`` (just the big attachment section).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import gc
import importlib
import multiprocessing
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bridge.errors import ParseError
from bridge.model import ParseOptions
from tests.forms import form_email

HUGE = "064-huge-body-2mb.eml"
MIB = 1048576
BIG_OPTIONS = ParseOptions(max_size_bytes=11 * MIB, max_total_bytes=25 * MIB)


def _parsers() -> list[tuple[str, Callable[[bytes, ParseOptions], object]]]:
    """parse_message (when it exists) and, to show the split, mime.decode alone."""
    from bridge.parsing.mime import decode

    try:
        fn = getattr(importlib.import_module("bridge.parsing"), "parse_message", None)
    except ImportError:
        fn = None
    found: list[tuple[str, Callable[[bytes, ParseOptions], object]]] = []
    if fn is not None:
        found.append(("parse_message", fn))
    found.append(("mime.decode", decode))
    return found


def _rss_kib() -> int:
    """Current resident set size in KiB (from /proc; falls back to the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def throughput(fn, messages: list[bytes], rounds: int) -> tuple[float, float, int]:
    """(messages per second, MiB per second, parse errors) over ``rounds`` passes."""
    opts = ParseOptions()
    for raw in messages:  # warm-up: imports, regex compilation
        with contextlib.suppress(ParseError):
            fn(raw, opts)
    errors = 0
    start = time.perf_counter()
    for _ in range(rounds):
        for raw in messages:
            try:
                fn(raw, opts)
            except ParseError:
                errors += 1
    elapsed = time.perf_counter() - start
    total = len(messages) * rounds
    mib = sum(len(m) for m in messages) * rounds / 1048576
    return total / elapsed, mib / elapsed, errors


def memory(fn, raw: bytes) -> tuple[int, int, float]:
    """(tracemalloc peak bytes, RSS growth bytes, seconds) for one parse of ``raw``."""
    opts = ParseOptions()
    gc.collect()
    rss_before = _rss_kib()
    tracemalloc.start()
    start = time.perf_counter()
    result = fn(raw, opts)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = _rss_kib()
    del result
    return peak, max(0, rss_after - rss_before) * 1024, elapsed


def _memory_child(name: str, raw: bytes) -> tuple[int, int, float]:
    return memory(dict(_parsers())[name], raw)


def _memory_in_child(name: str, raw: bytes) -> tuple[int, int, float]:
    """Measure in a fresh forked process, so one parser's heap does not hide another's RSS."""
    ctx = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(_memory_child, name, raw).result()


def _three_files() -> bytes:
    """A form e-mail with three 3 MiB PDFs."""
    msg = message_from_bytes(form_email(2, file_size=3 * MIB), policy=policy.default)
    for i in (3, 4):
        part = message_from_bytes(form_email(i, file_size=3 * MIB), policy=policy.default)
        pdf = next(part.iter_attachments())
        msg.add_attachment(pdf.get_content(), maintype="application", subtype="pdf",
                           filename=pdf.get_filename())
    return msg.as_bytes()


def _big_variants() -> dict[str, Callable[[bytes, ParseOptions], object]]:
    from bridge.parsing.mime import decode

    found = dict(_parsers())
    found["mime.decode, big_part=None (stdlib parse)"] = lambda raw, o: decode(
        raw, o, big_part=None
    )
    return found


def _big_child(name: str, raw: bytes) -> tuple[int, int, float]:
    fn = _big_variants()[name]
    return memory(lambda r, _o: fn(r, BIG_OPTIONS), raw)


def big_attachments() -> None:
    """The "big attachment" section: tracemalloc peak per parser, in a fresh process each."""
    print("== big attachment")
    ctx = multiprocessing.get_context("fork")
    for label, raw in (("one 10 MiB PDF", form_email(1, file_size=10 * MIB)),
                       ("three 3 MiB PDFs", _three_files())):
        size = len(raw)
        print(f"{label}: message {size / MIB:.2f} MiB")
        for name in _big_variants():
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
                peak, rss, secs = pool.submit(_big_child, name, raw).result()
            print(f"  {name:42} peak {peak / MIB:6.1f} MiB = {peak / size:4.2f} x message,"
                  f" RSS growth {rss / MIB:6.1f} MiB, {secs * 1000:.0f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    ap.add_argument("--corpus", type=Path, default=default_corpus)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--big-only", action="store_true", help="only the big attachment section")
    args = ap.parse_args()

    big_attachments()
    if args.big_only:
        return 0

    paths = sorted(args.corpus.glob("*.eml"))
    if not paths:
        print(f"no .eml files in {args.corpus}", file=sys.stderr)
        return 66
    huge_path = args.corpus / HUGE
    huge = huge_path.read_bytes() if huge_path.exists() else None
    messages = [p.read_bytes() for p in paths]
    small = [m for m in messages if len(m) < 1048576]

    for name, fn in _parsers():
        print(f"== {name}")
        if huge is not None:
            peak, rss, secs = _memory_in_child(name, huge)
            size = len(huge)
            print(f"{HUGE}: {size / 1048576:.2f} MiB, parsed in {secs * 1000:.0f} ms"
                  " (under tracemalloc)")
            print(f"  tracemalloc peak {peak / 1048576:.1f} MiB = {peak / size:.1f} x message size")
            print(f"  RSS growth       {rss / 1048576:.1f} MiB = {rss / size:.1f} x message size")
        for label, batch in (("whole corpus", messages), ("without the 2 MB case", small)):
            mps, mibps, errors = throughput(fn, batch, args.rounds)
            print(
                f"{label}: {len(batch)} messages x {args.rounds} rounds: "
                f"{mps:.0f} msg/s, {mibps:.1f} MiB/s, {errors} parse errors"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
