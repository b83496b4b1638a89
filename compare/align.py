"""Align two speeches: sections, then sentences, then characters.

The work is kept near-linear in the length of the texts; nothing scores all
pairs of sentences.

1. **Units.** Every sentence and heading is a unit with its key
   (``textkey.key``: punctuation dropped, a placeholder run one SLOT).
   Identical keys share one integer id, so repeated text costs once.
2. **Sections** are paired by an assignment at each level of the outline:
   the children of paired parents first, then what is left across parents,
   then a section still alone may be recorded as *part of* a section of the
   other side (a split or a merge). Two sections are scored from their
   headings, their content (TF-IDF cosine over character bigrams) and the
   text they share word for word; each component is kept to explain the
   score. Openings (the level-0 text before the first heading) pair
   whenever both speeches have one, and so do closings where the outline
   marks them (level-0 text after the last heading).
3. **Sentences** are paired inside *blocks*: a paired section pair with the
   unpaired sections below it. In a block, sentences with equal keys are
   first aligned in order (a longest common subsequence of key ids); only
   the gaps between those anchors are scored, densely when a gap is small,
   else over candidates (a diagonal band and rare shared trigrams), and
   solved as an assignment down to a soft floor. What remains anywhere is
   paired across blocks only at the full threshold: moved text.
4. **Characters** are diffed only for pairs that end up paired. A
   placeholder facing a short run in the other speech is a *fill* (XX →
   安康), which the diff lists; changed runs are *edits*.

Each sentence pair is classified: identical, filled (only placeholders
differ), edited (at least ``threshold`` similar), rewritten (paired in its
section below the threshold) or moved (paired across sections).
"""

from __future__ import annotations

import bisect
import functools
import heapq
import re
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, Levenshtein
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from . import arrays, textkey
from .model import Section, Speech, gc_paused
from .outline import MARKERS
from .textkey import SLOT, Normalized, comparable, normalize


def linear_sum_assignment(cost, maximize: bool = False):
    """scipy's ``linear_sum_assignment`` (``scipy.optimize._lsap``'s compiled
    function, which ``scipy.optimize`` exports as it is), loaded on first
    use without the package: importing ``scipy.optimize`` loads linprog,
    fft and special with it (0.12 s), which every command paid at start-up
    for the diff alone, and then every pool process of a report that pairs
    sections (a series)."""
    return _assignment()(cost, maximize=maximize)


@functools.cache
def _assignment():
    """The compiled module's function, loaded from its file beside scipy's
    package (where it is; else through the package, as scipy exports it)."""
    import importlib.machinery
    import importlib.util
    import os

    import scipy

    name = "scipy.optimize._lsap"
    folder = os.path.join(os.path.dirname(scipy.__file__), "optimize")
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(folder, "_lsap" + suffix)
        if not os.path.exists(path):
            continue
        try:
            loader = importlib.machinery.ExtensionFileLoader(name, path)
            module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
            loader.exec_module(module)
            return module.linear_sum_assignment
        except (ImportError, AttributeError, OSError):
            break
    from scipy.optimize import linear_sum_assignment as solve

    return solve


# ---------------------------------------------------------------- settings

# Sentences at least this similar are the same passage wherever they sit;
# inside paired sections a pair below it is "rewritten".
DEFAULT_THRESHOLD = 0.6
# Inside paired sections sentences pair down to this similarity. Measured
# on the development corpus: two unrelated sentences of this genre (a
# provincial against a county report) score 0.04 at the median, 0.18 at the
# 99th percentile, and the best of 20 random candidates 0.33 at the 99th
# percentile; a reworded stock sentence scores 0.5-0.6.
DEFAULT_FLOOR = 0.4
# Two sections pair when their score reaches this; a pair proposed across
# the tree, with no paired parents to vouch for it, needs ACROSS_FLOOR.
SECTION_FLOOR = 0.5
ACROSS_FLOOR = 0.75
# The section score is a logistic model of four pieces of evidence (see
# _evidence), its weights a logistic regression over every sibling
# pair of the seven document pairs in tests/realworld/
# expected_section_pairs.json (648 pairs, 84 same-topic), rounded. Left
# one document pair out at a time, it finds 73 of the 84 with 4 extra
# pairs. Content is the strongest evidence, but sections of one genre all
# share vocabulary: what tells the partner apart is its *margin*, how
# much more similar it is than the next best candidate of either section.
# The same outline number carries no weight: in consecutive reports half
# the same-topic subsections are renumbered.
W_CONTENT = 4.8
W_HEADING = 4.0
W_MARGIN = 11.6
# Word-for-word shared text is rare between consecutive reports, so the fit
# gave it no weight (0.14); set by hand so that shared text alone pairs two
# sections (a template and its copy share nearly all: 4.0 - 2.45 > 0).
W_SHARED = 4.0
BIAS = -2.45
# The margin is measured against at least the cosine of two unrelated
# sections of this genre (the median over the 648 pairs' negatives).
BACKGROUND_COSINE = 0.08

MAX_FILL = 12  # a placeholder stands for at most this many characters
MIN_EQUAL = 3  # an equal run shorter than this between two edits is part of the edit
# a clause and its closing mark; the group, the clause itself, holds none
CLAUSE = re.compile(r"([^，。；：！？、\n]+)[，。；：！？、]?")
MIN_SHARED_CLAUSE = 8

# Cost limits. A gap of at most DENSE_CELLS sentence pairs is scored in full
# (rapidfuzz cdist + a dense assignment: ~0.05 s at the limit); a larger one
# only over candidates. LCS_CELLS bounds the bit-parallel LCS of key ids
# (memory: cells / 8 bytes, 50 MB at the limit); above it, anchors come from
# keys unique on both sides (patience diff).
DENSE_CELLS = 250_000
FULL_SECTION_CELLS = 1_000_000  # section pairs scored all at once up to this many (four float matrices: 32 MB)
LCS_CELLS = 400_000_000
# A ratio computed without the placeholders understates a filled slot's
# pair by at most about this much; such pairs get the exact similarity.
REFINE_MARGIN = 0.25
BAND = 8  # candidates on each side of the diagonal of a large gap
GRAM = 3  # trigrams of keys find moved and reworded sentences
MAX_POSTING = 32  # a trigram in more sentences than this (per side) is too common to say anything
MIN_GRAMS = 2  # shared rare trigrams a candidate needs
TOP_CANDIDATES = 8  # candidates kept per sentence, best trigram overlap first


@dataclass(frozen=True)
class Settings:
    """Validated settings of one alignment."""

    threshold: float = DEFAULT_THRESHOLD
    floor: float = DEFAULT_FLOOR
    section_floor: float = SECTION_FLOOR

    def __post_init__(self):
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if not 0 < self.floor <= self.threshold:
            raise ValueError(f"floor must be in (0, threshold], not {self.floor}")
        if not 0 < self.section_floor <= 1:
            raise ValueError(f"section_floor must be in (0, 1], not {self.section_floor}")


# ---------------------------------------------------------------- units


@dataclass
class Unit:
    """A sentence or a heading of one speech."""

    index: int
    text: str
    start: int
    end: int
    path: str  # outline path of its section, "" before the first heading
    heading: bool
    section: Section | None = field(default=None, repr=False, compare=False)


def units_of(speech: Speech) -> list[Unit]:
    units: list[Unit] = []
    _visit(speech.sections, "", units)
    units.sort(key=lambda u: u.start)
    for i, u in enumerate(units):
        u.index = i
    return units


def _visit(sections: list[Section], prefix: str, units: list[Unit]) -> None:
    """``units_of``'s walk (a module function, not a closure: a recursive
    closure is a reference cycle that kept every call's units and outline
    alive until the cyclic collector ran, which a corpus task pauses)."""
    for sec in sections:
        path = f"{prefix} > {sec.label}" if prefix and sec.level else (sec.label if sec.level else "")
        if sec.level:
            start = sec.span[0]
            text = sec.marker + sec.heading
            units.append(Unit(0, text, start, start + len(text), path, True, sec))
        for s in sec.sentences:
            units.append(Unit(0, s.text, s.start, s.end, path, False, sec))
        _visit(sec.children, path, units)


# ---------------------------------------------------------------- characters


class Piece(NamedTuple):
    """A run of a sentence: ``kind`` is same, fill (placeholder and what fills
    it), edit (changed), or local (not in the other speech at all).
    (A tuple of atoms: the cyclic GC stops tracking it, which matters with a
    hundred thousand of them alive while a page is rendered.)"""

    start: int  # offsets into the speech text
    end: int
    kind: str


_SENTENCE_MARK = re.compile("[。！？；]")


def _is_fill(slot_side: str, other: str) -> bool:
    """A placeholder facing a short run (a figure, a name) of the other side.
    (``not slot_side.strip(SLOT)``: every character a slot; the diff of a
    long pair asks this half a million times.)"""
    return (
        bool(slot_side)
        and not slot_side.strip(SLOT)
        and len(other) <= MAX_FILL * len(slot_side)
        and not _SENTENCE_MARK.search(other)
    )


