"""Bad input, table-driven: every command x every kind of bad file, bad
output target and bad database. Each case checks the exit status, that an
error is exactly one line on stderr (no traceback), that inputs and
databases are byte-identical afterwards and that no temporary file is left.

Every case holds; there are no expected failures.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import compare
from compare import formats, views
from compare.cli import cli

from .conftest import ROOT

SPEECH = (
    "同志们：\n"
    "今天召开全市工作会议，主要任务是总结去年工作，安排部署今年重点任务。\n"
    "一、肯定成绩，正视问题\n"
    "过去一年，全市经济社会发展取得新成效，地区生产总值增长7.9%。\n"
    "城乡居民收入稳步提高，民生保障持续加强。\n"
    "二、突出重点，狠抓落实\n"
    "要坚持以人民为中心的发展思想，推动高质量发展。\n"
    "要加快交通基础设施建设，完善县乡村三级物流体系。\n"
    "三、加强领导，确保实效\n"
    "各级各部门要切实履职尽责，确保各项任务落到实处。\n"
)
OTHER = SPEECH.replace("交通基础设施", "医疗卫生服务").replace("物流体系", "医疗服务网络")
MARK = "坚持以人民为中心的发展思想"  # must survive decoding
HEADING = "肯定成绩"  # a heading the outline, the diff and the report must show

# ----- inputs


def _write(d: Path, name: str, data: bytes) -> str:
    (d / name).write_bytes(data)
    return str(d / name)


def _stray(text: str) -> bytes:
    data = text.encode("utf-8")
    cut = data.index("全市".encode()) + 1  # inside a character: a lone continuation byte follows
    return data[:40] + b"\xff\xfe" + data[40:cut] + data[cut + 1:]


INPUTS = {
    # name: (make(dir) -> spec, allowed exit codes)
    "missing": (lambda d: str(d / "missing.txt"), {2}),
    "directory": (lambda d: str(d), {2}),
    "empty": (lambda d: _write(d, "empty.txt", b""), {2}),
    "whitespace": (lambda d: _write(d, "blank.txt", " \n\t\r\n\u3000\u3000\n\u00a0 \n".encode()), {2}),
    "binary": (lambda d: _write(d, "b.bin", bytes(range(256)) * 64), {2}),
    "utf16-bom": (lambda d: _write(d, "u16.txt", SPEECH.encode("utf-16")), {0}),
    "utf16le-no-bom": (lambda d: _write(d, "u16le.txt", SPEECH.encode("utf-16-le")), {0}),
    "utf16be-no-bom": (lambda d: _write(d, "u16be.txt", SPEECH.encode("utf-16-be")), {0}),
    "utf32-bom": (lambda d: _write(d, "u32.txt", SPEECH.encode("utf-32")), {0}),
    "utf32-no-bom": (lambda d: _write(d, "u32le.txt", SPEECH.encode("utf-32-le")), {0}),
    "utf16-odd-length": (lambda d: _write(d, "odd.txt", SPEECH.encode("utf-16") + b"\x00"), {0, 2}),
    "stray-bytes-in-utf8": (lambda d: _write(d, "stray.txt", _stray(SPEECH)), {0}),
    "nul-bytes": (lambda d: _write(d, "nul.txt", SPEECH.encode().replace("。".encode(), "。\x00".encode(), 2)), {0, 2}),
    "#0": (lambda d: _write(d, "s.txt", SPEECH.encode()) + "#0", {2}),
    "#-1": (lambda d: _write(d, "s.txt", SPEECH.encode()) + "#-1", {2}),
    "#abc": (lambda d: _write(d, "s.txt", SPEECH.encode()) + "#abc", {2}),
    "#999": (lambda d: _write(d, "s.txt", SPEECH.encode()) + "#999", {2}),
    "name-with-#": (lambda d: _write(d, "a#1.txt", SPEECH.encode()), {0}),
    "name-with-#-and-#1": (lambda d: _write(d, "a#1.txt", SPEECH.encode()) + "#1", {0}),
    "name-ending-#2": (lambda d: _write(d, "speech#2", SPEECH.encode()), {0}),
    "name-with-spaces": (lambda d: _write(d, "my speech 2020.txt", SPEECH.encode()), {0}),
    "name-with-newline": (lambda d: _write(d, "line\nbreak.txt", SPEECH.encode()), {0}),
}

# odd-length UTF-16 may fairly end in one line (the CLI's net catches the decoder's error) or be decoded


@dataclass
class Env:
    """What a command needs besides the file under test."""

    good: str  # a second, ordinary speech
    db: str  # a corpus database holding ``good``
    new_db: str  # where index add may create a database


COMMANDS = {
    "clean": lambda spec, env: ["clean", spec],
    "outline": lambda spec, env: ["outline", spec],
    "summarize": lambda spec, env: ["summarize", spec, "-n", "2"],
    "summarize-against": lambda spec, env: ["summarize", spec, "-n", "2", "--against", env.db],
    "diff": lambda spec, env: ["diff", spec, env.good],
    "diff-against": lambda spec, env: ["diff", spec, "--against", env.db],
    "report": lambda spec, env: ["report", spec, env.good, "--format", "json"],
    "index-add": lambda spec, env: ["index", "add", spec, "--db", env.new_db],
}


def snapshot(*roots: Path) -> dict[str, bytes | str]:
    """Every file under ``roots``: its bytes (symlinks: their target)."""
    files = {}
    for root in roots:
        paths = [root] if not root.is_dir() else sorted(root.rglob("*"))
        for p in paths:
            if p.is_symlink():
                files[str(p)] = "-> " + os.readlink(p)
            elif p.is_file():
                files[str(p)] = p.read_bytes()
            elif p.is_fifo():
                files[str(p)] = "fifo"
    return files


def check(result, allowed: set[int], *, errors_prefix: str = "Error:", index: bool = False):
    """The invariants every case shares."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr
    assert result.exit_code in allowed, (result.exit_code, result.output[-500:])
    lines = result.stderr.splitlines()
    if result.exit_code == 2:
        if index:  # index add reports each bad file ("error: …") and goes on, then prints the totals
            assert len([line for line in lines if line.lower().startswith("error")]) == 1, result.stderr
        else:
            assert len(lines) == 1 and lines[0].startswith(errors_prefix), result.stderr
    else:
        assert not any(line.lower().startswith("error") for line in lines), result.stderr


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("env")
    good = d / "good.txt"
    good.write_text(OTHER, encoding="utf-8")
    db = d / "corpus.sqlite"
    assert CliRunner().invoke(cli, ["index", "add", str(good), "--db", str(db)]).exit_code == 0
    return Env(str(good), str(db), str(d / "new.sqlite"))


