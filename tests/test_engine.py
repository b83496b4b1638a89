"""The corpus work on Dask: a real distributed.LocalCluster (2 worker
processes, started once for this module) gives the very JSON the
in-process path gives, on the samples and on the development corpus
(tests/realworld/); `index add` on the cluster stores what the in-process
`index add` stores; bad --workers/--scheduler are one line and exit 2;
an interrupted run resumes from its work folder; `import compare` and an
in-process report never import dask."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from compare import corpus, views
from compare.engine import Engine

from .conftest import ROOT, SAMPLES, run

REALWORLD = ROOT / "tests" / "realworld"
SAMPLE_FILES = sorted(SAMPLES.glob("*.txt"))
REALWORLD_FILES = sorted(REALWORLD.glob("*.txt"))


def printed(*args) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    data.pop("version")
    return data


@pytest.fixture(scope="module")
def cluster():
    """The address of a 2-process LocalCluster, shared by the module's tests
    (starting one takes seconds). The CLI's own --workers, which starts a
    cluster of its own, is tested in test_engine_workers.py: two clusters
    alive at once in one test process is not what a user ever runs."""
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as c:
        yield c.scheduler_address


def the_parts(data: dict) -> dict:
    """What parity is about: families, pairs above the threshold, the
    phrasebook's top 100, each speech's shares (the rest of the JSON too)."""
    return {
        "families": data["near_duplicate_groups"],
        "pairs": [p for p in data["pairs"] if max(p["shared_a"], p["shared_b"]) >= corpus.RELATED],
        "phrasebook": data["phrasebook"][:100],
        "shares": [(s["id"], s["boilerplate"], s["shares"]) for s in data["speeches"]],
    }


# ---------------------------------------------------------------- parity


def test_report_on_a_cluster_gives_the_in_process_json_on_the_development_corpus(cluster):
    here = printed("report", *REALWORLD_FILES, "--phrases", "100")
    there = printed("report", *REALWORLD_FILES, "--phrases", "100", "--scheduler", cluster)
    assert len(here["speeches"]) >= 80 and here["pairs"] and here["near_duplicate_groups"]
    assert the_parts(there) == the_parts(here)
    assert there == here


def test_the_lsh_stages_give_the_same_corpus_on_a_cluster(cluster, tmp_path):
    """Above the exact-pairs limit the candidates come from the shuffle
    stages (frequent shingles, bands, buckets); small partitions and few
    buckets make every stage cross partitions."""
    speeches = [s for p in SAMPLE_FILES for s in __import__("compare").load(p)]
    here = corpus.analyze_corpus(speeches, exact_limit=3, engine=Engine(partition=4, buckets=3))
    with Engine(scheduler=cluster, partition=4, buckets=3) as engine:
        there = corpus.analyze_corpus(speeches, exact_limit=3, engine=engine)
    assert views.report_data(there) == views.report_data(here)
    assert here.pairs and here.phrasebook


# ---------------------------------------------------------------- index add


def stored(db) -> dict:
    """What an index holds, by file path and speech ordinal (ids may differ)."""
    c = sqlite3.connect(db)
    try:
        speeches = c.execute(
            "SELECT f.path, s.ordinal, s.title, s.date, s.speaker, s.source, s.text, s.text_sha256"
            " FROM speeches s JOIN files f ON f.id = s.file_id ORDER BY f.path, s.ordinal").fetchall()
        records = c.execute(
            "SELECT f.path, s.ordinal, r.kind, r.settings, r.data FROM results r JOIN speeches s ON s.id = r.speech_id"
            " JOIN files f ON f.id = s.file_id ORDER BY f.path, s.ordinal, r.kind").fetchall()
        sentences = c.execute(
            "SELECT f.path, s.ordinal, COUNT(*), TOTAL(x.key_hash) FROM sentences x JOIN speeches s ON s.id = x.speech_id"
            " JOIN files f ON f.id = s.file_id GROUP BY f.path, s.ordinal ORDER BY f.path, s.ordinal").fetchall()
    finally:
        c.close()
    return {"speeches": speeches, "records": [r[:4] + (corpus.decode_record(r[4]) is not None,) for r in records],
            "record_bytes": [r[4] for r in records], "sentences": sentences}


def test_index_add_on_a_cluster_stores_what_the_in_process_index_stores(cluster, tmp_path):
    files = [str(p) for p in SAMPLE_FILES]
    here, there = tmp_path / "here.sqlite", tmp_path / "there.sqlite"
    a = run("index", "add", *files, "--db", here)
    b = run("index", "add", *files, "--db", there, "--scheduler", cluster)
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    assert a.stdout == b.stdout  # added: FILE (N speeches), in the order given
    assert stored(there) == stored(here)
    assert stored(here)["records"]  # the per-speech records are stored
    again = run("index", "add", *files, "--db", there, "--scheduler", cluster)
    assert again.exit_code == 0 and all(line.startswith("unchanged:") for line in again.stdout.splitlines())
    assert printed("report", "--db", there, "--phrases", "100") == printed("report", "--db", here, "--phrases", "100")


# ---------------------------------------------------------------- bad options


def one_line(result, *needles):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize("command", [["report", *SAMPLE_FILES[:2]], ["index", "add", SAMPLE_FILES[0], "--db", "{db}"]])
@pytest.mark.parametrize("options, needles", [
    (["--scheduler", "not-an-address"], ["scheduler", "tcp://HOST:8786"]),
    (["--scheduler", "tcp://127.0.0.1:9"], ["127.0.0.1:9", "cannot reach"]),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], ["not both"]),
    (["--workers", "0"], ["--workers"]),
    (["--workers", "many"], ["--workers"]),
])
def test_bad_workers_or_scheduler_is_one_line(command, options, needles, tmp_path):
    args = [str(a).replace("{db}", str(tmp_path / "c.sqlite")) for a in command]
    one_line(run(*args, *options), *needles)
    assert not (tmp_path / "c.sqlite").exists()  # no database is created for a run that cannot start


# ---------------------------------------------------------------- resumption


def test_an_interrupted_report_resumes_from_its_work_folder(tmp_path, monkeypatch):
    """A run stopped after the records stage, started again with the same
    --work-dir: the same JSON, and no speech's record is computed again."""
    files = [*SAMPLE_FILES]
    want = printed("report", *files, "--phrases", "100")
    work = tmp_path / "work"
    made = []
    record = corpus.speech_record
    monkeypatch.setattr(corpus, "speech_record", lambda s, settings=corpus.RecordSettings(): made.append(s) or record(s, settings))

    def interrupted(task):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(corpus, "block_overlaps", interrupted)
        result = run("report", *files, "--phrases", "100", "--work-dir", work, "--format", "json")
        assert result.exit_code != 0 and not result.stdout
    assert len(made) == 19 and list((work / "records").glob("*.parquet"))
    made.clear()
    assert printed("report", *files, "--phrases", "100", "--work-dir", work) == want
    assert made == []  # every partition of records was read back, none recomputed


