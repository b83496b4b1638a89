"""Render results: terminal (rich), JSON, Markdown, HTML; and write files safely."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from pathlib import Path

from markupsafe import escape

from .model import Section, Speech
from .output import check_output, write_atomic


# ---------------------------------------------------------------- JSON


def to_jsonable(obj):
    """Dataclasses -> dicts, recursively, for json.dumps."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    return obj


def dumps(obj) -> str:
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2)


def section_json(section: Section) -> dict:
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
        "children": [section_json(c) for c in section.children],
    }


def outline_json(speeches: list[Speech]) -> str:
    return json.dumps(
        [
            {
                "source": s.source,
                "title": s.title,
                "date": s.date,
                "speaker": s.speaker,
                "chars": len(s.text),
                "sections": [section_json(sec) for sec in s.sections],
            }
            for s in speeches
        ],
        ensure_ascii=False,
        indent=2,
    )


# ---------------------------------------------------------------- terminal


def speech_header(speech: Speech) -> str:
    parts = [speech.title or "(untitled)", speech.date, speech.speaker]
    return " · ".join(p for p in parts if p) + f"  [{speech.source}]"


def outline_tree(speech: Speech):
    from rich.markup import escape
    from rich.tree import Tree

    tree = Tree(f"[bold]{escape(speech_header(speech))}[/bold]")

    def add(node, sections):
        for sec in sections:
            n_sent = len(sec.sentences)
            if sec.level == 0:
                label = f"[dim](opening, {n_sent} sentences)[/dim]"
            else:
                label = f"[cyan]{escape(sec.marker)}[/cyan]{escape(sec.heading)} [dim]({n_sent})[/dim]"
            add(node.add(label), sec.children)

    add(tree, speech.sections)
    return tree


# ---------------------------------------------------------------- templates


@functools.cache
def _environment():
    from jinja2 import Environment, PackageLoader, select_autoescape

    # autoescape: speech text is data; a speech containing <script> shows it
    return Environment(loader=PackageLoader("compare", "templates"), autoescape=select_autoescape(["html", "j2"]))


def render_html(template: str, **context) -> str:
    from importlib import resources

    css = (resources.files("compare") / "templates" / "base.css").read_text(encoding="utf-8")
    return _environment().get_template(template).render(css=css, version=_version(), **context)


# ---------------------------------------------------------------- summaries


def summary_panels(summary, against: dict | None = None):
    """Rich renderables for one summary: key sentences table, keywords."""
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", expand=True, box=None, padding=(0, 1))
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("提纲", style="red", no_wrap=True)
    table.add_column("关键句", overflow="fold")
    table.add_column("得分", justify="right", style="dim", no_wrap=True)
    for k in summary.sentences:
        table.add_row(str(k.rank), escape(k.path or "开场"), escape(k.text), f"{k.score:.4f}")
    keywords = "  ".join(f"[bold]{escape(w.word)}[/bold] [dim]{w.score:.3f}[/dim]" for w in summary.keywords)
    title = " · ".join(x for x in (summary.title or "(untitled)", summary.date, summary.speaker) if x)
    items = [Panel(table, title=escape(title), subtitle=escape(summary.source), title_align="left")]
    if keywords:
        items.append(Panel(keywords, title="关键词", title_align="left"))
    for sec in summary.sections:
        t = Table(show_header=False, box=None, expand=True, padding=(0, 1))
        t.add_column(style="dim", no_wrap=True)
        t.add_column(overflow="fold")
        for k in sec.sentences:
            t.add_row(f"#{k.rank}", escape(k.text))
        items.append(Panel(t, title=escape(f"{sec.path} {sec.heading}"), title_align="left"))
    if against:
        lines = [f"boilerplate {against['share']:.0%} · new {1 - against['share']:.0%} against {against['corpus_size']} indexed speeches", ""]
        lines += [f"[red]{escape(k['path'] or '开场')}[/red] {escape(k['text'])}" for k in against["whats_new"]]
        if against["nearest"]:
            lines += ["", "[dim]nearest:[/dim] " + "; ".join(f"{escape(nb['title'] or nb['source'])} {nb['shared']:.0%}" for nb in against["nearest"])]
        items.append(Panel("\n".join(lines), title="What's new against the corpus", title_align="left"))
    return items


