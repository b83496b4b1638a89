"""Render views: terminal (rich), JSON, Markdown, HTML.

Everything here turns finished results into text; the computing a page
needs happens in ``compare.views``, and ``compare.formats`` decides which
function renders which view in which format.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Iterator

from markupsafe import Markup, escape

from .model import Speech


# ---------------------------------------------------------------- JSON


_SCALARS = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, looked up once per class


def to_jsonable(obj):
    """Dataclasses -> dicts, recursively, for json.dumps. (Scalars first and
    each class's fields looked up once: a 10,000-speech report has millions
    of values.)"""
    if isinstance(obj, _SCALARS):
        return obj
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        if all(isinstance(v, _SCALARS) for v in obj.values()):
            return obj  # as it is (2.6 M pair rows would be copied for nothing)
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):  # views.Rows
        return [to_jsonable(x) for x in obj]
    kind = type(obj)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
            return obj
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(obj))
    return {name: to_jsonable(getattr(obj, name)) for name in names}


def dumps(obj) -> str:
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2)


JSON_CHUNK = 1 << 20  # characters per chunk written, about (a piece is a token, or a whole speech, pair or entry)


def dump_chunks(obj) -> Iterator[str]:
    """``dumps(obj)`` in pieces of about JSON_CHUNK characters: a file is
    written while it is encoded, never held whole (a 30,000-speech report's
    JSON is some 300 MB of text, twice that as bytes). The lists of a
    top-level dict (``views.Rows`` among them, made row by row) are
    encoded element by element."""
    pieces: list[str] = []
    size = 0
    for piece in _stream(obj, json.JSONEncoder(ensure_ascii=False, indent=2)):
        pieces.append(piece)
        size += len(piece)
        if size >= JSON_CHUNK:
            yield "".join(pieces)
            pieces, size = [], 0
    if pieces:
        yield "".join(pieces)


def _stream(obj, encoder: json.JSONEncoder) -> Iterator[str]:
    """The encoder's text of ``obj``. A top-level dict is laid out here as
    the encoder lays out a dict at indent 2 ("{", each item on a new line
    two spaces in, "key: value", items joined by ",", "}" on its own line;
    a list the same one level deeper, "[]" when empty), a list value (or
    ``views.Rows``) element by element as they are made, each other value
    whole (``_text``, or the encoder where that declines). A newline only
    ever stands between tokens: inside strings the encoder writes \\n."""
    from .views import Rows

    laid_out = isinstance(obj, dict) and all(isinstance(name, str) for name in obj)
    if not laid_out:
        if isinstance(obj, dict) and any(isinstance(value, Rows) for value in obj.values()):
            raise TypeError("report data keys are text")  # (the encoder would hold every row at once)
        yield from encoder.iterencode(to_jsonable(obj))
        return

    def alone(value, level: int) -> Iterator[str]:
        value = to_jsonable(value)
        text = _text(value, level)
        if text is not None:
            yield text
            return
        newline = _indent(level)
        for piece in encoder.iterencode(value):
            yield piece.replace("\n", newline)

    if not obj:
        yield "{}"
        return
    yield "{"
    for n, (name, value) in enumerate(obj.items()):
        yield ("," if n else "") + "\n  " + encoder.encode(name) + ": "
        if not isinstance(value, (Rows, list, tuple)):
            yield from alone(value, 1)
        elif not len(value):
            yield "[]"
        elif isinstance(value, Rows) and value.columns is not None:
            yield "["
            for lo in range(0, len(value), ROWS_BLOCK):
                hi = min(lo + ROWS_BLOCK, len(value))
                texts = _row_texts(*value.columns(lo, hi), 2)
                if texts is None:  # a value only the encoder writes: these rows one by one
                    texts = ["".join(alone(row, 2)) for row in value[lo:hi]]
                yield ("," if lo else "") + "\n    " + ",\n    ".join(texts)
            yield "\n  ]"
        else:
            yield "["
            for m, row in enumerate(value):
                yield ("," if m else "") + "\n    "
                yield from alone(row, 2)
            yield "\n  ]"
    yield "\n}"


_INDENTS = ["\n" + "  " * level for level in range(16)]


def _indent(level: int) -> str:
    return _INDENTS[level] if level < len(_INDENTS) else "\n" + "  " * level


_CONSTANTS = {type(None): "null", True: "true", False: "false"}
_INFINITIES = (float("inf"), float("-inf"))


ROWS_BLOCK = 20_000  # rows laid out at once from their columns (views.Rows.columns): a few MB of text


def _row_texts(names, columns: list[list], level: int) -> list[str] | None:
    """Each row of ``columns`` (one list of values per name) as ``_text``
    writes the dict of its values at ``level``: the names' part of the
    layout made once, each value written once; None where ``_text``
    declines a value or a name, or there is none or one twice."""
    if not names or any(type(name) is not str for name in names) or len(set(names)) < len(names):
        return None  # (no names: the columns do not say how many rows; a name twice: a dict keeps the last)
    inner = _indent(level + 1)
    heads = ["{" + inner] + ["," + inner] * (len(names) - 1)
    layout = "".join((head + json.encoder.encode_basestring(name) + ": ").replace("%", "%%") + "%s"
                     for head, name in zip(heads, names)) + _indent(level) + "}"
    texts = []
    for column in columns:
        text = _column_texts(column, level + 1)
        if text is None:
            return None
        texts.append(text)
    return [layout % row for row in zip(*texts)]


def _column_texts(column: list, level: int) -> list[str] | None:
    """``_text`` of each value; a column of one plain type at once."""
    kinds = set(map(type, column))
    if kinds == {int}:
        return list(map(int.__repr__, column))
    if kinds == {float} and all(map(math.isfinite, column)):
        return list(map(float.__repr__, column))
    if kinds == {type(None)}:
        return ["null"] * len(column)
    text = [_text(v, level) for v in column]
    return None if None in text else text


def _text(value, level: int) -> str | None:
    """``value`` (as ``to_jsonable`` leaves it) as the encoder writes it at
    indent 2 when it stands ``level`` levels deep, without the pure-Python
    encoder's generator per token (which it uses whenever it indents: the
    speeches, pairs and phrasebook of a 30,000-speech report are ~60 s of
    it); None for anything it writes otherwise or refuses: NaN and the
    infinities, keys other than text, types other than JSON's (subclasses
    too). A property test holds it to ``json.dumps(indent=2)``."""
    kind = type(value)
    if kind is str:
        return json.encoder.encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value or value in _INFINITIES:
            return None
        return float.__repr__(value)
    if kind is bool or value is None:
        return _CONSTANTS[value if kind is bool else kind]
    if kind is dict:
        if not value:
            return "{}"
        inner, parts = _indent(level + 1), []
        for name, item in value.items():
            text = _text(item, level + 1) if type(name) is str else None
            if text is None:
                return None
            parts.append(inner + json.encoder.encode_basestring(name) + ": " + text)
        return "{" + ",".join(parts) + _indent(level) + "}"
    if kind is list:
        if not value:
            return "[]"
        inner, parts = _indent(level + 1), []
        for item in value:
            text = _text(item, level + 1)
            if text is None:
                return None
            parts.append(inner + text)
        return "[" + ",".join(parts) + _indent(level) + "]"
    return None


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
    # a paragraph starts at the speech's start or after a line break (ingest
    # joins a paragraph's lines; units of one paragraph are separated by nothing)
    para = index == 0 or "\n" in text[side.units[index - 1].end:unit.start]
    return {
        "index": index,
        "text": unit.text,
        "start": unit.start,
        "end": unit.end,
        "path": unit.path,
        "pieces": [{"text": text[p.start:p.end], "kind": p.kind} for p in side.pieces.get(index, [])],
        "partner": partner,
        "label": side.rule.labels[index] if side.rule is not None else None,  # the boilerplate rule's
        "heading": unit.heading,  # a section's heading line, not a sentence of its text
        "para": para,
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
    from .model import gc_paused

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

    # the figures an edit touches (matches never overlap, so each is judged
    # on the pieces as given); with none, the pieces only merge, with no
    # piece per character (23,000 sentences of a long pair)
    edits, at = [], 0
    for t, k in pieces:
        if k == "edit" and t:
            edits.append((at, at + len(t)))
        at += len(t)
    widen = []
    if edits:
        text = "".join(t for t, _ in pieces)
        widen = [m.span() for m in NUMBER.finditer(text) if any(a < m.end() and m.start() < b for a, b in edits)]
    if widen:  # one piece per character, the figures' characters edits
        kinds = [k for t, k in pieces for _ in t]
        for start, end in widen:
            kinds[start:end] = ["edit"] * (end - start)
        pieces = list(zip(text, kinds))
    out: list[tuple[str, str]] = []
    for t, k in pieces:  # neighbours of one kind merged, empty pieces dropped
        if not t:
            continue
        if out and out[-1][1] == k:
            out[-1] = (out[-1][0] + t, k)
        else:
            out.append((t, k))
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


# ---------------------------------------------------------------- the diff page
#
# The page is built here, escaped with markupsafe (what Jinja's autoescape
# uses): thousands of sentences through template macros cost more than the
# diff. The template lays out the header, legend, sidebar and tables.
#
# Layout: a section pair is a sticky header (its heading lines, with their
# changes) and rows. A row is a pair of sentences side by side; a run of
# sentences only one speech has (A-only, B-only, or moved here from another
# section) is packed into one row, A's run left and B's right, flowing as
# paragraphs, as a split diff packs removed and added lines. Consecutive
# sections that only one speech has (A's 二（一）…（四） that B replaced by
# its own) are packed the same way: A's column beside B's.

FOLD_MIN = 3  # identical sentences in a row that fold into one line (fewer read faster than a fold)

_NOT_WORD = re.compile(r"[\W_]+")  # punctuation, symbols, spaces: what is left is letters, digits and CJK

# Variant characters OpenCC's tables leave as they are (Unihan z/semantic
# variants that web copies use): mapped onto the form a simplified text uses.
EXTRA_VARIANTS = str.maketrans({"陜": "陕", "吿": "告", "㑹": "会", "値": "值", "緖": "绪", "兎": "兔"})


@functools.cache
def _variant_converters():
    import opencc

    # regional and Japanese forms to traditional, then traditional to simplified
    return [opencc.OpenCC(c) for c in ("jp2t", "hk2t", "tw2t", "t2s")]


@functools.lru_cache(maxsize=8192)  # edits recur (、 ，); bounded, as a long diff has many distinct ones
def variant_form(text: str) -> str:
    """``text`` without punctuation and spaces, its variant characters (陜,
    峯, 綫, full-width forms) replaced by the standard simplified ones: two
    wordings with the same variant form differ only in punctuation or in how
    a character is written."""
    import unicodedata

    text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text)).translate(EXTRA_VARIANTS)
    if text.isascii():
        return text
    for converter in _variant_converters():
        text = converter.convert(text)
    return text


def _edit_groups(pieces: list[dict]) -> dict[int, list[int]]:
    """The edit pieces of a paired sentence by where they sit in the text both
    sides share: the number of shared characters before them (a filled slot
    counting as one, since the placeholder and its value differ in length).
    A's and B's edits at the same position replace each other."""
    groups: dict[int, list[int]] = {}
    pos = 0
    for i, p in enumerate(pieces):
        if p["kind"] == "edit":
            groups.setdefault(pos, []).append(i)
        elif p["kind"] == "fill":
            pos += 1
        else:
            pos += len(p["text"])
    return groups


def minor_edits(a: dict, b: dict) -> tuple[set[int], set[int]]:
    """Indices of the edit pieces of two paired sentences that are minor: the
    edits at one position differ only in punctuation or variant characters
    (、 added; 陜/陕)."""
    groups_a, groups_b = _edit_groups(a["pieces"]), _edit_groups(b["pieces"])
    minor_a: set[int] = set()
    minor_b: set[int] = set()
    for pos in groups_a.keys() | groups_b.keys():
        ia, ib = groups_a.get(pos, []), groups_b.get(pos, [])
        text_a = "".join(a["pieces"][i]["text"] for i in ia)
        text_b = "".join(b["pieces"][i]["text"] for i in ib)
        if variant_form(text_a) == variant_form(text_b):
            minor_a.update(ia)
            minor_b.update(ib)
    return minor_a, minor_b


_CLASS = {"same": "s", "edit": "e", "minor": "m", "fill": "f", "local": "", "mark": ""}


def _spans(pieces: list[tuple[str, str]]) -> str:
    out = []
    for text, kind in pieces:
        cls = _CLASS.get(kind, "")
        out.append(f'<span class="{cls}">{escape(text)}</span>' if cls else str(escape(text)))
    return "".join(out)


class _DiffPage:
    """Builds the HTML of one diff view's text (see the layout note above)."""

    def __init__(self, view: dict):
        self.view = view
        # where each sentence is: for links to a moved sentence's partner
        self.where: dict[tuple[str, int], dict] = {}
        for sec in view["sections"]:
            for row in sec["rows"]:
                for side in ("a", "b"):
                    if row[side] is not None:
                        self.where[(side, row[side]["index"])] = sec
        self.changes = 0

    # -- one sentence

    def sentence(self, cell: dict, side: str, minor: set[int] = frozenset(), row_partner: int | None = None,
                 tag: str = "span", cls: str = "u") -> str:
        pieces = [(p["text"], "minor" if i in minor else p["kind"]) for i, p in enumerate(cell["pieces"])]
        body = _spans(whole_figures(pieces))
        link = ""
        partner = cell["partner"]
        if partner is not None and partner != row_partner:  # the partner is elsewhere: say where, link to it
            other = "b" if side == "a" else "a"
            sec = self.where.get((other, partner))
            place = (sec[other]["path"] if sec and sec[other] else "") or "开场"
            link = (f' <a class="mv" href="#{other}-{partner}" title="这句移到了{other.upper()}的 {escape(place)}">'
                    f'↗{other.upper()} {escape(place)}</a>')
        if cell["heading"]:
            cls += " hd"
        return f'<{tag} class="{cls}" id="{side}-{cell["index"]}">{body}{link}</{tag}>'

    # -- rows

    def pair_row(self, row: dict) -> str:
        a, b = row["a"], row["b"]
        minor_a, minor_b = minor_edits(a, b) if row["status"] != "identical" else (set(), set())
        kinds = {p["kind"] for cell in (a, b) for p in cell["pieces"]}
        edits = sum(p["kind"] == "edit" for cell in (a, b) for p in cell["pieces"])
        only_minor = edits > 0 and edits == len(minor_a) + len(minor_b) and "fill" not in kinds
        status = row["status"]
        cls = ["r", status]
        badge = ""
        if edits == 0 and "fill" not in kinds:
            cls.append("eq")
        elif only_minor:
            cls.append("minor")
            badge = '<span class="badge" title="只改了标点或字形（异体字、繁简、全角半角）">小改</span>'
        else:
            cls.append("chg")
            self.changes += 1
            badge = {"rewritten": '<span class="badge" title="同一句改写：相似但改动较多">改写</span>',
                     "moved": '<span class="badge" title="与另一节的句子对应">移位</span>'}.get(status, "")
        if "fill" in kinds:
            cls.append("fl")
        title = f' title="相似度 {row["similarity"]:.2f}"' if status != "identical" else ""
        return (f'<div class="{" ".join(cls)}"{title}><div class="c a">{badge}{self.sentence(a, "a", minor_a, b["index"])}</div>'
                f'<div class="c b">{self.sentence(b, "b", minor_b, a["index"])}</div></div>')

    def paragraphs(self, cells: list[dict], side: str) -> str:
        """One side's sentences as paragraphs (a heading line its own)."""
        out, prev = [], None
        for cell in cells:
            new = prev is None or cell["para"] or cell["heading"] or prev["heading"] or cell["index"] != prev["index"] + 1
            if new:
                if out:
                    out.append("</p>")
                out.append('<p class="hd">' if cell["heading"] else "<p>")
            out.append(self.sentence(cell, side))
            prev = cell
        if out:
            out.append("</p>")
        return "".join(out)

    def packed_row(self, rows: list[dict]) -> str:
        a = [r["a"] for r in rows if r["a"] is not None]
        b = [r["b"] for r in rows if r["b"] is not None]
        self.changes += 1
        return (f'<div class="r pk chg"><div class="c a{"" if a else " no"}">{self.paragraphs(a, "a")}</div>'
                f'<div class="c b{"" if b else " no"}">{self.paragraphs(b, "b")}</div></div>')

    def fold(self, rows: list[dict]) -> str:
        inner = "".join(self.pair_row(r) for r in rows)
        first = rows[0]["a"]["text"]
        preview = escape(first[:24] + ("…" if len(first) > 24 else ""))
        return (f'<details class="fold"><summary><span class="eqn">{len(rows)} 句相同</span> '
                f'<span class="pv">{preview}</span></summary>{inner}</details>')

    def rows(self, rows: list[dict]) -> str:
        """Rows of a section: identical runs folded, one-sided runs packed."""
        out: list[str] = []
        run: list[dict] = []  # rows of one kind waiting to be written
        kind = None

        def flush():
            if not run:
                return
            if kind == "one":
                out.append(self.packed_row(run))
            elif kind == "eq" and len(run) >= FOLD_MIN:
                out.append(self.fold(run))
            else:
                out.extend(self.pair_row(r) for r in run)
            run.clear()

        for row in rows:
            if row["a"] is None or row["b"] is None:
                k = "one"
            elif row["status"] == "identical" and row["a"]["text"] == row["b"]["text"] and not _has_fill(row):
                k = "eq"  # the same text: nothing in it differs, so it may fold
            else:
                k = "pair"
            if k != kind or k == "pair":
                flush()
                kind = k
            run.append(row)
        flush()
        return "".join(out)

    # -- sections

    def header_side(self, sec: dict, side: str, cell: dict | None, minor: set[int] = frozenset(), partner: int | None = None) -> str:
        if cell is not None:
            return self.sentence(cell, side, minor, partner)
        meta = sec[side]
        if meta is None:
            return f'<span class="none">{side.upper()} 无对应的节</span>'
        if not meta["heading"]:
            return f'<span class="hd">{escape(meta["path"] or "开场")}</span>'
        return f'<span class="hd"><b>{escape(meta["path"])}</b> {escape(meta["heading"])}</span>'

    def section(self, sec: dict) -> str:
        rows = sec["rows"]
        head_a = head_b = None
        minor_a = minor_b = frozenset()
        if rows and rows[0]["status"] == "heading":
            head_a, head_b = rows[0]["a"], rows[0]["b"]
            if head_a and head_b:
                minor_a, minor_b = minor_edits(head_a, head_b)
            rows = rows[1:]
        score = (f'<span class="sc" title="{escape(section_why(sec))}">节相似度 {sec["score"]:.2f}</span>'
                 if sec["a"] and sec["b"] else "")
        a = self.header_side(sec, "a", head_a, minor_a, head_b["index"] if head_b else None)
        b = self.header_side(sec, "b", head_b, minor_b, head_a["index"] if head_a else None)
        return (f'<section class="sec" id="sec-{sec["id"]}"><div class="sh"><div class="c a">'
                f'<a class="pl" href="#sec-{sec["id"]}" title="本节的链接">§</a>{a}</div><div class="c b">{score}{b}</div></div>'
                f'{self.rows(rows)}</section>')

    def solo(self, sec: dict, side: str) -> str:
        """A section only one speech has, in its column of a packed group."""
        cells = [r[side] for r in sec["rows"]]
        head = ""
        if cells and cells[0]["heading"]:
            head, cells = self.sentence(cells[0], side), cells[1:]
        else:
            head = self.header_side(sec, side, None)
        note = ""
        if sec["part_of"]:
            p = sec["part_of"]
            note = (f'<span class="sc" title="{escape(section_why(sec))}">并入/拆自 {p["side"].upper()} '
                    f'{escape(p["marker"])}{escape(p["heading"][:12])}</span>')
        self.changes += 1
        return (f'<section class="sec solo chg" id="sec-{sec["id"]}"><div class="sh"><div class="c {side}">'
                f'{note}<a class="pl" href="#sec-{sec["id"]}" title="本节的链接">§</a>{head}</div></div>'
                f'<div class="c {side}">{self.paragraphs(cells, side)}</div></section>')

    @staticmethod
    def solo_side(sec: dict) -> str | None:
        """'a' or 'b' if only that speech has the section (and every row of it)."""
        for side, other in (("a", "b"), ("b", "a")):
            if sec[side] is not None and sec[other] is None and all(r[other] is None and r[side] is not None for r in sec["rows"]):
                return side
        return None

    def body(self) -> str:
        out: list[str] = []
        group: list[tuple[str, dict]] = []

        def flush():
            if not group:
                return
            cols = {side: "".join(self.solo(sec, side) for s, sec in group if s == side) for side in ("a", "b")}
            out.append(f'<div class="grp"><div class="col a{"" if cols["a"] else " no"}">{cols["a"]}</div>'
                       f'<div class="col b{"" if cols["b"] else " no"}">{cols["b"]}</div></div>')
            group.clear()

        for sec in self.view["sections"]:
            side = self.solo_side(sec)
            if side:
                group.append((side, sec))
                continue
            flush()
            out.append(self.section(sec))
        flush()
        return "".join(out)

    def toc(self) -> list[dict]:
        """The sidebar: each section's last path label and heading, its depth, its kind."""
        items = []
        for sec in self.view["sections"]:
            a, b = sec["a"], sec["b"]
            main = a or b
            path = main["path"] or "开场"
            label = path.split(" > ")[-1]
            if a and b and a["path"] != b["path"]:
                label = f'{label}⇄{(b["path"] or "开场").split(" > ")[-1]}'
            same = bool(sec["rows"]) and all(r["a"] and r["b"] and r["a"]["text"] == r["b"]["text"] for r in sec["rows"])
            kind = "a" if not b else "b" if not a else "eq" if same else "pair"
            items.append({"id": sec["id"], "label": label, "heading": main["heading"], "depth": path.count(" > "),
                          "kind": kind, "title": f'{path} {main["heading"]}'.strip()})
        return items


