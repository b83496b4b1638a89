"""Shared helpers of the benchmarks: timing, the synthetic corpus, running
the CLI in a child process that reports its own peak memory."""

from __future__ import annotations

import time
import sys
from pathlib import Path

import compare
from compare.model import Speech
from compare.outline import parse_outline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))  # tests.oracles: the plain implementations some baselines run
SAMPLES = ROOT / "samples"
REALWORLD = ROOT / "tests" / "realworld"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def best_of(n, fn, *args):
    runs = [timed(fn, *args) for _ in range(n)]
    return min(t for t, _ in runs), runs[0][1]


def joined(*speeches: Speech) -> Speech:
    text = "\n".join(s.text for s in speeches)
    return Speech("", "", "", "+".join(s.name for s in speeches), text, parse_outline(text))


NUMERALS = "一二三四五六七八九十"


def synthetic_corpus(folder: Path, n: int = 1000, seed: int = 2026) -> list[Path]:
    """``n`` speech files made by recombining the samples' openings and
    top-level sections (renumbered), dropping a tenth of their lines; seeded."""
    import random
    import re

    rng = random.Random(seed)
    openings, sections = [], []
    for path in sorted(SAMPLES.glob("*.txt")):
        for speech in compare.load(path):
            for sec in speech.sections:
                text = speech.text[sec.span[0]:sec.span[1]].strip()
                (sections if sec.level == 1 else openings).append(text)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        parts = [rng.choice(openings)]
        for number, text in enumerate(rng.sample(sections, rng.randint(3, 5))):
            text = re.sub(r"^[一二三四五六七八九十]+、", NUMERALS[number] + "、", text)
            parts.append("\n".join(line for line in text.splitlines() if rng.random() > 0.1))
        path = folder / f"speech_{i:04d}.txt"
        path.write_text("\n".join(parts) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# Runs the CLI in a child and writes the child's own peak memory (VmHWM: the
# high-water mark of its address space since exec). ru_maxrss would not do:
# Linux carries the parent's high-water mark across a vfork+exec.
MEASURED_CLI = """
import atexit, sys
def peak(path=sys.argv[1]):
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            open(path, 'w').write(line.split()[1])
atexit.register(peak)
sys.argv = ['speechdiff'] + sys.argv[2:]
from compare.cli import main
main()
"""


