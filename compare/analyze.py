"""TextRank summaries and keywords: textrank4zh's method, kept sparse and
near-linear on any text.

textrank4zh (Letian Wang) scores a sentence pair by the number of distinct
words they share over ``log|s1| + log|s2|`` and runs PageRank (damping 0.85)
on that graph; keywords are PageRank over words that co-occur within a
window. Its double Python loop over sentence pairs is quadratic. Here:

* identical sentences (same distinct words, same word count: their rows of
  the similarity matrix are identical) are one node carrying a multiplicity,
  and PageRank is run on the merged graph in a form that gives every member
  exactly the score the unmerged graph gives it (see ``pagerank``);
* while the graph is cheap (``TextRank.exact_graph_limit``) the similarity
  matrix is built explicitly, one sparse product ``B @ B.T``;
* past that it is never built: PageRank only needs the product of the
  matrix with a vector, and that product factors through the sentence x word
  incidence matrix ``B`` (see ``_FactoredSimilarity``), so each iteration
  costs O(words in the text) whatever the density of the graph (17-19% of all
  pairs in this genre, which made the explicit graph quadratic);
* POS tagging (jieba's dictionary tagging, computed a speech at a time by
  ``tagger``) runs once per distinct sentence (``Tokenizer``'s cache).

Settings are constructor arguments of ``Tokenizer`` and ``TextRank``; the
module-level functions (``summarize``, ``tokenize``, ``key_sentences``,
``rank_words`` …) use default instances.
"""

from __future__ import annotations

import collections
import functools
import importlib.util
import itertools
import logging
import math
import numbers
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Sequence

import numpy as np
from scipy import sparse

from . import arrays, tagger
from .model import Section, Sentence, Speech

# jieba POS tags textrank4zh keeps for keywords (nouns, verbs, idioms …)
KEYWORD_TAGS = frozenset(["an", "i", "j", "l", "n", "nr", "nrfg", "ns", "nt", "nz", "t", "v", "vd", "vn", "eng"])
MIN_SENTENCE_CHARS = 6  # as textrank4zh's get_key_sentences
DAMPING = 0.85
ENGINES = ("fast", "textrank4zh")
# Where the explicit similarity graph stops being cheap, in shared-word
# incidences: sum over words of (distinct sentences holding the word)^2, the
# work of the sparse product B @ B.T and an upper bound on its non-zeros.
# Measured on prefixes of real text (benchmarks/README.md, TextRank switch
# point): up to ~50k (20k characters) both paths take 0.01 s; at ~200k
# (~900 distinct sentences, 50k characters) the explicit graph takes 0.03 s
# and 11 MB against 0.03 s and 1 MB; past that it grows with the square of
# the text (100k characters: 0.1 s, 40 MB; 300k: 1.6 s, 413 MB) while the
# factored path stays linear (0.02 s, 0.18 s). 108 of the 109 development
# speeches stay on the explicit graph, textrank4zh's own arithmetic; the
# factored path gives the same scores (to 1e-13 relative; 9e-15 measured on
# those speeches), so the limit is a speed setting, not an accuracy one.
EXACT_GRAPH_LIMIT = 200_000
# Entrywise relative error allowed in the factored kernel 1/(log|s1|+log|s2|):
# far below the 1e-6 tolerance of the PageRank iteration itself.
KERNEL_RTOL = 1e-13
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


# ---------------------------------------------------------------- validation


def _check_bool(owner: str, name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}({name}=...) must be True or False, not {value!r}")
    return value


