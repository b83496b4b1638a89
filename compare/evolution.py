"""A series of speeches over the years, and how it evolved.

A corpus often holds one body's speeches of many years: a city's work
reports 2006-2026, a county's, one official's speeches. ``find_series``
groups the dated speeches of a corpus into such series; ``evolve`` follows
one series year by year: which top-level (and second-level) sections
persisted, appeared, returned or disappeared, and how each speech's text
divides under the boilerplate rule (the corpus' own four shares).

Series are found from structure, never from a document's words:

- the *title pattern*: the title's key (``textkey.key``: punctuation out,
  every number a slot), with the year slot dropped wherever it stands, so
  ``2021年保定市政府工作报告``, ``保定市政府工作报告`` and a later
  ``2025年保定市政府工作报告`` share ``保定市政府工作报告``, and
  ``河北省2003年…`` meets ``2023年河北省…``;
- the *speaker*: one mayor's reports of several years.

Two speeches sharing either belong to one series (union-find, so a speaker
carries a series across a change of title, and a title across a change of
mayor). A title says nothing of the body when it is the genre's bare name:
``政府工作报告`` is part of the titles of several different bodies, and
speeches with such a title but of different bodies stand in the same year;
such a title joins nothing. Sections are followed through the pair diff's
section alignment (``align.section_pairs``), so a renumbered or reworded
heading still persists.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from . import track
from .model import Section, Speech, packed, unpacked
from .textkey import NUMBER, SLOT, key

# A series needs two dated speeches (one per family of copies): two years
# already say what persisted, appeared and disappeared. The share chart is
# stacked bars, one per speech, which compare as well at two as at twenty
# (a line chart would need three points to show a trend; bars do not).
MIN_SERIES = 2
# A title pattern (or speaker name) shorter than this names nothing.
MIN_NAME = 2
# Section depths followed: top level and the level below it.
MAX_LEVEL = 2
# A section missing one year is looked for again in the next speeches: each
# speech is also paired with up to this many speeches before its predecessor
# (only when some of its sections found no partner there and some earlier
# section is waiting), so a section dropped for a year and restored the next
# continues its row instead of opening a new one.
LOOKBACK = 2

STATUSES = ("present", "persisted", "appeared", "returned", "disappeared", "absent")


# ---------------------------------------------------------------- finding series


def speech_date(speech: Speech) -> tuple[int, ...] | None:
    """(year, month, day) of a speech as ``track --order date`` sorts it:
    its date line, else the year its title names (``2024年保定市政府工作报告``
    read without its date line); None when it has neither."""
    return track.dated(speech)


def title_pattern(title: str) -> str:
    """The title as a series names itself: its key (numbers slotted), the
    year slot dropped wherever it stands (``Ⓧ年``: a year moves around in
    titles, 河北省2003年… / 2023年河北省…), other slots (届次) kept."""
    return key(title).replace(SLOT + "年", "")


def display_pattern(title: str) -> str:
    """A title with its figures as XX, for showing what a series' titles share."""
    return NUMBER.sub("XX", title)


@dataclass
class Series:
    """Dated speeches of one body or one speaker, oldest first."""

    speeches: list[int]  # indices into the corpus' speeches, in date order, one per family of copies
    dates: list[tuple[int, ...]]  # speech_date of each
    pattern: str  # the most common title among them, figures as XX ('' when none has a title)
    speakers: list[str]  # distinct speakers, in order of first speech
    by: list[str]  # what joined them: "title", "speaker"
    copies: list[int] = field(default_factory=list)  # near-duplicates of members, left out of the evolution

    @property
    def years(self) -> list[int]:
        return [d[0] for d in self.dates]

    def __repr__(self) -> str:
        span = f"{self.years[0]}-{self.years[-1]}" if self.dates else ""
        return f"<Series {self.pattern or '/'.join(self.speakers)!r} {len(self.speeches)} speeches {span}>"


class _Union:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]  # path halving
            i = self.parent[i]
        return i

    def join(self, members: list[int]) -> None:
        for m in members[1:]:
            a, b = self.find(members[0]), self.find(m)
            if a != b:
                self.parent[max(a, b)] = min(a, b)


