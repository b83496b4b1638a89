"""Ingest: clean() per MB against reading the same files (the floor), and the
mojibake rule as a compiled pattern against the per-character loop it was."""

from __future__ import annotations

import re
import warnings

from compare import ingest, markers, meta
from compare.ingest import CJK, PINYIN_REMNANT, PRIVATE_USE, char_frequency, clean, decode, normalize, to_simplified

from common import REALWORLD, SAMPLES, best_of


def remove_mojibake_loop(text: str) -> str:
    """remove_mojibake as it was: one Python step per character."""
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


def cold_clean(texts: list[str]) -> list[str]:
    """clean() each text with the per-line shape caches emptied first, as a
    fresh process would (best-of-3 must not time cache hits)."""
    for cached in (ingest.is_prose, meta.is_title, meta.is_subtitle, meta.is_date_line, meta.is_standalone,
                   meta.speaker_of, markers.match_marker):
        cached.cache_clear()
    return [clean(t) for t in texts]


def run() -> None:
    paths = sorted(REALWORLD.glob("*.txt")) + sorted(SAMPLES.glob("*.txt"))
    blobs = [p.read_bytes() for p in paths]
    megabytes = sum(map(len, blobs)) / 1e6
    warnings.simplefilter("ignore", ingest.DecodeWarning)

    def read_and_split():
        return [decode(b).split("\n") for b in blobs]

    texts = [decode(b) for b in blobs]
    clean(texts[0])  # dictionaries and converters loaded outside the timings
    ingest._segmenter().initialize()
    t_floor, _ = best_of(3, read_and_split)
    t_clean, _ = best_of(3, cold_clean, texts)

    lines = [to_simplified(x) for t in texts for x in normalize(t).split("\n")]
    t_loop, before = best_of(3, lambda: [remove_mojibake_loop(x) for x in lines])
    t_pattern, after = best_of(3, lambda: [ingest.remove_mojibake(x) for x in lines])
    assert before == after, "the compiled pattern must remove exactly what the loop removed"

    print(f"## Ingest: {len(paths)} real files ({megabytes:.2f} MB), best of 3\n")
    print("| step | s | s/MB | ratio to floor |")
    print("|---|---:|---:|---:|")
    print(f"| floor: decode + split lines | {t_floor:.3f} | {t_floor / megabytes:.3f} | 1x |")
    print(f"| clean() | {t_clean:.2f} | {t_clean / megabytes:.2f} | {t_clean / t_floor:.0f}x |")
    print()
    print(f"remove_mojibake on {len(lines)} lines: per-character loop {t_loop:.3f} s, "
          f"compiled pattern {t_pattern:.3f} s ({t_loop / t_pattern:.0f}x), identical output\n")
