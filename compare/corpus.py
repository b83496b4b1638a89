"""Many speeches at once: fingerprints, similar pairs, near-duplicate
families, the boilerplate phrasebook, and what each speech says that the
others do not.

Text is compared through fingerprints: each sentence is reduced to a key
(punctuation dropped, placeholder runs as one slot, already simplified by
ingest) and hashed as overlapping runs of SHINGLE characters. A character is
boilerplate when a run covering it occurs in another speech. Copies of one
speech (a template and its web copy) form a family and count once, so a
mirrored speech does not make its own text look like boilerplate.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from . import analyze, arrays, boilerplate
from .align import MIN_SHARED_CLAUSE, Unit, normalized_similarity
from .model import Speech, packed, unpacked
from .fingerprint import KEY_BLOCK, MIN_KEY, SHINGLE, key_blocks, Fingerprint, covered_chars, fingerprint, from_keys, key_runs, lookup, shingles, unit_runs  # noqa: F401 (re-exported)
from .textkey import NUMBER, KeySpans, Normalized, key, normalize  # noqa: F401 (key re-exported)

NEAR_DUPLICATE = 0.8  # Jaccard of two speeches' fingerprints: copies of one speech
RELATED = 0.1  # a pair sharing at least this much (Pair.shared, balanced) is worth a diff
CANDIDATE = 0.05  # MinHash LSH proposes pairs above this Jaccard (related speeches: about 0.05-0.2)
SENTENCE_VARIANT = 0.75  # placeholder-aware similarity for two wordings of one sentence
WORDING_THRESHOLD = 0.5  # MinHash LSH proposes two sentence keys as wordings of one sentence above this Jaccard of their 3-grams
# A band bucket of more sentence keys than this gives a chain of neighbours,
# not every pair, to the wordings' check. A bucket of 300 is 45,000 checks
# (~1.5 s); the largest of 1,000 generated speeches holds 249 keys, of 10,000
# speeches some thousands (one frame filled by every town), whose every pair
# would be checked. Chained, a crowd costs its size.
WORDING_CAP = 100
MIN_PHRASE = MIN_SHARED_CLAUSE
EXACT_PAIRS_LIMIT = 150  # up to this many speeches compare every pair; above, MinHash LSH proposes
NUM_PERM = 64


# ---------------------------------------------------------------- pairs and families


@dataclass
class Pair:
    """Two speeches and how much of each one's text the other also has."""

    a: int
    b: int
    jaccard: float
    shared_a: float  # share of a's fingerprints found in b
    shared_b: float

    @property
    def shared(self) -> float:
        """How related the two are, balanced: the harmonic mean of both
        sides' shares. The larger share alone ranks a short resolution that
        quotes a long report as high as two consecutive reports; the
        harmonic mean needs both sides to share much."""
        total = self.shared_a + self.shared_b
        return 2 * self.shared_a * self.shared_b / total if total else 0.0


class Pairs(Sequence):
    """The measured pairs of a corpus run as arrays, sorted by (a, b): a
    ``Pair`` is made when one is read. (2.6 M pairs at 30,000 speeches took
    ~1 GB as Pair objects and the dict that gathered them.)"""

    def __init__(self, a: np.ndarray, b: np.ndarray, both: np.ndarray, size_a: np.ndarray, size_b: np.ndarray):
        self.a, self.b, self.both, self.size_a, self.size_b = a, b, both, size_a, size_b

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return _pair(int(self.a[i]), int(self.b[i]), int(self.size_a[i]), int(self.size_b[i]), int(self.both[i]))

    def __iter__(self):
        columns = (self.a.tolist(), self.b.tolist(), self.size_a.tolist(), self.size_b.tolist(), self.both.tolist())
        return (_pair(*row) for row in zip(*columns))

    def slice(self, lo: int, hi: int) -> "Pairs":
        return Pairs(self.a[lo:hi], self.b[lo:hi], self.both[lo:hi], self.size_a[lo:hi], self.size_b[lo:hi])

    def jaccard(self) -> np.ndarray:
        """Each pair's ``Pair.jaccard``, the same doubles."""
        union = self.size_a + self.size_b - self.both
        return np.divide(self.both, union, out=np.zeros(len(self)), where=union > 0)

    def shares(self, sizes: np.ndarray) -> np.ndarray:
        """Each pair's ``Pair.shared_a`` (``sizes``: ``size_a``) or
        ``shared_b`` (``size_b``), the same doubles."""
        return np.divide(self.both, sizes, out=np.zeros(len(self)), where=sizes > 0)

    def ranked(self) -> "Pairs":
        """The pairs by (-shared, a, b), as ``ranked_pairs``: the order from
        the arrays (``Pair.shared``'s doubles, computed the same way)."""
        sa, sb = self.shares(self.size_a), self.shares(self.size_b)
        total = sa + sb
        shared = np.divide(2 * sa * sb, total, out=np.zeros(len(self)), where=total > 0)
        order = np.lexsort((self.b, self.a, -shared))
        return Pairs(self.a[order], self.b[order], self.both[order], self.size_a[order], self.size_b[order])


def ranked_pairs(pairs) -> Sequence[Pair]:
    """Pairs by how related (``Pair.shared``, highest first), then (a, b)."""
    if isinstance(pairs, Pairs):
        return pairs.ranked()
    return sorted(pairs, key=lambda p: (-p.shared, p.a, p.b))


def no_progress(items, description: str):
    """The default ``progress``: a caller may pass one that shows a bar."""
    return items


def shared_counts(sets: list[np.ndarray], todo: list[tuple[int, int]], progress=no_progress) -> dict[tuple[int, int], int]:
    """How many fingerprints each pair of speeches shares: one sparse
    product per speech against all its partners, not a set operation per pair."""
    if not todo:
        return {}
    distinct, columns = np.unique(np.concatenate(sets), return_inverse=True)
    starts = np.concatenate(([0], np.cumsum([len(s) for s in sets])))
    matrix = sparse.csr_array((np.ones(len(columns), dtype=np.float32), columns, starts), shape=(len(sets), len(distinct)))
    partners: dict[int, list[int]] = defaultdict(list)
    for a, b in todo:
        partners[a].append(b)
    out = {}
    for a in progress(list(partners), "comparing pairs"):
        mine = np.zeros(len(distinct), dtype=np.float32)
        mine[columns[starts[a] : starts[a + 1]]] = 1
        for b, both in zip(partners[a], matrix[partners[a]] @ mine):
            out[a, b] = int(both)
    return out


def _pair(a: int, b: int, size_a: int, size_b: int, both: int) -> Pair:
    union = size_a + size_b - both
    return Pair(a, b, both / union if union else 0.0, both / size_a if size_a else 0.0, both / size_b if size_b else 0.0)


def lsh_candidates(hash_sets, threshold: float, cap: int | None = None) -> list[tuple[int, int]]:
    """(j, i) with j < i, sorted, for each pair of hash sets whose Jaccard is
    likely at least ``threshold``: the pairs datasketch's ``MinHashLSH`` (its
    band layout for ``threshold`` and NUM_PERM) returns when each set is
    queried and then inserted in order, with ``MinHash(scheme="affine64")``
    sketches over the hashes as they are.

    Computed as arrays rather than one sketch and one query per set (a
    Python loop over each set's hashes, then a dict lookup per band: 6.7 s
    for the 30,000 sentence keys of 1,000 speeches): every set's sketch is
    the minimum over its hashes of datasketch's permutations applied to the
    mixed hash (the same ``a``, ``b`` and MurmurHash3 finalizer), and two
    sets are candidates when some band of ``r`` sketch values is equal in
    both, which is when datasketch's band hash tables meet. Same pairs
    (tests/test_corpus.py compares them with datasketch's own loop).

    ``cap``: a bucket of more members gives only its consecutive members
    (in index order) as pairs, as BAND_CAP does for speeches: every pair
    of a crowd is quadratic in the corpus (the same frame filled by every
    town of a province), and its true pairs mostly meet in other bands."""
    pairs = lsh_pairs(hash_sets, threshold, cap)
    return list(zip((pairs >> 32).tolist(), (pairs & 0xFFFFFFFF).tolist()))


def lsh_pairs(hash_sets, threshold: float, cap: int | None = None) -> np.ndarray:
    """``lsh_candidates`` as one sorted array of ``j << 32 | i`` (no tuple
    per pair: the phrasebook's wordings have millions)."""
    sets = [np.asarray(s, dtype=np.uint64) for s in hash_sets]
    if len(sets) < 2:
        return np.zeros(0, dtype=np.int64)
    bands, rows, a, b = _lsh_layout(threshold)
    return _band_pairs(_sketches(sets, a[: bands * rows], b[: bands * rows]), bands, rows, cap)


def key_lsh_pairs(keys: list[str], k: int, threshold: float, cap: int | None = None, map_blocks=None) -> np.ndarray:
    """``lsh_pairs`` of the keys' ``key_runs(keys, k)``, their sketches made
    block by block (the runs of every key at once were 540 MB for the
    876,000 sentence keys of 30,000 speeches; the sketches are 56 values a
    key). ``map_blocks(sketch, blocks)``: ``[sketch(keys[at:stop]) for at,
    stop in blocks]`` (the default), or the same computed elsewhere, in order
    (``run`` makes the sketches on the engine: at 10,000 speeches they were
    ~8 s of one process)."""
    if len(keys) < 2:
        return np.zeros(0, dtype=np.int64)
    bands, rows, a, b = _lsh_layout(threshold)
    a, b = a[: bands * rows], b[: bands * rows]  # the columns the bands use
    _, signature = _by_blocks(keys, KEY_BLOCK, functools.partial(key_sketches, k=k, a=a, b=b), map_blocks)
    return _band_pairs(np.concatenate(signature), bands, rows, cap)


def _by_blocks(keys: list[str], limit: int, fn, map_blocks=None) -> tuple[list[tuple[int, int]], list]:
    """The blocks of ``keys`` (``key_blocks`` of ``limit`` characters) and
    ``fn`` of each block's keys, in order: in this process, or by
    ``map_blocks(fn, blocks)`` (``run``: a ``key_block`` task each)."""
    blocks = list(key_blocks(keys, limit))
    return blocks, [fn(keys[at:stop]) for at, stop in blocks] if map_blocks is None else map_blocks(fn, blocks)


