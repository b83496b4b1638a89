"""One output path, one format registry: -o's suffix sets the format, no -o
is stdout in the chosen format, status lines on stderr, no hidden files."""

import csv
import io
import json
import os

import pytest
from click.testing import CliRunner

import compare
from compare import formats, views
from compare.cli import cli

from .conftest import SAMPLES

ANKANG = SAMPLES / "ankang_2020_transport_and_health.txt"
MIDYEAR = SAMPLES / "ankang_2021_midyear.txt"
PAIR = [f"{ANKANG}#1", f"{ANKANG}#2"]


@pytest.fixture
def run(tmp_path, monkeypatch):
    """The CLI in-process, from an empty folder (so a hidden default output would show)."""
    monkeypatch.chdir(tmp_path)

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, [str(a) for a in args], input=input)

    return invoke


def looks_like(fmt: str, text: str) -> bool:
    if fmt == "json":
        json.loads(text)
        return True
    if fmt == "html":
        return text.lstrip().lower().startswith("<!doctype html>") and text.rstrip().endswith("</html>")
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        return len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
    if fmt == "md":
        return text.startswith("#") and "<!doctype" not in text.lower()
    return "<!doctype" not in text.lower() and not text.lstrip().startswith(("{", "["))


@pytest.mark.parametrize("suffix, fmt", [(".html", "html"), (".htm", "html"), (".json", "json"), (".md", "md"),
                                         (".csv", "csv"), (".txt", "text"), (".JSON", "json")])
