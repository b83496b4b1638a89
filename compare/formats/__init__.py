"""One format registry: which formats each view renders to, and how.

Every command builds a typed view (``compare.views``) and hands it to
``render(view, fmt, options)``; the table below is the only place that
says which (view, format) pairs exist. Formats: text (the terminal, or
plain text in a file or pipe), json, md, html, csv. ``infer_format`` picks
the format from ``-o``'s suffix unless one is given.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Callable, Iterator

from ..model import SpeechdiffError

FORMATS = ("text", "json", "md", "html", "csv")
SUFFIXES = {
    ".txt": "text", ".text": "text",
    ".json": "json",
    ".md": "md", ".markdown": "md",
    ".html": "html", ".htm": "html",
    ".csv": "csv",
}
REPORT_TABLES = ("speeches", "pairs", "phrasebook")


@dataclass(frozen=True)
class Options:
    """How to render: ``color`` for ANSI styles in text, ``width`` in
    terminal cells, ``table`` the report table a CSV holds."""

    color: bool = False
    width: int = 100
    table: str = "speeches"


Renderer = Callable[[object, Options], str]


class _Json:
    """The json renderer of a view type (``data_of(view)``: its data), which
    can also give the text in pieces (``chunks``) for a file."""

    def __init__(self, data_of):
        self.data_of = data_of

    def __call__(self, view, options: "Options") -> str:
        from ..render import dumps

        return dumps(self.data_of(view)) + "\n"

    def chunks(self, view, options: "Options") -> Iterator[str]:
        from ..render import dump_chunks

        yield from dump_chunks(self.data_of(view))
        yield "\n"


_json = _Json


@functools.cache
def registry() -> dict[type, dict[str, Renderer]]:
    """view type -> format -> renderer(view, options) -> str."""
    from .. import render, views
    from . import tables, terminal
    from .cjk import strip_controls

    return {
        views.TextView: {
            "text": lambda v, o: strip_controls(v.text),
            "json": _json(lambda v: v.data()),
        },
        views.OutlineView: {
            "text": terminal.outline,
            "json": _json(lambda v: v.data()),
            "md": lambda v, o: render.outline_markdown(v.speeches),
            "csv": tables.outline,
        },
        views.SummaryView: {
            "text": terminal.summary,
            "json": _json(lambda v: v.data()),
            "md": lambda v, o: render.summary_markdown(v.summaries, v.against),
            "html": lambda v, o: render.summary_html(v.summaries, v.against),
            "csv": tables.summary,
        },
        views.DiffView: {
            "text": terminal.diff,
            "json": _json(lambda v: v.data),
            "md": lambda v, o: render.diff_markdown(v.data),
            "html": lambda v, o: render.diff_html(v.data, v.summaries),
            "csv": tables.diff,
        },
        views.AgainstView: {
            "text": terminal.against,
            "json": _json(lambda v: v.data),
            "md": lambda v, o: render.against_markdown(v.data),
            "html": lambda v, o: render.against_html(v.data),
            "csv": tables.against,
        },
        views.TrackView: {
            "text": terminal.track,
            "json": _json(lambda v: v.data()),
            "md": lambda v, o: render.track_markdown(v.data()),
            "html": lambda v, o: render.track_html(v.data()),
            "csv": tables.track,
        },
        views.EvolutionView: {
            "json": _json(lambda v: v.data()),
            "html": lambda v, o: render.evolution_html(v.data()),
        },
        views.ReportView: {
            "text": terminal.report,
            "json": _json(lambda v: v.data()),
            "md": lambda v, o: render.report_markdown(v.data()),
            "html": lambda v, o: render.report_html(v.data()),
            "csv": tables.report,
        },
    }


def formats_for(*view_types: type) -> tuple[str, ...]:
    """The formats any of ``view_types`` renders to, in FORMATS order."""
    have = set().union(*(registry()[t] for t in view_types))
    return tuple(f for f in FORMATS if f in have)


def _what(view_type: type) -> str:
    return view_type.__name__.removesuffix("View").lower() or "view"


def check_format(view_type: type, fmt: str) -> str:
    if fmt not in registry()[view_type]:
        raise SpeechdiffError(f"no {fmt} output for {_what(view_type)}; choose {', '.join(formats_for(view_type))}")
    return fmt


def infer_format(output: str | os.PathLike | None, fmt: str | None = None, default: str = "text") -> str:
    """``fmt`` if given; else the format ``output``'s suffix names; else
    (stdout) ``default``. An output name without a known suffix is an error:
    guessing would write HTML into notes.txt."""
    if fmt:
        return fmt
    if output is None or os.fspath(output) == "-":
        return default
    name = os.fspath(output)
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in SUFFIXES:
        known = " ".join(sorted(SUFFIXES))
        raise SpeechdiffError(f"{name}: cannot tell the format from the name; add --format {'|'.join(FORMATS)} or use a suffix ({known})")
    return SUFFIXES[suffix]


def render(view, fmt: str, options: Options = Options()) -> str:
    """``view`` in format ``fmt`` as one string, ending in a newline."""
    check_format(type(view), fmt)
    text = registry()[type(view)][fmt](view, options)
    return text if text.endswith("\n") else text + "\n"


def render_chunks(view, fmt: str, options: Options = Options()) -> Iterator[str]:
    """``render`` in pieces that join to the same text: JSON as it is
    encoded, the other formats in one piece."""
    check_format(type(view), fmt)
    renderer = registry()[type(view)][fmt]
    if isinstance(renderer, _Json):
        return renderer.chunks(view, options)
    return iter([render(view, fmt, options)])


# ---------------------------------------------------------------- writing

DIFF_NAME = r"\d{3,}-\d{3,}\.html"  # the pairwise diff pages a report writes, and nothing else
SERIES_NAME = r"\d{2,}\.html"  # the evolution pages of a report's series, and nothing else


def write(view, fmt: str, output: str | os.PathLike | None, inputs=(), options: Options = Options(), progress=None) -> list[str]:
    """Render ``view`` as ``fmt`` and write it to ``output`` (None or ``-``:
    stdout) through compare.output: atomically, never over an input.
    Returns the status lines for stderr. An HTML report written to a file
    gets its pairwise diffs in ``<name>_diffs/`` beside it."""
    from .. import views
    from ..output import Inputs, write_atomic

    check_format(type(view), fmt)
    inputs = inputs if isinstance(inputs, Inputs) else Inputs(inputs)
    to_stdout = output is None or os.fspath(output) == "-"
    if isinstance(view, views.ReportView) and fmt == "html":
        if not to_stdout and (is_folder(output) or len(view.corpus.speeches) > _folder_limit()):
            path, pages, count = write_report_folder(view, output, inputs, progress)
            return [f"wrote {path.resolve()}: {pages} pages" + (f" and {count} pairwise diffs" if count else "")
                    + ("" if is_folder(output) else f" in {_pages_folder(path).name}/")]
        if not to_stdout:
            path, count = write_report(view, output, inputs, progress)
            series = len(view.series)
            return [f"wrote {path.resolve()}" + (f" and {count} pairwise diffs in {path.stem}_diffs/" if count else "")
                    + (f" and {series} series in {path.stem}_series/" if series else "")]
        view = view.with_links({})
        write_atomic("-", render(view, fmt, options))
        return ["note: the report page only; its pairwise diffs are written with -o FILE.html"] if view.pairs else []
    path = write_atomic("-" if to_stdout else output, render_chunks(view, fmt, options), inputs)
    return [] if path is None else [f"wrote {path}"]


def _folder_limit() -> int:
    from ..render import FOLDER_LIMIT

    return FOLDER_LIMIT


def is_folder(output: str | os.PathLike | None) -> bool:
    """``-o DIR/``: a name ending in a slash asks for the report as a folder
    of pages. (An existing folder named without the slash stays an error,
    as for every output: a typo must not fill a folder with pages.)"""
    if output is None or os.fspath(output) == "-":
        return False
    return os.fspath(output).endswith(("/", os.sep))


def _pages_folder(target):
    return target.with_name(target.stem + "_pages")


def write_report_folder(view, output: str | os.PathLike, inputs=(), progress=None):
    """Write the HTML report as a folder of pages (render.ReportFolder): with
    ``-o DIR/`` the index is DIR/index.html; with ``-o FILE.html`` (a corpus
    above render.FOLDER_LIMIT) the index is FILE.html and the other pages are
    in ``FILE_pages/`` beside it. The folder is written fresh and swapped in
    whole (output.fresh_folder: an existing one is replaced only if it holds
    nothing but a report folder's own files); the pairwise diffs of
    ``view.pairs`` go into it too. Returns (index path, pages, diffs)."""
    from pathlib import Path
    from urllib.parse import quote

    from .. import render
    from ..output import Inputs, check_output, fresh_folder, remove_folder, write_atomic

    inputs = inputs if isinstance(inputs, Inputs) else Inputs(inputs)
    progress = progress or (lambda items, description: items)
    inside = is_folder(output)
    if inside:
        folder = Path(os.fspath(output))
        target, to, home = folder / "index.html", "", "index.html"
    else:
        target = check_output(output, inputs)
        folder = _pages_folder(target)
        to, home = quote(folder.name) + "/", "../" + quote(target.name)
    links, pages = {}, 0
    with fresh_folder(folder, inputs, owned=render.FOLDER_NAME) as tmp:
        for (a, b), page in view.diff_views(progress):
            name = f"{a + 1:03d}-{b + 1:03d}.html"
            (tmp / name).write_text(render.diff_html(page.data, page.summaries, {"href": home, "a": a + 1, "b": b + 1}),
                                    encoding="utf-8")
            links[(a, b)] = name
        book = render.ReportFolder(view.with_links(links).data(), to, home)
        for name, what in progress(list(book.pages()), "writing pages"):
            (tmp / name).write_text(book.page(what), encoding="utf-8")
            pages += 1
        index = book.index()
        if inside:
            (tmp / "index.html").write_text(index, encoding="utf-8")
    if not inside:
        write_atomic(target, index, inputs)
        remove_folder(target.with_name(target.stem + "_diffs"), inputs, owned=DIFF_NAME)  # a one-page run's diffs
    return target, pages + 1, len(links)


def write_report(view, output: str | os.PathLike, inputs=(), progress=None):
    """Write the HTML report and, in ``<name>_diffs/`` beside it, the page of
    each pair ``view.pairs`` names. The folder is written fresh and swapped
    in, so it never mixes two runs' diffs; with no pairs an earlier run's
    folder is removed. Returns (report path, number of diff pages)."""
    from urllib.parse import quote

    from .. import render
    from ..output import Inputs, check_output, fresh_folder, remove_folder, write_atomic

    inputs = inputs if isinstance(inputs, Inputs) else Inputs(inputs)
    target = check_output(output, inputs)  # before writing any diff next to it
    folder = target.with_name(target.stem + "_diffs")
    links = {}
    if view.pairs:
        # relative URLs with the folder's name percent-encoded: an output named
        # `x#y.html`, `a?b.html` or `javascript:…` still links to the files
        base = quote(folder.name)
        back = "../" + quote(target.name)  # each diff page links back to the report beside its folder
        with fresh_folder(folder, inputs, owned=DIFF_NAME) as tmp:
            for (a, b), page in view.diff_views(progress):
                name = f"{a + 1:03d}-{b + 1:03d}.html"
                report = {"href": back, "a": a + 1, "b": b + 1}
                (tmp / name).write_text(render.diff_html(page.data, page.summaries, report), encoding="utf-8")
                links[(a, b)] = f"{base}/{name}"
    else:
        remove_folder(folder, inputs, owned=DIFF_NAME)  # an earlier run's diffs would not match this report
    pages = write_series(view, target, inputs)
    path = write_atomic(target, render.report_html(view.with_links(links, pages).data()), inputs)
    remove_folder(_pages_folder(target), inputs, owned=render.FOLDER_NAME)  # an earlier run's folder of pages
    return path, len(links)


def write_series(view, target, inputs=()) -> dict[int, str]:
    """Write the evolution page of each of ``view``'s series into
    ``<name>_series/NN.html`` beside the report ``target`` (fresh each run,
    swapped in whole like the diffs; removed when there is no series).
    Returns series number -> relative URL."""
    from urllib.parse import quote

    from .. import render
    from ..output import fresh_folder, remove_folder

    folder = target.with_name(target.stem + "_series")
    if not view.series:
        remove_folder(folder, inputs, owned=SERIES_NAME)
        return {}
    pages = {}
    with fresh_folder(folder, inputs, owned=SERIES_NAME) as tmp:
        for k, page in view.evolution_views("../" + quote(target.name)):
            name = f"{k:02d}.html"
            (tmp / name).write_text(render.evolution_html(page.data()), encoding="utf-8")
            pages[k] = f"{quote(folder.name)}/{name}"
    return pages
