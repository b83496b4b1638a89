"""The SQLite corpus index: only its own databases, per-file transactions,
concurrent writers, damaged rows, stdin names, and --against read through
the postings giving what loading the whole corpus gives."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import compare
from compare import boilerplate, corpus, store
from compare.cli import cli
from compare.model import SpeechdiffError

from .conftest import ROOT, SAMPLES
from .test_corpus import CLAUSE, PEOPLE, TEMPLATE, TEXTS, speech

A = SAMPLES / "ankang_2021_midyear.txt"
B = SAMPLES / "city_health_2022_template.txt"
TINY = store.Layout(chunk=3, flush=60, fanout=2)  # merges after nearly every add, many levels, many chunks


def cli_run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(result, *needles):
    """Exit 2, exactly one line on stderr naming the problem, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, (AssertionError, sqlite3.Error))
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ---------------------------------------------------------------- the oracle: the earlier load-everything mark


def mark_by_loading(conn, speech_, nearest=5):
    """What store.mark computed before postings: every stored fingerprint
    set loaded, the corpus table built in memory."""
    fp = corpus.fingerprint(speech_)
    digest = hashlib.sha256(speech_.text.encode()).hexdigest()
    rows = conn.execute(
        "SELECT s.id, f.hashes FROM speeches s JOIN fingerprints f ON f.speech_id = s.id WHERE s.text_sha256 != ? ORDER BY s.id",
        (digest,)).fetchall()
    sets = [np.frombuffer(blob, dtype="<u8") for _, blob in rows]
    shared = [len(np.intersect1d(fp.set, s, assume_unique=True)) for s in sets]
    neighbours = [(row[0], n / len(fp.set)) for row, n in zip(rows, shared) if n]
    neighbours.sort(key=lambda nb: -nb[1])
    # per fingerprint of the speech, how many stored speeches hold it; then the one rule
    holders = sum((np.isin(fp.set, s) for s in sets), np.zeros(len(fp.set), dtype=np.int64))
    labels = boilerplate.label(fp, boilerplate.recurring(corpus.lookup(fp.runs, fp.set, holders), boilerplate.Rule()))
    ids = {row[0] for row in rows}
    uses = []
    for k in fp.keys:
        h = store.key_hash(k)
        holders = {sid for (sid,) in conn.execute("SELECT speech_id FROM sentences WHERE key_hash = ?", (h,))} & ids if h is not None else ()
        uses.append(len(holders))
    return labels.coverage, uses, labels.reused, len(rows), neighbours[:nearest]


def assert_marks_agree(conn, speech_):
    m = store.mark(conn, speech_)
    scores, uses, share, size, nearest = mark_by_loading(conn, speech_)
    assert m.scores == scores and m.uses == uses and m.share == share and m.corpus_size == size
    assert [(nb.speech.id, nb.shared) for nb in m.nearest] == nearest
    return m


def check_postings(conn):
    """The merge tree holds exactly the postings of the merged speeches:
    live ones, or dead ones listed in ``dead``; chunks cut between hashes."""
    upto = int(conn.execute("SELECT value FROM meta WHERE name = 'postings_upto'").fetchone()[0])
    dead = {r[0] for r in conn.execute("SELECT speech_id FROM dead")}
    live = dict(conn.execute("SELECT speech_id, hashes FROM fingerprints WHERE speech_id <= ?", (upto,)).fetchall())
    assert not dead & set(live) and all(d <= upto for d in dead)
    found = set()
    levels = [r[0] for r in conn.execute("SELECT level FROM segments ORDER BY level")]
    assert levels == sorted(set(levels)) and all(level >= 1 for level in levels)
    for segment, first, last, entries, chunks in conn.execute(
            "SELECT id, first_speech, last_speech, entries, chunks FROM segments"):
        rows = conn.execute("SELECT last_key, hashes, counts, speeches FROM chunks WHERE segment = ? ORDER BY last_key",
                            (segment,)).fetchall()
        assert len(rows) == chunks
        previous_last = None
        total = 0
        for last_key, hashes, counts, speeches in rows:
            hashes = np.frombuffer(hashes, dtype="<u8")
            counts = np.frombuffer(counts, dtype="<u4")
            speeches = np.frombuffer(speeches, dtype="<u4")
            assert (np.diff(hashes.astype(object)) > 0).all() and (counts > 0).all() and counts.sum() == len(speeches)
            keys = list(zip(np.repeat(hashes, counts).tolist(), speeches.tolist()))
            assert keys == sorted(keys) and len(set(keys)) == len(keys)
            assert int(store._sql_key(hashes[-1:])[0]) == last_key
            if previous_last is not None:
                assert hashes[0] > previous_last  # one hash never spans two chunks
            previous_last = hashes[-1]
            total += len(speeches)
            for h, s in keys:
                assert first <= s <= last
                found.add((h, s))
        assert total == entries
    expected = {(h, s) for s, blob in live.items() for h in np.frombuffer(blob, dtype="<u8").tolist()}
    assert {p for p in found if p[1] not in dead} == expected


