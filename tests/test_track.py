"""One passage across many speeches (compare/track.py) and figures
(compare/numbers.py), on text built here, the samples and the dev corpus."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import compare
from compare import numbers, track
from compare.model import SpeechdiffError

from .conftest import ROOT, SAMPLES, speeches_of


def speech(text: str, name: str, date: str = ""):
    s = compare.load_text(text, name)[0]
    s.date = date
    return s


OPENING = "同志们：\n今天召开全市安全生产工作会议，主要任务是总结工作、部署任务。\n"
GOAL = "要坚持人民至上、生命至上，把保护人民生命安全摆在首位。"


def years():
    """Three years of one speech: section 二 renumbered to 三 and reworded,
    a sentence dropped in the second year and restored in the third."""
    a = OPENING + (
        "一、过去一年的工作\n全市未发生重大事故。\n"
        f"二、深入实施安全生产专项整治\n{GOAL}\n各县区要开展隐患排查。\n全年排查隐患1200处，整改率达到95%。\n"
    )
    b = OPENING + (
        "一、过去一年的工作\n全市事故起数下降两成。\n二、防汛救灾\n汛期要落实值班制度。\n"
        f"三、深入实施安全生产专项整治三年行动\n{GOAL}\n全年排查隐患1500处，整改率达到97%。\n"
    )
    c = OPENING + (
        "一、过去一年的工作\n全市事故起数继续下降。\n"
        f"二、深入实施安全生产专项整治三年行动\n{GOAL}\n各县区要开展隐患排查。\n全年排查隐患1800处，整改率达到98%。\n"
        "各县区要建立隐患台账，实行闭环管理。\n"
    )
    return [speech(a, "2021", "2021年1月5日"), speech(b, "2022", "2022年1月6日"), speech(c, "2023", "2023年1月4日")]


def test_a_renumbered_reworded_section_is_followed():
    t = track.track(years(), section="深入实施安全生产专项整治")
    assert [w.found for w in t.witnesses] == [True, True, True]
    assert [w.section.label for w in t.witnesses] == ["二", "三", "二"]
    texts = [[c.text for c in row.cells] for row in t.rows]
    goal = next(r for r in t.rows if r.cells[0].text == GOAL)
    assert [c.status for c in goal.cells] == ["first", "same", "same"]
    assert goal.majority == GOAL and goal.support == 3
    # dropped in 2022, restored in 2023: one row, absent in the middle
    check = next(r for r in t.rows if r.cells[0].text == "各县区要开展隐患排查。")
    assert [c.status for c in check.cells] == ["first", "absent", "added"]
    assert check.cells[2].text == "各县区要开展隐患排查。"
    # the figures changed: edited
    figures = next(r for r in t.rows if "排查隐患" in r.cells[0].text)
    assert [c.status for c in figures.cells] == ["first", "edited", "edited"]
    # a new sentence in 2023 gets its own row, after its neighbour
    new = [row for row in texts if row[2].startswith("各县区要建立隐患台账")]
    assert new and new[0][:2] == ["", ""]
    assert texts.index(new[0]) == len(texts) - 1
    assert t.changes[1].dropped == 1 and t.changes[2].added == 2


def test_opening_and_path_queries():
    t = track.track(years(), section="开场")
    assert all(w.found_by == "opening" for w in t.witnesses)
    assert all(c.status == ("first" if w == 0 else "same") for row in t.rows for w, c in enumerate(row.cells))
    # a path names the section in the first speech; the renumbered one is followed by its heading
    t = track.track(years(), section="二")
    assert [w.section.heading for w in t.witnesses][0] == "深入实施安全生产专项整治"
    assert t.witnesses[1].section.label == "三"


def test_phrase_is_found_by_the_key_rule():
    # punctuation and figures do not matter to the key
    t = track.track(years(), phrase="全年排查隐患2000处整改率达到")
    assert all(w.found_by == "phrase" for w in t.witnesses)
    assert len(t.rows) == 1 and [c.status for c in t.rows[0].cells] == ["first", "edited", "edited"]


def test_order_by_date_and_bad_queries():
    ys = years()
    t = track.track(list(reversed(ys)), section="开场", order="date")
    assert [w.speech.source for w in t.witnesses] == ["2021#1", "2022#1", "2023#1"]
    with pytest.raises(SpeechdiffError):
        track.track(ys, section="x", phrase="y")
    with pytest.raises(SpeechdiffError):
        track.track(ys[:1], section="开场")
    with pytest.raises(SpeechdiffError, match="too short"):
        track.track(ys, phrase="。")
    assert track.date_key("二〇二〇年三月十八日") == (2020, 3, 18)
    assert track.date_key("2021年02月19日") == (2021, 2, 19)
    assert track.date_key("") is None


def test_order_by_date_falls_back_to_the_title_year():
    from dataclasses import replace

    ys = years()
    # the 2022 speech lost its date line; its title still names its year
    undated = replace(ys[1], date="", title="2022年某市政府工作报告")
    nameless = replace(ys[0], date="", title="政府工作报告")
    t = track.track([nameless, ys[2], undated], section="开场", order="date")
    assert [w.speech.source for w in t.witnesses] == ["2022#1", "2023#1", "2021#1"]  # no date, no year: last
    # real reports: 2020 and 2024 of one city have no date line, only the year in the title
    speeches = [compare.load(ROOT / "tests" / "realworld" / f"city_report_baoding_{y}.txt")[0] for y in (2024, 2018, 2026, 2020, 2022)]
    t = track.track(speeches, section="开场", order="date")
    assert [w.speech.source[20:24] for w in t.witnesses] == ["2018", "2020", "2022", "2024", "2026"]


def test_template_web_copy_and_filled_copy_show_filled_slots():
    template = speeches_of("city_health_2022_template")[0]
    web_copy = speeches_of("web_health_speeches_trad")[2]
    filled_text = template.text.replace("XXXX", "1234").replace("XX", "安康")
    filled = compare.load_text(filled_text, "filled")[0]
    t = track.track([template, web_copy, filled], section="开场")
    statuses = [c.status for row in t.rows for c in row.cells[2:]]
    assert "filled" in statuses
    filled_cells = [row.cells[2] for row in t.rows if row.cells[2].status == "filled"]
    for cell in filled_cells:
        kinds = {p.kind for p in cell.pieces}
        assert "fill" in kinds and "edit" not in kinds
    # the web copy reads as the template (traditional characters were simplified by ingest)
    copy = [row.cells[1].status for row in t.rows if row.cells[0].unit and row.cells[1].unit]
    assert copy.count("same") >= 0.8 * len(copy)


def test_ankang_shared_paragraphs_line_up_row_by_row():
    a, b = speeches_of("ankang_2020_transport_and_health")
    # 三（一） in the first speech is 三（二） in the second
    t = track.track([a, b], section="坚持科学指导实践，强化担当作为意识")
    assert [w.section.label for w in t.witnesses] == ["（一）", "（二）"]
    both = [row for row in t.rows if row.cells[0].unit and row.cells[1].unit]
    assert len(both) >= 8
    assert [c.cells[0].text for c in both if c.cells[1].status == "same"][:2] == ["要强化辩证思维，抓住重点关键。", "要强化系统思维，抓好统筹协调。"]
    # in order on both sides
    starts_a = [r.cells[0].unit.start for r in both]
    starts_b = [r.cells[1].unit.start for r in both]
    assert starts_a == sorted(starts_a) and starts_b == sorted(starts_b)


SENT = st.sampled_from(["甲乙丙丁戊己庚辛。", "子丑寅卯辰巳午未。", "春夏秋冬东南西北。", "金木水火土日月星。", "江河湖海山川田野。"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(SENT, min_size=0, max_size=5), min_size=2, max_size=5))
def test_collation_keeps_every_sentence_once_and_in_order(passages):
    witnesses = []
    for i, sentences in enumerate(passages):
        text = "一、工作\n" + "\n".join(sentences) if sentences else "一、工作"
        witnesses.append(speech("同志们：\n" + text + "\n二、其他\n其他。", f"w{i}"))
    t = track.track(witnesses, section="一")
    for w, witness in enumerate(t.witnesses):
        cells = [row.cells[w].unit for row in t.rows if row.cells[w].unit is not None]
        assert cells == witness.units  # every sentence exactly once, in order
    for row in t.rows:
        assert len(row.cells) == len(witnesses)


# ---------------------------------------------------------------- figures


def test_figures_are_parsed_and_framed():
    found = numbers.figures("今年主要预期目标是：地区生产总值增长5%以上，新增城镇就业1200万人以上，"
                            "森林覆盖率达到百分之六十八，造林三万亩，总投资1.2万亿元。坚持两个维护，党的十九届四中全会。")
    got = [(f.text, f.value, f.unit, f.qualifier, f.frame) for f in found]
    assert got == [
        ("5%以上", 5.0, "%", "以上", "生产总值增长"),
        ("1200万人以上", 12_000_000.0, "人", "以上", "新增城镇就业"),
        ("百分之六十八", 68.0, "%", "", "林覆盖率达到"),
        ("三万亩", 30_000.0, "亩", "", "造林"),
        ("1.2万亿元", 1.2e12, "元", "", "总投资"),
    ]  # 两个维护 and 十九届 name things, they measure nothing


def test_figure_table_follows_targets_across_years():
    t = track.track(years(), section="深入实施安全生产专项整治")
    rows = {r.frame: [v.text if v else None for v in r.values] for r in track.figure_table(t.witnesses)}
    assert rows["全年排查隐患"] == ["1200处", "1500处", "1800处"]
    assert rows["整改率达到"] == ["95%", "97%", "98%"]


def test_dev_corpus_series_opening_and_section():
    files = [f"provincial_report_hebei_{y}.txt" for y in (2023, 2024, 2025)]
    root = SAMPLES.parent / "tests" / "realworld"
    speeches = [compare.load(root / f)[0] for f in files]
    t = track.track(speeches, section="开场")
    assert all(w.found for w in t.witnesses)
    # every year opens by addressing the deputies and presenting the report
    rows = [r for r in t.rows if all(c.unit for c in r.cells)]
    assert any("各位代表" in r.majority for r in rows)
    assert any("向大会报告工作" in r.cells[-1].text for r in rows)
    table = track.figure_table(track.track(speeches, section="一").witnesses)
    gdp = next(r for r in table if r.frame == "生产总值增长")
    assert all(v is not None for v in gdp.values)


# ---------------------------------------------------------------- the command


def test_cli_track_formats(tmp_path):
    from .conftest import run

    paths = []
    for s in years():
        p = tmp_path / f"{s.source.split('#')[0]}.txt"
        p.write_text(f"{s.date}\n{s.text}", encoding="utf-8")
        paths.append(p)
    import json

    result = run("track", *paths, "--section", "深入实施安全生产专项整治", "--numbers", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"version", "query", "witnesses", "rows", "figures"}
    assert set(data["witnesses"][0]) == {"id", "source", "title", "date", "speaker", "found", "found_by", "score", "section", "changes"}
    assert set(data["witnesses"][0]["changes"]) == {"same", "edited", "filled", "added", "dropped"}
    cell = data["rows"][0]["cells"][0]
    assert {"status", "majority", "base"} <= set(cell)
    assert {f["frame"] for f in data["figures"]} >= {"全年排查隐患", "整改率达到"}
    # CSV: a row per cell; the figures table with --table figures
    result = run("track", *paths, "--section", "深入实施安全生产专项整治", "-o", tmp_path / "t.csv")
    assert result.exit_code == 0
    lines = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,witness,source,date,status,majority,text"
    assert len(lines) - 1 == 3 * len(data["rows"])
    result = run("track", *paths, "--section", "深入实施安全生产专项整治", "--table", "figures", "--format", "csv")
    assert result.output.splitlines()[0].startswith("frame,unit,support,W1 ")
    assert any(line.startswith("全年排查隐患,处,3,1200处,1500处,1800处") for line in result.output.splitlines())
    # HTML: self-contained, escaped
    result = run("track", *paths, "--section", "开场", "-o", tmp_path / "t.html")
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert result.exit_code == 0 and "<table class=\"track\"" in html and "http" not in html.split("</style>")[0]
    # text without colour marks the changes
    result = run("track", *paths, "--section", "深入实施安全生产专项整治", "--color", "never")
    assert "{+" in result.output and "\x1b" not in result.output


def test_cli_track_errors(tmp_path):
    from .conftest import run

    p = tmp_path / "a.txt"
    p.write_text(years()[0].text, encoding="utf-8")
    for args, message in (
        ((p, p, "--section", "x", "--phrase", "y"), "one of --section or --phrase"),
        ((p, p), "one of --section or --phrase"),
        ((p, "--section", "开场"), "need at least 2"),
        ((p, tmp_path / "missing.txt", "--section", "开场"), "missing.txt"),
    ):
        result = run("track", *args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1 and message in result.output
