"""Render views: terminal (rich), JSON, Markdown, HTML.

Everything here turns finished results into text; the computing a page
needs happens in ``compare.views``, and ``compare.formats`` decides which
function renders which view in which format.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re

from markupsafe import escape

from .model import Speech


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


_MD_SPECIAL = re.compile(r"([\\`*_\[\](){}<>#|~])")


def md(text) -> str:
    """Speech text as literal Markdown: its own * _ [ ] < > | cannot turn
    into emphasis, links, raw HTML or table cells; line breaks become spaces."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _pct(x: float) -> str:
    return f"{x:.0%}"


def summary_markdown(summaries, against: list[dict] | None = None) -> str:
    out = []
    for i, s in enumerate(summaries):
        out.append(f"## {md(s.title or s.source)}\n")
        meta = " · ".join(md(x) for x in (s.source, s.date, s.speaker) if x)
        out.append(f"*{meta}*\n")
        out.append("### 关键句\n")
        # numbered in document order (a list numbered by rank would render 4. 3. 1. as 4. 5. 6.)
        for j, k in enumerate(s.sentences, 1):
            out.append(f"{j}. **{md(k.path or '开场')}** {md(k.text)} _(TextRank #{k.rank}, {k.score:.4f})_")
        out.append("\n### 关键词\n")
        out.append("、".join(md(w.word) for w in s.keywords) + "\n")
        for sec in s.sections:
            out.append(f"### {md(sec.path)} {md(sec.heading)}\n")
            out.extend(f"- {md(k.text)}" for k in sec.sentences)
            out.append("")
        if against:
            view = against[i]
            out.append(f"### 对照语料库（{view['corpus_size']} 篇）\n")
            out.append(f"套话 {view['share']:.0%}，新内容 {1 - view['share']:.0%}。\n")
            out.append("新内容摘要：\n")
            out.extend(f"{j}. **{md(k['path'] or '开场')}** {md(k['text'])}" for j, k in enumerate(view["whats_new"], 1))
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def outline_markdown(speeches: list[Speech]) -> str:
    out = []
    for s in speeches:
        out.append(f"## {md(speech_header(s))}\n")

        def add(sections, depth):
            for sec in sections:
                label = f"{md(sec.marker)}{md(sec.heading)}" if sec.level else "（开场）"
                out.append(f"{'  ' * depth}- {label} ({len(sec.sentences)})")
                add(sec.children, depth + 1)

        add(s.sections, 0)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def summary_html(summaries, against: list[dict] | None = None) -> str:
    return render_html("summary.html.j2", summaries=summaries, against=against)


# ---------------------------------------------------------------- diffs

STATUS_LABEL = {
    "identical": "相同",
    "edited": "改动",
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
        "local_passages": [{"text": u.text, "path": u.path, "start": u.start, "end": u.end} for u in side.local_passages],
    }