def diff_html(view: dict, summaries: tuple | None = None, report: dict | None = None) -> str:
    """The diff page. ``report`` (a report's pairwise diff): {"href": the
    report's URL relative to this page, "a"/"b": the speeches' numbers in it}."""
    from .model import gc_paused

    with gc_paused():
        page = _DiffPage(view)
        body = Markup(page.body())
        fills = [{**f, "pieces": _fill_context(f)} for f in view["fills"]]
        return render_html("diff.html.j2", view=view, body=body, toc=page.toc(), changes=page.changes,
                           summaries=summaries, report=report, fills=fills)


def _fill_context(fill: dict) -> list[tuple[str, str]]:
    """A fill's context (…〔XX〕…) as pieces, the placeholder marked."""
    m = re.search(r"〔([^〕]*)〕", fill["context"])
    if not m:
        return [(fill["context"], "")]
    return [(fill["context"][:m.start()], ""), (m.group(1), "f"), (fill["context"][m.end():], "")]


# ---------------------------------------------------------------- corpus reports


def _version() -> str:
    from . import __version__

    return __version__


MATRIX_LIMIT = 80  # above this many speeches the report lists neighbours instead of a heatmap
# The matrix's colour scale: (lower bound, class); a cell shows its figure
# from CELL_FIGURE up, below it only its colour (hover for the figure).
MATRIX_STEPS = ((0.75, "h5"), (0.5, "h4"), (0.25, "h3"), (0.1, "h2"), (0.01, "h1"))
CELL_FIGURE = 0.05