def key_sketches(keys, k: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash sketches (one row a key) of the keys' ``key_runs(keys, k)``
    under the permutations ``a``, ``b``; ``keys``: a sequence of str."""
    runs, offsets = key_runs(list(keys), k)
    return _flat_sketches(runs, offsets, a, b)


def _band_pairs(signature: np.ndarray, bands: int, rows: int, cap: int | None) -> np.ndarray:
    """The pairs whose sketches are equal on some band (see ``lsh_candidates``)."""
    found = []
    for band in range(bands):
        values = signature[:, band * rows : (band + 1) * rows]
        # equal bands next to each other, each run in index order: sorted by
        # one 64-bit mix of the band's values (a stable sort of one column,
        # ~2.5x faster than lexsort's sort per column on 900,000 keys); two
        # different bands that mix to one value could interleave, so then
        # the band is sorted by its values themselves
        mixed = _band_key(values)
        order = np.argsort(mixed, kind="stable")
        ranked = values[order]
        differ = (ranked[1:] != ranked[:-1]).any(axis=1)
        if rows > 1 and (differ & (mixed[order[1:]] == mixed[order[:-1]])).any():
            order = np.lexsort(values.T[::-1])
            ranked = values[order]
            differ = (ranked[1:] != ranked[:-1]).any(axis=1)
        starts = np.flatnonzero(np.concatenate(([True], differ, [True])))
        lo, sizes = starts[:-1], np.diff(starts)
        order = order.astype(np.int64)
        chained = sizes > cap if cap is not None else np.zeros(len(sizes), dtype=bool)
        # the buckets of each size at once (a band has thousands, most of two)
        grouped = (sizes > 1) & ~chained
        found += _group_pairs(order, lo[grouped], sizes[grouped])
        for at, size in zip(lo[chained].tolist(), sizes[chained].tolist()):
            members = order[at : at + size]
            found.append(members[:-1] << 32 | members[1:])
    if not found:
        return np.zeros(0, dtype=np.int64)
    return arrays.unique(np.concatenate(found))


def _band_key(values: np.ndarray) -> np.ndarray:
    """One value per row of a band's sketch values, equal for equal rows:
    the value itself for a band of one row, else a uint64 mix."""
    if values.shape[1] == 1:
        return values[:, 0]
    values = values.astype(np.uint64, copy=False)  # (sketches are uint64: any other integers wrap, equal stays equal)
    with np.errstate(over="ignore"):
        key = values[:, 0] * np.uint64(0x9E3779B97F4A7C15)
        for c in range(1, values.shape[1]):
            key = (key ^ values[:, c]) * np.uint64(0xBF58476D1CE4E5B9)
    return key


def _group_pairs(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray, k: int = 1) -> list[np.ndarray]:
    """``members[s + j] << 32 | members[s + i]`` for j + k <= i < size of
    every group (``members[s : s + size]``, non-negative int64 below 2**32)
    of ``starts`` and ``sizes``: the groups of each size at once (LSH buckets
    hold thousands of groups, most of 2-5: one call a group cost more than
    the pairs)."""
    out = []
    for size in np.unique(sizes).tolist():
        first = starts[sizes == size][:, None]
        j, i = _pairs_of(size, k)
        out.append((members[first + j] << 32 | members[first + i]).ravel())
    return out


@functools.lru_cache(maxsize=1024)
def _pairs_of(size: int, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(j, i) with j + k <= i of ``range(size)``: most buckets have 2-5 members."""
    return np.triu_indices(size, k=k)


# datasketch's MinHashLSH band layout (bands, rows per band) at NUM_PERM for
# the thresholds this module uses. Building a MinHashLSH to learn it imports
# scipy.integrate and weighs all 280 layouts (560 quadratures):
# 0.3-0.6 s on every report's driver (the development corpus' whole report
# is ~7 s). Another threshold is asked of datasketch; tests/test_corpus.py
# holds this table and _affine64 to datasketch's own.
_LAYOUTS = {(CANDIDATE, NUM_PERM): (32, 1), (WORDING_THRESHOLD, NUM_PERM): (14, 4)}


@functools.cache
def _lsh_layout(threshold: float) -> tuple[int, int, np.ndarray, np.ndarray]:
    """datasketch's band count and rows per band for ``threshold`` and
    NUM_PERM, and the affine64 permutations every MinHash(num_perm=NUM_PERM)
    draws (seed 1)."""
    if (threshold, NUM_PERM) in _LAYOUTS:
        bands, rows = _LAYOUTS[threshold, NUM_PERM]
    else:
        from datasketch import MinHashLSH

        lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        bands, rows = lsh.b, lsh.r
    a, b = _affine64(NUM_PERM, seed=1)
    return bands, rows, a, b


def _affine64(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``MinHash(num_perm=num_perm, seed=seed, scheme="affine64").permutations``
    without importing datasketch (see _LAYOUTS): its two draws from
    ``RandomState(seed)``, odd multipliers ``a`` and offsets ``b``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 63, num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = gen.randint(0, 1 << 64, num_perm, dtype=np.uint64)
    return a, b


_FMIX64 = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(33), np.uint64(0xC4CEB9FE1A85EC53), np.uint64(33))
_EMPTY_SKETCH = np.uint64((1 << 64) - 1)  # datasketch's value for a set with no hashes


def _sketches(sets: list[np.ndarray], a: np.ndarray, b: np.ndarray, chunk: int = 1 << 13) -> np.ndarray:
    """MinHash values (len(sets) x len(a)): per set and permutation, the
    minimum of ``a * fmix64(h) + b`` (mod 2**64) over its hashes. The sets
    are joined a group of about SKETCH_GROUP hashes at a time (so the
    copy stays small beside them: many speeches' sets are tens of millions
    of hashes)."""
    lengths = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    out = np.full((len(sets), len(a)), _EMPTY_SKETCH, dtype=np.uint64)
    for start, stop in arrays.blocks(offsets, SKETCH_GROUP):
        hashes = np.concatenate(sets[start:stop]).astype(np.uint64, copy=False)
        out[start:stop] = _flat_sketches(hashes, offsets[start : stop + 1] - offsets[start], a, b, chunk)
    return out


SKETCH_GROUP = 1 << 20  # hashes joined at once by _sketches (8 MB)


def _flat_sketches(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 1 << 13) -> np.ndarray:
    """``_sketches`` of the sets ``hashes[offsets[i]:offsets[i + 1]]``, in
    blocks of whole sets of about ``chunk`` hashes (a set longer than that
    is a block of its own). Why 8,192: a block's (permutations x hashes)
    product is then 56 x 8,192 x 8 bytes = 3.7 MB, which stays in the
    core's cache while it is added to and reduced; 64 K hashes (29 MB) made
    every pass go to memory and the whole 2.6x slower (23,539 sentence keys,
    866,226 hashes: 0.22 -> 0.085 s)."""
    s1, m1, s2, m2, s3 = _FMIX64
    out = np.full((len(offsets) - 1, len(a)), _EMPTY_SKETCH, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start, stop in arrays.blocks(offsets, chunk):
            lo, hi = int(offsets[start]), int(offsets[stop])
            sets = start + np.flatnonzero(offsets[start + 1 : stop + 1] > offsets[start:stop])  # the non-empty ones
            if not len(sets):
                continue
            h = hashes[lo:hi] ^ (hashes[lo:hi] >> s1)  # fmix64
            h *= m1
            h ^= h >> s2
            h *= m2
            h ^= h >> s3
            # (permutations x hashes): each minimum runs along a
            # contiguous row, 3x faster than reducing down columns
            values = np.multiply.outer(a, h)
            values += b[:, None]
            out[sets] = np.minimum.reduceat(values, offsets[sets] - lo, axis=1).T
    return out


def candidate_pairs(sets: list[np.ndarray], threshold: float = CANDIDATE) -> set[tuple[int, int]]:
    """Pairs of speeches likely to share at least ``threshold`` (Jaccard) of
    their fingerprints."""
    return set(lsh_candidates(sets, threshold))


def _identity(value):
    return value


def components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Connected-component label of each of ``n`` nodes joined by ``edges``."""
    return component_labels(n, np.array([a for a, _ in edges], np.int64), np.array([b for _, b in edges], np.int64))


def component_labels(n: int, a: np.ndarray, b: np.ndarray) -> list[int]:
    """``components`` with the edges as two arrays of node numbers."""
    graph = sparse.coo_array((np.ones(len(a)), (a, b)), shape=(n, n))
    return [int(x) for x in connected_components(graph, directed=False)[1]]


def similar_pairs(prints: list[Fingerprint], exact_limit: int = EXACT_PAIRS_LIMIT, progress=no_progress) -> list[Pair]:
    """Every pair that shares text, measured exactly; for more than
    ``exact_limit`` speeches only the pairs MinHash LSH proposes."""
    n = len(prints)
    sets = [p.set for p in prints]
    if n <= exact_limit:
        todo = [(a, b) for a in range(n) for b in range(a + 1, n)]
    else:
        todo = sorted(candidate_pairs(sets))
    shared = shared_counts(sets, todo, progress)
    return [_pair(a, b, len(sets[a]), len(sets[b]), both) for (a, b), both in sorted(shared.items()) if both]


def families(n: int, pairs: list[Pair] | Pairs, threshold: float = NEAR_DUPLICATE) -> list[int]:
    """Family id of each speech: near-duplicates (copies of one speech) share one."""
    if isinstance(pairs, Pairs):
        close = pairs.jaccard() >= threshold
        return component_labels(n, pairs.a[close], pairs.b[close])
    return components(n, [(p.a, p.b) for p in pairs if p.jaccard >= threshold])


def family_counts(prints: list[Fingerprint], family: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct fingerprints of the corpus and how many families use each."""
    members: dict[int, list[np.ndarray]] = defaultdict(list)
    for p, f in zip(prints, family):
        members[f].append(p.set)
    per_family = [arrays.unique(np.concatenate(sets)) for sets in members.values()]
    if not per_family:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(per_family), return_counts=True)


# ---------------------------------------------------------------- the phrasebook


@dataclass
class Occurrence:
    """Where a phrasebook entry stands in one speech."""

    speech: int  # index into the corpus' speeches
    unit: int  # index into that speech's units
    start: int  # offsets of the passage in the speech's text
    end: int
    context: tuple[str, str, str] | None = None  # (left, match, right); a run keeps it for an entry's first CONTEXTS_KEPT


@dataclass
class Phrase:
    """A passage reused across the corpus: a whole sentence (in one or more
    wordings) or a phrase reused inside otherwise different sentences (the
    longest span the speeches share, its clause variants folded in)."""

    kind: str  # sentence or phrase
    text: str  # its most common wording
    speeches: list[int]  # indices of the speeches using it
    families: int  # how many distinct speeches (copies counted once)
    variants: int  # how many different wordings
    occurrences: list[Occurrence] = field(default_factory=list, repr=False)
    wordings: list[tuple[str, int]] = field(default_factory=list, repr=False)  # (wording, uses), most used first

    @property
    def frame(self) -> str:
        """The wording with its figures as XX (the genre's blank): a reused
        frame is not a claim that the speeches share the numbers."""
        return NUMBER.sub("XX", self.text)

    @property
    def weight(self) -> int:
        """How much reading the passage saves: independent speeches x length
        (the phrasebook's order, so long stock sentences are not buried under
        short phrases every speech has)."""
        return self.families * len(self.text)


def _same_sentence(a: str, b: str) -> bool:
    return _same_normalized(normalize(a)[0], normalize(b)[0])


def _same_normalized(na: str, nb: str) -> bool:
    """Two wordings of one sentence (texts in ``normalize``'s form)."""
    return normalized_similarity(na, nb, SENTENCE_VARIANT) >= SENTENCE_VARIANT


def linking_wordings(keys, rows: np.ndarray, cols: np.ndarray, norm: Normalized | None = None) -> np.ndarray:
    """Are keys j and i two wordings of one sentence (``_same_normalized``),
    for each (j, i) of ``rows`` and ``cols`` that joins two groups, in
    order, each key normalized once (a phrasebook key meets about ten
    candidates); ``keys``: anything indexable by position (a list, or
    ``_KeyFile``). A pair whose keys the pairs before it (found the same)
    already join is not checked and comes out False. The groups, connected
    components of the pairs found the same, are those of checking every
    pair (as tests/oracles.same_wordings_loop does), which is all the
    phrasebook takes from the check (a skipped pair would only join what
    is joined). ``norm``: ``Normalized(keys)``, when the caller keeps one."""
    norm = Normalized(keys) if norm is None else norm
    parent: dict[int, int] = {}  # a key's parent in its group's tree (roots are not in it)

    def root(x: int) -> int:
        r = x
        while r in parent:
            r = parent[r]
        while x in parent and parent[x] != r:  # path compression
            parent[x], x = r, parent[x]
        return r

    out = np.zeros(len(rows), dtype=bool)
    for n, j, i in zip(itertools.count(), np.asarray(rows).tolist(), np.asarray(cols).tolist()):
        rj = root(j) if j in parent else j  # (most keys join nothing: no call)
        ri = root(i) if i in parent else i
        if rj != ri and _same_normalized(norm[j], norm[i]):
            parent[ri] = rj
            out[n] = True
    return out


def _entry(kind: str, family: list[int], occs: list[Occurrence], wording_of, min_families: int) -> Phrase | None:
    speeches = sorted({o.speech for o in occs})
    fams = len({family[s] for s in speeches})
    if fams < min_families:
        return None
    wordings = Counter(wording_of(o) for o in occs)
    ranked = sorted(wordings.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
    return Phrase(kind, ranked[0][0], speeches, fams, len(wordings),
                  sorted(occs, key=lambda o: (o.speech, o.start)), ranked[:10])


# A shorter phrase folds into a longer one that contains it when most of its
# speeches are the longer one's too (Jaccard of the two speech sets): then
# it is a clause variant (市政府的坚强领导 / 市政府的坚强领导下), not a phrase
# of its own. 中国特色社会主义, used far more widely than any one longer
# phrase holding it, stays its own entry.
FOLD_OVERLAP = 0.6


# A reused run's sentence is often a verbatim copy of one in other speeches:
# its KeySpans are kept (per process) for the next speech that has it.
_key_spans_of = functools.lru_cache(maxsize=1 << 16)(KeySpans)


def _unit_runs(mask: np.ndarray, offsets: np.ndarray, shortest: int) -> list[tuple[int, int, int]]:
    """(unit, start, end) of each run of ``unit_runs`` at least ``shortest``
    long, start and end within the unit."""
    starts, ends = unit_runs(mask, offsets)
    keep = ends - starts >= shortest
    starts, ends = starts[keep], ends[keep]
    unit = np.searchsorted(offsets, starts, side="right") - 1  # the last unit starting at or before: never an empty one
    first = offsets[unit]
    return list(zip(unit.tolist(), (starts - first).tolist(), (ends - first).tolist()))


# ---------------------------------------------------------------- per speech


@dataclass
class SpeechReport:
    """One speech seen against the rest of the corpus."""

    speech: Speech
    family: int
    chars: int
    boilerplate: float  # share of its characters that is reused frame (boilerplate + edited)
    scores: list[float]  # per unit: share of its frame reused elsewhere
    summary: analyze.Summary
    new: list[analyze.KeySentence]  # key sentences among its local sentences
    distinctive: list[analyze.Keyword]  # keywords against the rest of the corpus
    labels: boilerplate.Labels | None = field(repr=False, default=None)
    share_values: dict[str, float] | None = field(repr=False, default=None)  # the shares, kept when labels are not
    _units: list[Unit] | None = field(repr=False, default=None, compare=False)

    @property
    def units(self) -> list[Unit]:
        """The speech's units (``align.units_of``, what ``scores`` and
        ``labels`` are per unit); none when the report keeps no text. Made
        when first asked for: a partition's reports crossed from the labels
        stage's process with their units were ~40% larger and slower to
        pickle, and a report (JSON, pages) never reads them."""
        if self._units is None:
            from .align import units_of

            self._units = units_of(self.speech) if self.speech.text else []
        return self._units

    @property
    def shares(self) -> dict[str, float]:
        """boilerplate / edited / fill / local shares of its characters (sum 1)."""
        return self.labels.shares if self.labels else (self.share_values or {})


def new_sentences(fp: Fingerprint, labels: list[str], n: int = 5) -> list[analyze.KeySentence]:
    """TextRank over the speech's local sentences (the rule's ``local``
    label, headings left out): what it says that the others do not."""
    local_starts = {u.start for u, name in zip(fp.units, labels) if not u.heading and name == "local"}
    return analyze.key_sentences(fp.speech, [s for s in fp.speech.sentences if s.start in local_starts], n)


def distinctive_keywords(words: list[list[str]], family: list[int], n: int = 10) -> list[list[analyze.Keyword]]:
    """Per speech, words frequent in it and rare in the other families
    (tf x idf over families, so copies of a speech do not hide its words)."""
    families_of: dict[str, set[int]] = defaultdict(set)
    for ws, f in zip(words, family):
        for w in set(ws):
            families_of[w].add(f)
    total = len(set(family))
    out = []
    for ws in words:
        tf = Counter(ws)
        scored = [
            analyze.Keyword(w, c / len(ws) * math.log((1 + total) / (1 + len(families_of[w]))))
            for w, c in tf.items()
        ] if ws else []
        scored.sort(key=lambda k: (-k.score, k.word))
        out.append([k for k in scored[:n] if k.score > 0])
    return out


# ---------------------------------------------------------------- the corpus


@dataclass
class Corpus:
    speeches: list[SpeechReport]
    pairs: Sequence[Pair]  # Pairs (arrays) from run; any sequence of Pair will do
    phrasebook: list[Phrase]
    rule: boilerplate.Rule = field(default_factory=boilerplate.Rule)
    full: bool = True  # each speech's text, units and labels are kept (else only its figures and report lines)

    def __repr__(self) -> str:
        return f"<Corpus {len(self.speeches)} speeches, {len(self.pairs)} related pairs, {len(self.phrasebook)} phrasebook entries>"

    @property
    def families(self) -> list[list[int]]:
        """Groups of near-duplicate speeches (two or more copies)."""
        groups: dict[int, list[int]] = defaultdict(list)
        for i, r in enumerate(self.speeches):
            groups[r.family].append(i)
        return [g for g in groups.values() if len(g) > 1]


def analyze_corpus(speeches: list[Speech], n: int = 5, keywords: int = 10, progress=no_progress,
                   exact_limit: int = EXACT_PAIRS_LIMIT, rule: boilerplate.Rule | None = None, engine=None,
                   work_dir: str | None = None, full: bool | None = None) -> Corpus:
    """Compare every speech with the rest: pairs, families, phrasebook and
    each speech's boilerplate share, summary and what is new in it.
    ``rule``: the boilerplate rule (default: ``boilerplate.Rule()``, a
    passage is reused when one other independent speech has it).
    ``engine``: where the work runs (``compare.engine.Engine``; default in
    this process, ``progress(iterable, description)`` wrapping each stage).
    ``work_dir``: the folder of intermediate files (default: a temporary
    one, removed afterwards; a kept one lets an interrupted run resume)."""
    from .engine import Engine

    engine = engine or Engine(progress=progress)
    settings = RecordSettings(n, keywords)
    with work_folder(work_dir) as work:
        size = engine.partition_for(len(speeches))
        groups = [speeches[i : i + size] for i in range(0, len(speeches), size)]
        return run(record_tasks("speeches", groups, settings, work), engine, work, rule, n, keywords, exact_limit, full)


@contextmanager
def work_folder(path: str | None = None):
    """The intermediate files' folder: ``path`` (created, kept), or a
    temporary one removed when the block ends."""
    import os
    import tempfile

    if path is None:
        with tempfile.TemporaryDirectory(prefix="speechdiff-work-") as tmp:
            yield tmp
        return
    os.makedirs(path, exist_ok=True)
    yield os.path.abspath(path)


# ---------------------------------------------------------------- the per-speech record
#
# Everything a corpus step needs from one speech, computed once by one pure
# function (``speech_record``) wherever the work runs: in this process, on a
# Dask worker, or by ``index add`` (stored in the index's ``results`` table,
# so ``report --db`` never computes it again). The expensive parts are
# jieba's segmentation (the words of each sentence, kept so the corpus step
# can rank a speech's local sentences without segmenting again) and TextRank.

RECORD_FORMAT = 1  # bumped when the encoding below changes: older stored records are recomputed


@dataclass(frozen=True)
class RecordSettings:
    """What a record depends on besides the speech (the ``results`` row's
    ``settings``): summary sentences ``n`` and ``keywords``. Validated."""

    n: int = 5
    keywords: int = 10

    def __post_init__(self):
        for name, low in (("n", 1), ("keywords", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"RecordSettings.{name} must be an integer >= {low}, got {value!r}")

    def key(self) -> str:
        """Canonical JSON of the settings (with the fingerprint width and the
        record format), the ``results.settings`` of a stored record."""
        import json

        return json.dumps({"format": RECORD_FORMAT, "shingle": SHINGLE, "n": self.n, "keywords": self.keywords},
                          sort_keys=True, separators=(",", ":"))


@dataclass
class SpeechRecord:
    """One speech's per-speech results: its fingerprint (speech, outline,
    units, keys, runs), TextRank summary, the words of each sentence (for
    ranking its local sentences later) and its keyword candidates."""

    fingerprint: Fingerprint
    summary: analyze.Summary
    words: Sequence[list[str]]  # per sentence of speech.sentences: Tokens.words (from speech_record and decode_record: SentenceWords)
    candidates: dict[str, int]  # keyword candidate -> uses (distinctive keywords)
    candidate_total: int  # uses of all candidates (the tf denominator)

    @property
    def speech(self) -> Speech:
        return self.fingerprint.speech


class SentenceWords(Sequence):
    """A decoded record's words of each sentence, as stored (a sentence's
    words joined by NUL, sentences by SOH), each sentence's split when it
    is asked for: the labels stage ranks only a speech's local sentences
    and the records stage uses none. Splitting every sentence's words was
    0.6 of the 2.1 ms that decoding a stored record took (3,000 generated
    speeches), and a report decodes each record twice."""

    __slots__ = ("joined", "_count", "_parts")

    def __init__(self, joined: str, count: int):
        self.joined, self._count, self._parts = joined, count, None

    @staticmethod
    def joining(words: Sequence[Sequence[str]]) -> "SentenceWords":
        """``words`` (a list of each sentence's words) as they are stored."""
        if isinstance(words, SentenceWords):
            return words
        return SentenceWords("\x01".join("\x00".join(ws) for ws in words), len(words))

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._count))]
        if not -self._count <= i < self._count:
            raise IndexError(i)
        if self._parts is None:
            self._parts = self.joined.split("\x01")
        words = self._parts[i]
        return words.split("\x00") if words else []

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"SentenceWords({list(self)!r})"