def test_a_resumed_run_computes_only_the_partitions_it_lacks(tmp_path, monkeypatch):
    """Partitions are named by what they hold: a corpus grown by a few
    speeches, compared again with the same work folder, computes the
    records of the new partition only."""
    import compare

    speeches = [s for p in SAMPLE_FILES for s in compare.load(p)]
    made = []
    record = corpus.speech_record
    monkeypatch.setattr(corpus, "speech_record", lambda s, settings=corpus.RecordSettings(): made.append(s) or record(s, settings))
    first = corpus.analyze_corpus(speeches[:16], engine=Engine(partition=4), work_dir=tmp_path)
    assert len(made) == 16
    made.clear()
    grown = corpus.analyze_corpus(speeches, engine=Engine(partition=4), work_dir=tmp_path)
    assert made == speeches[16:]  # the first four partitions were read back
    made.clear()
    assert views.report_data(grown) == views.report_data(corpus.analyze_corpus(speeches, engine=Engine(partition=4)))
    assert len(made) == len(speeches)  # (without the work folder everything is computed)
    assert len(first.speeches) == 16


# ---------------------------------------------------------------- dask stays out of the default path


def test_import_compare_and_an_in_process_report_never_import_dask(tmp_path):
    code = (
        "import sys\n"
        "import compare\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')], 'import compare'\n"
        "from compare.cli import main\n"
        f"sys.argv = ['speechdiff', 'report', {str(SAMPLE_FILES[0])!r}, {str(SAMPLE_FILES[1])!r}, '--format', 'json',"
        f" '-o', {str(tmp_path / 'r.json')!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "assert not loaded, loaded[:5]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((tmp_path / "r.json").read_text())["speeches"]