def summary_markdown(summaries, against: list[dict] | None = None) -> str:
    out = []
    for i, s in enumerate(summaries):
        out.append(f"## {s.title or s.source}\n")
        meta = " · ".join(x for x in (s.source, s.date, s.speaker) if x)
        out.append(f"*{meta}*\n")
        out.append("### 关键句\n")
        for k in s.sentences:
            out.append(f"{k.rank}. **{k.path or '开场'}** {k.text} _({k.score:.4f})_")
        out.append("\n### 关键词\n")
        out.append("、".join(w.word for w in s.keywords) + "\n")
        for sec in s.sections:
            out.append(f"### {sec.path} {sec.heading}\n")
            out.extend(f"- {k.text}" for k in sec.sentences)
            out.append("")
        if against:
            view = against[i]
            out.append(f"### 对照语料库（{view['corpus_size']} 篇）\n")
            out.append(f"套话 {view['share']:.0%}，新内容 {1 - view['share']:.0%}。\n")
            out.append("新内容摘要：\n")
            out.extend(f"{k['rank']}. **{k['path'] or '开场'}** {k['text']}" for k in view["whats_new"])
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def summary_html(summaries, against: list[dict] | None = None) -> str:
    return render_html("summary.html.j2", summaries=summaries, against=against)


# ---------------------------------------------------------------- diffs

STATUS_LABEL = {
    "identical": "相同",
    "filled": "填充",
    "edited": "改动",
    "rewritten": "改写",
    "moved": "移位",
    "only_a": "仅A",
    "only_b": "仅B",
    "heading": "标题",
}


def _cell(side, index: int | None, partner: int | None = None) -> dict | None:
    if index is None:
        return None
    unit = side.units[index]
    text = side.speech.text
    return {
        "index": index,
        "text": unit.text,
        "start": unit.start,
        "end": unit.end,
        "path": unit.path,
        "pieces": [{"text": text[p.start:p.end], "kind": p.kind} for p in side.pieces.get(index, [])],
        "partner": partner,
    }


def _speech_meta(side) -> dict:
    s = side.speech
    return {
        "source": s.source,
        "title": s.title,
        "date": s.date,
        "speaker": s.speaker,
        "chars": sum(len(u.text) for u in side.units),
        "shared": round(side.shared, 4),
        "filled": round(side.filled, 4),
        "edited": round(side.edited, 4),
        "local": round(side.local, 4),
        "local_passages": [{"text": u.text, "path": u.path, "start": u.start, "end": u.end} for u in side.local_passages],
    }


def diff_view(d) -> dict:
    """Plain data for a diff: what JSON prints and the HTML template shows."""
    from .align import gc_paused

    with gc_paused():
        return _diff_view(d)


def _diff_view(d) -> dict:
    partner_a = {m.a: m.b for m in d.matches}
    partner_b = {m.b: m.a for m in d.matches}
    sections = []
    for n, sr in enumerate(d.sections, 1):
        pair = sr.pair
        sections.append(
            {
                "id": n,
                "a": {"path": sr.label_a, "heading": pair.a.heading} if pair.a else None,
                "b": {"path": sr.label_b, "heading": pair.b.heading} if pair.b else None,
                "score": round(pair.score, 4),
                "why": pair.why,
                "part_of": _part_of(pair),
                "shared_a": round(sr.shared_a, 4),
                "shared_b": round(sr.shared_b, 4),
                "rows": [
                    {
                        "status": row.status,
                        "similarity": round(row.similarity, 4),
                        "a": _cell(d.a, row.a, partner_a.get(row.a) if row.a is not None else None),
                        "b": _cell(d.b, row.b, partner_b.get(row.b) if row.b is not None else None),
                    }
                    for row in sr.rows
                ],
            }
        )
    return {
        "threshold": d.threshold,
        "shared": round(d.shared, 4),
        "a": _speech_meta(d.a),
        "b": _speech_meta(d.b),
        "sections": sections,
        "fills": [
            {"placeholder_side": f.placeholder_side, "placeholder": f.placeholder, "value": f.value, "context": f.context,
             "a": {"start": f.a_start, "end": f.a_end, "index": f.unit_a}, "b": {"start": f.b_start, "end": f.b_end, "index": f.unit_b}}
            for f in d.fills
        ],
    }


def _part_of(pair) -> dict | None:
    """The other side's section an unpaired section was split from or merged into."""
    if pair.part_of is None:
        return None
    side = "b" if pair.a is not None else "a"
    return {"side": side, "marker": pair.part_of.marker, "heading": pair.part_of.heading}