def speech_record(speech: Speech, settings: RecordSettings = RecordSettings()) -> SpeechRecord:
    """The per-speech work, done once: fingerprint, tokens, summary."""
    fp = fingerprint(speech)
    tokens = analyze.tokenize([s.text for s in speech.sentences])
    summary = analyze.summarize(speech, settings.n, settings.keywords, tokens=tokens)
    candidates = Counter(itertools.chain.from_iterable(t.keyword_candidates for t in tokens))
    words = SentenceWords.joining([t.words for t in tokens])  # (as a stored record has them: one string, not a list a word)
    return SpeechRecord(fp, summary, words, dict(candidates), sum(candidates.values()))


def _candidates_json(candidates: dict[str, int]) -> str:
    return json.dumps(candidates, ensure_ascii=False, separators=(",", ":"))


def encode_record(record: SpeechRecord, level: int = 1, candidates: str | None = None) -> bytes:
    """A record as bytes: zlib-compressed JSON of its plain parts followed by
    its arrays, never pickle (a stored record is data; reading a shared
    database must not run code). ``level``: zlib's; 0 stores the JSON
    uncompressed in zlib's framing, for a file that compresses it anyway.
    ``candidates``: the record's keyword candidates as ``_candidates_json``
    gives them, when the caller has made it (the records stage writes the
    same JSON in a column of its own: made once, the longest part of the
    record to encode)."""
    import json
    import zlib

    fp, summary = record.fingerprint, record.summary
    *speech, outline = packed(record.speech)
    head = {
        "format": RECORD_FORMAT,
        "speech": speech,
        "outline": outline,
        "keys": "".join(fp.keys),
        "summary": [[[k.text, k.start, k.end, k.score, k.rank, k.path] for k in summary.sentences],
                    [[k.word, k.score] for k in summary.keywords]],
        "words": SentenceWords.joining(record.words).joined,
        "sentences": len(record.words),
        "candidate_total": record.candidate_total,
        "lengths": np.diff(fp.offsets).tolist(),
    }
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    # the candidates last, their JSON as made: {..., "candidates": {...}}
    text = f'{text[:-1]},"candidates":{_candidates_json(record.candidates) if candidates is None else candidates}}}'
    return zlib.compress(text.encode(), level)


def decode_record(blob: bytes) -> SpeechRecord:
    """``encode_record``'s inverse; ValueError when the bytes are not a record
    of this format (the caller names the damaged row)."""
    import json
    import zlib

    from .align import units_of

    try:
        head = json.loads(zlib.decompress(blob))
        if head.get("format") != RECORD_FORMAT:
            raise ValueError(f"record format {head.get('format')!r}, expected {RECORD_FORMAT}")
        title, date, speaker, source, subtitle, text = head["speech"]
        speech = unpacked((title, date, speaker, source, subtitle, text, head["outline"]))
        joined, keys, pos = head["keys"], [], 0
        for n in head["lengths"]:
            keys.append(joined[pos : pos + n])
            pos += n
        units = units_of(speech)
        if pos != len(joined) or len(keys) != len(units):
            raise ValueError("record keys do not match its outline")
        fp = from_keys(speech, units, keys)
        sentences, keywords = head["summary"]
        summary = analyze.Summary(source, title, date, speaker,
                                  [analyze.KeySentence(t, a, b, sc, r, p) for t, a, b, sc, r, p in sentences],
                                  [analyze.Keyword(w, sc) for w, sc in keywords])
        joined = head["words"]
        count = head["sentences"]
        if not isinstance(joined, str) or not isinstance(count, int) or count < 0 \
                or count and joined.count("\x01") + 1 != count:
            raise ValueError("record words do not match its sentences")
        words = SentenceWords(joined, count)
        return SpeechRecord(fp, summary, words, dict(head["candidates"]), int(head["candidate_total"]))
    except (zlib.error, json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, IndexError) as e:
        raise ValueError(f"not a speech record ({e.__class__.__name__}: {e})") from None


# ---------------------------------------------------------------- the partitioned pipeline
#
# ``run`` compares a corpus as a sequence of stages over *partitions* of
# records (``engine.PARTITION`` speeches, one Parquet file each) and hash
# *buckets* (a shuffle: every partition writes one file per bucket, one task
# per bucket reads them). No stage holds more than a partition of records,
# or a bucket of a hash table, at a time; what the driver holds grows with
# the speeches (a few numbers and the report lines of each), the candidate
# pairs and the phrasebook's candidates, never with pairs of speeches
# squared. The in-process engine runs the very same functions one after
# another, so a cluster run and an in-process run give the same result.
#
#   records     per partition: speech -> SpeechRecord (or read from the index)
#   frequent    shingle document frequencies, grouped by hash bucket; a
#               shingle in more than FREQUENT_SHARE of the speeches (at least
#               FREQUENT_FLOOR) is the genre's boilerplate by definition and
#               takes no part in finding candidate pairs; each bucket's
#               distinct shingles, sorted, number them
#   numbers     per partition: each speech's shingles as those numbers
#   bands       per partition: a one-permutation MinHash of each speech's
#               other shingles, cut into LSH bands; grouped by band value
#   candidates  per bucket: speeches sharing a band value
#   overlaps    per block of two partitions: exact shared fingerprints
#   families    connected components of the near-duplicate pairs (driver)
#   families'   per bucket: how many families hold each shingle (the rule's
#   counts      "other independent speeches")
#   words       per partition: keyword candidates per family (distinctive keywords)
#   labels      per partition: the boilerplate rule, shares, what is new,
#               distinctive keywords, and the phrasebook's candidates
#   holders     per partition: which speeches hold each candidate phrase
#               (the keys the family table allows, each by its pivot)
#   phrasebook  grouping, folding, ranking (driver), then the texts of the
#               entries kept read back from the partitions' files

FREQUENT_SHARE = 0.02  # a shingle in more than 2% of the speeches ...
FREQUENT_FLOOR = 100  # ... and in more than 100 of them is excluded from candidate pairs (passim's max-df is 100)
LSH_BINS = 512  # one-permutation MinHash: bins of the 64-bit hash space, the minimum of each
LSH_ROWS = 2  # bins per band: a pair is a candidate when both bins of one band agree
# With 256 bands of 2 rows, a pair of Jaccard J (over its non-frequent
# shingles) is a candidate with probability 1 - (1 - J^2)^256: 0.47 at
# J = 0.05, 0.92 at 0.1, 1.0 from 0.2; 0.025 at 0.01 and 0.002 at 0.003, so
# the unrelated pairs that a corpus has quadratically many of are rarely
# measured. (datasketch's 64 permutations at threshold 0.05 used one row per
# band: 0.47 at J = 0.01, most of a large corpus.)
BAND_CAP = 200  # a band bucket holding more speeches contributes a chain of neighbours, not every pair
_BIN_SHIFT = np.uint64(64 - 9)  # log2(LSH_BINS) top bits pick the bin


def one_permutation_signature(hashes: np.ndarray, seed: int = 0) -> np.ndarray:
    """One-permutation MinHash (Li, Owen & Zhang 2012) of a sorted array of
    well-mixed 64-bit hashes: the smallest hash in each of LSH_BINS equal
    ranges of the hash space. The hashes are sorted and the bins contiguous
    ranges, so each minimum is the first hash at or after the bin's start:
    one searchsorted, O(LSH_BINS log n), however long the speech. An empty
    bin borrows from the next non-empty one (circularly), mixed with the
    distance, as rotation densification (Shrivastava & Li 2014) does, so two
    sets agree on it only when they agree on the bin it borrows from."""
    out = np.zeros(LSH_BINS, dtype=np.uint64)
    if not len(hashes):
        # nothing to compare: values no other speech has (seeded by the speech)
        return _mix(np.arange(LSH_BINS, dtype=np.uint64) + np.uint64(seed + 1) * np.uint64(LSH_BINS))
    bins = hashes >> _BIN_SHIFT
    starts = np.searchsorted(bins, np.arange(LSH_BINS, dtype=np.uint64))
    filled = np.zeros(LSH_BINS, dtype=bool)
    filled[arrays.unique(bins).astype(np.int64)] = True
    first = hashes[np.minimum(starts, len(hashes) - 1)]
    full = np.flatnonzero(filled)
    nxt = full[np.searchsorted(full, np.arange(LSH_BINS)) % len(full)]  # next filled bin, circularly
    distance = (nxt - np.arange(LSH_BINS)) % LSH_BINS
    out[:] = first[nxt]
    empty = ~filled
    out[empty] = _mix(out[empty] ^ distance[empty].astype(np.uint64))
    return out