def test_diff_output_suffix_sets_the_format(run, tmp_path, suffix, fmt):
    out = tmp_path / f"d{suffix}"
    result = run("diff", *PAIR, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr.startswith("wrote ")  # status on stderr only
    assert looks_like(fmt, out.read_text(encoding="utf-8"))
    assert sorted(os.listdir(tmp_path)) == [out.name]


def test_format_option_wins_over_the_suffix(run, tmp_path):
    out = tmp_path / "d.html"
    assert run("diff", *PAIR, "--format", "json", "-o", out).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["a"]["source"].endswith("#1")


@pytest.mark.parametrize("fmt", ["text", "json", "md", "html", "csv"])
def test_no_output_prints_the_format_and_writes_nothing(run, tmp_path, fmt):
    result = run("diff", *PAIR, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert looks_like(fmt, result.stdout) and result.stderr == ""
    dash = run("diff", *PAIR, "--format", fmt, "-o", "-")
    assert dash.exit_code == 0 and dash.stdout == result.stdout
    assert os.listdir(tmp_path) == []  # no ./outputs/diff.html, no file named -


def test_unknown_suffix_is_one_line(run, tmp_path):
    result = run("summarize", MIDYEAR, "-o", tmp_path / "summary.docx")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "--format" in result.stderr and not (tmp_path / "summary.docx").exists()
    result = run("outline", MIDYEAR, "--format", "html")  # a format the outline has not
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


def test_summarize_formats(run, tmp_path):
    md = run("summarize", MIDYEAR, "-o", tmp_path / "s.md")
    assert md.exit_code == 0, md.output
    text = (tmp_path / "s.md").read_text(encoding="utf-8")
    numbers = [line.split(".")[0] for line in text.split("### 关键词")[0].splitlines() if line[:1].isdigit()]
    assert numbers == ["1", "2", "3", "4", "5"]  # document order numbered 1..n, rank in the text
    assert "TextRank #" in text
    table = run("summarize", MIDYEAR, "--per-section", "-o", tmp_path / "s.csv")
    assert table.exit_code == 0, table.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8"))))
    assert {r["part"] for r in rows} == {"key", "section"}
    assert sum(r["part"] == "key" for r in rows) == 5 and all(r["text"] for r in rows)
    html = run("summarize", MIDYEAR, "--format", "html")
    assert looks_like("html", html.stdout)


def test_markdown_escapes_speech_text(tmp_path):
    path = tmp_path / "md.txt"
    path.write_text("同志们：\n一、总体要求\n要把*重点*工作和[链接](javascript:alert(1))以及<b>标记</b>当作文字。\n大家要认真落实各项工作任务。",
                    encoding="utf-8")
    view = views.summary(compare.load(path), n=2)
    text = formats.render(view, "md")
    assert "<b>" not in text and "](javascript" not in text and "*重点*" not in text
    assert r"\*重点\*" in text


def test_report_formats(run, tmp_path):
    specs = [MIDYEAR, ANKANG]
    text = run("report", *specs)
    assert text.exit_code == 0, text.output
    assert "3 speeches" in text.stdout and "Phrasebook" in text.stdout and "<" not in text.stdout
    page = run("report", *specs, "--format", "html")
    assert page.exit_code == 0 and looks_like("html", page.stdout)
    assert "_diffs/" not in page.stdout and "pairwise diffs" in page.stderr  # says what it left out
    assert os.listdir(tmp_path) == []
    for table, header in [("speeches", "id,source,title"), ("pairs", "a,b,a_source"), ("phrasebook", "kind,families")]:
        out = tmp_path / f"{table}.csv"
        result = run("report", *specs, "--table", table, "-o", out)
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8").startswith(header)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "speeches.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 3 and all(0 <= float(r["boilerplate"]) <= 1 for r in rows)
    md = run("report", *specs, "-o", tmp_path / "r.md")
    assert md.exit_code == 0 and looks_like("md", (tmp_path / "r.md").read_text(encoding="utf-8"))
    assert not any(name.endswith("_diffs") for name in os.listdir(tmp_path))  # diff pages only beside HTML


def test_outline_and_clean_formats(run, tmp_path):
    assert looks_like("md", run("outline", MIDYEAR, "--format", "md").stdout)
    rows = list(csv.DictReader(io.StringIO(run("outline", MIDYEAR, "--format", "csv").stdout)))
    assert [r["marker"] for r in rows if r["level"] == "1"][:2] == ["一、", "二、"]
    assert run("outline", MIDYEAR, "--json").stdout == run("outline", MIDYEAR, "--format", "json").stdout
    result = run("clean", MIDYEAR, "-o", tmp_path / "c.txt")
    assert result.exit_code == 0 and (tmp_path / "c.txt").read_text(encoding="utf-8") == run("clean", MIDYEAR).stdout


@pytest.fixture(scope="module")
def every_view(tmp_path_factory):
    """One view of each type, built through the library."""
    from compare import evolution, store

    a, b = compare.load(ANKANG)
    (c,) = compare.load(MIDYEAR)
    db = tmp_path_factory.mktemp("db") / "c.sqlite"
    conn = store.connect(db)
    store.add_file(conn, ANKANG)
    return [
        views.TextView(a.text),
        views.outline([a, b]),
        views.summary([a], n=3, conn=conn),
        views.diff(a, c),
        views.against(conn, c),
        views.report([a, b, c], diffs="all"),
        views.track([a, b, c], section="开场", numbers=True),
        views.EvolutionView(evolution.evolve(evolution.Series([0, 1], [(2020, 0, 0), (2021, 0, 0)], "", ["甲"], ["speaker"]), [a, c]), 1),
    ]


def test_every_registered_format_renders(every_view):
    seen = set()
    for view in every_view:
        for fmt in formats.formats_for(type(view)):
            text = formats.render(view, fmt)
            assert text.endswith("\n") and looks_like(fmt, text), (type(view).__name__, fmt)
            seen.add((type(view), fmt))
    assert seen == {(t, f) for t, fs in formats.registry().items() for f in fs}


def test_every_view_in_pieces_is_the_same_text(every_view, monkeypatch):
    """A file is written from render_chunks: JSON in pieces as it is
    encoded (a piece or two each here: 3 characters a chunk), the other formats whole;
    joined they are render's text."""
    from compare import render

    monkeypatch.setattr(render, "JSON_CHUNK", 3)
    for view in every_view:
        for fmt in formats.formats_for(type(view)):
            pieces = list(formats.render_chunks(view, fmt))
            assert "".join(pieces) == formats.render(view, fmt), (type(view).__name__, fmt)
            if fmt == "json":
                assert len(pieces) > 2


def test_views_do_the_computing(every_view):
    summary, report = every_view[2], every_view[5]
    assert "sentences" not in summary.against[0] and summary.against[0]["corpus_size"] == 1
    assert report.pairs == [(0, 1), (0, 2), (1, 2)]
    pages = dict(report.diff_views())
    assert set(pages) == set(report.pairs) and all(isinstance(p, views.DiffView) for p in pages.values())
    linked = report.with_links({(0, 1): "r_diffs/001-002.html"})
    assert [p["diff"] for p in linked.data()["pairs"] if (p["a"], p["b"]) == (1, 2)] == ["r_diffs/001-002.html"]
    assert all(p["diff"] is None for p in report.data()["pairs"])  # the original is unchanged
    assert views.choose_pairs(report.corpus, "none") == []
    with pytest.raises(ValueError):
        views.choose_pairs(report.corpus, "some")


def test_views_have_short_reprs(every_view):
    for view in every_view:
        assert len(repr(view)) < 200, repr(view)[:300]
