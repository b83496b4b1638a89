"""compare.tagger against jieba.posseg itself: the vectorized dictionary
tagger must give jieba's words and tags (HMM off), and the Tokenizer built
on it the Tokens jieba's tagger gives through the same filters."""

from __future__ import annotations

import functools
from pathlib import Path

import jieba
import jieba.posseg
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import compare
from compare import analyze, tagger

ROOT = Path(__file__).resolve().parent.parent


def jieba_pairs(sentence: str, tokenizer=None) -> list[tuple[str, str]]:
    """jieba's own output, without what lies outside the han blocks (jieba
    tags that ``x`` one character or space run at a time)."""
    cut = (tokenizer or jieba.posseg.dt).cut(sentence, HMM=False)
    return [(p.word, p.flag) for p in cut if tagger.HAN_BLOCK.fullmatch(p.word)]


def tagged_pairs(sentences: list[str], dic=None) -> list[list[tuple[str, str]]]:
    blocks, owner = [], []
    for i, sentence in enumerate(sentences):
        found = tagger.HAN_BLOCK.findall(sentence)
        blocks += found
        owner += [i] * len(found)
    tagged = tagger.tag_blocks(blocks, dic)
    out = [[] for _ in sentences]
    for b, i in enumerate(owner):
        out[i] += tagged.pairs(b)
    return out


def oracle_tokens(sentence: str) -> analyze.Tokens:
    """The per-sentence filter over jieba.posseg the Tokenizer was (HMM off)."""
    stop = analyze.stopwords()
    words, candidates = [], []
    for pair in jieba.posseg.cut(sentence, HMM=False):
        word = pair.word.strip()
        if not word or pair.flag == "x" or word in stop:
            continue
        words.append(word)
        if analyze._is_candidate(word, pair.flag):
            candidates.append(word)
    return analyze.Tokens(words, candidates)


@functools.cache
def corpus_sentences() -> list[str]:
    paths = sorted((ROOT / "samples").glob("*.txt")) + sorted((ROOT / "tests" / "realworld").glob("*.txt"))
    return list(dict.fromkeys(s.text for p in paths for speech in compare.load(p) for s in speech.sentences))


def test_every_sentence_of_the_corpus_tagged_as_jieba_tags_it():
    sentences = corpus_sentences()
    assert len(sentences) > 20_000
    ours = tagged_pairs(sentences)
    differ = [s for s, mine in zip(sentences, ours) if mine != jieba_pairs(s)]
    assert not differ, differ[:3]


def test_tokenizer_gives_the_tokens_of_jieba_through_the_filters():
    sentences = corpus_sentences()[::7]
    got = analyze.Tokenizer(cache_size=0, processes=1).tokenize(sentences)
    assert got == [oracle_tokens(s) for s in sentences]


def test_batches_cut_into_chunks_give_the_same_words(monkeypatch):
    sentences = corpus_sentences()[:400]
    whole = tagged_pairs(sentences)
    monkeypatch.setattr(tagger, "CHUNK_CHARS", 64)  # many chunks, cut between blocks; a longer block alone
    assert tagged_pairs(sentences) == whole


# characters jieba treats differently: Chinese in and out of its dictionary
# (and outside \u4E00-\u9FD5), ASCII letters and digits (joined into ``eng``
# runs), the other characters its walk sees (+#&._), punctuation and spaces
# (outside blocks), a placeholder's X
ALPHABET = list("国务院政府工作报告经济发展改革开放坚持稳中求进总基调安康市县区乡镇龘鿕鿖") + list(
    "aAbZx09XX+#&._，。、；：！？（）《》 \t\n\u3000-%％·")
PIECES = ["高质量发展", "中国特色社会主义", "GDP", "5G", "3.5%", "2023年", "XX市", "C++", "一带一路", "A股"]