def section_why(sec: dict) -> str:
    """Hover text of a section pair's score: its evidence."""
    why = sec["why"]
    parts = [f"标题 {why['heading']:.2f}", f"内容 {why['content']:.2f}", f"共有句 {why['shared']:.2f}"]
    if why["same_number"]:
        parts.append("同一编号")
    if why["frame"]:
        parts.append({"opening": "开场对开场", "closing": "结尾对结尾"}[why["frame"]])
    if sec["part_of"]:
        parts.append(f"并入/拆自 {sec['part_of']['side'].upper()} {sec['part_of']['marker']}{sec['part_of']['heading']}")
    return "；".join(parts)


_RICH_STYLE = {"same": "grey58", "fill": "grey58 underline", "edit": "black on yellow", "local": "bold"}


def _rich_cell(cell: dict | None):
    from rich.text import Text

    text = Text()
    if cell is None:
        return text
    for piece in cell["pieces"]:
        text.append(piece["text"], style=_RICH_STYLE.get(piece["kind"], ""))
    return text


def diff_terminal(view: dict, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    a, b = view["a"], view["b"]
    console.print(
        f"[bold]A[/bold] {escape(a['title'] or a['source'])} [dim]{escape(a['source'])}[/dim]  "
        f"shared {a['shared']:.0%}  filled {a['filled']:.0%}  edited {a['edited']:.0%}  local {a['local']:.0%}"
    )
    console.print(
        f"[bold]B[/bold] {escape(b['title'] or b['source'])} [dim]{escape(b['source'])}[/dim]  "
        f"shared {b['shared']:.0%}  filled {b['filled']:.0%}  edited {b['edited']:.0%}  local {b['local']:.0%}"
    )
    console.print("[grey58]grey: shared[/grey58]  [black on yellow]yellow: edited[/black on yellow]  [bold]bold: local[/bold]\n")
    for sec in view["sections"]:
        title_a = f"A {sec['a']['path']} {sec['a']['heading']}" if sec["a"] else "A —"
        title_b = f"B {sec['b']['path']} {sec['b']['heading']}" if sec["b"] else "B —"
        table = Table(title=escape(f"{title_a}  ⇄  {title_b}  ({sec['score']:.2f})"), expand=True, show_lines=False, title_justify="left")
        table.add_column("", width=4, no_wrap=True, style="dim")
        table.add_column(f"A {sec['shared_a']:.0%} shared", ratio=1, overflow="fold")
        table.add_column(f"B {sec['shared_b']:.0%} shared", ratio=1, overflow="fold")
        for row in sec["rows"]:
            table.add_row(STATUS_LABEL[row["status"]], _rich_cell(row["a"]), _rich_cell(row["b"]))
        console.print(table)
    for name, side in (("A", a), ("B", b)):
        console.print(f"\n[bold]Most local passages of {name}[/bold]")
        for p in side["local_passages"]:
            console.print(f"  [red]{escape(p['path'] or '开场')}[/red] {escape(p['text'])}")


def fold_rows(rows: list[dict], min_run: int = 4) -> list[dict]:
    """Group runs of identical rows so the report can fold them. A filled-in
    template slot is never folded: it is what the other speech put in."""
    out: list[dict] = []
    run: list[dict] = []

    def flush():
        if len(run) >= min_run:
            out.append({"fold": True, "rows": list(run)})
        else:
            out.extend({"fold": False, "row": r} for r in run)
        run.clear()

    for row in rows:
        if row["status"] == "identical" and not _has_fill(row):
            run.append(row)
        else:
            flush()
            out.append({"fold": False, "row": row})
    flush()
    return out


def _has_fill(row: dict) -> bool:
    return any(p["kind"] == "fill" for side in ("a", "b") if row[side] for p in row[side]["pieces"])


def _cell_html(cell: dict | None, side: str) -> str:
    if cell is None:
        return ""
    spans = "".join(f'<span class="{p["kind"]}">{escape(p["text"])}</span>' for p in cell["pieces"])
    link = ""
    if cell["partner"] is not None:
        other = "b" if side == "a" else "a"
        link = f' <a class="partner" href="#{other}-{cell["partner"]}" title="对应的{other.upper()}句">↔</a>'
    return f'<div class="sent" id="{side}-{cell["index"]}">{spans}{link}</div>'


def _row_html(row: dict) -> str:
    return (
        f'<tr class="row {row["status"]}"><td class="st" title="相似度 {row["similarity"]:.2f}">{STATUS_LABEL[row["status"]]}</td>'
        f'<td class="side">{_cell_html(row["a"], "a")}</td><td class="side">{_cell_html(row["b"], "b")}</td></tr>'
    )


def diff_html(view: dict, summaries: tuple | None = None) -> str:
    from .align import gc_paused

    with gc_paused():
        return _diff_html(view, summaries)


def _diff_html(view: dict, summaries: tuple | None = None) -> str:
    from markupsafe import Markup

    # Rows are built here, escaped with markupsafe (what Jinja's autoescape
    # uses): thousands of cells through template macros cost more than the diff.
    sections = []
    for sec in view["sections"]:
        blocks = []
        for block in fold_rows(sec["rows"]):
            rows = block["rows"] if block["fold"] else [block["row"]]
            blocks.append({"fold": block["fold"], "rows": rows, "html": Markup("".join(_row_html(r) for r in rows))})
        sections.append({**sec, "blocks": blocks, "why_text": section_why(sec)})
    return render_html("diff.html.j2", view={**view, "sections": sections}, summaries=summaries)


# ---------------------------------------------------------------- corpus reports


def _key_sentences(items) -> list[dict]:
    return [{"text": k.text, "path": k.path, "start": k.start, "end": k.end, "score": round(k.score, 6), "rank": k.rank} for k in items]


def _keywords(items) -> list[dict]:
    return [{"word": w.word, "score": round(w.score, 6)} for w in items]


def report_view(c, diffs: dict[tuple[int, int], str] | None = None, phrases: int | None = None) -> dict:
    """Plain data for a corpus report (what JSON prints, what HTML shows).
    Speeches are numbered from 1; ``diffs`` maps 0-based pairs to the
    relative path of their side-by-side diff."""
    diffs = diffs or {}
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
            "near_duplicates": [j + 1 for j in copies.get(i - 1, []) if j != i - 1],
            "summary": _key_sentences(r.summary.sentences),
            "keywords": _keywords(r.summary.keywords),
            "whats_new": _key_sentences(r.new),
            "distinctive_keywords": _keywords(r.distinctive),
        })
    pairs = [
        {"a": p.a + 1, "b": p.b + 1, "jaccard": round(p.jaccard, 4), "shared_a": round(p.shared_a, 4),
         "shared_b": round(p.shared_b, 4), "diff": diffs.get((p.a, p.b))}
        for p in sorted(c.pairs, key=lambda p: (-p.shared, p.a, p.b))
    ]
    from . import corpus

    book = c.phrasebook if phrases is None else c.phrasebook[:phrases]
    return {
        "version": _version(),
        "settings": {"shingle": corpus.SHINGLE, "near_duplicate": corpus.NEAR_DUPLICATE, "boilerplate_score": corpus.BOILERPLATE_SCORE},
        "speeches": speeches,
        "pairs": pairs,
        "near_duplicate_groups": [[i + 1 for i in g] for g in c.families],
        "phrasebook": [
            {"kind": e.kind, "text": e.text, "speeches": [i + 1 for i in e.speeches], "families": e.families, "variants": e.variants}
            for e in book
        ],
        "phrasebook_total": len(c.phrasebook),
    }