def _generic_titles(candidates: set[str], patterns: set[str]) -> set[str]:
    """The ``candidates`` that are the genre's bare name: part of two or
    more other ``patterns`` that do not contain one another (``政府工作报告``
    inside ``保定市政府工作报告`` and ``安国市政府工作报告``). Only the shortest
    containers count, so ``保定市政府工作报告`` inside ``保定市政府工作报告摘登``
    alone stays a series' title. (Candidates: the patterns two speeches
    share, the only ones that could join anything.)

    Each pattern's substrings of the candidates' lengths are looked up in
    the candidates, and each container's in the containers (``_held``),
    where testing every candidate against every pattern (and every
    container against every other) grew with the square of a corpus'
    titles (4.1 s of the driver at 30,000 generated speeches, 0.014 s
    now); a long pattern, whose substrings would cost more, is tested
    against each candidate as before."""
    containers: dict[str, list[str]] = defaultdict(list)
    lengths = {len(c) for c in candidates}
    for q in patterns:
        for p in _held(q, candidates, lengths):
            containers[p].append(q)
    generic = set()
    for p, held in containers.items():
        inside = set(held)
        sizes = {len(r) for r in inside}
        # the shortest containers: those holding no other container (every
        # container holds p, so one holding another is only longer)
        shortest = 0
        for q in held:
            if not _held(q, inside, sizes):
                shortest += 1
                if shortest >= 2:
                    generic.add(p)
                    break
    return generic


def _held(q: str, among: set[str], lengths: set[int]) -> set[str]:
    """The strings of ``among`` (whose lengths are ``lengths``) that are
    part of ``q`` and are not ``q`` itself (so shorter than it): by looking
    up q's substrings of those lengths, or, when slicing them would read
    more characters than testing each string of ``among`` against q (a
    paragraph-long title), by that test."""
    shorter = [n for n in lengths if n < len(q)]
    if sum((len(q) - n + 1) * n for n in shorter) > len(among) * len(q):
        return {p for p in among if len(p) < len(q) and p in q}
    return {q[i : i + n] for n in shorter for i in range(len(q) - n + 1) if q[i : i + n] in among}


def find_series(speeches: list[Speech], family: list[int] | None = None, min_size: int = MIN_SERIES) -> list[Series]:
    """The series among ``speeches``: dated speeches sharing a title pattern
    or a speaker, joined transitively; each with at least ``min_size``
    speeches once copies (same ``family``, e.g. ``corpus`` near-duplicate
    families) count once. Undated speeches (no date line, no year in the
    title) belong to none. Largest series first, then oldest."""
    family = family if family is not None else list(range(len(speeches)))
    dates = [speech_date(s) for s in speeches]
    patterns = [title_pattern(s.title) if s.title else "" for s in speeches]
    named = Counter(p for p, d in zip(patterns, dates) if len(p) >= MIN_NAME and d is not None)
    generic = _generic_titles({p for p, n in named.items() if n >= 2}, {p for p in patterns if len(p) >= MIN_NAME})
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(speeches):
        if dates[i] is None:
            continue
        if len(patterns[i]) >= MIN_NAME and patterns[i] not in generic:
            groups["title", patterns[i]].append(i)
        speaker = key(s.speaker)
        if len(speaker) >= MIN_NAME:
            groups["speaker", speaker].append(i)
    union = _Union(len(speeches))
    joined_by: dict[int, set[str]] = defaultdict(set)
    for (kind, _), members in groups.items():
        if len({family[i] for i in members}) < 2:
            continue
        if kind == "title":
            # a yearly title shared by two different speeches of one year
            # names a genre several bodies use, not one body's series
            years = defaultdict(set)
            for i in members:
                years[dates[i][0]].add(family[i])
            if any(len(f) > 1 for f in years.values()):
                continue
        union.join(members)
        for i in members:
            joined_by[i].add(kind)
    components: dict[int, list[int]] = defaultdict(list)
    for i in joined_by:
        components[union.find(i)].append(i)
    out = []
    for members in components.values():
        members.sort(key=lambda i: (dates[i], i))
        kept, copies, seen = [], [], set()
        for i in members:
            (copies if family[i] in seen else kept).append(i)
            seen.add(family[i])
        if len(kept) < min_size:
            continue
        titles = Counter(display_pattern(speeches[i].title) for i in kept if speeches[i].title)
        # the most common title; a tie goes to the latest speech's
        latest = {display_pattern(speeches[i].title): n for n, i in enumerate(kept) if speeches[i].title}
        pattern = max(titles, key=lambda t: (titles[t], latest[t])) if titles else ""
        speakers = list(dict.fromkeys(speeches[i].speaker.replace(" ", "") for i in kept if speeches[i].speaker.strip()))
        by = sorted({k for i in members for k in joined_by[i]}, key=("title", "speaker").index)
        out.append(Series(kept, [dates[i] for i in kept], pattern, speakers, by, copies))
    out.sort(key=lambda s: (-len(s.speeches), s.dates[0], s.speeches[0]))
    return out


