"""bytes -> ParsedForm: parsing as the pipeline sees it, in the stages its modules name.

Only re-exports live here; :func:`parse_message` is :mod:`bridge.parsing.extract`. The stages:

1. decode the bytes: MIME structure, charsets, files, auto-submitted detection
   (:mod:`~bridge.parsing.mime`; big parts without copies: :mod:`~bridge.parsing.bigparts`);
2. strip inline forwards (:mod:`~bridge.parsing.forwards`);
3. read the layouts (:mod:`~bridge.parsing.colon`, :mod:`~bridge.parsing.layouts`,
   :mod:`~bridge.parsing.htmltext`, over :mod:`~bridge.parsing.textlines`);
4. merge the readings (:mod:`~bridge.parsing.merge`);
5. interpret the values (:mod:`~bridge.parsing.fields`, then the client's name, e-mail and
   phones: :mod:`~bridge.parsing.client`, :mod:`~bridge.parsing.phones`);
6. decide the kind of mail (:mod:`~bridge.parsing.kind`, :mod:`~bridge.parsing.parties`,
   :mod:`~bridge.parsing.unread`).

Hostile input is tolerated in one documented way: :mod:`~bridge.parsing.tolerate`.
"""

from __future__ import annotations

from bridge.errors import ParseError
from bridge.parsing.extract import parse_doc, parse_message
from bridge.parsing.kind import is_spam

__all__ = ["ParseError", "is_spam", "parse_doc", "parse_message"]