def _heat(value: float) -> str:
    return next((cls for bound, cls in MATRIX_STEPS if value >= bound), "")


def speech_name(s: dict) -> dict:
    """How a page names a speech: its title, else its file name and #N; the
    full description for hover. ``short`` may be cut by CSS, ``no`` never."""
    if s.get("title"):
        short, no = s["title"], ""
    else:
        file, _, n = s["source"].rpartition("#")
        short, no = (file, f"#{n}") if file and n.isdigit() else (s["source"], "")
    full = " · ".join(x for x in (s.get("title"), s.get("date"), s.get("speaker"), s["source"]) if x)
    return {"short": short, "no": no, "full": full}


def report_html(view: dict) -> str:
    speeches = view["speeches"]
    n = len(speeches)
    names = {s["id"]: speech_name(s) for s in speeches}
    diffs = {(p["a"], p["b"]): p["diff"] for p in view["pairs"] if p["diff"]}
    matrix = None
    if n <= MATRIX_LIMIT:
        matrix = [[None] * n for _ in range(n)]
        for p in view["pairs"]:
            a, b = p["a"] - 1, p["b"] - 1
            matrix[a][b] = {"value": p["shared_a"], "diff": p["diff"], "other": b + 1, "heat": _heat(p["shared_a"])}
            matrix[b][a] = {"value": p["shared_b"], "diff": p["diff"], "other": a + 1, "heat": _heat(p["shared_b"])}
    neighbours: dict[int, list[dict]] = {s["id"]: [] for s in speeches}
    for p in view["pairs"]:  # sorted most shared first
        for me, other, share in ((p["a"], p["b"], p["shared_a"]), (p["b"], p["a"], p["shared_b"])):
            if len(neighbours[me]) < 5 and share >= 0.01:
                neighbours[me].append({"id": other, "shared": share, "diff": p["diff"]})
    phrasebook = [{**e, "occurrences": [_occurrence_link(o, e["speeches"], diffs) for o in e["occurrences"]]}
                  for e in view["phrasebook"]]
    return render_html("report.html.j2", view=view, matrix=matrix, neighbours=neighbours, names=names,
                       phrasebook=phrasebook, steps=MATRIX_STEPS, cell_figure=CELL_FIGURE)


