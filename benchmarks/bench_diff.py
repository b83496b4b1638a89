"""diff: align + HTML against difflib.HtmlDiff on the same cleaned texts.

Inputs (issue 11):

- real pairs of 17.5k to 500k characters per side, made by concatenating the
  cleaned real texts of samples/ and tests/realworld/ (sorted by name, so a
  city's or province's reports of consecutive years sit next to each other):
  side A takes the documents at even positions, side B the ones at odd
  positions, each cut to the size at a line end. So A's 2006 report faces
  B's 2007 one, and so on: related text, not copies.
- repetitive text made here: one sentence 1,000 times with varied figures
  against another such variation, and 2,000 / 20,000 identical copies (and
  the varied 1,000) against themselves.

Each speechdiff figure is align.diff + render.diff_html(render.diff_view(d));
its peak memory is measured in a child process that does only that (VmHWM:
the child's own high-water mark, imports included).
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import compare
from compare import analyze
from compare.model import Speech
from compare.outline import parse_outline

from common import REALWORLD, SAMPLES, joined

SIZES = [17_500, 20_000, 50_000, 100_000, 200_000, 500_000]
EXPONENT_FROM = 20_000  # issue 11: the growth exponent from 20k to 500k characters

# The child: read two texts, diff them, render the HTML, report VmHWM (kB).
MEASURED_DIFF = """
import sys
from compare import align, render
from compare.model import Speech
from compare.outline import parse_outline
def speech(path):
    text = open(path, encoding='utf-8').read()
    return Speech('', '', '', path, text, parse_outline(text))
a, b = speech(sys.argv[1]), speech(sys.argv[2])
render.diff_html(render.diff_view(align.diff(a, b)))
for line in open('/proc/self/status'):
    if line.startswith('VmHWM:'):
        print(line.split()[1])
