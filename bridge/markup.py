"""Client text made inert for what the portal renders (docs/bitrix24.md "How text renders").

A lead's ``COMMENTS`` is stored as BB code on a current portal: the REST save turns HTML into
BB code, strips other tags, HTML-escapes the text and keeps only the whitelisted BB tags
(``[B] [I] [U] [S] [LIST] [*] [IMG] [URL]``); the card renders it back to HTML with line
breaks (NL2BR). The core notes that ``[`` and ``]`` can be written literally only as the
entities ``&#91;`` and ``&#93;``. Older portals keep COMMENTS as sanitised HTML. So:

* :func:`comments_text` (COMMENTS): ``& < >`` as entities (shown once, never ``&amp;amp;``,
  on both kinds of portal), ``[ ]`` as ``&#91; &#93;`` (no client BB tag survives), line
  breaks left as ``\\n``;
* :func:`plain_text` (TITLE, NAME, other string fields, file names in the bridge's own
  timeline comments): no entities (these are shown as text), but a zero-width space after any
  ``[`` or ``<`` that would open a tag, so no BB or HTML tag can form where such text is
  rendered as markup (activity stream, timeline).
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
_BB_OPEN = re.compile(r"\[(?=\s*/?\s*[A-Za-z*])")
_TAG_OPEN = re.compile(r"<(?=\s*[/!?A-Za-z])")


def plain_text(text: str) -> str:
    """A plain string field: every tag opener (``[URL``, ``[/B``, ``<a``) broken by U+200B."""
    return _TAG_OPEN.sub("<" + ZWSP, _BB_OPEN.sub("[" + ZWSP, text))


def comments_text(text: str) -> str:
    """COMMENTS: HTML-escaped once, brackets as the entities BB code reads literally."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("[", "&#91;").replace("]", "&#93;"))


__all__ = ["ZWSP", "comments_text", "plain_text"]
