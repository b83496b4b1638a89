"""The one table of heading markers of this genre.

Every stage that needs to know whether a line opens with a heading marker
asks this module: ``ingest`` (a PDF-broken line is never glued onto a
heading), ``split`` (a restarted outline is evidence of a new speech) and
``outline`` (the tree itself). The families, outermost first::

    第一部分 / 第一章           parts and chapters
    一、                         numbered sections
    （一）                       subsections
    1. / 1、                     items
    （1）                        sub-items
    ①                            circled items
    一是 / 一要 / 第一 / 第一个问题 / 首先…   enumerations that open a paragraph

``rank`` orders the families: an enumeration (rank 6) never holds a numbered
heading (rank 1–5) below it, and a part or chapter (rank 0) is never below
anything. Between the numbered families depth is not fixed, as writers skip
levels; the outline nests a family met for the first time under the current
heading.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

CN_NUM = "一二三四五六七八九十"
# a Chinese ordinal of up to three characters: 一, 十二, 二十三
_N = f"[{CN_NUM}]{{1,3}}"
# 第一 is an ordinal, but not in 第一期 / 第一次 / 第一书记 … (a count word follows)
_NOT_ORDINAL = "期章节条次批届个年季轮名位部家种类阶段代把手线"
WORD_ORDINALS = {"首先": 1, "其次": 2, "再次": 3}


@dataclass(frozen=True)
class Family:
    name: str  # how the family is written for its first member: "一、", "（一）" …
    pattern: re.Pattern  # group 1: the number token (group 2: a word ordinal)
    rank: int

    @property
    def enumeration(self) -> bool:
        return self.rank >= ENUMERATION_RANK


ENUMERATION_RANK = 6

FAMILIES: list[Family] = [
    Family("第一部分", re.compile(rf"^第({_N}|\d{{1,2}})(?:部分|章|编)[、，,：:．.\s]*"), 0),
    Family("一、", re.compile(rf"^({_N})(?:、|．(?!\d))"), 1),
    Family("（一）", re.compile(rf"^[（(]({_N})[）)][、，,．.]?"), 2),
    Family("1.", re.compile(r"^(\d{1,2})(?:[.．](?!\d)|、)"), 3),
    Family("（1）", re.compile(r"^[（(](\d{1,2})[）)][、，,．.]?"), 4),
    Family("①", re.compile(r"^([\u2460-\u2473])[、，,．.]?"), 5),
    # 一是 needs two more characters that are not a clause end: "一是要…", not "一是，"
    Family("一是", re.compile(rf"^({_N})是(?=[^，。；]{{2}})"), 6),
    # 一要素 / 一要求 are words, not enumerations
    Family("一要", re.compile(rf"^({_N})要(?!素|求|点|件|务)"), 6),
    Family(
        "第一",
        re.compile(
            rf"^(?:第({_N})(?:个(?:问题|方面)[，、：,:]?|[，、：,:]|(?=[\u4e00-\u9fff])(?![{_NOT_ORDINAL}]))"
            rf"|(首先|其次|再次|最后)[，,：:]?)"
        ),
        6,
    ),
]
BY_NAME = {f.name: f for f in FAMILIES}

# Lines that open an appendix: attachments, glossaries, notes. They are short
# and carry no sentence: "附件1", "附件一：名词解释", "※名词解释※", "附：名词解释".
APPENDIX_HEADING = re.compile(
    r"^[※＊*★☆【\[（(\s]*"
    r"(?:附件\s*[0-9一二三四五六七八九十]*|附录\s*[0-9一二三四五六七八九十]*|附表\s*[0-9一二三四五六七八九十]*|附[：:]"
    r"|名词解释|名词注释|词语解释|名词释义|注释|注解|释义)"
    r"[^。！？]{0,24}$"
)


def cn_to_int(token: str) -> int | None:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十三 -> 23, ① -> 1; also Arabic digits."""
    if token.isdigit() and token.isascii():
        return int(token)
    if len(token) == 1 and "\u2460" <= token <= "\u2473":
        return ord(token) - 0x245F
    # keys are single characters, so a token of two or more is never one of them
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if "十" in token:
        tens, _, ones = token.partition("十")
        if (tens and tens not in digits) or (ones and ones not in digits):
            return None
        return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)
    return digits.get(token)


@functools.lru_cache(maxsize=1 << 16)
def match_marker(line: str) -> tuple[str, int | None, str] | None:
    """(family name, number, marker text) if ``line`` opens with a heading
    marker. ``最后`` has number None: it continues whatever count it closes."""
    for family in FAMILIES:
        m = family.pattern.match(line)
        if not m:
            continue
        token = m.group(1)
        if token is None:  # a word ordinal: 首先 其次 再次 最后
            word = m.group(2)
            return family.name, WORD_ORDINALS.get(word), m.group()
        number = cn_to_int(token)
        if number is not None and number > 0:
            return family.name, number, m.group()
    return None


def starts_with_marker(line: str) -> bool:
    """Whether ``line`` opens with any heading marker (a bare marker included)."""
    return match_marker(line) is not None


def rank(family: str) -> int:
    """A family's rank; -1 for the sections that are no marker family
    (unnumbered headings, appendices), which sit outermost."""
    found = BY_NAME.get(family)
    return found.rank if found else -1


def is_appendix_heading(line: str) -> bool:
    return len(line) <= 30 and bool(APPENDIX_HEADING.match(line))
