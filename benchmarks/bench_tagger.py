"""POS tagging: compare.tagger (jieba's dictionary tagging as numpy arrays)
against jieba.posseg.cut(HMM=False), the baseline, on the same sentences in
the same process, best of 3; the outputs must be identical.

Sentences: every distinct sentence of samples/ and tests/realworld/, tagged
two ways: all in one batch, and one batch per speech (what a report does);
and the first start of a process: jieba's own loading against reading the
tagger's index from its cache file.
"""

from __future__ import annotations

import time

import jieba
import jieba.posseg

import compare
from compare import analyze, tagger

from common import REALWORLD, SAMPLES, best_of


def _jieba_pairs(sentences: list[str]) -> list[list[tuple[str, str]]]:
    return [[(p.word, p.flag) for p in jieba.posseg.cut(s, HMM=False) if tagger.HAN_BLOCK.fullmatch(p.word)]
            for s in sentences]


def _tagged_pairs(sentences: list[str]) -> list[list[tuple[str, str]]]:
    blocks, owner = [], []
    for i, s in enumerate(sentences):
        found = tagger.HAN_BLOCK.findall(s)
        blocks += found
        owner += [i] * len(found)
    tagged = tagger.tag_blocks(blocks)
    out = [[] for _ in sentences]
    for b, i in enumerate(owner):
        out[i] += tagged.pairs(b)
    return out


def run() -> None:
    paths = sorted(SAMPLES.glob("*.txt")) + sorted(REALWORLD.glob("*.txt"))
    speeches = [s for p in paths for s in compare.load(p)]
    per_speech = [list(dict.fromkeys(x.text for x in s.sentences)) for s in speeches]
    sentences = list(dict.fromkeys(x for batch in per_speech for x in batch))
    chars = sum(map(len, sentences))

    start = time.perf_counter()
    jieba.setLogLevel(60)
    jieba.initialize()
    jieba.posseg.dt.word_tag_tab  # noqa: B018 - its tags, loaded with the module
    jieba_start = time.perf_counter() - start
    tagger.dictionary.cache_clear()
    start = time.perf_counter()
    tagger.dictionary()
    index_start = time.perf_counter() - start

    t_jieba, theirs = best_of(3, _jieba_pairs, sentences)
    t_batch, ours = best_of(3, _tagged_pairs, sentences)
    assert ours == theirs, "the tagger must give jieba's words and tags"
    t_speech, _ = best_of(3, lambda: [analyze._tag_sentences(b) for b in per_speech])

    print(f"## POS tagging: {len(sentences):,} distinct sentences ({chars:,} characters), best of 3\n")
    print("| tagger | s | ratio to jieba.posseg |")
    print("|---|---:|---:|")
    print(f"| jieba.posseg.cut(HMM=False) (baseline) | {t_jieba:.2f} | 1x |")
    print(f"| compare.tagger, one batch | {t_batch:.2f} | {t_jieba / t_batch:.1f}x faster |")
    print(f"| Tokenizer path, one batch per speech ({len(per_speech)} speeches, filters included) | "
          f"{t_speech:.2f} | {t_jieba / t_speech:.1f}x faster |")
    print(f"\nidentical words and tags; a process' first use: jieba's loading {jieba_start:.2f} s, "
          f"the tagger's index from its cache file {index_start:.2f} s\n")
