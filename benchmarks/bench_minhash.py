"""minhash: corpus.lsh_candidates (datasketch's sketches and bands computed
for all sets at once as arrays), against a MinHash built from scratch for
every set (the permutations redrawn each time) and queried in datasketch's
MinHashLSH one by one, on the development corpus. Same pairs expected."""

from __future__ import annotations

import compare
from compare import corpus

from common import REALWORLD, SAMPLES, timed


def fresh_sketches(hash_sets, threshold: float):
    """lsh_candidates before: one MinHash(num_perm=...) per set."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=corpus.NUM_PERM)
    for i, hashes in enumerate(hash_sets):
        m = MinHash(num_perm=corpus.NUM_PERM, hashfunc=corpus._identity, scheme="affine64")
        m.update_batch(hashes)
        for j in lsh.query(m):
            yield int(j), i
        lsh.insert(i, m)


def run() -> None:
    speeches = []
    for path in sorted(REALWORLD.glob("*.txt")) + sorted(SAMPLES.glob("*.txt")):
        try:
            speeches += compare.load(path)
        except compare.SpeechdiffError:
            pass
    prints = [corpus.fingerprint(s) for s in speeches]
    keys = sorted({k for p in prints for k in p.keys if len(k) >= corpus.MIN_PHRASE})
    cases = [
        ("phrasebook: sentence keys, 3-character shingles, threshold 0.5", [corpus.shingles(k, 3) for k in keys], 0.5),
        ("speech pairs: fingerprint sets, threshold CANDIDATE", [p.set for p in prints], corpus.CANDIDATE),
    ]
    print(f"## minhash: LSH candidates on the development corpus and samples ({len(speeches)} speeches), 2-core machine\n")
    print("| sets | count | fresh MinHash per set s | as arrays s | ratio | candidates | identical |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, sets, threshold in cases:
        t_old, old = timed(lambda: list(fresh_sketches(sets, threshold)))
        t_new, new = timed(lambda: list(corpus.lsh_candidates(sets, threshold)))
        print(f"| {name} | {len(sets)} | {t_old:.2f} | {t_new:.2f} | {t_old / t_new:.1f}x | {len(new)} | {'yes' if new == sorted(old) else 'NO'} |",
              flush=True)
    print()
