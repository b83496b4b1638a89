"""The CLI's own --workers 2: `report` and `index add` start a
distributed.LocalCluster of their own (and stop it), and give what the
in-process path gives. (The other cluster tests, sharing one cluster, are in
test_engine.py.)"""

from __future__ import annotations

import json

import pytest

from .conftest import run
from .test_engine import SAMPLE_FILES, printed, stored, the_parts


def test_report_workers_2_gives_the_in_process_json_on_the_samples():
    """The CLI's own --workers 2: a LocalCluster started and stopped by the command."""
    here = printed("report", *SAMPLE_FILES, "--phrases", "100")
    there = printed("report", *SAMPLE_FILES, "--phrases", "100", "--workers", "2")
    assert the_parts(there) == the_parts(here)
    assert there == here
    assert here["near_duplicate_groups"] and here["phrasebook"]  # the comparison has something to agree on


def test_index_add_workers_2_and_a_bad_file(tmp_path):
    """The CLI's own --workers 2 for index add: a bad file among good ones is
    one error line, the others are stored, exit 2."""
    bad = tmp_path / "empty.txt"
    bad.write_text("\n\n", encoding="utf-8")
    db = tmp_path / "c.sqlite"
    result = run("index", "add", SAMPLE_FILES[0], bad, SAMPLE_FILES[1], "--db", db, "--workers", "2")
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "empty.txt" in errors[0]
    assert "Traceback" not in result.output
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["added", "added"]
    here = tmp_path / "here.sqlite"
    run("index", "add", SAMPLE_FILES[0], SAMPLE_FILES[1], "--db", here)
    assert stored(db)["speeches"] == stored(here)["speeches"]


# ---------------------------------------------------------------- progress


@pytest.mark.parametrize("where", [[], ["--workers", "1"]])
def test_a_terminal_gets_a_bar_per_stage(where, monkeypatch):
    """On a terminal each stage of the corpus pipeline shows a bar on
    stderr (in-process and on a cluster, whose tasks are followed as they
    finish); in a pipe there is none."""
    from rich.console import Console

    args = ["report", *SAMPLE_FILES[:3], "--format", "json", *where]
    assert "records" not in run(*args).stderr
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    result = run(*args)
    assert result.exit_code == 0, result.output
    for stage in ("records", "pair overlaps", "labels"):
        assert stage in result.stderr
    assert json.loads(result.stdout)["speeches"]
