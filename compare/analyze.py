"""TextRank summaries and keywords, textrank4zh's method computed with
sparse matrices.

textrank4zh (Letian Wang) scores a sentence pair by the number of distinct
words they share over ``log|s1| + log|s2|`` and runs PageRank (damping 0.85)
on that graph; keywords are PageRank over words that co-occur within a
window. Its double Python loop over sentence pairs is quadratic; here the
shared-word counts are one sparse product ``B @ B.T`` and PageRank is the
same power iteration networkx runs, on a scipy sparse matrix.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from scipy import sparse

from .model import Section, Sentence, Speech

# jieba POS tags textrank4zh keeps for keywords (nouns, verbs, idioms …)
KEYWORD_TAGS = frozenset(["an", "i", "j", "l", "n", "nr", "nrfg", "ns", "nt", "nz", "t", "v", "vd", "vn", "eng"])
MIN_SENTENCE_CHARS = 6  # as textrank4zh's get_key_sentences
DAMPING = 0.85
# jieba's HMM guesses words missing from its dictionary; on text it knows
# badly (traditional characters, web junk) that Viterbi pass is over 95% of the
# time (21 s of 21.2 s on the raw web_health page). The dictionary alone
# segments officialese well, so the default leaves it off.
HMM = False
_PLACEHOLDER = re.compile(r"[Xx]+")  # a template's XX is no keyword


@dataclass
class KeySentence:
    text: str
    start: int
    end: int
    score: float
    rank: int  # 1 = most central
    path: str  # outline path, e.g. "二 > （三）"


@dataclass
class Keyword:
    word: str
    score: float


@dataclass
class Summary:
    source: str
    title: str
    date: str
    speaker: str
    sentences: list[KeySentence]  # in document order
    keywords: list[Keyword]
    sections: list["SectionSummary"] = field(default_factory=list)


@dataclass
class SectionSummary:
    path: str
    heading: str
    sentences: list[KeySentence]


# ---------------------------------------------------------------- words


@functools.cache
def _jieba():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # load the dictionary once per process
    return jieba.posseg


@functools.cache
def stopwords() -> frozenset[str]:
    """textrank4zh's stopword list plus this genre's empty words."""
    words = set()
    import textrank4zh

    with open(resources.files(textrank4zh) / "stopwords.txt", encoding="utf-8", errors="ignore") as f:
        words.update(line.strip() for line in f)
    text = (resources.files("compare") / "data" / "stopwords.txt").read_text(encoding="utf-8")
    words.update(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    words.discard("")
    return frozenset(words)


@dataclass
class Tokens:
    """The two word lists textrank4zh derives from one sentence."""

    words: list[str]  # stopwords removed: for sentence similarity and keyword edges
    keyword_candidates: list[str]  # also POS-filtered: keyword vertices


def tokenize(sentences: list[str]) -> list[Tokens]:
    return [_tokens(s) for s in sentences]


@functools.lru_cache(maxsize=1 << 18)
def _tokens(sentence: str) -> Tokens:
    # cached: boilerplate sentences recur across speeches, and segmenting
    # is most of the cost of a summary (callers must not mutate the lists)
    posseg = _jieba()
    stop = stopwords()
    words, candidates = [], []
    for pair in posseg.cut(sentence, HMM=HMM):
        word = pair.word.strip()
        if not word or pair.flag == "x" or word in stop:
            continue
        words.append(word)
        if pair.flag in KEYWORD_TAGS and len(word) > 1 and not word.isdigit() and not _PLACEHOLDER.fullmatch(word):
            candidates.append(word)
    return Tokens(words, candidates)


# ---------------------------------------------------------------- graphs


def pagerank(weights: sparse.spmatrix, damping: float = DAMPING, tol: float = 1e-6, max_iter: int = 100) -> np.ndarray:
    """PageRank of a weighted graph, the iteration of networkx's pagerank
    (uniform teleport, dangling nodes spread uniformly), so scores match."""
    n = weights.shape[0]
    if n == 0:
        return np.zeros(0)
    A = sparse.csr_array(weights, dtype=float)
    out_weight = np.asarray(A.sum(axis=1)).ravel()
    inverse = np.divide(1.0, out_weight, out=np.zeros(n), where=out_weight != 0)
    A = sparse.diags_array(inverse) @ A
    dangling = out_weight == 0
    x = np.full(n, 1.0 / n)
    p = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        last = x
        x = damping * (x @ A + x[dangling].sum() * p) + (1 - damping) * p
        if np.abs(x - last).sum() < n * tol:
            break
    return x


def _incidence(word_lists: list[list[str]]) -> tuple[sparse.csr_array, dict[str, int]]:
    """Sentence x word matrix, 1 where the word occurs in the sentence."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, words in enumerate(word_lists):
        for w in set(words):
            rows.append(i)
            cols.append(vocab.setdefault(w, len(vocab)))
    data = np.ones(len(rows))
    return sparse.csr_array((data, (rows, cols)), shape=(len(word_lists), max(1, len(vocab)))), vocab


def sentence_similarity(word_lists: list[list[str]]) -> sparse.csr_array:
    """textrank4zh's similarity for all pairs at once: shared distinct words
    over log|s1| + log|s2| (0 where nothing is shared or both have one word)."""
    B, _ = _incidence(word_lists)
    shared = (B @ B.T).tocoo()
    log_len = np.log(np.maximum(1, [len(w) for w in word_lists])).astype(float)
    denominator = log_len[shared.row] + log_len[shared.col]
    keep = (shared.data > 0) & (np.abs(denominator) > 1e-12)
    data = shared.data[keep] / denominator[keep]
    n = len(word_lists)
    return sparse.csr_array((data, (shared.row[keep], shared.col[keep])), shape=(n, n))