def _occurrence_link(o: dict, holders: list[int], diffs: dict) -> dict:
    """A phrasebook occurrence with where to read it: the sentence in a
    pairwise diff with another speech holding the entry, when such a page was
    written; else the speech's part of the report."""
    me = o["speech"]
    for other in holders:
        pair = (min(me, other), max(me, other))
        if other != me and pair in diffs:
            side = "a" if me == pair[0] else "b"
            return {**o, "href": f"{diffs[pair]}#{side}-{o['unit']}", "with": other}
    return {**o, "href": f"#s{me}", "with": None}


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


AGAINST_CLASS = {"boilerplate": "bp", "edited": "ed", "local": "lo"}
NEAREST_FLOOR = 0.005  # a neighbour sharing less than this (0% when rounded) is not near


def _holders(sentence: dict, known: dict) -> list[dict]:
    """The corpus speeches holding a sentence, when the data names them
    (``speeches``: ids, or dicts with id/source/title/date)."""
    out = []
    for h in sentence.get("speeches") or []:
        h = known.get(h, {"id": h, "source": f"#{h}", "title": "", "date": ""}) if not isinstance(h, dict) else h
        out.append({**h, "name": speech_name({"title": h.get("title", ""), "date": h.get("date", ""), "source": h.get("source", f"#{h.get('id')}")})})
    return out