# where one command rightly answers differently from the rest
EXPECT = {
    ("name-with-#-and-#1", "index-add"): {2},  # index add takes file names, not FILE#N
}


def _cases():
    for case in INPUTS:
        for command in COMMANDS:
            yield pytest.param(case, command, id=f"{command}-{case}")


@pytest.mark.parametrize("case, command", list(_cases()))
def test_bad_input(tmp_path, env, case, command):
    make, allowed = INPUTS[case]
    allowed = EXPECT.get((case, command), allowed)
    d = tmp_path / "in"
    d.mkdir()
    spec = make(d)
    before = snapshot(d, Path(env.good), Path(env.db))
    result = CliRunner().invoke(cli, COMMANDS[command](spec, env))
    check(result, allowed, index=command == "index-add")
    assert snapshot(d, Path(env.good), Path(env.db)) == before
    if result.exit_code == 0:  # decoded, not mojibake or text with NULs in every other character
        assert "\x00" not in result.stdout and "\\u0000" not in result.stdout
        if command == "clean":
            assert MARK in result.stdout
        if command in ("outline", "diff", "report"):
            assert HEADING in result.stdout
    if os.path.exists(env.new_db):
        os.unlink(env.new_db)


# ----- large inputs, once per session, on the commands they stress


def _run_limited(args: list[str], timeout: float, memory: int = 4 << 30) -> subprocess.CompletedProcess:
    """The CLI in a child process with an address-space cap, so a blow-up
    ends in MemoryError instead of eating the machine."""

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "compare", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit)


