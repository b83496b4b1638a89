"""track: collating 200 witnesses of a 3,000-character section, against
the pairwise diff of the same passages (each witness with the one before)
as the same-run baseline."""

from __future__ import annotations

import random

import compare
from compare import align, track

from common import SAMPLES, best_of


def witnesses(n: int = 200, chars: int = 3000, seed: int = 2026):
    """``n`` versions of one passage of about ``chars`` characters: each
    year rewords a few sentences, drops one and adds one, as a series of
    reports does."""
    rng = random.Random(seed)
    pool = [s.text for path in sorted(SAMPLES.glob("*.txt")) for sp in compare.load(path) for s in sp.sentences
            if len(s.text) >= 20]
    passage = []
    while sum(map(len, passage)) < chars:
        passage.append(rng.choice(pool))
    out = []
    for year in range(n):
        if year:
            for _ in range(3):  # reword: change a few characters of three sentences
                i = rng.randrange(len(passage))
                s = passage[i]
                j = rng.randrange(len(s))
                passage[i] = s[:j] + rng.choice("加快推进全面深化") + s[j + 1:]
            passage.pop(rng.randrange(len(passage)))
            passage.insert(rng.randrange(len(passage) + 1), rng.choice(pool))
        text = "同志们：\n一、总体要求\n" + "\n".join(passage) + "\n二、保障措施\n要加强组织领导。"
        speech = compare.load_text(text, f"y{year}")[0]
        out.append(speech)
    return out


def run() -> None:
    speeches = witnesses()
    chars = sum(len(u.text) for u in track.find_section(speeches[0], "一").units)
    t_track, result = best_of(1, lambda: track.track(speeches, section="总体要求"))
    t_pairs, _ = best_of(1, lambda: [align.diff(a, b) for a, b in zip(speeches, speeches[1:])])
    print(f"## track: {len(speeches)} witnesses of a {chars}-character section\n")
    print("| step | s |")
    print("|---|---:|")
    print(f"| pairwise diff of consecutive witnesses (baseline, {len(speeches) - 1} diffs) | {t_pairs:.2f} |")
    print(f"| track (find + collate {len(result.rows)} rows) | {t_track:.2f} ({t_pairs / t_track:.1f}x the baseline's speed) |")
    print()
