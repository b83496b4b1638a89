"""Align two speeches: sections, then sentences, then characters.

Sections are paired by an assignment over a similarity matrix (heading
similarity and how much of their text the other section shares), so
reordered, merged or dropped sections are found, not only a left-to-right
diff. Sentences are paired by an assignment too, preferring partners in the
paired section but finding moved text anywhere. Within a sentence pair,
character edits are classified; a placeholder (``XX``/``xx``/``X``) facing a
short run of characters in the other speech is a filled template slot, so
it counts as shared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from scipy.optimize import linear_sum_assignment

from .model import Section, Speech
from .textkey import PLACEHOLDER, SLOT, comparable, normalize

DEFAULT_THRESHOLD = 0.6  # sentences and sections at least this similar are "the same"
MAX_FILL = 12  # a placeholder stands for at most this many characters
SAME_SECTION_BONUS = 0.05
OPENING_EVIDENCE = 0.5  # two openings face each other, but must share text to pair
NUMBER_EVIDENCE = 0.2  # how much the same outline number says two sections match
CLAUSE = re.compile(r"[^，。；：！？、]+[，。；：！？、]?")
MIN_SHARED_CLAUSE = 8


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

    def visit(sections: list[Section], prefix: str) -> None:
        for sec in sections:
            path = f"{prefix} > {sec.label}" if prefix and sec.level else (sec.label if sec.level else "")
            if sec.level:
                start = sec.span[0]
                text = sec.marker + sec.heading
                units.append(Unit(0, text, start, start + len(text), path, True, sec))
            for s in sec.sentences:
                units.append(Unit(0, s.text, s.start, s.end, path, False, sec))
            visit(sec.children, path)

    visit(speech.sections, "")
    units.sort(key=lambda u: u.start)
    for i, u in enumerate(units):
        u.index = i
    return units


# ---------------------------------------------------------------- characters


@dataclass
class Piece:
    """A run of a sentence: ``kind`` is same, fill (placeholder and what fills
    it), edit (changed), or local (not in the other speech at all)."""

    start: int  # offsets into the speech text
    end: int
    kind: str


def char_diff(a: Unit, b: Unit) -> tuple[list[Piece], list[Piece], float]:
    """Pieces of each sentence and the placeholder-aware similarity."""
    na, ma = normalize(a.text)
    nb, mb = normalize(b.text)
    pieces_a: list[Piece] = []
    pieces_b: list[Piece] = []

    def add(pieces, mapping, base, i1, i2, kind):
        if i1 < i2:
            start, end = (mapping[i1][0], mapping[i2 - 1][1]) if mapping else (i1, i2)
            pieces.append(Piece(base + start, base + end, kind))

    blocks = []  # merge adjacent non-equal opcodes into one change block
    for op in Levenshtein.opcodes(na, nb):
        if op.tag == "equal":
            blocks.append(("equal", op.src_start, op.src_end, op.dest_start, op.dest_end))
        elif blocks and blocks[-1][0] == "change":
            _, i1, _, j1, _ = blocks[-1]
            blocks[-1] = ("change", i1, op.src_end, j1, op.dest_end)
        else:
            blocks.append(("change", op.src_start, op.src_end, op.dest_start, op.dest_end))
    shared = 0
    for tag, i1, i2, j1, j2 in blocks:
        if tag == "equal":
            kind = "same"
        else:
            left, right = na[i1:i2], nb[j1:j2]
            kind = "fill" if _is_fill(left, right) or _is_fill(right, left) else "edit"
        if kind != "edit":
            shared += (i2 - i1) + (j2 - j1)
        add(pieces_a, ma, a.start, i1, i2, kind)
        add(pieces_b, mb, b.start, j1, j2, kind)
    total = len(na) + len(nb)
    return _merge(pieces_a), _merge(pieces_b), shared / total if total else 1.0


def _is_fill(slot_side: str, other: str) -> bool:
    """A placeholder facing a short run (a figure, a name) of the other side."""
    return (
        bool(slot_side)
        and set(slot_side) <= {SLOT}
        and len(other) <= MAX_FILL * len(slot_side)
        and not re.search("[。！？；]", other)
    )


def _merge(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for p in pieces:
        if out and out[-1].kind == p.kind and out[-1].end == p.start:
            out[-1] = Piece(out[-1].start, p.end, p.kind)
        else:
            out.append(p)
    return out


# ---------------------------------------------------------------- sections


@dataclass
class SectionPair:
    a: Section | None
    b: Section | None
    score: float
    children: list["SectionPair"] = field(default_factory=list)


def _subtree_units(section: Section, units: list[Unit]) -> list[int]:
    lo, hi = section.span
    return [u.index for u in units if lo <= u.start < hi]


def _coverage(sim: np.ndarray, rows: list[int], cols: list[int], len_a: np.ndarray, len_b: np.ndarray, threshold: float) -> float:
    """Share of two sections' characters whose sentences have a match (at
    least ``threshold``) in the other section."""
    if not rows or not cols:
        return 0.0
    sub = sim[np.ix_(rows, cols)]
    best_a = np.where(sub.max(axis=1) >= threshold, 1.0, 0.0)
    best_b = np.where(sub.max(axis=0) >= threshold, 1.0, 0.0)
    covered = (best_a * len_a[rows]).sum() + (best_b * len_b[cols]).sum()
    return float(covered / (len_a[rows].sum() + len_b[cols].sum()))


def align_sections(
    sections_a: list[Section],
    sections_b: list[Section],
    units_a: list[Unit],
    units_b: list[Unit],
    sim: np.ndarray,
    threshold: float,
) -> list[SectionPair]:
    """Pair sections level by level; unpaired ones stand alone. Result in
    A's order, B-only sections after the pair that precedes them in B."""
    if not sections_a or not sections_b:
        return [SectionPair(a, None, 0.0) for a in sections_a] + [SectionPair(None, b, 0.0) for b in sections_b]
    len_a = np.array([len(u.text) for u in units_a], dtype=float)
    len_b = np.array([len(u.text) for u in units_b], dtype=float)
    rows = [_subtree_units(s, units_a) for s in sections_a]
    cols = [_subtree_units(s, units_b) for s in sections_b]
    score = np.zeros((len(sections_a), len(sections_b)))
    for i, sa in enumerate(sections_a):
        for j, sb in enumerate(sections_b):
            heading = fuzz.ratio(comparable(sa.heading), comparable(sb.heading)) / 100 if sa.heading and sb.heading else 0.0
            if sa.level == 0 and sb.level == 0:
                heading = OPENING_EVIDENCE
            if (sa.level == 0) != (sb.level == 0):
                heading = 0.0
            content = _coverage(sim, rows[i], cols[j], len_a, len_b, threshold)
            same_number = sa.level > 0 and sa.number == sb.number and sa.kind == sb.kind
            # independent evidence, combined as a noisy-or: a similar heading,
            # shared text, and (weakly) the same number in the outline
            score[i, j] = 1 - (1 - heading) * (1 - content) * (1 - NUMBER_EVIDENCE * same_number)
    ri, ci = linear_sum_assignment(-score)
    partner = {i: j for i, j in zip(ri, ci) if score[i, j] >= threshold}
    pairs: list[SectionPair] = []
    used_b = set(partner.values())
    pending_b = [j for j in range(len(sections_b)) if j not in used_b]
    for i, sa in enumerate(sections_a):
        j = partner.get(i)
        if j is None:
            pairs.append(SectionPair(sa, None, 0.0))
            continue
        # B-only sections that come before this partner in B go first
        while pending_b and pending_b[0] < j:
            pairs.append(SectionPair(None, sections_b[pending_b.pop(0)], 0.0))
        sb = sections_b[j]
        pair = SectionPair(sa, sb, float(min(1.0, score[i, j])))
        pair.children = align_sections(sa.children, sb.children, units_a, units_b, sim, threshold)
        pairs.append(pair)
    pairs.extend(SectionPair(None, sections_b[j], 0.0) for j in pending_b)
    return pairs


