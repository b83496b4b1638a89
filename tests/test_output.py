"""The one output path: never over an input or a database, only regular
files, atomic, no temporary files left behind, links that survive any name."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compare import output
from compare.model import SpeechdiffError

from .conftest import ROOT, SAMPLES, run

MIDYEAR = SAMPLES / "ankang_2021_midyear.txt"
ANKANG = SAMPLES / "ankang_2020_transport_and_health.txt"
SPEECH = "同志们：\n一、总体要求\n今年全市经济社会发展取得新成效。大家要认真落实各项工作任务。\n"


def speech_file(path: Path, extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SPEECH + extra, encoding="utf-8")
    return path


# ----- Inputs and check_output


def test_inputs_know_a_file_by_identity(tmp_path):
    a = speech_file(tmp_path / "a.txt")
    os.symlink(a, tmp_path / "link.txt")
    os.link(a, tmp_path / "hard.txt")
    inputs = output.Inputs([str(tmp_path / "link.txt")])
    for name in ("a.txt", "link.txt", "hard.txt"):
        with pytest.raises(SpeechdiffError, match="input file"):
            output.check_output(tmp_path / name if name != "link.txt" else a, inputs)
    assert output.check_output(tmp_path / "other.txt", inputs) == tmp_path / "other.txt"


@pytest.mark.parametrize("spec, protected", [
    ("h#x.txt#1", "h#x.txt"),  # the input check used to cut the name at the first #
    ("d#1/s.txt#1", "d#1/s.txt"),
    ("d#1/s.txt", "d#1/s.txt"),
    ("s#2.txt#abc", "s#2.txt"),
])
def test_inputs_with_hash_in_the_name(tmp_path, spec, protected):
    speech_file(tmp_path / protected)
    inputs = output.Inputs([str(tmp_path / spec)])
    with pytest.raises(SpeechdiffError, match="refusing to overwrite"):
        output.check_output(tmp_path / protected, inputs)


def test_database_side_files_are_inputs(tmp_path):
    db = tmp_path / "c.sqlite"
    sqlite3.connect(db).execute("CREATE TABLE t (x)")
    (tmp_path / "c.sqlite-wal").write_bytes(b"wal")
    inputs = output.Inputs([], databases=[db])
    for name in ("c.sqlite", "c.sqlite-wal"):
        with pytest.raises(SpeechdiffError, match="refusing to overwrite"):
            output.check_output(tmp_path / name, inputs)


def test_only_regular_files_are_written(tmp_path):
    target = speech_file(tmp_path / "t.txt")
    os.symlink(target, tmp_path / "link")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    cases = {"link": "symbolic link", "fifo": "not a regular file", "dir": "is a directory"}
    for name, message in cases.items():
        with pytest.raises(SpeechdiffError, match=message):
            output.write_atomic(tmp_path / name, "x")
    with pytest.raises(SpeechdiffError, match="not a regular file"):
        output.write_atomic("/dev/null", "x")
    with pytest.raises(SpeechdiffError, match="is a file"):
        output.write_atomic(target / "under-a-file.txt", "x")
    assert os.path.islink(tmp_path / "link") and target.read_text(encoding="utf-8") == SPEECH
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "fifo", "link", "t.txt"]  # no temp file left


def test_write_atomic_keeps_mode_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out" / "r.txt"
    assert output.write_atomic(target, "一") == target
    assert target.read_text(encoding="utf-8") == "一"
    os.chmod(target, 0o640)
    output.write_atomic(target, "二")
    assert target.read_text(encoding="utf-8") == "二" and (target.stat().st_mode & 0o777) == 0o640
    assert os.listdir(target.parent) == ["r.txt"]


def test_write_atomic_dash_is_stdout(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert output.write_atomic("-", "内容\n") is None
    assert capsys.readouterr().out == "内容\n"
    assert not (tmp_path / "-").exists()


def test_fresh_folder_replaces_only_its_own_files(tmp_path):
    folder = tmp_path / "r_diffs"
    with output.fresh_folder(folder, owned=r"\d+\.html") as tmp:
        (tmp / "1.html").write_text("a")
        (tmp / "2.html").write_text("b")
        assert not folder.exists()  # not swapped in before the block ends
    with output.fresh_folder(folder, owned=r"\d+\.html") as tmp:
        (tmp / "3.html").write_text("c")
    assert sorted(os.listdir(folder)) == ["3.html"]
    assert sorted(os.listdir(tmp_path)) == ["r_diffs"]
    # an error inside the block leaves the old folder as it was
    with pytest.raises(RuntimeError):
        with output.fresh_folder(folder, owned=r"\d+\.html") as tmp:
            (tmp / "4.html").write_text("d")
            raise RuntimeError
    assert sorted(os.listdir(folder)) == ["3.html"] and sorted(os.listdir(tmp_path)) == ["r_diffs"]
    # a folder holding someone else's file is never replaced
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(SpeechdiffError, match="notes.txt"):
        with output.fresh_folder(folder, owned=r"\d+\.html"):
            pass
    assert (folder / "notes.txt").read_text() == "mine"
    # nor a symlink to a folder
    os.symlink(folder, tmp_path / "link_diffs")
    with pytest.raises(SpeechdiffError, match="symbolic link"):
        with output.fresh_folder(tmp_path / "link_diffs"):
            pass


def test_sigint_removes_temporaries_then_interrupts(tmp_path):
    """The handler removes the temporaries, then Python's own SIGINT
    handler interrupts. The test sets that handler itself (whatever an
    earlier test left) and raises the signal in this thread: a signal sent
    to the process may go to another thread (the full suite leaves pool
    threads behind; it failed there twice, never alone)."""
    tmp = tmp_path / ".x.tmp"
    tmp.write_text("half")
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with output.cleanup_on_signals():
                output._register(str(tmp))
                signal.raise_signal(signal.SIGINT)
                time.sleep(1)  # the handler runs here at the latest
        assert not tmp.exists()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)


# ----- through the command line


def _one_error_line(result, *words):
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_against_database_is_an_input(tmp_path):
    db = tmp_path / "corp.sqlite"
    a = speech_file(tmp_path / "a.txt")
    b = speech_file(tmp_path / "b.txt", "各地要结合实际抓好落实。")
    assert run("index", "add", a, "--db", db).exit_code == 0
    before = db.read_bytes()
    for args in (["summarize", b, "--against", db], ["diff", b, "--against", db], ["report", a, b, "--db", db]):
        result = run(*args, "--format", "html", "-o", db)
        _one_error_line(result, "refusing to overwrite")
        assert db.read_bytes() == before


@pytest.mark.parametrize("command", ["summarize", "diff", "report"])
def test_names_with_hash_are_not_overwritten(tmp_path, command):
    d = tmp_path / "d#1"
    s = speech_file(d / "s.txt")
    other = speech_file(tmp_path / "h#x.txt", "新增一句话。")
    before = s.read_bytes()
    specs = [f"{s}#1"] if command == "summarize" else [f"{s}#1", f"{other}#1"]
    result = run(command, *specs, "--format", "html", "-o", s)
    _one_error_line(result, "refusing to overwrite", str(s))
    assert s.read_bytes() == before
    assert sorted(os.listdir(d)) == ["s.txt"]  # no _diffs folder, no temp file


def test_directory_as_output_or_database_is_one_line(tmp_path):
    a = speech_file(tmp_path / "a.txt")
    _one_error_line(run("summarize", a, "--format", "md", "-o", tmp_path), "is a directory")
    _one_error_line(run("diff", a, a, "-o", tmp_path), "is a directory")
    _one_error_line(run("report", a, a, "--db", tmp_path), "is a directory")
    _one_error_line(run("diff", a, "--against", tmp_path), "is a directory")
    _one_error_line(run("index", "add", a, "--db", tmp_path), "is a directory")


def test_usage_errors_are_one_line():
    _one_error_line(run("diff", MIDYEAR), "missing B", "diff -h")
    _one_error_line(run("summarize", MIDYEAR, "--sentences", "0"), "0")
    _one_error_line(run("summarize", MIDYEAR, "--bogus"), "--bogus")
    _one_error_line(run("nosuchcommand"), "nosuchcommand")


def test_dash_hash_n_reads_stdin():
    from click.testing import CliRunner

    from compare.cli import cli

    text = ANKANG.read_bytes()
    result = CliRunner().invoke(cli, ["outline", "-#2", "--json"], input=text)
    assert result.exit_code == 0, result.output
    assert '"source": "stdin#2"' in result.output
    result = CliRunner().invoke(cli, ["diff", "-#1", f"{ANKANG}#2", "--format", "json"], input=text)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["clean", "-#3"], input=text)
    _one_error_line(result, "no speech #3")


def test_clean_of_whitespace_only_is_an_error(tmp_path):
    blank = tmp_path / "blank.txt"
    blank.write_bytes("  \n\u3000\u3000\n\t\n".encode("utf-8"))
    _one_error_line(run("clean", blank), str(blank))


def _hrefs(html: str) -> list[str]:
    return [h for h in re.findall(r'href="([^"]*)"', html) if not h.startswith("#")]


@pytest.mark.parametrize("name", ["x#y.html", "a?b.html", "javascript:alert(document.domain);x.html", "sp ace%20.html"])
def test_report_links_survive_any_output_name(tmp_path, name):
    out = tmp_path / name
    result = run("report", MIDYEAR, ANKANG, "-o", out)
    assert result.exit_code == 0, result.output
    links = _hrefs(out.read_text(encoding="utf-8"))
    assert links and all(":" not in link.split("/")[0] for link in links)  # relative: no scheme
    for link in links:  # a link may point into a page (#a-4): the fragment is cut before decoding the name
        assert (tmp_path / unquote(link.split("#")[0])).is_file(), link


def test_report_diffs_never_mix_two_runs(tmp_path):
    out = tmp_path / "r.html"
    assert run("report", MIDYEAR, ANKANG, SAMPLES / "city_health_2022_template.txt", "-o", out).exit_code == 0
    folder = tmp_path / "r_diffs"
    assert len(list(folder.iterdir())) > 3
    assert run("report", MIDYEAR, ANKANG, "-o", out).exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["001-002.html", "001-003.html", "002-003.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r_diffs", "r_series"]  # the two ankang speeches: one speaker's series
    assert run("report", MIDYEAR, ANKANG, "-o", out, "--diffs", "none").exit_code == 0
    assert not folder.exists()
    # a folder of the same name with the user's own files is left alone
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    _one_error_line(run("report", MIDYEAR, ANKANG, "-o", out), "notes.txt")
    assert (folder / "notes.txt").read_text() == "mine"


def test_sigterm_leaves_no_temporary_files(tmp_path):
    # the child stalls after its first diff page, inside the temporary folder
    script = (
        "import sys, time\n"
        "from compare import render\n"
        "real = render.diff_html\n"
        "def slow(*a, **k):\n"
        "    page = real(*a, **k)\n"
        "    slow.calls = getattr(slow, 'calls', 0) + 1\n"
        "    if slow.calls == 2: time.sleep(120)\n"
        "    return page\n"
        "render.diff_html = slow\n"
        "sys.argv = ['speechdiff'] + sys.argv[1:]\n"
        "from compare.cli import main\n"
        "main()\n"
    )
    out = tmp_path / "r.html"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", script, "report", str(MIDYEAR), str(ANKANG), "-o", str(out)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".tmp") and any(p.iterdir()) for p in tmp_path.iterdir() if p.is_dir()):
        assert child.poll() is None, child.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    child.send_signal(signal.SIGTERM)
    assert child.wait(60) == -signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_unwritable_jieba_cache_is_one_note(tmp_path):
    # jieba dumps its dictionary cache into tempfile.gettempdir(); make that fail
    script = (
        "import os, sys, tempfile\n"
        "real = tempfile.mkstemp\n"
        "def mkstemp(*a, dir=None, **k):\n"
        "    if dir == os.environ['TMPDIR']: raise PermissionError(13, 'Permission denied', dir)\n"
        "    return real(*a, dir=dir, **k)\n"
        "tempfile.mkstemp = mkstemp\n"
        "sys.argv = ['speechdiff'] + sys.argv[1:]\n"
        "from compare.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script, "summarize", str(MIDYEAR), "--format", "json"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 1 and "寇全安" in result.stdout


def test_write_atomic_writes_text_in_pieces_and_nothing_when_they_fail(tmp_path):
    target = tmp_path / "out.json"
    output.write_atomic(target, iter(["一", b"\xe4\xba\x8c", "三\n"]))
    assert target.read_text(encoding="utf-8") == "一二三\n"

    def failing():
        yield "半"
        raise RuntimeError("stopped while encoding")

    with pytest.raises(RuntimeError):
        output.write_atomic(target, failing())
    assert target.read_text(encoding="utf-8") == "一二三\n"  # the old file whole, no temporary left
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text("甲乙\n\"\\ab"),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("甲a\n", max_size=3), inner, max_size=3),
    max_leaves=12)


_FLAT = st.dictionaries(st.text("键k\n\"", max_size=3), st.none() | st.booleans() | st.integers() | st.floats() | st.text("甲\n\"\\\x01a"),
                        max_size=4)


@settings(max_examples=300)
@given(st.dictionaries(st.text("键k\n", max_size=3), _JSON | st.lists(_JSON | _FLAT, max_size=4).map(lambda xs: ("rows", xs)),
                       max_size=5))
def test_json_in_pieces_with_rows_is_the_encoders_text(data):
    """render.dump_chunks lays out a dict holding views.Rows (made row by
    row) itself: the same text as json.dumps(indent=2) of the lists."""
    from compare import render, views

    lazy = {k: views.Rows(v[1], lambda x: x) if isinstance(v, tuple) else v for k, v in data.items()}
    plain = {k: v[1] if isinstance(v, tuple) else v for k, v in data.items()}
    assert "".join(render.dump_chunks(lazy)) == render.dumps(plain) == render.dumps(lazy)


_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text("甲乙\n\"\\\x01ab"),
    lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=2).map(tuple)
    | st.dictionaries(st.text("甲a\n", max_size=3) | st.integers(0, 3) | st.none(), inner, max_size=3),
    max_leaves=16)


@settings(max_examples=400)
@given(st.dictionaries(st.text("键k\n", max_size=3), _ANY_JSON, max_size=5) | _ANY_JSON)
def test_json_in_pieces_is_the_encoders_text_for_any_data(data):
    """render.dump_chunks writes what it can itself (render._text) and
    leaves the rest to the encoder: NaN and infinities, keys that are not
    text, tuples, at any depth; the text is json.dumps(indent=2)'s."""
    import json

    from compare import render

    assert "".join(render.dump_chunks(data)) == json.dumps(data, ensure_ascii=False, indent=2)


