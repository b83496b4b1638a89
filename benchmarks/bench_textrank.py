"""TextRank: textrank4zh against speechdiff's engine on the same text, and
what the speed is made of.

For each speech (and the whole raw web_health page):

* textrank4zh 0.3 end to end (key sentences + keywords, as its README runs
  it; jieba's HMM on, its default), once: the baseline;
* speechdiff: ``TextRank().summarize`` (5 key sentences, 10 keywords) with a
  fresh ``Tokenizer`` (empty cache, so segmenting is timed too), HMM off as
  by default, best of 3;
* speechdiff with ``Tokenizer(hmm=True)``: the same segmentation textrank4zh
  does, so textrank4zh / this is the algorithm's own gain, best of 3;
* the jieba floor: ``jieba.lcut`` of the same text (HMM off, and on), best of
  3: segmenting alone, which any TextRank on jieba's words must pay.
"""

from __future__ import annotations

import jieba

import compare
from compare import analyze
from compare.ingest import read_text
from compare.model import Speech
from compare.outline import parse_outline

from common import SAMPLES, best_of, timed


def textrank4zh_end_to_end(text: str):
    """textrank4zh as its README runs it: key sentences and keywords."""
    analyze._textrank4zh()
    from textrank4zh import TextRank4Keyword, TextRank4Sentence

    sentences = TextRank4Sentence()
    sentences.analyze(text=text, lower=True, source="no_stop_words")
    keywords = TextRank4Keyword()
    keywords.analyze(text=text, lower=True, window=2)
    return sentences.get_key_sentences(num=5), keywords.get_keywords(10)


def speechdiff(speech: Speech, hmm: bool):
    """The default summary with an empty token cache (a new Tokenizer)."""
    return analyze.TextRank(tokenizer=analyze.Tokenizer(hmm=hmm)).summarize(speech, 5, 10)


def run() -> None:
    analyze._jieba()  # load jieba's dictionary once, outside the timings
    analyze._textrank4zh()
    analyze.stopwords()
    cases: list[tuple[str, Speech]] = []
    for path in sorted(SAMPLES.glob("*.txt")):
        for speech in compare.load(path):
            cases.append((speech.source, speech))
    raw = read_text(SAMPLES / "web_health_speeches_trad.txt")
    page = Speech("", "", "", "web_health_speeches_trad.txt (whole raw page)", raw, parse_outline(raw))
    cases.append((page.source, page))
    speechdiff(cases[0][1], True)  # warm jieba's HMM tables too

    print("## TextRank: textrank4zh vs speechdiff's engine (key sentences + keywords, same text)\n")
    print("| speech | chars | sentences | textrank4zh s | speechdiff s | ratio | speechdiff HMM on s | "
          "ratio HMM on | jieba lcut s (HMM off / on) | speechdiff / lcut |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    totals = [0.0] * 6
    for name, speech in cases:
        t_base, _ = timed(textrank4zh_end_to_end, speech.text)
        t_ours, _ = best_of(3, speechdiff, speech, False)
        t_hmm, _ = best_of(3, speechdiff, speech, True)
        t_floor, _ = best_of(3, lambda: jieba.lcut(speech.text, HMM=False))
        t_floor_hmm, _ = best_of(3, lambda: jieba.lcut(speech.text, HMM=True))
        if speech is not page:
            for i, t in enumerate((t_base, t_ours, t_hmm, t_floor, t_floor_hmm)):
                totals[i] += t
        print(
            f"| {name} | {len(speech.text)} | {len(speech.sentences)} | {t_base:.2f} | {t_ours:.3f} | "
            f"{t_base / t_ours:.0f}x | {t_hmm:.3f} | {t_base / t_hmm:.0f}x | {t_floor:.3f} / {t_floor_hmm:.3f} | "
            f"{t_ours / t_floor:.1f}x |",
            flush=True,
        )
    t_base, t_ours, t_hmm, t_floor, t_floor_hmm, _ = totals
    print(
        f"| all {len(cases) - 1} speeches | | | {t_base:.2f} | {t_ours:.3f} | {t_base / t_ours:.0f}x | {t_hmm:.3f} | "
        f"{t_base / t_hmm:.0f}x | {t_floor:.3f} / {t_floor_hmm:.3f} | {t_ours / t_floor:.1f}x |"
    )
    print()