def band_keys(signature: np.ndarray) -> np.ndarray:
    """One 64-bit value per band of LSH_ROWS bins (the band's number mixed
    in, so equal values in two different bands never meet)."""
    rows = signature.reshape(-1, LSH_ROWS)
    key = np.arange(len(rows), dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for r in range(LSH_ROWS):
        key = _mix(key ^ rows[:, r])
    return key


from .fingerprint import _mix  # noqa: E402  (the shared 64-bit finalizer)


# ----- the work folder: Parquet files, each written whole or not at all


RANDOM_COLUMNS = ("set",)  # 64-bit hashes: zstd finds nothing to compress in them, so they are stored as they are


def _write_parquet(path, columns: dict) -> None:
    import os
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    def column(values):
        if not isinstance(values, list):
            return pa.array(values)
        return pa.array(values, type=pa.string() if values and isinstance(values[0], str) else pa.binary())

    table = pa.table({name: column(values) for name, values in columns.items()})
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part.", suffix=".tmp")
    os.close(fd)
    try:
        codec = "zstd" if pa.Codec.is_available("zstd") else "snappy"
        # (a partition's records file: 27% faster to write, 1.7% larger)
        pq.write_table(table, tmp, compression={name: "none" if name in RANDOM_COLUMNS else codec for name in columns})
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read_parquet(path, columns=None) -> dict:
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=columns)
    out = {}
    for name in table.column_names:
        column = table.column(name)
        if str(column.type) in ("binary", "string"):
            out[name] = column.to_pylist()
        else:
            out[name] = column.to_numpy()
    return out


def _bucket_of(hashes: np.ndarray, buckets: int) -> np.ndarray:
    """Bucket of each hash for a shuffle: its low bits (the top bits pick LSH bins)."""
    return (hashes % np.uint64(buckets)).astype(np.int64)


def _split_by_bucket(hashes: np.ndarray, buckets: int, *columns):
    """(bucket, hashes, columns...) for each non-empty bucket, hashes kept in order."""
    of = _bucket_of(hashes, buckets)
    order = np.argsort(of, kind="stable")
    bounds = np.searchsorted(of[order], np.arange(buckets + 1))
    for b in range(buckets):
        sel = order[bounds[b] : bounds[b + 1]]
        yield b, hashes[sel], *[c[sel] for c in columns]


def _sets(path) -> list[np.ndarray]:
    """Each speech's fingerprint set, of the partition written at ``path``
    (from the records this process keeps, else from the file)."""
    kept = _peek_kept(path)
    if kept is not None:
        return [r.fingerprint.set for r in kept]
    return [np.frombuffer(blob, dtype="<u8") for blob in _read_parquet(path, ["set"])["set"]]


# ----- stage: records


@dataclass
class PartInfo:
    """What the driver keeps of one partition of records."""

    path: str
    first: int  # corpus index of its first speech
    meta: list[tuple]  # per speech: (source, title, date, speaker, chars)
    set_sizes: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.meta)


