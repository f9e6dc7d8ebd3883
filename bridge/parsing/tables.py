"""Tables wider than label | value: a caption row names which column is which.

Hand-written handlers and form services print rows such as ``№ | Поле | Значение``,
``ID | Label | Value``, ``Поле | Значение | Обяз. | Тип`` or a ``Question | Answer`` header
(often bold only by CSS, so not a ``<th>``). Such a caption row is no field: it tells the
label column and the value column, and the other columns (a running number, an id, a
"required" flag, a type) are not part of the value. Without a caption, a row whose first
cell is only an id or a number and whose second cell is a known label reads as
``second | third``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_LABEL_WORDS = frozenset({
    "поле", "название поля", "название", "параметр", "вопрос", "field", "field name",
    "label", "question", "name of field",
})
_VALUE_WORDS = frozenset({
    "значение", "ответ", "данные", "value", "answer", "response", "data",
})
_OTHER_WORDS = frozenset({
    "№", "#", "n", "no", "id", "key", "ключ", "код", "тип", "type", "обяз", "обяз.",
    "обязательное", "обязательно", "required", "req", "порядок", "order", "",
})
_ID_CELL = re.compile(r"^(?:\d{1,4}[.)]?|[a-z][a-z0-9]*(?:[_-][a-z0-9]+)+|#\d+)$", re.IGNORECASE)


def _word(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(":* ")


def caption_columns(texts: list[str]) -> tuple[int, int] | None:
    """``(label column, value column)`` when the row is a caption row, else None."""
    words = [_word(t) for t in texts]
    label = next((i for i, w in enumerate(words) if w in _LABEL_WORDS), None)
    value = next((i for i, w in enumerate(words) if w in _VALUE_WORDS), None)
    if label is None or value is None or label == value:
        return None
    if not all(w in _LABEL_WORDS or w in _VALUE_WORDS or w in _OTHER_WORDS for w in words):
        return None
    return label, value


def id_row(texts: list[str], is_label: Callable[[str], bool]) -> tuple[str, str] | None:
    """``(label, value)`` of a row ``id | label | value …`` without a caption row."""
    cells = [t for t in texts if t]
    if len(cells) >= 3 and _ID_CELL.match(cells[0]) and not is_label(cells[0]) \
            and is_label(cells[1]):
        return cells[1], cells[2]
    return None


_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(?:bold|bolder|[6-9]00)", re.IGNORECASE)


def bold_by_css(row: object, cells: Sequence[object]) -> bool:
    """A row whose cells are all bold by a ``style`` (on the row or on every cell): column
    titles, like a row of ``<th>``."""
    def styled(tag: object) -> bool:
        get = getattr(tag, "get", None)
        if not callable(get):
            return False
        return _BOLD_STYLE.search(str(get("style", "") or "")) is not None

    return len(cells) >= 2 and (styled(row) or all(styled(c) for c in cells))