# ---------------------------------------------------------------- a pool of speeches to build corpora from


def sample_sentences():
    out = []
    for path in sorted(SAMPLES.glob("*.txt")):
        for s in compare.load(path):
            out += [x.text for x in s.sentences if len(x.text) >= 12]
    return out


SENTENCES = sample_sentences()


def pool_text(i: int) -> str:
    """Speech i of a pool: a few shared sentences and a few of its own."""
    rng = np.random.default_rng(i)
    picks = [SENTENCES[j] for j in rng.choice(len(SENTENCES), 6, replace=False)]
    shared = [PEOPLE, TEMPLATE.format("XX"), f"各地要{CLAUSE}。"][: 1 + i % 3]
    return speech(*shared, *picks)


# ---------------------------------------------------------------- --against through the postings


def test_mark_through_postings_equals_loading_everything(tmp_path):
    conn = store.connect(tmp_path / "c.sqlite", layout=TINY)
    paths = []
    for i in range(14):
        p = tmp_path / f"s{i}.txt"
        p.write_text(pool_text(i), encoding="utf-8")
        paths.append(p)
        store.add_file(conn, p)
    for name, text in TEXTS.items():
        p = tmp_path / f"{name}.txt"
        p.write_text(text, encoding="utf-8")
        store.add_file(conn, p)
    assert conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] >= 2  # merged into levels
    check_postings(conn)
    queries = [compare.load_text(pool_text(i), "q")[0] for i in (3, 40, 41)] + [compare.load(SAMPLES / "ankang_2021_midyear.txt")[0]]
    queries.append(compare.load_text(speech(PEOPLE, "今年要建成汉阴至石泉的快速通道，全长四十二公里。", f"全市各级要{CLAUSE}。"), "new")[0])
    for q in queries:
        assert_marks_agree(conn, q)
    # removed and changed files: their old postings stay in the segments, but count no more
    store.remove_file(conn, paths[0])
    paths[1].write_text(pool_text(99), encoding="utf-8")
    assert store.add_file(conn, paths[1])[0] == "updated"
    check_postings(conn)
    assert conn.execute("SELECT COUNT(*) FROM dead").fetchone()[0] >= 1
    for q in queries + [compare.load_text(pool_text(0), "q0")[0]]:
        assert_marks_agree(conn, q)
    # a copy of a stored speech is not compared with itself
    again = assert_marks_agree(conn, compare.load(paths[2])[0])
    assert again.corpus_size == store.counts(conn)["speeches"] - 1
    store.reindex(conn)
    check_postings(conn)
    assert conn.execute("SELECT COUNT(*) FROM dead").fetchone()[0] == 0
    for q in queries:
        assert_marks_agree(conn, q)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "add", "add", "remove"]), st.integers(0, 5), st.integers(0, 9)),
                min_size=1, max_size=14))
def test_postings_agree_with_loading_after_any_adds_and_removes(ops):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        conn = store.connect(tmp / "c.sqlite", layout=TINY)
        for op, f, t in ops:
            path = tmp / f"f{f}.txt"
            if op == "add":
                path.write_text(pool_text(t), encoding="utf-8")
                store.add_file(conn, path)
            else:
                store.remove_file(conn, path)
        check_postings(conn)
        for t in (0, 4, 50):
            assert_marks_agree(conn, compare.load_text(pool_text(t), "q")[0])
        conn.close()


