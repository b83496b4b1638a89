"""The one key rule: what two sentences must share to be "the same text".

Every stage that compares text across speeches goes through here: the pair
diff (``align``), fingerprints and the phrasebook (``corpus``), the corpus
index (``store``). A template's placeholder run (``XX``, ``xx``, ``X``)
becomes one SLOT character, so it matches whatever a city filled in; a key
also drops punctuation and spaces, so web copies that re-punctuate a
sentence still share its key, and turns every number (11.2%, 2020, 1,200)
into the same SLOT: figures are what a speech fills into a frame, never what
makes a sentence boilerplate ("增长11.2%" and "增长8.5%" share the frame
"增长Ⓧ"). ``comparable``/``normalize`` (the pair diff's character form)
slot placeholders only, so a changed figure still shows as a change there.
"""

from __future__ import annotations

import itertools
import re

# A placeholder: a run of X or x that is not part of a Latin word (GDP,
# Xi'an), i.e. ``(?<![A-Za-z])[Xx]+(?![A-Za-z])``. Written to start with the
# character it needs, so the regex engine skips to the next X instead of
# trying a lookbehind at every position (3x faster on sentences; the same
# matches: tests/test_textkey.py holds it to the form above).
PLACEHOLDER = re.compile(r"[Xx](?<![A-Za-z][Xx])[Xx]*(?![A-Za-z])")
# A number as written in this genre: 11.2%, 1,200, 2020, ５０ (any Unicode digit).
NUMBER = re.compile(r"\d+(?:[.,．]\d+)*(?:[%％‰])?")
# Either of them (``PLACEHOLDER|NUMBER``), in the same starts-with-its-character
# form: one X/x or digit, then the rest of a number after a digit, else the
# rest of a placeholder.
_SLOTTED = re.compile(r"[Xx\d](?:(?<=\d)\d*(?:[.,．]\d+)*[%％‰]?|(?<![A-Za-z][Xx])[Xx]*(?![A-Za-z]))")
SLOT = "\u24cd"  # Ⓧ: one character standing for a placeholder run (and, in keys, a number)
_NOT_KEY = re.compile(r"[^\w\u24cd]|_")  # keep letters, digits, CJK and the placeholder slot


def comparable(text: str) -> str:
    """Comparison form of ``text``: each placeholder run becomes one SLOT."""
    return PLACEHOLDER.sub(SLOT, text)


def normalize(text: str, numbers: bool = False) -> tuple[str, list[tuple[int, int]] | None]:
    """``comparable(text)`` (with ``numbers``, numbers slotted too) and, for
    each of its characters, the span it covers in ``text`` (None when every
    character is itself)."""
    pattern = _SLOTTED if numbers else PLACEHOLDER
    if not pattern.search(text):
        return text, None
    out, spans, pos = [], [], 0
    for m in pattern.finditer(text):
        out.append(text[pos:m.start()])
        spans.extend(zip(range(pos, m.start()), range(pos + 1, m.start() + 1)))
        out.append(SLOT)
        spans.append((m.start(), m.end()))
        pos = m.end()
    out.append(text[pos:])
    spans.extend(zip(range(pos, len(text)), range(pos + 1, len(text) + 1)))
    return "".join(out), spans


class Normalized(dict):
    """``normalize(texts[i])[0]`` by position, each computed the first time
    it is asked for: a sentence is a candidate of many others (the pair
    diff's matcher, the phrasebook's wordings), normalized once.
    ``texts``: anything indexable by position."""

    def __init__(self, texts):
        super().__init__()
        self.texts = texts

    def __missing__(self, i: int) -> str:
        value = self[i] = normalize(self.texts[i])[0]
        return value


def key(text: str) -> str:
    """What two sentences must share to be the same sentence: placeholders
    and numbers as SLOT, punctuation and spaces dropped. (``key_spans`` is
    the same rule with offsets; this one is the fingerprint hot path.)"""
    return _NOT_KEY.sub("", _SLOTTED.sub(SLOT, text))


# Between texts keyed at once (``keys``): a character the key keeps
# (\w, so one _NOT_KEY pass leaves it to split on) that ends any number or
# placeholder before it and starts none after it, as the end and start of
# a text do: no digit, none of a number's [.,．%％‰], no X or x, and no
# ASCII letter, the only letters the placeholder's look-arounds read. A
# Cyrillic letter no Chinese text uses; a batch that holds it is keyed text
# by text.
_BETWEEN = "\ua66e"  # ꙮ