def against_html(view: dict) -> str:
    """A speech marked against a corpus: its paragraphs kept (a gap between
    two sentences' offsets is a line break), each sentence classed by the
    boilerplate rule's label when the data has one (else reused/new), its
    use count a badge, the speeches holding it listed when the data names them."""
    known = {nb["id"]: nb for nb in view["nearest"] if "id" in nb}
    blocks: list[dict] = []  # {"path": new section path or None, "heading": bool, "sentences": [...]}
    prev = None
    holders_list = []
    for i, s in enumerate(view.get("sentences") or []):
        label = s.get("label") or ("boilerplate" if s["reused"] else "local")
        holders = _holders(s, known)
        sent = {**s, "i": i, "cls": AGAINST_CLASS.get(label, "lo"), "label": label, "holders": holders}
        if holders:
            holders_list.append(sent)
        new_section = prev is None or s["path"] != prev["path"]
        if new_section or s["heading"] or prev["heading"] or s["start"] > prev["end"]:
            blocks.append({"path": s["path"] if new_section else None, "heading": s["heading"], "sentences": []})
        blocks[-1]["sentences"].append(sent)
        prev = s
    nearest = [{**nb, "name": speech_name(nb)} for nb in view["nearest"] if nb["shared"] >= NEAREST_FLOOR]
    return render_html("against.html.j2", view=view, blocks=blocks, nearest=nearest, holders=holders_list,
                       name=speech_name({"title": view["title"], "source": view["source"]}))


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
    if view.get("series"):
        out += ["", f"## Series ({len(view['series'])})\n"]
        out += [f"- {md(line)}" + (f" ([evolution]({s['page']}))" if s.get("page") else "") for line, s in zip(series_lines(view), view["series"])]
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
    if view.get("series"):
        console.print(f"[bold]Series[/bold] ({len(view['series'])}: dated speeches of one title or speaker)")
        for line in series_lines(view):
            print_wrapped(console, [(line, "")], first=[("  · ", "")], indent=4)
    console.print("[dim]Write everything with -o report.html (pairwise diffs and series pages next to it), .json, .md or .csv.[/dim]")


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


