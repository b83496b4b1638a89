"""Views: what a command shows, computed here, rendered by any format.

A view is a typed object holding finished results (alignments, TextRank
summaries, corpus figures) and the plain data JSON prints. The formats
(``compare.formats``: text, json, md, html, csv) only render a view; every
computation a page needs — the pairwise diffs of a report, the summaries on
a diff page, what is new against a corpus — is done by the builders and
methods below, so the library gives the same results without the CLI.

    >>> from compare import load, views, formats
    >>> a, b = load("samples/ankang_2020_transport_and_health.txt")
    >>> view = views.diff(a, b)
    >>> html = formats.render(view, "html")
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from collections.abc import Sequence
from typing import Callable, Iterator

from . import arrays
from .model import Section, Speech

# ---------------------------------------------------------------- helpers


def _key_sentences(items) -> list[dict]:
    return [{"text": k.text, "path": k.path, "start": k.start, "end": k.end, "score": round(k.score, 6), "rank": k.rank} for k in items]


def _keywords(items) -> list[dict]:
    return [{"word": w.word, "score": round(w.score, 6)} for w in items]


def _version() -> str:
    from . import __version__

    return __version__


def _short(items, name: str) -> str:
    return f"{len(items)} {name}{'' if len(items) == 1 else 's'}"


# ---------------------------------------------------------------- clean text


@dataclass(repr=False)
class TextView:
    """The cleaned text of one or more speeches."""

    text: str

    def data(self) -> dict:
        return {"text": self.text}

    def __repr__(self) -> str:
        return f"TextView({len(self.text)} chars)"


# ---------------------------------------------------------------- outline


def section_data(section: Section) -> dict:
    return {
        "level": section.level,
        "number": section.number,
        "marker": section.marker,
        "heading": section.heading,
        "span": list(section.span),
        "paragraphs": [
            {"start": p.start, "end": p.end, "sentences": [dataclasses.asdict(s) for s in p.sentences]}
            for p in section.paragraphs
        ],
        "children": [section_data(c) for c in section.children],
    }


@dataclass(repr=False)
class OutlineView:
    speeches: list[Speech]

    def data(self) -> list[dict]:
        return [
            {
                "source": s.source,
                "title": s.title,
                "date": s.date,
                "speaker": s.speaker,
                "chars": len(s.text),
                "sections": [section_data(sec) for sec in s.sections],
            }
            for s in self.speeches
        ]

    def __repr__(self) -> str:
        return f"OutlineView({_short(self.speeches, 'speech')})"


def outline(speeches: list[Speech]) -> OutlineView:
    return OutlineView(list(speeches))


# ---------------------------------------------------------------- a speech against a corpus database


def against_data(marking, n: int = 5, sentences: bool = True) -> dict:
    """Plain data for a speech marked against a corpus database: figures,
    nearest speeches, what is new (TextRank over its sentences the corpus
    does not hold) and, with ``sentences``, every sentence's score."""
    from . import corpus

    fp = marking.fingerprint
    labels = marking.labels
    data = {
        "source": marking.speech.source,
        "title": marking.speech.title,
        "corpus_size": marking.corpus_size,
        "share": round(marking.share, 4),
        # the boilerplate rule's four shares of the speech (they add up to 1)
        "shares": {k: round(v, 4) for k, v in labels.shares.items()},
        "nearest": [
            {"id": nb.speech.id, "source": nb.speech.source, "title": nb.speech.title, "date": nb.speech.date, "shared": round(nb.shared, 4)}
            for nb in marking.nearest if nb.shared > 0
        ],
        "whats_new": _key_sentences(corpus.new_sentences(fp, labels.labels, n)),
    }
    if sentences:
        data["sentences"] = [
            {"text": u.text, "path": u.path, "start": u.start, "end": u.end, "heading": u.heading,
             "label": label, "boilerplate": round(score, 4), "reused": label != "local", "uses": uses,
             "spans": [{"text": marking.speech.text[a:b], "kind": kind} for a, b, kind in labels.spans(fp, i)]}
            for i, (u, label, score, uses) in enumerate(zip(fp.units, labels.labels, labels.coverage, marking.uses))
        ]
    return data


