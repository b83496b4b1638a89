"""Capture the current implementation's summaries (run once, before changes)."""
import json, sys, time
from pathlib import Path
import compare
from compare import analyze

ROOT = Path.cwd()
out = {}
files = sorted((ROOT / "samples").glob("*.txt")) + sorted((ROOT / "tests/realworld").glob("*.txt"))
t0 = time.time()
for path in files:
    rel = str(path.relative_to(ROOT))
    for i, speech in enumerate(compare.load(path), 1):
        s = analyze.summarize(speech, n=5, keywords=10, per_section=True)
        out[f"{rel}#{i}"] = {
            "chars": len(speech.text),
            "sentences": len(speech.sentences),
            "top5": [[k.rank, k.start, k.end, round(k.score, 12)] for k in s.sentences],
            "keywords": [k.word for k in s.keywords],
            "sections": [[sec.path, [[k.rank, k.start] for k in sec.sentences]] for sec in s.sections],
        }
print(len(out), time.time() - t0, file=sys.stderr)
Path(sys.argv[1]).write_text(json.dumps(out, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
