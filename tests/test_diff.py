import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import compare
from compare import align

from .browser import inspect_page
from .conftest import SAMPLES, needs_chromium, run, speeches_of


def top_pairs(d):
    return [(sr.pair.a.label if sr.pair.a else None, sr.pair.b.label if sr.pair.b else None)
            for sr in d.sections if (sr.pair.a or sr.pair.b).level == 1]


def unit_status(d, side, needle):
    """Statuses of the sentences of ``side`` containing ``needle``."""
    units = d.a.units if side == "a" else d.b.units
    matched = {m.a if side == "a" else m.b: m.status for m in d.matches}
    return [matched.get(u.index, "local") for u in units if needle in u.text]


def needle_kinds(d, side, needle):
    """Piece kinds of the characters of ``needle`` wherever it occurs on ``side``."""
    s = d.a if side == "a" else d.b
    kinds = set()
    for u in s.units:
        at = u.text.find(needle)
        while at >= 0:
            lo, hi = u.start + at, u.start + at + len(needle)
            kinds |= {p.kind for p in s.pieces[u.index] if p.start < hi and p.end > lo}
            at = u.text.find(needle, at + 1)
    assert kinds, needle
    return kinds


@pytest.fixture(scope="module")
def ankang_diff():
    a, b = speeches_of("ankang_2020_transport_and_health")
    return align.diff(a, b)


@pytest.fixture(scope="module")
def template_diff():
    template = speeches_of("city_health_2022_template")[0]
    web_copy = speeches_of("web_health_speeches_trad")[2]
    return align.diff(template, web_copy)


def test_template_vs_traditional_web_copy_is_shared(template_diff):
    d = template_diff
    assert d.a.shared >= 0.9 and d.b.shared >= 0.9
    assert top_pairs(d) == [("一", "一"), ("二", "二"), ("三", "三"), ("四", "四")]
    # every section, at every level, found its counterpart
    assert all(sr.pair.a and sr.pair.b for sr in d.sections)


def test_placeholders_match_what_fills_them():
    a = compare.load_text("同志们：\n刚才，XX主任回顾总结了全市工作，完成核酸检测XXX万人次。", "a")[0]
    b = compare.load_text("同志们：\n刚才，李明主任回顾总结了全市工作，完成核酸检测120.5万人次。", "b")[0]
    d = align.diff(a, b)
    # nothing local or edited: every character is shared or a filled slot
    assert d.a.shared + d.a.filled == pytest.approx(1.0) and d.b.shared + d.b.filled == pytest.approx(1.0)
    assert d.a.filled > 0 and d.b.filled > 0
    kinds = {p.kind for m in d.matches for p in m.pieces_b}
    assert "fill" in kinds
    assert [(f.placeholder, f.value, f.placeholder_side) for f in d.fills] == [("XX", "李明", "a"), ("XXX", "120.5", "a")]
    for f in d.fills:
        assert a.text[f.a_start:f.a_end] == f.placeholder and b.text[f.b_start:f.b_end] == f.value
        assert "〔" + f.placeholder + "〕" in f.context


def test_ankang_top_level_sections_paired_by_number(ankang_diff):
    assert top_pairs(ankang_diff) == [("一", "一"), ("二", "二"), ("三", "三")]


def test_ankang_swapped_subsections_found(ankang_diff):
    pairs = {(sr.label_a, sr.label_b) for sr in ankang_diff.sections if sr.pair.a and sr.pair.b}
    assert ("三 > （一）", "三 > （二）") in pairs  # 坚持科学指导实践 / 坚持科学理论武装
    assert ("三 > （二）", "三 > （一）") in pairs  # 发挥党建引领作用, in both


def test_ankang_shared_boilerplate_found(ankang_diff):
    d = ankang_diff
    assert unit_status(d, "a", "习近平总书记强调，办好中国的事情，关键在党") == ["identical"]
    assert unit_status(d, "a", "一分部署、九分落实") == ["identical"]
    assert set(unit_status(d, "a", "幸福安康靠奋斗")) <= {"identical", "edited"}


def test_ankang_specific_passages_are_local(ankang_diff):
    d = ankang_diff
    for needle in ("机场迁建工程", "高铁"):
        assert needle_kinds(d, "a", needle) <= {"local", "edit"}, needle
    for needle in ("医保基金", "红十字会"):
        assert needle_kinds(d, "b", needle) <= {"local", "edit"}, needle
    local_a = " ".join(u.text for u in d.a.local_passages)
    assert any(w in local_a for w in ("电网", "公路", "邮政", "机场", "铁路"))


def test_unrelated_speeches_low_share_no_forced_pairs():
    tobacco = speeches_of("web_prefecture_speeches_trad")[3]
    midyear = speeches_of("ankang_2021_midyear")[0]
    d = align.diff(tobacco, midyear)
    assert d.shared < 0.1
    for sr in d.sections:
        if sr.pair.a and sr.pair.b and not sr.pair.frame:
            assert sr.pair.score >= align.SECTION_FLOOR


def test_identical_inputs_are_all_shared():
    speech = speeches_of("ankang_2021_midyear")[0]
    d = align.diff(speech, speech)
    assert d.a.shared == 1.0 and d.b.shared == 1.0
    assert {m.status for m in d.matches} == {"identical"}


def test_speech_without_outline():
    a = compare.load_text("今天开会，主要是总结工作。大家辛苦了。希望大家再接再厉。")[0]
    b = compare.load_text("今天开会，主要是总结工作。希望大家再接再厉，争创佳绩。")[0]
    d = align.diff(a, b)
    assert len(d.sections) == 1 and d.sections[0].pair.a and d.sections[0].pair.b
    assert 0 < d.a.shared < 1


