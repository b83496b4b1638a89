"""One passage across many speeches: a variant table (a row per aligned
sentence, a column per speech), the changes of each speech against the one
before it, and the figures that changed.

The passage is found in each speech (a section by heading text or outline
path, the opening, or a phrase), then its sentences are collated
progressively: witness ``i`` is aligned, in order, against the rows built
from witnesses ``0..i-1`` (each row represented by its latest reading), so a
sentence dropped one year and restored the next returns to its row. Each
cell is compared with the previous witness's reading of its row.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from . import numbers, textkey
from .align import Piece, Unit, char_diff, units_of
from .model import Section, Speech, SpeechdiffError
from .textkey import comparable, key

# Two sentences are readings of one row when at least this similar
# (placeholder-aware character similarity, 0..1). Lower than the pair
# diff's threshold: a row follows a sentence through years of rewording,
# and the alignment is also held in order, which rules out chance matches.
ROW_SIMILARITY = 0.45
# A heading names the passage when at least this similar to the query (or
# to the previous witness's heading).
HEADING_SIMILARITY = 0.6
OPENING = ("开场", "opening", "0")
STATUSES = ("first", "same", "edited", "filled", "added", "absent", "none")


@dataclass
class Witness:
    speech: Speech
    units: list[Unit]  # the passage's sentences (headings left out), in order
    section: Section | None = None
    found_by: str = ""  # heading, path, opening, content, phrase; "" when absent
    score: float = 0.0

    @property
    def found(self) -> bool:
        return bool(self.units)

    @property
    def label(self) -> str:
        s = self.speech
        return " ".join(x for x in (s.date, s.title) if x) or s.source


@dataclass
class Cell:
    unit: Unit | None
    status: str  # first (the first witness's own reading), same, edited, filled (only template slots differ),
    # added, absent (dropped), none (never had); each against the witness before
    pieces: list[Piece] = field(default_factory=list)  # this reading's runs against its base
    base: int | None = None  # the witness it was compared with
    majority: bool = False  # this reading is the row's majority reading

    @property
    def text(self) -> str:
        return self.unit.text if self.unit else ""


@dataclass
class Row:
    cells: list[Cell]
    majority: str  # the most common reading (text)
    support: int  # how many witnesses read it


@dataclass
class Change:
    """One speech against the witness before it."""

    same: int = 0
    edited: int = 0
    filled: int = 0
    added: int = 0
    dropped: int = 0


@dataclass
class Track:
    query: str
    witnesses: list[Witness]
    rows: list[Row]
    changes: list[Change]

    def __repr__(self) -> str:
        found = sum(w.found for w in self.witnesses)
        return f"<Track {self.query!r}: {len(self.rows)} rows x {len(self.witnesses)} speeches ({found} found)>"


# ---------------------------------------------------------------- finding the passage


def _sections(speech: Speech):
    for sec in speech.walk():
        yield sec


def _path(speech: Speech, sec: Section) -> str:
    chain = speech.path_of(sec.span[0])
    return " > ".join(s.label for s in chain)


def _passage_units(speech: Speech, sec: Section) -> list[Unit]:
    lo, hi = sec.span
    return [u for u in units_of(speech) if lo <= u.start < hi and not u.heading]


def _heading_score(query: str, heading: str) -> float:
    if not query or not heading:
        return 0.0
    q, h = comparable(query), comparable(heading)
    # the query may be part of a long heading ("科教兴国" in "深入实施科教兴国战略")
    return max(fuzz.ratio(q, h), fuzz.partial_ratio(q, h) if len(q) >= 4 else 0) / 100


def _content_score(units: list[Unit], reference: list[Unit]) -> float:
    """How much two passages are one: the harmonic mean of the share of the
    reference's sentences with a partner here and the share of these with a
    partner there (so a parent section holding the passage and much more
    scores below the passage itself)."""
    if not units or not reference:
        return 0.0
    sim = process.cdist([comparable(u.text) for u in reference], [comparable(u.text) for u in units],
                        scorer=fuzz.ratio, dtype=np.uint8, workers=1) >= ROW_SIMILARITY * 100
    recall, precision = float(sim.any(axis=1).mean()), float(sim.any(axis=0).mean())
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


_PATH = re.compile(r"^\s*[\w（）()]+(\s*>\s*[\w（）()]+)*\s*$")


def find_section(speech: Speech, query: str, previous: Witness | None = None) -> Witness:
    """The passage of ``speech`` that ``query`` names: ``开场``/``opening``
    (text before the first heading), an outline path (``二 > （三）``), or
    heading text. With ``previous`` (the passage in the witness before),
    a renumbered or reworded heading is found by its heading and content."""
    query = query.strip()
    if query.lower() in OPENING:
        opening = next((s for s in speech.sections if s.level == 0), None)
        return Witness(speech, _passage_units(speech, opening), opening, "opening", 1.0) if opening else Witness(speech, [])
    if _PATH.match(query) and ">" in query or re.fullmatch(r"[（(]?[一二三四五六七八九十\d]+[）)]?", query):
        wanted = [p.strip() for p in query.split(">")]
        for sec in _sections(speech):
            if sec.level and [s.label for s in speech.path_of(sec.span[0])] == wanted:
                if previous is None or previous.section is None or _heading_score(previous.section.heading, sec.heading) >= HEADING_SIMILARITY:
                    return Witness(speech, _passage_units(speech, sec), sec, "path", 1.0)
        if previous is None or previous.section is None:
            return Witness(speech, [])
        query = previous.section.heading  # renumbered: follow the heading instead
    best, best_score, how = None, 0.0, ""
    for sec in _sections(speech):
        if not sec.level:
            continue
        score = _heading_score(query, sec.heading)
        found_by = "heading"
        if previous is not None and previous.found:
            if previous.section is not None:
                score = max(score, _heading_score(previous.section.heading, sec.heading))
            content = _content_score(_passage_units(speech, sec), previous.units)
            # independent evidence, combined as a noisy-or (as align does for sections)
            combined = 1 - (1 - score) * (1 - content)
            if content > score:
                found_by = "content"
            score = combined
        if score > best_score:
            best, best_score, how = sec, score, found_by
    if best is None or best_score < HEADING_SIMILARITY:
        return Witness(speech, [])
    return Witness(speech, _passage_units(speech, best), best, how, best_score)


def find_phrase(speech: Speech, phrase: str) -> Witness:
    """The sentence of ``speech`` holding ``phrase`` by the key rule
    (punctuation, numbers and placeholders do not matter), else the most
    similar sentence if it is at least ROW_SIMILARITY similar."""
    wanted = key(phrase)
    if len(wanted) < 2:
        raise SpeechdiffError(f"--phrase {phrase!r}: too short to look for")
    units = [u for u in units_of(speech) if not u.heading]
    for u in units:
        if wanted in key(u.text):
            return Witness(speech, [u], None, "phrase", 1.0)
    if not units:
        return Witness(speech, [])
    scores = process.extract(comparable(phrase), [comparable(u.text) for u in units], scorer=fuzz.partial_ratio, limit=1)
    if scores and scores[0][1] / 100 >= max(ROW_SIMILARITY, 0.75):
        return Witness(speech, [units[scores[0][2]]], None, "phrase", scores[0][1] / 100)
    return Witness(speech, [])


# ---------------------------------------------------------------- collation


def _similarity(a: str, b: str) -> np.ndarray:
    return fuzz.ratio(comparable(a), comparable(b)) / 100


def _align_in_order(readings: list[str], texts: list[str]) -> list[int | None]:
    """For each unit, the row it joins (or None), keeping both in order:
    the maximum-weight monotone matching (Needleman-Wunsch with free gaps,
    weight = similarity) between the rows' latest readings and the units.
    Invariant of the table ``best[i][j]``: the heaviest matching of the
    first ``i`` rows with the first ``j`` units."""
    n, m = len(readings), len(texts)
    if not n or not m:
        return [None] * m
    # (comparable forms; pairs below the floor are scored 0 without finishing)
    sim = process.cdist(readings, texts, scorer=fuzz.ratio, score_cutoff=ROW_SIMILARITY * 100,
                        dtype=np.float32, workers=-1) / 100
    weight = np.where(sim >= ROW_SIMILARITY, sim, 0.0)
    best = np.zeros((n + 1, m + 1))
    for i in range(1, n + 1):
        row, prev = best[i], best[i - 1]
        w = weight[i - 1]
        # best[i][j] = max(best[i-1][j], best[i][j-1], best[i-1][j-1] + w[j-1]) where w > 0
        diag = np.where(w > 0, prev[:-1] + w, 0.0)
        candidate = np.maximum(prev[1:], diag)
        # the left-to-right dependency (best[i][j-1]) is a running maximum
        row[1:] = np.maximum.accumulate(np.maximum(candidate, 0.0))
    # trace back
    out: list[int | None] = [None] * m
    i, j = n, m
    while i > 0 and j > 0:
        if best[i][j] == best[i - 1][j]:
            i -= 1
        elif best[i][j] == best[i][j - 1]:
            j -= 1
        else:
            out[j - 1] = i - 1
            i -= 1
            j -= 1
    return out


def collate(witnesses: list[Witness], query: str = "") -> Track:
    """Align the passages' sentences across witnesses (in the order given)."""
    # rows[r][w]: index into witness w's units of row r's reading, or None
    rows: list[list[int | None]] = []
    latest: list[str] = []  # each row's most recent reading (comparable form), what the next witness aligns with
    for w_index, witness in enumerate(witnesses):
        texts = [comparable(u.text) for u in witness.units]
        placement = _align_in_order(latest, texts) if witness.found else []
        # merge: existing rows stay in order; a placed unit fills its row; an
        # unplaced unit opens a new row right after the previous unit's row
        merged: list[list[int | None]] = []
        merged_latest: list[str] = []
        next_row = 0

        def take_until(stop: int) -> None:
            nonlocal next_row
            while next_row < stop:
                merged.append(rows[next_row] + [None])
                merged_latest.append(latest[next_row])
                next_row += 1

        for u_index, row in enumerate(placement):
            text = texts[u_index]
            if row is None:
                merged.append([None] * w_index + [u_index])
            else:
                take_until(row)
                merged.append(rows[row] + [u_index])
                next_row = row + 1
            merged_latest.append(text)
        take_until(len(rows))
        rows, latest = merged, merged_latest
    return _cells(witnesses, rows, query, len(witnesses))