def _short_label(speech, width: int = 18) -> str:
    """A name that fits a matrix row: a title's start, or a source's end (its #N)."""
    if speech.title:
        return speech.title if len(speech.title) <= width else speech.title[: width - 1] + "…"
    source = speech.source.replace(".txt", "")
    return source if len(source) <= width else "…" + source[-(width - 1):]


def _version() -> str:
    from . import __version__

    return __version__


MATRIX_LIMIT = 80  # above this many speeches the report lists neighbours instead of a heatmap
ALL_DIFFS_LIMIT = 30  # up to this many speeches (435 pairs) a report writes every pairwise diff


def report_html(view: dict) -> str:
    n = len(view["speeches"])
    matrix = None
    if n <= MATRIX_LIMIT:
        matrix = [[None] * n for _ in range(n)]
        for p in view["pairs"]:
            a, b = p["a"] - 1, p["b"] - 1
            matrix[a][b] = {"value": p["shared_a"], "diff": p["diff"], "other": b + 1}
            matrix[b][a] = {"value": p["shared_b"], "diff": p["diff"], "other": a + 1}
    neighbours: dict[int, list[dict]] = {s["id"]: [] for s in view["speeches"]}
    for p in view["pairs"]:  # sorted most shared first
        for me, other, share in ((p["a"], p["b"], p["shared_a"]), (p["b"], p["a"], p["shared_b"])):
            if len(neighbours[me]) < 5 and share >= 0.01:
                neighbours[me].append({"id": other, "shared": share, "diff": p["diff"]})
    return render_html("report.html.j2", view=view, matrix=matrix, neighbours=neighbours)