@pytest.fixture(scope="session")
def large_inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("large")
    real = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted((ROOT / "tests" / "realworld").glob("*.txt")))
    data = real.encode()
    ten = d / "ten_mb.txt"
    ten.write_bytes((data * (10_000_000 // len(data) + 1))[:10_000_000].decode("utf-8", "ignore").encode())
    line = d / "one_line.txt"
    line.write_bytes(("全市经济社会发展取得新成效，各项工作稳步推进，" * 210_000).encode()[:5_000_000])
    repeated = d / "repeated.txt"
    repeated.write_text("同志们：\n" + "我们要坚持以人民为中心的发展思想，推动高质量发展。\n" * 20_000, encoding="utf-8")
    return {"10MB": ten, "5MB-line": line, "20000-repeated": repeated}


@pytest.mark.parametrize("case, command", [
    ("10MB", "clean"),
    ("5MB-line", "outline"),
    ("20000-repeated", "summarize"),
    pytest.param("20000-repeated", "diff"),
])
def test_large_input(large_inputs, case, command):
    path = large_inputs[case]
    before = path.read_bytes()
    args = [command, str(path)] + ([str(path)] if command == "diff" else [])
    result = _run_limited(args, timeout=20)
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode in (0, 2), result.stderr[-500:]
    if result.returncode == 2:
        assert len(result.stderr.splitlines()) == 1
    else:
        assert result.stdout.strip()
    assert path.read_bytes() == before


# ----- output targets


OUTPUT_COMMANDS = {
    "clean": (lambda spec, env: ["clean", spec], "txt"),
    "outline": (lambda spec, env: ["outline", spec], "md"),
    "summarize": (lambda spec, env: ["summarize", spec, "-n", "2"], "html"),
    "summarize-against": (lambda spec, env: ["summarize", spec, "-n", "2", "--against", env.db], "html"),
    "diff": (lambda spec, env: ["diff", spec, env.good], "html"),
    "diff-against": (lambda spec, env: ["diff", spec, "--against", env.db], "html"),
    "report": (lambda spec, env: ["report", spec, env.good, "--diffs", "all"], "html"),
    "report-db": (lambda spec, env: ["report", spec, "--db", env.db], "html"),
}


def _target(kind: str, d: Path, spec: str, env: Env, suffix: str) -> tuple[str, set[int]]:
    if kind == "input":
        return spec, {2}
    if kind == "database":
        return env.db, {2}
    if kind == "symlink":
        (d / "victim.txt").write_text("不要覆盖我", encoding="utf-8")
        os.symlink(d / "victim.txt", d / f"link.{suffix}")
        return str(d / f"link.{suffix}"), {2}
    if kind == "fifo":
        os.mkfifo(d / f"pipe.{suffix}")
        return str(d / f"pipe.{suffix}"), {2}
    if kind == "directory":
        (d / f"folder.{suffix}").mkdir()
        return str(d / f"folder.{suffix}"), {2}
    if kind == "javascript-name":
        return str(d / f"javascript:alert(document.domain);x.{suffix}"), {0}
    raise AssertionError(kind)


def _output_cases():
    for kind in ("input", "database", "symlink", "fifo", "directory", "javascript-name"):
        for command in OUTPUT_COMMANDS:
            if kind == "database" and "against" not in command and "db" not in command:
                continue
            yield pytest.param(kind, command, id=f"{command}-o-{kind}")


@pytest.mark.parametrize("kind, command", list(_output_cases()))
def test_bad_output(tmp_path, env, kind, command):
    args_of, suffix = OUTPUT_COMMANDS[command]
    d = tmp_path / "in"
    d.mkdir()
    spec = str(d / "s.txt")
    Path(spec).write_text(SPEECH, encoding="utf-8")
    target, allowed = _target(kind, d, spec, env, suffix)
    before = snapshot(d, Path(env.good), Path(env.db))
    result = CliRunner().invoke(cli, args_of(spec, env) + ["-o", target])
    check(result, allowed)
    after = snapshot(d, Path(env.good), Path(env.db))
    if result.exit_code == 2:
        assert after == before
    else:  # the new output, and next to a report its diffs; nothing else changed
        written = {k for k in after if k not in before}
        assert written and all(Path(k).name.startswith("javascript:") or "_diffs/" in k for k in written)
        assert {k: v for k, v in after.items() if k in before} == before
        page = Path(target).read_text(encoding="utf-8")
        assert 'href="javascript:' not in page.lower() and "src=\"javascript:" not in page.lower()
    assert not [p for p in d.rglob("*") if p.name.endswith(".tmp")]


# ----- databases


def _foreign(path: Path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY, url TEXT)")
    conn.execute("INSERT INTO bookmarks (url) VALUES ('https://example.org')")
    conn.commit()
    conn.close()


def _truncated(path: Path, good_db: str):
    data = Path(good_db).read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _wrong_shape(path: Path):
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
                       "INSERT INTO meta VALUES ('schema', '1'), ('shingle', '8');"
                       "CREATE TABLE files (name TEXT, digest TEXT);"
                       "INSERT INTO files VALUES ('a.txt', 'x');")
    conn.close()


DATABASES = {
    "foreign": lambda path, env: _foreign(path),
    "zero-byte": lambda path, env: path.write_bytes(b""),
    "truncated": lambda path, env: _truncated(path, env.db),
    "wrong-shape": lambda path, env: _wrong_shape(path),
}

DB_COMMANDS = {
    "summarize-against": lambda db, spec: ["summarize", spec, "-n", "2", "--against", db],
    "diff-against": lambda db, spec: ["diff", spec, "--against", db],
    "report-db": lambda db, spec: ["report", spec, "--db", db, "--format", "json"],
    "index-list": lambda db, spec: ["index", "list", "--db", db],
    "index-remove": lambda db, spec: ["index", "remove", spec, "--db", db],
    "index-add": lambda db, spec: ["index", "add", spec, "--db", db],
}

# index add creates a corpus in a missing or 0-byte file (`touch c.sqlite`
# first is fine); every other command refuses what is not a corpus
DB_EXPECT = {("zero-byte", "index-add"): {0}}


def _db_cases():
    for case in DATABASES:
        for command in DB_COMMANDS:
            yield pytest.param(case, command, id=f"{command}-{case}")


@pytest.mark.parametrize("case, command", list(_db_cases()))
def test_bad_database(tmp_path, env, case, command):
    db = tmp_path / "c.sqlite"
    DATABASES[case](db, env)
    spec = tmp_path / "s.txt"
    spec.write_text(SPEECH, encoding="utf-8")
    before = snapshot(tmp_path)
    result = CliRunner().invoke(cli, DB_COMMANDS[command](str(db), str(spec)))
    allowed = DB_EXPECT.get((case, command), {2})
    check(result, allowed, index=command == "index-add")  # not a corpus database: refused, one line
    if allowed == {2}:
        assert snapshot(tmp_path) == before


def _as_nobody():
    os.setgid(65534)
    os.setgroups([])
    os.setuid(65534)


def test_read_only_database(tmp_path_factory, env):
    """Reading a read-only corpus works; changing it is one line, exit 2."""
    d = Path(tempfile_dir := tmp_path_factory.mktemp("ro"))
    db = d / "c.sqlite"
    shutil.copy(env.db, db)
    spec = d / "s.txt"
    spec.write_text(SPEECH, encoding="utf-8")
    os.chmod(db, 0o444)
    os.chmod(d, 0o555)
    as_other = os.geteuid() == 0  # root writes anyway: run the command as nobody
    if as_other:
        os.chmod(tempfile_dir.parent, 0o755)
        os.chmod(tempfile_dir.parent.parent, 0o755)
        try:
            probe = subprocess.run([sys.executable, "-c", "import compare.cli"], preexec_fn=_as_nobody, capture_output=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=d).returncode
        except OSError:
            probe = 1
        if probe != 0:
            os.chmod(d, 0o755)
            pytest.skip("running as root, and user nobody cannot run this Python (it lives in a private folder)")
    before = snapshot(d)

    def run(*args):
        if not as_other:
            return CliRunner().invoke(cli, list(args))
        return subprocess.run([sys.executable, "-m", "compare", *args], preexec_fn=_as_nobody, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=d)

    def code(result):
        return result.exit_code if hasattr(result, "exit_code") else result.returncode

    try:
        for args in (["index", "list", "--db", str(db)], ["diff", str(spec), "--against", str(db), "--format", "json"]):
            result = run(*args)
            assert code(result) == 0 and "Traceback" not in result.stderr, result.stderr
        for args in (["index", "add", str(spec), "--db", str(db)], ["index", "remove", env.good, "--db", str(db)]):
            result = run(*args)
            assert code(result) == 2 and "Traceback" not in result.stderr, result.stderr
            assert len([line for line in result.stderr.splitlines() if "read" in line.lower()]) == 1, result.stderr
        assert snapshot(d) == before
    finally:
        os.chmod(d, 0o755)


def test_concurrent_index_add(tmp_path):
    """Two `index add` runs over overlapping files both finish; each file is indexed once."""
    files = []
    for i in range(6):
        path = tmp_path / f"s{i}.txt"
        path.write_text(SPEECH.replace("7.9%", f"{i}.5%").replace("全市", f"第{i}市"), encoding="utf-8")
        files.append(str(path))
    db = tmp_path / "c.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [subprocess.Popen([sys.executable, "-m", "compare", "index", "add", *part, "--db", str(db)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for part in (files[:4], files[2:])]
    results = [(child.wait(120), child.stderr.read()) for child in children]
    for code, stderr in results:
        assert code == 0 and "Traceback" not in stderr, stderr
    paths = [row[0] for row in sqlite3.connect(db).execute("SELECT path FROM files")]
    assert sorted(paths) == sorted(str(Path(f).resolve()) for f in files)


# ----- fuzzing the whole pipeline through every format

TOKENS = list("党委政府要坚持以人民为中心的发展思想今年工作，。、；：！？“”（）《》一二三是第1234567890.%XxA \n\t\u3000") + [
    "\x1b[2J", "\x1b]8;;http://x\x07", "\x07", "\u202e", "\x00", "\x9b", "一、", "（一）", "1.", "一是", "同志们：", "\r\n", "<script>", "\ufeff"]
TEXT = st.lists(st.sampled_from(TOKENS), max_size=160).map("".join)
CONTROL = ("\x1b", "\x07", "\u202e", "\x00", "\x9b")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(TEXT, TEXT)
def test_fuzz_pipeline_renders_every_format(a_text, b_text):
    a, b = compare.load_text(a_text, "a.txt"), compare.load_text(b_text, "b.txt")
    if not a or not b:
        return
    report = views.report(a[:2] + b[:2], n=2, diffs="all") if len(a[:2] + b[:2]) >= 2 else None
    built = [views.TextView(a[0].text), views.outline(a), views.summary(a[:1], n=2), views.diff(a[0], b[0]), report]
    if report is not None:
        built += [page for _, page in report.diff_views()]
    for view in filter(None, built):
        for fmt in formats.formats_for(type(view)):
            out = formats.render(view, fmt, formats.Options(color=False, width=50))
            assert out.endswith("\n")
            if fmt in ("text", "md"):
                assert not any(c in out for c in CONTROL), (type(view).__name__, fmt)