def _cells(witnesses: list[Witness], rows: list[list[int | None]], query: str, k: int) -> Track:
    table: list[Row] = []
    changes = [Change() for _ in witnesses]
    keys = [textkey.keys([u.text for u in w.units]) for w in witnesses]
    bases = [_previous_found(witnesses, w) for w in range(len(witnesses))]
    for r in rows:
        counts = Counter(keys[w][u] for w, u in enumerate(r) if u is not None)
        majority_key, support = counts.most_common(1)[0] if counts else ("", 0)
        majority_text = next((witnesses[w].units[u].text for w, u in enumerate(r) if u is not None and keys[w][u] == majority_key), "")
        cells = []
        for w, u in enumerate(r):
            unit = witnesses[w].units[u] if u is not None else None
            base = bases[w]
            base_unit = witnesses[base].units[r[base]] if base is not None and r[base] is not None else None
            if unit is None:
                status = "absent" if base_unit is not None and witnesses[w].found else "none"
                if status == "absent":
                    changes[w].dropped += 1
                cells.append(Cell(None, status, [], base))
                continue
            is_majority = support > 1 and keys[w][u] == majority_key
            if base is None:
                # the first witness has no witness before it: against the
                # majority reading when there is one it does not read, else
                # it is the row's first reading
                if support > 1 and not is_majority:
                    status, pieces = _compare(majority_text, unit)
                else:
                    status, pieces = "first", [Piece(unit.start, unit.end, "same")]
                cells.append(Cell(unit, status, pieces, None, is_majority))
                continue
            if base_unit is None:
                changes[w].added += 1
                cells.append(Cell(unit, "added", [Piece(unit.start, unit.end, "local")], base, is_majority))
                continue
            status, pieces = _compare(base_unit.text, unit)
            setattr(changes[w], status, getattr(changes[w], status) + 1)
            cells.append(Cell(unit, status, pieces, base, is_majority))
        table.append(Row(cells, majority_text, support))
    return Track(query, witnesses, table, changes)