@settings(max_examples=300)
@given(st.lists(st.text("键k\n\"%s", max_size=3) | st.integers(0, 2), max_size=4), st.data(), st.integers(1, 3))
def test_rows_laid_out_by_columns_are_the_encoders_text(names, data, block):
    """views.Rows with ``columns`` (a block of rows as one list of values
    per name) is laid out a block at a time (render._row_texts): the same
    text as json.dumps(indent=2) of the rows as dicts, whatever the names
    ('%' in them, names that are not text, a name twice) and values (NaN, infinities,
    nested data: those blocks are left to the row-by-row path)."""
    import json
    from unittest import mock

    from compare import render, views

    count = data.draw(st.integers(0, 7))
    columns = [data.draw(st.lists(st.integers() | st.floats(allow_nan=False, allow_infinity=False), min_size=count, max_size=count)
                         | st.lists(_ANY_JSON, min_size=count, max_size=count)) for _ in names]
    rows = [dict(zip(names, values)) for values in zip(*columns)] if names else [{} for _ in range(count)]
    table = views.Rows(rows, lambda r: r, lambda lo, hi: (names, [c[lo:hi] for c in columns]) if names else ((), []))
    with mock.patch.object(render, "ROWS_BLOCK", block):
        got = "".join(render.dump_chunks({"rows": table, "n": 1}))
    assert got == json.dumps({"rows": rows, "n": 1}, ensure_ascii=False, indent=2)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 9), st.integers(0, 9), st.integers(0, 9)),
                max_size=25), st.booleans())
def test_pair_rows_by_columns_are_the_rows_of_the_pairs(rows, linked):
    """views.pair_rows of corpus.Pairs: the columns (from the arrays,
    numpy's divisions, Python's round) give the values each row gives from
    its Pair, in the ranked order, links included."""
    import numpy as np

    from compare import corpus, views

    a, b, both, sa, sb = (np.array(c, dtype=np.int64) for c in zip(*rows)) if rows else [np.zeros(0, np.int64)] * 5
    pairs = corpus.Pairs(a, b, np.minimum(both, np.minimum(sa, sb)), sa, sb)
    links = {(int(x), int(y)): f"d{x}-{y}.html" for x, y in zip(a[::2], b[::2])} if linked else {}
    table = views.pair_rows(pairs, links)
    assert table.columns is not None
    names, columns = table.columns(0, len(table))
    assert [dict(zip(names, values)) for values in zip(*columns)] == list(table)
    assert list(table) == views.pair_rows(list(pairs), links)[:]  # Pair objects: the row-by-row path
    if not linked:
        assert list(views.pair_rows(pairs)) == list(views.pair_rows(list(pairs), None)) == list(table)
