"""corpus: index add and report over a synthetic corpus."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import compare

from common import MEASURED_CLI, synthetic_corpus, timed


def run(n: int = 1000) -> None:
    """index add and report over a synthetic corpus, each in a fresh process
    (so peak memory is the command's own), next to the all-pairs baseline."""
    import subprocess
    import tempfile

    from compare import corpus

    with tempfile.TemporaryDirectory(prefix="speechdiff-bench-") as tmp:
        folder = Path(tmp)
        paths = synthetic_corpus(folder / "speeches", n)
        chars = sum(len(p.read_text(encoding="utf-8")) for p in paths)
        print(f"## corpus: {n} synthetic speeches ({chars / n:.0f} characters on average), 2-core machine\n")
        print("| command | wall s | peak memory MB |")
        print("|---|---:|---:|")
        files = list(map(str, paths))
        commands = [
            ("index add (new database)", ["index", "add", *files, "--db", str(folder / "c.sqlite")]),
            ("index add again (all unchanged)", ["index", "add", *files, "--db", str(folder / "c.sqlite")]),
            ("report (HTML, 100 related diffs)", ["report", *files, "-o", str(folder / "report.html")]),
        ]
        peak_file = folder / "peak"
        for name, args in commands:
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "-c", MEASURED_CLI, str(peak_file), *args], capture_output=True, text=True)
            wall = time.perf_counter() - start
            if result.returncode:
                raise SystemExit(f"{name} failed: {result.stderr[-500:]}")
            peak = int(peak_file.read_text()) / 1024
            print(f"| {name} | {wall:.1f} | {peak:.0f} |", flush=True)
        print()
        speeches = [compare.load(p)[0] for p in paths]
        prints = [corpus.fingerprint(s) for s in speeches]
        t_lsh, candidates = timed(corpus.candidate_pairs, [p.set for p in prints])
        sets = [p.set for p in prints]
        t_verify, _ = timed(corpus.shared_counts, sets, sorted(candidates))
        all_pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
        t_all, _ = timed(corpus.shared_counts, sets, all_pairs)
        print("| pair finding | pairs measured | s |")
        print("|---|---:|---:|")
        print(f"| all pairs (baseline) | {len(all_pairs)} | {t_all:.1f} |")
        print(f"| MinHash LSH candidates, then measured | {len(candidates)} | {t_lsh + t_verify:.1f} ({t_all / (t_lsh + t_verify):.1f}x faster) |")
        print()