def write_report(c, output: str | os.PathLike, diffs: str = "auto", max_diffs: int = 100, phrases: int = 300,
                 inputs: list[str] = (), progress=None) -> Path:
    """Write the HTML report and, next to it in ``<name>_diffs/``, a side-by-side
    diff for each pair chosen by ``diffs``: related (sharing at least
    corpus.RELATED of either speech; the ``max_diffs`` most similar), all,
    none, or auto (all for a small corpus, else related)."""
    from . import align, corpus

    progress = progress or corpus.no_progress
    target = check_output(output, inputs)  # before writing any diff next to it
    folder = target.with_name(target.stem + "_diffs")
    if diffs == "auto":  # every cell of a small matrix links to its diff
        diffs = "all" if len(c.speeches) <= ALL_DIFFS_LIMIT else "related"
    if diffs == "all":
        chosen = [(a, b) for a in range(len(c.speeches)) for b in range(a + 1, len(c.speeches))]
    elif diffs == "related":
        related = sorted((p for p in c.pairs if p.shared >= corpus.RELATED), key=lambda p: -p.shared)[:max_diffs]
        chosen = [(p.a, p.b) for p in related]
    else:
        chosen = []
    written = {}
    for a, b in progress(chosen, "writing diffs"):
        ra, rb = c.speeches[a], c.speeches[b]
        view = diff_view(align.diff(ra.speech, rb.speech))
        name = f"{a + 1:03d}-{b + 1:03d}.html"
        write_atomic(folder / name, diff_html(view, (ra.summary, rb.summary)), inputs)
        written[(a, b)] = f"{folder.name}/{name}"
    return write_atomic(target, report_html(report_view(c, written, phrases)), inputs)


# ---------------------------------------------------------------- a speech against a corpus


def against_view(marking, n: int = 5) -> dict:
    """Plain data for a speech marked against a corpus database."""
    from . import corpus

    fp = marking.fingerprint
    return {
        "source": marking.speech.source,
        "title": marking.speech.title,
        "corpus_size": marking.corpus_size,
        "share": round(marking.share, 4),
        "nearest": [
            {"id": nb.speech.id, "source": nb.speech.source, "title": nb.speech.title, "date": nb.speech.date, "shared": round(nb.shared, 4)}
            for nb in marking.nearest
        ],
        "whats_new": _key_sentences(corpus.whats_new(marking.speech, fp.units, marking.scores, n)),
        "sentences": [
            {"text": u.text, "path": u.path, "start": u.start, "end": u.end, "heading": u.heading,
             "boilerplate": round(score, 4), "reused": score >= corpus.BOILERPLATE_SCORE, "uses": uses}
            for u, score, uses in zip(fp.units, marking.scores, marking.uses)
        ],
    }


def against_terminal(view: dict, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(
        f"[bold]{escape(view['title'] or '(untitled)')}[/bold] [dim]{escape(view['source'])}[/dim]  "
        f"against {view['corpus_size']} indexed speeches: boilerplate {view['share']:.0%}, new {1 - view['share']:.0%}"
    )
    console.print("[grey58]grey: found in the corpus[/grey58]  [bold]bold: new[/bold]  uses: indexed speeches with the same sentence\n")
    table = Table(expand=True, box=None, padding=(0, 1))
    table.add_column("提纲", style="red", no_wrap=True)
    table.add_column("套话", justify="right", no_wrap=True, style="dim")
    table.add_column("uses", justify="right", no_wrap=True, style="dim")
    table.add_column("句子", overflow="fold")
    for s in view["sentences"]:
        style = "grey58" if s["reused"] else "bold"
        table.add_row(escape(s["path"] or "开场"), f"{s['boilerplate']:.0%}", str(s["uses"] or ""), f"[{style}]{escape(s['text'])}[/{style}]")
    console.print(table)
    console.print("\n[bold]What's new[/bold] (TextRank over sentences not in the corpus)")
    for k in view["whats_new"]:
        console.print(f"  [red]{escape(k['path'] or '开场')}[/red] {escape(k['text'])}")
    console.print("\n[bold]Nearest indexed speeches[/bold]")
    for nb in view["nearest"]:
        console.print(f"  {nb['shared']:.0%}  {escape(nb['title'] or nb['source'])} [dim]{escape(nb['source'])}[/dim]")


def against_html(view: dict) -> str:
    return render_html("against.html.j2", view=view)