def _blocks(na: str, nb: str) -> tuple[list[list], float]:
    """Aligned blocks ``[kind, i1, i2, j1, j2]`` of two comparable texts and
    their placeholder-aware similarity (same and filled characters over all)."""
    if na == nb:
        return [["same", 0, len(na), 0, len(nb)]], 1.0
    blocks: list[list] = []  # adjacent non-equal opcodes merged into one change
    for op in Levenshtein.opcodes(na, nb):
        if op.tag == "equal":
            blocks.append(["same", op.src_start, op.src_end, op.dest_start, op.dest_end])
        elif blocks and blocks[-1][0] == "change":
            blocks[-1][2], blocks[-1][4] = op.src_end, op.dest_end
        else:
            blocks.append(["change", op.src_start, op.src_end, op.dest_start, op.dest_end])
    shared = 0
    for b in blocks:
        if b[0] == "change":
            left, right = na[b[1]:b[2]], nb[b[3]:b[4]]
            b[0] = "fill" if _is_fill(left, right) or _is_fill(right, left) else "edit"
        if b[0] != "edit":
            shared += (b[2] - b[1]) + (b[4] - b[3])
    total = len(na) + len(nb)
    similarity = shared / total if total else 1.0
    # An equal run of one or two characters between two edits ("的", "发展")
    # is chance, not shared text: it joins the edit. Runs next to a fill are
    # kept, so "XX县XX镇" / "汉阴县城关镇" stays two fills around "县".
    merged: list[list] = []
    for b in blocks:
        if (
            merged
            and b[0] == "edit"
            and len(merged) >= 2
            and merged[-1][0] == "same"
            and merged[-2][0] == "edit"
            and merged[-1][2] - merged[-1][1] < MIN_EQUAL
            and merged[-1][4] - merged[-1][3] < MIN_EQUAL
        ):
            merged.pop()
            merged[-1][2], merged[-1][4] = b[2], b[4]
        else:
            merged.append(b)
    return merged, similarity


def _pair_diff(a: Unit, b: Unit) -> tuple[list[Piece], list[Piece], float, list[tuple[int, int, int, int]]]:
    """Pieces of each sentence, their similarity and the fills as
    (a_start, a_end, b_start, b_end) offsets into the speeches."""
    if a.text == b.text:
        return [Piece(a.start, a.end, "same")], [Piece(b.start, b.end, "same")], 1.0, []
    na, ma = normalize(a.text)
    nb, mb = normalize(b.text)
    blocks, similarity = _blocks(na, nb)
    pieces_a: list[Piece] = []
    pieces_b: list[Piece] = []
    fills = []

    def pos(mapping, base, i):
        # offset in the speech of normalized index i (i == len: the end);
        # normalize's spans are contiguous, so an end is the next start
        if mapping is None:
            return base + i
        return base + (mapping[i][0] if i < len(mapping) else mapping[-1][1])

    for kind, i1, i2, j1, j2 in blocks:
        sa = (pos(ma, a.start, i1), pos(ma, a.start, i2))
        sb = (pos(mb, b.start, j1), pos(mb, b.start, j2))
        if i1 < i2:
            pieces_a.append(Piece(*sa, kind))
        if j1 < j2:
            pieces_b.append(Piece(*sb, kind))
        if kind == "fill":
            fills.append((*sa, *sb))
    return _merge(pieces_a), _merge(pieces_b), similarity, fills


def char_diff(a: Unit, b: Unit) -> tuple[list[Piece], list[Piece], float]:
    """Pieces of each sentence and the placeholder-aware similarity."""
    pieces_a, pieces_b, similarity, _ = _pair_diff(a, b)
    return pieces_a, pieces_b, similarity


def similarity(a: str, b: str, cutoff: float = 0.0) -> float:
    """The placeholder-aware similarity ``char_diff`` reports for two
    sentences (same and filled characters over all), without building their
    pieces: the phrasebook asks it of hundreds of thousands of candidate
    pairs of wordings and needs only the number. Below ``cutoff`` it may
    return any value below ``cutoff`` (0.0): without a placeholder slot on
    either side there is no fill, so the share of equal characters is at
    most the longest common subsequence's (rapidfuzz's Indel similarity),
    and a pair that cannot reach ``cutoff`` is rejected from that bound alone;
    with slots, a pair is given up once its change runs that are no fill
    have lost too many characters for it to reach ``cutoff``."""
    return normalized_similarity(normalize(a)[0], normalize(b)[0], cutoff)


def normalized_similarity(na: str, nb: str, cutoff: float = 0.0) -> float:
    """``similarity`` of two texts already in ``normalize``'s form (the
    sentence matcher and the phrasebook normalize each sentence once, not
    once per candidate pair); ``cutoff`` as there."""
    if na == nb:
        return 1.0
    total = len(na) + len(nb)
    if SLOT not in na and SLOT not in nb:
        if cutoff and Indel.normalized_similarity(na, nb) < cutoff:
            return 0.0
        # no slot, no fill: the shared characters are the equal runs (the
        # loop below would add exactly these; a figure-only pair of the
        # matcher takes this path, tens of thousands of times in a long diff)
        ops = Levenshtein.opcodes(na, nb).as_list()
        return 2 * sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal") / total
    # _blocks' similarity: equal runs, plus change runs (adjacent non-equal
    # opcodes) that are fills; a change run ends where the next equal starts
    # With a cutoff, a pair is given up as soon as the characters of its
    # change runs that are no fill leave it below: at most every character
    # not yet lost is shared. (Most candidate wordings of the phrasebook
    # are far below and lose that much in their first few runs.) A change
    # run with a slot on neither side is no fill, known without slicing it.
    shared, lost, open_i, open_j = 0, 0, None, None
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(na, nb).as_list():
        if tag == "equal":
            if open_i is not None:
                if na.find(SLOT, open_i, i1) < 0 and nb.find(SLOT, open_j, j1) < 0:
                    fill = False
                else:
                    left, right = na[open_i:i1], nb[open_j:j1]
                    fill = _is_fill(left, right) or _is_fill(right, left)
                run = (i1 - open_i) + (j1 - open_j)
                if fill:
                    shared += run
                else:
                    lost += run
                    if cutoff and (total - lost) / total < cutoff:
                        return 0.0
                open_i = None
            shared += (i2 - i1) + (j2 - j1)
        elif open_i is None:
            open_i, open_j = i1, j1
    if open_i is not None:
        left, right = na[open_i:], nb[open_j:]
        if _is_fill(left, right) or _is_fill(right, left):
            shared += len(left) + len(right)
    return shared / total if total else 1.0


