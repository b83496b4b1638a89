"""diff: align + HTML against difflib.HtmlDiff on the same cleaned texts."""

from __future__ import annotations

import compare
from compare import analyze

from common import SAMPLES, best_of, joined


def run() -> None:
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