def test_probes_reach_the_extreme_hashes(tmp_path):
    # 0 and 2**64 - 1 become the smallest and largest SQLite keys; JSON carries them exactly
    hashes = np.array([0, 1, 2, 5, 2**63 - 1, 2**63, 2**64 - 2, 2**64 - 1], dtype=np.uint64)
    assert (np.diff(store._sql_key(hashes)) > 0).all()
    conn = store.connect(tmp_path / "c.sqlite", layout=store.Layout(chunk=1, flush=1, fanout=2))
    p = tmp_path / "a.txt"
    p.write_text(TEXTS["a"], encoding="utf-8")
    store.add_file(conn, p)
    with store._write(conn):  # a second speech made of the extreme hashes only, then merged
        sid = conn.execute("INSERT INTO speeches (file_id, ordinal, source, title, date, speaker, text_sha256, text)"
                           " VALUES (1, 2, 'x', '', '', '', 'x', 'x')").lastrowid
        conn.execute("INSERT INTO fingerprints VALUES (?, ?)", (sid, hashes.tobytes()))
    store.maintain(conn)
    check_postings(conn)
    assert conn.execute("SELECT MAX(chunks) FROM segments").fetchone()[0] > 4  # probed, not read whole
    query = np.array([0, 2**64 - 1], dtype=np.uint64)
    batches = list(store._matches(conn, query, np.zeros(0, dtype=np.uint32), rows=1))
    positions, owners = np.concatenate([p for p, _ in batches]), np.concatenate([s for _, s in batches])
    assert sorted(zip(query[positions].tolist(), owners.tolist())) == [(0, sid), (2**64 - 1, sid)]


def test_cli_against_json_equals_loading(tmp_path):
    db = tmp_path / "c.sqlite"
    store.connect(db, layout=TINY).close()
    files = []
    for i in range(8):
        p = tmp_path / f"s{i}.txt"
        p.write_text(pool_text(i), encoding="utf-8")
        files.append(p)
    assert cli_run("index", "add", *files, "--db", db).exit_code == 0
    result = cli_run("diff", files[3], "--against", db, "--format", "json")
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    scores, uses, share, size, nearest = mark_by_loading(sqlite3.connect(db), compare.load(files[3])[0])
    assert view["corpus_size"] == size == 7 and view["share"] == round(share, 4)
    assert [n["id"] for n in view["nearest"]] == [i for i, _ in nearest]


# ---------------------------------------------------------------- databases that are not ours, or damaged


@pytest.fixture(scope="module")
def good_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    db = folder / "c.sqlite"
    conn = store.connect(db)
    for p in (A, B):
        store.add_file(conn, p)
    conn.close()
    return db


def foreign(d, good):
    c = sqlite3.connect(d / "db.sqlite")
    c.execute("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY, url TEXT)")
    c.execute("INSERT INTO bookmarks VALUES (1, 'https://example.org')")
    c.commit()
    c.close()
    return d / "db.sqlite"


def foreign_files_table(d, good):
    # a "files" table of another shape, in a file of another application
    c = sqlite3.connect(d / "db.sqlite")
    c.execute("CREATE TABLE files (name TEXT, size INTEGER)")
    c.execute("INSERT INTO files VALUES ('x', 1)")
    c.commit()
    c.close()
    return d / "db.sqlite"


def ours_files_table_reshaped(d, good):
    # our application id and schema version, but the files table altered
    shutil.copy(good, d / "db.sqlite")
    c = sqlite3.connect(d / "db.sqlite")
    c.execute("ALTER TABLE files DROP COLUMN added")
    c.commit()
    c.close()
    return d / "db.sqlite"


def empty(d, good):
    (d / "db.sqlite").write_bytes(b"")
    return d / "db.sqlite"


def truncated(d, good):
    (d / "db.sqlite").write_bytes(good.read_bytes()[: 3 * 4096])
    return d / "db.sqlite"