# ---------------------------------------------------------------- following the sections


@dataclass
class Presence:
    """One section row in one speech of the series."""

    status: str  # present (first speech), persisted, appeared, returned, disappeared, absent
    section: Section | None = None  # its reading in this speech

    @property
    def heading(self) -> str:
        return self.section.heading if self.section is not None else ""

    @property
    def label(self) -> str:
        return self.section.label if self.section is not None else ""


@dataclass
class SectionRow:
    """One section followed through the series: a cell per speech."""

    level: int  # 1 top level, 2 the level below (as the row's first speech has it; a later one may differ)
    parent: int | None  # index of the top-level row it stands under (level 2)
    cells: list[Presence]

    @property
    def heading(self) -> str:
        """Its heading as the latest speech holding it writes it."""
        return next((c.heading for c in reversed(self.cells) if c.section is not None), "")

    @property
    def name(self) -> str:
        """What the years call it: the most common heading with its figures
        as XX (``XX年工作回顾`` for a review renamed with each year), a tie
        going to the latest."""
        seen = [display_pattern(c.heading) for c in self.cells if c.section is not None]
        counts = Counter(seen)
        return max(reversed(seen), key=lambda h: counts[h]) if seen else ""

    @property
    def first(self) -> int:
        return next(i for i, c in enumerate(self.cells) if c.section is not None)


@dataclass
class Evolution:
    """A series followed year by year: the four boilerplate shares of each
    speech and the presence of each section."""

    series: Series
    speeches: list[Speech]  # the members, oldest first
    shares: list[dict[str, float]]  # per speech: boilerplate / edited / fill / local (the corpus rule's)
    rows: list[SectionRow]

    def counts(self, level: int = 1) -> list[dict[str, int]]:
        """Per speech, how many rows of ``level`` have each status."""
        out = []
        for i in range(len(self.speeches)):
            c = Counter(r.cells[i].status for r in self.rows if r.level == level)
            out.append({s: c.get(s, 0) for s in STATUSES})
        return out

    def __repr__(self) -> str:
        top = sum(r.level == 1 for r in self.rows)
        return f"<Evolution {self.series!r}: {top} top-level sections, {len(self.rows) - top} below>"


def _followed(speech: Speech) -> list[tuple[Section, Section | None]]:
    """(section, its top-level parent or None) for the followed depths, in document order."""
    out = []
    for top in speech.sections:
        if top.level != 1:
            continue
        out.append((top, None))
        if MAX_LEVEL >= 2:
            out.extend((child, top) for child in top.children if child.level == 2)
    return out


def _has_followed_depth(speech: Speech) -> bool:
    """Whether the speech has a section at a depth the evolution follows."""
    return any(1 <= sec.level <= MAX_LEVEL for sec in speech.walk())


def _pairs(a: Speech, b: Speech) -> list[tuple[Section, Section]]:
    """(section of a, section of b) the section alignment pairs at the
    followed depths, across depths too: a year that publishes only its work
    plan makes last year's second-level items its top level."""
    from .align import section_pairs, walk_pairs

    if not (_has_followed_depth(a) and _has_followed_depth(b)):
        return []  # no pair could have both sides at a followed depth (a speech of a large corpus keeps no outline)
    return [(p.a, p.b) for p in walk_pairs(section_pairs(a, b))
            if p.a is not None and p.b is not None and 1 <= p.a.level <= MAX_LEVEL and 1 <= p.b.level <= MAX_LEVEL]