# ----- CLI



ANKANG = SAMPLES / "ankang_2020_transport_and_health.txt"


def test_cli_diff_text():
    result = run("diff", f"{ANKANG}#1", f"{ANKANG}#2")
    assert result.exit_code == 0, result.output
    assert "shared" in result.output and "坚持科学理论武装" in result.output


def test_cli_diff_json_schema():
    result = run("diff", SAMPLES / "city_health_2022_template.txt", f"{SAMPLES / 'web_health_speeches_trad.txt'}#3", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"threshold", "shared", "a", "b", "sections", "fills"}
    assert set(data["a"]) == {"source", "title", "date", "speaker", "chars", "shared", "filled", "edited", "local", "boilerplate",
                              "local_passages"}
    # the boilerplate rule's four shares add up
    assert set(data["a"]["boilerplate"]) == {"boilerplate", "edited", "fill", "local"}
    assert abs(sum(data["a"]["boilerplate"].values()) - 1) < 1e-3
    assert set(data["sections"][1]) == {"id", "a", "b", "score", "why", "part_of", "shared_a", "shared_b", "rows"}
    assert set(data["sections"][1]["why"]) == {"heading", "content", "shared", "margin", "same_number", "frame"}
    row = data["sections"][1]["rows"][0]
    assert set(row) == {"status", "similarity", "a", "b"}
    assert set(row["a"]) == {"index", "text", "start", "end", "path", "pieces", "partner", "label", "heading", "para"}
    assert row["a"]["label"] in ("boilerplate", "edited", "local")
    assert row["a"]["heading"] and row["a"]["para"]  # a section's first row: its heading, which starts a paragraph
    assert data["a"]["shared"] >= 0.9


@pytest.mark.parametrize(
    "args, message",
    [
        ([f"{ANKANG}#9", f"{ANKANG}#1"], "no speech #9"),
        ([ANKANG, f"{ANKANG}#1"], "holds 2 speeches"),
        ([SAMPLES / "missing.txt", f"{ANKANG}#1"], "no such file"),
        ([f"{ANKANG}#1", SAMPLES], "is a directory"),
    ],
)
def test_cli_diff_errors(args, message):
    result = run("diff", *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_cli_diff_refuses_to_overwrite_input(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("同志们：\n今天开会。大家要认真落实。", encoding="utf-8")
    result = run("diff", a, a, "--format", "html", "-o", a)
    assert result.exit_code == 2 and "overwrite" in result.output
    assert a.read_text(encoding="utf-8").startswith("同志们")


def _evil_pair(tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("同志们：\n一、总体要求\n网页里的<script>alert(1)</script>要当作文字显示。\n大家要认真落实。", encoding="utf-8")
    b.write_text("同志们：\n一、总体要求\n大家要认真落实。\n新增的<img src=x onerror=alert(2)>也是文字。", encoding="utf-8")
    return a, b


def test_cli_diff_html_self_contained_and_escaped(tmp_path):
    a, b = _evil_pair(tmp_path)
    out = tmp_path / "out" / "diff.html"
    result = run("diff", a, b, "--format", "html", "-o", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img" not in html
    assert "http://" not in html and "https://" not in html and "<link" not in html and "src=" not in html.replace("src=x", "")
    assert not list(out.parent.glob(".*.tmp"))  # written atomically: no temp file left


@needs_chromium
def test_html_report_in_headless_chromium(tmp_path):
    out = tmp_path / "diff_ankang_2020.html"
    result = run("diff", f"{ANKANG}#1", f"{ANKANG}#2", "--format", "html", "-o", out)
    assert result.exit_code == 0, result.output
    report = inspect_page(
        out,
        {
            "rows": "document.querySelectorAll('.r').length",
            "sections": "document.querySelectorAll('section.sec[id^=sec-]').length",
            "sentences": "document.querySelectorAll('.u[id]').length",
            "width": "document.querySelector('.r').getBoundingClientRect().width",
        },
        screenshot=tmp_path / "diff_ankang_2020.png",
    )
    assert report.console_errors == []
    assert report.network_requests == []
    assert report.values["rows"] > 30 and report.values["sections"] >= 10 and report.values["sentences"] > 300
    assert report.values["width"] > 600  # side by side, not squeezed
    assert (tmp_path / "diff_ankang_2020.png").stat().st_size > 10_000

    # escaping holds in a real browser too: no script ran, text shows
    a, b = _evil_pair(tmp_path)
    evil = tmp_path / "evil.html"
    assert run("diff", a, b, "--format", "html", "-o", evil).exit_code == 0
    report = inspect_page(evil, {"text": "document.body.innerText.includes('<script>alert(1)</script>')", "imgs": "document.images.length"})
    assert report.values == {"text": True, "imgs": 0}
    assert report.console_errors == []


@settings(max_examples=500)
@given(st.lists(st.tuples(st.text("13.0%亿万增长元，XＸ１２", max_size=5), st.sampled_from(["same", "edit", "fill", "local"])),
                max_size=8))
def test_figures_widened_as_the_per_character_pass_widened_them(pieces):
    from compare.render import whole_figures

    from .oracles import whole_figures_by_character

    assert whole_figures(pieces) == whole_figures_by_character(pieces)


def test_an_edit_inside_a_figure_widens_to_the_whole_figure():
    from compare.render import whole_figures

    assert whole_figures([("增长13", "same"), ("0", "edit"), (".", "same"), ("4", "edit"), ("亿", "same")]) == [
        ("增长", "same"), ("130.4", "edit"), ("亿", "same")]
    assert whole_figures([("增长", "same"), ("", "edit"), ("5%", "same"), ("，", "fill")]) == [("增长5%", "same"), ("，", "fill")]
