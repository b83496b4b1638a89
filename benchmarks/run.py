"""Speed benchmarks, as ratios against a baseline run in the same process.

    make bench            # all
    python benchmarks/run.py textrank diff corpus

Figures are wall times on this machine; record them in benchmarks/README.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import compare
from compare import analyze
from compare.ingest import read_text
from compare.model import Speech
from compare.outline import parse_outline

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def best_of(n, fn, *args):
    runs = [timed(fn, *args) for _ in range(n)]
    return min(t for t, _ in runs), runs[0][1]


def textrank4zh_end_to_end(text: str):
    """textrank4zh as its README runs it: key sentences and keywords."""
    analyze._textrank4zh()
    from textrank4zh import TextRank4Keyword, TextRank4Sentence

    sentences = TextRank4Sentence()
    sentences.analyze(text=text, lower=True, source="no_stop_words")
    keywords = TextRank4Keyword()
    keywords.analyze(text=text, lower=True, window=2)
    return sentences.get_key_sentences(num=5), keywords.get_keywords(10)


def bench_textrank() -> None:
    analyze._jieba()  # load jieba's dictionary once, outside the timings
    analyze._textrank4zh()
    cases: list[tuple[str, Speech]] = []
    for path in sorted(SAMPLES.glob("*.txt")):
        for speech in compare.load(path):
            cases.append((speech.source, speech))
    raw = read_text(SAMPLES / "web_health_speeches_trad.txt")
    page = Speech("", "", "", "web_health_speeches_trad.txt (whole raw page)", raw, parse_outline(raw))
    cases.append((page.source, page))

    print("## TextRank: textrank4zh vs speechdiff's engine (key sentences + keywords, same text)\n")
    print("| speech | chars | sentences | textrank4zh s | speechdiff s | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, speech in cases:
        t_base, _ = timed(textrank4zh_end_to_end, speech.text)
        analyze._tokens.cache_clear()  # time the segmenting too, as textrank4zh does it
        t_ours, _ = timed(analyze.summarize, speech, 5, 10)
        print(f"| {name} | {len(speech.text)} | {len(speech.sentences)} | {t_base:.2f} | {t_ours:.3f} | {t_base / t_ours:.0f}x |", flush=True)
    print()


def joined(*speeches: Speech) -> Speech:
    text = "\n".join(s.text for s in speeches)
    return Speech("", "", "", "+".join(s.name for s in speeches), text, parse_outline(text))


def bench_diff() -> None:
    import difflib

    from compare import align, render

    analyze._jieba()
    ankang = compare.load(SAMPLES / "ankang_2020_transport_and_health.txt")
    template = compare.load(SAMPLES / "city_health_2022_template.txt")[0]
    web_copy = compare.load(SAMPLES / "web_health_speeches_trad.txt")[2]
    pairs = [
        ("ankang_2020 #1 vs #2", ankang[0], ankang[1]),
        ("2022 template vs web copy #3", template, web_copy),
        ("20k-char pair: ankang#1+template vs ankang#2+web#3", joined(ankang[0], template), joined(ankang[1], web_copy)),
    ]
    render.diff_html(render.diff_view(align.diff(*pairs[0][1:])))  # compile the template once, like jieba's load
    print("## diff: speechdiff vs difflib.HtmlDiff (same cleaned texts, best of 3)\n")
    print("| pair | chars | difflib.HtmlDiff s | speechdiff align s | speechdiff align+HTML s | ratio (HtmlDiff / align+HTML) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, a, b in pairs:
        t_base, _ = best_of(3, difflib.HtmlDiff(wrapcolumn=60).make_file, a.text.splitlines(), b.text.splitlines())
        t_align, d = best_of(3, align.diff, a, b)
        t_html, _ = best_of(3, lambda: render.diff_html(render.diff_view(d)))
        total = t_align + t_html
        print(f"| {name} | {len(a.text)}+{len(b.text)} | {t_base:.3f} | {t_align:.3f} | {total:.3f} | {t_base / total:.1f}x |", flush=True)
    print()


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


def bench_corpus(n: int = 1000) -> None:
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


BENCHES = {"textrank": bench_textrank, "diff": bench_diff, "corpus": bench_corpus}


def main(argv: list[str]) -> None:
    names = argv or list(BENCHES)
    for name in names:
        BENCHES[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
