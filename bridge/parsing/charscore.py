"""How plausible decoded text is as Russian or Western language: the charset sniffer's score.

Cyrillic charsets decode each other's bytes without errors, so :mod:`bridge.parsing.charsets`
chooses among them by :func:`text_score` of what each makes of the 8-bit lines
(:func:`sample_8bit`), best first by :func:`rank`.
"""

from __future__ import annotations

import math
import re

# Russian letter frequencies (per cent): real text is made of о, е, а, и, н, т...;
# mojibake of another Cyrillic charset is heavy in ю, я, ъ, щ, ф.
_FREQ = {
    "о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.70, "т": 6.26, "с": 5.47, "р": 4.73,
    "в": 4.54, "л": 4.40, "к": 3.49, "м": 3.21, "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01,
    "ы": 1.90, "ь": 1.74, "г": 1.70, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97,
    "ж": 0.94, "ш": 0.73, "ю": 0.64, "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04,
    "ё": 0.04,
}
_UKR = set("іїєґўІЇЄҐЎ")
_WORD = re.compile(r"[^\W\d_]+")
_NEUTRAL = set(" \t\r\n.,:;!?-()\"'/@+0123456789«»—–№%*#=_&<>[]{}|\\~`$^")


_STRAY_NUMERO = re.compile(r"№(?![ \t]?\d)")


def _letter_score(ch: str) -> float:
    low = ch.lower()
    if low in _FREQ:
        return max(-0.8, min(1.3, 0.3 + math.log10(_FREQ[low])))
    if "a" <= low <= "z":
        return 1.0
    if ch in _UKR:
        return -0.3
    if "\u0400" <= ch <= "\u04ff":
        return -3.0  # Serbian/Macedonian letters: mojibake in Russian mail
    return 0.3  # accented Latin (é, ü, ß)


def text_score(text: str) -> float:
    """Plausibility of ``text`` as natural language: high for ordinary words, low for mojibake.

    Cyrillic charsets decode each other's bytes without errors, so the choice rests on
    shape: frequent letters, words in one script, case that does not flip inside a word
    (KOI8-R read as cp1251 gives "ъБКБЪ"), no controls or box drawing.
    """
    score = 0.0
    for word in _WORD.findall(text):
        cyr = lat = 0
        prev_lower = False
        for ch in word:
            score += _letter_score(ch)
            if "\u0400" <= ch <= "\u04ff":
                cyr += 1
            else:
                lat += 1
            if ch.isupper() and prev_lower:
                score -= 2.0  # case flip inside a word
            prev_lower = ch.islower()
        if cyr and lat:
            score -= 3.0  # "GrьЯe": Latin and Cyrillic mixed inside one word
        if word.islower() or word.istitle():
            score += 0.5
        elif len(word) > 1 and not word.isupper():
            score -= 2.0  # "ыСЙХМ": no real word is shaped like that
    for ch in text:
        if ch in _NEUTRAL or ch.isalpha():
            continue
        o = ord(ch)
        if o < 32 or 0x80 <= o < 0xA0 or 0x2500 <= o < 0x2600 or ch == "\ufffd":
            score -= 3.0  # controls, box drawing: never in form mail
        else:
            score -= 1.0  # symbols (¤, ¦, ©, ±, ...) typical of mojibake
    # "№" stands before a number; inside a word it is mojibake ("M№ller": cp866 for "ü")
    score -= 3.0 * len(_STRAY_NUMERO.findall(text))
    return score


def sample_8bit(data: bytes, limit: int = 32768) -> bytes:
    """Up to ``limit`` bytes of the lines that carry 8-bit bytes (the ones that decide)."""
    if len(data) <= limit:
        return data
    picked: list[bytes] = []
    size = 0
    for line in data.split(b"\n"):
        if max(line, default=0) >= 0x80:
            picked.append(line)
            size += len(line) + 1
            if size >= limit:
                break
    return b"\n".join(picked) or data[:limit]


def rank(sample: bytes, candidates: tuple[str, ...]) -> list[tuple[float, str]]:
    """Candidates that decode ``sample`` strictly, best score first (ties: list order)."""
    ranked = []
    for i, cand in enumerate(candidates):
        try:
            t = sample.decode(cand)
        except UnicodeDecodeError:
            continue
        ranked.append((text_score(t), -i, cand))
    ranked.sort(reverse=True)
    return [(sc, cand) for sc, _, cand in ranked]
