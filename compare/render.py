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

from markupsafe import Markup, escape

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

    from .formats.cjk import safe

    tree = Tree(f"[bold]{escape(safe(speech_header(speech)))}[/bold]")

    def add(node, sections):
        for sec in sections:
            n_sent = len(sec.sentences)
            if sec.level == 0:
                label = f"[dim](opening, {n_sent} sentences)[/dim]"
            else:
                label = f"[cyan]{escape(safe(sec.marker))}[/cyan]{escape(safe(sec.heading))} [dim]({n_sent})[/dim]"
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


def summary_terminal(summary, console, against: dict | None = None) -> None:
    """One summary as text: key sentences in document order (with their
    TextRank rank), keywords, sections, and what is new against a corpus."""
    color = console.color_system is not None
    head = " · ".join(x for x in (summary.title or "(untitled)", summary.date, summary.speaker) if x)
    print_wrapped(console, [(head, "bold"), (f"  [{summary.source}]", "dim")])
    _emit_line(console, [("关键句", "bold"), ("  key sentences in document order, #TextRank rank", "dim")])
    for k in summary.sentences:
        print_wrapped(console, [(k.text, "")], first=[(f"{'#' + str(k.rank):>4} ", "dim"), (k.path or "开场", "red" if color else ""), (" ", "")], indent=5)
    if summary.keywords:
        print_wrapped(console, [("  ".join(w.word for w in summary.keywords), "bold")], first=[("关键词 ", "bold")])
    for sec in summary.sections:
        print_wrapped(console, [(f"{sec.path} {sec.heading}".strip(), "bold")], first=[("§ ", "bold")])
        for k in sec.sentences:
            print_wrapped(console, [(k.text, "")], first=[(f"{'#' + str(k.rank):>4} ", "dim")], indent=5)
    if against:
        _emit_line(console, [("对照语料库", "bold"), (f"  against {against['corpus_size']} indexed speeches: boilerplate "
                                                  f"{against['share']:.0%}, new {1 - against['share']:.0%}", "")])
        for k in against["whats_new"]:
            print_wrapped(console, [(k["text"], "")], first=[("   + ", "bold"), (k["path"] or "开场", "red" if color else ""), (" ", "")], indent=5)
        if against["nearest"]:
            nearest = "; ".join(f"{nb['title'] or nb['source']} {nb['shared']:.0%}" for nb in against["nearest"])
            print_wrapped(console, [(nearest, "")], first=[("nearest: ", "dim")])
    console.print()


_MD_SPECIAL = re.compile(r"([\\`*_\[\](){}<>#|~])")


def md(text) -> str:
    """Speech text as literal Markdown: its own * _ [ ] < > | cannot turn
    into emphasis, links, raw HTML or table cells; line breaks become spaces."""
    from .formats.cjk import strip_controls

    return _MD_SPECIAL.sub(r"\\\1", " ".join(strip_controls(str(text)).split()))


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
        "label": side.rule.labels[index] if side.rule is not None else None,  # the boilerplate rule's
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
        # the boilerplate rule (one other speech): boilerplate / edited / fill / local, adding up to 1
        "boilerplate": {k: round(v, 4) for k, v in side.rule.shares.items()} if side.rule is not None else None,
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



# ---------------------------------------------------------------- terminal layout
#
# Terminal text is laid out here, not by rich's tables: Chinese needs its own
# line breaking (formats/cjk.py), and a narrow terminal needs A above B rather
# than two columns of six characters. rich only paints the styled segments.

WIDE = 120  # from this many columns A and B stand side by side; below, A above B
LABEL = 4  # cells for a row's status label (two CJK characters)
STYLE = {
    "same": "grey58", "fill": "grey58 underline", "local": "bold", "mark": "bold",
    "edit-a": "black on red", "edit-b": "black on green",
}


def _styles(segments, side: str = "a"):
    """Kinds keyed for STYLE (an edit is A's or B's); wrapping needs "mark" intact."""
    return [(text, f"{kind}-{side}" if kind == "edit" else kind) for text, kind in segments]


def _emit_line(console, segments) -> None:
    from rich.text import Text

    from .formats.cjk import safe

    line = Text(no_wrap=True, overflow="ignore", end="\n")
    for text, style in segments:
        line.append(safe(text), style=STYLE.get(style, style) or None)
    console.print(line, soft_wrap=True, highlight=False, markup=False, emoji=False)


def _pad(segments, width: int):
    from .formats.cjk import width_of

    return list(segments) + [(" " * max(0, width - width_of(segments)), "")]