@settings(max_examples=300)
@given(st.lists(st.one_of(st.sampled_from(ALPHABET), st.sampled_from(PIECES)), max_size=40).map("".join))
def test_generated_text_tagged_as_jieba_tags_it(text):
    assert tagged_pairs([text]) == [jieba_pairs(text)]


@settings(max_examples=60)
@given(st.lists(st.lists(st.one_of(st.sampled_from(ALPHABET), st.sampled_from(PIECES)), max_size=12).map("".join),
                max_size=8))
def test_tokenizer_of_generated_sentences_matches_the_oracle(sentences):
    assert analyze.Tokenizer(cache_size=0).tokenize(sentences) == [oracle_tokens(s) for s in sentences]


@pytest.fixture
def small_jieba(tmp_path):
    """A jieba with a dictionary of a few words (and their prefixes)."""
    lines = ["中国 500 ns", "中国人 80 n", "人民 300 n", "人民政府 120 nt", "政府 400 n", "国人 5 n",
             "工作 600 vn", "报告 500 n", "工作报告 90 n", "民 20 ng", "人 900 n", "府 3 ng", "A 9 eng"]
    path = tmp_path / "dict.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tokenizer = jieba.Tokenizer(dictionary=str(path))
    tokenizer.initialize()
    return jieba.posseg.POSTokenizer(tokenizer)


TEXTS = ["中国人民政府工作报告", "人民中国人", "国人工作", "AA人民A1", "政府府民", "中国人民政府政府工作"]


def test_any_dictionary_given_is_followed(small_jieba):
    dic = tagger.Dictionary.of_jieba(small_jieba.tokenizer.FREQ, small_jieba.tokenizer.total, small_jieba.word_tag_tab)
    assert tagged_pairs(TEXTS, dic) == [jieba_pairs(t, small_jieba) for t in TEXTS]


def test_hash_collisions_never_change_a_word(small_jieba, monkeypatch):
    # every hash cut to 2 bits: most keys collide with others, and every
    # lookup must walk past colliding keys to the one that spells the fragment
    whole = tagger._Hasher.__call__
    monkeypatch.setattr(tagger._Hasher, "__call__", lambda self, a, b: whole(self, a, b) & np.uint64(3))
    dic = tagger.Dictionary.of_jieba(small_jieba.tokenizer.FREQ, small_jieba.tokenizer.total, small_jieba.word_tag_tab)
    assert tagged_pairs(TEXTS, dic) == [jieba_pairs(t, small_jieba) for t in TEXTS]


def test_nothing_to_tag():
    assert tagged_pairs([]) == []
    assert tagged_pairs(["，。 ！", ""]) == [[], []]
    assert analyze.Tokenizer().tokenize(["", "。"]) == [analyze.Tokens([], []), analyze.Tokens([], [])]


def test_cache_keeps_the_most_recently_used():
    tok = analyze.Tokenizer(cache_size=2)
    tok.tokenize(["甲乙", "丙丁"])
    tok.tokenize(["甲乙"])  # used again: 丙丁 is now the oldest
    tok.tokenize(["戊己"])
    assert list(tok._cache) == ["甲乙", "戊己"]
    info = tok.cache_info()
    assert (info.hits, info.misses, info.maxsize, info.currsize) == (1, 3, 2, 2)
    assert analyze.Tokenizer(cache_size=0).tokenize(["甲乙"]) and analyze.Tokenizer(cache_size=0).cache_info().currsize == 0


@pytest.fixture
def fresh_dictionary(monkeypatch, tmp_path):
    """``tagger.dictionary()`` built or read anew, its cache file in tmp_path."""
    path = tmp_path / "cache" / "dictionary.npz"
    path.parent.mkdir()
    monkeypatch.setattr(tagger, "_cache_path", lambda: str(path))
    tagger.dictionary.cache_clear()
    yield path
    tagger.dictionary.cache_clear()  # later tests read the default cache again