def part_records(task, keep: int = 0) -> PartInfo:
    """Stage ``records``: one partition's SpeechRecords, written to its
    Parquet file (kept if it is already there: a resumed run). ``task``:
    (kind, items, settings, path) with kind ``speeches`` (Speech objects),
    ``files`` (FILE / FILE#N specs, read here) or ``rows`` ((Speech, stored
    record blob or None) from an index: only missing records are computed).
    ``keep``: characters of speech this process may keep in memory for the
    partition's later tasks (``_keep``; the engine sends them here)."""
    import json
    import os

    kind, items, settings, path = task[:4]
    skipped: list[tuple[str, str]] = []
    if not os.path.exists(path):
        made: list[SpeechRecord | bytes] = []  # a record computed here, or a stored one's bytes
        if kind == "files":
            from . import load_many

            speeches, skipped = load_many(items, strict=settings_strict(task))
            made = [speech_record(s, settings) for s in speeches]
        elif kind == "db":
            from . import store

            conn = store.connect(items[0], create=False)
            try:
                rows = store.record_rows(conn, items[1], settings.key())
            finally:
                conn.close()
            made = [blob if blob is not None else speech_record(s, settings) for s, blob in rows]
        elif kind == "speeches":
            made = [speech_record(s, settings) for s in items]
        else:
            made = [blob if blob is not None else speech_record(s, settings) for s, blob in items]
        # computed records are encoded, stored ones decoded: each once (a
        # computed one's JSON is left to the Parquet file's zstd, which
        # compresses it in a third of zlib's time and reads it back faster)
        records = [decode_record(m) if isinstance(m, bytes) else m for m in made]
        candidates = [_candidates_json(r.candidates) for r in records]  # (JSON once: the record's and the column's)
        blobs = [m if isinstance(m, bytes) else encode_record(m, 0, c) for m, c in zip(made, candidates)]
        meta = [(r.speech.source, r.speech.title, r.speech.date, r.speech.speaker, r.fingerprint.chars) for r in records]
        _write_parquet(path, {
            "record": blobs,
            "set": [r.fingerprint.set.astype("<u8").tobytes() for r in records],
            "candidates": [f"[{c},{r.candidate_total}]".encode() for c, r in zip(candidates, records)],
            "meta": [json.dumps(list(m), ensure_ascii=False).encode() for m in meta],
            "skipped": [json.dumps(skipped, ensure_ascii=False).encode()] * len(records),
        })
        if not records:  # nothing readable in this partition: an empty file says so on resumption
            _write_parquet(path, {"record": [], "set": [], "candidates": [], "meta": [], "skipped": []})
        if keep:
            _keep(path, records, keep)
        # (what the file says, as reading it back gives it; an unreadable
        # partition's skipped files, which its empty file does not keep)
        return PartInfo(path, 0, meta, np.array([len(r.fingerprint.set) for r in records], dtype=np.int64),
                        [tuple(x) for x in skipped])
    table = _read_parquet(path, ["set", "meta", "skipped"])
    meta = [tuple(json.loads(m)) for m in table["meta"]]
    if table["skipped"]:
        skipped = [tuple(s) for s in json.loads(table["skipped"][0])]
    return PartInfo(path, 0, meta, np.array([len(s) // 8 for s in table["set"]], dtype=np.int64), skipped)


def settings_strict(task) -> bool:
    """A files task's fifth item: stop at the first unreadable file."""
    return bool(task[4]) if len(task) > 4 else False


def _records(path) -> list[SpeechRecord]:
    """The records of the partition written at ``path``: those this process
    kept when it made them (``_keep``), else read back and decoded."""
    kept = _take_kept(path)
    return kept if kept is not None else [decode_record(b) for b in _read_parquet(path, ["record"])["record"]]


# A partition's records are made by the records stage and used again, whole,
# by its labels task (the corpus-wide tables come in between). Read back
# from their file, decoding them again (their JSON, outline, units and
# shingles) was ~1 s of the 13 s of CPU of the 1,000 synthetic speeches'
# report; the process that made them keeps them instead, and the engine
# sends the partition's labels task to that process (``Engine.map``'s
# affinity). What is kept is named by its file and the file's stamp (a
# file written again, by a resumed run, is not what was kept), taken once,
# and bounded: KEEP_CHARS characters of speech a run, shared by its
# processes (the records take ~20-30 bytes a character beside the
# speech's own objects: ~300 MB in all; the oldest kept partitions are let
# go first, and a larger corpus reads the rest back); at the run's end
# every process lets go of what no task took. Thread-safe: a Dask worker
# may run tasks in threads.
KEEP_CHARS = 12_000_000
_kept: dict[str, tuple[tuple, list, int]] = {}  # path -> (file stamp, records, characters), oldest first
_kept_lock = threading.Lock()


def _stamp(path: str) -> tuple:
    import os

    st = os.stat(path)
    return st.st_mtime_ns, st.st_size, st.st_ino


def _keep(path: str, records: list[SpeechRecord], limit: int | None = None) -> None:
    """Keep ``records`` (the partition written at ``path``) while this
    process keeps at most ``limit`` characters of speech (KEEP_CHARS)."""
    limit = KEEP_CHARS if limit is None else limit
    chars = sum(r.fingerprint.chars for r in records) + 1
    if chars > limit:
        return
    with _kept_lock:
        _kept.pop(path, None)
        while _kept and sum(c for _, _, c in _kept.values()) + chars > limit:
            del _kept[next(iter(_kept))]
        _kept[path] = (_stamp(path), records, chars)


def _take_kept(path: str) -> list[SpeechRecord] | None:
    """The records kept for ``path``, let go here (the labels task, their last use)."""
    with _kept_lock:
        kept = _kept.pop(path, None)
    return _if_current(path, kept)


def _peek_kept(path: str) -> list[SpeechRecord] | None:
    """The records kept for ``path``, still kept (the stages before labels
    read their fingerprint sets and keyword candidates)."""
    with _kept_lock:
        kept = _kept.get(path)
    return _if_current(path, kept)


def _if_current(path: str, kept) -> list[SpeechRecord] | None:
    if kept is None:
        return None
    try:
        return kept[1] if kept[0] == _stamp(path) else None
    except OSError:
        return None


def forget_kept(_=None) -> None:
    """Let go of every partition this process keeps: at a run's end, in
    this process and every process of its pool (``Engine.everywhere``)."""
    with _kept_lock:
        _kept.clear()


# ----- stage: frequent shingles


def part_df(task) -> None:
    """Stage ``frequent`` (map): per bucket, each distinct hash of the
    partition and in how many of its speeches it is."""
    path, buckets, out = task
    sets = _sets(path)
    hashes, counts = np.unique(np.concatenate(sets), return_counts=True) if sets else (np.zeros(0, np.uint64), np.zeros(0, np.int64))
    for b, h, c in _split_by_bucket(hashes, buckets, counts):
        np.savez(_tmp_then(f"{out}-{b}.npz"), hash=h, count=c.astype(np.int32))
        _commit(f"{out}-{b}.npz")


def _tmp_then(path: str) -> str:
    import os

    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path + ".tmp.npz"


def _commit(path: str) -> None:
    import os

    os.replace(path + ".tmp.npz", path)


def _save_npy(path: str, array: np.ndarray) -> None:
    """``array`` as the .npy file ``path`` (read memory-mapped), written
    whole or not at all (as ``_tmp_then``/``_commit`` for .npz files)."""
    import os

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        np.save(f, array)
    os.replace(path + ".tmp", path)


def _load_npz(paths, *names):
    import os

    parts = [np.load(p) for p in paths if os.path.exists(p)]
    return [np.concatenate([p[n] for p in parts]) if parts else np.zeros(0) for n in names]


def _grouped_sum(hashes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not len(hashes):
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    order = np.argsort(hashes, kind="stable")
    h, c = hashes[order].astype(np.uint64), counts[order].astype(np.int64)
    starts = np.concatenate(([0], np.flatnonzero(h[1:] != h[:-1]) + 1))
    return h[starts], np.add.reduceat(c, starts)


def bucket_frequent(task) -> tuple[np.ndarray, int]:
    """Stage ``frequent`` (reduce): the bucket's hashes held by more than
    ``cap`` speeches, and how many distinct hashes it has; those are written
    sorted to ``out`` (a .npy file): a hash's place there, after the
    buckets before it, is its number (``part_ids``). Beside it, for the
    numbers stage: how many speeches hold each (``-count.npy``) and the
    places of the frequent ones (``-frequent.npy``)."""
    paths, cap, out = task
    hashes, counts = _load_npz(paths, "hash", "count")
    h, c = _grouped_sum(hashes, counts)
    _save_npy(out, h.astype(np.uint64))
    _save_npy(_beside(out, "count"), c.astype(np.int64))
    _save_npy(_beside(out, "frequent"), np.flatnonzero(c > cap))
    return h[c > cap], len(h)


def _beside(path: str, what: str) -> str:
    return f"{path[:-4]}-{what}.npy"  # (path: a .npy file)


# The overlaps stage counts, for each candidate pair, the hashes both speeches
# hold. A hash held by one speech only (df 1) can never count: part_ids drops
# it. The frequent hashes (in more than frequent_cap speeches: a few thousand
# stock phrases, ~35% of a speech's hashes at 30,000 speeches) are kept as one
# bit each in a bitset per speech, and a pair's shared frequent hashes are the
# bits of the two bitsets' AND, counted for every pair of a block at once; the
# rest are merged pair by pair (block_overlaps). Exact either way: the stage
# took ~28 us a pair merging everything, ~23 with this split. When a
# speech's bitset over every shared hash would be no larger than its set
# (a corpus of few distinct hashes: DENSE_WORDS), every shared hash is a
# bit and nothing is merged (part_ids' dense mode).


def part_ids(task) -> None:
    """Stage ``numbers`` (map): each speech's fingerprint set as the numbers
    of its hashes among all the corpus' distinct hashes (bucket ``b``'s
    sorted table ``distinct[b]`` numbered from ``offsets[b]``), without the
    hashes only one speech holds and the frequent ones, each speech's
    numbers sorted, written to ``out``-ids.npy and ``out``-offsets.npy; and
    the frequent hashes as bits (bucket ``b``'s numbered from
    ``bit_offsets[b]``), ``out``-bits.npy, a row of 64-bit words a
    speech: the overlaps stage counts shared hashes from these.
    ``dense`` (the task's seventh item, ``run`` decides): every hash two
    or more speeches hold is a bit, its number its column, and no numbers
    are written."""
    path, buckets, distinct, offsets, bit_offsets, out = task[:6]
    dense = bool(task[6]) if len(task) > 6 else False
    sets = _sets(path)
    bounds = np.concatenate(([0], np.cumsum([len(s) for s in sets], dtype=np.int64)))
    hashes = np.concatenate(sets) if sets else np.zeros(0, np.uint64)
    speech = np.repeat(np.arange(len(sets), dtype=np.int64), np.diff(bounds))
    ids = np.zeros(len(hashes), dtype=np.int64)
    keep = np.zeros(len(hashes), dtype=bool)
    rows, columns = [], []  # (speech, column) of each bit raised
    # each bucket's hashes at once (one stable sort of the buckets' small
    # numbers), taken in ascending order: sorted needles walk the table in
    # order, ~3x faster than the speeches' runs one after another on a
    # 30,000-speech table out of the processor's caches, and so do the
    # lookups of their places below (counts, frequent ones), which is why
    # the selection itself is sorted rather than only the search
    # (arrays.positions)
    bucket = _bucket_of(hashes, buckets).astype(np.uint16)  # (buckets <= 4096: a radix sort)
    order = np.argsort(bucket, kind="stable")
    cuts = np.searchsorted(bucket[order], np.arange(buckets + 1))
    for b in range(buckets):
        sel = order[cuts[b] : cuts[b + 1]]
        if not len(sel):
            continue
        sel = sel[np.argsort(hashes[sel])]
        # every hash of the corpus is in its bucket's table (each partition's went into it)
        at = np.searchsorted(np.load(distinct[b], mmap_mode="r"), hashes[sel])
        shared = np.load(_beside(distinct[b], "count"), mmap_mode="r")[at] > 1
        if dense:
            rows.append(speech[sel[shared]])
            columns.append(offsets[b] + at[shared])
            continue
        ids[sel] = offsets[b] + at
        frequent_at = np.load(_beside(distinct[b], "frequent"))
        frequent = _isin_sorted(at, frequent_at)
        keep[sel] = ~frequent & shared
        rows.append(speech[sel[frequent]])
        columns.append(bit_offsets[b] + np.searchsorted(frequent_at, at[frequent]))
    ids, speech = ids[keep], speech[keep]
    small = offsets[-1] < 2**31  # (every number fits an int32)
    # sorted within each speech, in one sort of the partition: speech << 32 | number
    # (numbers below 2**32 keep each speech's keys after the one's before)
    ids = np.sort(speech << 32 | ids) & 0xFFFFFFFF if small else ids[np.lexsort((ids, speech))]
    # .npy files, read memory-mapped: a block of the overlaps stage
    # reads the few speeches it pairs, not the partition
    _save_npy(f"{out}-ids.npy", ids.astype(np.int32) if small else ids)
    _save_npy(f"{out}-offsets.npy", np.concatenate(([0], np.cumsum(np.bincount(speech, minlength=len(sets))))))
    width = int((offsets if dense else bit_offsets)[-1])
    _save_npy(f"{out}-bits.npy", _bitsets(np.concatenate(rows) if rows else np.zeros(0, np.int64),
                                          np.concatenate(columns) if columns else np.zeros(0, np.int64),
                                          len(sets), max(1, -(-width // 64))))


def _bitsets(rows: np.ndarray, columns: np.ndarray, n: int, words: int) -> np.ndarray:
    """An (n, words) uint64 array with bit ``c % 64`` of word ``c // 64``
    of row ``r`` raised for each (r, c) given."""
    out = np.zeros(n * words, dtype=np.uint64)
    if len(rows):
        at = rows.astype(np.int64) * words + (columns.astype(np.int64) >> 6)
        np.bitwise_or.at(out, at, np.left_shift(np.uint64(1), (columns & 63).astype(np.uint64)))
    return out.reshape(n, words)


@functools.lru_cache(maxsize=4)
def _ids_of(path: str, stamp: tuple) -> tuple[np.ndarray, list[int], np.ndarray]:
    # (plain views of the maps: slicing a np.memmap runs its Python __array_finalize__)
    return (np.asarray(np.load(f"{path}-ids.npy", mmap_mode="r")), np.load(f"{path}-offsets.npy").tolist(),
            np.asarray(np.load(f"{path}-bits.npy", mmap_mode="r")))


def _ids(path: str) -> tuple[np.ndarray, list[int], np.ndarray]:
    """The sorted numbers (``part_ids``) of the partition written at
    ``path``, memory-mapped, where each speech's start, and the speeches'
    bitsets. A process keeps the last few partitions it opened, by path
    and the bits file's (modification time, size, inode): the overlaps
    stage's blocks come ordered by their first partition, so the blocks a
    process runs one after another often share it."""
    import os

    st = os.stat(f"{path}-bits.npy")
    return _ids_of(path, (st.st_mtime_ns, st.st_size, st.st_ino))


def frequent_cap(n: int) -> int:
    """Speeches a shingle may be in and still propose candidate pairs."""
    return max(FREQUENT_FLOOR, int(FREQUENT_SHARE * n))


# ----- stage: bands and candidates


def part_bands(task, frequent: np.ndarray) -> None:
    """Stage ``bands`` (map): each speech's band values, without its
    ``frequent`` shingles, written per bucket as (band value, speech)."""
    path, first, buckets, out = task
    keys, owners = [], []
    for i, s in enumerate(_sets(path)):
        rare = s[~_isin_sorted(s, frequent)] if len(frequent) else s
        if len(rare) < max(1, len(s) // 10):
            # (almost) all of it is the genre's common text: its copies are
            # found through its whole fingerprint, or not at all
            rare = s
        keys.append(band_keys(one_permutation_signature(rare, first + i)))
        owners.append(np.full(len(keys[-1]), first + i, dtype=np.int64))
    if not keys:
        return
    for b, k, o in _split_by_bucket(np.concatenate(keys), buckets, np.concatenate(owners)):
        np.savez(_tmp_then(f"{out}-{b}.npz"), key=k, owner=o)
        _commit(f"{out}-{b}.npz")


def _isin_sorted(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted ``table``: one searchsorted."""
    if not len(table) or not len(values):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return table[at] == values


def bucket_candidates(task) -> np.ndarray:
    """Stage ``candidates`` (reduce): pairs of speeches sharing a band
    value, as a*2**32 + b (a < b). A bucket of more than BAND_CAP speeches
    gives only its consecutive members as pairs: every pair of a crowd is
    quadratic, and near-duplicates in it still meet through other bands."""
    (paths,) = task
    keys, owners = _load_npz(paths, "key", "owner")
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((owners, keys))
    keys, owners = keys[order], owners[order].astype(np.int64)
    starts = np.concatenate(([0], np.flatnonzero(keys[1:] != keys[:-1]) + 1, [len(keys)]))
    sizes = np.diff(starts)
    out = []
    # chains: consecutive members of every group (all pairs of a 2-group; the
    # neighbours of a crowd)
    same = np.ones(len(keys), dtype=bool)
    same[starts[:-1]] = False  # position i pairs with i-1 when both are in one group
    at = np.flatnonzero(same)
    out.append(owners[at - 1] * (1 << 32) + owners[at])
    # every other pair of groups of 3..BAND_CAP (a band bucket has a
    # thousand such groups: one triu_indices call each was ~75% of the task)
    crowd = (sizes > 2) & (sizes <= BAND_CAP)
    out += _group_pairs(owners, starts[:-1][crowd], sizes[crowd], 2)
    pairs = arrays.unique(np.concatenate(out))
    a, b = pairs >> 32, pairs & 0xFFFFFFFF
    return pairs[a != b]


# ----- stage: overlaps


BITS_BLOCK = 1 << 20  # 64-bit words of bitsets ANDed at once, a side (8 MB: 7,000 pairs at 30,000 speeches)


def block_overlaps(task) -> np.ndarray:
    """Stage ``overlaps``: shared fingerprints of each pair (a, b) whose
    speeches are in the partitions written at ``path_a`` and ``path_b``
    (``part_ids``): the hashes kept as bits (the frequent ones, or in dense
    mode every shared one) that both hold are the bits of their bitsets'
    AND, counted for a chunk of BITS_BLOCK words of pairs at once; the
    others, sorted within a speech, are the two arrays merged (a stable
    sort of two sorted runs is one merge), where a number both hold meets
    its copy (in dense mode there are none). Exact (a number
    is one hash; a speech's numbers are distinct), and sequential over
    small arrays, so a pair costs the same however large the corpus'
    table of numbers: a speech has only a pair or two in a block at
    30,000 speeches (2.6 M pairs over 7,260 blocks). (A table of one flag
    per distinct hash of the corpus, raised for a and read for b, took
    ~50-95 us a pair at 30,000 speeches, 10.5 M flags, out of the
    processor's caches; merging every hash ~28 us; looking each partner's
    hashes up in a's sorted set ~90 us.)"""
    path_a, first_a, path_b, first_b, pairs = task
    ids_a, at_a, bits_a = _ids(path_a)
    ids_b, at_b, bits_b = _ids(path_b)
    a, b = (pairs >> 32) - first_a, (pairs & 0xFFFFFFFF) - first_b
    out = np.zeros(len(pairs), dtype=np.int64)
    step = max(1, BITS_BLOCK // bits_a.shape[1])
    for lo in range(0, len(pairs), step):  # the hashes kept as bits, a few MB of bitsets at a time
        out[lo : lo + step] = np.bitwise_count(bits_a[a[lo : lo + step]] & bits_b[b[lo : lo + step]]).sum(
            axis=1, dtype=np.int64)
    if not len(ids_a) or not len(ids_b):  # (every hash a bit: dense)
        return out
    for n, (x, y) in enumerate(zip(a.tolist(), b.tolist())):
        merged = np.sort(np.concatenate((ids_a[at_a[x] : at_a[x + 1]], ids_b[at_b[y] : at_b[y + 1]])), kind="stable")
        out[n] += np.count_nonzero(merged[1:] == merged[:-1])
    return out


# ----- stage: how many families hold each shingle


def part_family_counts(task) -> None:
    """Stage ``families' counts`` (map): per bucket, each hash of the
    partition with the number of single-speech families holding it, and
    the (hash, family) pairs of larger families (counted once in the reduce,
    however many partitions their members are in)."""
    path, family, multi, buckets, out = task
    sets = _sets(path)
    single = [s for s, m in zip(sets, multi) if not m]
    hashes, counts = (np.unique(np.concatenate(single), return_counts=True) if single
                      else (np.zeros(0, np.uint64), np.zeros(0, np.int64)))
    fam_h, fam_f = [], []
    for f in sorted({int(f) for f, m in zip(family, multi) if m}):
        union = arrays.unique(np.concatenate([s for s, g, m in zip(sets, family, multi) if m and g == f]))
        fam_h.append(union)
        fam_f.append(np.full(len(union), f, dtype=np.int64))
    fam_h = np.concatenate(fam_h) if fam_h else np.zeros(0, np.uint64)
    fam_f = np.concatenate(fam_f) if fam_f else np.zeros(0, np.int64)
    split_single = {b: (h, c) for b, h, c in _split_by_bucket(hashes, buckets, counts)}
    split_multi = {b: (h, f) for b, h, f in _split_by_bucket(fam_h, buckets, fam_f)}
    for b in range(buckets):
        h, c = split_single[b]
        mh, mf = split_multi[b]
        np.savez(_tmp_then(f"{out}-{b}.npz"), hash=h, count=c.astype(np.int32), fhash=mh, family=mf)
        _commit(f"{out}-{b}.npz")


def bucket_family_table(task) -> int:
    """Stage ``families' counts`` (reduce): the bucket's hashes held by at
    least two families, sorted, with how many; written to ``out``."""
    paths, out = task
    hashes, counts, fhash, fam = _load_npz(paths, "hash", "count", "fhash", "family")
    if len(fhash):
        pairs = np.unique(np.stack([fhash.astype(np.uint64), fam.astype(np.uint64)]), axis=1)
        hashes = np.concatenate((hashes.astype(np.uint64), pairs[0]))
        counts = np.concatenate((counts.astype(np.int64), np.ones(pairs.shape[1], dtype=np.int64)))
    h, c = _grouped_sum(hashes, counts)
    keep = c >= 2  # held by one family only: no speech finds it in another
    _save_table(out, h[keep], c[keep])
    return int(keep.sum())


# The family table is read by every partition of the labels stage and every
# block of the phrase index: as one .npy file per column, memory-mapped, so
# a lookup reads the pages its binary searches touch and the page cache
# holds one copy for all processes. (Loading the whole table in each task
# made the labels stage quadratic: 120 partitions x a table that grows with
# the corpus, 184 s at 30,000 speeches against 47 s at 10,000.)


def _save_table(path: str, hashes: np.ndarray, counts: np.ndarray) -> None:
    _save_npy(f"{path}.hash.npy", hashes.astype(np.uint64))
    _save_npy(f"{path}.count.npy", counts.astype(np.int64))


def table_lookup(path: str, hashes: np.ndarray) -> np.ndarray:
    """The families holding each of ``hashes`` (0: one or none) in the table
    written at ``path`` (``bucket_family_table``)."""
    table = np.load(f"{path}.hash.npy", mmap_mode="r")
    counts = np.load(f"{path}.count.npy", mmap_mode="r")
    return lookup(hashes, table, counts)


def families_holding(tables: list[str], hashes: np.ndarray) -> np.ndarray:
    """The families holding each of ``hashes`` (0: one or none), each looked
    up in its bucket's table only (``tables``: one per bucket, in order)."""
    held = np.zeros(len(hashes), dtype=np.int64)
    bucket = _bucket_of(hashes, len(tables))
    for b, table_path in enumerate(tables):
        sel = np.flatnonzero(bucket == b)
        if len(sel):
            held[sel] = table_lookup(table_path, hashes[sel])
    return held


# ----- stage: words (distinctive keywords)


def part_words(task) -> tuple[Counter, dict[int, set[str]]]:
    """Stage ``words``: per word, how many single-speech families of the
    partition use it; and the words of each larger family's members here."""
    import json

    path, family, multi = task
    single: Counter = Counter()
    larger: dict[int, set[str]] = defaultdict(set)
    kept = _peek_kept(path)
    candidates = [r.candidates for r in kept] if kept is not None else \
        [json.loads(blob)[0] for blob in _read_parquet(path, ["candidates"])["candidates"]]
    for words, f, m in zip(candidates, family, multi):
        if m:
            larger[int(f)].update(words)
        else:
            single.update(words.keys())
    return single, dict(larger)


# ----- stage: labels, what is new, distinctive keywords, phrasebook candidates

KWIC = 12  # characters of context either side of a phrasebook occurrence (its keyword-in-context line)


def _context(text: str, start: int, end: int) -> tuple[str, str, str]:
    return text[max(0, start - KWIC) : start].split("\n")[-1], text[start:end], text[end : end + KWIC].split("\n")[0]


class _Found:
    """Candidates as a partition collects them (see ``Candidates``). Equal
    keys are kept as one string object (``same``: shared by a partition's
    sentences and runs), so the result's pickle writes each distinct key
    once and refers back to it after: a reused sentence's key is sliced
    anew from every speech that has it (a synthetic partition: 30,134
    sentence keys, 2,602 distinct, 4.3 MB of pickle each for sentences and
    runs; the driver holds them as one object each too)."""

    def __init__(self, same: dict[str, str] | None = None):
        self.keys: list[str] = []
        self._where: list[np.ndarray] = []  # (n, 4) blocks, a speech's candidates each
        self._same = {} if same is None else same

    def add(self, keys: list[str], speech: int, units, starts, ends):
        """A speech's candidates at once: their keys and (unit, start, end) of each."""
        self.keys += map(self._same.setdefault, keys, keys)
        block = np.empty((len(keys), 4), dtype=np.int64)
        block[:, 0], block[:, 1], block[:, 2], block[:, 3] = speech, units, starts, ends
        self._where.append(block)

    @property
    def where(self) -> np.ndarray:
        """(speech, unit, start, end) of every candidate, in order: (n, 4) int64."""
        return np.concatenate(self._where) if self._where else np.zeros((0, 4), dtype=np.int64)


@dataclass
class Candidates:
    """A partition's phrasebook candidates as the driver receives them:
    per candidate its key and where it stands (speech, unit, start, end),
    sentences then runs. Their texts (the wording and its keyword-in-context
    line) are read back only for the entries kept (``part_texts``), from
    the partition's file, which holds each speech's text once: a wording
    is its speech's text from start to end, but in a unit whose text is
    not that slice (a heading whose marker stands apart from its words:
    "(1) 进一步…" read as "(1)进一步…"), the slice of the unit's own text,
    kept beside it. (At 10,000 speeches the candidates' texts were some 800
    MB of the driver's memory, of which the entries use a few per cent;
    writing them all, four strings a candidate, was ~10% of the labels
    stage on the 1,000 synthetic speeches.)"""

    path: str
    sentence_keys: list[str]
    sentences: np.ndarray  # (n, 4) int64: speech, unit, start, end
    run_keys: list[str]
    runs: np.ndarray
    first: int = 0  # the partition's first speech (the file's first row)

    @staticmethod
    def written(path: str, first: int, sentences: _Found, runs: _Found, texts: list[str], odd: list[list]) -> "Candidates":
        """``texts``: each speech's text, in partition order; ``odd``: per
        speech, [unit, unit start, unit text] of each unit whose text is not
        the speech's text from its start to its end."""
        import json

        _write_parquet(path, {"text": texts, "odd": [json.dumps(o, ensure_ascii=False).encode() for o in odd]})
        return Candidates(path, sentences.keys, sentences.where, runs.keys, runs.where, first)

    def where(self, rows: np.ndarray) -> np.ndarray:
        """(speech, unit, start, end) of the candidates at ``rows`` (sentences, then runs)."""
        return np.concatenate((self.sentences, self.runs))[rows]


def _odd_units(text: str, units: list[Unit]) -> list[list]:
    """[index, start, text] of each unit whose text is not ``text[start:end]``:
    only headings (a sentence is a slice of the text; a heading's marker
    and words may stand apart)."""
    return [[j, u.start, u.text] for j, u in enumerate(units) if u.heading and text[u.start : u.end] != u.text]


def part_texts(task) -> tuple[list[str], list[tuple[str, str, str] | None]]:
    """Stage ``phrasebook texts``: the wordings of the candidates standing
    at ``where`` ((speech, unit, start, end) rows) in the partition whose
    file is ``path`` and first speech ``first``, with their context where
    ``context``."""
    import json

    path, first, where, context = task
    data = _read_parquet(path)
    texts, odd = data["text"], {}
    wordings, contexts = [], []
    for (speech, unit, start, end), show in zip(where.tolist(), context.tolist()):
        text = texts[speech - first]
        if speech not in odd:
            odd[speech] = {u: (at, t) for u, at, t in json.loads(data["odd"][speech - first])}
        own = odd[speech].get(unit)
        wordings.append(text[start:end] if own is None else own[1][start - own[0] : end - own[0]])
        contexts.append(_context(text, start, end) if show else None)
    return wordings, contexts


@dataclass
class LabelTask:
    path: str
    first: int
    family: np.ndarray  # family of each speech of the partition
    tables: list[str]  # the families' count table, one file per bucket
    rule: boilerplate.Rule
    n: int
    keywords: int
    full: bool  # keep each speech's text, units and labels (a small corpus, the library's Corpus)
    every_sentence: bool  # every sentence is a phrasebook candidate (else only those with text in another family)
    out: str  # the candidates' texts are written here (Parquet)
    packed: bool = False  # the speeches go back packed (model.packed): the task runs in another process


def part_labels(task: LabelTask, word_families: dict[str, int], total_families: int):
    """Stage ``labels``: the boilerplate rule on each speech of a partition
    (its runs looked up in the families' count table, one bucket file at a
    time), what is new in it, its distinctive keywords, and the phrasebook's
    candidates: units whose text recurs in another family (sentence
    entries) and the recurring runs inside units (phrase entries)."""
    records = _records(task.path)
    if not records:
        return [], Candidates.written(task.out, task.first, _Found(), _Found(), [], [])
    distinct = arrays.unique(np.concatenate([r.fingerprint.set for r in records]))
    held = families_holding(task.tables, distinct)  # families holding each hash (0: only the speech's own)
    reports = []
    same: dict[str, str] = {}
    sentences, runs = _Found(same), _Found(same)
    idf = _idf(total_families)
    texts, odd = [], []  # each speech's text, and its units that are not a slice of it (Candidates)
    for i, rec in enumerate(records):
        s = task.first + i
        fp, speech = rec.fingerprint, rec.speech
        # the speech's distinct hashes (sorted) walk the partition's table
        # in order, then each run finds its hash among them (a table that
        # stays in the cache): ~3x faster than probing with the runs
        families = lookup(fp.set, distinct, held)[arrays.positions(fp.set, fp.runs)]
        # "other independent speeches": the families holding a run, less its own
        recurs = boilerplate.recurring(families - 1, task.rule)
        labels = boilerplate.label(fp, recurs, task.rule)
        covered = covered_chars(fp, recurs)
        local = {u.start for u, name in zip(fp.units, labels.labels) if not u.heading and name == "local"}
        in_order = speech.sentences  # (a property: the outline walked and sorted each time)
        chosen = [j for j, sent in enumerate(in_order) if sent.start in local]
        new = analyze.key_sentences(speech, [in_order[j] for j in chosen], task.n,
                                    [analyze.Tokens(rec.words[j], []) for j in chosen])
        reports.append(SpeechReport(
            speech=(packed(speech) if task.packed else speech) if task.full
            else Speech(speech.title, speech.date, speech.speaker, speech.source, ""),
            family=int(task.family[i]),
            chars=fp.chars,
            boilerplate=labels.reused,
            scores=labels.coverage if task.full else [],
            summary=rec.summary,
            new=new,
            distinctive=_distinctive(rec, word_families, total_families, task.keywords, idf),
            labels=labels if task.full else None,
            share_values=dict(labels.shares),
        ))
        # sentence candidates: long enough, and (unless every sentence is
        # one) holding a run found in another family
        long_enough = np.diff(fp.offsets) >= MIN_PHRASE
        if not task.every_sentence:
            run_unit = np.repeat(np.arange(len(fp.keys)), np.diff(fp.run_offsets))
            long_enough &= np.bincount(run_unit[families >= 2], minlength=len(fp.keys)) > 0
        at = np.flatnonzero(long_enough).tolist()
        units = [fp.units[u] for u in at]
        sentences.add([fp.keys[u] for u in at], s, at, [u.start for u in units], [u.end for u in units])
        # phrase candidates: each run of covered key characters (inside one
        # unit) of at least MIN_PHRASE, mapped back to the unit's text
        keys, places, starts, ends = [], [], [], []
        for u, start, end in _unit_runs(covered, fp.offsets, MIN_PHRASE):
            unit, k = fp.units[u], fp.keys[u]
            a, b = _key_spans_of(unit.text).span(start, end)
            keys.append(k[start:end])
            places.append(u)
            starts.append(unit.start + a)
            ends.append(unit.start + b)
        runs.add(keys, s, places, starts, ends)
        texts.append(speech.text)
        odd.append(_odd_units(speech.text, fp.units))
    return reports, Candidates.written(task.out, task.first, sentences, runs, texts, odd)


def _distinctive(rec: SpeechRecord, word_families: dict[str, int], total: int, n: int,
                 idf: np.ndarray | None = None) -> list[analyze.Keyword]:
    """Words frequent in the speech and rare in the other families (tf x idf
    over families, so copies of a speech do not hide its words). ``idf``:
    ``_idf(total)``, when the caller has it (a partition's speeches share it)."""
    if not rec.candidate_total or not n:
        return []
    words = list(rec.candidates)
    families = np.fromiter(map(word_families.get, words, itertools.repeat(1)), dtype=np.int64, count=len(words))
    # c / total * idf as Python computes it: numpy divides and multiplies
    # doubles the same way (the counts are exact in doubles)
    score = np.fromiter(rec.candidates.values(), dtype=np.float64, count=len(words)) / rec.candidate_total
    if idf is None or families.max() >= len(idf):  # (a partition's table covers every count a corpus has)
        idf = _idf(total, int(families.max()))
    score *= idf[families]
    # the top n by (-score, word): every word scoring at least the n-th best, sorted
    floor = np.partition(score, len(score) - n)[len(score) - n] if len(score) > n else -np.inf
    top = [analyze.Keyword(words[i], float(score[i])) for i in np.flatnonzero(score >= floor).tolist()]
    top.sort(key=lambda k: (-k.score, k.word))
    return [k for k in top[:n] if k.score > 0]


def _idf(total: int, largest: int = 0) -> np.ndarray:
    """The inverse family frequency of a word in f of ``total`` families, at
    index f (0 to ``total``, or to ``largest`` if larger), by ``math.log``
    (the scores are printed)."""
    return np.array([math.log((1 + total) / (1 + f)) for f in range(max(total, largest) + 1)])


# ----- stage: holders of the candidate phrases
#
# A phrase entry counts the speeches holding every shingle of its key (its
# holders), not only those where the key was found as a run. Most candidate
# keys can have none in enough families: a key's holders hold each of its
# shingles, so they are at most as many families as the family table gives
# its least held shingle. Only the keys passing that bound are checked, each
# by its *pivot* (that least held shingle): a speech is a candidate holder of
# the keys whose pivot it holds, and a holder when it holds their other
# shingles too. Each partition checks its own speeches, so no process ever
# holds the corpus' postings (they were 3.1 GB of the driver's 3.9 GB peak at
# 10,000 speeches); the checks are the pivots' holders x key lengths.


@dataclass
class PhraseIndex:
    """Candidate phrase keys as a partition checks them: key ``i``'s
    shingles at ``runs[offsets[i]:offsets[i + 1]]``; ``pivots`` sorted, and
    ``by_pivot`` the key of each."""

    runs: np.ndarray
    offsets: np.ndarray
    pivots: np.ndarray
    by_pivot: np.ndarray


PHRASE_BLOCK = 1 << 20  # key characters (about as many shingles) per block while choosing pivots (~25 MB of arrays in flight)


def phrase_index(keys: list[str], families_of, min_families: int, map_blocks=None) -> tuple[PhraseIndex, np.ndarray]:
    """The index over the ``keys`` whose holders may be ``min_families``
    families or more, and their positions in ``keys``. ``families_of(hashes)``:
    the families holding each of the sorted distinct ``hashes`` (0 for one
    family or none: the family table keeps those held by two or more).
    Each block of keys is chosen from alone (``_pivots``);
    ``map_blocks(pivots, blocks)``: ``[pivots(keys[at:stop]) for at, stop in
    blocks]`` (the default), or the same computed elsewhere, in order (``run``
    chooses on the engine: 7.7 s of one process at 10,000 speeches)."""
    blocks, done = _by_blocks(keys, PHRASE_BLOCK, functools.partial(_pivots, families_of=families_of, min_families=min_families),
                              map_blocks)
    cat = lambda parts, dtype: np.concatenate(parts) if parts else np.zeros(0, dtype)  # noqa: E731
    kept = cat([mine + at for (at, _), (mine, _, _, _) in zip(blocks, done)], np.int64)
    pivots, runs, counts = (cat([d[i] for d in done], dtype) for i, dtype in ((1, np.uint64), (2, np.uint64), (3, np.int64)))
    order = np.argsort(pivots, kind="stable")
    index = PhraseIndex(runs, np.concatenate(([0], np.cumsum(counts))), pivots[order], order)
    return index, kept


def _pivots(keys, families_of, min_families: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One block of ``phrase_index``: the positions (in ``keys``) of the keys
    whose least held shingle is held by ``min_families`` families or more,
    that shingle (the pivot) of each, their shingles end to end and how
    many each has."""
    runs, offsets = key_runs(list(keys))
    counts = np.diff(offsets)
    key_of = np.repeat(np.arange(len(counts)), counts)
    distinct, back = np.unique(runs, return_inverse=True)
    held = np.asarray(families_of(distinct), dtype=np.int64)[back]
    if min_families < 2:  # 0 means one family, which is enough then
        held = np.maximum(held, 1)
    # each key's least held shingle: its first row in (key, families) order
    order = np.lexsort((held, key_of))
    first = order[offsets[:-1][counts > 0]]
    ok = held[first] >= min_families
    mine = np.flatnonzero(counts > 0)[ok]
    rows = np.repeat(offsets[:-1][mine], counts[mine]) + arrays.ranges(counts[mine])
    return mine, runs[first[ok]], runs[rows], counts[mine]


def holders_in(sets: list[np.ndarray], first: int, index: PhraseIndex) -> tuple[np.ndarray, np.ndarray]:
    """(key, speech) for each key of ``index`` held whole by one of the
    speeches ``sets`` (sorted fingerprint sets, speech ``first`` onwards)."""
    found_keys, found_speeches = [], []
    for i, s in enumerate(sets):
        lo = np.searchsorted(index.pivots, s, "left")
        n = np.searchsorted(index.pivots, s, "right") - lo
        if not n.any():
            continue
        cand = index.by_pivot[np.repeat(lo, n) + arrays.ranges(n)]  # the keys whose pivot the speech holds
        counts = index.offsets[cand + 1] - index.offsets[cand]
        rows = np.repeat(index.offsets[cand], counts) + arrays.ranges(counts)
        present = _isin_sorted(index.runs[rows], s).astype(np.int64)
        whole = np.add.reduceat(present, np.cumsum(counts) - counts) == counts
        found_keys.append(cand[whole])
        found_speeches.append(np.full(int(whole.sum()), first + i, dtype=np.int64))
    if not found_keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_keys), np.concatenate(found_speeches)


def part_holders(task, index: PhraseIndex) -> tuple[np.ndarray, np.ndarray]:
    """Stage ``phrase holders``: ``holders_in`` over a partition."""
    path, first = task
    return holders_in(_sets(path), first, index)


# ----- the phrasebook from the candidates (driver)


class _KeyFile:
    """The phrasebook's sentence keys (or its phrase keys) as a work file:
    their characters as one UTF-32 array and the offsets of each key, so a
    task gets positions (a block of keys to sketch or index, pairs of keys to
    check), not millions of pickled strings (4 M pairs at 10,000 speeches).
    ``_KeyFile.write(path, keys)``; ``_KeyFile(path)[i]``."""

    def __init__(self, path: str):
        with np.load(path) as f:
            self.codes, self.offsets = f["codes"], f["offsets"]

    def __getitem__(self, i: int) -> str:
        return self.codes[self.offsets[i] : self.offsets[i + 1]].tobytes().decode("utf-32-le")

    def block(self, at: int, stop: int) -> list[str]:
        """Keys ``at`` to ``stop``: decoded at once and cut (a decode per
        key cost ~1.5 us of array slicing and conversion each)."""
        bounds = self.offsets[at : stop + 1]
        text = self.codes[bounds[0] : bounds[-1]].tobytes().decode("utf-32-le") if len(bounds) else ""
        cuts = (bounds - bounds[0]).tolist() if len(bounds) else [0]
        return [text[a:b] for a, b in zip(cuts[:-1], cuts[1:])]

    @staticmethod
    def write(path: str, keys: list[str]) -> None:
        codes = np.frombuffer("".join(keys).encode("utf-32-le"), dtype=np.uint32)
        offsets = np.concatenate(([0], np.cumsum([len(k) for k in keys], dtype=np.int64)))
        np.savez(_tmp_then(path), codes=codes, offsets=offsets)
        _commit(path)


@functools.lru_cache(maxsize=1)
def _key_file(path: str, stamp: tuple) -> _KeyFile:
    return _KeyFile(path)


def _stamped_key_file(path: str) -> _KeyFile:
    """The key file at ``path``; a process keeps the one file it read last,
    by path and modification (a later run that writes the same path is read
    anew)."""
    import os

    st = os.stat(path)
    keys = _key_file(path, (st.st_mtime_ns, st.st_size, st.st_ino))
    if _NORMALIZED[0] is not None and _NORMALIZED[0] is not keys:
        _NORMALIZED[:] = [None, None]  # another file now: its keys' forms go with it
    return keys


# The normalized forms of the key file's keys this process has needed, kept
# with the file: each task of the wordings stage is a slice of the (j, i)
# pairs, a range of keys j against keys i from anywhere, so without it every task
# decoded and normalized most keys again (16 tasks: ~1.5 us a key each
# time; with it and the loop's lookup change the stage went 30.1 -> 21.2 s
# at 10,000 speeches).
_NORMALIZED: list = [None, None]  # (the _KeyFile, its Normalized); let go when the process reads another key file


def _normalized_keys(path: str) -> Normalized:
    keys = _stamped_key_file(path)
    if _NORMALIZED[0] is not keys:
        _NORMALIZED[:] = [keys, Normalized(keys)]
    return _NORMALIZED[1]


def _forget_key_file() -> None:
    """Free the key file this process read, and its keys' forms."""
    _key_file.cache_clear()
    _NORMALIZED[:] = [None, None]


def key_block(task):
    """Stages ``sentence sketches`` and ``phrase index``: ``fn`` (``key_sketches``
    with its permutations, ``_pivots`` with its family tables) of the key
    file's keys ``at`` to ``stop``."""
    path, at, stop, fn = task
    return fn(_stamped_key_file(path).block(at, stop))


def same_sentences(task) -> np.ndarray:
    """Stage ``sentence wordings``: ``linking_wordings`` of the task's (j, i)
    pairs of the key file's keys."""
    path, rows, cols = task
    return linking_wordings(_stamped_key_file(path), rows, cols, _normalized_keys(path))


CONTEXTS_KEPT = 20  # occurrences of an entry (the first, by speech) whose keyword-in-context line is read back (views shows as many)


def book_from_candidates(cands: list[Candidates], family: list[int], min_families: int, holders_of_keys,
                         same=linking_wordings, texts_of=None, sketch_blocks=None) -> list[Phrase]:
    """The phrasebook from the partitions' candidates (``Candidates``, in
    partition order). ``holders_of_keys(keys)``: per key, the speeches
    holding all its shingles (none for a key whose holders cannot be
    ``min_families`` families, ``phrase_index``); ``same(keys, rows,
    cols)``: ``linking_wordings`` (run on the engine by ``run``);
    ``texts_of(requests)``: ``part_texts`` of each (path, first, where, context)
    request (default: in this process); ``sketch_blocks(keys, sketch,
    blocks)``: ``[sketch(keys[at:stop]) for at, stop in blocks]``, the
    sentence keys' sketches for their LSH (default: in this process).

    Sentence entries: the sentences whose keys are one wording of each
    other (LSH on the keys' 3-grams, then ``same``), grouped, kept when
    their speeches are ``min_families`` families. Phrase entries: the runs
    outside those sentences, by key, kept when the speeches holding the
    key are as many families, shorter keys folded into longer ones
    (``_fold``). Everything is decided on keys and positions; the texts of
    the kept entries' candidates are then read back in one pass."""
    family = np.asarray(family, dtype=np.int64)
    where_s = np.concatenate([c.sentences for c in cands]) if cands else np.zeros((0, 4), np.int64)
    where_r = np.concatenate([c.runs for c in cands]) if cands else np.zeros((0, 4), np.int64)
    # each candidate's place in its partition's file: (partition << 32) | row (sentences first, then runs)
    n_s = np.array([len(c.sentence_keys) for c in cands], dtype=np.int64)
    n_r = np.array([len(c.run_keys) for c in cands], dtype=np.int64)
    part_s, part_r = np.repeat(np.arange(len(cands)), n_s), np.repeat(np.arange(len(cands)), n_r)
    ref_s = part_s << 32 | arrays.ranges(n_s)
    ref_r = part_r << 32 | (n_s[part_r] + arrays.ranges(n_r))

    # sentence entries: groups of wordings, each a component of equal-enough keys
    kid, keys = _numbered((k for c in cands for k in c.sentence_keys), len(where_s))
    pending: list[tuple] = []  # (kind, candidate rows, -1 | a phrase's (key index, speeches holding it))
    if len(keys):
        candidates = key_lsh_pairs(keys, 3, threshold=WORDING_THRESHOLD, cap=WORDING_CAP, map_blocks=sketch_blocks and
                                   functools.partial(sketch_blocks, keys))
        rows, cols = candidates >> 32, candidates & 0xFFFFFFFF
        yes = np.asarray(same(keys, rows, cols), dtype=bool)
        label = np.asarray(component_labels(len(keys), rows[yes], cols[yes]), dtype=np.int64)[kid]
        del keys, rows, cols, candidates
        width = int(family.max()) + 1 if len(family) else 1
        held = arrays.unique(label * width + family[where_s[:, 0]])  # (group, family) once each
        enough = np.bincount(held // width, minlength=int(label.max()) + 1 if len(label) else 0) >= min_families
        sel = np.flatnonzero(enough[label])
        sel = sel[np.lexsort((sel, label[sel]))]  # by group, each in candidate order
        starts = np.flatnonzero(np.r_[True, label[sel][1:] != label[sel][:-1]]) if len(sel) else np.zeros(0, np.int64)
        groups = np.split(sel, starts[1:])
        # groups in the order of their first candidate (their first key's first appearance)
        for g in sorted(groups, key=lambda g: int(g[0])) if len(sel) else []:
            pending.append(("sentence", g, -1))
    reused = arrays.unique(np.concatenate([where_s[g, 0] << 32 | where_s[g, 1] for _, g, _ in pending])) if pending \
        else np.zeros(0, np.int64)

    # phrase entries: the runs outside the sentence entries, by key
    free = np.flatnonzero(~arrays.isin(where_r[:, 0] << 32 | where_r[:, 1], reused)) if len(where_r) else np.zeros(0, np.int64)
    run_keys = [k for c in cands for k in c.run_keys]
    rkid, phrase_keys = _numbered((run_keys[r] for r in free.tolist()), len(free))
    del run_keys
    order = np.argsort(rkid, kind="stable")  # each key's candidates in candidate order
    bounds = np.searchsorted(rkid[order], np.arange(len(phrase_keys) + 1))
    found = [free[order[bounds[k] : bounds[k + 1]]] for k in range(len(phrase_keys))]
    for k, members in _fold(phrase_keys, found, family, min_families, holders_of_keys):
        pending.append(("phrase", members, k))

    # read back the texts the entries use: every wording, the first contexts
    kinds = {"sentence": (where_s, ref_s), "phrase": (where_r, ref_r)}
    want, shown = [], []
    for kind, rows, _ in pending:
        where, ref = kinds[kind]
        want.append(ref[rows])
        first = rows[np.lexsort((where[rows, 2], where[rows, 0]))][:CONTEXTS_KEPT]
        shown.append(ref[first])
    want = arrays.unique(np.concatenate(want)) if want else np.zeros(0, np.int64)
    show = arrays.isin(want, np.concatenate(shown)) if shown else np.zeros(0, bool)
    texts, contexts = _read_texts(cands, want, show, texts_of)

    entries = []
    for kind, rows, k in pending:
        where, ref = kinds[kind]
        at = np.searchsorted(want, ref[rows])
        occs = [Occurrence(s, u, a, b, contexts[i]) for (s, u, a, b), i in zip(where[rows].tolist(), at.tolist())]
        strip = (lambda w: w.strip("，。；：！？、")) if kind == "phrase" else (lambda w: w)
        wording = {id(o): strip(texts[i]) for o, i in zip(occs, at.tolist())}
        entry = _entry(kind, family, occs, lambda o, w=wording: w[id(o)], min_families)
        if entry and kind == "phrase":
            speeches = k[1]
            entry.speeches = sorted(speeches)
            entry.families = len({int(family[i]) for i in speeches})
            # the text: the most used wording of the longest member (the maximal span)
            own = Counter(strip(texts[i]) for i in np.searchsorted(want, ref_r[found[k[0]]]).tolist())
            entry.text = max(own, key=lambda w: (own[w], -len(w)))
        if entry:
            entries.append(entry)
    entries.sort(key=lambda e: (-e.weight, -e.families, e.kind != "sentence", e.text))
    return entries


def _numbered(keys, count: int) -> tuple[np.ndarray, list[str]]:
    """Each of ``count`` keys as the number of its first appearance, and
    the distinct keys in that order."""
    ids: dict[str, int] = {}
    numbers = np.fromiter((ids.setdefault(k, len(ids)) for k in keys), dtype=np.int64, count=count)
    return numbers, list(ids)


def _read_texts(cands: list[Candidates], want: np.ndarray, show: np.ndarray, texts_of) -> tuple[list, list]:
    """The wordings of the candidates ``want`` ((partition << 32) | row,
    sorted) and the contexts of those flagged in ``show`` (else None)."""
    part = want >> 32
    cuts = np.searchsorted(part, np.arange(len(cands) + 1))
    requests = [(cands[p].path, cands[p].first, cands[p].where(want[cuts[p] : cuts[p + 1]] & 0xFFFFFFFF),
                 show[cuts[p] : cuts[p + 1]]) for p in range(len(cands)) if cuts[p + 1] > cuts[p]]
    done = texts_of(requests) if texts_of else [part_texts(r) for r in requests]
    texts = [w for ws, _ in done for w in ws]
    contexts = [c for _, cs in done for c in cs]
    return texts, contexts


def _fold(phrase_keys: list[str], found: list[np.ndarray], family: np.ndarray, min_families: int, holders_of_keys):
    """The phrase entries to make: ((key index, its speeches), candidate rows)
    per kept key, in kept order. ``found[k]``: the candidate rows of key ``k``.

    A key is kept when the speeches holding it are ``min_families`` families
    or more; a shorter key joins the first kept key that contains it and
    shares most of its speeches (FOLD_OVERLAP), longest first. The kept keys
    are indexed by each of their MIN_PHRASE-character substrings (every key
    is at least that long), so a key meets only the kept keys holding its
    beginning, in kept order: the same choice as scanning every kept key."""
    if not phrase_keys:
        return []
    holders_of = {}
    for k, holders in enumerate(holders_of_keys(phrase_keys)):
        if len({int(family[i]) for i in holders}) >= min_families:
            holders_of[k] = holders
    kept: list[int] = []
    index: dict[str, list[int]] = defaultdict(list)
    members: dict[int, list[int]] = {}
    for k in sorted(holders_of, key=lambda k: (-len(phrase_keys[k]), phrase_keys[k])):
        phrase_key, mine = phrase_keys[k], holders_of[k]
        home = None
        for at in index.get(phrase_key[:MIN_PHRASE], ()):
            longer = kept[at]
            if phrase_key in phrase_keys[longer] and \
                    len(mine & holders_of[longer]) / len(mine | holders_of[longer]) >= FOLD_OVERLAP:
                home = longer
                break
        if home is None:
            at = len(kept)
            kept.append(k)
            members[k] = [k]
            for piece in dict.fromkeys(phrase_key[j : j + MIN_PHRASE] for j in range(len(phrase_key) - MIN_PHRASE + 1)):
                index[piece].append(at)
        else:
            members[home].append(k)
    out = []
    for k in kept:
        rows = np.concatenate([found[m] for m in members[k]])
        speeches = set().union(*(holders_of[m] for m in members[k]))
        out.append(((k, speeches), rows))
    return out


# ----- the run


def _digest(*parts) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()[:24]


def record_tasks(kind: str, groups: list, settings: RecordSettings, work: str, strict: bool = False) -> list[tuple]:
    """Tasks of the records stage, one per group of items. Each partition's
    file is named by what it is made of (its items and the settings), so a
    resumed run with the same work folder finds the partitions it finished."""
    import os

    tasks = []
    for items in groups:
        if kind == "files":
            ident = [(str(x), *_stat(x)) for x in items]
        elif kind == "speeches":
            ident = [_digest(s.source, s.title, s.date, s.speaker, s.text) for s in items]
        else:  # (database, speech ids): ids are never reused, so they name the speeches' content
            ident = [os.path.realpath(items[0]), items[1]]
        path = os.path.join(work, "records", f"{_digest(kind, ident, settings.key())}.parquet")
        tasks.append((kind, items, settings, path, strict) if kind == "files" else (kind, items, settings, path))
    return tasks


def _record_cost(task) -> int:
    """A records task's expected work: its files' bytes (speeches, stored
    rows: their number; a stored record costs little, but a partition's
    speeches are alike)."""
    kind, items = task[0], task[1]
    if kind == "files":  # (FILE#1, FILE#2...: one file, read once)
        return sum(_stat(x)[0] or 0 for x in dict.fromkeys(_file_of(x) for x in items))
    return len(items[1]) if kind == "db" else len(items)


def _file_of(spec) -> str:
    """The file a FILE or FILE#N spec reads."""
    import os

    path = str(spec)
    if not os.path.exists(path) and "#" in path:
        path = path.rsplit("#", 1)[0]
    return path


def _stat(spec) -> tuple:
    import os

    path = _file_of(spec)
    try:
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns
    except OSError:
        return (None, None)


def run(tasks: list[tuple], engine, work: str, rule: boilerplate.Rule | None = None, n: int = 5, keywords: int = 10,
        exact_limit: int = EXACT_PAIRS_LIMIT, full: bool | None = None, check=None) -> Corpus:
    """The corpus pipeline (``_run``); whatever happens, what its
    processes kept of the records is let go at the end."""
    try:
        return _run(tasks, engine, work, rule, n, keywords, exact_limit, full, check)
    finally:
        engine.everywhere(forget_kept)


def _run(tasks: list[tuple], engine, work: str, rule: boilerplate.Rule | None, n: int, keywords: int,
         exact_limit: int, full: bool | None, check) -> Corpus:
    """The corpus pipeline (see the table at the top of this section) over
    the record ``tasks`` (``record_tasks``), on ``engine``, with its
    intermediate files in the folder ``work``. ``check(count, skipped)`` is
    called once the records are made (it may raise). ``full``: keep each
    speech's text, units and labels in the result (default: up to
    FULL_LIMIT speeches)."""
    import os
    import shutil

    rule = rule or boilerplate.Rule()
    # a partition's records stay in the process that made them, for its labels task (``_keep``)
    keep = KEEP_CHARS // engine.slots() if engine.keeps else 0  # (each process its share)
    infos = engine.map(part_records, tasks, "records", keep, cost=[_record_cost(t) for t in tasks],
                       affinity=[t[3] for t in tasks])
    first = 0
    for info in infos:
        info.first = first
        first += info.size
    count = first
    skipped = [s for info in infos for s in info.skipped]
    if check:
        check(count, skipped)
    parts = [info for info in infos if info.size]
    full = count <= FULL_LIMIT if full is None else full
    stages = os.path.join(work, "stages")
    shutil.rmtree(stages, ignore_errors=True)  # recomputed each run from the records
    buckets = engine.buckets_for(count)
    names = range(len(parts))

    # shingle frequencies, and a number for each distinct shingle
    near = [p.path for p in parts]  # each partition's stages where its records are kept (their sets, candidates)
    engine.map(part_df, [(p.path, buckets, f"{stages}/df/{i}") for i, p in zip(names, parts)], "shingle frequencies",
               affinity=near)
    distinct = [f"{stages}/distinct-{b}.npy" for b in range(buckets)]
    reduced = engine.map(bucket_frequent, [([f"{stages}/df/{i}-{b}.npz" for i in names], frequent_cap(count), distinct[b])
                                           for b in range(buckets)], "frequent shingles")
    offsets = np.concatenate(([0], np.cumsum([size for _, size in reduced], dtype=np.int64)))
    bit_offsets = np.concatenate(([0], np.cumsum([len(f) for f, _ in reduced], dtype=np.int64)))
    sizes = np.concatenate([p.set_sizes for p in parts]) if parts else np.zeros(0, np.int64)
    dense = bool(count) and -(-int(offsets[-1]) // 64) <= DENSE_WORDS * sizes.mean()
    engine.map(part_ids, [(p.path, buckets, distinct, offsets, bit_offsets, f"{stages}/ids/{i}", dense)
                          for i, p in zip(names, parts)], "shingle numbers", affinity=near)

    # candidate pairs
    if count <= exact_limit:
        a, b = np.triu_indices(count, k=1)
        pairs = a.astype(np.int64) * (1 << 32) + b
    else:
        frequent = np.sort(np.concatenate([f for f, _ in reduced])) if reduced else np.zeros(0, np.uint64)
        engine.map(part_bands, [(p.path, p.first, buckets, f"{stages}/bands/{i}") for i, p in zip(names, parts)],
                   "LSH bands", engine.share(frequent), affinity=near)
        found = engine.map(bucket_candidates, [([f"{stages}/bands/{i}-{b}.npz" for i in names],) for b in range(buckets)],
                           "candidate pairs")
        pairs = arrays.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)

    # exact overlaps, one task per block of two partitions
    starts = np.array([p.first for p in parts], dtype=np.int64)
    part_a = np.searchsorted(starts, pairs >> 32, side="right") - 1
    part_b = np.searchsorted(starts, pairs & 0xFFFFFFFF, side="right") - 1
    block = part_a * len(parts) + part_b
    order = np.argsort(block, kind="stable")
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(block[order])) + 1, [len(order)])) if len(order) else np.zeros(1, np.int64)
    blocks = []
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        sel = order[lo:hi]
        ia, ib = int(part_a[sel[0]]), int(part_b[sel[0]])
        blocks.append((f"{stages}/ids/{ia}", parts[ia].first, f"{stages}/ids/{ib}", parts[ib].first, pairs[sel]))
    overlaps = engine.map(block_overlaps, blocks, "pair overlaps")
    measured = np.concatenate([block[4] for block in blocks]) if blocks else np.zeros(0, np.int64)
    both = np.concatenate(overlaps) if blocks else np.zeros(0, np.int64)
    order = np.argsort(measured[both > 0])  # the pairs sharing something, by (a, b)
    measured, both = measured[both > 0][order], both[both > 0][order]
    a, b = measured >> 32, measured & 0xFFFFFFFF
    pair_list = Pairs(a, b, both, sizes[a], sizes[b])

    # families, and how many of them hold each shingle
    family = np.array(families(count, pair_list), dtype=np.int64)
    members = np.bincount(family, minlength=count) if count else np.zeros(0, np.int64)
    multi = members[family] > 1
    per_part = [(family[p.first : p.first + p.size], multi[p.first : p.first + p.size]) for p in parts]
    engine.map(part_family_counts, [(p.path, f, m, buckets, f"{stages}/fam/{i}") for i, (p, (f, m)) in enumerate(zip(parts, per_part))],
               "family counts", affinity=near)
    tables = [f"{stages}/table-{b}" for b in range(buckets)]
    engine.map(bucket_family_table, [([f"{stages}/fam/{i}-{b}.npz" for i in names], tables[b]) for b in range(buckets)],
               "recurring shingles")

    # words of each family (distinctive keywords)
    word_families: Counter = Counter()
    larger: dict[int, set[str]] = defaultdict(set)
    for single, more in engine.map(part_words, [(p.path, f, m) for p, (f, m) in zip(parts, per_part)], "keywords",
                                   affinity=near):
        word_families.update(single)
        for f, words in more.items():
            larger[f].update(words)
    for words in larger.values():
        word_families.update(words)
    total_families = len(set(family.tolist()))

    # the rule, what is new, the phrasebook's candidates
    # Up to exact_limit speeches every sentence may join a phrasebook entry
    # as a wording of another (two wordings of one stock sentence may share
    # no run of SHINGLE characters: 重点抓好以下三个/四个方面的工作). Above, only
    # sentences with a run held by another family are candidates, so the
    # driver's candidates grow with the reused text, not with the corpus.
    packed = not engine.in_process(len(parts))
    label_tasks = [LabelTask(p.path, p.first, f, tables, rule, n, keywords, full, count <= exact_limit, f"{stages}/texts/{i}.parquet",
                             packed) for i, (p, (f, _)) in enumerate(zip(parts, per_part))]
    reports, cands = [], []
    # (imap: each partition's speeches are unpacked here while the pool labels the next)
    for r, c in engine.imap(part_labels, label_tasks, "labels", engine.share(dict(word_families)), total_families,
                            affinity=near):  # (where its records were made and kept)
        if packed and full:
            for report in r:
                report.speech = unpacked(report.speech)
        reports += r
        cands.append(c)

    def on_engine(path: str, description: str):
        """``map_blocks`` of key_lsh_pairs and phrase_index: a ``key_block``
        task per block, reading the keys from the key file at ``path``."""
        return lambda fn, blocks: engine.map(key_block, [(path, at, stop, fn) for at, stop in blocks], description)

    def holders_of_keys(keys: list[str]) -> list[set[int]]:
        path = f"{stages}/phrase-keys.npz"
        _KeyFile.write(path, keys)
        try:
            index, kept = phrase_index(keys, functools.partial(families_holding, tables), rule.min_speeches + 1,
                                       on_engine(path, "phrase index"))
        finally:
            _forget_key_file()  # (when this process read the key file itself)
        found = engine.map(part_holders, [(p.path, p.first) for p in parts], "phrase holders", engine.share(index))
        holders: list[set[int]] = [set() for _ in keys]
        for k, s in zip(np.concatenate([k for k, _ in found]).tolist() if found else [],
                        np.concatenate([s for _, s in found]).tolist() if found else []):
            holders[kept[k]].add(s)
        return holders

    written: list = []  # the sentence keys last written to the key file, which the two stages' tasks read

    def key_file(keys: list[str]) -> str:
        path = f"{stages}/wording-keys.npz"
        if not written or written[0] is not keys:
            _KeyFile.write(path, keys)
            written[:] = [keys]
        return path

    def sketch_blocks(keys: list[str], sketch, blocks: list[tuple[int, int]]) -> list[np.ndarray]:
        # a block a process at least (the development corpus' 23,539 keys
        # were one block, 0.09 s of the driver's while the pool waited)
        parts = -(-engine.slots() // len(blocks)) if blocks and len(keys) >= SKETCH_SPLIT else 1
        blocks = [(at + (stop - at) * i // parts, at + (stop - at) * (i + 1) // parts)
                  for at, stop in blocks for i in range(parts)]
        return on_engine(key_file(keys), "sentence sketches")(sketch, [b for b in blocks if b[1] > b[0]])

    def same(keys: list[str], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        try:
            if not len(rows):
                return np.zeros(0, dtype=bool)
            path = key_file(keys)
            step = max(SAME_CHUNK, -(-len(rows) // 16))
            done = engine.map(same_sentences, [(path, rows[i : i + step], cols[i : i + step]) for i in range(0, len(rows), step)],
                              "sentence wordings")
            return np.concatenate(done)
        finally:
            _forget_key_file()  # (when this process read the key file itself)
            written.clear()  # the keys' last use here: the phrasebook frees them next

    def texts_of(requests: list[tuple]) -> list[tuple]:
        return engine.map(part_texts, requests, "phrasebook texts")

    book = book_from_candidates(cands, family, rule.min_speeches + 1, holders_of_keys, same, texts_of, sketch_blocks)
    return Corpus(reports, pair_list, book, rule, full)


# Every hash two speeches share becomes a bit (``part_ids``' dense mode)
# when a speech's bitset, in 64-bit words, is at most this many times its
# fingerprint set, in hashes: a pair then ANDs no more words than it would
# merge numbers (its two sets' worth), at ~1 ns a word against ~6 ns a
# number in a sort call of its own (the 1,000 synthetic speeches: 94,840
# distinct hashes, 1,482 words a speech, 4,504 hashes a set: 68,425 pairs
# in 0.25 s against 4.8 s), and the bitsets take no more memory than the
# sets. A corpus of many distinct hashes (tens of thousands of speeches)
# keeps the frequent hashes as bits and merges the rest.
DENSE_WORDS = 1.0
SKETCH_SPLIT = 10_000  # sentence keys from which their sketches are a task for each process at least
SAME_CHUNK = 20_000  # candidate pairs of wordings per task at least (~0.5 s of checks: a task is worth sending)
FULL_LIMIT = 2000  # up to this many speeches a run keeps every speech's text, units and labels in memory