def print_wrapped(console, pieces, first=(), indent: int | None = None, width: int | None = None) -> None:
    """Print styled ``pieces`` wrapped for Chinese, after the styled prefix
    ``first``; continuation lines are indented to the prefix's width."""
    from .formats.cjk import safe, width_of, wrap

    first = [(safe(text), style) for text, style in first]
    indent = width_of(first) if indent is None else indent
    total = width or console.width
    for n, line in enumerate(wrap(pieces, total - indent, first=total - width_of(first))):
        _emit_line(console, (first if n == 0 else [(" " * indent, "")]) + line)


def _cell_pieces(cell: dict | None, side: str, color: bool):
    """A cell's pieces, its edits between wdiff marks when there is no colour."""
    if cell is None:
        return []
    pieces = whole_figures([(p["text"], p["kind"]) for p in cell["pieces"]]) if color else marked_pieces(cell, side)
    return _styles(pieces, side)


def _label(row: dict) -> list[tuple[str, str]]:
    text = [(STATUS_LABEL[row["status"]], "dim")]
    return _pad(text, LABEL) + [(" ", "")]


def _stacked_row(console, row: dict, color: bool) -> None:
    """A above B, each side's lines wrapped and indented under a status label."""
    sides = [(name, row[name]) for name in ("a", "b") if row[name] is not None]
    same_text = len(sides) == 2 and row["a"]["text"] == row["b"]["text"]
    if same_text:
        sides = [("=", row["a"])]
    for n, (name, cell) in enumerate(sides):
        label = _label(row) if n == 0 else [(" " * (LABEL + 1), "")]
        mark = [("A=B" if name == "=" else name.upper(), "bold"), (" ", "")]
        print_wrapped(console, _cell_pieces(cell, "a" if name == "=" else name, color), label + mark)


def _side_by_side_row(console, row: dict, color: bool) -> None:
    from .formats.cjk import wrap

    column = (console.width - LABEL - 1 - 3) // 2
    left = wrap(_cell_pieces(row["a"], "a", color), column) if row["a"] else [[]]
    right = wrap(_cell_pieces(row["b"], "b", color), column) if row["b"] else [[]]
    for n in range(max(len(left), len(right))):
        label = _label(row) if n == 0 else [(" " * (LABEL + 1), "")]
        a = left[n] if n < len(left) else []
        b = right[n] if n < len(right) else []
        _emit_line(console, label + _pad(a, column) + [(" │ ", "dim")] + b)


def _unchanged(row: dict) -> bool:
    return row["status"] == "identical" or (row["status"] == "heading" and row["a"] and row["b"] and row["a"]["text"] == row["b"]["text"])


def _legend(color: bool) -> list[tuple[str, str]]:
    if color:
        return [("grey: shared", STYLE["same"]), ("  ", ""), ("A's wording", STYLE["edit-a"]), (" ", ""),
                ("B's wording", STYLE["edit-b"]), ("  ", ""), ("bold: local", "bold"),
                ("  ≡ N: N identical sentences folded", "dim")]
    # no colour (a pipe, a file, NO_COLOR): nothing here may refer to colours
    return [("[-…-] A's wording, {+…+} B's wording in edited sentences; 仅A/仅B: in one speech only; "
             "移位: moved; ≡ N: N identical sentences folded", "")]


def diff_terminal(view: dict, console) -> None:
    """The diff for a terminal, a pipe or a text file: sections in order,
    identical runs folded with a count, A above B below WIDE columns."""
    color = console.color_system is not None
    a, b = view["a"], view["b"]
    for name, side in (("A", a), ("B", b)):
        head = [(f"{name} ", "bold"), (side["title"] or side["source"], "bold")]
        if side["title"]:
            head.append((f"  {side['source']}", "dim"))
        print_wrapped(console, head + [(f"  shared {side['shared']:.0%} · filled {side['filled']:.0%} · "
                                        f"edited {side['edited']:.0%} · local {side['local']:.0%}", "")], indent=2)
    print_wrapped(console, _legend(color))
    row_printer = _side_by_side_row if console.width >= WIDE else _stacked_row
    for sec in view["sections"]:
        title_a = f"{sec['a']['path']} {sec['a']['heading']}".strip() if sec["a"] else "—"
        title_b = f"{sec['b']['path']} {sec['b']['heading']}".strip() if sec["b"] else "—"
        if sec["rows"] and all(_unchanged(row) for row in sec["rows"]):  # the whole section folds into one line
            print_wrapped(console, [(f"A {title_a}", "bold"), (f"  ≡ {len(sec['rows'])} identical sentences", "dim")],
                          first=[("§ ", "bold")])
            continue
        console.print()
        print_wrapped(console, [(f"A {title_a}", "bold"), ("  ⇄  ", ""), (f"B {title_b}", "bold"),
                                (f"  ({sec['score']:.2f}; shared A {sec['shared_a']:.0%} · B {sec['shared_b']:.0%})", "dim")],
                      first=[("§ ", "bold")])
        for block in fold_rows(sec["rows"], min_run=2):
            if block["fold"]:
                _emit_line(console, [(" " * (LABEL + 1), ""), (f"≡ {len(block['rows'])} identical sentences", "dim")])
            else:
                row_printer(console, block["row"], color)
    for name, side in (("A", a), ("B", b)):
        console.print()
        _emit_line(console, [(f"Most local passages of {name}", "bold")])
        for p in side["local_passages"]:
            print_wrapped(console, [(p["text"], "")], first=[("  ", ""), (p["path"] or "开场", "red" if color else ""), (" ", "")], indent=4)


