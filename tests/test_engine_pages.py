"""A report written as a folder (-o DIR/, or above render.FOLDER_LIMIT
speeches): an index page and one page per speech, list and family, linked;
written whole or not at all; every page small at 100,000 speeches; the
index and a speech page in a browser."""

from __future__ import annotations

import json
import random
import re

import pytest

from compare import render
from compare.formats import is_folder

from .browser import Browser
from .conftest import SAMPLES, needs_chromium, run

SAMPLE_FILES = sorted(SAMPLES.glob("*.txt"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "rep"
    result = run("report", *SAMPLE_FILES, "-o", f"{out}/")
    assert result.exit_code == 0, result.output
    data = json.loads(run("report", *SAMPLE_FILES, "--format", "json").stdout)
    return out, data


def test_the_folder_holds_an_index_and_a_page_per_speech_and_family(folder):
    out, data = folder
    names = sorted(p.name for p in out.iterdir())
    assert "index.html" in names and "list-0001.html" in names
    assert [n for n in names if n.startswith("s")] == [f"s{i:06d}.html" for i in range(1, 20)]
    assert [n for n in names if n.startswith("f")] == [f"f{i:06d}.html" for i in range(1, len(data["near_duplicate_groups"]) + 1)]
    assert all(re.fullmatch(render.FOLDER_NAME, n) for n in names)  # nothing a rerun could not replace
    index = (out / "index.html").read_text(encoding="utf-8")
    # every link of the index leads to a file of the folder (or a place on the page)
    for href in set(re.findall(r'href="([^"#]+)', index)):
        assert (out / href).exists(), href
    speech = (out / "s000001.html").read_text(encoding="utf-8")
    assert 'href="index.html"' in speech
    assert data["speeches"][0]["summary"][0]["text"] in speech


def test_a_folder_report_is_escaped_and_replaced_whole(tmp_path):
    evil = tmp_path / "evil.txt"
    text = SAMPLES.joinpath("city_health_2022_template.txt").read_text(encoding="utf-8")
    evil.write_text("<script>alert(1)</script>关于卫生健康工作的讲话\n" + text, encoding="utf-8")
    out = tmp_path / "out"
    assert run("report", evil, *SAMPLE_FILES[:2], "-o", f"{out}/").exit_code == 0
    pages = [p.read_text(encoding="utf-8") for p in out.iterdir()]
    assert not any("<script>alert" in p for p in pages) and any("&lt;script&gt;alert" in p for p in pages)
    before = sorted(p.name for p in out.iterdir())
    (out / "notes.txt").write_text("mine", encoding="utf-8")  # a file the report did not write: refused, untouched
    result = run("report", *SAMPLE_FILES[:2], "-o", f"{out}/")
    assert result.exit_code == 2 and "notes.txt" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    (out / "notes.txt").unlink()
    no_slash = run("report", *SAMPLE_FILES[:2], "-o", str(out))  # an existing folder named without the slash
    assert no_slash.exit_code == 2 and "is a directory" in no_slash.stderr
    assert run("report", *SAMPLE_FILES[:2], "-o", f"{out}/").exit_code == 0
    after = sorted(p.name for p in out.iterdir())
    speeches = [n for n in after if n.startswith("s")]
    assert len(speeches) == len([n for n in before if n.startswith("s")]) - 1  # the rerun's pages only (no evil.txt)
    assert run("report", *SAMPLE_FILES[:2], "--format", "json", "-o", f"{out}/").exit_code == 2
    assert is_folder(f"{out}/") and not is_folder(out) and not is_folder(tmp_path / "r.html") and not is_folder(None)


def test_above_the_limit_report_html_is_an_index_and_a_folder_beside_it(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "FOLDER_LIMIT", 10)
    out = tmp_path / "report.html"
    result = run("report", *SAMPLE_FILES, "-o", out)
    assert result.exit_code == 0 and "report_pages/" in result.stderr
    index = out.read_text(encoding="utf-8")
    assert 'href="report_pages/s000001.html"' in index
    assert 'href="../report.html"' in (tmp_path / "report_pages" / "s000019.html").read_text(encoding="utf-8")
    monkeypatch.setattr(render, "FOLDER_LIMIT", 300)
    assert run("report", *SAMPLE_FILES, "-o", out).exit_code == 0  # one page again: the folder of pages goes
    assert not (tmp_path / "report_pages").exists() and (tmp_path / "report_diffs").exists()


def synthetic_view(n: int, seed: int = 1) -> dict:
    """report_data's shape for ``n`` speeches at their worst for page size:
    long titles and summaries, a family of thousands, a speech in every
    pair and phrasebook entry, phrases held by every speech."""
    rng = random.Random(seed)
    sentence = "坚持以人民为中心的发展思想，推进高质量发展，全年完成固定资产投资一百二十亿元，同比增长百分之八点五。" * 2
    speeches = [{"id": i, "label": f"讲话{i}", "source": f"folder/some_long_file_name_{i:06d}.txt", "title": f"在全市经济工作会议上的讲话{i}" * 2,
                 "date": "2024年1月1日", "speaker": "某某", "chars": 9000, "boilerplate": 0.3,
                 "shares": {"boilerplate": 0.2, "edited": 0.1, "fill": 0.05, "local": 0.65}, "near_duplicates": [],
                 "summary": [{"text": sentence, "path": "一、", "rank": k} for k in range(5)],
                 "keywords": [{"word": "发展", "score": 1.0}] * 10,
                 "whats_new": [{"text": sentence, "path": "二、", "rank": k} for k in range(5)],
                 "distinctive_keywords": [{"word": "投资", "score": 1.0}] * 10} for i in range(1, n + 1)]
    pairs = [{"a": 1, "b": b, "jaccard": 0.5, "shared_a": 0.5, "shared_b": 0.5, "diff": None} for b in range(2, n + 1)]
    pairs += [{"a": a, "b": a + 1, "jaccard": 0.2, "shared_a": 0.2, "shared_b": 0.2, "diff": None} for a in range(2, n, 2)]
    groups = [list(range(2, 20002))] + [[a, a + 1] for a in range(20002, n, 2)]
    book = [{"kind": "sentence", "text": sentence, "frame": sentence.replace("百", "XX"), "speeches": list(range(1, n + 1)),
             "families": n, "variants": 50, "wordings": [{"text": sentence, "uses": 3}] * 200,
             "occurrences": [{"speech": rng.randint(1, n), "unit": 3, "start": 0, "end": 10, "left": sentence[:12],
                              "match": sentence, "right": sentence[:12]} for _ in range(20)]} for _ in range(300)]
    return {"version": "x", "settings": {"shingle": 8, "near_duplicate": 0.8, "min_speeches": 1}, "speeches": speeches,
            "pairs": pairs, "near_duplicate_groups": groups, "phrasebook": book, "phrasebook_total": 5000}


def test_every_page_stays_under_2_mb_at_100000_speeches():
    """Each kind of page, for the speech (and family, list page) that has
    the most of everything: no page holds the corpus, only fixed-length
    cuts of it and links."""
    book = render.ReportFolder(synthetic_view(100_000), "report_pages/", "../report.html")
    sizes = {"index": len(book.index().encode())}
    for what in (("speech", 1), ("speech", 99_999), ("family", 1), ("list", 1), ("list", 100)):
        sizes[what] = len(book.page(what).encode())
    assert max(sizes.values()) < 2 * 2**20, sizes
    assert sizes[("speech", 1)] < 200_000  # 99,999 pairs and 300 phrases: 20 and 30 of them shown
    assert sum(1 for _ in book.pages()) == 200 + 100_000 + 1 + (100_000 - 20002) // 2


@needs_chromium
def test_index_and_speech_page_in_a_browser(folder, tmp_path):
    out, data = folder
    with Browser() as b:
        page = b.open(out / "index.html", 1400)
        assert page.eval("document.querySelectorAll('#phrases .pb').length") == min(300, data["phrasebook_total"])
        assert page.eval("document.querySelectorAll('#pairs tr').length") == 1 + min(render.INDEX_PAIRS, len(data["pairs"]))
        assert page.eval("!document.querySelector('input.filter').hidden")
        page.eval("filterPhrases('一分部署')")
        shown = page.eval("[...document.querySelectorAll('#phrases .pb')].filter(r => r.style.display !== 'none').length")
        assert 1 <= shown < data["phrasebook_total"]
        page.screenshot(tmp_path / "folder_index.png")
        assert page.network_requests == [] and page.console_errors == []
        page = b.open(out / "s000002.html", 1400)
        assert page.eval("document.querySelector('h2 .nm').textContent") == render.speech_name(data["speeches"][1])["short"]
        assert page.eval("document.querySelectorAll('ol.key li').length") >= 2  # summary and what is new
        assert page.eval("document.querySelectorAll('ul.near li').length") >= 1
        assert page.eval("document.querySelector('nav.jump a').getAttribute('href')") == "index.html"
        hrefs = page.eval("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href').split('#')[0])")
        assert all((out / h).exists() for h in hrefs if h)  # every link of the page leads to a file of the folder
        page.screenshot(tmp_path / "folder_speech.png")
        phone = b.open(out / "s000002.html", 400, 800)
        assert phone.eval("document.documentElement.scrollWidth") <= 400
