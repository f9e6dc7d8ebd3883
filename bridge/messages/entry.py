"""One catalogue entry: the same text in English and in Russian."""

from __future__ import annotations

from typing import NamedTuple


class Msg(NamedTuple):
    en: str
    ru: str