def walk_pairs(pairs: list[SectionPair]):
    for p in pairs:
        yield p
        yield from walk_pairs(p.children)


# ---------------------------------------------------------------- sentences


@dataclass
class Match:
    a: int  # unit indices
    b: int
    similarity: float
    status: str  # identical, edited, moved
    pieces_a: list[Piece]
    pieces_b: list[Piece]


def similarity_matrix(units_a: list[Unit], units_b: list[Unit]) -> np.ndarray:
    """Similarity of every sentence pair, placeholders left out (0..1)."""
    if not units_a or not units_b:
        return np.zeros((len(units_a), len(units_b)))
    texts_a = [PLACEHOLDER.sub("", u.text) for u in units_a]
    texts_b = [PLACEHOLDER.sub("", u.text) for u in units_b]
    return process.cdist(texts_a, texts_b, scorer=fuzz.ratio, dtype=np.float32, workers=-1) / 100.0


def _section_partner_map(pairs: list[SectionPair]) -> dict[int, Section]:
    return {id(p.a): p.b for p in walk_pairs(pairs) if p.a is not None and p.b is not None}


def _in_paired_section(ua: Unit, ub: Unit, partners: dict[int, Section], parents: dict[int, Section | None]) -> bool:
    """Whether ``ub`` lies in the section paired with ``ua``'s section or the
    nearest paired ancestor of it."""
    sec = ua.section
    while sec is not None:
        partner = partners.get(id(sec))
        if partner is not None:
            return partner.span[0] <= ub.start < partner.span[1]
        sec = parents.get(id(sec))
    return False