def evolve(series: Series, speeches: list[Speech], shares: list[dict[str, float]] | None = None,
           pairs=_pairs) -> Evolution:
    """Follow ``series`` (indices into ``speeches``) speech by speech.
    ``shares``: per corpus speech, the boilerplate rule's four shares
    (``corpus.SpeechReport.shares``). ``pairs(a, b)``: the section pairing
    (the pair diff's section alignment by default)."""
    members = [speeches[i] for i in series.speeches]
    n = len(members)
    # rows as they grow: readings[r] maps speech position -> section
    readings: list[dict[int, Section]] = []
    levels: list[int] = []
    parents: list[int | None] = []
    top_order: list[int] = []  # top-level rows in outline order
    child_order: dict[int, list[int]] = defaultdict(list)  # top row -> its rows below, in order
    row_at: list[dict[int, int]] = []  # per speech position: id(section) -> row
    for i, speech in enumerate(members):
        followed = _followed(speech)
        mine: dict[int, int] = {}  # id(section of this speech) -> row
        if i > 0:
            for a, b in pairs(members[i - 1], speech):
                if id(a) in row_at[i - 1] and id(b) not in mine:
                    mine[id(b)] = row_at[i - 1][id(a)]
            # look further back for sections missing from the previous speech
            for j in range(i - 2, max(-1, i - 2 - LOOKBACK), -1):
                taken = set(mine.values())
                # rows last read in speech j (so missing since), not yet continued here
                waiting = {id(sec_of[j]): r for r, sec_of in enumerate(readings) if r not in taken and max(sec_of) == j}
                if not waiting or all(id(sec) in mine for sec, _ in followed):
                    continue
                for a, b in pairs(members[j], speech):
                    if id(a) in waiting and id(b) not in mine and waiting[id(a)] not in taken:
                        mine[id(b)] = waiting[id(a)]
                        taken.add(waiting[id(a)])
        previous_row: dict[int | None, int] = {}  # last row placed under each parent row (None: top level)
        for k, (sec, top) in enumerate(followed):
            parent_row = None if top is None else mine[id(top)]
            if parent_row is not None and levels[parent_row] != 1:
                # the top-level section continues a second-level row: its own
                # new subsections stand beside that row, under its top-level row
                parent_row = parents[parent_row]
            if id(sec) in mine:
                r = mine[id(sec)]
            else:
                r = len(readings)
                readings.append({})
                levels.append(sec.level)
                parents.append(parent_row)
                order = top_order if parent_row is None else child_order[parent_row]
                # a new row goes right after the row of the section before it
                # in this speech; when it opens its level, right before the
                # row of the next section continued from earlier speeches;
                # else (a wholly new outline) after the rows there are
                after = previous_row.get(parent_row)
                later = next((mine[id(s)] for s, t in followed[k + 1:] if t is top and id(s) in mine and mine[id(s)] in order), None)
                if after in order:
                    order.insert(order.index(after) + 1, r)
                elif later is not None:
                    order.insert(order.index(later), r)
                else:
                    order.append(r)
                mine[id(sec)] = r
            readings[r][i] = sec
            previous_row[parent_row] = r
        row_at.append(mine)
    rows_in_order = [r for top in top_order for r in (top, *child_order[top])]
    # rows under a top-level row that never had one of its own in order (a
    # second-level row whose parent row is elsewhere) cannot occur: every
    # level-2 row is created under the row of its parent section
    index = {r: k for k, r in enumerate(rows_in_order)}
    rows = []
    for r in rows_in_order:
        cells = []
        for i in range(n):
            sec = readings[r].get(i)
            if sec is not None:
                status = "present" if i == 0 else "persisted" if i - 1 in readings[r] else \
                    "returned" if any(j < i for j in readings[r]) else "appeared"
            else:
                status = "disappeared" if i - 1 in readings[r] else "absent"
            cells.append(Presence(status, sec))
        rows.append(SectionRow(levels[r], index[parents[r]] if parents[r] is not None else None, cells))
    four = [dict(shares[i] if shares is not None and shares[i] else dict.fromkeys(("boilerplate", "edited", "fill", "local"), 0.0))
            for i in series.speeches]
    return Evolution(series, members, four, rows)


