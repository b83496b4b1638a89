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

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from . import analyze
from .align import MIN_SHARED_CLAUSE, Unit, char_diff, units_of
from .model import Speech
from .textkey import key, key_spans

SHINGLE = 8  # characters per fingerprint run: long enough to be a phrase, not a common word
MIN_KEY = 4  # shorter sentences (同志们) carry no fingerprint
NEAR_DUPLICATE = 0.8  # Jaccard of two speeches' fingerprints: copies of one speech
RELATED = 0.1  # a pair sharing at least this much of either speech is worth a diff
CANDIDATE = 0.05  # MinHash LSH proposes pairs above this Jaccard (related speeches: about 0.05-0.2)
BOILERPLATE_SCORE = 0.5  # a sentence mostly covered by reused runs is boilerplate
SENTENCE_VARIANT = 0.75  # placeholder-aware similarity for two wordings of one sentence
MIN_PHRASE = MIN_SHARED_CLAUSE
EXACT_PAIRS_LIMIT = 150  # up to this many speeches compare every pair; above, MinHash LSH proposes
NUM_PERM = 64


# ---------------------------------------------------------------- fingerprints


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads a polynomial hash over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def shingles(text_key: str, k: int = SHINGLE) -> np.ndarray:
    """Stable 64-bit hashes of each run of ``k`` characters of a key (one
    hash of the whole key when it is shorter), in order."""
    if len(text_key) < MIN_KEY:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer(text_key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    k = min(k, len(codes))
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # polynomial rolling hash, wrapping at 2**64
        h = h * np.uint64(1_000_003) + codes[j : j + n]
    return _mix(h + np.uint64(k))


@dataclass
class Fingerprint:
    """One speech's units (sentences and headings), their keys and runs.
    Keys are laid end to end: unit ``u`` is ``offsets[u]:offsets[u + 1]``
    of that concatenation, its runs ``run_offsets[u]:run_offsets[u + 1]``
    of ``runs``."""

    speech: Speech
    units: list[Unit]
    keys: list[str]
    runs: np.ndarray  # shingle hashes of every unit's key, unit after unit
    offsets: np.ndarray
    run_offsets: np.ndarray
    set: np.ndarray  # sorted distinct hashes of the whole speech

    @property
    def chars(self) -> int:
        return int(self.offsets[-1])

    def runs_of(self, u: int) -> np.ndarray:
        return self.runs[self.run_offsets[u] : self.run_offsets[u + 1]]


def fingerprint(speech: Speech) -> Fingerprint:
    units = units_of(speech)
    keys = [key(u.text) for u in units]
    lengths = np.array([len(k) for k in keys], dtype=np.int64)
    # one rolling hash over all keys end to end, then each unit keeps the
    # windows inside it (the same values as shingles(key), without a numpy
    # call per sentence)
    whole = shingles("".join(keys)) if lengths.sum() >= SHINGLE else np.zeros(0, dtype=np.uint64)
    runs, pos = [], 0
    for k, n in zip(keys, lengths.tolist()):
        runs.append(whole[pos : pos + n - SHINGLE + 1] if n >= SHINGLE else shingles(k))
        pos += n
    run_counts = [len(r) for r in runs]
    all_runs = np.concatenate(runs) if runs else np.zeros(0, dtype=np.uint64)
    return Fingerprint(
        speech, units, keys, all_runs,
        offsets=np.concatenate(([0], np.cumsum(lengths))),
        run_offsets=np.concatenate(([0], np.cumsum(run_counts, dtype=np.int64))),
        set=np.unique(all_runs),
    )


def covered_chars(fp: Fingerprint, flags: np.ndarray) -> np.ndarray:
    """Per character of the speech's keys end to end: is it inside a run
    flagged in ``flags`` (one flag per run of ``fp.runs``)?"""
    lengths = np.diff(fp.offsets)
    unit_of_run = np.repeat(np.arange(len(lengths)), np.diff(fp.run_offsets))
    starts = fp.offsets[unit_of_run] + np.arange(len(fp.runs)) - fp.run_offsets[unit_of_run]
    widths = np.minimum(SHINGLE, lengths)[unit_of_run]
    delta = np.zeros(fp.chars + 1, dtype=np.int32)
    np.add.at(delta, starts[flags], 1)
    np.add.at(delta, (starts + widths)[flags], -1)
    return np.cumsum(delta[:-1]) > 0


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
        return max(self.shared_a, self.shared_b)


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


def lsh_candidates(hash_sets, threshold: float):
    """(j, i) with j < i for each pair of hash sets whose Jaccard is likely
    at least ``threshold``, from MinHash LSH (datasketch) rather than all pairs."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    # MinHash.generator draws the permutations once (seed 1, as every
    # MinHash(num_perm=NUM_PERM) would) and copies them into each sketch:
    # building a MinHash from scratch redraws them, which was most of the
    # phrasebook's time. The sketches, and so the candidates, are unchanged.
    sketches = MinHash.generator(hash_sets, num_perm=NUM_PERM, hashfunc=_identity, scheme="affine64")
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            yield int(j), i
        lsh.insert(i, m)


def candidate_pairs(sets: list[np.ndarray], threshold: float = CANDIDATE) -> set[tuple[int, int]]:
    """Pairs of speeches likely to share at least ``threshold`` (Jaccard) of
    their fingerprints."""
    return set(lsh_candidates(sets, threshold))


def _identity(value):
    return value


def components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Connected-component label of each of ``n`` nodes joined by ``edges``."""
    graph = sparse.coo_array((np.ones(len(edges)), ([a for a, _ in edges], [b for _, b in edges])), shape=(n, n))
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


def families(n: int, pairs: list[Pair], threshold: float = NEAR_DUPLICATE) -> list[int]:
    """Family id of each speech: near-duplicates (copies of one speech) share one."""
    return components(n, [(p.a, p.b) for p in pairs if p.jaccard >= threshold])


def family_counts(prints: list[Fingerprint], family: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct fingerprints of the corpus and how many families use each."""
    members: dict[int, list[np.ndarray]] = defaultdict(list)
    for p, f in zip(prints, family):
        members[f].append(p.set)
    per_family = [np.unique(np.concatenate(sets)) for sets in members.values()]
    if not per_family:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(per_family), return_counts=True)


def lookup(hashes: np.ndarray, table: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``counts`` of each of ``hashes`` in the sorted ``table`` (0 when absent)."""
    if not len(table) or not len(hashes):
        return np.zeros(len(hashes), dtype=np.int64)
    at = np.minimum(np.searchsorted(table, hashes), len(table) - 1)
    return np.where(table[at] == hashes, counts[at], 0)


# ---------------------------------------------------------------- the phrasebook


@dataclass
class Phrase:
    """A passage reused across the corpus: a whole sentence (in one or more
    wordings) or a clause reused inside otherwise different sentences."""

    kind: str  # sentence or phrase
    text: str  # its most common wording
    speeches: list[int]  # indices of the speeches using it
    families: int  # how many distinct speeches (copies counted once)
    variants: int  # how many different wordings
    occurrences: list[tuple[int, int]] = field(default_factory=list, repr=False)  # (speech, unit)


def _sentence_groups(prints: list[Fingerprint]) -> list[list[tuple[int, int]]]:
    """Units grouped by key, then wordings of one sentence (placeholder
    filled, a few characters edited) merged via MinHash LSH candidates."""
    by_key: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for s, p in enumerate(prints):
        for u, k in enumerate(p.keys):
            if len(k) >= MIN_PHRASE:
                by_key[k].append((s, u))
    keys = list(by_key)
    candidates = lsh_candidates((shingles(k, 3) for k in keys), threshold=0.5)
    edges = [(j, i) for j, i in candidates if _same_sentence(keys[j], keys[i])]
    groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for k, label in zip(keys, components(len(keys), edges)):
        groups[int(label)].extend(by_key[k])
    return list(groups.values())


def _same_sentence(a: str, b: str) -> bool:
    _, _, similarity = char_diff(Unit(0, a, 0, len(a), "", False), Unit(0, b, 0, len(b), "", False))
    return similarity >= SENTENCE_VARIANT


def _entry(kind: str, family: list[int], occs: list[tuple[int, int]], text_of) -> Phrase | None:
    speeches = sorted({s for s, _ in occs})
    fams = len({family[s] for s in speeches})
    if fams < 2:
        return None
    wordings = Counter(text_of(s, u) for s, u in occs)
    return Phrase(kind, _most_common(wordings), speeches, fams, len(wordings), sorted(occs))


def _most_common(wordings: Counter) -> str:
    """The wording used most often; of equals, the shortest."""
    return max(wordings, key=lambda t: (wordings[t], -len(t)))


def phrasebook(prints: list[Fingerprint], family: list[int], covered: list[np.ndarray]) -> list[Phrase]:
    """The passages this corpus reuses, most widely used first: whole
    sentences, then phrases reused inside otherwise different sentences.
    ``covered``: per speech, its characters reused by another family
    (``covered_chars``)."""
    groups = _sentence_groups(prints)
    entries = [e for occs in groups if (e := _entry("sentence", family, occs, lambda s, u: prints[s].units[u].text))]
    in_reused = {o for e in entries for o in e.occurrences}
    entries += shared_phrases(prints, family, covered, skip=in_reused)
    entries.sort(key=lambda e: (-e.families, -len(e.speeches), e.kind != "sentence", -len(e.text)))
    return entries


def shared_phrases(prints: list[Fingerprint], family: list[int], covered: list[np.ndarray],
                   skip: set[tuple[int, int]] = frozenset()) -> list[Phrase]:
    """Runs of text reused by another speech inside sentences that are not
    reused whole (``skip``): the 套话 phrases a drafter weaves into new
    sentences. Each run is counted in every speech holding all its
    fingerprints, looked up in one sorted posting array."""
    found: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for s, p in enumerate(prints):
        for u, (unit, k) in enumerate(zip(p.units, p.keys)):
            reused = covered[s][p.offsets[u] : p.offsets[u + 1]]
            if (s, u) in skip or not reused.any():
                continue
            spans = None
            for start, end in _true_runs(reused):
                if end - start >= MIN_PHRASE:
                    spans = spans or key_spans(unit.text)[1]
                    found[k[start:end]].append((s, u, unit.text[spans[start][0] : spans[end - 1][1]]))
    if not found:
        return []
    hashes = np.concatenate([p.set for p in prints])
    owners = np.concatenate([np.full(len(p.set), i, dtype=np.int32) for i, p in enumerate(prints)])
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    entries, kept_by_speeches = [], defaultdict(list)
    for phrase_key in sorted(found, key=len, reverse=True):
        holders = None
        for h in np.unique(shingles(phrase_key)):
            lo, hi = np.searchsorted(hashes, h, "left"), np.searchsorted(hashes, h, "right")
            these = set(owners[lo:hi].tolist())
            holders = these if holders is None else holders & these
        speeches = sorted(holders or ())
        if len({family[i] for i in speeches}) < 2:
            continue
        if any(phrase_key in longer for longer in kept_by_speeches[tuple(speeches)]):
            continue  # part of a longer phrase the same speeches share
        kept_by_speeches[tuple(speeches)].append(phrase_key)
        occs = found[phrase_key]
        wordings = Counter(w for _, _, w in occs)
        entries.append(Phrase("phrase", _most_common(wordings).strip("，。；：！？、"), speeches, len({family[i] for i in speeches}), len(wordings),
                              sorted((s, u) for s, u, _ in occs)))
    return entries


def _true_runs(mask: np.ndarray):
    """(start, end) of each run of True in a boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return zip(edges[::2].tolist(), edges[1::2].tolist())


# ---------------------------------------------------------------- per speech


@dataclass
class SpeechReport:
    """One speech seen against the rest of the corpus."""

    speech: Speech
    family: int
    chars: int
    boilerplate: float  # share of its characters reused elsewhere in the corpus
    scores: list[float]  # per unit: share of its characters reused elsewhere
    summary: analyze.Summary
    new: list[analyze.KeySentence]  # key sentences among its local sentences
    distinctive: list[analyze.Keyword]  # keywords against the rest of the corpus
    units: list[Unit] = field(repr=False, default_factory=list)


def unit_scores(fp: Fingerprint, covered: np.ndarray) -> list[float]:
    """Boilerplate score of each unit: the share of its characters that
    ``covered`` (``covered_chars``) marks as found elsewhere."""
    running = np.concatenate(([0], np.cumsum(covered)))
    lengths = np.diff(fp.offsets)
    sums = running[fp.offsets[1:]] - running[fp.offsets[:-1]]
    return np.divide(sums, lengths, out=np.zeros(len(lengths)), where=lengths > 0).tolist()


def boilerplate_share(fp: Fingerprint, scores: list[float]) -> float:
    return sum(len(k) * s for k, s in zip(fp.keys, scores)) / fp.chars if fp.chars else 0.0


def local_sentences(speech: Speech, units: list[Unit], scores: list[float]):
    """Sentences of the speech (not headings) that are not boilerplate."""
    local_starts = {u.start for u, score in zip(units, scores) if not u.heading and score < BOILERPLATE_SCORE}
    return [s for s in speech.sentences if s.start in local_starts]


def whats_new(speech: Speech, units: list[Unit], scores: list[float], n: int = 5) -> list[analyze.KeySentence]:
    """TextRank over the speech's local sentences only: its own message."""
    return analyze.key_sentences(speech, local_sentences(speech, units, scores), n)


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
    pairs: list[Pair]
    phrasebook: list[Phrase]

    @property
    def families(self) -> list[list[int]]:
        """Groups of near-duplicate speeches (two or more copies)."""
        groups: dict[int, list[int]] = defaultdict(list)
        for i, r in enumerate(self.speeches):
            groups[r.family].append(i)
        return [g for g in groups.values() if len(g) > 1]


def analyze_corpus(speeches: list[Speech], n: int = 5, keywords: int = 10, progress=no_progress,
                   exact_limit: int = EXACT_PAIRS_LIMIT) -> Corpus:
    """Compare every speech with the rest: pairs, families, phrasebook and
    each speech's boilerplate share, summary and what is new in it.
    ``progress(iterable, description)`` may wrap the long loops."""
    prints = [fingerprint(s) for s in progress(speeches, "fingerprinting")]
    pairs = similar_pairs(prints, exact_limit, progress)
    family = families(len(prints), pairs)
    table, counts = family_counts(prints, family)
    # a run used by two families is used by one other than the speech's own
    covered = [covered_chars(fp, lookup(fp.runs, table, counts) >= 2) for fp in prints]
    book = phrasebook(prints, family, covered)
    reused = defaultdict(set)  # units inside reused sentences, even when their runs vary
    for e in book:
        if e.kind == "sentence":
            for s, u in e.occurrences:
                reused[s].add(u)
    reports = []
    words = []
    for i, fp in enumerate(progress(prints, "summarizing")):
        scores = unit_scores(fp, covered[i])
        for u in reused[i]:  # a reused sentence counts whole, its filled slots too
            scores[u] = 1.0
        tokens = analyze.tokenize([s.text for s in fp.speech.sentences])
        words.append([w for t in tokens for w in t.keyword_candidates])
        reports.append(
            SpeechReport(
                speech=fp.speech,
                family=family[i],
                chars=fp.chars,
                boilerplate=boilerplate_share(fp, scores),
                scores=scores,
                summary=analyze.summarize(fp.speech, n, keywords),
                new=whats_new(fp.speech, fp.units, scores, n),
                distinctive=[],
                units=fp.units,
            )
        )
    for r, kws in zip(reports, distinctive_keywords(words, family, keywords)):
        r.distinctive = kws
    return Corpus(reports, pairs, book)
