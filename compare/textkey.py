"""The one key rule: what two sentences must share to be "the same text".

Every stage that compares text across speeches goes through here: the pair
diff (``align``), fingerprints and the phrasebook (``corpus``), the corpus
index (``store``). A template's placeholder run (``XX``, ``xx``, ``X``)
becomes one SLOT character, so it matches whatever a city filled in; a key
also drops punctuation and spaces, so web copies that re-punctuate a
sentence still share its key.
"""

from __future__ import annotations

import re

# A placeholder: a run of X or x that is not part of a Latin word (GDP, Xi'an).
PLACEHOLDER = re.compile(r"(?<![A-Za-z])[Xx]+(?![A-Za-z])")
SLOT = "\u24cd"  # Ⓧ: one character standing for a placeholder run
_NOT_KEY = re.compile(r"[^\w\u24cd]|_")  # keep letters, digits, CJK and the placeholder slot


def comparable(text: str) -> str:
    """Comparison form of ``text``: each placeholder run becomes one SLOT."""
    return PLACEHOLDER.sub(SLOT, text)


def normalize(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """``comparable(text)`` with, for each of its characters, the span it
    covers in ``text`` (None when that is the character itself)."""
    if not PLACEHOLDER.search(text):
        return text, None
    out, spans, pos = [], [], 0
    for m in PLACEHOLDER.finditer(text):
        out.append(text[pos:m.start()])
        spans.extend((i, i + 1) for i in range(pos, m.start()))
        out.append(SLOT)
        spans.append((m.start(), m.end()))
        pos = m.end()
    out.append(text[pos:])
    spans.extend((i, i + 1) for i in range(pos, len(text)))
    return "".join(out), spans


def key(text: str) -> str:
    """What two sentences must share to be the same sentence: the
    comparable form without punctuation and spaces. (``key_spans`` is the
    same rule with offsets; this one is the fingerprint hot path.)"""
    return _NOT_KEY.sub("", comparable(text))


def key_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``key(text)`` and, for each of its characters, its span in ``text``."""
    norm, spans = normalize(text)
    kept = [i for i, ch in enumerate(norm) if not _NOT_KEY.match(ch)]
    return "".join(norm[i] for i in kept), [spans[i] if spans else (i, i + 1) for i in kept]
