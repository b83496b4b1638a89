"""Figures in a speech: amounts, percentages, counts, targets and dates,
each with its context frame, so one figure can be followed across speeches
("增长5%左右" in 2023, "增长5.5%左右" in 2024).

A figure is a number (Arabic, or Chinese numerals with a magnitude such as
一千二百万), optionally a magnitude (万, 亿), a unit (%, 元, 人, 亩 …) and a
qualifier (左右, 以上 …). Its *frame* is what the figure measures: the last
FRAME_CHARS key characters before it in its clause ("新增城镇就业" for
"新增城镇就业1200万人以上"), or, when the clause opens with the figure, the
first ones after it. Values are normalized (1.2万亿 -> 1.2e12, 百分之六十八 -> 68 %)
for comparison; the original text is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .textkey import key

# Units this genre measures in, longest first so 万亿元 wins over 元.
_UNITS = sorted(
    """% ％ ‰ 个百分点 百分点 元 美元 人民币 人次 人 户 亩 公顷 平方公里 平方米 万平方米 公里 千米 米 吨 千瓦时 千瓦 瓦 度
    项 家 所 座 条 个 台 辆 套 件 名 倍 张 株 头 只 处 间 床 年 月 日 天 小时 岁 元/吨 标准箱 立方米 千克 公斤 斤""".split(),
    key=len, reverse=True,
)
# Chinese-numeral figures carry a quantity unit: 三万亩, 一千二百万人. Time
# and ordinal units (年, 届, 次) are left out there, as 十九届 and 两个维护 name
# things rather than measure them.
_CN_UNITS = [u for u in _UNITS if u not in ("年", "月", "日", "天", "小时", "岁", "个", "次", "名", "条", "处", "间", "头", "只")]
_QUALIFIERS = "左右|以上|以下|以内|上下|多|余|强|弱|开外"
_ARABIC = r"\d+(?:[.,．]\d+)*"
_CN_DIGITS = "零〇○一二两三四五六七八九"
_CN = rf"[{_CN_DIGITS}十百千万亿点]+"
_MAGNITUDE = r"(?:万亿|亿|千万|百万|万|千)?"

FIGURE = re.compile(
    rf"(?P<pct>百分之)?(?P<num>{_ARABIC}|{_CN})(?P<mag>{_MAGNITUDE})"
    rf"(?P<unit>{'|'.join(map(re.escape, _UNITS))})?(?P<qual>{_QUALIFIERS})?"
)
_MAG_VALUE = {"": 1, "千": 1e3, "万": 1e4, "百万": 1e6, "千万": 1e7, "亿": 1e8, "万亿": 1e12}
_CLAUSE_END = re.compile(r"[，。；：！？、,;:!?\n（）()“”]")
FRAME_CHARS = 6  # long enough to name a quantity (生产总值增长), short enough to survive rewording around it


@dataclass
class Figure:
    text: str  # as written: "1200万人以上"
    start: int  # offsets in the speech text
    end: int
    value: float | None  # normalized for comparison: 12000000.0 (None when unparsable)
    unit: str  # "%", "人", "元" … ("" for a bare number)
    qualifier: str  # 左右, 以上 … ("" for none)
    frame: str  # what it measures: "新增城镇就业"
    clause: str  # the clause's key with every number slotted
    clause_start: int = 0

    @property
    def display(self) -> str:
        return self.text


def parse_number(token: str) -> float | None:
    """An Arabic or Chinese numeral as a float: "1,200" -> 1200, "一千二百" ->
    1200, "二〇二〇" -> 2020, "零点五" -> 0.5."""
    token = token.replace(",", "").replace("．", ".")
    try:
        return float(token)
    except ValueError:
        pass
    import cn2an

    try:
        return float(cn2an.cn2an(token, "smart"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _is_figure(m: re.Match, text: str) -> bool:
    num = m.group("num")
    if num[0].isdigit():
        return True
    if m.start() > 0 and text[m.start() - 1] == "第":
        return False  # an ordinal: 第十二
    if m.group("pct"):
        return True
    unit = m.group("unit") or ""
    has_magnitude = bool(m.group("mag")) or any(c in num for c in "十百千万亿")
    # a Chinese numeral is a figure when it measures something: 三万亩, 一千二百万人
    return bool(unit in _CN_UNITS and unit and (has_magnitude or len(num) >= 2))


def figures(text: str) -> list[Figure]:
    """Every figure in ``text`` (a speech's text or one sentence), in order."""
    out = []
    for m in FIGURE.finditer(text):
        if not _is_figure(m, text):
            continue
        num, mag, unit = m.group("num"), m.group("mag") or "", m.group("unit") or ""
        # a bare Chinese numeral run may swallow its magnitude: 一千二百万
        value = parse_number(num + mag) if not num[0].isdigit() else parse_number(num)
        if value is not None and num[0].isdigit():
            value *= _MAG_VALUE.get(mag, 1)
        if m.group("pct"):
            unit = "%"
        if unit == "％":
            unit = "%"
        start = m.start()
        clause_start = max((c.end() for c in _CLAUSE_END.finditer(text, 0, start)), default=0)
        clause_end_match = _CLAUSE_END.search(text, m.end())
        clause_end = clause_end_match.start() if clause_end_match else len(text)
        before = key(text[clause_start:start]).split("\u24cd")
        if len(before[-1]) >= 2:
            frame = before[-1][-FRAME_CHARS:]
        elif out and out[-1].clause_start == clause_start and len(before) > 1 and len(out[-1].frame.split("·")[0]) >= 2:
            # 分别增长11.3%和3%: the second figure measures along the first one's frame
            frame = f"{out[-1].frame.split('·')[0]}·{len(before)}"
        else:
            frame = key(text[m.end():clause_end]).split("\u24cd")[0][:FRAME_CHARS]
        out.append(Figure(m.group(), start, m.end(), value, unit, m.group("qual") or "", frame,
                          key(text[clause_start:clause_end]), clause_start))
    return out


