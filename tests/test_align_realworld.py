"""Section alignment on real reports: consecutive years of one government.

The expected pairs were written down by reading the reports
(tests/realworld/expected_section_pairs.json); at least 80% must be found
(issue 12)."""

import functools
import json
from pathlib import Path

import pytest

import compare
from compare import align

REALWORLD = Path(__file__).resolve().parent / "realworld"
EXPECTED = json.loads((REALWORLD / "expected_section_pairs.json").read_text(encoding="utf-8"))["documents"]


@functools.cache
def speech(name: str):
    return compare.load(REALWORLD / name)[0]


@functools.cache
def diff_of(a: str, b: str):
    return align.diff(speech(a), speech(b))


def section_named(speech, prefix: str):
    found = [s for s in speech.walk() if s.level and (s.marker + s.heading).startswith(prefix)]
    assert len(found) == 1, f"{prefix!r} names {len(found)} sections of {speech.source}"
    return found[0]


def found_pairs(doc) -> tuple[list, list]:
    d = diff_of(doc["a"], doc["b"])
    paired = {(id(p.a), id(p.b)) for p in align.walk_pairs(d.pairs) if p.a is not None and p.b is not None}
    hit, miss = [], []
    for name_a, name_b in doc["pairs"]:
        sa, sb = section_named(speech(doc["a"]), name_a), section_named(speech(doc["b"]), name_b)
        (hit if (id(sa), id(sb)) in paired else miss).append((name_a, name_b))
    return hit, miss


def test_expected_same_topic_sections_pair():
    hits = total = 0
    report = []
    for doc in EXPECTED:
        hit, miss = found_pairs(doc)
        hits += len(hit)
        total += len(hit) + len(miss)
        report.append(f"{doc['a']} vs {doc['b']}: {len(hit)}/{len(hit) + len(miss)}, missed {miss}")
    assert hits / total >= 0.8, "\n".join(report)


@pytest.mark.parametrize("doc", EXPECTED, ids=[f"{d['a'][:-4]}-{d['b'][-8:-4]}" for d in EXPECTED])
def test_each_document_pair_mostly_found(doc):
    # no single document pair may fall apart while the others carry the total
    hit, miss = found_pairs(doc)
    assert len(hit) / (len(hit) + len(miss)) >= 0.6, miss


def test_renumbered_subsections_found():
    """The pairs whose numbers differ are the ones a positional diff misses."""
    hits = total = 0
    for doc in EXPECTED:
        hit, miss = found_pairs(doc)
        for a, b in hit + miss:
            if a[:3] != b[:3]:
                total += 1
                hits += (a, b) in hit
    assert total >= 25 and hits / total >= 0.8


def test_every_section_once_in_the_tree():
    for doc in EXPECTED:
        d = diff_of(doc["a"], doc["b"])
        seen_a = [id(p.a) for p in align.walk_pairs(d.pairs) if p.a is not None]
        seen_b = [id(p.b) for p in align.walk_pairs(d.pairs) if p.b is not None]
        assert sorted(seen_a) == sorted(id(s) for s in speech(doc["a"]).walk())
        assert sorted(seen_b) == sorted(id(s) for s in speech(doc["b"]).walk())


def test_unrelated_reports_pair_no_sections():
    """A 1962 speech and a 2024 provincial report share no topic."""
    d = align.diff(speech("speech_deng_enlarged_central_work_conference_1962.txt"), speech("provincial_report_hebei_2024.txt"))
    paired = [p for p in align.walk_pairs(d.pairs) if p.a is not None and p.b is not None and not p.frame]
    assert paired == []