def _check_int(owner: str, name: str, value, minimum: int, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = "an integer or None" if allow_none else "an integer"
        raise TypeError(f"{owner}({name}=...) must be {kind}, not {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}({name}={value!r}) must be at least {minimum}")
    return int(value)


def _check_float(owner: str, name: str, value, low: float, high: float, *, closed_high: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"{owner}({name}=...) must be a number, not {value!r}")
    inside = low < value <= high if closed_high else low < value < high
    if not inside:
        bracket = "]" if closed_high else ")"
        raise ValueError(f"{owner}({name}={value!r}) must lie in ({low:g}, {high:g}{bracket}")
    return float(value)


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
    # Located, not imported: importing textrank4zh pulls in networkx, which
    # only the textrank4zh engine needs (0.6 s of a cold start).
    spec = importlib.util.find_spec("textrank4zh")
    folder = spec.submodule_search_locations[0] if spec and spec.submodule_search_locations else None
    if folder is None:  # pragma: no cover - textrank4zh is a core dependency
        raise ImportError("textrank4zh is not installed; its stopword list is needed")
    with open(os.path.join(folder, "stopwords.txt"), encoding="utf-8", errors="ignore") as f:
        words.update(line.strip() for line in f)
    text = (resources.files("compare") / "data" / "stopwords.txt").read_text(encoding="utf-8")
    words.update(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    words.discard("")
    return frozenset(words)


# Sentences in one call above which tagging is shared among processes. A
# speech has 50-500 sentences (the largest development file ~2,000): forking
# costs ~0.05 s and pickling the results back ~0.1 s per 10,000 sentences,
# which pays off from a few thousand sentences (~0.2 s of tagging per core).
# So speeches and corpus runs stay in one process; only a very long text
# (a whole year's reports pasted into one file) is split.
PARALLEL_ABOVE = 4000


@dataclass
class Tokens:
    """The two word lists textrank4zh derives from one sentence."""

    words: list[str]  # stopwords removed: for sentence similarity and keyword edges
    keyword_candidates: list[str]  # also POS-filtered: keyword vertices


class Tokenizer:
    """jieba's POS tagger with textrank4zh's filters, one cached result per
    distinct sentence.

    ``hmm``: let jieba's HMM guess words missing from its dictionary. On text
    it knows badly (traditional characters, web junk) that Viterbi pass is
    over 95% of the time (21 s of 21.2 s on the raw web_health page); the
    dictionary alone segments officialese well, so it is off by default, and
    then the sentences of one call are tagged together by ``tagger``
    (jieba's dictionary tagging, computed with numpy: same words and tags,
    3-4x faster, and jieba itself is never loaded). With ``hmm=True`` each
    sentence goes through jieba.
    ``cache_size``: distinct sentences remembered, least recently used
    forgotten first (``None``: unbounded, ``0``: no cache). Boilerplate
    recurs across speeches. Cached ``Tokens`` are shared: callers must not
    mutate their lists.
    ``processes``: processes that tag one very long call (more than
    ``parallel_above`` sentences); ``None``: the cores this process may use,
    ``1``: never fork. Results are identical either way.
    """

    def __init__(self, hmm: bool = False, cache_size: int | None = 1 << 18, processes: int | None = None,
                 parallel_above: int = PARALLEL_ABOVE):
        self.hmm = _check_bool("Tokenizer", "hmm", hmm)
        self.cache_size = _check_int("Tokenizer", "cache_size", cache_size, 0, allow_none=True)
        self.processes = _check_int("Tokenizer", "processes", processes, 1, allow_none=True)
        self.parallel_above = _check_int("Tokenizer", "parallel_above", parallel_above, 1)
        self._cache: collections.OrderedDict[str, Tokens] = collections.OrderedDict()
        self._hits = self._misses = 0

    def __repr__(self) -> str:
        return (f"Tokenizer(hmm={self.hmm!r}, cache_size={self.cache_size!r}, processes={self.processes!r}, "
                f"parallel_above={self.parallel_above!r})")

    def tokens(self, sentence: str) -> Tokens:
        return self.tokenize([sentence])[0]

    def tokenize(self, sentences: Sequence[str]) -> list[Tokens]:
        for sentence in sentences:
            if not isinstance(sentence, str):
                raise TypeError(f"Tokenizer.tokens() takes a str, not {type(sentence).__name__}")
        cache = self._cache
        missing = [s for s in dict.fromkeys(sentences) if s not in cache]
        made = dict(zip(missing, self._make(missing)))
        self._misses += len(missing)
        self._hits += len(sentences) - len(missing)
        out = []
        for sentence in sentences:
            found = made.get(sentence)
            if found is None:
                found = cache[sentence]
                cache.move_to_end(sentence)
            out.append(found)
        if self.cache_size != 0:
            cache.update(made)
            while self.cache_size is not None and len(cache) > self.cache_size:
                cache.popitem(last=False)
        return out

    def _make(self, sentences: list[str]) -> list[Tokens]:
        """Tokens of distinct sentences not in the cache."""
        if self.hmm:
            return [self._tokens_hmm(s) for s in sentences]
        processes = self._processes_for(sentences)
        if processes < 2:
            return _tag_sentences(sentences)
        # One long text (a 1M-character file: 23,000 sentences): its
        # sentences are tagged in forked children that inherit the loaded
        # dictionary, in contiguous chunks so each child's work is even. The
        # results are the same objects (same function, same settings).
        step = -(-len(sentences) // (processes * 4))
        chunks = [sentences[i : i + step] for i in range(0, len(sentences), step)]
        stopwords(), tagger.dictionary()  # loaded once here, inherited by every child
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(processes) as pool:
            done = pool.map(_tag_sentences, chunks)
        return list(itertools.chain.from_iterable(done))

    def _processes_for(self, sentences: Sequence[str]) -> int:
        """How many processes tag ``sentences``: 1 unless there are more than
        ``parallel_above`` of them, this machine has more than one core
        (``processes=None``: all of them), and this process may fork
        children (not on Windows or macOS's spawn-only setups, not inside a
        daemonic pool worker such as a Dask nanny's)."""
        if len(sentences) <= self.parallel_above or self.processes == 1:
            return 1
        import multiprocessing

        if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
            return 1
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(self.processes or available, available))

    def cache_clear(self) -> None:
        self._cache.clear()
        self._hits = self._misses = 0

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, self.cache_size, len(self._cache))

    def _tokens_hmm(self, sentence: str) -> Tokens:
        posseg = _jieba()
        stop = stopwords()
        words, candidates = [], []
        for pair in posseg.cut(sentence, HMM=True):
            word = pair.word.strip()
            if not word or pair.flag == "x" or word in stop:
                continue
            words.append(word)
            if _is_candidate(word, pair.flag):
                candidates.append(word)
        return Tokens(words, candidates)


CacheInfo = collections.namedtuple("CacheInfo", "hits misses maxsize currsize")


def _is_candidate(word: str, flag: str) -> bool:
    """textrank4zh's keyword vertex filter (of a kept word)."""
    return flag in KEYWORD_TAGS and len(word) > 1 and not word.isdigit() and not _PLACEHOLDER.fullmatch(word)


_DROP, _KEEP, _CANDIDATE = 1, 2, 3  # a word's filter code (0: not yet known)


def _filter(word: str, flag: str) -> int:
    if flag == "x" or word in stopwords():
        return _DROP
    return _CANDIDATE if _is_candidate(word, flag) else _KEEP


@dataclass(eq=False)
class _KeyWords:
    """Each dictionary key's text and filter code, filled as keys are met
    (one per process: a batch looks up what earlier batches worked out)."""

    text: np.ndarray  # object: the key's str, None until met
    code: np.ndarray  # int8: its filter code, 0 until met


@functools.cache
def _key_words(dic: tagger.Dictionary) -> _KeyWords:
    return _KeyWords(np.empty(len(dic), dtype=object), np.zeros(len(dic), dtype=np.int8))


def _tag_sentences(sentences: list[str]) -> list[Tokens]:
    """Tokens of sentences, tagged together by ``tagger`` (no HMM). jieba
    tags everything outside the han blocks ``x`` (punctuation, spaces),
    which is never kept, so a sentence's words are its blocks' words."""
    if not sentences:
        return []
    blocks: list[str] = []
    counts = []
    for sentence in sentences:
        found = tagger.HAN_BLOCK.findall(sentence)
        blocks.extend(found)
        counts.append(len(found))
    tagged = tagger.tag_blocks(blocks)
    size = len(tagged.dictionary)
    known = _key_words(tagged.dictionary)
    ids = arrays.unique(tagged.word)
    new = ids[(ids < size) & (known.code[np.minimum(ids, size - 1)] == 0)]
    for k in new.tolist():
        word, flag = tagged.pair(k)
        known.text[k], known.code[k] = word, _filter(word, flag)
    inside = tagged.word < size
    code = np.empty(len(tagged.word), dtype=np.int8)
    text = np.empty(len(tagged.word), dtype=object)
    code[inside] = known.code[tagged.word[inside]]
    text[inside] = known.text[tagged.word[inside]]
    others = (tagged.word[~inside] - size).tolist()  # words no key spells: few
    code[~inside] = [_filter(*tagged.extra[w]) for w in others]
    text[~inside] = [tagged.extra[w][0] for w in others]
    bounds = tagged.offsets[np.r_[0, np.cumsum(counts, dtype=np.int64)]]  # each sentence's first word
    lists = []
    for chosen in (code >= _KEEP, code == _CANDIDATE):
        words = text[chosen].tolist()
        at = np.r_[0, np.cumsum(chosen)][bounds].tolist()
        lists.append([words[a:b] for a, b in zip(at[:-1], at[1:])])
    return [Tokens(w, c) for w, c in zip(*lists)]


TOKENIZER = Tokenizer()  # the default every module-level function uses


def tokenize(sentences: list[str]) -> list[Tokens]:
    return TOKENIZER.tokenize(sentences)


# ---------------------------------------------------------------- graphs

# Scores this close are one score: PageRank stops at an L1 change of
# n * 1e-6, and the merged, factored and explicit computations of one graph
# differ in the last bits, so order among such ties must not come from
# rounding. They keep document order instead.
TIE_RTOL = 1e-9


def descending(scores: np.ndarray, rtol: float = TIE_RTOL) -> np.ndarray:
    """Indices by decreasing score; a run of scores each within ``rtol``
    (relative) of the one before counts as tied and keeps index order."""
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    if len(order) < 2:
        return order
    ranked = scores[order]
    gap = ranked[:-1] - ranked[1:]  # >= 0
    breaks = np.concatenate(([0], np.cumsum(gap > rtol * np.abs(ranked[:-1]))))
    # within a run (same break count) by index; runs in decreasing score
    return order[np.lexsort((order, breaks))]


def pagerank(
    weights,
    damping: float = DAMPING,
    tol: float = 1e-6,
    max_iter: int = 100,
    multiplicity: np.ndarray | None = None,
    symmetric: bool = False,
) -> np.ndarray:
    """PageRank of a weighted graph, the iteration of networkx's pagerank
    (uniform teleport, dangling nodes spread uniformly), so scores match.

    ``weights``: a sparse matrix, or for a symmetric graph any object with a
    ``matvec(v)`` (the product weights @ v) and a ``shape``.
    ``symmetric``: the sparse matrix is its own transpose, stored in
    canonical form (sorted, no duplicates), so its transpose's CSR arrays
    are its own and the product needs no transposed copy.

    ``multiplicity``: node g stands for ``m[g]`` identical nodes (same
    weights to every other node, so the same score). With ``n = m.sum()``
    nodes in the unmerged graph, PageRank there is

        x_i = (1-d)/n + d * sum_j x_j W_ji / out_j + d/n * sum_{j dangling} x_j,
        out_j = sum_k W_jk.

    Summing it over the members of each group, with ``y_g = m_g x_g`` the
    group's total score and ``out_h = sum_g W_hg m_g``:

        y_g = m_g * [ (1-d)/n + d * sum_h (y_h / out_h) W_hg + d/n * sum_{h dangling} y_h ]

    which is what the loop below iterates. It starts from ``y = m/n`` (the
    unmerged ``x = 1/n``) and stops when ``sum_g |y_g - y'_g| < n * tol``,
    which equals networkx's ``sum_i |x_i - x'_i| < n * tol`` because the
    members of a group move together; so each iterate, the stopping step and
    the returned ``x_g = y_g / m_g`` are those of the unmerged graph, up to
    rounding.
    """
    n_nodes = weights.shape[0]
    if n_nodes == 0:
        return np.zeros(0)
    if multiplicity is None:
        m = np.ones(n_nodes)
    else:
        m = np.asarray(multiplicity, dtype=float)
    n = float(m.sum())
    if hasattr(weights, "matvec"):
        product = weights.matvec  # symmetric: v @ W == W @ v
        out_weight = product(m)
    else:
        W = sparse.csr_array(weights, dtype=float)
        WT = W if symmetric else W.T.tocsr()
        product = _csr_product(WT)  # v @ W == W.T @ v
        out_weight = W @ m
    dangling = out_weight <= 0
    inverse = np.divide(1.0, out_weight, out=np.zeros(n_nodes), where=~dangling)
    y = m / n
    if not dangling.any():  # (the same sum, 0.0, without a selection each step)
        dangling = slice(0, 0)
    for _ in range(max_iter):
        last = y
        y = m * (damping * product(y * inverse) + (damping * y[dangling].sum() + (1 - damping)) / n)
        if np.abs(y - last).sum() < n * tol:
            break
    return y / m


def _csr_product(matrix: sparse.csr_array):
    """``matrix @ v`` for a vector: scipy's own kernel (csr_matvec) called
    directly, the bits of ``@`` without its checks and dispatch (~60% of
    each product's time on a speech's graph, PageRank's loop makes tens of
    them); ``@`` itself where the kernel is not found."""
    try:
        from scipy.sparse._sparsetools import csr_matvec
    except ImportError:  # pragma: no cover - a scipy that moved it
        return matrix.__matmul__
    rows, cols = matrix.shape
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data

    def product(v: np.ndarray) -> np.ndarray:
        out = np.zeros(rows)
        csr_matvec(rows, cols, indptr, indices, data, v, out)
        return out

    return product


@dataclass
class _Groups:
    """Sentences merged by their word multiset's similarity signature."""

    index: np.ndarray  # group of each sentence
    multiplicity: np.ndarray  # sentences per group
    incidence: sparse.csr_array  # group x word, 1 where the word occurs
    lengths: np.ndarray  # words per sentence of the group (with repeats), as textrank4zh's len()

    @property
    def work(self) -> int:
        """sum over words of (groups holding it)^2: the cost (and a bound on
        the non-zeros) of the explicit product B @ B.T."""
        df = np.diff(self.incidence.tocsc().indptr).astype(np.int64)
        return int((df * df).sum())


def _group(word_lists: Sequence[Sequence[str]], merge: bool = True) -> _Groups:
    """Merge sentences whose similarity rows are identical.

    textrank4zh's similarity of two sentences reads only each one's set of
    distinct words and its word count, so sentences agreeing on both are
    interchangeable nodes: (count, sorted distinct words) is the key.
    ``merge=False``: every sentence its own group (the unmerged graph).
    """
    keys: dict[tuple, int] = {}
    index = np.empty(len(word_lists), dtype=np.int64)
    rows: list[list[str]] = []
    lengths: list[int] = []
    for i, words in enumerate(word_lists):
        distinct = sorted(set(words))
        key = (len(words), tuple(distinct)) if merge else i
        g = keys.get(key)
        if g is None:
            g = keys[key] = len(rows)
            rows.append(distinct)
            lengths.append(len(words))
        index[i] = g
    # word ids in first-seen order; the loops run in C (dict.fromkeys, map)
    vocab = {w: i for i, w in enumerate(dict.fromkeys(itertools.chain.from_iterable(rows)))}
    cols = np.fromiter(map(vocab.__getitem__, itertools.chain.from_iterable(rows)), dtype=np.int64)
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    incidence = sparse.csr_array((np.ones(len(cols)), cols, indptr), shape=(len(rows), max(1, len(vocab))))
    multiplicity = np.bincount(index, minlength=len(rows)).astype(float)
    return _Groups(index, multiplicity, incidence, np.asarray(lengths, dtype=float))


def _explicit_similarity(B: sparse.csr_array, lengths: np.ndarray) -> sparse.csr_array:
    """textrank4zh's similarity for all pairs at once: shared distinct words
    over log|s1| + log|s2| (0 where nothing is shared or both have one word).
    Self-similarity is kept, as textrank4zh fills the diagonal too."""
    shared = sparse.csr_array(B @ B.T)
    shared.sort_indices()  # (each row by column: the canonical matrix a COO round trip gave, built directly)
    n = B.shape[0]
    row = np.repeat(np.arange(n), np.diff(shared.indptr))
    log_len = np.log(np.maximum(1, lengths)).astype(float)
    denominator = log_len[row] + log_len[shared.indices]
    keep = (shared.data > 0) & (np.abs(denominator) > 1e-12)
    data = shared.data[keep] / denominator[keep]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(row[keep], minlength=n))))
    return sparse.csr_array((data, shared.indices[keep], indptr), shape=(n, n))


