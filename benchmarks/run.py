"""Speed benchmarks, as ratios against a baseline run in the same process.

    make bench                                # every part
    python benchmarks/run.py textrank diff    # some parts

Each part is a module ``bench_<part>.py`` here with a ``run()`` function.
Figures are wall times on this machine; record them in benchmarks/README.md.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PARTS = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str]) -> None:
    for name in argv or PARTS:
        if name not in PARTS:
            raise SystemExit(f"unknown benchmark {name!r}; parts: {', '.join(PARTS)}")
        importlib.import_module(f"bench_{name}").run()


if __name__ == "__main__":
    main(sys.argv[1:])
