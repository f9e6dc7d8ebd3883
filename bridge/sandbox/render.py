"""What a person sees of a lead's COMMENTS on a current portal (a model of the core).

Modelled on the core's ``Bitrix\\Crm\\Entity\\CommentsHelper::normalizeComment`` (applied on
save through the legacy REST methods) and ``Bitrix\\Crm\\Format\\TextHelper``
(``convertHtmlToBbCode``, ``sanitizeBbCode``, ``convertBbCodeToHtml`` with NL2BR); see
docs/bitrix24.md "How text renders". Simplified: only the HTML tags a form could carry
(``br``, ``b i u s``, ``a``) are converted; every other tag is stripped.
"""

from __future__ import annotations

import html
import re

# sanitizeBbCode's whitelist, less "user" and "disk file id" (removed for comments)
BB_WHITELIST = ("b", "i", "u", "s", "list", r"\*", "img", "url")
_BB_FOREIGN = re.compile(r"\[(/?)(?!\b(?:" + "|".join(BB_WHITELIST) + r")\b)\w+\b[^\]]*\]", re.I)
_BB_ANY = re.compile(r"\[(/?)(b|i|u|s|list|\*|img|url)(=[^\]]*)?\]", re.I)
_LIVE = re.compile(r"\[(url|img)(?:=([^\]]*))?\]([^\[]*)", re.I)


def _specialchars_back(text: str) -> str:
    """PHP htmlspecialchars_decode: only &amp; &quot; &#039; &lt; &gt;."""
    for ent, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#039;", "'"),
                    ("&amp;", "&")):
        text = text.replace(ent, ch)
    return text


def _strip_tags(text: str) -> str:
    """PHP strip_tags, roughly: "<" followed by a non-space starts a tag up to ">"."""
    return re.sub(r"<(?=\S)[^>]*(>|$)", "", text)


def _specialchars(text: str) -> str:
    """htmlspecialcharsbx: & " ' < > escaped, double encoding on."""
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#039;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def normalize_comment(text: str) -> str:
    """COMMENTS as a current portal stores it after a REST save (BB code, escaped)."""
    text = text.replace("&#39;", "'")
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    text = re.sub(r"<(/?)(b|i|u|s)>", r"[\1\2]", text, flags=re.I)
    text = re.sub(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>", r"[URL=\1]", text, flags=re.I)
    text = re.sub(r"</a>", "[/URL]", text, flags=re.I)
    text = _specialchars(_strip_tags(_specialchars_back(text)))
    text = _BB_FOREIGN.sub("", text)
    return text.replace("&amp;#91;", "&#91;").replace("&amp;#93;", "&#93;")


def displayed(stored: str) -> tuple[str, list[str]]:
    """(the text a person reads, the links/images the card would render) of stored BB code."""
    live = [m.group(2) or m.group(3) for m in _LIVE.finditer(stored)]
    text = _BB_ANY.sub("", stored)
    return html.unescape(text), live


__all__ = ["displayed", "normalize_comment"]
