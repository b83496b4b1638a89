"""summarize at scale: 10k to 1M characters of real text, and one sentence
x 20,000, against the previous algorithm and jieba alone, in the same run.

Inputs: the cleaned texts of every speech in samples/ and tests/realworld/
(sorted by file), joined and cut at a line end near 10k, 100k, 300k and 1M
characters; and the first sentence of 40-60 characters of the first sample
speech, 20,000 times, one a line. Each measurement runs in a fresh child
process (jieba's dictionary loaded before the clock starts) that reports its
wall time and its own peak memory (VmHWM):

* speechdiff: read the file, outline it, ``TextRank().summarize`` (5 key
  sentences, 10 keywords): the default settings (a text of more than
  ``analyze.PARALLEL_ABOVE`` sentences is tagged in forked children, one per
  core; their cpu time is counted and their peak memory reported if larger),
  best of 3;
* previous: the same with ``exact_graph_limit=None, merge_duplicates=False``
  and tagging in one process, the algorithm before issue 11 (explicit
  similarity graph, every sentence a node), once, its address space capped
  (PREVIOUS_LIMIT_GB);
* jieba floor: read the file and ``jieba.lcut(text, HMM=False)``, the
  segmentation every summary needs, best of 3;
* jieba.analyse.textrank: jieba's own TextRank keywords (HMM on, its
  default), once.

Agreement: the top-5 and top-100 sentences of speechdiff and of the previous
algorithm are compared (identical up to scores tied within 1e-9), with the
largest relative score difference among them.

Switch point: on prefixes of the same real text, in this process (tokens
computed once, untimed), ``rank_sentences`` on the explicit graph and on the
factored operator, best of 3, with tracemalloc's peak; this is what
``analyze.EXACT_GRAPH_LIMIT`` is chosen from.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import compare
from compare import analyze
from compare.model import Speech
from compare.outline import parse_outline

from common import ROOT, REALWORLD, SAMPLES, timed

SIZES = (10_000, 100_000, 300_000, 1_000_000)
SWITCH_SIZES = (5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 300_000)
REPEATS = 20_000
# Address-space caps of the previous algorithm's process: it needs 5.5-6.5 GB
# at 1M characters; on one sentence x 20,000 its similarity matrix has 4e8
# non-zeros, whose products and copies need well over 10 GB: it ends in
# MemoryError under the cap (the issue saw the same traceback uncapped).
PREVIOUS_LIMIT_GB = 8
PREVIOUS_LIMIT_REPEATED_GB = 4

CHILD = r"""
import json, resource, sys, time
mode, path, out, limit_gb = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
if limit_gb > 0:
    resource.setrlimit(resource.RLIMIT_AS, (int(limit_gb * 2**30), int(limit_gb * 2**30)))

def peak_mb():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024

def process_cpu():
    # this process and the children it waited for (a long text is tagged in forked children)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime

