"""against: `diff --against` per query, through the fingerprint postings,
next to the earlier path that loaded every stored fingerprint set (the same
databases, the same queries, the same run).

    python benchmarks/run.py against                 # 1,000 / 3,000 / 10,000 stored speeches
    python benchmarks/bench_against.py 200 500       # other sizes
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import compare
from compare import boilerplate, corpus, store

from common import MEASURED_CLI, SAMPLES, synthetic_corpus

HERE = Path(__file__).resolve().parent
SIZES = (1000, 3000, 10000)
QUERIES = 3



def _timing_mark(script: str, mark_name: str) -> str:
    """``script`` with store.mark (``mark_name``: the function to use) timed;
    the seconds it took are appended to the file in $SPEECHDIFF_MARK_TIMES."""
    return f"import sys; sys.path.insert(0, {str(HERE)!r})\n" + script.replace(
        "from compare.cli import main",
        "import os, time\nfrom compare import store\nimport bench_against\n"
        f"_mark = {mark_name}\n"
        "def _timed(*args, **kwargs):\n"
        "    start = time.perf_counter()\n"
        "    try:\n"
        "        return _mark(*args, **kwargs)\n"
        "    finally:\n"
        "        open(os.environ['SPEECHDIFF_MARK_TIMES'], 'a').write(f'{time.perf_counter() - start}\\n')\n"
        "store.mark = _timed\n"
        "from compare.cli import main",
    )


def mark_by_loading(conn, speech, nearest: int = 5) -> store.Marking:
    """store.mark before postings (schema 1), on the schema 2 tables: every
    stored fingerprint set loaded, shared counts by one sparse product, the
    corpus table built in memory, sentence uses filtered by every stored id."""
    fp = corpus.fingerprint(speech)
    rows = conn.execute(
        "SELECT s.id, s.source, s.title, s.date, s.speaker, f.hashes FROM speeches s JOIN fingerprints f ON f.speech_id = s.id"
        " WHERE s.text_sha256 != ? ORDER BY s.id",
        (store._sha256(speech.text),),
    ).fetchall()
    sets = [np.frombuffer(row[-1], dtype="<u8") for row in rows]
    shared = corpus.shared_counts([fp.set, *sets], [(0, i) for i in range(1, len(sets) + 1)])
    neighbours = [
        store.Neighbour(store.StoredSpeech(*row[:-1]), shared[0, i] / len(fp.set))
        for i, row in enumerate(rows, 1) if shared[0, i]
    ]
    # per fingerprint of the speech, how many stored speeches hold it; then the one rule
    holders = np.zeros(len(fp.set), dtype=np.int64)
    for s in sets:
        holders += np.isin(fp.set, s)
    labels = boilerplate.label(fp, boilerplate.recurring(corpus.lookup(fp.runs, fp.set, holders), boilerplate.Rule()))
    hashes = [store.key_hash(k) for k in fp.keys]
    wanted = sorted({h for h in hashes if h is not None})
    found: dict[int, int] = {}
    allowed = {row[0] for row in rows}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        seen: dict[int, set[int]] = {}
        for h, sid in conn.execute(f"SELECT key_hash, speech_id FROM sentences WHERE key_hash IN ({','.join('?' * len(chunk))})", chunk):
            if sid in allowed:
                seen.setdefault(h, set()).add(sid)
        found.update({h: len(s) for h, s in seen.items()})
    uses = [found.get(h, 0) if h is not None else 0 for h in hashes]
    neighbours.sort(key=lambda nb: -nb.shared)
    return store.Marking(speech, fp, labels.coverage, uses, labels.reused, len(rows), neighbours[:nearest], labels)


def _same(a: store.Marking, b: store.Marking) -> bool:
    return (a.scores == b.scores and a.uses == b.uses and a.share == b.share and a.corpus_size == b.corpus_size
            and [(n.speech.id, n.shared) for n in a.nearest] == [(n.speech.id, n.shared) for n in b.nearest])


def _child(script: str, peak_file: Path, args: list[str]) -> tuple[float, float, float, float]:
    """Wall seconds, CPU seconds, peak MB of one CLI run in a fresh process,
    and the seconds its store.mark call took."""
    import os
    import resource

    times = peak_file.with_suffix(".mark")
    times.write_text("")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", script, str(peak_file), *args], capture_output=True, text=True,
                            env={**os.environ, "SPEECHDIFF_MARK_TIMES": str(times)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        raise SystemExit(f"{' '.join(args[:3])} failed: {result.stderr[-500:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, int(peak_file.read_text()) / 1024, sum(float(t) for t in times.read_text().split())


def _summary(runs: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    """Mean wall, mean CPU, largest peak, mean store.mark time."""
    return (float(np.mean([r[0] for r in runs])), float(np.mean([r[1] for r in runs])), max(r[2] for r in runs),
            float(np.mean([r[3] for r in runs])))


def build(folder: Path, sizes: tuple[int, ...]) -> tuple[dict[int, Path], list[str]]:
    """One database grown to each size by store.add_file (what `index add`
    runs), copied aside at each size; returns the copies and a line per size."""
    paths = synthetic_corpus(folder / "speeches", max(sizes))
    db = folder / "corpus.sqlite"
    conn = store.connect(db)
    copies, lines, added, start = {}, [], 0, time.perf_counter()
    for size in sorted(sizes):
        t0 = time.perf_counter()
        slowest = 0.0
        for path in paths[added:size]:
            t = time.perf_counter()
            store.add_file(conn, path)
            slowest = max(slowest, time.perf_counter() - t)
        elapsed = time.perf_counter() - t0
        lines.append(f"| {size} | {(elapsed / (size - added)) * 1000:.1f} | {slowest:.1f} | {db.stat().st_size / 2**20:.0f} |"
                     f" {conn.execute('SELECT COUNT(*) FROM segments').fetchone()[0]} |")
        added = size
        copies[size] = folder / f"corpus_{size}.sqlite"
        shutil.copy(db, copies[size])
        print(f"  built {size} speeches in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    conn.close()
    db.unlink()
    return copies, lines


def run(sizes: tuple[int, ...] = SIZES) -> None:
    with tempfile.TemporaryDirectory(prefix="speechdiff-against-") as tmp:
        folder = Path(tmp)
        copies, build_lines = build(folder, sizes)
        queries = synthetic_corpus(folder / "queries", QUERIES, seed=7)
        print(f"## against: `diff --against` per query, {QUERIES} new synthetic speeches, 2-core machine\n")
        print("Building the databases (store.add_file per speech, merges included):\n")
        print("| stored speeches | ms per speech added | slowest add s | database MB | segments |")
        print("|---:|---:|---:|---:|---:|")
        print("\n".join(build_lines) + "\n")
        print("| stored speeches | mark() s, loading (baseline) | mark() s, postings | ratio | same result |")
        print("|---:|---:|---:|---:|---|")
        speeches = [compare.load(q)[0] for q in queries]
        for size, db in copies.items():
            conn = store.connect(db, create=False)
            store.mark(conn, speeches[0])  # page cache and imports warm for both
            old_t, new_t, same = [], [], True
            for s in speeches:
                t = time.perf_counter()
                old = mark_by_loading(conn, s)
                old_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                new = store.mark(conn, s)
                new_t.append(time.perf_counter() - t)
                same &= _same(old, new)
            conn.close()
            old_s, new_s = np.mean(old_t), np.mean(new_t)
            print(f"| {size} | {old_s:.2f} | {new_s:.3f} | {old_s / new_s:.0f}x | {'yes' if same else 'NO'} |", flush=True)
        print()
        print("Whole command, `diff QUERY --against DB --format json`, each run in a fresh process (mean of"
              f" {QUERIES} queries; CPU: the child's user + system time; mark: the store.mark call inside it);"
              " the floor is the same command against a database of one sample speech:\n")
        print("| stored speeches | loading (baseline) wall s | mark s | peak MB | postings wall s | mark s | CPU s | peak MB |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        peak = folder / "peak"
        floor_db = folder / "floor.sqlite"
        store.add_file(store.connect(floor_db), SAMPLES / "ankang_2021_midyear.txt")
        against = lambda q, db: ["diff", str(q), "--against", str(db), "--format", "json"]
        baseline, postings = _timing_mark(MEASURED_CLI, "bench_against.mark_by_loading"), _timing_mark(MEASURED_CLI, "store.mark")
        _child(postings, peak, against(queries[0], floor_db))  # warm: jieba's cache, the page cache
        fw, fc, fm, fk = _summary([_child(postings, peak, against(q, floor_db)) for q in queries])
        print(f"| 1 (floor) | | | | {fw:.2f} | {fk:.3f} | {fc:.2f} | {fm:.0f} |")
        for size, db in copies.items():
            ow, oc, om, ok = _summary([_child(baseline, peak, against(q, db)) for q in queries])
            nw, nc, nm, nk = _summary([_child(postings, peak, against(q, db)) for q in queries])
            print(f"| {size} | {ow:.2f} | {ok:.2f} | {om:.0f} | {nw:.2f} | {nk:.3f} | {nc:.2f} | {nm:.0f} |", flush=True)
        print()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    run(tuple(int(a) for a in sys.argv[1:]) or SIZES)