def _parents(speech: Speech) -> dict[int, Section | None]:
    parents: dict[int, Section | None] = {}
    for sec in speech.sections:
        parents[id(sec)] = None
        for node in sec.walk():
            for child in node.children:
                parents[id(child)] = node
    return parents


def match_sentences(
    speech_a: Speech,
    units_a: list[Unit],
    units_b: list[Unit],
    sim: np.ndarray,
    pairs: list[SectionPair],
    threshold: float,
) -> list[Match]:
    """One-to-one sentence pairs at least ``threshold`` similar."""
    if sim.size == 0:
        return []
    partners = _section_partner_map(pairs)
    parents = _parents(speech_a)
    # only plausible pairs need the placeholder-aware refinement
    candidate = sim >= threshold - 0.25
    refined = np.where(candidate, sim, 0.0).astype(float)
    diffs: dict[tuple[int, int], tuple] = {}
    same_section = np.zeros_like(refined, dtype=bool)
    for i, j in zip(*np.nonzero(candidate)):
        pieces_a, pieces_b, s = char_diff(units_a[i], units_b[j])
        refined[i, j] = s
        diffs[(i, j)] = (pieces_a, pieces_b)
        same_section[i, j] = _in_paired_section(units_a[i], units_b[j], partners, parents)
    weight = refined + SAME_SECTION_BONUS * same_section
    ri, ci = linear_sum_assignment(-weight)
    matches = []
    for i, j in zip(ri, ci):
        s = refined[i, j]
        if s < threshold:
            continue
        pieces_a, pieces_b = diffs[(i, j)]
        if not same_section[i, j]:
            status = "moved"
        elif all(p.kind != "edit" for p in pieces_a + pieces_b):
            status = "identical"
        else:
            status = "edited"
        matches.append(Match(int(i), int(j), float(s), status, pieces_a, pieces_b))
    return matches


def shared_clauses(units_a: list[Unit], units_b: list[Unit], matched_a: set[int], matched_b: set[int]) -> tuple[dict[int, list[Piece]], dict[int, list[Piece]]]:
    """In sentences without a partner, clauses (between commas) that occur
    word for word in the other speech: reused phrases inside new sentences."""

    def clauses(unit: Unit):
        for m in CLAUSE.finditer(unit.text):
            key = comparable(m.group().rstrip("，。；：！？、"))
            if len(key) >= MIN_SHARED_CLAUSE:
                yield key, unit.start + m.start(), unit.start + m.end()

    keys_a = {k for u in units_a for k, _, _ in clauses(u)}
    keys_b = {k for u in units_b for k, _, _ in clauses(u)}
    found_a: dict[int, list[Piece]] = {}
    found_b: dict[int, list[Piece]] = {}
    for units, matched, other_keys, found in ((units_a, matched_a, keys_b, found_a), (units_b, matched_b, keys_a, found_b)):
        for u in units:
            if u.index in matched:
                continue
            pieces = [Piece(s, e, "same") for k, s, e in clauses(u) if k in other_keys]
            if pieces:
                found[u.index] = pieces
    return found_a, found_b


# ---------------------------------------------------------------- the diff


@dataclass
class Row:
    """One line of the side-by-side view: a sentence of A, of B, or both."""

    a: int | None
    b: int | None
    status: str  # identical, edited, moved, only_a, only_b, heading
    similarity: float = 0.0


@dataclass
class SectionRows:
    pair: SectionPair
    label_a: str
    label_b: str
    rows: list[Row]
    shared_a: float  # share of characters shared with the other speech
    shared_b: float


@dataclass
class Side:
    speech: Speech
    units: list[Unit]
    pieces: dict[int, list[Piece]]  # unit index -> its classified runs
    shared: float  # share of the speech's characters that are shared
    local_passages: list[Unit]


@dataclass
class Diff:
    a: Side
    b: Side
    sections: list[SectionRows]
    matches: list[Match]
    threshold: float

    @property
    def shared(self) -> float:
        """Shared share of both speeches' characters together."""
        total = _chars(self.a.units) + _chars(self.b.units)
        return (self.a.shared * _chars(self.a.units) + self.b.shared * _chars(self.b.units)) / total if total else 1.0


def _chars(units: list[Unit]) -> int:
    return sum(len(u.text) for u in units)


def _shared_chars(unit: Unit, pieces: list[Piece] | None) -> int:
    return sum(p.end - p.start for p in pieces or [] if p.kind in ("same", "fill"))


