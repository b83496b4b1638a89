"""The development corpus: 84 real documents (tests/realworld/, see SOURCES.md)
against per-file expectations written down as data (expectations.json).

For each file: how many speeches it holds, the title, date and speaker it
states (null where it states none), its top-level headings and appendix, lines
of page chrome that must go, and content that must stay. Across all files:
no chrome line of the kinds SOURCES.md lists survives, no prose line is
removed except as part of a footer or a duplicate copy, every removal is
explained, and cleaning is idempotent.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from pathlib import Path

import pytest

import compare
from compare.ingest import RULES, clean, clean_report, is_prose, read_text

HERE = Path(__file__).resolve().parent / "realworld"
EXPECTED = json.loads((HERE / "expectations.json").read_text(encoding="utf-8"))
FILES = sorted(p.name for p in HERE.glob("*.txt"))


@functools.cache
def raw_of(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_text(HERE / name)


@functools.cache
def cleaned(name: str):
    return clean_report(raw_of(name))


@functools.cache
def speeches(name: str):
    return compare.load_text(raw_of(name), name)


def test_every_file_has_expectations():
    assert sorted(EXPECTED) == FILES
    assert len(FILES) == 84


@pytest.mark.parametrize("name", FILES)
def test_structure(name):
    want = EXPECTED[name]
    got = speeches(name)
    assert len(got) == want["speeches"]
    first = got[0]
    assert (first.title or None) == want["title"]
    assert (first.date or None) == want["date"]
    assert (first.speaker or None) == want["speaker"]
    if want["top_headings"] is not None:
        tops = [s for s in first.sections if s.level == 1 and s.kind != "appendix"]
        assert [s.marker + s.heading if s.marker else s.heading for s in tops] == want["top_headings"]
        appendix = [s for s in first.sections if s.kind == "appendix"]
        assert (appendix[0].heading if appendix else None) == want["appendix"]


@pytest.mark.parametrize("name", FILES)
def test_chrome_goes_and_content_stays(name):
    text = cleaned(name).text
    for chrome in EXPECTED[name]["chrome"]:
        assert chrome not in text, chrome
    for content in EXPECTED[name]["keep"]:
        assert content in text, content


# the kinds of page furniture SOURCES.md lists, as whole lines
CHROME_LINE = re.compile(
    r"^(?:标题|发文单位|发文时间|报告人|来源URL|正文)："
    r"|ICP备|公网安备|网站标识码|公安机关备案号|Copyright|©|All Rights Reserved|版权所有"
    r"|^(?:分享到|上一篇|下一篇|相关文章|相关新闻|本栏推荐|本栏最新|阅读排行|标签云|友情链接|延展阅读|延伸阅读)"
    r"|^[（(]?(?:时间|作者|来源|阅读|评论|内容摘要|责任编辑|发布时间|发布机构|浏览次数|当前位置|您当前的位置)\s*[：:]"
    r"|马克\s*数\s*据\s*网"
    r"|^立法会\d{4}年\d{1,2}月\d{1,2}日$"
    r"|^\d{1,4}$"
    r"|QQ空间|新浪微博|人人网|开心网|天涯社区"
    r"|记者.{0,8}摄$"
    r"|字体：|【字号|打印本页|关闭窗口|扫一扫"
    r"|您访问的链接即将离开"
    r"|^(?:首页|网站首页|网站地图|关于本站|法律声明|无障碍|繁体中文|长者模式|人大概览|A-|A\+)$"
)


@pytest.mark.parametrize("name", FILES)
def test_no_chrome_line_of_the_listed_kinds_left(name):
    left = [line for line in cleaned(name).lines if CHROME_LINE.search(line) and not is_prose(line)]
    assert left == []


# Rules that remove by position in a block (a footer runs to the next speech
# text, a page's second copy goes as a whole) or by what a line says it is (a
# disclaimer, a summary box): they may take a sentence-shaped line. No other
# rule may.
BLOCK_RULES = {"footer block", "duplicate copy", "distribution", "summary", "disclaimer"}


@pytest.mark.parametrize("name", FILES)
def test_no_prose_removed_and_every_removal_explained(name):
    for removal in cleaned(name).removed:
        assert removal.rule in RULES
        assert removal.line >= 1
        if removal.rule not in BLOCK_RULES:
            assert not is_prose(removal.text), removal


@pytest.mark.parametrize("name", FILES)
def test_cleaning_is_idempotent(name):
    text = cleaned(name).text
    assert clean(text) == text


def test_corpus_figures():
    """Titles, dates and top-level headings found where the files state them."""
    stated = [n for n in FILES if EXPECTED[n]["title"]]
    found = [n for n in stated if speeches(n)[0].title == EXPECTED[n]["title"]]
    assert len(found) == len(stated) >= 60
    with_headings = [n for n in FILES if EXPECTED[n]["top_headings"]]
    assert len(with_headings) >= 70
