"""report against its floor (issue 11): the whole `report` over a corpus,
next to reading and segmenting the same files, in the same run.

Floor: a fresh process that reads every file and segments it into speeches,
outlines and sentences (``compare.load``: decode, clean, split, outline) and
nothing else. Report: a fresh process running ``speechdiff report FILES
--format json -o report.json --diffs none`` (the comparison itself: per-speech
TextRank summaries, fingerprints, pairs, families, phrasebook, shares; no
pairwise diff pages, whose number the user chooses). Run in PAIRS
pairs, a floor run and then a report run: this machine's speed drifts by
up to 1.8x within the hour, and best-of-2 of the floor followed by
best-of-2 of the report measured the two in different phases of it (the
same code gave 4.7x and 3.2x in two runs minutes apart). The ratio is
the median of the pairs' ratios (each report against the floor just
before it); its range is printed beside it. Each run's wall time, its
process's own peak memory (VmHWM; the report's main process: its pool
processes are not counted) and the CPU seconds of the run (pool
processes included; the medians are shown): the report uses every core
by default, the floor one. Goal: report at most 3x the floor.

For reference only, once a corpus after the pairs: reading the same
files and jieba's ``lcut`` of their whole text (the issue's point-5
"jieba-only floor"); the goal is measured against the floor above, which
is the stricter (the report tags words with its own tagger, faster than
jieba).

Corpora: the development corpus (samples/ and tests/realworld/, 89 files)
and 1,000 synthetic speeches (common.synthetic_corpus).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import MEASURED_CLI, PEAK_AT_EXIT, synthetic_corpus

ROOT = Path(__file__).resolve().parent.parent

# reads and segments every file given, nothing else
FLOOR = PEAK_AT_EXIT + """
import compare
count = sum(len(compare.load(p)) for p in sys.argv[2:])
"""

# for reference: reads every file and segments its whole text into words
# with jieba (HMM off), nothing else: the "jieba-only floor (read +
# lcut)" of the issue's point 5, not the floor the goal is measured on
JIEBA = PEAK_AT_EXIT + """
import logging
import jieba
jieba.setLogLevel(logging.WARNING)
count = sum(len(jieba.lcut(open(p, encoding="utf-8", errors="replace").read(), HMM=False)) for p in sys.argv[2:])
"""


def _cpu() -> float:
    """CPU seconds of the waited-for children so far (a report's pool processes included)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


PAIRS = 3  # floor-then-report pairs a corpus


def _measure(script: str, args: list[str], peak_file: Path) -> tuple[float, float, float]:
    """One run: (wall seconds, peak MB, CPU seconds)."""
    cpu = _cpu()
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", script, str(peak_file), *args], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"failed: {result.stderr[-500:]}")
    return wall, int(peak_file.read_text()) / 1024, _cpu() - cpu


def run() -> None:
    print("## report against the read + segment floor (issue 11)\n")
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| corpus | files | characters | floor s | floor MB | report s | report MB | report / floor (range) | "
          "report CPU s / floor CPU s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    jieba_floors = []
    with tempfile.TemporaryDirectory(prefix="speechdiff-bench-") as tmp:
        folder = Path(tmp)
        dev = sorted((ROOT / "samples").glob("*.txt")) + sorted((ROOT / "tests" / "realworld").glob("*.txt"))
        synthetic = synthetic_corpus(folder / "speeches", 1000)
        for name, paths in (("development (samples + realworld)", dev), ("synthetic, 1,000 speeches", synthetic)):
            files = [str(p) for p in paths]
            chars = sum(len(p.read_text(encoding="utf-8", errors="replace")) for p in paths)
            args = ["report", *files, "--format", "json", "-o", str(folder / "report.json"), "--diffs", "none"]
            floors, reports = [], []
            for _ in range(PAIRS):
                floors.append(_measure(FLOOR, files, folder / "peak"))
                reports.append(_measure(MEASURED_CLI, args, folder / "peak"))
            ratios = sorted(r[0] / f[0] for f, r in zip(floors, reports))
            (floor_s, floor_mb, floor_cpu), (report_s, report_mb, report_cpu) = (
                tuple(statistics.median(run[i] for run in runs) for i in range(3)) for runs in (floors, reports))
            print(f"| {name} | {len(files)} | {chars:,} | {floor_s:.1f} | {floor_mb:.0f} | {report_s:.1f} | "
                  f"{report_mb:.0f} | {statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f}) | "
                  f"{report_cpu:.1f} / {floor_cpu:.1f} = {report_cpu / floor_cpu:.1f}x |", flush=True)
            jieba_floors.append((name, _measure(JIEBA, files, folder / "peak")[0], report_s))
    for name, jieba_s, report_s in jieba_floors:
        print(f"\n- {name}: reading the files and jieba's `lcut` of their text (HMM off; the issue's point 5 "
              f"floor, for reference) {jieba_s:.1f} s; the report's median {report_s:.1f} s is {report_s / jieba_s:.2f}x that")
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}\n")