TRACK_WORDS = {"first": "首见", "same": "同", "edited": "改", "filled": "填", "added": "增", "absent": "删", "none": ""}
TRACK_TITLES = {"first": "第一次出现（后面各篇与它比较）", "same": "与前一篇相同", "edited": "与前一篇相比改了字句",
                "filled": "与前一篇相比只填了模板的空", "added": "前一篇没有，这一篇新增", "absent": "前一篇有，这一篇删去",
                "none": "这一篇没有这一句"}


def _track_cell_html(cell: dict) -> Markup:
    """A reading: its changes against the witness before marked (edit: what
    this speech wrote differently; fill: template slots it filled)."""
    if "text" not in cell:
        return Markup("")
    if cell["status"] in ("edited", "filled"):
        pieces = whole_figures([(p["text"], p["kind"]) for p in cell["pieces"]])
        return Markup(_spans([(text, "" if kind == "local" else kind) for text, kind in pieces]))
    return escape(cell["text"])


TRACK_SHOWN = 3  # sentences of a packed run shown before the rest folds (open-able, printed open)


def _track_rows(rows: list[dict]) -> list[dict]:
    """Rows of the variant table as shown. Most of a real series is text one
    speech has and the next one dropped (a row read by W5, dropped by W6,
    nothing elsewhere); consecutive rows with the same pattern — one reading,
    the same status in every column — are packed into one row, the reading's
    sentences flowing in its cell (after TRACK_SHOWN of them the rest folds),
    as the diff page packs one-sided runs. Every row keeps its anchor r<N>."""
    def pattern(row):
        read = [j for j, c in enumerate(row["cells"]) if "text" in c]
        return (read[0], tuple(c["status"] for c in row["cells"])) if len(read) == 1 else None

    groups: list[tuple[object, list[tuple[int, dict]]]] = []
    for n, row in enumerate(rows, 1):
        p = pattern(row)
        if p is not None and groups and groups[-1][0] == p:
            groups[-1][1].append((n, row))
        else:
            groups.append((p, [(n, row)]))
    out = []
    for p, members in groups:
        n0, row0 = members[0]
        cells = [{**c, "html": _track_cell_html(c)} for c in row0["cells"]]
        if len(members) > 1:
            j = p[0]
            parts = [_track_cell_html(r["cells"][j]) if i == 0 else Markup(f'<span id="r{n}">{_track_cell_html(r["cells"][j])}</span>')
                     for i, (n, r) in enumerate(members)]
            html = Markup("").join(parts[:TRACK_SHOWN])
            if len(parts) > TRACK_SHOWN:
                html += Markup(f'<details class="more"><summary>还有 {len(parts) - TRACK_SHOWN} 句</summary>') + Markup("").join(parts[TRACK_SHOWN:]) + Markup("</details>")
            cells[j]["html"] = html
        out.append({"numbers": [n for n, _ in members], "cells": cells, "read": sum(1 for c in row0["cells"] if "text" in c)})
    return out