def test_the_indexed_dictionary_is_saved_and_read_back_the_same(fresh_dictionary):
    built = tagger.dictionary()
    assert fresh_dictionary.exists()
    tagger.dictionary.cache_clear()
    loaded = tagger.dictionary()
    assert loaded is not built and loaded.text == built.text and loaded.tag_names == built.tag_names
    for name in tagger.Dictionary.ARRAYS:
        a, b = getattr(loaded, name), getattr(built, name)
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), name
    sentences = corpus_sentences()[::50]
    assert tagged_pairs(sentences, loaded) == tagged_pairs(sentences, built) == [jieba_pairs(s) for s in sentences]


def test_a_damaged_cache_is_rebuilt(fresh_dictionary):
    fresh_dictionary.write_bytes(b"PK\x03\x04 not a zip at all")
    dic = tagger.dictionary()
    assert tagged_pairs(["政府工作报告"], dic) == [jieba_pairs("政府工作报告")]
    tagger.dictionary.cache_clear()
    assert tagger.Dictionary.load(str(fresh_dictionary)).text == dic.text  # and saved again, whole


def test_a_cache_that_cannot_be_written_is_skipped(fresh_dictionary, monkeypatch):
    def unwritable(*args, **kwargs):  # what mkstemp raises in a read-only folder (root ignores modes)
        raise PermissionError(13, "Permission denied", str(fresh_dictionary.parent))

    monkeypatch.setattr(tagger.tempfile, "mkstemp", unwritable)
    dic = tagger.dictionary()
    assert tagged_pairs(["政府工作报告"], dic) == [jieba_pairs("政府工作报告")]
    assert not fresh_dictionary.exists() and not list(fresh_dictionary.parent.iterdir())


def breaks_a_word_with_jieba(a: str, b: str) -> bool:
    """ingest._breaks_a_word as it was, on jieba.lcut (HMM off)."""
    import re

    from compare.ingest import CJK

    left, right = a[-3:], b[:3]
    if not (re.match(f"[{CJK}]", left[-1:]) and re.match(f"[{CJK}]", right[:1])):
        return False
    pos = 0
    for word in jieba.lcut(left + right, HMM=False):
        if pos < len(left) < pos + len(word):
            return True
        pos += len(word)
    return False


LINE_ENDS = st.lists(st.one_of(st.sampled_from(ALPHABET + list("干部职工公共卫生服务%-㐀豈")), st.sampled_from(PIECES)),
                     max_size=5).map("".join)


@settings(max_examples=300)
@given(LINE_ENDS, LINE_ENDS)
def test_a_word_broken_across_lines_is_found_as_jieba_finds_it(a, b):
    from compare.ingest import _breaks_a_word

    assert _breaks_a_word(a, b) == breaks_a_word_with_jieba(a, b)


def test_broken_words_of_the_corpus_found_as_jieba_finds_them():
    from compare.ingest import _breaks_a_word

    sentences = corpus_sentences()[::25]
    cuts = [(s[:i], s[i:]) for s in sentences for i in range(3, len(s) - 3, 9)]
    assert len(cuts) > 2_000
    assert [_breaks_a_word(a, b) for a, b in cuts] == [breaks_a_word_with_jieba(a, b) for a, b in cuts]


def test_rejoined_lines_the_same_with_the_checks_made_in_one_batch(monkeypatch):
    from compare import ingest

    paths = sorted((ROOT / "samples").glob("*.txt")) + sorted((ROOT / "tests" / "realworld").glob("*.txt"))
    texts = [ingest.decode(p.read_bytes()) for p in paths]
    batched = [ingest.clean(t) for t in texts]
    one_by_one = ingest._breaks_a_word
    asked = []

    def alone(a, b, known=None):
        asked.append((a, b))
        return one_by_one(a, b)

    monkeypatch.setattr(ingest, "_breaks_a_word", alone)
    assert [ingest.clean(t) for t in texts] == batched
    assert len(asked) > 100  # the check matters on these files