result = {}
if mode in ('speechdiff', 'previous'):
    from compare import analyze
    from compare.model import Speech
    from compare.outline import parse_outline
    analyze._jieba()
    analyze.stopwords()
    if mode == 'speechdiff':
        ranker = analyze.TextRank(tokenizer=analyze.Tokenizer())
    else:
        ranker = analyze.TextRank(exact_graph_limit=None, merge_duplicates=False, tokenizer=analyze.Tokenizer(processes=1))
    start, cpu = time.perf_counter(), process_cpu()
    try:
        text = open(path, encoding='utf-8').read()
        speech = Speech('', '', '', path, text, parse_outline(text))
        summary = ranker.summarize(speech, 5, 10)
    except MemoryError:
        result['error'] = 'MemoryError'
    result['seconds'] = time.perf_counter() - start
    result['cpu'] = process_cpu() - cpu
    result['peak_mb'] = max(peak_mb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    if 'error' not in result:
        sentences = speech.sentences
        result['sentences'] = len(sentences)
        result['top5'] = [[k.rank, k.start] for k in summary.sentences]
        # untimed, after the peak was read: the top 100 for the agreement check
        top = ranker.key_sentences(speech, sentences, 100)
        result['top100'] = sorted([k.rank, k.start, k.score] for k in top)
        groups = analyze._group([t.words for t in ranker.tokenizer.tokenize([s.text for s in sentences])])
        result['groups'] = len(groups.multiplicity)
        result['exact_graph'] = ranker.uses_exact_graph(groups)
else:
    import jieba
    import logging
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    if mode == 'floor':
        start, cpu = time.perf_counter(), time.process_time()
        words = jieba.lcut(open(path, encoding='utf-8').read(), HMM=False)
    else:
        import jieba.analyse
        start, cpu = time.perf_counter(), time.process_time()
        words = jieba.analyse.textrank(open(path, encoding='utf-8').read(), topK=10)
    result['seconds'] = time.perf_counter() - start
    result['cpu'] = time.process_time() - cpu
    result['peak_mb'] = peak_mb()
open(out, 'w').write(json.dumps(result))
"""


def build_inputs(folder: Path) -> list[tuple[str, Path]]:
    texts = []
    for path in sorted(SAMPLES.glob("*.txt")) + sorted(REALWORLD.glob("*.txt")):
        texts.extend(speech.text for speech in compare.load(path))
    full = "\n".join(texts)
    inputs = []
    for size in SIZES:
        if size > len(full):
            raise SystemExit(f"only {len(full)} characters of real text; cannot build {size}")
        cut = full.rfind("\n", 0, size + 1)
        path = folder / f"real_{size}.txt"
        path.write_text(full[:cut], encoding="utf-8")
        inputs.append((f"real texts, {size // 1000}k", path))
    first = compare.load(sorted(SAMPLES.glob("*.txt"))[0])[0]
    sentence = next(s.text for s in first.sentences if 40 <= len(s.text) <= 60)
    path = folder / "one_sentence.txt"
    path.write_text("\n".join([sentence] * REPEATS), encoding="utf-8")
    inputs.append((f"one sentence x {REPEATS:,}", path))
    return inputs


def measure(mode: str, path: Path, folder: Path, repeats: int = 1, limit_gb: float = 0) -> dict:
    """The child's figures of its fastest run; ``cpu``: the least cpu time
    of the runs (on a loaded machine wall time also counts waiting)."""
    runs = []
    for _ in range(repeats):
        out = folder / f"{mode}.json"
        subprocess.run(
            [sys.executable, "-c", CHILD, mode, str(path), str(out), str(limit_gb)],
            check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        runs.append(json.loads(out.read_text()))
    best = min(runs, key=lambda r: r["seconds"])
    best["cpu"] = min(r["cpu"] for r in runs)
    return best


def agreement(ours: dict, previous: dict) -> str:
    """Top-5 / top-100 the same (up to ties), and the largest relative score difference."""
    if "error" in previous:
        return "–"

    def same(a, b):
        # rank order, allowing a swap among scores tied within 1e-9
        scores_a = {start: score for _, start, score in a}
        scores_b = {start: score for _, start, score in b}
        if set(scores_a) != set(scores_b):
            return False
        order_a = [start for _, start, _ in sorted(a)]
        order_b = [start for _, start, _ in sorted(b)]
        return all(x == y or math.isclose(scores_a[x], scores_a[y], rel_tol=1e-9) for x, y in zip(order_a, order_b))

    top5 = same(ours["top100"][:5], previous["top100"][:5])
    top100 = same(ours["top100"], previous["top100"])
    common = set(s for _, s, _ in ours["top100"]) & set(s for _, s, _ in previous["top100"])
    a = {s: v for _, s, v in ours["top100"]}
    b = {s: v for _, s, v in previous["top100"]}
    worst = max((abs(a[s] - b[s]) / b[s] for s in common), default=float("nan"))
    return f"{'yes' if top5 else 'NO'} / {'yes' if top100 else 'NO'}, {worst:.0e}"


def switch_point(full_text: str) -> None:
    import tracemalloc

    print("## TextRank switch point: explicit similarity graph vs factored operator (rank_sentences only)\n")
    print("| real text | sentences (distinct) | graph work (shared-word incidences) | explicit s | explicit MB | "
          "factored s | factored MB | kernel rank | default path |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    explicit = analyze.TextRank(exact_graph_limit=None)
    factored = analyze.TextRank(exact_graph_limit=0)
    for size in SWITCH_SIZES:
        text = full_text[: full_text.rfind("\n", 0, size + 1)]
        speech = Speech("", "", "", "", text, parse_outline(text))
        words = [t.words for t in analyze.tokenize([s.text for s in speech.sentences])]
        groups = analyze._group(words)
        cells = []
        for ranker in (explicit, factored):
            best = min(timed(ranker.rank_sentences, words)[0] for _ in range(3))
            tracemalloc.start()
            ranker.rank_sentences(words)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            cells += [f"{best:.3f}", f"{peak:.1f}"]
        rank = analyze._FactoredSimilarity(groups.incidence, groups.lengths).rank
        default = "explicit" if analyze.TextRank().uses_exact_graph(groups) else "factored"
        print(f"| {size // 1000}k | {len(words):,} ({len(groups.multiplicity):,}) | {groups.work:,} | "
              f"{' | '.join(cells)} | {rank} | {default} |", flush=True)
    print()


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inputs = build_inputs(folder)
        switch_point((folder / f"real_{SIZES[-1]}.txt").read_text(encoding="utf-8"))
        print("## summarize at scale: speechdiff vs the previous algorithm and jieba alone (fresh process each)\n")
        print("| input | chars | sentences (distinct) | path | speechdiff s (cpu) | MB | previous s (cpu) | MB | "
              "top-5 / top-100 same, max rel. diff | jieba floor s (cpu) | MB | speechdiff / floor (cpu) | "
              "jieba.analyse.textrank s |")
        print("|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        rows = {}
        for name, path in inputs:
            chars = len(path.read_text(encoding="utf-8"))
            ours = measure("speechdiff", path, folder, repeats=3)
            cap = PREVIOUS_LIMIT_REPEATED_GB if name.startswith("one sentence") else PREVIOUS_LIMIT_GB
            previous = measure("previous", path, folder, limit_gb=cap)
            floor = measure("floor", path, folder, repeats=3)
            jieba_tr = measure("jieba_textrank", path, folder)
            rows[name] = (chars, ours, previous, floor)
            if "error" in previous:
                prev_s = f"{previous['error']} ({cap} GB cap) after {previous['seconds']:.1f}"
            else:
                prev_s = f"{previous['seconds']:.2f} ({previous['cpu']:.2f})"
            path_used = "explicit" if ours["exact_graph"] else "factored"
            print(
                f"| {name} | {chars:,} | {ours['sentences']:,} ({ours['groups']:,}) | {path_used} | "
                f"{ours['seconds']:.2f} ({ours['cpu']:.2f}) | {ours['peak_mb']:.0f} | {prev_s} | "
                f"{previous['peak_mb']:.0f} | {agreement(ours, previous)} | "
                f"{floor['seconds']:.2f} ({floor['cpu']:.2f}) | {floor['peak_mb']:.0f} | "
                f"{ours['seconds'] / floor['seconds']:.2f}x ({ours['cpu'] / floor['cpu']:.2f}x) | "
                f"{jieba_tr['seconds']:.2f} |",
                flush=True,
            )
        print()
        small, large = rows["real texts, 100k"], rows["real texts, 1000k"]
        span = math.log(large[0] / small[0])

        def exponent(i):
            if "error" in large[i] or "error" in small[i]:
                return "–"
            wall = math.log(large[i]["seconds"] / small[i]["seconds"]) / span
            cpu = math.log(large[i]["cpu"] / small[i]["cpu"]) / span
            return f"{wall:.2f} ({cpu:.2f} in cpu time)"

        print(f"- growth exponent of time, 100k -> 1M characters: speechdiff {exponent(1)}, "
              f"previous {exponent(2)}, jieba floor {exponent(3)}")
        print(f"- memory above the jieba floor's process at 1M: speechdiff "
              f"{large[1]['peak_mb'] - large[3]['peak_mb']:.0f} MB, previous {large[2]['peak_mb'] - large[3]['peak_mb']:.0f} MB")
        print()