@dataclass(repr=False)
class AgainstView:
    """One speech, each sentence marked as found in a corpus database or new."""

    data: dict

    def __repr__(self) -> str:
        return f"AgainstView({self.data['source']!r} against {self.data['corpus_size']} speeches, {self.data['share']:.0%} boilerplate)"


def against(conn, speech: Speech, n: int = 5) -> AgainstView:
    from . import store

    return AgainstView(against_data(store.mark(conn, speech), n))


# ---------------------------------------------------------------- summaries


@dataclass(repr=False)
class SummaryView:
    """TextRank summaries; ``against`` (one dict per summary, or None) adds
    the figures and what is new relative to a corpus database."""

    summaries: list
    against: list[dict] | None = None

    def data(self) -> list[dict]:
        from .render import to_jsonable

        items = to_jsonable(self.summaries)
        if self.against:
            items = [{**item, "against": view} for item, view in zip(items, self.against)]
        return items

    def __repr__(self) -> str:
        return f"SummaryView({_short(self.summaries, 'summary')}{', against a corpus' if self.against else ''})"


def summary(speeches: list[Speech], n: int = 5, keywords: int = 10, per_section: bool = False,
            engine: str = "fast", conn=None) -> SummaryView:
    """Summaries of ``speeches``; with a corpus database ``conn``, each
    also against it (figures and what is new, not every sentence)."""
    from . import analyze, store

    summaries = [analyze.summarize(s, n=n, keywords=keywords, per_section=per_section, engine=engine) for s in speeches]
    marked = [against_data(store.mark(conn, s), n, sentences=False) for s in speeches] if conn is not None else None
    return SummaryView(summaries, marked)


# ---------------------------------------------------------------- two speeches


@dataclass(repr=False)
class DiffView:
    """Two speeches aligned: ``data`` is the plain document JSON prints
    (render.diff_view); the pages also show each speech's TextRank summary,
    computed on first use."""

    data: dict
    speeches: tuple[Speech, Speech] | None = None
    _summaries: tuple | None = field(default=None)

    @property
    def summaries(self) -> tuple | None:
        if self._summaries is None and self.speeches is not None:
            from . import analyze

            self._summaries = tuple(analyze.summarize(s, n=3, keywords=8) for s in self.speeches)
        return self._summaries

    def __repr__(self) -> str:
        a, b = self.data["a"], self.data["b"]
        return f"DiffView({a['source']!r} ⇄ {b['source']!r}, {len(self.data['sections'])} sections, shared {a['shared']:.0%}/{b['shared']:.0%})"


def diff(a: Speech, b: Speech, threshold: float | None = None, summaries: tuple | None = None) -> DiffView:
    from . import align
    from .render import diff_view

    result = align.diff(a, b) if threshold is None else align.diff(a, b, threshold=threshold)
    return DiffView(diff_view(result), (a, b), summaries)


# ---------------------------------------------------------------- many speeches

ALL_DIFFS_LIMIT = 30  # up to this many speeches (435 pairs) a report writes every pairwise diff
DIFF_CHOICES = ("auto", "related", "all", "none")


def choose_pairs(c, diffs: str = "auto", max_diffs: int = 100) -> list[tuple[int, int]]:
    """Which pairwise diffs a report carries (0-based speech pairs): related
    (sharing at least corpus.RELATED of either speech; the ``max_diffs`` most
    similar), all, none, or auto (all for a small corpus, else related)."""
    from . import corpus

    if diffs == "auto":  # every cell of a small matrix links to its diff
        diffs = "all" if len(c.speeches) <= ALL_DIFFS_LIMIT else "related"
    if diffs == "all":
        return [(a, b) for a in range(len(c.speeches)) for b in range(a + 1, len(c.speeches))]
    if diffs == "related":
        related = itertools.takewhile(lambda p: p.shared >= corpus.RELATED, corpus.ranked_pairs(c.pairs))
        return [(p.a, p.b) for p in itertools.islice(related, max_diffs)]
    if diffs == "none":
        return []
    raise ValueError(f"diffs must be one of {DIFF_CHOICES}, not {diffs!r}")


