"""Plain reference implementations that tests (and benchmarks, as their
baselines) hold the fast code to."""

from __future__ import annotations

import re

from compare.ingest import CJK, PINYIN_REMNANT, PRIVATE_USE, char_frequency


def remove_mojibake_loop(text: str) -> str:
    """The per-character loop remove_mojibake was, kept as the oracle."""
    freq = char_frequency()

    def is_junk(ch: str) -> bool:
        if ch.isascii():
            return not (ch.isdigit() or ch.isspace() or ch in "x“”")
        if PRIVATE_USE.match(ch):
            return True
        if "\u4e00" <= ch <= "\u9fff":
            return freq.get(ch, 0) < 2000
        return ch in "€¤¨¦§°±"

    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if PRIVATE_USE.match(ch):
            i += 1
            continue
        m = PINYIN_REMNANT.match(text, i) if ch == "?" else None
        if ch == "?" and (m or i > 0 and re.match(f"[{CJK}，、,。;；?]", text[i - 1])):
            j = m.end() if m else i + 1
            k = j
            while k < n and k - j < 10 and is_junk(text[k]):
                k += 1
            if m or k > j or (j < n and text[j] in "，、。"):
                i = k
                continue
        out.append(ch)
        i += 1
    return "".join(out)