WDIFF = {"a": ("[-", "-]"), "b": ("{+", "+}")}  # wdiff's marks: readable without colour


def whole_figures(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(text, kind) pieces with an edit inside a figure widened to the whole
    figure: 13[-0-].[-4-]亿 reads as [-130.4-]亿."""
    from .formats.cjk import NUMBER

    text = "".join(t for t, _ in pieces)
    kinds = [k for t, k in pieces for _ in t]
    for m in NUMBER.finditer(text):
        if "edit" in kinds[m.start():m.end()]:
            kinds[m.start():m.end()] = ["edit"] * (m.end() - m.start())
    out: list[tuple[str, str]] = []
    for ch, kind in zip(text, kinds):
        if out and out[-1][1] == kind:
            out[-1] = (out[-1][0] + ch, kind)
        else:
            out.append((ch, kind))
    return out


def marked_pieces(cell: dict | None, side: str) -> list[tuple[str, str]]:
    """(text, kind) pieces of a cell with its edits between wdiff marks
    (``[-…-]`` in A, ``{+…+}`` in B), for output without colour; kind
    "mark" for the marks themselves."""
    if cell is None:
        return []
    start, end = WDIFF[side]
    out = []
    for text, kind in whole_figures([(p["text"], p["kind"]) for p in cell["pieces"]]):
        if kind == "edit":
            out += [(start, "mark"), (text, "edit"), (end, "mark")]
        else:
            out.append((text, kind))
    return out


def _md_cell(cell: dict | None, side: str) -> str:
    return "".join(text if kind == "mark" else md(text) for text, kind in marked_pieces(cell, side))


def diff_markdown(view: dict) -> str:
    a, b = view["a"], view["b"]
    out = [f"# {md(a['title'] or a['source'])} ⇄ {md(b['title'] or b['source'])}\n"]
    for name, side in (("A", a), ("B", b)):
        out.append(f"- **{name}** {md(side['source'])} · shared {_pct(side['shared'])} · filled {_pct(side['filled'])} · "
                   f"edited {_pct(side['edited'])} · local {_pct(side['local'])}")
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
    """Each sentence of a speech, marked found in the corpus (=) or new (+)."""
    color = console.color_system is not None
    print_wrapped(console, [(view["title"] or "(untitled)", "bold"), (f"  {view['source']}", "dim"),
                            (f"  against {view['corpus_size']} indexed speeches: boilerplate {view['share']:.0%}, "
                             f"new {1 - view['share']:.0%}", "")])
    legend = ("= found in the corpus (grey), + new (bold); " if color else "= found in the corpus, + new; ") + \
        "N%: share of the sentence found; ×N: indexed speeches with the same sentence"
    print_wrapped(console, [(legend, "dim")])
    path = None
    for s in view["sentences"]:
        if s["path"] != path:
            path = s["path"]
            console.print()
            _emit_line(console, [(path or "开场", "red" if color else "bold")])
        uses = f"×{s['uses']}" if s["uses"] else ""
        first = [("=" if s["reused"] else "+", "dim" if s["reused"] else "bold"), (f" {s['boilerplate']:>4.0%} {uses:<4} ", "dim")]
        print_wrapped(console, [(s["text"], "same" if s["reused"] else "local")], first=first)
    console.print()
    _emit_line(console, [("What's new", "bold"), (" (TextRank over sentences not in the corpus)", "dim")])
    for k in view["whats_new"]:
        print_wrapped(console, [(k["text"], "")], first=[("  ", ""), (k["path"] or "开场", "red" if color else ""), (" ", "")], indent=4)
    console.print()
    _emit_line(console, [("Nearest indexed speeches", "bold")])
    for nb in view["nearest"]:
        name = " · ".join(x for x in (nb["title"] or nb["source"], nb.get("date", "")) if x)
        print_wrapped(console, [(name, ""), (f"  {nb['source']}", "dim")], first=[(f"  {nb['shared']:>4.0%} ", "")], indent=8)


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
    from rich.markup import escape as markup_escape
    from rich.table import Table

    from .formats.cjk import safe

    def escape(text: str) -> str:
        return markup_escape(safe(text))

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


# ---------------------------------------------------------------- one passage across many speeches

TRACK_LABEL = {"first": "初", "same": "同", "edited": "改", "filled": "填", "added": "增", "absent": "删", "none": "·"}


def _witness_name(w: dict) -> str:
    return " ".join(x for x in (w["date"], w["title"]) if x) or w["source"]


def track_terminal(view: dict, console) -> None:
    """A variant table for a terminal: each row's readings one under the
    other (a witness's label, its status against the witness before, its
    wording with the changes marked), then each speech's changes."""
    color = console.color_system is not None
    witnesses = view["witnesses"]
    found = sum(w["found"] for w in witnesses)
    print_wrapped(console, [(f"{view['query']}", "bold"),
                            (f"  {len(view['rows'])} rows × {len(witnesses)} speeches ({found} hold the passage)", "dim")])
    for w in witnesses:
        where = f"{w['section']['path']} {w['section']['heading']}" if w["section"] else ("" if w["found"] else "not found")
        print_wrapped(console, [(_witness_name(w), ""), (f"  {w['source']}  {where}", "dim")], first=[(f"  W{w['id']} ", "bold")])
    legend = ("初 first reading · 同 same · 改 edited · 填 template slots filled · 增 added · 删 dropped "
              "(against the speech before); * the majority reading")
    print_wrapped(console, [(legend, "dim")])
    for n, row in enumerate(view["rows"], 1):
        console.print()
        _emit_line(console, [(f"row {n}", "bold"), (f"  read by {sum(1 for c in row['cells'] if 'text' in c)} of {len(witnesses)}", "dim")])
        for w, cell in zip(witnesses, row["cells"]):
            if cell["status"] == "none":
                continue
            first = [(f"  W{w['id']} ", "bold"), (TRACK_LABEL[cell["status"]], "dim"), ("*" if cell["majority"] else " ", "bold"), (" ", "")]
            if "text" not in cell:
                print_wrapped(console, [("（此处删去）", "dim")], first=first)
                continue
            pieces = _cell_pieces(cell, "b", color) if cell["status"] in ("edited", "filled") else [(cell["text"], "")]
            print_wrapped(console, pieces, first=first)
    console.print()
    _emit_line(console, [("Changes against the speech before", "bold")])
    for w in witnesses:
        c = w["changes"]
        text = f"same {c['same']} · edited {c['edited']} · filled {c['filled']} · added {c['added']} · dropped {c['dropped']}"
        print_wrapped(console, [(text, "")], first=[(f"  W{w['id']} ", "bold")])
    if view.get("figures"):
        console.print()
        _emit_line(console, [("Figures that recur", "bold")])
        for f in view["figures"]:
            values = " | ".join(v["text"] if v else "—" for v in f["values"])
            print_wrapped(console, [(values, "")], first=[(f"  {f['frame']} ", "bold")])


def track_markdown(view: dict) -> str:
    witnesses = view["witnesses"]
    out = [f"# {md(view['query'])}\n", "| # | " + " | ".join(f"W{w['id']} {md(_witness_name(w))}" for w in witnesses) + " |",
           "|---:|" + "---|" * len(witnesses)]
    for n, row in enumerate(view["rows"], 1):
        cells = []
        for cell in row["cells"]:
            text = _md_cell(cell, "b") if cell["status"] in ("edited", "filled") else md(cell.get("text", ""))
            cells.append(f"{TRACK_LABEL[cell['status']]} {text}".strip() if cell["status"] != "none" else "")
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    if view.get("figures"):
        out += ["", "## Figures\n", "| frame | " + " | ".join(f"W{w['id']}" for w in witnesses) + " |", "|---|" + "---|" * len(witnesses)]
        for f in view["figures"]:
            out.append(f"| {md(f['frame'])} | " + " | ".join(md(v["text"]) if v else "—" for v in f["values"]) + " |")
    return "\n".join(out).rstrip() + "\n"


def _track_cell_html(cell: dict) -> Markup:
    if "text" not in cell:
        return Markup("")
    if cell["status"] in ("edited", "filled", "added"):
        return Markup("".join(f'<span class="{p["kind"]}">{escape(p["text"])}</span>' for p in cell["pieces"]))
    return escape(cell["text"])


def track_html(view: dict) -> str:
    return render_html("track.html.j2", view=view, cell_html=_track_cell_html, labels=TRACK_LABEL, name=_witness_name)