def keys(texts: list[str]) -> list[str]:
    """``[key(t) for t in texts]`` over all of them joined: one regex pass
    for the slots and one table lookup for the dropped characters, not two
    regex passes per text (a synthetic speech's ~150 units: 0.68 -> 0.18
    ms; the fingerprint of every speech a corpus reads keys each unit)."""
    joined = _BETWEEN.join(texts)
    if joined.count(_BETWEEN) != len(texts) - 1:  # (a text holds it)
        return [key(t) for t in texts]
    return _kept_characters(_SLOTTED.sub(SLOT, joined)).split(_BETWEEN)


# Whether the key keeps each character (``_NOT_KEY`` reads one character at
# a time, no context): 0 not yet asked, 1 kept, 2 dropped; filled as texts
# bring characters (one process meets a few thousand).
_KEEPS = None


def _kept_characters(text: str) -> str:
    """``_NOT_KEY.sub("", text)``: the characters looked up in a table by
    code point instead of a regex match for every dropped one (a speech's
    6,500 characters: 0.3 -> 0.05 ms)."""
    global _KEEPS
    import numpy as np

    try:
        codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
    except UnicodeEncodeError:  # a lone surrogate
        return _NOT_KEY.sub("", text)
    table = _KEEPS
    if table is None:  # (one table for this call even if another thread makes one too: a thread's writes are its own)
        table = _KEEPS = np.zeros(0x110000, dtype=np.uint8)
    known = table[codes]
    if not known.all():
        for c in np.unique(codes[known == 0]).tolist():
            table[c] = 2 if _NOT_KEY.match(chr(c)) else 1
        known = table[codes]
    return codes[known == 1].tobytes().decode("utf-32-le")


def _kept(text: str) -> tuple[str, bytearray, list[tuple[int, int]] | None]:
    """``normalize(text, numbers=True)``, which of its characters the key
    keeps (the dropped ones found by one regex pass, each match one
    character) and the normalized characters' spans."""
    norm, spans = normalize(text, numbers=True)
    keep = bytearray(b"\x01") * len(norm)
    for m in _NOT_KEY.finditer(norm):
        keep[m.start()] = 0
    return norm, keep, spans


def key_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``key(text)`` and, for each of its characters, its span in ``text``.
    (The kept characters are taken with ``itertools.compress``, not a match
    per character.)"""
    norm, keep, spans = _kept(text)
    kept = itertools.compress(range(len(norm)), keep)
    if spans is None:
        return "".join(itertools.compress(norm, keep)), [(i, i + 1) for i in kept]
    return "".join(itertools.compress(norm, keep)), [spans[i] for i in kept]


_DROP_TO_KEEP = bytes([1]) + bytes(255)  # bytes.translate table: a dropped character (1) -> 0, a kept one (0) -> 1


class KeySpans:
    """Where runs of ``key(text)`` lie in ``text``, without a span per
    character (the corpus maps every reused run of every sentence back to
    its text): ``KeySpans(text).span(a, b)`` is the span of ``key[a:b]``,
    ``key_spans(text)[1][a][0]`` to ``key_spans(text)[1][b - 1][1]``."""

    def __init__(self, text: str):
        # Which characters of ``text`` stand for a key character: the first
        # character of each number or placeholder (its SLOT; the rest of the
        # match stands for nothing) and every other character the key keeps.
        # The same choice as ``key_spans`` (a property test holds them
        # together), taken from two regex passes over the text instead of a
        # span per character (the corpus asks this of every sentence with a
        # reused run: 8 s of a 3,000-speech report).
        drop = bytearray(len(text))
        self._ends: dict[int, int] = {}  # a slot's first character -> the end of its match
        for m in _SLOTTED.finditer(text):
            start, end = m.span()
            self._ends[start] = end
            drop[start + 1 : end] = b"\x01" * (end - start - 1)
        for m in _NOT_KEY.finditer(text):  # (never a slot's first character: a digit or X)
            drop[m.start()] = 1
        self._kept = list(itertools.compress(range(len(text)), drop.translate(_DROP_TO_KEEP)))

    def span(self, start: int, end: int) -> tuple[int, int]:
        first, last = self._kept[start], self._kept[end - 1]
        return first, self._ends.get(last, last + 1)