def track_html(view: dict) -> str:
    names = [{**speech_name(w), "date": w["date"]} for w in view["witnesses"]]
    return render_html("track.html.j2", view=view, rows=_track_rows(view["rows"]), words=TRACK_WORDS, titles=TRACK_TITLES,
                       names=names, name=_witness_name)


# ---------------------------------------------------------------- a series and its evolution

SHARE_KINDS = ("boilerplate", "edited", "fill", "local")
SHARE_WORDS = {"boilerplate": "套话", "edited": "改写的套话", "fill": "填入", "local": "本地"}
PRESENCE_MARK = {"present": "●", "persisted": "●", "appeared": "＋", "returned": "↺", "disappeared": "✕", "absent": ""}
PRESENCE_WORDS = {"present": "有（系列第一篇）", "persisted": "延续：上一篇也有", "appeared": "新出现：此前各篇都没有",
                  "returned": "恢复：上一篇没有，更早的有", "disappeared": "消失：上一篇有，本篇没有", "absent": "没有"}
PRESENCE_SHORT = {"present": "有", "persisted": "延续", "appeared": "新出现", "returned": "恢复", "disappeared": "消失", "absent": "没有"}
# The share chart's layout, in percent of its width: year labels, then the
# bars, then each speech's reused share (boilerplate + edited) as a figure.
# Percentages, not a viewBox, so the text keeps its size at any width.
CHART_BARS = (15.0, 85.0)
CHART_ROW, CHART_BAR, CHART_TOP = 26, 16, 22  # px: a row, a bar in it, the axis labels above


def _year_labels(members: list[dict]) -> list[str]:
    """A column label per speech: its year, or its date where two share a year."""
    from collections import Counter

    labels = [str(m["year"]) for m in members]
    for cut in (2, 3):  # year, then year.month, then year.month.day where those still collide
        seen = Counter(labels)
        labels = [label if seen[label] == 1 else ".".join(re.findall(r"\d+", m["date"])[:cut]) or label
                  for label, m in zip(labels, members)]
    return labels


def share_chart(series: dict, labels: list[str]) -> dict:
    """Where the share chart draws: a row per speech, its four shares as
    stacked segments (x and width in percent), the axis ticks."""
    lo, hi = CHART_BARS
    rows = []
    for k, (sh, label) in enumerate(zip(series["shares"], labels)):
        x, segments = lo, []
        for kind in SHARE_KINDS:
            width = sh.get(kind, 0.0) * (hi - lo)
            if width > 0:
                segments.append({"kind": kind, "x": round(x, 3), "w": round(width, 3), "share": sh.get(kind, 0.0)})
            x += width
        y = CHART_TOP + k * CHART_ROW
        rows.append({"label": label, "y": y, "text_y": y + CHART_BAR - 3, "segments": segments,
                     "reused": sh.get("boilerplate", 0.0) + sh.get("edited", 0.0), "speech": sh["speech"]})
    ticks = [{"x": round(lo + f * (hi - lo), 3), "label": f"{f:.0%}"} for f in (0, 0.25, 0.5, 0.75, 1)]
    return {"rows": rows, "ticks": ticks, "height": CHART_TOP + len(rows) * CHART_ROW + 4, "bar": CHART_BAR,
            "lo": lo, "hi": hi, "top": CHART_TOP - 6}


def evolution_html(view: dict) -> str:
    series = view["series"]
    labels = _year_labels(series["members"])
    return render_html("evolution.html.j2", view=view, series=series, labels=labels, chart=share_chart(series, labels),
                       marks=PRESENCE_MARK, words=PRESENCE_WORDS, short=PRESENCE_SHORT, kinds=SHARE_KINDS, share_words=SHARE_WORDS,
                       names={m["id"]: speech_name(m) for m in series["members"]})


def series_lines(view: dict) -> list[str]:
    """One line per series for the text and Markdown reports."""
    out = []
    for s in view.get("series", []):
        years = f"{s['years'][0]}–{s['years'][-1]}" if s["years"][0] != s["years"][-1] else str(s["years"][0])
        first, last = s["shares"][0], s["shares"][-1]
        reused = lambda sh: sh["boilerplate"] + sh["edited"]
        kept = "; ".join(f"{p['heading']} {p['present']}/{s['speech_count']}" for p in s["persistent"])
        out.append(f"{s['name']} ({s['speech_count']} speeches {years}: {' '.join(f'#{i}' for i in s['speeches'])}): "
                   f"boilerplate {_pct(reused(first))} → {_pct(reused(last))}"
                   + (f"; longest-lived sections: {kept}" if kept else ""))
    return out


# ---------------------------------------------------------------- a report as a folder of pages

