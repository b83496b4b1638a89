"""TextRank: textrank4zh against speechdiff's engine on the same text."""

from __future__ import annotations

import compare
from compare import analyze
from compare.ingest import read_text
from compare.model import Speech
from compare.outline import parse_outline

from common import SAMPLES, timed


def textrank4zh_end_to_end(text: str):
    """textrank4zh as its README runs it: key sentences and keywords."""
    analyze._textrank4zh()
    from textrank4zh import TextRank4Keyword, TextRank4Sentence

    sentences = TextRank4Sentence()
    sentences.analyze(text=text, lower=True, source="no_stop_words")
    keywords = TextRank4Keyword()
    keywords.analyze(text=text, lower=True, window=2)
    return sentences.get_key_sentences(num=5), keywords.get_keywords(10)


def run() -> None:
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
        analyze._tokens.cache_clear()  # time the segmenting too, as textrank4zh does it
        t_ours, _ = timed(analyze.summarize, speech, 5, 10)
        print(f"| {name} | {len(speech.text)} | {len(speech.sentences)} | {t_base:.2f} | {t_ours:.3f} | {t_base / t_ours:.0f}x |", flush=True)
    print()


