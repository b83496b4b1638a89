"""report over many files: one unreadable file is skipped with a warning,
--strict makes it the error."""

import json

from .conftest import SAMPLES, run


def test_one_unreadable_file_among_many_is_skipped(tmp_path):
    bad = tmp_path / "binary.txt"
    bad.write_bytes(b"\x00\x01\x02\x03" * 200)
    good = [SAMPLES / "ankang_2020_transport_and_health.txt", SAMPLES / "ankang_2021_midyear.txt"]
    result = run("report", good[0], bad, good[1], "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"warning: skipped {bad}: binary file, not text"] or (
        len(result.stderr.splitlines()) == 1 and str(bad) in result.stderr and result.stderr.startswith("warning: skipped")
    )
    assert len(json.loads(result.stdout)["speeches"]) == 3
    strict = run("report", good[0], bad, good[1], "--format", "json", "--strict")
    assert strict.exit_code == 2 and str(bad) in strict.stderr and len(strict.stderr.splitlines()) == 1
    missing = run("report", good[0], tmp_path / "gone.txt", good[1], "--format", "json")
    assert missing.exit_code == 0 and "gone.txt" in missing.stderr