def diff_view(d) -> dict:
    """Plain data for a diff: what JSON prints and the HTML template shows."""
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
    }


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
        f"shared {a['shared']:.0%}  local {1 - a['shared']:.0%}"
    )
    console.print(
        f"[bold]B[/bold] {escape(b['title'] or b['source'])} [dim]{escape(b['source'])}[/dim]  "
        f"shared {b['shared']:.0%}  local {1 - b['shared']:.0%}"
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


WDIFF = {"a": ("[-", "-]"), "b": ("{+", "+}")}  # wdiff's marks: readable without colour


def marked_pieces(cell: dict | None, side: str) -> list[tuple[str, str]]:
    """(text, kind) pieces of a cell with its edits between wdiff marks
    (``[-…-]`` in A, ``{+…+}`` in B), for output without colour; kind
    "mark" for the marks themselves."""
    if cell is None:
        return []
    start, end = WDIFF[side]
    out = []
    for piece in cell["pieces"]:
        if piece["kind"] == "edit":
            out += [(start, "mark"), (piece["text"], "edit"), (end, "mark")]
        else:
            out.append((piece["text"], piece["kind"]))
    return out


def _md_cell(cell: dict | None, side: str) -> str:
    return "".join(text if kind == "mark" else md(text) for text, kind in marked_pieces(cell, side))


def diff_markdown(view: dict) -> str:
    a, b = view["a"], view["b"]
    out = [f"# {md(a['title'] or a['source'])} ⇄ {md(b['title'] or b['source'])}\n"]
    for name, side in (("A", a), ("B", b)):
        out.append(f"- **{name}** {md(side['source'])} · shared {_pct(side['shared'])} · local {_pct(1 - side['shared'])}")
    out.append("\n`[-…-]` only in A, `{+…+}` only in B (edited sentences); 仅A/仅B: sentences of one speech only.\n")
    for sec in view["sections"]:
        title_a = f"{sec['a']['path']} {sec['a']['heading']}" if sec["a"] else "—"
        title_b = f"{sec['b']['path']} {sec['b']['heading']}" if sec["b"] else "—"
        out.append(f"## A {md(title_a)} ⇄ B {md(title_b)}\n")
        for block in fold_rows(sec["rows"], min_run=2):
            if block["fold"]:
                out.append(f"- 相同 ×{len(block['rows'])} (identical sentences)")
                continue
            row = block["row"]
            label = STATUS_LABEL[row["status"]]
            if row["a"] and row["b"] and row["status"] != "identical":
                out.append(f"- {label}  \n  A: {_md_cell(row['a'], 'a')}  \n  B: {_md_cell(row['b'], 'b')}")
            else:
                cell, side = (row["a"], "a") if row["a"] else (row["b"], "b")
                out.append(f"- {label}: {_md_cell(cell, side)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def fold_rows(rows: list[dict], min_run: int = 4) -> list[dict]:
    """Group runs of identical rows so the report can fold them."""
    out: list[dict] = []
    run: list[dict] = []

    def flush():
        if len(run) >= min_run:
            out.append({"fold": True, "rows": list(run)})
        else:
            out.extend({"fold": False, "row": r} for r in run)
        run.clear()

    for row in rows:
        if row["status"] == "identical":
            run.append(row)
        else:
            flush()
            out.append({"fold": False, "row": row})
    flush()
    return out


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
    from markupsafe import Markup

    # Rows are built here, escaped with markupsafe (what Jinja's autoescape
    # uses): thousands of cells through template macros cost more than the diff.
    sections = []
    for sec in view["sections"]:
        blocks = []
        for block in fold_rows(sec["rows"]):
            rows = block["rows"] if block["fold"] else [block["row"]]
            blocks.append({"fold": block["fold"], "rows": rows, "html": Markup("".join(_row_html(r) for r in rows))})
        sections.append({**sec, "blocks": blocks})
    return render_html("diff.html.j2", view={**view, "sections": sections}, summaries=summaries)


# ---------------------------------------------------------------- corpus reports


def _version() -> str:
    from . import __version__

    return __version__


MATRIX_LIMIT = 80  # above this many speeches the report lists neighbours instead of a heatmap


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


# ---------------------------------------------------------------- a speech against a corpus


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


def against_markdown(view: dict) -> str:
    out = [f"# {md(view['title'] or '(untitled)')}\n", f"*{md(view['source'])}* · against {view['corpus_size']} indexed speeches: "
           f"boilerplate {_pct(view['share'])}, new {_pct(1 - view['share'])}\n", "## What's new\n"]
    out += [f"{j}. **{md(k['path'] or '开场')}** {md(k['text'])}" for j, k in enumerate(view["whats_new"], 1)]
    out.append("\n## Nearest indexed speeches\n")
    out += [f"- {_pct(nb['shared'])} {md(nb['title'] or nb['source'])} ({md(nb['source'])})" for nb in view["nearest"]]
    out.append("\n## Sentences\n")
    for sen in view["sentences"]:
        text = md(sen["text"]) if sen["reused"] else f"**{md(sen['text'])}**"
        uses = f", in {sen['uses']} indexed speeches" if sen["uses"] else ""
        out.append(f"- {md(sen['path'] or '开场')}: {text} _(boilerplate {_pct(sen['boilerplate'])}{uses})_")
    out.append("\n**bold**: new against the corpus")
    return "\n".join(out).rstrip() + "\n"


def _name(s: dict) -> str:
    return s["title"] or s["source"]


def report_markdown(view: dict, pairs: int = 50) -> str:
    speeches = view["speeches"]
    out = [f"# {len(speeches)} speeches compared\n", f"speechdiff {view['version']} · {view['phrasebook_total']} reused phrases\n",
           "## Speeches\n", "| # | speech | source | chars | boilerplate | near duplicates |", "|---:|---|---|---:|---:|---|"]
    for s in speeches:
        dups = " ".join(f"#{j}" for j in s["near_duplicates"])
        out.append(f"| {s['id']} | {md(s['title'] or '(untitled)')} | {md(s['source'])} | {s['chars']} | {_pct(s['boilerplate'])} | {dups} |")
    out += ["", f"## Most similar pairs (top {min(pairs, len(view['pairs']))} of {len(view['pairs'])})\n",
            "| A | B | A's text in B | B's text in A |", "|---|---|---:|---:|"]
    for p in view["pairs"][:pairs]:
        out.append(f"| #{p['a']} {md(_name(speeches[p['a'] - 1]))} | #{p['b']} {md(_name(speeches[p['b'] - 1]))} | {_pct(p['shared_a'])} | {_pct(p['shared_b'])} |")
    out += ["", f"## Phrasebook ({len(view['phrasebook'])} of {view['phrasebook_total']})\n", "| text | kind | families | speeches |", "|---|---|---:|---|"]
    for e in view["phrasebook"]:
        out.append(f"| {md(e['text'])} | {e['kind']} | {e['families']} | {' '.join(f'#{i}' for i in e['speeches'])} |")
    out += ["", "## What is new in each speech\n"]
    for s in speeches:
        out.append(f"### #{s['id']} {md(_name(s))}\n")
        out += [f"{j}. **{md(k['path'] or '开场')}** {md(k['text'])}" for j, k in enumerate(s["whats_new"], 1)] or ["（无）"]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def report_terminal(view: dict, console, pairs: int = 15, phrases: int = 15) -> None:
    from rich.markup import escape
    from rich.table import Table

    speeches = view["speeches"]
    console.print(f"[bold]{len(speeches)} speeches[/bold] · {len(view['near_duplicate_groups'])} near-duplicate groups · "
                  f"{view['phrasebook_total']} reused phrases")
    table = Table(box=None, padding=(0, 1), expand=True, title="Speeches", title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("speech", overflow="fold", ratio=1)
    table.add_column("chars", justify="right", no_wrap=True)
    table.add_column("boilerplate", justify="right", no_wrap=True)
    table.add_column("copies of", no_wrap=True)
    for s in speeches:
        table.add_row(str(s["id"]), escape(f"{_name(s)}  [{s['source']}]" if s["title"] else s["source"]), str(s["chars"]),
                      _pct(s["boilerplate"]), " ".join(f"#{j}" for j in s["near_duplicates"]))
    console.print(table)
    table = Table(box=None, padding=(0, 1), expand=True, title=f"Most similar pairs ({min(pairs, len(view['pairs']))} of {len(view['pairs'])})", title_justify="left")
    for name, justify in (("A", "left"), ("B", "left"), ("A in B", "right"), ("B in A", "right")):
        table.add_column(name, justify=justify, overflow="fold", ratio=1 if justify == "left" else None, no_wrap=justify == "right")
    for p in view["pairs"][:pairs]:
        table.add_row(escape(f"#{p['a']} {_name(speeches[p['a'] - 1])}"), escape(f"#{p['b']} {_name(speeches[p['b'] - 1])}"),
                      _pct(p["shared_a"]), _pct(p["shared_b"]))
    console.print(table)
    table = Table(box=None, padding=(0, 1), expand=True, title=f"Phrasebook ({min(phrases, len(view['phrasebook']))} of {view['phrasebook_total']})", title_justify="left")
    table.add_column("families", justify="right", no_wrap=True)
    table.add_column("text", overflow="fold", ratio=1)
    for e in view["phrasebook"][:phrases]:
        table.add_row(str(e["families"]), escape(e["text"]))
    console.print(table)
    console.print("[dim]Write everything with -o report.html (pairwise diffs next to it), .json, .md or .csv.[/dim]")
