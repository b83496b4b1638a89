"""Speed benchmarks, as ratios against a baseline run in the same process.

    make bench            # all
    python benchmarks/run.py textrank diff corpus

Figures are wall times on this machine; record them in benchmarks/README.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import compare
from compare import analyze
from compare.ingest import read_text
from compare.model import Speech
from compare.outline import parse_outline

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def textrank4zh_end_to_end(text: str):
    """textrank4zh as its README runs it: key sentences and keywords."""
    analyze._textrank4zh()
    from textrank4zh import TextRank4Keyword, TextRank4Sentence

    sentences = TextRank4Sentence()
    sentences.analyze(text=text, lower=True, source="no_stop_words")
    keywords = TextRank4Keyword()
    keywords.analyze(text=text, lower=True, window=2)
    return sentences.get_key_sentences(num=5), keywords.get_keywords(10)


def bench_textrank() -> None:
    analyze._jieba()  # load jieba's dictionary once, outside the timings
    analyze._textrank4zh()
    cases: list[tuple[str, Speech]] = []
    for path in sorted(SAMPLES.glob("*.txt")):
        for speech in compare.load(path):
            cases.append((speech.source, speech))
    raw = read_text(SAMPLES / "web_health_speeches_trad.txt")
    page = Speech("", "", "", "web_health_speeches_trad.txt (whole raw page)", raw, parse_outline(raw))
    cases.append((page.source, page))

    print("## TextRank: textrank4zh vs speechdiff's engine (key sentences + keywords, same text)\n")
    print("| speech | chars | sentences | textrank4zh s | speechdiff s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, speech in cases:
        t_base, _ = timed(textrank4zh_end_to_end, speech.text)
        t_ours, _ = timed(analyze.summarize, speech, 5, 10)
        print(f"| {name} | {len(speech.text)} | {len(speech.sentences)} | {t_base:.2f} | {t_ours:.3f} | {t_base / t_ours:.0f}x |", flush=True)
    print()


BENCHES = {"textrank": bench_textrank}


def main(argv: list[str]) -> None:
    names = argv or list(BENCHES)
    for name in names:
        BENCHES[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
