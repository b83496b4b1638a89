"""Pinned outputs: the JSON that `outline`, `summarize`, `diff`, `report` and
`track` print, on every sample and a chosen dozen of tests/realworld/ files,
stored under tests/__snapshots__/ (syrupy). A behaviour change makes these
fail until the snapshots are regenerated on purpose:

    .venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update

and the regenerated files are reviewed in the commit's diff.

The snapshots hold what the commands print, so they run the CLI in-process
(CliRunner) and parse its JSON; the version string is left out, so a
release alone changes nothing.
"""

import json

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from .conftest import ROOT, SAMPLES, run

REALWORLD = ROOT / "tests" / "realworld"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.txt"))
# one or two of each source and kind of noise (see tests/realworld/SOURCES.md)
REALWORLD_FILES = [
    "city_report_baoding_2022.txt",  # ce.cn repost, U+FFFD, 责任编辑
    "city_report_baoding_2023.txt",
    "city_report_baoding_2026.txt",  # 摘登 on a bureau site, visitor counter
    "county_report_baoding_anxin_2024_xlsx.txt",  # one line, literal \r\n, watermark
    "county_report_baoding_qingyuan_2022_xlsx.txt",  # aggregator template, sidebars
    "county_report_baoding_qingyuan_2023_xlsx.txt",
    "county_report_gaoyang_2024.txt",  # county site footer
    "hk_legco_speech_financial_secretary_budget_2013_json.txt",  # traditional, PDF breaks
    "provincial_report_hebei_2008.txt",  # half-width punctuation, truncated
    "provincial_report_hebei_2024.txt",  # hebei.gov.cn chrome, page twice
    "provincial_report_hebei_2025.txt",
    "speech_deng_southwest_bureau_urban_work_conference_outline_1950.txt",  # terse outline 一、…十一、
]
DIFF_PAIRS = [
    ("samples/ankang_2020_transport_and_health.txt#1", "samples/ankang_2020_transport_and_health.txt#2"),
    ("samples/city_health_2022_template.txt", "samples/web_health_speeches_trad.txt#3"),
    ("samples/ankang_2021_midyear.txt", "samples/web_prefecture_speeches_trad.txt#2"),
    ("tests/realworld/provincial_report_hebei_2024.txt", "tests/realworld/provincial_report_hebei_2025.txt"),
    ("tests/realworld/county_report_baoding_qingyuan_2022_xlsx.txt", "tests/realworld/county_report_baoding_qingyuan_2023_xlsx.txt"),
]


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def printed(*args) -> object:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            item.pop("version", None)
    return data


def path_of(name: str):
    return SAMPLES / name if (SAMPLES / name).exists() else REALWORLD / name


@pytest.mark.parametrize("name", SAMPLE_FILES + REALWORLD_FILES)
def test_outline(name, snapshot_json):
    assert printed("outline", path_of(name)) == snapshot_json


@pytest.mark.parametrize("name", SAMPLE_FILES + REALWORLD_FILES)
def test_summarize(name, snapshot_json):
    assert printed("summarize", path_of(name), "--per-section") == snapshot_json


@pytest.mark.parametrize("a, b", DIFF_PAIRS, ids=lambda spec: spec.split("/")[-1])
def test_diff(a, b, snapshot_json):
    assert printed("diff", ROOT / a, ROOT / b) == snapshot_json


def test_report_samples(snapshot_json):
    assert printed("report", *[SAMPLES / n for n in SAMPLE_FILES], "--phrases", "100") == snapshot_json


def test_report_realworld(snapshot_json):
    assert printed("report", *[REALWORLD / n for n in REALWORLD_FILES], "--phrases", "100") == snapshot_json


def test_track_series(snapshot_json):
    files = [REALWORLD / f"provincial_report_hebei_{y}.txt" for y in (2023, 2024, 2025)]
    assert printed("track", *files, "--section", "开场", "--numbers") == snapshot_json