def of_corpus(c, min_size: int = MIN_SERIES, engine=None) -> list[Evolution]:
    """Every series of a compared corpus (``corpus.Corpus``), evolved, with
    each speech's four shares as the corpus report computed them; with an
    ``engine`` (compare.engine.Engine) the series are tasks, a few series
    each, dealt largest first (the section pairing of consecutive speeches, ~10 ms a
    pair, is most of a report's time after the comparison itself)."""
    reports = c.speeches
    speeches = [r.speech for r in reports]
    if any(s is None for s in speeches):
        return []  # a corpus compared without keeping its texts (too large) has no outlines to follow
    family = [r.family for r in reports]
    shares = [r.shares for r in reports]
    found = find_series(speeches, family, min_size)
    if engine is None or engine.in_process(len(found)):  # (one series, or one process: nothing to deal)
        return [evolve(s, speeches, shares) for s in found]
    # a task carries its series' speeches only (by corpus index: evolve
    # reads speeches[i] and shares[i] for the series' members), and several
    # series, about four tasks for each process: 10,000 generated
    # speeches make 1,741 series of a few milliseconds each, and one task
    # each cost more than their work (4.2 s)
    # Series are dealt to the tasks largest first, each to the task with
    # the least text so far (a series' cost is its speeches' pairing, about
    # their length): the development corpus' nine series (12, 10, 6, 6, 3
    # and four of 2 speeches) in runs of two made one task of 22 speeches
    # that the other process waited for.
    cost = [sum(len(speeches[i].text) for i in s.speeches) for s in found]
    bins = min(len(found), 4 * engine.slots())
    dealt: list[list[int]] = [[] for _ in range(bins)]
    lightest = [(0, b) for b in range(bins)]  # (text so far, task): a heap
    for k in sorted(range(len(found)), key=lambda k: -cost[k]):
        load, b = heapq.heappop(lightest)
        dealt[b].append(k)
        heapq.heappush(lightest, (load + cost[k], b))
    dealt = [ks for ks in dealt if ks]
    # the speeches go packed (model.packed: a third of their objects'
    # pickle), and each evolution comes back as its rows' statuses and
    # sections by place, rebuilt here on the speeches this process has
    # (the development corpus' 45 speeches in series: 4.4 MB of pickle
    # each way, ~0.1 s of the stage's 0.35 s)
    tasks = [[(found[k], {i: packed(speeches[i]) for i in found[k].speeches}, {i: shares[i] for i in found[k].speeches})
              for k in ks] for ks in dealt]
    evolved: list = [None] * len(found)
    for ks, done in zip(dealt, engine.map(_evolve_tasks, tasks, "series")):
        for k, (four, rows) in zip(ks, done):
            members = [speeches[i] for i in found[k].speeches]
            walks = [list(m.walk()) for m in members]
            evolved[k] = Evolution(found[k], members, four, [
                SectionRow(level, parent, [Presence(status, walks[j][at] if at >= 0 else None)
                                           for j, (status, at) in enumerate(cells)])
                for level, parent, cells in rows])
    return evolved


def _evolve_tasks(tasks: list) -> list[tuple]:
    """A series task: each series evolved, as (its four shares, its rows
    as (level, parent, [(status, the section's place in its speech's
    walk, or -1)]))."""
    out = []
    for series, speeches, shares in tasks:
        e = evolve(series, {i: unpacked(p) for i, p in speeches.items()}, shares)
        places = [{id(sec): at for at, sec in enumerate(m.walk())} for m in e.speeches]
        out.append((e.shares, [(r.level, r.parent, [(c.status, -1 if c.section is None else places[j][id(c.section)])
                                                    for j, c in enumerate(r.cells)]) for r in e.rows]))
    return out
