"""Regenerate tests/golden/summaries_exact.json: every speech of samples/ and
tests/realworld/ summarized by the TextRank on ``PYTHONPATH``.

The stored file was captured with the TextRank before the sparse rework
(compare/analyze.py of commit 5d84780: explicit similarity matrix, no
merging) on the texts of today's ingest, so it is the reference the exact
and factored paths are held to; do not regenerate it from the code under
test. When ingest changes the texts, recapture it that way:

    mkdir /tmp/old && cp -r compare /tmp/old/ && git show 5d84780:compare/analyze.py > /tmp/old/compare/analyze.py
    PYTHONPATH=/tmp/old python tests/golden/capture_summaries.py tests/golden/summaries_exact.json

For each list of key sentences (whole speech and each top-level section,
n = 5) and for the 10 keywords it stores the items with their scores and
the score of the next candidate left out (``next``), so a test can tell a
tie at the cut (any member may be chosen) from a real change.
"""

import json
import sys
from pathlib import Path

import compare
from compare import analyze

ROOT = Path(__file__).resolve().parents[2]
N, KEYWORDS = 5, 10


def ranked(speech, sentences, tokens):
    """Key sentences plus the best candidate left out."""
    scores = analyze.rank_sentences([t.words for t in tokens])
    order = sorted(range(len(sentences)), key=lambda i: -scores[i])
    chosen = [i for i in order if analyze._is_candidate(sentences[i])]
    top = [[sentences[i].start, sentences[i].end, float(scores[i])] for i in chosen[:N]]
    following = float(scores[chosen[N]]) if len(chosen) > N else None
    return {"top": top, "next": following}


def main(target: str) -> None:
    out = {}
    files = sorted((ROOT / "samples").glob("*.txt")) + sorted((ROOT / "tests" / "realworld").glob("*.txt"))
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        for i, speech in enumerate(compare.load(path), 1):
            sentences = speech.sentences
            tokens = analyze.tokenize([s.text for s in sentences])
            words = analyze.rank_words([t.keyword_candidates for t in tokens], [t.words for t in tokens])
            entry = {
                "chars": len(speech.text),
                "sentences": len(sentences),
                "speech": ranked(speech, sentences, tokens),
                "keywords": {
                    "top": [[k.word, k.score] for k in words[:KEYWORDS]],
                    "next": words[KEYWORDS].score if len(words) > KEYWORDS else None,
                },
                "sections": [],
            }
            by_start = {s.start: t for s, t in zip(sentences, tokens)}
            for section in speech.sections:
                own = analyze._section_sentences(section)
                if own:
                    label = section.label if section.level else "（开场）"
                    entry["sections"].append([label, ranked(speech, own, [by_start[s.start] for s in own])])
            out[f"{rel}#{i}"] = entry
    lines = ",\n".join(json.dumps(k, ensure_ascii=False) + ": " + json.dumps(v, ensure_ascii=False) for k, v in sorted(out.items()))
    Path(target).write_text("{\n" + lines + "\n}\n", encoding="utf-8")
    print(f"{len(out)} speeches -> {target}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