def _merge(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for p in pieces:
        if out and out[-1].kind == p.kind and out[-1].end == p.start:
            out[-1] = Piece(out[-1].start, p.end, p.kind)
        else:
            out.append(p)
    return out


# ---------------------------------------------------------------- features

_DIGIT = re.compile(r"[0-9０-９]")
_BITS = 21  # every code point is below 2**21, so n-gram codes pack into one int64


def _grams(keys: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(unit index, n-gram code) of every character n-gram of each key,
    vectorized over all keys at once. N-grams holding a digit or a
    placeholder slot are left out: figures and fills are what differs
    between two uses of one frame, not what they share."""
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    joined = "\0".join(_DIGIT.sub("\0", k).replace(SLOT, "\0") for k in keys)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    owner = np.repeat(np.arange(len(keys)), lengths + 1)[: len(codes)]
    m = len(codes) - n + 1
    if m <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    gram = np.zeros(m, np.int64)
    valid = np.ones(m, bool)
    for k in range(n):
        part = codes[k:k + m]
        gram = (gram << _BITS) | part
        valid &= part != 0
    return owner[:m][valid], gram[valid]


def _incidence(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sparse.csr_matrix:
    """Count matrix of (row, col) occurrences, in canonical CSR form (sorted
    column indices, duplicates summed: what scipy's COO constructor gives),
    built from one sort of the cells instead of through a COO matrix (the
    scipy route costs ~0.2 ms of fixed overhead a call, a tenth of a short
    diff's time with a dozen calls)."""
    if not len(rows):
        return sparse.csr_matrix((n_rows, n_cols))
    cells = np.sort(np.asarray(rows, np.int64) * n_cols + np.asarray(cols, np.int64))
    first = np.flatnonzero(np.concatenate(([True], cells[1:] != cells[:-1])))  # each distinct cell
    counts = np.diff(np.append(first, len(cells))).astype(np.float64)
    cells = cells[first]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(cells // n_cols, minlength=n_rows))))
    return sparse.csr_matrix((counts, cells % n_cols, indptr), shape=(n_rows, n_cols))


# ---------------------------------------------------------------- sections


@dataclass
class SectionPair:
    """Two sections found to be the same (or one without a partner).

    ``score`` is the pairing evidence (0..1), combined from ``heading``
    (heading similarity), ``content`` (topic similarity of all their text),
    ``margin`` (how much more similar in content than either section's next
    best candidate) and ``shared`` (share of their characters in sentences
    found word for word in the other); ``part_of`` names the other side's
    section an unpaired section was split from or merged into. Openings
    (and closings) pair whatever their score."""

    @property
    def opening(self) -> bool:
        return self.frame == "opening"

    a: Section | None
    b: Section | None
    score: float
    children: list["SectionPair"] = field(default_factory=list)
    heading: float = 0.0
    content: float = 0.0
    shared: float = 0.0
    same_number: bool = False
    frame: str = ""  # "opening" or "closing": level-0 text paired by position
    part_of: Section | None = None
    margin: float = 0.0  # content cosine above the next best candidate's

    def __repr__(self) -> str:
        name = lambda s: "—" if s is None else (s.marker + s.heading)[:20] or "开场"  # noqa: E731
        return f"<SectionPair {name(self.a)} ⇄ {name(self.b)} {self.score:.2f}>"

    @property
    def why(self) -> dict:
        """The evidence behind ``score``, for JSON and hover text."""
        return {
            "heading": round(self.heading, 4),
            "content": round(self.content, 4),
            "shared": round(self.shared, 4),
            "margin": round(self.margin, 4),
            "same_number": self.same_number,
            "frame": self.frame,
        }


def walk_pairs(pairs: list[SectionPair]):
    for p in pairs:
        yield p
        yield from walk_pairs(p.children)


class _Outline:
    """One speech's sections in preorder with the arrays the scorer needs."""

    def __init__(self, speech: Speech, units: list[Unit]):
        self.sections = list(speech.walk())
        self.index = {id(s): i for i, s in enumerate(self.sections)}
        self.parent = np.full(len(self.sections), -1)
        for i, s in enumerate(self.sections):
            for c in s.children:
                self.parent[self.index[id(c)]] = i
        self.roots = [self.index[id(s)] for s in speech.sections]
        self.unit_section = np.array([self.index[id(u.section)] for u in units], dtype=np.int64)
        # subtree membership: unit u counts in its section and every
        # ancestor (climbed one level at a time for all units at once)
        rows, cols = [], []
        s, u = self.unit_section, np.arange(len(units))
        while len(s):
            rows.append(s)
            cols.append(u)
            up = self.parent[s]
            s, u = up[up >= 0], u[up >= 0]
        self.subtree = _incidence(np.concatenate(rows) if rows else np.zeros(0, np.int64),
                                  np.concatenate(cols) if cols else np.zeros(0, np.int64), len(self.sections), len(units))
        # headings compared without figures: "2021年重点工作" and "2021年工作
        #回顾" share a year, not a topic
        self.headings = [_DIGIT.sub("", comparable(s.heading)) for s in self.sections]
        # (marker family, number) as one integer, -1 for none: same code = same outline number
        families = [kind for kind, _ in MARKERS]
        self.number_code = np.array(
            [(families.index(s.kind) if s.kind in families else len(families)) * 1000 + s.number if s.level and s.number else -1
             for s in self.sections], np.int64)

    def children(self, i: int) -> list[int]:
        return [self.index[id(c)] for c in self.sections[i].children]

    def ancestors(self, i: int) -> list[int]:
        out = []
        while i >= 0:
            out.append(i)
            i = self.parent[i]
        return out


class _Scorer:
    """Similarity of any section of A with any section of B.

    content: TF-IDF cosine of the two subtrees' character bigrams. IDF is
    taken over the sentences of both speeches, so a bigram in every other
    sentence (发展) weighs little. Bigrams, not jieba words: segmenting runs
    at ~180k characters a second here (5.7 s for the 1M characters of a
    500k-character pair, past the whole time budget of the diff). Measured
    on the expected pairs of the development corpus (fit and leave one
    document pair out, as for the weights), jieba words find 76 of 84
    same-topic pairs, bigrams 73.
    shared: characters of both subtrees in sentences whose key occurs in the
    other subtree, over all their characters.
    """

    def __init__(self, oa: _Outline, ob: _Outline, keys_a, keys_b, kid_a, kid_b, len_a, len_b):
        self.oa, self.ob = oa, ob
        ra, ga = _grams(keys_a, 2)
        rb, gb = _grams(keys_b, 2)
        vocab, inverse = np.unique(np.concatenate([ga, gb]), return_inverse=True)
        ca, cb = inverse[: len(ga)], inverse[len(ga):]
        ua = _incidence(ra, ca, len(keys_a), len(vocab))
        ub = _incidence(rb, cb, len(keys_b), len(vocab))
        # csr construction summed duplicates: one stored entry per (unit, bigram)
        df = np.bincount(ua.indices, minlength=len(vocab)) + np.bincount(ub.indices, minlength=len(vocab))
        idf = np.log((len(keys_a) + len(keys_b) + 1) / (df + 1)) + 1
        self.xa = self._tfidf(oa.subtree @ ua, idf)
        self.xb = self._tfidf(ob.subtree @ ub, idf)
        self.chars_a = oa.subtree @ len_a
        self.chars_b = ob.subtree @ len_b
        # keys in both speeches: per section, their characters and presence
        both = arrays.intersect1d(kid_a, kid_b)
        col = {int(k): i for i, k in enumerate(both)}
        self.ka_len, self.ka_has = self._key_matrices(oa, kid_a, len_a, col)
        self.kb_len, self.kb_has = self._key_matrices(ob, kid_b, len_b, col)
        # Speeches have tens of sections, not thousands: all pairs are
        # scored once when that is small (sparse slicing per sibling group
        # cost more than the whole 20k-character diff), else per request.
        self.full = None
        if len(oa.sections) * len(ob.sections) <= FULL_SECTION_CELLS:
            self.full = self._components(list(range(len(oa.sections))), list(range(len(ob.sections))))

    @staticmethod
    def _tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
        x = counts.tocsr(copy=True)
        x.data = (1 + np.log(x.data)) * idf[x.indices]
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        norms = np.sqrt(np.bincount(rows, weights=x.data ** 2, minlength=x.shape[0]))
        norms[norms == 0] = 1
        # each row to unit length: the products of diag(1 / norms) @ x
        # without building it (that product also reversed each row's index
        # order, so sums over a row now add in another order: the same
        # cosines to about 1e-14, not bit for bit)
        x.data *= (1 / norms)[rows]
        return x

    @staticmethod
    def _key_matrices(outline: _Outline, kid: np.ndarray, lengths: np.ndarray, col: dict[int, int]):
        units = [u for u, k in enumerate(kid) if int(k) in col]
        n = len(col)
        if not units:
            empty = sparse.csr_matrix((len(outline.sections), n))
            return empty, empty
        units_arr = np.array(units, np.int64)
        cols = np.array([col[int(kid[u])] for u in units], np.int64)
        # one entry per listed unit, units in order: the CSR arrays directly
        indptr = np.zeros(len(kid) + 1, np.int64)
        indptr[units_arr + 1] = 1
        by_unit_len = sparse.csr_matrix((lengths[units_arr].astype(float), cols, np.cumsum(indptr)), shape=(len(kid), n))
        char_matrix = (outline.subtree @ by_unit_len).tocsr()
        has = char_matrix.copy()
        has.data = np.ones_like(has.data)
        return char_matrix, has


    def _components(self, rows: list[int], cols: list[int]) -> dict[str, np.ndarray]:
        oa, ob = self.oa, self.ob
        ia, ib = np.array(rows, np.int64), np.array(cols, np.int64)
        # (every section of a side: the matrices as they are, not a copy of their rows)
        every_a, every_b = list(rows) == list(range(len(oa.sections))), list(cols) == list(range(len(ob.sections)))
        pick_a = (lambda m: m) if every_a else (lambda m: m[ia])  # noqa: E731
        pick_b = (lambda m: m) if every_b else (lambda m: m[ib])  # noqa: E731
        cosine = (pick_a(self.xa) @ pick_b(self.xb).T).toarray()
        shared_chars = (pick_a(self.ka_len) @ pick_b(self.kb_has).T).toarray() + (pick_a(self.ka_has) @ pick_b(self.kb_len).T).toarray()
        total = self.chars_a[ia][:, None] + self.chars_b[ib][None, :]
        shared = np.minimum(1.0, shared_chars / np.maximum(total, 1))
        heads_a = [oa.headings[i] for i in rows]
        heads_b = [ob.headings[j] for j in cols]
        heading = process.cdist(heads_a, heads_b, scorer=fuzz.ratio, dtype=np.float32, workers=1) / 100.0
        has_a = np.array([bool(h) for h in heads_a], bool)[:, None]
        has_b = np.array([bool(h) for h in heads_b], bool)[None, :]
        heading = np.where(has_a & has_b, heading, 0.0)
        same_number = (oa.number_code[ia][:, None] == ob.number_code[ib][None, :]) & (oa.number_code[ia][:, None] >= 0)
        return {"heading": heading, "content": cosine, "shared": shared, "same_number": same_number}

    def score(self, rows: list[int], cols: list[int]) -> dict[str, np.ndarray]:
        """Components of every (row, col) section pair: heading ratio,
        content cosine, shared text, same outline number."""
        if self.full is None:
            return self._components(rows, cols)
        cells = np.ix_(np.array(rows, np.int64), np.array(cols, np.int64))
        return {k: v[cells] for k, v in self.full.items()}

    def cosine(self, rows: list[int], cols: list[int]) -> np.ndarray:
        if self.full is not None:
            return self.full["content"][np.ix_(np.array(rows, np.int64), np.array(cols, np.int64))]
        return (self.xa[np.array(rows, np.int64)] @ self.xb[np.array(cols, np.int64)].T).toarray()


def _top2(m: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The largest and second largest value along ``axis`` (-inf if none)."""
    if m.shape[axis] == 0:
        shape = m.shape[1 - axis]
        return np.full(shape, -np.inf), np.full(shape, -np.inf)
    if m.shape[axis] == 1:
        return m.max(axis=axis), np.full(m.shape[1 - axis], -np.inf)
    part = -np.partition(-m, 1, axis=axis)
    return (part[0], part[1]) if axis == 0 else (part[:, 0], part[:, 1])


def _evidence(comp: dict, row_top: tuple, col_top: tuple) -> dict:
    """Add the margin and the logit/score to score components. ``row_top``
    and ``col_top`` are the best and second best cosine of each row and
    column among all candidates (not only this chunk)."""
    c = comp["content"]
    # best alternative of each cell: the best of its row and its column,
    # or the second best where the cell itself is that best
    row_alt = np.where(c >= row_top[0][:, None], row_top[1][:, None], row_top[0][:, None])
    col_alt = np.where(c >= col_top[0][None, :], col_top[1][None, :], col_top[0][None, :])
    margin = c - np.maximum(np.maximum(row_alt, col_alt), BACKGROUND_COSINE)
    logit = W_CONTENT * c + W_HEADING * comp["heading"] + W_MARGIN * margin + W_SHARED * comp["shared"] + BIAS
    return comp | {"margin": margin, "logit": logit, "score": 1 / (1 + np.exp(-logit))}


class _SectionAligner:
    """Pairs sections: within paired parents, then across, then part-of."""

    def __init__(self, scorer: _Scorer, settings: Settings):
        self.scorer = scorer
        self.oa, self.ob = scorer.oa, scorer.ob
        self.floor = settings.section_floor
        self.across_floor = max(ACROSS_FLOOR, settings.section_floor)
        self.partner_a: dict[int, int] = {}  # A section index -> B section index
        self.partner_b: dict[int, int] = {}
        self.evidence: dict[int, dict] = {}  # A section index -> components of its pair
        self.part_of_a: dict[int, tuple[int, dict]] = {}  # unpaired A section -> B section
        self.part_of_b: dict[int, tuple[int, dict]] = {}

    def run(self) -> None:
        self._group(self.oa.roots, self.ob.roots)
        self._across()
        self._part_of()

    def _pair(self, i: int, j: int, comp: dict, r: int, c: int, frame: str = "") -> None:
        self.partner_a[i], self.partner_b[j] = j, i
        self.evidence[i] = {k: v[r, c] for k, v in comp.items()} | {"frame": frame}

    def _group(self, rows: list[int], cols: list[int]) -> None:
        """Assignment among sibling sections, then recursively among the
        children of each new pair. Invariant: ``rows``/``cols`` hold only
        unpaired sections, so a section is paired at most once."""
        rows = [i for i in rows if i not in self.partner_a]
        cols = [j for j in cols if j not in self.partner_b]
        if not rows or not cols:
            return
        comp = self.scorer.score(rows, cols)
        comp = _evidence(comp, _top2(comp["content"], 1), _top2(comp["content"], 0))
        new = []
        # level-0 text faces the other's by position: the opening (before
        # the first heading) the opening, a closing (after the last one,
        # where the outline marks it) the closing
        frames_a = _frames([self.oa.sections[i] for i in rows])
        frames_b = _frames([self.ob.sections[j] for j in cols])
        for frame, r in frames_a.items():
            c = frames_b.get(frame)
            if c is not None:
                self._pair(rows[r], cols[c], comp, r, c, frame=frame)
                new.append((rows[r], cols[c]))
        free_r = [r for r, i in enumerate(rows) if i not in self.partner_a and self.oa.sections[i].level > 0]
        free_c = [c for c, j in enumerate(cols) if j not in self.partner_b and self.ob.sections[j].level > 0]
        if free_r and free_c:
            # the assignment maximizes the summed logits (a score saturates
            # near 1, its logit still ranks two strong candidates)
            score = comp["score"][np.ix_(free_r, free_c)]
            rank = comp["logit"][np.ix_(free_r, free_c)]
            for r, c in zip(*linear_sum_assignment(rank, maximize=True)):
                if score[r, c] >= self.floor:
                    self._pair(rows[free_r[r]], cols[free_c[c]], comp, free_r[r], free_c[c])
                    new.append((rows[free_r[r]], cols[free_c[c]]))
        for i, j in new:
            self._group(self.oa.children(i), self.ob.children(j))

    def _sparse_scores(self, rows: list[int], cols: list[int], chunk: int = 256):
        """Pairs of (rows × cols) scoring at least the across floor, with
        their logit and components. Scored in chunks of rows, so memory
        stays O(chunk × cols + kept pairs); a first pass finds each row's
        and column's best cosines for the margins."""
        row_best, row_second = np.full(len(rows), -np.inf), np.full(len(rows), -np.inf)
        col_best, col_second = np.full(len(cols), -np.inf), np.full(len(cols), -np.inf)
        for start in range(0, len(rows), chunk):
            c = self.scorer.cosine(rows[start:start + chunk], cols)
            row_best[start:start + len(c)], row_second[start:start + len(c)] = _top2(c, 1)
            best, second = _top2(c, 0)
            # merge the chunk's column top two into the running top two
            stacked = np.sort(np.vstack([col_best, col_second, best, second]), axis=0)
            col_best, col_second = stacked[-1], stacked[-2]
        kept = []
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            comp = self.scorer.score(part, cols)
            comp = _evidence(comp, (row_best[start:start + len(part)], row_second[start:start + len(part)]), (col_best, col_second))
            for r, c in zip(*np.nonzero(comp["score"] >= self.across_floor)):
                kept.append((part[r], cols[c], float(comp["logit"][r, c]), {k: v[r, c] for k, v in comp.items()}))
        return kept

    def _across(self) -> None:
        """Sections left alone by their parents' assignment, paired across
        the tree (a subsection renumbered into another chapter)."""
        rows = [i for i, s in enumerate(self.oa.sections) if s.level > 0 and i not in self.partner_a]
        cols = [j for j, s in enumerate(self.ob.sections) if s.level > 0 and j not in self.partner_b]
        if not rows or not cols:
            return
        kept = self._sparse_scores(rows, cols)
        if not kept:
            return
        rid = {i: n for n, i in enumerate(sorted({k[0] for k in kept}))}
        cid = {j: n for n, j in enumerate(sorted({k[1] for k in kept}))}
        chosen = _max_weight_matching(
            np.array([rid[k[0]] for k in kept]), np.array([cid[k[1]] for k in kept]), np.array([k[2] for k in kept]), len(rid), len(cid)
        )
        by_cell = {(rid[k[0]], cid[k[1]]): k for k in kept}
        # a pair inside an already chosen pair's subtree would nest a section
        # under its own partner's sibling: take the best pairs first
        for r, c in sorted(chosen, key=lambda rc: -by_cell[rc][2]):
            i, j, _, comp = by_cell[(r, c)]
            if i in self.partner_a or j in self.partner_b:
                continue
            self.partner_a[i], self.partner_b[j] = j, i
            self.evidence[i] = comp | {"frame": ""}
            self._group(self.oa.children(i), self.ob.children(j))

    def _part_of(self) -> None:
        """An unpaired section whose best match on the other side is already
        paired was split from it or merged into it: its sentences then pair
        within that section's block."""
        for outline, other, partner, other_partner, store, from_a in (
            (self.oa, self.ob, self.partner_a, self.partner_b, self.part_of_a, True),
            (self.ob, self.oa, self.partner_b, self.partner_a, self.part_of_b, False),
        ):
            alone = [i for i, s in enumerate(outline.sections) if s.level > 0 and i not in partner]
            paired = [j for j, s in enumerate(other.sections) if s.level > 0 and j in other_partner]
            if not alone or not paired:
                continue
            if from_a:
                kept = self._sparse_scores(alone, paired)
            else:  # the scorer's rows are A sections
                kept = [(i, j, rank, comp) for j, i, rank, comp in self._sparse_scores(paired, alone)]
            best: dict[int, tuple] = {}
            for i, j, rank, comp in kept:
                if i not in best or rank > best[i][1]:
                    best[i] = (j, rank, comp)
            for i, (j, _, comp) in best.items():
                # the section's text already sits in the block of its nearest
                # paired ancestor; part-of only redirects it elsewhere
                host = next((partner[a] for a in outline.ancestors(i) if a in partner), None)
                if host != j:
                    store[i] = (j, comp | {"frame": ""})


def _frames(sections: list[Section]) -> dict[str, int]:
    """Positions of the opening and the closing among sibling sections:
    level-0 sections before any numbered one, and after the last one."""
    out: dict[str, int] = {}
    numbered = [n for n, s in enumerate(sections) if s.level > 0]
    for n, s in enumerate(sections):
        if s.level == 0:
            if not numbered or n < numbered[0]:
                out.setdefault("opening", n)
            elif n > numbered[-1]:
                out["closing"] = n
    return out


def _pair_of(i, j, aligner: _SectionAligner, oa: _Outline, ob: _Outline, children) -> SectionPair:
    ev = aligner.evidence.get(i, {}) if i is not None and j is not None else {}
    part = None
    if i is not None and j is None and i in aligner.part_of_a:
        k, ev = aligner.part_of_a[i]
        part = ob.sections[k]
    if j is not None and i is None and j in aligner.part_of_b:
        k, ev = aligner.part_of_b[j]
        part = oa.sections[k]
    return SectionPair(
        oa.sections[i] if i is not None else None,
        ob.sections[j] if j is not None else None,
        float(min(1.0, ev.get("score", 0.0))),
        children,
        float(ev.get("heading", 0.0)),
        float(ev.get("content", 0.0)),
        float(ev.get("shared", 0.0)),
        bool(ev.get("same_number", False)),
        str(ev.get("frame", "")),
        part,
        float(ev.get("margin", 0.0)),
    )


def _pair_tree(aligner: _SectionAligner, rows: list[int], cols: list[int]) -> list[SectionPair]:
    """The pairs of sibling lists ``rows`` (A) and ``cols`` (B), in A's order,
    B-only sections after the pair that precedes them in B. Every section
    of both speeches appears exactly once in the whole tree: a section
    paired across parents appears at its A position with its partner, and
    is skipped in its B parent's list."""
    oa, ob = aligner.oa, aligner.ob
    pos_b = {j: n for n, j in enumerate(cols)}
    pending_b = deque(j for j in cols if j not in aligner.partner_b)
    out: list[SectionPair] = []

    def flush(until: int | None) -> None:
        while pending_b and (until is None or pos_b[pending_b[0]] < until):
            j = pending_b.popleft()
            out.append(_pair_of(None, j, aligner, oa, ob, _pair_tree(aligner, [], ob.children(j))))

    for i in rows:
        j = aligner.partner_a.get(i)
        if j is None:
            out.append(_pair_of(i, None, aligner, oa, ob, _pair_tree(aligner, oa.children(i), [])))
            continue
        if j in pos_b:
            flush(pos_b[j])
        out.append(_pair_of(i, j, aligner, oa, ob, _pair_tree(aligner, oa.children(i), ob.children(j))))
    flush(None)
    return out


# ---------------------------------------------------------------- matching helpers


def _max_weight_matching(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n_rows: int, n_cols: int) -> list[tuple[int, int]]:
    """A one-to-one choice of the candidate edges with the largest total
    weight (weights > 0), solved sparse: each row also gets a private dummy
    column, so a full matching always exists and leaving a row unmatched
    costs as much as an edge of weight 0. An edge costs top - w with top =
    max weight + 1, never 0 (scipy reads a stored 0 as no edge)."""
    if len(rows) == 0:
        return []
    # only rows and columns with an edge take part
    used_r, rows = np.unique(rows, return_inverse=True)
    used_c, cols = np.unique(cols, return_inverse=True)
    n_r, n_c = len(used_r), len(used_c)
    top = float(weights.max()) + 1.0
    data = np.concatenate([top - weights, np.full(n_r, top)])
    r = np.concatenate([rows, np.arange(n_r)])
    c = np.concatenate([cols, n_c + np.arange(n_r)])
    graph = sparse.csr_matrix((data, (r, c)), shape=(n_r, n_c + n_r))
    matched = min_weight_full_bipartite_matching(graph)[1]
    return [(int(used_r[i]), int(used_c[j])) for i, j in enumerate(matched) if j < n_c]


def _lis(values: list[int]) -> list[int]:
    """Indices of a longest strictly increasing subsequence (patience sort)."""
    tails: list[int] = []
    tail_at: list[int] = []
    back = [-1] * len(values)
    for n, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_at.append(n)
        else:
            tails[k] = v
            tail_at[k] = n
        back[n] = tail_at[k - 1] if k else -1
    out, n = [], tail_at[-1] if tail_at else -1
    while n >= 0:
        out.append(n)
        n = back[n]
    return out[::-1]


def _anchors(ka: np.ndarray, kb: np.ndarray) -> list[tuple[int, int]]:
    """Positions (p, q) with ka[p] == kb[q], increasing in both: equal
    sentences kept in order. Common prefix and suffix first (a speech
    against itself costs O(n)); then the LCS of what is between, or, when
    that would exceed LCS_CELLS, patience anchors (keys that occur once on
    each side, their longest increasing run) and the LCS between those."""
    n = min(len(ka), len(kb))
    diff = np.nonzero(ka[:n] != kb[:n])[0]
    head = int(diff[0]) if len(diff) else n
    tail_room = n - head
    rev = np.nonzero(ka[::-1][:tail_room] != kb[::-1][:tail_room])[0]
    tail = int(rev[0]) if len(rev) else tail_room
    out = [(p, p) for p in range(head)]
    mid_a, mid_b = ka[head:len(ka) - tail], kb[head:len(kb) - tail]
    out += [(head + p, head + q) for p, q in _middle_anchors(mid_a, mid_b)]
    out += [(len(ka) - tail + t, len(kb) - tail + t) for t in range(tail)]
    return out


def _middle_anchors(ka: np.ndarray, kb: np.ndarray) -> list[tuple[int, int]]:
    if len(ka) == 0 or len(kb) == 0:
        return []
    if len(ka) * len(kb) <= LCS_CELLS:
        out = []
        for op in Indel.opcodes(ka.tolist(), kb.tolist()):
            if op.tag == "equal":
                out.extend(zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)))
        return out
    # patience: keys unique on both sides, in increasing order on both
    ua, ca = np.unique(ka, return_counts=True)
    ub, cb = np.unique(kb, return_counts=True)
    unique = arrays.intersect1d(ua[ca == 1], ub[cb == 1])
    if len(unique) == 0:
        return []  # nothing to anchor on: the gap is scored over candidates
    keep = set(unique.tolist())
    pos_b = {k: q for q, k in enumerate(kb.tolist()) if k in keep}
    seq = [(p, pos_b[k]) for p, k in enumerate(ka.tolist()) if k in pos_b]
    chosen = [seq[n] for n in _lis([q for _, q in seq])]
    out, prev = [], (-1, -1)
    for p, q in chosen + [(len(ka), len(kb))]:
        out += [(prev[0] + 1 + x, prev[1] + 1 + y) for x, y in _anchors(ka[prev[0] + 1:p], kb[prev[1] + 1:q])]
        if p < len(ka):
            out.append((p, q))
        prev = (p, q)
    return out


# ---------------------------------------------------------------- sentences


@dataclass
class Match:
    a: int  # unit indices
    b: int
    similarity: float
    status: str  # identical, filled, edited, rewritten, moved
    pieces_a: list[Piece]
    pieces_b: list[Piece]


@dataclass
class Fill:
    """A template placeholder and what the other speech put in its place."""

    placeholder_side: str  # "a" or "b": the side that has the placeholder
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    placeholder: str  # as written (XX, xxx)
    value: str  # what fills it ("" when the copy dropped it)
    context: str  # the template sentence around the placeholder
    unit_a: int
    unit_b: int


class _SentenceMatcher:
    """One-to-one sentence pairs: in-order anchors and gap assignments
    inside blocks (soft floor), then moved text across blocks (threshold).

    Invariant: ``partner_a[i] == j`` iff ``partner_b[j] == i``; a unit, once
    paired, is never offered again."""

    def __init__(self, units_a, units_b, keys_a, keys_b, kid_a, kid_b, settings: Settings):
        self.units_a, self.units_b = units_a, units_b
        self.kid_a, self.kid_b = kid_a, kid_b
        self.settings = settings
        # what sentences are compared on: the key without placeholder slots
        self.cmp_a = [k.replace(SLOT, "") for k in keys_a]
        self.cmp_b = [k.replace(SLOT, "") for k in keys_b]
        self.slot_a = np.array([SLOT in k for k in keys_a], bool)
        self.slot_b = np.array([SLOT in k for k in keys_b], bool)
        self.head_a = np.array([u.heading for u in units_a], bool)
        self.head_b = np.array([u.heading for u in units_b], bool)
        self.partner_a = np.full(len(units_a), -1)
        self.partner_b = np.full(len(units_b), -1)
        # normalize()'d text of the units refined so far
        self._norm_a = Normalized([u.text for u in units_a])
        self._norm_b = Normalized([u.text for u in units_b])

    def _take(self, i: int, j: int) -> None:
        assert self.partner_a[i] < 0 and self.partner_b[j] < 0
        self.partner_a[i], self.partner_b[j] = j, i

    def _similarity(self, ia: np.ndarray, ib: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Refine ratio scores of pairs with a placeholder on either side:
        the placeholder-aware similarity of the character diff (a slot
        matches what fills it). Headings pair only with headings."""
        s = np.where(self.head_a[ia] == self.head_b[ib], s, 0.0)
        refine = (self.slot_a[ia] | self.slot_b[ib]) & (s >= self.settings.floor - REFINE_MARGIN)
        norm_a, norm_b = self._norm_a, self._norm_b
        for n in np.nonzero(refine)[0].tolist():  # ``_blocks``' similarity, without building its blocks
            s[n] = normalized_similarity(norm_a[int(ia[n])], norm_b[int(ib[n])])
        return s

    # -- inside a block

    def block(self, ia: list[int], ib: list[int]) -> None:
        """Pair the units of one block (each list in document order).

        Anchors (equal keys, in order) strictly increase in both lists, so
        the gaps between consecutive anchors are disjoint: every unit is
        either an anchor or in exactly one gap, and a gap only ever sees
        units no one has paired. A sentence moved within the block past
        an anchor is not in its partner's gap: what the gaps leave is
        offered once more as one gap of the whole block."""
        if not ia or not ib:
            return
        ka, kb = self.kid_a[ia], self.kid_b[ib]
        anchors = _anchors(ka, kb)
        if not anchors:
            # the one gap is the whole block: its second offer below is
            # the same matrix without the rows and columns just paired
            self.gap(ia, ib, twice=True)
            return
        prev = (-1, -1)
        # a sentinel anchor past both ends closes the last gap
        for p, q in anchors + [(len(ia), len(ib))]:
            self.gap(ia[prev[0] + 1:p], ib[prev[1] + 1:q])
            if p < len(ia):
                self._take(ia[p], ib[q])
            prev = (p, q)
        self.gap([i for i in ia if self.partner_a[i] < 0], [j for j in ib if self.partner_b[j] < 0])

    def gap(self, ga: list[int], gb: list[int], twice: bool = False) -> None:
        """Pair units of ``ga`` × ``gb`` (unpaired, in document order).
        ``twice``: then offer what is left once more, as a second call
        with the unpaired units would (a dense gap reuses its scores)."""
        if not ga or not gb:
            return
        floor = self.settings.floor
        if len(ga) * len(gb) <= DENSE_CELLS:
            s = process.cdist([self.cmp_a[i] for i in ga], [self.cmp_b[j] for j in gb], scorer=fuzz.ratio, dtype=np.float32,
                              workers=1 if len(ga) * len(gb) < 20_000 else -1) / 100.0
            ra, rb = np.meshgrid(np.array(ga), np.array(gb), indexing="ij")
            s = self._similarity(ra.ravel(), rb.ravel(), s.ravel().astype(float)).reshape(len(ga), len(gb))
            for _ in range(2 if twice else 1):
                rows = [r for r, i in enumerate(ga) if self.partner_a[i] < 0]
                cols = [c for c, j in enumerate(gb) if self.partner_b[j] < 0]
                if not rows or not cols:
                    return
                sub = s[np.ix_(rows, cols)] if len(rows) < len(ga) or len(cols) < len(gb) else s
                for r, c in zip(*linear_sum_assignment(sub, maximize=True)):
                    if sub[r, c] >= floor:
                        self._take(ga[rows[r]], gb[cols[c]])
            return
        if twice:
            self.gap(ga, gb)
            self.gap([i for i in ga if self.partner_a[i] < 0], [j for j in gb if self.partner_b[j] < 0])
            return
        # a large gap: candidates on a band around its diagonal (repetitive
        # or parallel text) and by rare shared trigrams (moved within it)
        offsets = np.arange(-BAND, BAND + 1)
        centre = (np.arange(len(ga)) * (len(gb) / len(ga))).astype(np.int64)
        band = centre[:, None] + offsets[None, :]
        ok = (band >= 0) & (band < len(gb))
        rows = np.broadcast_to(np.arange(len(ga))[:, None], band.shape)[ok]
        cols = band[ok]
        cr, cc = _gram_candidates([self.cmp_a[i] for i in ga], [self.cmp_b[j] for j in gb])
        self._assign(np.array(ga), np.array(gb), np.concatenate([rows, cr]).astype(np.int64), np.concatenate([cols, cc]).astype(np.int64), floor)

    def _assign(self, ga: np.ndarray, gb: np.ndarray, rows: np.ndarray, cols: np.ndarray, floor: float) -> None:
        """Score candidate (row, col) pairs of units ``ga`` × ``gb`` and take
        the best one-to-one set scoring at least ``floor``."""
        if len(rows) == 0:
            return
        cells = arrays.unique(rows * len(gb) + cols)
        rows, cols = cells // len(gb), cells % len(gb)
        s = process.cpdist([self.cmp_a[i] for i in ga[rows]], [self.cmp_b[j] for j in gb[cols]], scorer=fuzz.ratio,
                           dtype=np.float64, workers=-1 if len(rows) > 20_000 else 1) / 100.0
        s = self._similarity(ga[rows], gb[cols], s)
        keep = s >= floor
        rows, cols, s = rows[keep], cols[keep], s[keep]
        for r, c in _max_weight_matching(rows, cols, s, len(ga), len(gb)):
            self._take(int(ga[r]), int(gb[c]))

    # -- across blocks

    def moved(self) -> None:
        """Units still alone, paired across blocks at the full threshold:
        equal keys first (in document order), then rare-trigram candidates."""
        rest_a = np.nonzero(self.partner_a < 0)[0]
        rest_b = np.nonzero(self.partner_b < 0)[0]
        if not len(rest_a) or not len(rest_b):
            return
        waiting: dict[int, deque] = defaultdict(deque)
        for j in rest_b:
            waiting[int(self.kid_b[j])].append(int(j))
        for i in rest_a:
            queue = waiting.get(int(self.kid_a[i]))
            while queue and self.partner_b[queue[0]] >= 0:
                queue.popleft()
            if queue and len(self.cmp_a[i]) > 0:
                self._take(int(i), queue.popleft())
        rest_a = np.nonzero(self.partner_a < 0)[0]
        rest_b = np.nonzero(self.partner_b < 0)[0]
        if not len(rest_a) or not len(rest_b):
            return
        cr, cc = _gram_candidates([self.cmp_a[i] for i in rest_a], [self.cmp_b[j] for j in rest_b])
        self._assign(rest_a, rest_b, cr, cc, self.settings.threshold)


def _gram_candidates(texts_a: list[str], texts_b: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (row, col) sharing at least MIN_GRAMS trigrams that
    occur in at most MAX_POSTING sentences of each side; at most
    TOP_CANDIDATES per row, most shared first. The product of the two
    incidence matrices then costs at most MAX_POSTING per trigram
    occurrence: linear in the text, whatever it repeats."""
    ra, ga = _grams(texts_a, GRAM)
    rb, gb = _grams(texts_b, GRAM)
    if not len(ga) or not len(gb):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    vocab, inverse = np.unique(np.concatenate([ga, gb]), return_inverse=True)
    ma = _incidence(ra, inverse[: len(ga)], len(texts_a), len(vocab))
    mb = _incidence(rb, inverse[len(ga):], len(texts_b), len(vocab))
    # one stored entry per (sentence, trigram): the number of entries of a
    # column is the trigram's sentence count
    df_a = np.bincount(ma.indices, minlength=len(vocab))
    df_b = np.bincount(mb.indices, minlength=len(vocab))
    rare = (df_a <= MAX_POSTING) & (df_b <= MAX_POSTING) & (df_a > 0) & (df_b > 0)
    for m in (ma, mb):
        m.data = rare[m.indices].astype(np.float64)  # presence of rare trigrams only
        m.eliminate_zeros()
    shared = (ma @ mb.T).tocsr()
    # every row's candidates at once; a row with more than TOP_CANDIDATES
    # keeps its most shared ones (argpartition on the row as stored, so
    # ties fall as they always have). The order of the pairs returned does
    # not matter: callers take them as a set of cells.
    row_of = np.repeat(np.arange(shared.shape[0]), np.diff(shared.indptr))
    ok = shared.data >= MIN_GRAMS
    crowded = np.bincount(row_of[ok], minlength=shared.shape[0]) > TOP_CANDIDATES
    keep = ok & ~crowded[row_of]
    rows, cols = [row_of[keep]], [shared.indices[keep].astype(np.int64)]
    for r in np.flatnonzero(crowded).tolist():
        lo, hi = shared.indptr[r], shared.indptr[r + 1]
        counts, idx = shared.data[lo:hi], shared.indices[lo:hi]
        counts, idx = counts[counts >= MIN_GRAMS], idx[counts >= MIN_GRAMS]
        top = np.argpartition(-counts, TOP_CANDIDATES)[:TOP_CANDIDATES]
        rows.append(np.full(TOP_CANDIDATES, r, np.int64))
        cols.append(idx[top].astype(np.int64))
    return np.concatenate(rows).astype(np.int64), np.concatenate(cols)


def shared_clauses(units_a: list[Unit], units_b: list[Unit], matched_a: set[int], matched_b: set[int]) -> tuple[dict[int, list[Piece]], dict[int, list[Piece]]]:
    """In sentences without a partner, clauses (between commas) that occur
    word for word in the other speech: reused phrases inside new sentences.
    Clauses are read from the comparable form (a placeholder run is one
    slot) and mapped back to offsets in the speech."""
    norm_a = [normalize(u.text) for u in units_a]
    norm_b = [normalize(u.text) for u in units_b]

    def keys(norms) -> set[str]:
        # every clause of a speech in one regex pass ("\n" ends a clause);
        # the group is the clause without its closing mark
        return {k for k in CLAUSE.findall("\n".join(n for n, _ in norms)) if len(k) >= MIN_SHARED_CLAUSE}

    found_a: dict[int, list[Piece]] = {}
    found_b: dict[int, list[Piece]] = {}
    for units, norms, matched, other_keys, found in (
        (units_a, norm_a, matched_a, keys(norm_b), found_a),
        (units_b, norm_b, matched_b, keys(norm_a), found_b),
    ):
        for u, (norm, spans) in zip(units, norms):
            if u.index in matched:
                continue
            pieces = []
            for m in CLAUSE.finditer(norm):
                k = m.group(1)
                if len(k) >= MIN_SHARED_CLAUSE and k in other_keys:
                    start, end = (spans[m.start()][0], spans[m.end() - 1][1]) if spans else (m.start(), m.end())
                    pieces.append(Piece(u.start + start, u.start + end, "same"))
            if pieces:
                found[u.index] = pieces
    return found_a, found_b


# ---------------------------------------------------------------- the diff


class Row(NamedTuple):
    """One line of the side-by-side view: a sentence of A, of B, or both."""

    a: int | None
    b: int | None
    status: str  # identical, filled, edited, rewritten, moved, only_a, only_b, heading
    similarity: float = 0.0


@dataclass
class SectionRows:
    pair: SectionPair
    label_a: str
    label_b: str
    rows: list[Row]
    shared_a: float  # share of characters shared with the other speech
    shared_b: float


SHARE_KINDS = {"same": "shared", "fill": "filled", "edit": "edited", "local": "local"}


@dataclass(repr=False)
class Side:
    speech: Speech
    units: list[Unit]
    pieces: dict[int, list[Piece]]  # unit index -> its classified runs
    shared: float  # share of the speech's characters the other has word for word
    local_passages: list[Unit]
    filled: float = 0.0  # share in filled-in template slots (placeholder or value)
    edited: float = 0.0  # share changed within a paired sentence
    local: float = 0.0  # share in no pair and no shared clause
    # the boilerplate rule applied to this speech against the other
    # (boilerplate.Labels: per unit label, and the four shares)
    rule: object = field(default=None, compare=False)

    def __repr__(self) -> str:
        return (f"<Side {self.speech.name!r}: {len(self.units)} units, shared {self.shared:.1%}, filled {self.filled:.1%}, "
                f"edited {self.edited:.1%}, local {self.local:.1%}>")


@dataclass(repr=False)
class Diff:
    a: Side
    b: Side
    sections: list[SectionRows]
    matches: list[Match]
    threshold: float
    fills: list[Fill] = field(default_factory=list)
    pairs: list[SectionPair] = field(default_factory=list)  # the section tree
    floor: float = DEFAULT_FLOOR

    @property
    def shared(self) -> float:
        """Shared share of both speeches' characters together."""
        total = _chars(self.a.units) + _chars(self.b.units)
        return (self.a.shared * _chars(self.a.units) + self.b.shared * _chars(self.b.units)) / total if total else 1.0

    def __repr__(self) -> str:
        paired = sum(1 for sr in self.sections if sr.pair.a and sr.pair.b)
        return (f"<Diff {self.a.speech.name!r} ⇄ {self.b.speech.name!r}: {len(self.matches)} sentence pairs, "
                f"{paired} section pairs, shared {self.a.shared:.0%}/{self.b.shared:.0%}, {len(self.fills)} fills>")


def _chars(units: list[Unit]) -> int:
    return sum(len(u.text) for u in units)


def _shares(units: list[Unit], pieces: dict[int, list[Piece]], indices=None) -> dict[str, float]:
    """Share of the units' characters in each piece kind (sums to 1)."""
    chosen = units if indices is None else [units[i] for i in indices]
    total = _chars(chosen)
    counts = dict.fromkeys(SHARE_KINDS.values(), 0)
    for u in chosen:
        for p in pieces.get(u.index, ()):
            counts[SHARE_KINDS[p.kind]] += p.end - p.start
    return {k: (v / total if total else 0.0) for k, v in counts.items()}


def _block_of(outline: _Outline, partner: dict[int, int], part_of: dict[int, tuple[int, dict]], other_partner: dict[int, int], a_side: bool) -> np.ndarray:
    """For each section, the A-section index of the pair whose block holds
    its sentences: its own pair, else the pair of the section it is part
    of, else its parent's block; -1 when no ancestor is paired. (Preorder:
    a parent is resolved before its children.)"""
    block = np.full(len(outline.sections), -1)
    for i in range(len(outline.sections)):
        if i in partner:
            block[i] = i if a_side else partner[i]
        elif i in part_of:
            j = part_of[i][0]
            block[i] = other_partner[j] if a_side else j
        elif outline.parent[i] >= 0:
            block[i] = block[outline.parent[i]]
    return block


def diff(a: Speech, b: Speech, threshold: float = DEFAULT_THRESHOLD, floor: float | None = None) -> Diff:
    """Align speech ``b`` to speech ``a``."""
    with gc_paused():
        return _diff(a, b, threshold, floor)


def section_pairs(a: Speech, b: Speech, threshold: float = DEFAULT_THRESHOLD) -> list[SectionPair]:
    """Only the section tree of ``diff(a, b)``: which sections of ``b`` are
    which of ``a`` (renumbered and reworded headings included), without
    matching sentences. What the evolution of a series follows year by year."""
    with gc_paused():
        settings = Settings(threshold, min(DEFAULT_FLOOR, threshold))
        return _sections(a, b, settings)[-1]


def _sections(a: Speech, b: Speech, settings: Settings):
    units_a, units_b = units_of(a), units_of(b)
    keys_a, keys_b = textkey.keys([u.text for u in units_a]), textkey.keys([u.text for u in units_b])
    ids: dict[str, int] = {}
    kid_a = np.array([ids.setdefault(k, len(ids)) for k in keys_a], np.int64)
    kid_b = np.array([ids.setdefault(k, len(ids)) for k in keys_b], np.int64)
    len_a = np.array([len(u.text) for u in units_a], float)
    len_b = np.array([len(u.text) for u in units_b], float)
    oa, ob = _Outline(a, units_a), _Outline(b, units_b)
    aligner = _SectionAligner(_Scorer(oa, ob, keys_a, keys_b, kid_a, kid_b, len_a, len_b), settings)
    aligner.run()
    return units_a, units_b, keys_a, keys_b, kid_a, kid_b, oa, ob, aligner, _pair_tree(aligner, oa.roots, ob.roots)


def _diff(a: Speech, b: Speech, threshold: float, floor: float | None) -> Diff:
    settings = Settings(threshold, min(DEFAULT_FLOOR, threshold) if floor is None else floor)
    # sections
    units_a, units_b, keys_a, keys_b, kid_a, kid_b, oa, ob, aligner, pairs = _sections(a, b, settings)

    # sentences: blocks keyed by the A section of their pair
    block_a = _block_of(oa, aligner.partner_a, aligner.part_of_a, aligner.partner_b, True)[oa.unit_section] if len(units_a) else np.zeros(0, int)
    block_b = _block_of(ob, aligner.partner_b, aligner.part_of_b, aligner.partner_a, False)[ob.unit_section] if len(units_b) else np.zeros(0, int)
    members: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for i, blk in enumerate(block_a.tolist()):
        if blk >= 0:
            members[blk][0].append(i)
    for j, blk in enumerate(block_b.tolist()):
        if blk >= 0:
            members[blk][1].append(j)
    matcher = _SentenceMatcher(units_a, units_b, keys_a, keys_b, kid_a, kid_b, settings)
    for ia, ib in members.values():
        matcher.block(ia, ib)
    matcher.moved()

    # characters, only for the pairs chosen
    matches: list[Match] = []
    fills: list[Fill] = []
    for i in np.nonzero(matcher.partner_a >= 0)[0].tolist():
        j = int(matcher.partner_a[i])
        ua, ub = units_a[i], units_b[j]
        pieces_a, pieces_b, s, found = _pair_diff(ua, ub)
        kinds = {p.kind for p in pieces_a + pieces_b}
        if block_a[i] < 0 or block_a[i] != block_b[j]:
            status = "moved"
        elif "edit" not in kinds:
            status = "filled" if "fill" in kinds else "identical"
        else:
            status = "edited" if s >= settings.threshold else "rewritten"
        matches.append(Match(i, j, float(s), status, pieces_a, pieces_b))
        fills.extend(_fills(a, b, ua, ub, found))
    pieces_a: dict[int, list[Piece]] = {m.a: m.pieces_a for m in matches}
    pieces_b: dict[int, list[Piece]] = {m.b: m.pieces_b for m in matches}
    clauses_a, clauses_b = shared_clauses(units_a, units_b, set(pieces_a), set(pieces_b))
    pieces_a.update(_fill_local(units_a, clauses_a))
    pieces_b.update(_fill_local(units_b, clauses_b))
    for units, pieces in ((units_a, pieces_a), (units_b, pieces_b)):
        for u in units:
            pieces.setdefault(u.index, [Piece(u.start, u.end, "local")])
    sides = []
    for speech, units, pieces in ((a, units_a, pieces_a), (b, units_b, pieces_b)):
        sh = _shares(units, pieces)
        sides.append(Side(speech, units, pieces, sh["shared"], local_passages(speech, units, pieces), sh["filled"], sh["edited"], sh["local"]))
    # what is boilerplate between the two: the one rule (boilerplate.py), on
    # the same units (fingerprint.units_of is this module's units_of)
    from . import boilerplate
    from .fingerprint import from_keys

    # (fingerprint(a) would key every sentence again)
    sides[0].rule, sides[1].rule = boilerplate.pair(from_keys(a, units_a, keys_a), from_keys(b, units_b, keys_b))
    sections = section_rows(pairs, units_a, units_b, matches, pieces_a, pieces_b)
    return Diff(sides[0], sides[1], sections, matches, threshold, fills, pairs, settings.floor)


FILL_CONTEXT = 12  # characters of the template sentence shown on each side of a placeholder


def _fills(a: Speech, b: Speech, ua: Unit, ub: Unit, found) -> list[Fill]:
    out = []
    for a0, a1, b0, b1 in found:
        text_a, text_b = a.text[a0:a1], b.text[b0:b1]
        side = "a" if text_a and set(comparable(text_a)) <= {SLOT} else "b"
        unit, s0, s1 = (ua, a0, a1) if side == "a" else (ub, b0, b1)
        speech = a if side == "a" else b
        context = speech.text[max(unit.start, s0 - FILL_CONTEXT):s0] + "〔" + speech.text[s0:s1] + "〕" + speech.text[s1:min(unit.end, s1 + FILL_CONTEXT)]
        out.append(Fill(side, a0, a1, b0, b1, text_a if side == "a" else text_b, text_b if side == "a" else text_a, context, ua.index, ub.index))
    return out


def _fill_local(units: list[Unit], shared: dict[int, list[Piece]]) -> dict[int, list[Piece]]:
    """Complete each sentence's shared clauses with local runs between them."""
    out = {}
    for index, pieces in shared.items():
        u = units[index]
        filled, pos = [], u.start
        for p in pieces:
            if p.start > pos:
                filled.append(Piece(pos, p.start, "local"))
            filled.append(p)
            pos = p.end
        if pos < u.end:
            filled.append(Piece(pos, u.end, "local"))
        out[index] = filled
    return out


def section_rows(
    pairs: list[SectionPair],
    units_a: list[Unit],
    units_b: list[Unit],
    matches: list[Match],
    pieces_a: dict[int, list[Piece]],
    pieces_b: dict[int, list[Piece]],
) -> list[SectionRows]:
    """Rows for each section pair (flattened, outline order). A sentence
    belongs to the deepest section that holds it; matched sentences face
    each other when both lie in the pair, else each stands in its own row
    and is marked moved."""
    partner_of_a = {m.a: m for m in matches}
    partner_of_b = {m.b: m for m in matches}
    own_a: dict[int, list[int]] = defaultdict(list)
    own_b: dict[int, list[int]] = defaultdict(list)
    for u in units_a:
        own_a[id(u.section)].append(u.index)
    for u in units_b:
        own_b[id(u.section)].append(u.index)
    out = []
    for pair in walk_pairs(pairs):
        mine_a = own_a.get(id(pair.a), []) if pair.a is not None else []
        mine_b = own_b.get(id(pair.b), []) if pair.b is not None else []
        in_b = set(mine_b)
        rows: list[Row] = []
        emitted_b: set[int] = set()
        queue_b = deque(mine_b)

        def flush_b(until: int | None):
            # B rows up to ``until`` (a B unit index) in B's order
            while queue_b and (until is None or queue_b[0] <= until):
                j = queue_b.popleft()
                if j in emitted_b:
                    continue
                emitted_b.add(j)
                m = partner_of_b.get(j)
                status = "moved" if m else "only_b"
                if units_b[j].heading:
                    status = "heading"
                rows.append(Row(None, j, status, m.similarity if m else 0.0))

        for i in mine_a:
            m = partner_of_a.get(i)
            if units_a[i].heading and mine_b and units_b[mine_b[0]].heading:
                j = mine_b[0]
                flush_b(j - 1)
                emitted_b.add(j)
                rows.append(Row(i, j, "heading", m.similarity if m and m.b == j else 0.0))
                continue
            if m and m.b in in_b and m.b not in emitted_b:
                flush_b(m.b - 1)
                emitted_b.add(m.b)
                rows.append(Row(i, m.b, m.status if m.status != "moved" else _face_status(m), m.similarity))
            else:
                rows.append(Row(i, None, "moved" if m else "only_a", m.similarity if m else 0.0))
        flush_b(None)
        sa = _shares(units_a, pieces_a, mine_a)["shared"] if mine_a else 0.0
        sb = _shares(units_b, pieces_b, mine_b)["shared"] if mine_b else 0.0
        out.append(SectionRows(pair, _label(pair.a, units_a, own_a), _label(pair.b, units_b, own_b), rows, sa, sb))
    return out


def _face_status(m: Match) -> str:
    kinds = {p.kind for p in m.pieces_a + m.pieces_b}
    return "edited" if "edit" in kinds else ("filled" if "fill" in kinds else "identical")


def _label(section: Section | None, units: list[Unit], own: dict[int, list[int]]) -> str:
    if section is None:
        return ""
    mine = own.get(id(section))
    if mine:
        return units[mine[0]].path or "开场"
    return section.label


# ---------------------------------------------------------------- local content


_MAX_BOOST = 1 + 10 / 3  # the most a sentence's figures and names multiply its local characters by
_SPECIFIC = re.compile(r"\d|[亿万]元|公里|项目|工程|[县区镇村市]|医院|学校|公司|集团|高速|铁路|机场")


def local_passages(speech: Speech, units: list[Unit], pieces: dict[int, list[Piece]], n: int = 5) -> list[Unit]:
    """The sentences most specific to this speech: mostly local characters,
    rich in figures and named places and projects."""
    local_chars = []
    for u in units:
        if not u.heading:
            local = sum(p.end - p.start for p in pieces.get(u.index, ()) if p.kind in ("local", "edit"))
            if local >= 15:
                local_chars.append((local, u))
    # most local first: a sentence's score is at most BOOST x its local
    # characters, so the search stops once that cannot reach the n-th best
    local_chars.sort(key=lambda x: -x[0])
    scored: list[tuple[float, Unit]] = []
    best: list[float] = []  # min-heap of the n best scores so far
    for local, u in local_chars:
        if len(best) >= n and local * _MAX_BOOST < best[0]:
            break
        specific = len(_SPECIFIC.findall(u.text))
        score = local * (1 + min(specific, 10) / 3)
        scored.append((score, u))
        heapq.heappush(best, score)
        if len(best) > n:
            heapq.heappop(best)
    scored.sort(key=lambda x: (-x[0], x[1].index))  # ties: document order
    return sorted((u for _, u in scored[:n]), key=lambda u: u.start)
