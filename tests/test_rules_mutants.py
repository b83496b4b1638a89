"""The heading-marker table's arithmetic (compare/markers.py), pinned where
mutation testing (``make mutate``, tests/MUTANTS.md) found it untested:
circled numbers, tokens that are no number, the rank of sections that are no
marker family."""

import pytest

from compare.markers import FAMILIES, cn_to_int, match_marker, rank
from compare.outline import parse_outline

CIRCLED = [chr(c) for c in range(0x2460, 0x2474)]  # ① … ⑳


def test_circled_numbers_count_from_one_to_twenty():
    assert [cn_to_int(c) for c in CIRCLED] == list(range(1, 21))
    # the characters either side of the block are no circled number
    assert cn_to_int("\u245f") is None and cn_to_int("\u2474") is None


def test_circled_items_are_an_outline_level():
    para = "要加强组织领导，层层压实责任，确保各项任务落到实处。"
    text = "一、抓好重点工作\n" + "\n".join(f"{c}{t}。{para}" for c, t in zip(CIRCLED, ["抓春耕", "抓安全", "抓防汛"]))
    (section,) = parse_outline(text)
    assert [(s.marker, s.number, s.heading) for s in section.children] == [
        ("①", 1, "抓春耕"), ("②", 2, "抓安全"), ("③", 3, "抓防汛")
    ]


@pytest.mark.parametrize(
    "token, number",
    [("一", 1), ("九", 9), ("十", 10), ("十一", 11), ("二十", 20), ("二十三", 23), ("九十九", 99), ("7", 7), ("12", 12)],
)
def test_chinese_and_arabic_numbers(token, number):
    assert cn_to_int(token) == number


@pytest.mark.parametrize("token", ["十十", "二十十", "十二十", "一二", "三四五", "十二三", "二三十", "百", "", "７"])
def test_tokens_that_are_no_number(token):
    # two 十, digits strung without 十, other characters: no number (never an error)
    assert cn_to_int(token) is None


def test_a_marker_of_two_tens_is_no_heading():
    # 十十、 matches the 一、 family's characters but is no number
    assert match_marker("十十、重点工作") is None
    assert match_marker("十一、重点工作") == ("一、", 11, "十一、")


def test_sections_that_are_no_marker_family_rank_outermost():
    assert rank("unnumbered") == rank("appendix") == rank("") == -1
    assert min(f.rank for f in FAMILIES) == 0  # 第一部分: the outermost family ranks 0, above -1