FOLDER_LIMIT = 300
# Above this many speeches an HTML report is a folder, not one page. The one
# page lists every speech with its summary, what is new and its neighbours
# (about 6 KB a speech, plus the matrix up to MATRIX_LIMIT): 300 speeches
# make a page of about 2 MB, what a browser still opens without a wait.
# In the folder no page holds more than the fixed numbers below, so every
# page stays small however large the corpus (tests/test_engine_pages.py
# renders each kind of page for 100,000 speeches).
FOLDER_NAME = r"index\.html|list-\d{4,}\.html|[sf]\d{6,}\.html|\d{3,}-\d{3,}\.html"  # what a report folder holds
LIST_PAGE = 500  # speeches per list page (~1.4 KB a row: its name, figures and shares bar)
INDEX_FAMILIES = 100  # the largest families on the index page
INDEX_PAIRS = 100  # the most related pairs on the index page
BOOK_HOLDERS = 12  # speech numbers shown per phrasebook entry (its count is shown too)
BOOK_OCCURRENCES = 5  # keyword-in-context lines per phrasebook entry on the index page
PAGE_NEIGHBOURS = 20  # most related speeches on a speech's page
PAGE_PHRASES = 30  # phrasebook entries listed on a speech's page
FAMILY_ROWS = 500  # members listed on a family's page (a row as on a list page)


def _page_name(kind: str, number: int) -> str:
    return f"{kind}{number:06d}.html"


class ReportFolder:
    """The pages of a report written as a folder, from ``report_data``'s
    plain data (``view``). ``to``: the URL prefix from the index page to the
    folder ("" when the index is inside it); ``home``: the index page's URL
    from a page in the folder. Built once (per speech: its family, its
    nearest speeches and its phrasebook entries, each list cut to the
    constants above); each page is rendered on demand."""

    def __init__(self, view: dict, to: str = "", home: str = "index.html"):
        self.view, self.to, self.home = view, to, home
        speeches = view["speeches"]
        self.names = {s["id"]: speech_name(s) for s in speeches}
        self.family_of = {i: f for f, group in enumerate(view["near_duplicate_groups"], 1) for i in group}
        self.near: dict[int, list[dict]] = {}
        self.near_total: dict[int, int] = defaultdict(int)
        for p in view["pairs"]:  # sorted most shared first
            for me, other, share in ((p["a"], p["b"], p["shared_a"]), (p["b"], p["a"], p["shared_b"])):
                self.near_total[me] += 1
                mine = self.near.setdefault(me, [])
                if len(mine) < PAGE_NEIGHBOURS:
                    mine.append({"id": other, "shared": share, "diff": p["diff"]})
        for mine in self.near.values():
            mine.sort(key=lambda nb: -nb["shared"])
        self.book = []
        self.phrases: dict[int, list[dict]] = {}
        self.phrases_total: dict[int, int] = defaultdict(int)
        for number, e in enumerate(view["phrasebook"], 1):
            entry = {"number": number, "kind": e["kind"], "text": e["text"], "frame": e["frame"], "families": e["families"],
                     "variants": e["variants"], "speeches": e["speeches"], "shown": e["speeches"][:BOOK_HOLDERS],
                     "kwic": e["occurrences"][:BOOK_OCCURRENCES]}
            self.book.append(entry)
            for i in e["speeches"]:
                self.phrases_total[i] += 1
                mine = self.phrases.setdefault(i, [])
                if len(mine) < PAGE_PHRASES:
                    mine.append(entry)
        n = len(speeches)
        self.lists = [{"number": k + 1, "file": f"list-{k + 1:04d}.html", "first": lo + 1, "last": min(n, lo + LIST_PAGE)}
                      for k, lo in enumerate(range(0, n, LIST_PAGE))]
        self.figures = {"speeches": n, "families": len(view["near_duplicate_groups"]), "pairs": len(view["pairs"]),
                        "boilerplate": sum(s["boilerplate"] for s in speeches) / (n or 1)}

    def _render(self, page: str, to: str, home: str, title: str, **context) -> str:
        return render_html("report_folder.html.j2", page=page, view=self.view, names=self.names, family_of=self.family_of,
                           lists=self.lists, figures=self.figures, to=to, home=home, title=title, **context)

    def index(self) -> str:
        groups = sorted(enumerate(self.view["near_duplicate_groups"], 1), key=lambda g: (-len(g[1]), g[0]))[:INDEX_FAMILIES]
        families = [{"number": f, "size": len(g), "first": g[0]} for f, g in groups]
        return self._render("index", self.to, "#", f"{self.figures['speeches']} 篇讲话对比报告",
                            families=families, pairs=self.view["pairs"][:INDEX_PAIRS], book=self.book)

    def pages(self) -> Iterator[tuple[str, int]]:
        """(file name, what) of every page but the index: list pages,
        speech pages, family pages."""
        for p in self.lists:
            yield p["file"], ("list", p["number"])
        for s in self.view["speeches"]:
            yield _page_name("s", s["id"]), ("speech", s["id"])
        for f in range(1, len(self.view["near_duplicate_groups"]) + 1):
            yield _page_name("f", f), ("family", f)

    def page(self, what: tuple[str, int]) -> str:
        kind, number = what
        speeches = self.view["speeches"]
        if kind == "list":
            p = self.lists[number - 1]
            return self._render("list", "", self.home, f"讲话一览 {p['first']}–{p['last']}", number=number,
                                rows=speeches[p["first"] - 1 : p["last"]])
        if kind == "speech":
            s = speeches[number - 1]
            return self._render("speech", "", self.home, self.names[number]["short"] + self.names[number]["no"], s=s,
                                near=self.near.get(number, []), near_total=self.near_total[number],
                                phrases=self.phrases.get(number, []), phrases_total=self.phrases_total[number])
        group = self.view["near_duplicate_groups"][number - 1]
        return self._render("family", "", self.home, f"近似重复第 {number} 组", number=number, size=len(group),
                            rows=[speeches[i - 1] for i in group[:FAMILY_ROWS]])