def _previous_found(witnesses: list[Witness], w: int) -> int | None:
    for i in range(w - 1, -1, -1):
        if witnesses[i].found:
            return i
    return None


def _compare(reference: str, unit: Unit) -> tuple[str, list[Piece]]:
    """Status of ``unit`` against a reading of its row, and its runs."""
    if key(reference) == key(unit.text) and comparable(reference) == comparable(unit.text):
        return "same", [Piece(unit.start, unit.end, "same")]
    base = Unit(0, reference, 0, len(reference), "", False)
    base_pieces, pieces, _ = char_diff(base, unit)
    kinds = {p.kind for p in pieces + base_pieces}  # a deletion shows only on the base's side
    if "edit" not in kinds and "fill" in kinds:
        return "filled", pieces
    if "edit" not in kinds:
        return "same", pieces  # differs only in punctuation or spacing
    return "edited", pieces


# ---------------------------------------------------------------- the entry point


def track(speeches: list[Speech], section: str | None = None, phrase: str | None = None,
          order: str = "given") -> Track:
    """Collate one passage across ``speeches``: ``section`` (heading text,
    outline path, or 开场) or ``phrase``; ``order`` "given" or "date"."""
    if (section is None) == (phrase is None):
        raise SpeechdiffError("track needs one of --section or --phrase")
    if order not in ("given", "date"):
        raise ValueError(f"order must be 'given' or 'date', got {order!r}")
    if len(speeches) < 2:
        raise SpeechdiffError(f"track compares speeches: found {len(speeches)}, need at least 2")
    if order == "date":
        speeches = sorted(speeches, key=speech_date)
    witnesses: list[Witness] = []
    for speech in speeches:
        if phrase is not None:
            witnesses.append(find_phrase(speech, phrase))
        else:
            previous = next((w for w in reversed(witnesses) if w.found), None)
            witnesses.append(find_section(speech, section, previous))
    return collate(witnesses, section if section is not None else phrase)