def rank_sentences(word_lists: list[list[str]], engine: str = "fast") -> np.ndarray:
    """TextRank score of each sentence (``engine="textrank4zh"``: computed
    by the original package, for comparison)."""
    if engine == "textrank4zh":
        scores = np.zeros(len(word_lists))
        for item in _textrank4zh().sort_sentences(sentences=[""] * len(word_lists), words=word_lists):
            scores[item["index"]] = item["weight"]
        return scores
    return pagerank(sentence_similarity(word_lists))


def rank_words(vertex_lists: list[list[str]], edge_lists: list[list[str]], window: int = 2, engine: str = "fast") -> list[Keyword]:
    """TextRank over words: vertices from ``vertex_lists``, an edge between
    vertices within ``window`` of each other in ``edge_lists``."""
    if engine == "textrank4zh":
        ranked = _textrank4zh().sort_words(vertex_lists, edge_lists, window=window)
        return [Keyword(item.word, float(item.weight)) for item in ranked]
    vocab: dict[str, int] = {}
    for words in vertex_lists:
        for w in words:
            vocab.setdefault(w, len(vocab))
    if not vocab:
        return []
    rows, cols = [], []
    for words in edge_lists:
        ids = [vocab.get(w, -1) for w in words]
        for gap in range(1, max(2, window)):
            for a, b in zip(ids, ids[gap:]):
                if a >= 0 and b >= 0:
                    rows += [a, b]
                    cols += [b, a]
    n = len(vocab)
    graph = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    graph.sum_duplicates()
    graph.data[:] = 1.0  # an edge, not a count
    scores = pagerank(graph)
    words = list(vocab)
    order = sorted(range(n), key=lambda i: -scores[i])
    return [Keyword(words[i], float(scores[i])) for i in order]


# ---------------------------------------------------------------- summaries


def outline_path(speech: Speech, offset: int) -> str:
    return " > ".join(sec.label for sec in speech.path_of(offset))


def _is_candidate(sentence: Sentence) -> bool:
    return len(sentence.text) >= MIN_SENTENCE_CHARS and not sentence.text.endswith(("：", ":"))


def key_sentences(
    speech: Speech, sentences: list[Sentence], n: int, tokens: list[Tokens] | None = None, engine: str = "fast"
) -> list[KeySentence]:
    """The ``n`` most central of ``sentences``, in document order."""
    if not sentences:
        return []
    tokens = tokens if tokens is not None else tokenize([s.text for s in sentences])
    scores = rank_sentences([t.words for t in tokens], engine)
    order = sorted(range(len(sentences)), key=lambda i: -scores[i])
    chosen = [i for i in order if _is_candidate(sentences[i])][:n]
    ranked = {i: r for r, i in enumerate(chosen, 1)}
    return [
        KeySentence(s.text, s.start, s.end, float(scores[i]), ranked[i], outline_path(speech, s.start))
        for i, s in enumerate(sentences)
        if i in ranked
    ]


def _section_sentences(section: Section) -> list[Sentence]:
    return sorted((s for sec in section.walk() for s in sec.sentences), key=lambda s: s.start)


def summarize(speech: Speech, n: int = 5, keywords: int = 10, per_section: bool = False, engine: str = "fast") -> Summary:
    """Key sentences and keywords of one speech (and of each top-level
    section with ``per_section``)."""
    sentences = speech.sentences
    tokens = tokenize([s.text for s in sentences])
    summary = Summary(
        source=speech.source,
        title=speech.title,
        date=speech.date,
        speaker=speech.speaker,
        sentences=key_sentences(speech, sentences, n, tokens, engine),
        keywords=rank_words([t.keyword_candidates for t in tokens], [t.words for t in tokens], engine=engine)[:keywords],
    )
    if per_section:
        by_start = {s.start: t for s, t in zip(sentences, tokens)}
        for section in speech.sections:
            own = _section_sentences(section)
            if not own:
                continue
            summary.sections.append(
                SectionSummary(
                    path=section.label if section.level else "（开场）",
                    heading=section.heading,
                    sentences=key_sentences(speech, own, n, [by_start[s.start] for s in own], engine),
                )
            )
    return summary


# ---------------------------------------------------------------- the original package


def textrank4zh_summary(text: str, n: int = 5):
    """textrank4zh end to end, as its README shows it."""
    _textrank4zh()
    from textrank4zh import TextRank4Sentence

    tr = TextRank4Sentence()
    tr.analyze(text=text, lower=True, source="all_filters")
    return tr.get_key_sentences(num=n)


@functools.cache
def _textrank4zh():
    """Import textrank4zh with a shim for networkx 3.

    textrank4zh 0.3 calls ``networkx.from_numpy_matrix``, which networkx 3.0
    removed in favour of ``from_numpy_array`` (same graph from a 2-D array).
    We restore the old name rather than pin networkx below 3.
    """
    import networkx as nx

    if not hasattr(nx, "from_numpy_matrix"):
        nx.from_numpy_matrix = nx.from_numpy_array
    _jieba()
    from textrank4zh import util

    return util