"""


def speech_of(text: str, name: str) -> Speech:
    return Speech("", "", "", name, text, parse_outline(text))


def _real_texts() -> list[str]:
    texts = []
    for path in sorted(SAMPLES.glob("*.txt")) + sorted(REALWORLD.glob("*.txt")):
        texts.extend(s.text for s in compare.load(path) if len(s.text) > 1000)
    return texts


def _cut(texts: list[str], size: int) -> str:
    """The texts joined, cut at the first line end past ``size`` characters."""
    out, total = [], 0
    for text in texts:
        for line in text.split("\n"):
            out.append(line)
            total += len(line) + 1
            if total >= size:
                return "\n".join(out)
    raise SystemExit(f"not enough real text for {size} characters per side")


def real_pair(texts: list[str], size: int) -> tuple[Speech, Speech]:
    a = _cut(texts[0::2], size)
    b = _cut(texts[1::2], size)
    return speech_of(a, f"real A {size}"), speech_of(b, f"real B {size}")


SENTENCE = "全市完成固定资产投资{}亿元，同比增长{}%，其中{}个重点项目完成投资{}亿元，占年度计划的{}%。"


def varied(n: int, seed: int) -> str:
    """One sentence ``n`` times, its figures drawn anew each time (seeded),
    ten to a paragraph."""
    rng = random.Random(seed)
    sentences = [
        SENTENCE.format(rng.randint(100, 999), rng.randint(1, 30) / 10, rng.randint(10, 99), rng.randint(10, 500), rng.randint(50, 150))
        for _ in range(n)
    ]
    return "\n".join("".join(sentences[i:i + 10]) for i in range(0, n, 10))


def repeated(n: int) -> str:
    sentence = SENTENCE.format(356, 6.5, 42, 128, 103)
    return "\n".join(sentence * 10 for _ in range(n // 10))


def peak_mb(a: Speech, b: Speech) -> float:
    with tempfile.TemporaryDirectory(prefix="speechdiff-bench-") as tmp:
        pa, pb = Path(tmp) / "a.txt", Path(tmp) / "b.txt"
        pa.write_text(a.text, encoding="utf-8")
        pb.write_text(b.text, encoding="utf-8")
        result = subprocess.run([sys.executable, "-c", MEASURED_DIFF, str(pa), str(pb)], capture_output=True, text=True)
        if result.returncode:
            raise SystemExit(f"diff child failed: {result.stderr[-800:]}")
        return int(result.stdout.split()[-1]) / 1024


def best_wall_cpu(n: int, fn, *args):
    """Best wall and best CPU (process) time of ``n`` runs, and a result.
    CPU time is what the run costs on an idle machine; the wall time on a
    shared one also holds the waits for a core."""
    walls, cpus, result = [], [], None
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn(*args)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus), result


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log time on log size."""
    xs = [math.log(c) for c, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def run() -> None:
    import difflib

    from compare import align, render

    analyze._jieba()
    texts = _real_texts()
    cases = [(f"real {size // 1000 if size % 1000 == 0 else size / 1000}k", size, *real_pair(texts, size)) for size in SIZES]
    ankang = compare.load(SAMPLES / "ankang_2020_transport_and_health.txt")
    template = compare.load(SAMPLES / "city_health_2022_template.txt")[0]
    web_copy = compare.load(SAMPLES / "web_health_speeches_trad.txt")[2]
    cases += [  # the pairs of the earlier table (issue 4), for the before/after ratio
        ("ankang_2020 #1 vs #2", None, ankang[0], ankang[1]),
        ("2022 template vs web copy #3", None, template, web_copy),
        ("20k-char pair: ankang#1+template vs ankang#2+web#3", None, joined(ankang[0], template), joined(ankang[1], web_copy)),
    ]
    cases += [
        ("one sentence × 1,000, varied (vs another variation)", None, speech_of(varied(1000, 1), "v1"), speech_of(varied(1000, 2), "v2")),
        ("one sentence × 1,000, varied, vs itself", None, *(speech_of(varied(1000, 1), "v1"),) * 2),
        ("one sentence × 2,000 vs itself", None, *(speech_of(repeated(2000), "r2k"),) * 2),
        ("one sentence × 20,000 vs itself", None, *(speech_of(repeated(20000), "r20k"),) * 2),
    ]
    small = cases[0][2:]
    render.diff_html(render.diff_view(align.diff(*small)))  # compile the template once, like jieba's load
    load = os.getloadavg()[0]
    print(f"## diff: speechdiff vs difflib.HtmlDiff (same cleaned texts; best of 3 interleaved runs, of 2 above 200k characters per side; "
          f"load average {load:.1f} on {os.cpu_count()} cores)\n")
    print("| pair | chars A+B | HtmlDiff s | HtmlDiff CPU s | speechdiff align s | align+HTML s | align+HTML CPU s "
          "| ratio wall (HtmlDiff / align+HTML) | ratio CPU | peak MB (child) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    growth, growth_cpu = [], []
    for name, size, a, b in cases:
        n = 3 if len(a.text) + len(b.text) <= 400_000 else 2
        base_w, base_c, ours_w, ours_c, align_w = [], [], [], [], []
        lines_a, lines_b = a.text.splitlines(), b.text.splitlines()
        for _ in range(n):  # interleaved, so a busy spell on a shared machine hits both
            w, c, _ = best_wall_cpu(1, difflib.HtmlDiff(wrapcolumn=60).make_file, lines_a, lines_b)
            base_w.append(w)
            base_c.append(c)
            # align and page in one timed run (the page's time depends on the diff)
            w, c, _ = best_wall_cpu(1, lambda: render.diff_html(render.diff_view(align.diff(a, b))))
            ours_w.append(w)
            ours_c.append(c)
            align_w.append(best_wall_cpu(1, align.diff, a, b)[0])
        mb = peak_mb(a, b)
        if size and size >= EXPONENT_FROM:
            growth.append((len(a.text) + len(b.text), min(ours_w)))
            growth_cpu.append((len(a.text) + len(b.text), min(ours_c)))
        print(f"| {name} | {len(a.text)}+{len(b.text)} | {min(base_w):.3f} | {min(base_c):.3f} | {min(align_w):.3f} | {min(ours_w):.3f} | "
              f"{min(ours_c):.3f} | {min(base_w) / min(ours_w):.1f}x | {min(base_c) / min(ours_c):.1f}x | {mb:.0f} |", flush=True)
    print(f"\nGrowth exponent of align+HTML from {EXPONENT_FROM // 1000}k to {SIZES[-1] // 1000}k characters per side "
          f"(least-squares slope of log time on log size): **{_slope(growth):.2f}** wall, **{_slope(growth_cpu):.2f}** CPU "
          f"(load average {os.getloadavg()[0]:.1f} at the end)\n")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    run()