def _short_label(speech, width: int = 18) -> str:
    """A name that fits a matrix row: a title's start, or a source's end (its #N)."""
    if speech.title:
        return speech.title if len(speech.title) <= width else speech.title[: width - 1] + "…"
    source = speech.source.replace(".txt", "")
    return source if len(source) <= width else "…" + source[-(width - 1):]


class Rows(Sequence):
    """Rows of view data made as they are read: ``fn`` of each item of
    ``source``. A report's pairs are 2.6 M rows at 30,000 speeches (~1 GB
    as dicts at once); the JSON writer streams them (render.dump_chunks),
    a page takes the first few. Reads as a list: len, index, slice,
    iteration, equality. ``columns(lo, hi)``, when given: the rows ``lo``
    to ``hi`` as (names, one list of values per name), the same values as
    ``fn`` gives row by row (the JSON writer lays out a block of rows at
    once from them: a row of dicts cost ~18 us, 47 s of the
    30,000-speech report)."""

    def __init__(self, source: Sequence, fn, columns=None):
        self.source, self.fn, self.columns = source, fn, columns

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.fn(x) for x in self.source[i]]
        return self.fn(self.source[i])

    def __iter__(self):
        return map(self.fn, self.source)

    def __eq__(self, other) -> bool:
        if isinstance(other, (Rows, list)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<Rows: {len(self)}>"


PAIR_FIELDS = ("a", "b", "jaccard", "shared_a", "shared_b", "diff")


def pair_rows(pairs, links: dict[tuple[int, int], str] | None = None) -> Rows:
    """A report's pairs, most related first (``corpus.ranked_pairs``), as
    rows: speeches numbered from 1, shares rounded to 4 places, the link
    to each pair's diff page (or None); by columns from the arrays when
    the pairs are ``corpus.Pairs``."""
    from . import corpus

    links = links or {}
    ranked = corpus.ranked_pairs(pairs)

    def row(p) -> dict:
        return dict(zip(PAIR_FIELDS, (p.a + 1, p.b + 1, round(p.jaccard, 4), round(p.shared_a, 4),
                                      round(p.shared_b, 4), links.get((p.a, p.b)))))

    def columns(lo: int, hi: int) -> tuple[tuple[str, ...], list[list]]:
        # Pair's doubles from the arrays (the same divisions), rounded as
        # Python's round rounds them (arrays.rounded)
        part = ranked.slice(lo, hi)
        a, b = part.a.tolist(), part.b.tolist()
        return PAIR_FIELDS, [[x + 1 for x in a], [x + 1 for x in b], arrays.rounded(part.jaccard(), 4),
                             arrays.rounded(part.shares(part.size_a), 4), arrays.rounded(part.shares(part.size_b), 4),
                             [links.get(k) for k in zip(a, b)] if links else [None] * len(a)]

    return Rows(ranked, row, columns if isinstance(ranked, corpus.Pairs) else None)


def report_data(c, links: dict[tuple[int, int], str] | None = None, phrases: int | None = None,
                series: list[dict] | None = None) -> dict:
    """Plain data for a corpus report (what JSON prints, what HTML shows).
    Speeches are numbered from 1; ``links`` maps 0-based pairs to the URL of
    their side-by-side diff; ``series``: ``series_data`` of each series."""
    from . import corpus

    links = links or {}
    copies = {i: group for group in c.families for i in group}
    speeches = []
    for i, r in enumerate(c.speeches, 1):
        s = r.speech
        speeches.append({
            "id": i,
            "label": _short_label(s),
            "source": s.source,
            "title": s.title,
            "date": s.date,
            "speaker": s.speaker,
            "chars": r.chars,
            "boilerplate": round(r.boilerplate, 4),
            "shares": {k: round(v, 4) for k, v in r.shares.items()},
            "near_duplicates": [j + 1 for j in copies.get(i - 1, []) if j != i - 1],
            "summary": _key_sentences(r.summary.sentences),
            "keywords": _keywords(r.summary.keywords),
            "whats_new": _key_sentences(r.new),
            "distinctive_keywords": _keywords(r.distinctive),
        })
    pairs = pair_rows(c.pairs, links)
    book = c.phrasebook if phrases is None else c.phrasebook[:phrases]
    return {
        "version": _version(),
        "settings": {"shingle": corpus.SHINGLE, "near_duplicate": corpus.NEAR_DUPLICATE, **dataclasses.asdict(c.rule)},
        "speeches": speeches,
        "pairs": pairs,
        "near_duplicate_groups": [[i + 1 for i in g] for g in c.families],
        "phrasebook": [
            {"kind": e.kind, "text": e.text, "frame": e.frame, "speeches": [i + 1 for i in e.speeches], "families": e.families,
             "variants": e.variants, "wordings": [{"text": w, "uses": n} for w, n in e.wordings],
             "occurrences": [_occurrence(c, o) for o in e.occurrences[:OCCURRENCES_SHOWN]]}
            for e in book
        ],
        "phrasebook_total": len(c.phrasebook),
        "series": series or [],
    }


# ---------------------------------------------------------------- series and their evolution

SERIES_PERSISTENT = 3  # the longest-lived top-level sections a series summary names


def series_data(ev, number: int, page: str | None = None) -> dict:
    """Plain data of one series (``evolution.Evolution``): its speeches
    (numbered from 1, as in the report), what joined them, each speech's
    four boilerplate shares, and each followed section's presence."""
    s = ev.series
    n = len(s.speeches)
    rows = []
    for r in ev.rows:
        rows.append({
            "level": r.level, "parent": r.parent, "name": r.name, "heading": r.heading,
            "present": sum(c.section is not None for c in r.cells),
            "cells": [{"status": c.status, "label": c.label if c.section.marker else "", "heading": c.heading}
                      if c.section is not None else {"status": c.status}
                      for c in r.cells],
        })
    top = sorted((k for k, r in enumerate(rows) if r["level"] == 1), key=lambda k: (-rows[k]["present"], k))
    return {
        "id": number,
        "name": s.pattern if "title" in s.by and s.pattern else "、".join(s.speakers) or s.pattern,
        "pattern": s.pattern,
        "speakers": s.speakers,
        "by": s.by,
        "speeches": [i + 1 for i in s.speeches],
        "copies": [i + 1 for i in s.copies],
        "years": s.years,
        "dates": [sp.date for sp in ev.speeches],
        "shares": [{"speech": i + 1, "year": y, **{k: round(v, 4) for k, v in sh.items()}}
                   for i, y, sh in zip(s.speeches, s.years, ev.shares)],
        "counts": ev.counts(1),
        "persistent": [{"heading": rows[k]["name"], "present": rows[k]["present"]} for k in top[:SERIES_PERSISTENT]
                       if rows[k]["present"] > 1],
        "sections": rows,
        "speech_count": n,
        "page": page,
    }


@dataclass(repr=False)
class EvolutionView:
    """One series of a report on its own page: the series' data, its
    speeches named, the way back to the report, and for each section the
    ``speechdiff track`` command that collates it across the series."""

    evolution: object
    number: int
    report: str | None = None  # URL of the report page, from the series page
    min_speeches: int = 1  # the boilerplate rule's bar the shares were computed with

    def data(self) -> dict:
        import shlex

        ev = self.evolution
        data = series_data(ev, self.number)
        files = " ".join(shlex.quote(sp.source) for sp in ev.speeches)
        for row in data["sections"]:
            row["track"] = f"speechdiff track {files} --section {shlex.quote(row['heading'])}"
        data["members"] = [{"id": i + 1, "source": sp.source, "title": sp.title, "date": sp.date, "speaker": sp.speaker, "year": y}
                           for i, sp, y in zip(ev.series.speeches, ev.speeches, ev.series.years)]
        return {"version": _version(), "series": data, "report": self.report, "min_speeches": self.min_speeches}

    def __repr__(self) -> str:
        return f"EvolutionView(#{self.number} {self.evolution!r})"


OCCURRENCES_SHOWN = 20  # keyword-in-context lines per phrasebook entry (at most corpus.CONTEXTS_KEPT: a run keeps no more)


def _occurrence(c, o) -> dict:
    """A phrasebook occurrence as a keyword-in-context line."""
    if o.context is not None:  # taken where the speech's text was at hand
        left, match, right = o.context
        return {"speech": o.speech + 1, "unit": o.unit, "start": o.start, "end": o.end, "left": left, "match": match, "right": right}
    from .corpus import _context

    left, match, right = _context(c.speeches[o.speech].speech.text, o.start, o.end)
    return {"speech": o.speech + 1, "unit": o.unit, "start": o.start, "end": o.end, "left": left, "match": match, "right": right}


@dataclass(repr=False)
class ReportView:
    """A corpus compared: the analysis, the phrasebook cut, and which
    pairwise diffs go with it. ``links`` (pair -> URL) is set by whoever
    writes the diff pages."""

    corpus: object
    phrases: int | None = None
    pairs: list[tuple[int, int]] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    series_pages: dict[int, str] = field(default_factory=dict)  # series number (from 1) -> URL of its evolution page
    _series: list | None = None

    @property
    def series(self) -> list:
        """The corpus' series of dated speeches, each followed year by year
        (``evolution.Evolution``), computed on first use."""
        if self._series is None:
            from . import evolution

            self._series = evolution.of_corpus(self.corpus)
        return self._series

    def data(self) -> dict:
        series = [series_data(ev, k, self.series_pages.get(k)) for k, ev in enumerate(self.series, 1)]
        return report_data(self.corpus, self.links, self.phrases, series)

    def evolution_views(self, report: str | None = None) -> Iterator[tuple[int, EvolutionView]]:
        """The evolution page of each series (numbered from 1)."""
        rule = getattr(self.corpus, "rule", None)
        for k, ev in enumerate(self.series, 1):
            yield k, EvolutionView(ev, k, report, rule.min_speeches if rule is not None else 1)

    def with_links(self, links: dict[tuple[int, int], str], series_pages: dict[int, str] | None = None) -> "ReportView":
        self.series  # noqa: B018 (computed once, the copy shares it)
        return dataclasses.replace(self, links=dict(links), series_pages=dict(series_pages or {}))

    def diff_views(self, progress: Callable = None) -> Iterator[tuple[tuple[int, int], DiffView]]:
        """The side-by-side diff of each chosen pair, computed one at a time."""
        from . import corpus

        progress = progress or corpus.no_progress
        for a, b in progress(self.pairs, "comparing pairs"):
            ra, rb = self.corpus.speeches[a], self.corpus.speeches[b]
            yield (a, b), diff(ra.speech, rb.speech, summaries=(ra.summary, rb.summary))

    def __repr__(self) -> str:
        c = self.corpus
        return f"ReportView({_short(c.speeches, 'speech')}, {_short(c.pairs, 'similar pair')}, {len(self.pairs)} diffs)"


def report(speeches: list[Speech], n: int = 5, phrases: int | None = 300, diffs: str = "auto", max_diffs: int = 100,
           progress: Callable = None, min_speeches: int = 1, engine=None, work_dir: str | None = None) -> ReportView:
    """Compare many speeches (corpus.analyze_corpus) and choose the pairs
    whose side-by-side diffs go with the report. ``min_speeches``: the
    boilerplate rule's bar (other independent speeches a passage recurs in);
    ``engine`` (compare.engine.Engine): where the work runs."""
    from . import boilerplate, corpus

    c = corpus.analyze_corpus(speeches, n=n, progress=progress or corpus.no_progress,
                              rule=boilerplate.Rule(min_speeches=min_speeches), engine=engine, work_dir=work_dir)
    return ReportView(c, phrases, choose_pairs(c, diffs, max_diffs))


def corpus_report(specs=(), db: str | None = None, n: int = 5, phrases: int | None = 300, diffs: str = "auto",
                  max_diffs: int = 100, min_speeches: int = 1, engine=None, work_dir: str | None = None,
                  strict: bool = False, check: Callable | None = None) -> ReportView:
    """A report over speech files (``specs``) and the speeches of a corpus
    database ``db``, read where the work runs: each partition's task reads
    its files (or its speeches' stored records) itself, so this process
    never holds the corpus. ``check(count, skipped)`` runs once the records
    are made. Pairwise diffs go with it while the speeches' texts are kept
    (``corpus.FULL_LIMIT``)."""
    from . import boilerplate, corpus, evolution, store
    from .engine import Engine

    engine = engine or Engine()
    settings = corpus.RecordSettings(n)
    with corpus.work_folder(work_dir) as work:
        tasks = []
        specs = [str(s) for s in specs]
        size = engine.partition_for(len(specs))
        groups = [specs[i : i + size] for i in range(0, len(specs), size)]
        tasks += corpus.record_tasks("files", groups, settings, work, strict=strict)
        if db is not None:
            conn = store.connect(db, create=False)
            try:
                ids = store.speech_ids(conn)
            finally:
                conn.close()
            size = engine.partition_for(len(ids))
            groups = [(str(db), ids[i : i + size]) for i in range(0, len(ids), size)]
            tasks += corpus.record_tasks("db", groups, settings, work)
        c = corpus.run(tasks, engine, work, boilerplate.Rule(min_speeches=min_speeches), n=n, check=check)
    view = ReportView(c, phrases, choose_pairs(c, diffs, max_diffs) if c.full else [])
    view._series = evolution.of_corpus(c, engine=engine)  # each series followed as a task, while the engine runs
    return view


# ---------------------------------------------------------------- one passage across many speeches


def _piece_data(speech_text: str, pieces) -> list[dict]:
    return [{"text": speech_text[p.start:p.end], "kind": p.kind} for p in pieces]


def track_data(t, figures: list | None = None) -> dict:
    """Plain data of a collation: witnesses (columns), rows (aligned
    sentences, one cell per witness), each speech's changes against the one
    before, and the figures whose frame recurs."""
    witnesses = []
    for i, w in enumerate(t.witnesses, 1):
        s = w.speech
        witnesses.append({
            "id": i, "source": s.source, "title": s.title, "date": s.date, "speaker": s.speaker,
            "found": w.found, "found_by": w.found_by, "score": round(w.score, 4),
            "section": {"path": " > ".join(x.label for x in s.path_of(w.section.span[0])), "heading": w.section.heading}
            if w.section is not None and w.section.level else None,
            "changes": dataclasses.asdict(t.changes[i - 1]),
        })
    rows = []
    for r in t.rows:
        cells = []
        for w, c in zip(t.witnesses, r.cells):
            cell = {"status": c.status, "majority": c.majority, "base": c.base + 1 if c.base is not None else None}
            if c.unit is not None:
                cell.update(text=c.unit.text, start=c.unit.start, end=c.unit.end, pieces=_piece_data(w.speech.text, c.pieces))
            cells.append(cell)
        rows.append({"majority": r.majority, "support": r.support, "cells": cells})
    data = {"version": _version(), "query": t.query, "witnesses": witnesses, "rows": rows}
    if figures is not None:
        data["figures"] = [
            {"frame": f.frame, "unit": f.unit, "support": f.support,
             "values": [None if v is None else {"text": v.text, "value": v.value, "unit": v.unit, "qualifier": v.qualifier,
                                                "start": v.start, "end": v.end} for v in f.values]}
            for f in figures
        ]
    return data


@dataclass(repr=False)
class TrackView:
    """One passage collated across speeches (``compare.track``), and with
    ``figures`` the recurring figures of the passages."""

    track: object
    figures: list | None = None

    def data(self) -> dict:
        return track_data(self.track, self.figures)

    def __repr__(self) -> str:
        return f"TrackView({self.track!r})"


def track(speeches: list[Speech], section: str | None = None, phrase: str | None = None, order: str = "given",
          numbers: bool = False) -> TrackView:
    from . import track as tracking

    t = tracking.track(speeches, section=section, phrase=phrase, order=order)
    return TrackView(t, tracking.figure_table(t.witnesses) if numbers else None)