def _share(units: list[Unit], pieces: dict[int, list[Piece]], indices=None) -> float:
    chosen = units if indices is None else [units[i] for i in indices]
    total = _chars(chosen)
    return sum(_shared_chars(u, pieces.get(u.index)) for u in chosen) / total if total else 0.0


def diff(a: Speech, b: Speech, threshold: float = DEFAULT_THRESHOLD) -> Diff:
    """Align speech ``b`` to speech ``a``."""
    units_a, units_b = units_of(a), units_of(b)
    sim = similarity_matrix(units_a, units_b)
    pairs = align_sections(a.sections, b.sections, units_a, units_b, sim, threshold)
    matches = match_sentences(a, units_a, units_b, sim, pairs, threshold)
    pieces_a: dict[int, list[Piece]] = {m.a: m.pieces_a for m in matches}
    pieces_b: dict[int, list[Piece]] = {m.b: m.pieces_b for m in matches}
    clauses_a, clauses_b = shared_clauses(units_a, units_b, set(pieces_a), set(pieces_b))
    pieces_a.update(_fill_local(units_a, clauses_a))
    pieces_b.update(_fill_local(units_b, clauses_b))
    for units, pieces in ((units_a, pieces_a), (units_b, pieces_b)):
        for u in units:
            pieces.setdefault(u.index, [Piece(u.start, u.end, "local")])
    side_a = Side(a, units_a, pieces_a, _share(units_a, pieces_a), local_passages(a, units_a, pieces_a))
    side_b = Side(b, units_b, pieces_b, _share(units_b, pieces_b), local_passages(b, units_b, pieces_b))
    sections = section_rows(pairs, units_a, units_b, matches, pieces_a, pieces_b)
    return Diff(side_a, side_b, sections, matches, threshold)


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
    out = []
    for pair in walk_pairs(pairs):
        own_a = [u.index for u in units_a if pair.a is not None and u.section is pair.a]
        own_b = [u.index for u in units_b if pair.b is not None and u.section is pair.b]
        in_b = set(own_b)
        rows: list[Row] = []
        emitted_b: set[int] = set()
        queue_b = list(own_b)

        def flush_b(until: int | None):
            while queue_b and (until is None or queue_b[0] <= until):
                j = queue_b.pop(0)
                if j in emitted_b:
                    continue
                emitted_b.add(j)
                m = partner_of_b.get(j)
                status = "moved" if m else "only_b"
                if units_b[j].heading:
                    status = "heading"
                rows.append(Row(None, j, status, m.similarity if m else 0.0))

        for i in own_a:
            m = partner_of_a.get(i)
            if units_a[i].heading and own_b and units_b[own_b[0]].heading:
                j = own_b[0]
                flush_b(j - 1)
                emitted_b.add(j)
                rows.append(Row(i, j, "heading", m.similarity if m and m.b == j else 0.0))
                continue
            if m and m.b in in_b and m.b not in emitted_b:
                flush_b(m.b - 1)
                emitted_b.add(m.b)
                rows.append(Row(i, m.b, m.status if m.status != "moved" else "edited", m.similarity))
            else:
                rows.append(Row(i, None, "moved" if m else "only_a", m.similarity if m else 0.0))
        flush_b(None)
        out.append(
            SectionRows(
                pair,
                _label(pair.a, units_a),
                _label(pair.b, units_b),
                rows,
                _share(units_a, pieces_a, own_a) if own_a else 0.0,
                _share(units_b, pieces_b, own_b) if own_b else 0.0,
            )
        )
    return out


def _label(section: Section | None, units: list[Unit]) -> str:
    if section is None:
        return ""
    for u in units:
        if u.section is section:
            return u.path or "开场"
    return section.label


# ---------------------------------------------------------------- local content


_SPECIFIC = re.compile(r"\d|[亿万]元|公里|项目|工程|[县区镇村市]|医院|学校|公司|集团|高速|铁路|机场")


def local_passages(speech: Speech, units: list[Unit], pieces: dict[int, list[Piece]], n: int = 5) -> list[Unit]:
    """The sentences most specific to this speech: mostly local characters,
    rich in figures and named places and projects."""
    scored = []
    for u in units:
        if u.heading:
            continue
        local = sum(p.end - p.start for p in pieces.get(u.index, []) if p.kind in ("local", "edit"))
        if local < 15:
            continue
        specific = len(_SPECIFIC.findall(u.text))
        scored.append((local * (1 + min(specific, 10) / 3), u))
    scored.sort(key=lambda x: -x[0])
    return sorted((u for _, u in scored[:n]), key=lambda u: u.start)
