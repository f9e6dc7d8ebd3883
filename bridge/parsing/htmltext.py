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
from collections.abc import Callable, Iterator

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag
from bs4.element import NavigableString, PageElement

from bridge.parsing.tables import bold_by_css, caption_columns, id_row

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
MAX_ROWS = 1000  # a form has tens of fields; a pasted price list is read as text instead
_FILE_NAME = re.compile(r"^[^/\\\s][^/\\]*\.[A-Za-z0-9]{2,5}$")
_WS = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")


def parse_html(html: str) -> BeautifulSoup:
    """Parse HTML once; :func:`html_to_text` and :func:`table_pairs` accept the result."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(html, "html.parser")


def _link_target(link: Tag) -> str | None:
    """The URL to show for an upload delivered as a link (text = file name), else None."""
    href = str(link.get("href") or "").strip()
    if not re.match(r"https?://", href, re.IGNORECASE):
        return None
    label = _WS.sub(" ", link.get_text()).strip()
    if href != label and (not label or _FILE_NAME.search(label) or label.rstrip("/") in href):
        return href
    return None


def _enter(tag: Tag, out: list[str]) -> bool:
    """Emit what opens an element; False when its content is not to be shown."""
    name = tag.name
    if name in _DROP:
        return False
    style = tag.get("style") if tag.attrs else None
    if (style and "display:none" in str(style).replace(" ", "").lower()) or (
        tag.attrs and tag.has_attr("hidden")
    ):
        return False  # a hidden preheader or tracking block
    if name == "br":
        out.append(_NL)
        return False
    if name == "a":
        target = _link_target(tag)
        if target is not None:
            out.append(target)
            return False
    if name in _PARAGRAPH:
        out.append(_PARA)
    elif name in _BLOCK or name == "tr":
        out.append(_BLK)
    return True


def _leave(tag: Tag, out: list[str]) -> None:
    name = tag.name
    if name in _PARAGRAPH:
        out.append(_PARA)
    elif name in _BLOCK or name == "tr":
        out.append(_BLK)
    elif name in ("td", "th"):
        out.append(_CELL)


def _render(node: Tag) -> str:
    """Render a subtree to text with the layout markers, without touching the tree.

    An explicit stack instead of recursion: deep or huge markup costs linear time and
    never hits the recursion limit.
    """
    out: list[str] = []
    if not _enter(node, out):
        return "".join(out)
    stack: list[tuple[Tag, Iterator[PageElement]]] = [(node, iter(node.children))]
    pre = 1 if node.name == "pre" else 0
    while stack:
        tag, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            _leave(tag, out)
            if tag.name == "pre":
                pre -= 1
            continue
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, CDATA or declaration
                out.append(str(child) if pre else _WS.sub(" ", str(child)))
            continue
        if isinstance(child, Tag) and _enter(child, out):
            if child.name == "pre":
                pre += 1
            stack.append((child, iter(child.children)))
    return "".join(out)


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


def html_to_text(html: str | BeautifulSoup) -> str:
    """Render HTML as plain text: line breaks where a mail client shows them, entities decoded."""
    if isinstance(html, str):
        if not html:
            return ""
        html = parse_html(html)
    return _finish(_render(html))


def fragment_text(node: Tag) -> str:
    """Text of one element (a table cell), rendered like :func:`html_to_text`."""
    return _finish(_render(node))


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


_SEPARATOR_CELL = re.compile(r"[:：=\-–—>|]{1,3}")


def table_pairs(html: str | BeautifulSoup, is_label: Callable[[str], bool] = lambda _: False,
                ) -> list[tuple[str, str]]:
    """Label/value pairs from the innermost table rows (and <dl> lists), in document order.

    ``is_label`` tells a known label; it lets a caption row over label/value rows be told
    from column titles over a row of values.
    """
    soup = _table_soup(html)
    if soup is None:
        return []
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    header: list[str] | None = None
    columns: tuple[int, int] | None = None  # label and value columns named by a caption row
    for row in soup.find_all("tr", limit=MAX_ROWS):
        if row.find("tr") is not None:  # an outer layout row; its inner rows come later
            continue
        cells = _direct_cells(row)
        texts = [fragment_text(c) for c in cells]
        caption = caption_columns(texts) if len(texts) >= 2 else None
        if caption is not None:  # "Поле | Значение", "ID | Label | Value": no field
            columns, header, pending = caption, None, None
            continue
        if columns is not None and len(texts) > max(columns) and texts[columns[0]]:
            pairs.append((texts[columns[0]], texts[columns[1]]))
            continue
        wide = id_row(texts, is_label)
        if wide is not None:
            pairs.append(wide)
            pending = None
            continue
        filled = _filled(cells, texts)
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
            if all(c.name == "th" for c, _ in filled) or bold_by_css(row, cells):
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
    return pairs + _dl_pairs(soup)


def _table_soup(html: str | BeautifulSoup) -> BeautifulSoup | None:
    """The parsed document, or None for markup with no table row or list to read."""
    if not isinstance(html, str):
        return html
    low = html.lower()
    return parse_html(html) if "<tr" in low or "<dl" in low else None


def _filled(cells: list[Tag], texts: list[str]) -> list[tuple[Tag, str]]:
    """The cells with text; a cell holding only ':' or a dash between label and value is a
    separator, not a value."""
    filled = [(c, t) for c, t in zip(cells, texts, strict=True) if t]
    if len(filled) >= 3:
        filled = [filled[0], *(f for f in filled[1:-1] if not _SEPARATOR_CELL.fullmatch(f[1])),
                  filled[-1]]
    return filled


def _dl_pairs(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """``<dt>`` label, ``<dd>`` value pairs of the definition lists."""
    pairs: list[tuple[str, str]] = []
    for dl in soup.find_all("dl"):
        label = None
        for item in dl.find_all(("dt", "dd"), recursive=False):
            if item.name == "dt":
                label = fragment_text(item)
            elif label:
                pairs.append((label, fragment_text(item)))
                label = None
    return pairs


_INLINE_STOP = frozenset({"b", "strong", *_BLOCK, *_PARAGRAPH, "tr", "td", "th"})


def bold_pairs(html: str | BeautifulSoup) -> list[tuple[str, str]]:
    """``<b>Label</b> value<br>`` and ``<b>Label</b><br>value`` pairs, in document order.

    The value is the text after the bold label (a line break right after the label is
    skipped) up to the next bold label, a blank line (two breaks) or the end of the
    block; single breaks inside it are kept as line breaks.
    """
    soup = parse_html(html) if isinstance(html, str) else html
    pairs: list[tuple[str, str]] = []
    for bold in soup.find_all(("b", "strong"), limit=MAX_ROWS):
        if bold.find_parent(("b", "strong")) is not None:
            continue
        label = _WS.sub(" ", bold.get_text()).strip()
        if not label or len(label) > 150 or label.endswith(("!", ".", ",")):
            continue  # an emphasised sentence, not a label
        lines: list[str] = [""]
        breaks = 0
        for sib in bold.next_siblings:
            if isinstance(sib, Tag):
                if sib.name == "br":
                    started = any(x.strip(" \t\r\n:\u00a0") for x in lines)
                    breaks += 1
                    if started and breaks >= 2:
                        break
                    if started:
                        lines.append("")
                    continue
                if sib.name in _INLINE_STOP or sib.name in _DROP:
                    break
                text = _finish(_render(sib))
            elif type(sib) is NavigableString:
                text = _WS.sub(" ", str(sib))
            else:
                continue
            if text.strip():
                breaks = 0
            lines[-1] += text
        value = "\n".join(" ".join(x.split()) for x in lines).strip().lstrip(":：").strip()
        if value:
            pairs.append((label, value))
    return pairs
