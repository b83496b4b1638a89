"""Ingest: clean() per MB against reading the same files (the floor), and the
mojibake rule as a compiled pattern against the per-character loop it was."""

from __future__ import annotations

import warnings

from compare import ingest, markers, meta
from compare.ingest import clean, decode, normalize, to_simplified

from common import REALWORLD, SAMPLES, best_of
from tests.oracles import remove_mojibake_loop  # the per-character loop it was


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
    from compare import tagger

    tagger.dictionary()  # jieba's dictionary, for words broken across lines
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