_DATE = re.compile(r"([\d〇○零一二三四五六七八九]{4})\s*年(?:\s*([\d一二三四五六七八九十]{1,3})\s*月)?(?:\s*([\d一二三四五六七八九十]{1,3})\s*日)?")


def speech_date(speech: Speech) -> tuple[int, ...]:
    """Sort key of a speech by date: its stated date; else the year its
    title names (a work report titled 2020年…政府工作报告 whose date line was
    lost is still the 2020 one, month and day 0 so a dated speech of that
    year sorts after it); else last (9999), in the order given (sorted is
    stable)."""
    return dated(speech) or (9999,)


def dated(speech: Speech) -> tuple[int, ...] | None:
    """(year, month, day) of a speech's date line, else of the year its
    title names (month and day 0); None when it has neither."""
    return date_key(speech.date) or date_key(speech.title)


def date_key(date: str) -> tuple[int, ...] | None:
    """(year, month, day) of a date as speeches write it (2020年3月18日,
    二〇二〇年三月十八日), for sorting; None when there is none."""
    m = _DATE.search(date or "")
    if not m:
        return None
    parts = []
    for token in m.groups():
        if token is None:
            parts.append(0)
            continue
        if token.isdigit():
            parts.append(int(token))
        else:
            value = numbers.parse_number(token.replace("〇", "零").replace("○", "零")) if len(token) > 1 and "十" in token else None
            if value is None:  # digit by digit: 二〇二〇
                digits = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
                value = int("".join(str(digits.get(c, 0)) for c in token))
            parts.append(int(value))
    return tuple(parts)


# ---------------------------------------------------------------- figures across speeches


@dataclass
class FigureRow:
    frame: str  # what the figures measure
    unit: str
    values: list[numbers.Figure | None]  # per witness, its first figure of this frame

    @property
    def support(self) -> int:
        return sum(v is not None for v in self.values)


def figure_table(witnesses: list[Witness], min_speeches: int = 2) -> list[FigureRow]:
    """Figures whose frame recurs in at least ``min_speeches`` witnesses,
    with the value in each (the passage's, or the whole speech's when the
    witness has no passage): targets across years, a template's figures
    across counties."""
    per_witness: list[dict[tuple[str, str], numbers.Figure]] = []
    for w in witnesses:
        found: dict[tuple[str, str], numbers.Figure] = {}
        units = w.units if w.found else units_of(w.speech)
        for u in units:
            for f in numbers.figures(u.text):
                if len(f.frame) < 2:
                    continue
                f.start += u.start
                f.end += u.start
                found.setdefault((f.frame, _unit_kind(f.unit)), f)
        per_witness.append(found)
    frames = Counter(k for found in per_witness for k in found)
    rows = [FigureRow(frame, unit, [found.get((frame, unit)) for found in per_witness])
            for (frame, unit), n in frames.items() if n >= min_speeches]
    order = {k: i for i, k in enumerate(dict.fromkeys(k for found in per_witness for k in found))}
    rows.sort(key=lambda r: (-r.support, order[(r.frame, r.unit)]))
    return rows


def _unit_kind(unit: str) -> str:
    """Units that compare: 万人 and 人 are both people."""
    return "%" if unit in ("%", "个百分点", "百分点") else unit
