"""Choosing and merging layout readings: a body in, the best ``(label, value)`` pairs out.

Every layout reader turns a body into ``(label, value)`` pairs; :func:`read_pairs` runs
them all over the HTML and the text part, keeps the one that finds the most client fields
(HTML first on a tie: PHPMailer's automatic text part glues table cells together) and adds
what other readers of the same body found elsewhere (a Marquiz mail mixes "question line,
answer line" with ``Label: value``). The HTML layouts (``table``: rows, cell pairs, ``<dl>``
lists; ``bold``: ``<b>Label</b> value``) are :mod:`bridge.parsing.htmltext`; the text ones
:mod:`bridge.parsing.colon` and :mod:`bridge.parsing.layouts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bs4 import BeautifulSoup

from bridge.model import ParseOptions
from bridge.parsing.colon import colon_pairs
from bridge.parsing.forwards import Forward, strip_forward
from bridge.parsing.htmltext import bold_pairs, html_to_text, parse_html, table_pairs
from bridge.parsing.labels import (
    CLIENT_KINDS,
    is_empty_value,
    is_known_label,
    label_kind,
    normalize_label,
)
from bridge.parsing.layouts import (
    address_pairs,
    bare_pairs,
    dashes_pairs,
    dump_pairs,
    enquiry_pairs,
    lines_pairs,
    stars_pairs,
    tab_pairs,
)
from bridge.parsing.textlines import Pair

BIG_HTML = 1_000_000  # past this, a message with a text part is read from the text alone

_TEXT_LAYOUTS = (
    ("colon", colon_pairs),
    ("bare", bare_pairs),
    ("enquiry", enquiry_pairs),
    ("address", address_pairs),
    ("tabs", tab_pairs),
    ("dashes", dashes_pairs),
    ("stars", stars_pairs),
    ("lines", lines_pairs),
    ("dump", dump_pairs),
)


@dataclass(frozen=True, slots=True)
class Layout:
    """The pairs one layout reader found, and where."""

    name: str
    source: str  # "html" or "text"
    pairs: tuple[Pair, ...]


def score(pairs: tuple[Pair, ...] | list[Pair], options: ParseOptions) -> int:
    """How well a layout reading looks like a form: client fields found, then pair count."""
    kinds: set[str] = set()
    for label, value in pairs:
        if is_empty_value(value):
            continue
        kind = label_kind(label, options)
        if kind in ("first_name", "middle_name", "last_name"):
            kind = "name"
        if kind == "sender":
            kinds.update(("name", "email"))
        elif kind in CLIENT_KINDS:
            kinds.add(kind)
    known = sum(1 for label, _ in pairs if is_known_label(label, options))
    valued = sum(1 for _, value in pairs if not is_empty_value(value))
    return len(kinds) * 1000 + min(known, 30) * 10 + min(valued, 9)


def _readings(source: str, text: str, html: BeautifulSoup | None,
              options: ParseOptions) -> list[Layout]:
    out: list[Layout] = []
    if html is not None:
        def known(label: str) -> bool:
            return is_known_label(label, options)

        out.append(Layout("table", source, tuple(table_pairs(html, known))))
        out.append(Layout("bold", source, tuple(bold_pairs(html))))
    for name, reader in _TEXT_LAYOUTS:
        if name == "tabs" and html is not None:
            continue  # the table reader sees the same rows with their markup
        out.append(Layout(name, source, tuple(reader(text, options))))
    return out


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


_MIXABLE = frozenset({"table", "bold", "colon", "lines", "address"})


def _merge(primary: Layout, others: list[Layout], options: ParseOptions) -> tuple[Pair, ...]:
    """Add pairs found by other readers of the same body, where the primary saw nothing."""
    pairs = list(primary.pairs)
    seen_labels = {normalize_label(k) for k, _ in pairs}
    covered = " \n ".join(_norm(k) + " " + _norm(v) for k, v in pairs)
    taken = [_norm(v) for _, v in pairs if len(_norm(v)) >= 3]
    for other in others:
        if other is primary or other.source != primary.source:
            continue
        if primary.name not in _MIXABLE | {"bare"} or other.name not in _MIXABLE:
            continue  # a dump, WPForms or Bitrix layout is the whole mail; bare values
            # only take the labelled lines around them (Elementor's metadata block)
        for label, value in other.pairs:
            key = normalize_label(label)
            if key in seen_labels or is_empty_value(value):
                continue
            if _norm(label) in covered or _norm(value) in covered:
                continue
            if sum(1 for v in taken if v in _norm(value)) >= 2:
                continue  # a heading over the whole block, read again as one value
            if other.name == "bold" and not (
                is_known_label(label, options) or label.rstrip().endswith((":", "?"))
            ):
                continue  # a bold heading with text after it is not a field
            pairs.append((label, value))
            seen_labels.add(key)
            if len(_norm(value)) >= 3:
                taken.append(_norm(value))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class Reading:
    """The chosen pairs plus the rendered body they came from."""

    pairs: tuple[Pair, ...]
    body: str  # the text the pairs were read from (forward part only, HTML rendered)
    layout: str
    forward: Forward | None


def read_pairs(text: str | None, html: str | None, options: ParseOptions,
               subject: str | None = None, trim: Callable[[str], str] | None = None) -> Reading:
    """Run every layout reader over the HTML and the text part and keep the best reading.

    ``trim`` cuts the site's own footer off a text body before the text layouts read it."""
    bodies: list[tuple[str, str, BeautifulSoup | None, Forward | None]] = []
    if html and html.strip() and not (text and text.strip() and len(html) > BIG_HTML):
        soup = parse_html(html)
        rendered = html_to_text(soup)
        fwd = strip_forward(rendered, subject)
        rendered = fwd.text if fwd else rendered
        bodies.append(("html", trim(rendered) if trim else rendered, None if fwd else soup, fwd))
    if text and text.strip():
        plain = text.replace("\r\n", "\n").replace("\r", "\n")
        fwd = strip_forward(plain, subject)
        plain = fwd.text if fwd else plain
        bodies.append(("text", trim(plain) if trim else plain, None, fwd))
    best: tuple[int, Layout, list[Layout], str, Forward | None] | None = None
    for source, body, raw_html, fwd in bodies:
        readings = _readings(source, body, raw_html, options)
        for layout in readings:
            s = score(layout.pairs, options)
            if best is None or s > best[0]:
                best = (s, layout, readings, body, fwd)
    if best is None:
        return Reading((), "", "none", None)
    _, layout, readings, body, fwd = best
    return Reading(_merge(layout, readings, options), body, layout.name, fwd)
