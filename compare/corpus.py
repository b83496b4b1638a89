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

from . import analyze, boilerplate
from .align import MIN_SHARED_CLAUSE, Unit, char_diff
from .model import Speech
from .fingerprint import MIN_KEY, SHINGLE, Fingerprint, covered_chars, fingerprint, lookup, shingles  # noqa: F401 (re-exported)
from .textkey import NUMBER, key, key_spans  # noqa: F401 (key re-exported)

NEAR_DUPLICATE = 0.8  # Jaccard of two speeches' fingerprints: copies of one speech
RELATED = 0.1  # a pair sharing at least this much (Pair.shared, balanced) is worth a diff
CANDIDATE = 0.05  # MinHash LSH proposes pairs above this Jaccard (related speeches: about 0.05-0.2)
SENTENCE_VARIANT = 0.75  # placeholder-aware similarity for two wordings of one sentence
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


# ---------------------------------------------------------------- the phrasebook


@dataclass
class Occurrence:
    """Where a phrasebook entry stands in one speech."""

    speech: int  # index into the corpus' speeches
    unit: int  # index into that speech's units
    start: int  # offsets of the passage in the speech's text
    end: int


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


def _entry(kind: str, family: list[int], occs: list[Occurrence], wording_of, min_families: int) -> Phrase | None:
    speeches = sorted({o.speech for o in occs})
    fams = len({family[s] for s in speeches})
    if fams < min_families:
        return None
    wordings = Counter(wording_of(o) for o in occs)
    ranked = sorted(wordings.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
    return Phrase(kind, ranked[0][0], speeches, fams, len(wordings),
                  sorted(occs, key=lambda o: (o.speech, o.start)), ranked[:10])


def phrasebook(prints: list[Fingerprint], family: list[int], covered: list[np.ndarray], min_families: int = 2) -> list[Phrase]:
    """The passages this corpus reuses, heaviest first (``Phrase.weight``):
    whole sentences, and phrases reused inside otherwise different
    sentences. ``covered``: per speech, its characters that recur in enough
    other families (``covered_chars`` of ``boilerplate.recurring``);
    ``min_families``: independent speeches an entry needs."""
    entries = []
    for occs in _sentence_groups(prints):
        found = [Occurrence(s, u, prints[s].units[u].start, prints[s].units[u].end) for s, u in occs]
        entry = _entry("sentence", family, found, lambda o: prints[o.speech].units[o.unit].text, min_families)
        if entry:
            entries.append(entry)
    in_reused = {(o.speech, o.unit) for e in entries for o in e.occurrences}
    entries += shared_phrases(prints, family, covered, skip=in_reused, min_families=min_families)
    entries.sort(key=lambda e: (-e.weight, -e.families, e.kind != "sentence", e.text))
    return entries


# A shorter phrase folds into a longer one that contains it when most of its
# speeches are the longer one's too (Jaccard of the two speech sets): then
# it is a clause variant (市政府的坚强领导 / 市政府的坚强领导下), not a phrase
# of its own. 中国特色社会主义, used far more widely than any one longer
# phrase holding it, stays its own entry.
FOLD_OVERLAP = 0.6


def shared_phrases(prints: list[Fingerprint], family: list[int], covered: list[np.ndarray],
                   skip: set[tuple[int, int]] = frozenset(), min_families: int = 2) -> list[Phrase]:
    """Maximal runs of text that recur in other speeches, inside sentences
    not reused whole (``skip``): the 套话 phrases a drafter weaves into new
    sentences. Each run's speeches are those holding all its fingerprints
    (looked up in one sorted posting array); a run contained in a longer
    one with mostly the same speeches is folded into it as a variant."""
    found: dict[str, list[tuple[Occurrence, str]]] = defaultdict(list)
    for s, p in enumerate(prints):
        for u, (unit, k) in enumerate(zip(p.units, p.keys)):
            reused = covered[s][p.offsets[u] : p.offsets[u + 1]]
            if (s, u) in skip or not reused.any():
                continue
            spans = None
            for start, end in _true_runs(reused):
                if end - start >= MIN_PHRASE:
                    spans = spans or key_spans(unit.text)[1]
                    a, b = spans[start][0], spans[end - 1][1]
                    found[k[start:end]].append((Occurrence(s, u, unit.start + a, unit.start + b), unit.text[a:b]))
    if not found:
        return []
    hashes = np.concatenate([p.set for p in prints])
    owners = np.concatenate([np.full(len(p.set), i, dtype=np.int32) for i, p in enumerate(prints)])
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    holders_of: dict[str, set[int]] = {}
    for phrase_key in found:
        holders = None
        for h in np.unique(shingles(phrase_key)):
            lo, hi = np.searchsorted(hashes, h, "left"), np.searchsorted(hashes, h, "right")
            these = set(owners[lo:hi].tolist())
            holders = these if holders is None else holders & these
        if len({family[i] for i in holders or ()}) >= min_families:
            holders_of[phrase_key] = holders
    # fold: longest first, each shorter key joins the first kept key that
    # contains it and shares most of its speeches
    kept: list[str] = []
    members: dict[str, list[str]] = {}
    for phrase_key in sorted(holders_of, key=lambda k: (-len(k), k)):
        mine = holders_of[phrase_key]
        home = next((longer for longer in kept if phrase_key in longer
                     and len(mine & holders_of[longer]) / len(mine | holders_of[longer]) >= FOLD_OVERLAP), None)
        if home is None:
            kept.append(phrase_key)
            members[phrase_key] = [phrase_key]
        else:
            members[home].append(phrase_key)
    entries = []
    for phrase_key in kept:
        occs = [pair for k in members[phrase_key] for pair in found[k]]
        speeches = set().union(*(holders_of[k] for k in members[phrase_key]))
        wording = {id(o): w.strip("，。；：！？、") for o, w in occs}
        entry = _entry("phrase", family, [o for o, _ in occs], lambda o: wording[id(o)], min_families)
        if entry:
            # the speeches holding the phrase, whether or not a drafter's
            # sentence around it was itself reused (then it is in ``skip``)
            entry.speeches = sorted(speeches)
            entry.families = len({family[i] for i in speeches})
            entry.text = _longest_common_wording(entry, phrase_key, found)
            entries.append(entry)
    return entries


def _longest_common_wording(entry: Phrase, phrase_key: str, found) -> str:
    """The entry's text: the most used wording of its longest member (the
    maximal span), so a folded clause variant never names the entry."""
    wordings = Counter(w.strip("，。；：！？、") for _, w in found[phrase_key])
    return max(wordings, key=lambda w: (wordings[w], -len(w)))


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
    boilerplate: float  # share of its characters that is reused frame (boilerplate + edited)
    scores: list[float]  # per unit: share of its frame reused elsewhere
    summary: analyze.Summary
    new: list[analyze.KeySentence]  # key sentences among its local sentences
    distinctive: list[analyze.Keyword]  # keywords against the rest of the corpus
    units: list[Unit] = field(repr=False, default_factory=list)
    labels: boilerplate.Labels | None = field(repr=False, default=None)

    @property
    def shares(self) -> dict[str, float]:
        """boilerplate / edited / fill / local shares of its characters (sum 1)."""
        return self.labels.shares if self.labels else {}


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
    pairs: list[Pair]
    phrasebook: list[Phrase]
    rule: boilerplate.Rule = field(default_factory=boilerplate.Rule)

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
                   exact_limit: int = EXACT_PAIRS_LIMIT, rule: boilerplate.Rule | None = None) -> Corpus:
    """Compare every speech with the rest: pairs, families, phrasebook and
    each speech's boilerplate share, summary and what is new in it.
    ``rule``: the boilerplate rule (default: ``boilerplate.Rule()``, a
    passage is reused when one other independent speech has it).
    ``progress(iterable, description)`` may wrap the long loops."""
    rule = rule or boilerplate.Rule()
    prints = [fingerprint(s) for s in progress(speeches, "fingerprinting")]
    pairs = similar_pairs(prints, exact_limit, progress)
    family = families(len(prints), pairs)
    table, counts = family_counts(prints, family)
    # how many families other than the speech's own use each of its runs
    others = [lookup(fp.runs, table, counts) - 1 for fp in prints]
    recurs = [boilerplate.recurring(o, rule) for o in others]
    covered = [covered_chars(fp, r) for fp, r in zip(prints, recurs)]
    book = phrasebook(prints, family, covered, min_families=rule.min_speeches + 1)
    reports = []
    words = []
    for i, fp in enumerate(progress(prints, "summarizing")):
        labels = boilerplate.label(fp, recurs[i], rule)
        tokens = analyze.tokenize([s.text for s in fp.speech.sentences])
        words.append([w for t in tokens for w in t.keyword_candidates])
        reports.append(
            SpeechReport(
                speech=fp.speech,
                family=family[i],
                chars=fp.chars,
                boilerplate=labels.reused,
                scores=labels.coverage,
                summary=analyze.summarize(fp.speech, n, keywords),
                new=new_sentences(fp, labels.labels, n),
                distinctive=[],
                units=fp.units,
                labels=labels,
            )
        )
    for r, kws in zip(reports, distinctive_keywords(words, family, keywords)):
        r.distinctive = kws
    return Corpus(reports, pairs, book, rule)