def truncated_header(d, good):
    (d / "db.sqlite").write_bytes(good.read_bytes()[:60])
    return d / "db.sqlite"


def text_file(d, good):
    (d / "db.sqlite").write_text("同志们：\n这不是数据库。\n", encoding="utf-8")
    return d / "db.sqlite"


def schema_1(d, good):
    # what speechdiff wrote before application ids: schema '1' in its meta table
    c = sqlite3.connect(d / "db.sqlite")
    c.executescript("""
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema', '1'), ('shingle', '8');
        CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL, added TEXT NOT NULL);
    """)
    c.close()
    return d / "db.sqlite"


def newer_schema(d, good):
    shutil.copy(good, d / "db.sqlite")
    c = sqlite3.connect(d / "db.sqlite")
    c.execute("PRAGMA user_version = 3")
    c.close()
    return d / "db.sqlite"


CASES = [
    (foreign, "another application"),
    (foreign_files_table, "another application"),
    (ours_files_table_reshaped, "table files"),
    (empty, "empty file"),
    (truncated, "truncated"),
    (truncated_header, "truncated"),
    (text_file, "not an SQLite file"),
    (schema_1, "schema 1"),
    (newer_schema, "newer speechdiff"),
]
COMMANDS = {
    "list": lambda db: ["index", "list", "--db", db],
    "remove": lambda db: ["index", "remove", A, "--db", db],
    "add": lambda db: ["index", "add", A, "--db", db],
    "diff": lambda db: ["diff", B, "--against", db, "--format", "json"],
    "summarize": lambda db: ["summarize", B, "--against", db, "--format", "json"],
    "report": lambda db: ["report", B, "--db", db, "--format", "json"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("make, message", CASES, ids=[c[0].__name__ for c in CASES])
def test_databases_not_ours_are_refused_and_left_byte_identical(tmp_path, good_db, make, message, command):
    if make is empty and command == "add":
        return  # index add initialises a 0-byte file: test_index_add_initialises_only_missing_or_empty_files
    db = make(tmp_path, good_db)
    before, listing = sha256(db), sorted(os.listdir(tmp_path))
    line = one_line_error(cli_run(*COMMANDS[command](db)), str(db), message)
    if make not in (empty, truncated, truncated_header, text_file):
        assert "rebuild" in line or "not a speechdiff corpus" in line
    assert sha256(db) == before
    assert sorted(os.listdir(tmp_path)) == listing  # no journal, no -wal/-shm left beside it


def test_index_add_initialises_only_missing_or_empty_files(tmp_path):
    for db in (tmp_path / "new.sqlite", tmp_path / "empty.sqlite"):
        if db.name == "empty.sqlite":
            db.write_bytes(b"")
        result = cli_run("index", "add", A, "--db", db)
        assert result.exit_code == 0 and result.stdout.startswith("added:"), result.output
        c = sqlite3.connect(db)
        assert c.execute("PRAGMA application_id").fetchone()[0] == store.APPLICATION_ID == 0x53444946
        assert c.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert sorted(os.listdir(tmp_path)) == ["empty.sqlite", "new.sqlite"]
    # a missing database is not created by the commands that only read
    one_line_error(cli_run("index", "list", "--db", tmp_path / "none.sqlite"), "no such corpus database")
    assert not (tmp_path / "none.sqlite").exists()


def test_read_only_database_is_queried_not_changed(tmp_path, good_db):
    """An unprivileged user's view of a database they may not change: file
    0444 in a 0555 folder. The suite runs as root, whom the kernel lets
    write anyway; speechdiff honours the mode bits even then (os.access for
    other users, st_mode & 0o222 for root), so the same test holds for both."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "c.sqlite"
    shutil.copy(good_db, db)
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        before = sha256(db)
        one_line_error(cli_run("index", "add", SAMPLES / "ankang_2020_transport_and_health.txt", "--db", db), "read-only")
        one_line_error(cli_run("index", "remove", A, "--db", db), "read-only")
        assert cli_run("index", "list", "--db", db).stdout.count("\n") == 2
        assert cli_run("diff", SAMPLES / "ankang_2020_transport_and_health.txt#1", "--against", db, "--format", "json").exit_code == 0
        assert sha256(db) == before and os.listdir(folder) == ["c.sqlite"]
        # writable file, read-only folder: SQLite could not create its journal there
        folder.chmod(0o755)
        db.chmod(0o644)
        folder.chmod(0o555)
        one_line_error(cli_run("index", "add", SAMPLES / "ankang_2020_transport_and_health.txt", "--db", db), "read-only folder")
        assert sha256(db) == before
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)


def test_a_write_sqlite_refuses_is_one_error(tmp_path, good_db):
    # SQLite's own refusal (as an unprivileged user opening a read-only file
    # gets): a query_only connection reports "attempt to write a readonly database"
    db = tmp_path / "c.sqlite"
    shutil.copy(good_db, db)
    before = sha256(db)
    conn = store.connect(db, create=False)
    conn.execute("PRAGMA query_only = ON")
    with pytest.raises(SpeechdiffError, match="read-only database"):
        store.add_file(conn, SAMPLES / "ankang_2020_transport_and_health.txt")
    with pytest.raises(SpeechdiffError, match="read-only database"):
        store.remove_file(conn, A)
    conn.close()
    assert sha256(db) == before


# ---------------------------------------------------------------- damaged rows


def copy_of(good_db, tmp_path) -> Path:
    db = tmp_path / "c.sqlite"
    shutil.copy(good_db, db)
    return db


def test_malformed_fingerprints_name_the_file_and_re_adding_repairs(tmp_path, good_db):
    db = copy_of(good_db, tmp_path)
    c = sqlite3.connect(db)
    c.execute("UPDATE fingerprints SET hashes = x'0102030405060708090a0b' WHERE speech_id = 1")  # 11 bytes
    c.commit()
    c.close()
    before = sha256(db)
    line = one_line_error(cli_run("diff", SAMPLES / "ankang_2020_transport_and_health.txt#1", "--against", db), str(A))
    assert "re-add it" in line and "fingerprints" in line
    assert sha256(db) == before
    result = cli_run("index", "add", A, "--db", db)
    assert result.exit_code == 0 and result.stdout.startswith("repaired:"), result.output
    assert cli_run("diff", SAMPLES / "ankang_2020_transport_and_health.txt#1", "--against", db).exit_code == 0
    assert cli_run("index", "add", A, "--db", db).stdout.startswith("unchanged:")


def test_malformed_speech_row_names_the_file(tmp_path, good_db):
    db = copy_of(good_db, tmp_path)
    c = sqlite3.connect(db)
    c.execute("UPDATE speeches SET title = x'00ff' WHERE id = 2")
    c.commit()
    c.close()
    before = sha256(db)
    for args in (["index", "list", "--db", db], ["report", A, "--db", db, "--format", "json"]):
        assert "re-add it" in one_line_error(cli_run(*args), str(B))
    assert sha256(db) == before
    assert cli_run("index", "add", B, "--db", db).stdout.startswith("repaired:")
    assert cli_run("index", "list", "--db", db).exit_code == 0


def test_malformed_posting_chunk_is_one_error_and_reindex_repairs(tmp_path):
    db = tmp_path / "c.sqlite"
    conn = store.connect(db, layout=TINY)
    for name, text in TEXTS.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
        store.add_file(conn, tmp_path / f"{name}.txt")
    conn.execute("UPDATE chunks SET counts = x'00' WHERE id = (SELECT MIN(id) FROM chunks)")
    conn.close()
    before = sha256(db)
    one_line_error(cli_run("diff", tmp_path / "a.txt", "--against", db), "damaged posting index")
    assert sha256(db) == before
    conn = store.connect(db)
    store.reindex(conn)
    check_postings(conn)
    assert_marks_agree(conn, compare.load(tmp_path / "a.txt")[0])


# ---------------------------------------------------------------- files: changes, duplicates, stdin


def test_a_file_that_became_a_copy_of_another_drops_its_old_speeches(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(TEXTS["a"], encoding="utf-8")
    b.write_text(TEXTS["b"], encoding="utf-8")
    db = tmp_path / "c.sqlite"
    assert cli_run("index", "add", a, b, "--db", db).exit_code == 0
    shutil.copy(b, a)  # cp B A
    result = cli_run("index", "add", a, "--db", db)
    assert result.exit_code == 0 and result.stdout.startswith(f"duplicate of {b.resolve()} (its earlier speeches removed)")
    listed = cli_run("index", "list", "--db", db).stdout
    assert listed.count("\n") == 1 and "b.txt#1" in listed and "a.txt" not in listed
    conn = store.connect(db)
    assert store.counts(conn)["files"] == 1
    assert store.mark(conn, compare.load_text(TEXTS["a"], "a")[0]).corpus_size == 1


def test_stdin_entries_are_named_never_cwd_dash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "c.sqlite"
    first = cli_run("index", "add", "-", "--db", db, input=TEXTS["a"])
    second = cli_run("index", "add", "-", "--db", db, input=TEXTS["b"])
    assert first.stdout.startswith("added:") and second.stdout.startswith("added:")  # not "updated": two entries
    again = cli_run("index", "add", "-", "--db", db, input=TEXTS["a"])
    assert again.stdout.startswith("unchanged:")
    named = cli_run("index", "add", "-", "--name", "2024年政府工作报告", "--db", db, input=TEXTS["c"])
    assert named.exit_code == 0, named.output
    conn = sqlite3.connect(db)
    paths = [r[0] for r in conn.execute("SELECT path FROM files ORDER BY id")]
    digest = hashlib.sha256(TEXTS["a"].encode()).hexdigest()
    assert paths[0] == f"stdin:{digest[:12]}" and paths[1].startswith("stdin:") and paths[2] == "2024年政府工作报告"
    assert not any(p.endswith("/-") for p in paths)
    sources = [r[0] for r in conn.execute("SELECT source FROM speeches ORDER BY id")]
    assert sources[2] == "2024年政府工作报告#1"
    assert cli_run("index", "remove", "2024年政府工作报告", "--db", db).stdout.startswith("removed:")
    usage = cli_run("index", "add", A, "--name", "x", "--db", db)
    assert usage.exit_code == 2 and "--name" in usage.output


# ---------------------------------------------------------------- concurrency


def test_two_concurrent_index_adds_over_overlapping_files_both_finish(tmp_path):
    files = []
    for i in range(16):
        p = tmp_path / f"s{i:02d}.txt"
        p.write_text(pool_text(i), encoding="utf-8")
        files.append(str(p))
    db = tmp_path / "c.sqlite"
    store.connect(db, layout=store.Layout(chunk=4, flush=400, fanout=2)).close()  # merges run concurrently too
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "compare", "index", "add"]
    runs = [
        subprocess.Popen(command + files[:11] + ["--db", str(db)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        subprocess.Popen(command + files[5:][::-1] + ["--db", str(db)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        subprocess.Popen([sys.executable, "-m", "compare", "diff", files[0], "--against", str(db), "--format", "json"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
    ]
    outputs = [r.communicate(timeout=600) for r in runs]
    for r, (out, err) in zip(runs, outputs):
        assert r.returncode == 0, err
        assert "Traceback" not in err and "error" not in err.lower()
    statuses = [line.split(":")[0] for out, _ in outputs[:2] for line in out.splitlines()]
    assert statuses.count("added") == 16 and set(statuses) <= {"added", "unchanged"}
    conn = store.connect(db)
    assert store.counts(conn)["files"] == 16
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check_postings(conn)
    for i in (0, 7, 30):
        assert_marks_agree(conn, compare.load_text(pool_text(i), "q")[0])


def test_a_writer_that_waits_too_long_gets_one_line(tmp_path, good_db, monkeypatch):
    db = copy_of(good_db, tmp_path)
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.2)  # instead of minutes
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a long write
    try:
        with pytest.raises(SpeechdiffError, match="locked by another process"):
            conn = store.connect(db)
            store.add_file(conn, SAMPLES / "ankang_2020_transport_and_health.txt")
        result = cli_run("index", "list", "--db", db)
        one_line_error(result, "locked by another process")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cli_run("index", "add", SAMPLES / "ankang_2020_transport_and_health.txt", "--db", db).exit_code == 0
