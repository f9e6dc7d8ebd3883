"""HTML to text, and label/value pairs out of HTML tables, with BeautifulSoup.

Form notifications are HTML more often than not (WPForms, Gravity Forms, Ninja Forms,
Elementor, RSForm, FormIt, hand-written PHP). Two views are offered:

* :func:`html_to_text` renders the markup the way a mail client shows it: ``<br>`` and
  block elements become line breaks, ``<p>`` a blank line, a table row one line with its
  cells separated by a tab; entities are decoded; scripts, styles and images are dropped.
  The line-based layouts in :mod:`bridge.parsing.fields` then read that text.
* :func:`table_pairs` walks the innermost table rows and returns ``(label, value)`` pairs
  for the table shapes form plugins use (cell pairs, a label row followed by a value row,
  Gravity Forms' coloured rows with a spacer cell, WPForms' field-name/field-value rows).

No regular expression ever runs over markup; they only touch the extracted text.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag

# Markers survive get_text() and are turned into layout afterwards (private-use code points):
# a <br>, a paragraph edge (<p>, <h1>…), a block edge (<div>, <tr>…) and a cell end.
_NL = "\ue000"
_PARA = "\ue001"
_BLK = "\ue002"
_CELL = "\ue003"
_MARKS = re.compile("[ \ue000-\ue003]*[\ue000-\ue003][ \ue000-\ue003]*")

_DROP = ("script", "style", "head", "title", "img", "noscript", "template", "svg", "iframe",
         "object", "embed", "meta", "link", "button", "input", "select", "textarea")
_BLOCK = ("div", "li", "ul", "ol", "table", "tbody", "thead", "tfoot", "section", "article",
          "header", "footer", "nav", "aside", "address", "dl", "dt", "dd", "center", "form",
          "fieldset", "legend", "caption", "main", "figure", "figcaption")
_PARAGRAPH = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr")
_FILE_NAME = re.compile(r"^[^/\\\s][^/\\]*\.[A-Za-z0-9]{2,5}$")
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")


def _soup(html: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "html.parser")


def _render(node: Tag) -> str:
    """Render one (already detached or whole) subtree to text with the layout markers."""
    for tag in node.find_all(_DROP):
        tag.decompose()
    for text in node.find_all(string=True):
        if not isinstance(text, NavigableString) or text.parent is None:
            continue
        if type(text) is not NavigableString:  # comments, CDATA, doctype, declarations
            text.extract()
            continue
        if text.find_parent("pre") is None:
            collapsed = _WS.sub(" ", str(text))
            if collapsed != text:
                text.replace_with(collapsed)
    for link in node.find_all("a", href=True):
        href = str(link["href"]).strip()
        label = _WS.sub(" ", link.get_text()).strip()
        if re.match(r"https?://", href, re.IGNORECASE) and href != label and (
            not label or _FILE_NAME.search(label) or label.rstrip("/") in href
        ):
            # an upload delivered as a link: the URL is the value, not the file name
            link.replace_with(href)
    for br in node.find_all("br"):
        br.replace_with(_NL)
    for tag in node.find_all(_PARAGRAPH):
        tag.insert_before(_PARA)
        tag.append(_PARA)
    for tag in node.find_all((*_BLOCK, "tr")):
        tag.insert_before(_BLK)
        tag.append(_BLK)
    for tag in node.find_all(("td", "th")):
        tag.append(_CELL)
    return node.get_text()


def _layout(match: re.Match[str]) -> str:
    run = match.group(0)
    if _PARA in run:
        return "\n\n"
    breaks = run.count(_NL)
    if breaks:
        return "\n" * min(breaks, 2)
    if _BLK in run:
        return "\n"
    return "\t"


def _finish(raw: str) -> str:
    """Turn the markers into real line breaks and tidy the spacing."""
    text = _MARKS.sub(_layout, raw)
    lines = [line.strip(" \t") for line in text.split("\n")]
    out = "\n".join(lines)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()


def html_to_text(html: str) -> str:
    """Render HTML as plain text: line breaks where a mail client shows them, entities decoded."""
    if not html:
        return ""
    return _finish(_render(_soup(html)))


def fragment_text(node: Tag) -> str:
    """Text of one element (a table cell), rendered like :func:`html_to_text`, untouched tree."""
    return html_to_text(str(node))


def _is_bold_only(cell: Tag) -> bool:
    """True when all visible text of the cell sits inside <strong>/<b>/<th> (a label cell)."""
    text = _WS.sub(" ", cell.get_text()).strip()
    if not text:
        return False
    if cell.name == "th":
        return True
    bold = " ".join(_WS.sub(" ", b.get_text()).strip() for b in cell.find_all(("strong", "b")))
    return bold.strip() == text


def _looks_label_row(row: Tag, cell: Tag) -> bool:
    classes = " ".join(cell.get("class") or []).lower()
    if "field-name" in classes or "label" in classes:
        return True
    if str(row.get("bgcolor", "")).upper() == "#EAF2FA":
        return True
    return _is_bold_only(cell)


def _direct_cells(row: Tag) -> list[Tag]:
    return [c for c in row.find_all(("td", "th"), recursive=False)]


def table_pairs(html: str, is_label: Callable[[str], bool] = lambda _: False,
                ) -> list[tuple[str, str]]:
    """Label/value pairs from the innermost table rows (and <dl> lists), in document order.

    ``is_label`` tells a known label; it lets a caption row over label/value rows be told
    from column titles over a row of values.
    """
    low = html.lower() if html else ""
    if "<tr" not in low and "<dl" not in low:
        return []
    soup = _soup(html)
    for tag in soup.find_all(_DROP):
        tag.decompose()
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    header: list[str] | None = None
    for row in soup.find_all("tr"):
        if row.find("tr") is not None:  # an outer layout row; its inner rows come later
            continue
        cells = _direct_cells(row)
        texts = [fragment_text(c) for c in cells]
        filled = [(c, t) for c, t in zip(cells, texts, strict=True) if t]
        if header is not None:
            # column titles over one row of values; a caption over label/value rows is not
            if len(texts) == len(header) and len(filled) >= 1 and (
                len(header) > 2 or not is_label(texts[0])
            ):
                pairs.extend((h, t) for h, t in zip(header, texts, strict=True) if h)
                header = None
                continue
            header = None
        if not filled:
            continue
        if len(filled) >= 2:
            if all(c.name == "th" for c, _ in filled):
                header = list(texts)  # a caption row ("Поле | Значение") or column titles
                pending = None
                continue
            pairs.append((filled[0][1], "\n".join(t for _, t in filled[1:])))
            pending = None
            continue
        cell, text = filled[0]
        if pending is not None and not _looks_label_row(row, cell):
            pairs.append((pending, text))
            pending = None
        elif _looks_label_row(row, cell):
            pending = text
        else:
            pending = None
    for dl in soup.find_all("dl"):
        label = None
        for item in dl.find_all(("dt", "dd"), recursive=False):
            if item.name == "dt":
                label = fragment_text(item)
            elif label:
                pairs.append((label, fragment_text(item)))
                label = None
    return pairs


def html_has_structure(html: str) -> bool:
    """True when the HTML carries tables or line breaks that its text alternative may lose."""
    low = html.lower()
    return "<td" in low or "<br" in low or "<p" in low or "<div" in low or "<li" in low