def sentence_similarity(word_lists: list[list[str]]) -> sparse.csr_array:
    """The explicit similarity matrix of ``word_lists`` (one row a sentence)."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, words in enumerate(word_lists):
        for w in set(words):
            rows.append(i)
            cols.append(vocab.setdefault(w, len(vocab)))
    B = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(word_lists), max(1, len(vocab))))
    return _explicit_similarity(B, np.array([len(w) for w in word_lists], dtype=float))


def _cauchy_factor(x: np.ndarray, rtol: float) -> np.ndarray:
    """``F`` with ``F @ F.T`` ~ ``1 / (x[:, None] + x[None, :])`` entrywise
    within relative error ``rtol`` (all ``x > 0``).

    The kernel 1/(a+b) is positive definite for a, b > 0 (it is the Gram
    matrix of the functions t -> exp(-a t)) and numerically of low rank
    (~15 for this genre's lengths). Pivoted Cholesky builds the factor one
    column at a time. Loop invariant: ``resid[i]`` is the diagonal of the
    residual K - F F^T, which stays positive semidefinite, so every residual
    entry is bounded by ``sqrt(resid[i] * resid[j]) <= max(resid)``. Stopping
    when ``max(resid) <= rtol * min(K)`` therefore bounds every entry's
    relative error by ``rtol``; ``min(K) = 1 / (2 max(x))``.
    """
    resid = 1.0 / (2.0 * x)
    bound = rtol / (2.0 * x.max())
    columns: list[np.ndarray] = []
    while len(columns) < len(x):
        p = int(np.argmax(resid))
        if resid[p] <= bound:
            break
        column = 1.0 / (x + x[p])
        for c in columns:
            column -= c * c[p]
        column /= math.sqrt(resid[p])
        columns.append(column)
        resid = resid - column * column
        resid[p] = 0.0  # exactly reproduced from now on; guards against rounding
    return np.column_stack(columns) if columns else np.zeros((len(x), 0))


class _FactoredSimilarity:
    """The similarity matrix of the merged sentences as an operator, never
    built: ``matvec(v)`` is ``S @ v``.

    S_ij = shared_ij * K(i, j), shared = B B^T (B: group x word incidence)
    and K(i, j) = 1 / (log len_i + log len_j), zero when both are 0. Split the
    groups into ``M`` (at least two words, log len > 0) and ``O`` (one word,
    log len = 0; no words at all: a zero row of B, isolated):

    * M-M: K = F F^T (``_cauchy_factor``), so
      S_MM v = sum_k F_k * (B_M (B_M^T (F_k * v))): two sparse products
      with an (n x rank) block per call, O(rank * nnz(B)).
    * M-O: K(i, j) = 1 / log len_i, exactly rank one:
      S_MO v_O = (B_M (B_O^T v_O)) / log len_M, and S_OM = S_MO^T.
    * O-O: 0 (textrank4zh's zero denominator).

    Every entry of S is reproduced within relative error ``rtol``.
    """

    def __init__(self, B: sparse.csr_array, lengths: np.ndarray, rtol: float = KERNEL_RTOL):
        self.shape = (B.shape[0], B.shape[0])
        self.many = np.flatnonzero(lengths >= 2)
        self.one = np.flatnonzero(lengths == 1)
        self.BM = B[self.many]
        self.BMT = self.BM.T.tocsr()
        self.BO = B[self.one]
        self.BOT = self.BO.T.tocsr()
        log_len = np.log(lengths[self.many])
        classes, inverse = np.unique(log_len, return_inverse=True)  # factor once per distinct length
        self.F = _cauchy_factor(classes, rtol)[inverse] if len(classes) else np.zeros((0, 0))
        self.inv_log = 1.0 / log_len

    @property
    def rank(self) -> int:
        return self.F.shape[1]

    def matvec(self, v: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape[0])
        vM, vO = v[self.many], v[self.one]
        if len(self.many):
            words = self.BMT @ (self.F * vM[:, None])  # word x rank
            outM = (self.F * (self.BM @ words)).sum(axis=1)
            if len(self.one):
                outM += (self.BM @ (self.BOT @ vO)) * self.inv_log
                out[self.one] = self.BO @ (self.BMT @ (vM * self.inv_log))
            out[self.many] = outM
        return out


# ---------------------------------------------------------------- settings


class TextRank:
    """TextRank key sentences and keywords, with its settings validated once.

    ``engine``: ``"fast"`` (this module's sparse computation) or
    ``"textrank4zh"`` (the original package, every sentence a node, for
    comparison; quadratic).
    ``tokenizer``: a ``Tokenizer`` (default: the module's shared one, whose
    cache every default caller reuses).
    ``damping``, ``tol``, ``max_iter``: PageRank's, as networkx's defaults.
    ``window``: keyword co-occurrence window (textrank4zh's ``window``, >= 2).
    ``exact_graph_limit``: build the similarity matrix while its cost
    (``_Groups.work``) is at most this; past it use the factored operator.
    0 always factors; ``None`` always builds (quadratic on long texts).
    ``kernel_rtol``: entrywise relative accuracy of the factored path.
    ``merge_duplicates``: identical sentences as one weighted node (same
    scores, see ``pagerank``); False only to measure what merging saves.
    ``min_sentence_chars``: shorter sentences are never key sentences.
    """

    def __init__(
        self,
        engine: str = "fast",
        *,
        tokenizer: Tokenizer | None = None,
        damping: float = DAMPING,
        tol: float = 1e-6,
        max_iter: int = 100,
        window: int = 2,
        exact_graph_limit: int | None = EXACT_GRAPH_LIMIT,
        kernel_rtol: float = KERNEL_RTOL,
        min_sentence_chars: int = MIN_SENTENCE_CHARS,
        merge_duplicates: bool = True,
    ):
        if engine not in ENGINES:
            raise ValueError(f"TextRank(engine={engine!r}): choose one of {', '.join(ENGINES)}")
        if tokenizer is not None and not isinstance(tokenizer, Tokenizer):
            raise TypeError(f"TextRank(tokenizer=...) must be a Tokenizer, not {type(tokenizer).__name__}")
        self.engine = engine
        self.tokenizer = tokenizer if tokenizer is not None else TOKENIZER
        self.damping = _check_float("TextRank", "damping", damping, 0.0, 1.0)
        self.tol = _check_float("TextRank", "tol", tol, 0.0, 1.0)
        self.max_iter = _check_int("TextRank", "max_iter", max_iter, 1)
        self.window = _check_int("TextRank", "window", window, 2)
        self.exact_graph_limit = _check_int("TextRank", "exact_graph_limit", exact_graph_limit, 0, allow_none=True)
        self.kernel_rtol = _check_float("TextRank", "kernel_rtol", kernel_rtol, 0.0, 1e-3, closed_high=True)
        self.min_sentence_chars = _check_int("TextRank", "min_sentence_chars", min_sentence_chars, 0)
        self.merge_duplicates = _check_bool("TextRank", "merge_duplicates", merge_duplicates)

    def __repr__(self) -> str:
        return (
            f"TextRank(engine={self.engine!r}, tokenizer={self.tokenizer!r}, damping={self.damping!r}, "
            f"window={self.window!r}, exact_graph_limit={self.exact_graph_limit!r}, "
            f"merge_duplicates={self.merge_duplicates!r})"
        )

    def _pagerank(self, weights, multiplicity=None, symmetric: bool = False) -> np.ndarray:
        return pagerank(weights, self.damping, self.tol, self.max_iter, multiplicity, symmetric)

    # ----- sentences

    def uses_exact_graph(self, groups: _Groups) -> bool:
        return self.exact_graph_limit is None or groups.work <= self.exact_graph_limit

    def rank_sentences(self, word_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """TextRank score of each sentence (its word list after stopwords)."""
        if self.engine == "textrank4zh":
            scores = np.zeros(len(word_lists))
            config = {"alpha": self.damping}
            words = [list(w) for w in word_lists]
            for item in _textrank4zh().sort_sentences(sentences=[""] * len(words), words=words, pagerank_config=config):
                scores[item["index"]] = item["weight"]
            return scores
        if not word_lists:
            return np.zeros(0)
        groups = _group(word_lists, self.merge_duplicates)
        if self.uses_exact_graph(groups):
            graph = _explicit_similarity(groups.incidence, groups.lengths)
        else:
            graph = _FactoredSimilarity(groups.incidence, groups.lengths, self.kernel_rtol)
        # (the explicit matrix is symmetric and canonical; the factored one an operator)
        return self._pagerank(graph, groups.multiplicity, symmetric=True)[groups.index]

    def is_candidate(self, sentence: Sentence) -> bool:
        return len(sentence.text) >= self.min_sentence_chars and not sentence.text.endswith(("：", ":"))

    def key_sentences(
        self, speech: Speech, sentences: list[Sentence], n: int, tokens: list[Tokens] | None = None
    ) -> list[KeySentence]:
        """The ``n`` most central of ``sentences``, in document order."""
        if not sentences or n <= 0:
            return []
        tokens = tokens if tokens is not None else self.tokenizer.tokenize([s.text for s in sentences])
        scores = self.rank_sentences([t.words for t in tokens])
        order = descending(scores)  # ties keep document order
        chosen: list[int] = []
        for i in order:
            if self.is_candidate(sentences[i]):
                chosen.append(int(i))
                if len(chosen) == n:
                    break
        ranked = {i: r for r, i in enumerate(chosen, 1)}
        return [
            KeySentence(sentences[i].text, sentences[i].start, sentences[i].end, float(scores[i]), ranked[i],
                        outline_path(speech, sentences[i].start))
            for i in sorted(ranked)
        ]

    # ----- words

    def rank_words(self, vertex_lists: Sequence[Sequence[str]], edge_lists: Sequence[Sequence[str]],
                   limit: int | None = None) -> list[Keyword]:
        """TextRank over words: vertices from ``vertex_lists``, an edge between
        vertices within ``window`` of each other in ``edge_lists``; the
        ``limit`` best (default: every vertex), best first."""
        if self.engine == "textrank4zh":
            ranked = _textrank4zh().sort_words(
                [list(v) for v in vertex_lists], [list(e) for e in edge_lists], window=self.window,
                pagerank_config={"alpha": self.damping},
            )
            return [Keyword(item.word, float(item.weight)) for item in ranked][:limit]
        # vertices in first-seen order (ties in score keep it)
        vocab = {w: i for i, w in enumerate(dict.fromkeys(itertools.chain.from_iterable(vertex_lists)))}
        if not vocab:
            return []
        # All edge lists as one id array, sentences separated by window-1
        # slots of -1 (None is no word): a pair (k, k+gap) with gap < window
        # that spans two sentences has an end inside the separator, so
        # windows never cross sentences (textrank4zh pairs words within one
        # sentence only). Edges are 0/1, so a repeated sentence adds none.
        sep = (None,) * (self.window - 1)
        distinct = dict.fromkeys(tuple(e) for e in edge_lists)
        flat = itertools.chain.from_iterable(words + sep for words in distinct)
        seq = np.fromiter(map(vocab.get, flat, itertools.repeat(-1)), dtype=np.int64)
        rows, cols = [], []
        for gap in range(1, self.window):
            a, b = seq[:-gap], seq[gap:]
            both = (a >= 0) & (b >= 0)
            rows += [a[both], b[both]]
            cols += [b[both], a[both]]
        n = len(vocab)
        row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        # each edge once (an edge, not a count), by row then column: the
        # canonical matrix of 0/1 weights, built as CSR directly (through
        # COO, duplicates summed, it was a tenth of the ranking)
        edges = arrays.unique(row * n + col)
        indptr = np.searchsorted(edges // n, np.arange(n + 1))
        graph = sparse.csr_array((np.ones(len(edges)), edges % n, indptr), shape=(n, n))
        scores = self._pagerank(graph, symmetric=True)  # (both directions of every edge: symmetric)
        words = list(vocab)
        order = descending(scores)[:limit].tolist()  # ties keep first-seen order
        return [Keyword(words[i], float(scores[i])) for i in order]

    # ----- summaries

    def summarize(self, speech: Speech, n: int = 5, keywords: int = 10, per_section: bool = False, *,
                  tokens: list[Tokens] | None = None) -> Summary:
        """Key sentences and keywords of one speech (and of each top-level
        section with ``per_section``). ``tokens``: those of
        ``speech.sentences``, when the caller has them (a corpus record
        tokenizes them for its words as well)."""
        sentences = speech.sentences
        if tokens is None:
            tokens = self.tokenizer.tokenize([s.text for s in sentences])
        elif len(tokens) != len(sentences):
            raise ValueError(f"summarize: {len(tokens)} tokens for {len(sentences)} sentences")
        ranked_words = (
            self.rank_words([t.keyword_candidates for t in tokens], [t.words for t in tokens], keywords) if keywords else []
        )
        summary = Summary(
            source=speech.source,
            title=speech.title,
            date=speech.date,
            speaker=speech.speaker,
            sentences=self.key_sentences(speech, sentences, n, tokens),
            keywords=ranked_words[:keywords],
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
                        sentences=self.key_sentences(speech, own, n, [by_start[s.start] for s in own]),
                    )
                )
        return summary


@functools.cache
def _default(engine: str) -> TextRank:
    return TextRank(engine)


def _engine(engine: str) -> TextRank:
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")
    return _default(engine)


# ---------------------------------------------------------------- module-level API


def rank_sentences(word_lists: list[list[str]], engine: str = "fast") -> np.ndarray:
    """TextRank score of each sentence (``engine="textrank4zh"``: computed
    by the original package, for comparison)."""
    return _engine(engine).rank_sentences(word_lists)


def rank_words(vertex_lists: list[list[str]], edge_lists: list[list[str]], window: int = 2, engine: str = "fast") -> list[Keyword]:
    """TextRank over words: vertices from ``vertex_lists``, an edge between
    vertices within ``window`` of each other in ``edge_lists``."""
    window = max(2, window)  # as textrank4zh: a window below 2 is 2
    ranker = _engine(engine) if window == 2 else TextRank(engine, window=window)
    return ranker.rank_words(vertex_lists, edge_lists)


def outline_path(speech: Speech, offset: int) -> str:
    return " > ".join(sec.label for sec in speech.path_of(offset))


def key_sentences(
    speech: Speech, sentences: list[Sentence], n: int, tokens: list[Tokens] | None = None, engine: str = "fast"
) -> list[KeySentence]:
    """The ``n`` most central of ``sentences``, in document order."""
    return _engine(engine).key_sentences(speech, sentences, n, tokens)


def _section_sentences(section: Section) -> list[Sentence]:
    return sorted((s for sec in section.walk() for s in sec.sentences), key=lambda s: s.start)


def summarize(speech: Speech, n: int = 5, keywords: int = 10, per_section: bool = False, engine: str = "fast", *,
              tokens: list[Tokens] | None = None) -> Summary:
    """Key sentences and keywords of one speech (and of each top-level
    section with ``per_section``); ``tokens``: see ``TextRank.summarize``."""
    return _engine(engine).summarize(speech, n, keywords, per_section, tokens=tokens)


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
