"""Title, date and speaker of a speech, from the lines real files carry.

A speech opens with a block of metadata lines before its first sentence::

    政府工作报告                                      title
    ——2022年1月27日在安国市第八届人民代表大会第二次会议上   subtitle (date, session)
    安国市人民政府市长 梁忠林                          office and speaker
    各位代表：                                        (salutation: body starts)

or ``在…上的讲话`` / ``（2020年1月8日）`` / ``习近平``, or ``（二〇〇三年一月十日）``,
or a date and name on one line. Files scraped by research projects also carry
a header block (``标题：… 发文时间：… 报告人：…``), which ``ingest`` takes off
and hands over as fields. :func:`extract` reads the head block, returns the
metadata and the body without those lines: metadata lines leave the body.

Dates come out as ``2022年1月27日`` with Arabic digits, whatever the file
wrote (full-width digits, 〇一二…, ISO).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .markers import starts_with_marker

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = f"[{CJK}]"
_CN_DIGIT = "〇零○一二三四五六七八九"

# ------------------------------------------------------------------ dates

_Y = rf"(?:\d{{4}}|[{_CN_DIGIT}]{{4}})"
_MD = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
DATE = rf"{_Y}\s*年\s*{_MD}\s*月\s*{_MD}\s*[日号]"
_DATE_RE = re.compile(DATE)
# a date on its own line, in brackets or not; a stray ? of a lost character may follow
DATE_LINE = re.compile(rf"^[（(【\[]?\s*{DATE}(?:\s*\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?\s*[）)】\]]?[?？]?$")
# a date and a name on one line: （2011年1月12日 陈全国）
DATE_NAME_LINE = re.compile(rf"^[（(]?\s*({DATE})\s*({_HAN}{{2,4}})\s*[）)]?$")
# ISO dates of header fields: 2006-02-15
ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
# a news dateline: 新华社北京3月5日电 / 本报讯 2月4日， / 保定日报讯 1月30日，
DATELINE = re.compile(rf"^(?:新华社|中新社|本报|{_HAN}{{2,8}}(?:日报|晚报|新闻网|电视台))[^，。]{{0,12}}?(?:讯|电)?\s*(?:({_Y})年)?({_MD})月({_MD})日(?:电)?")


def _cn_number(token: str) -> int | None:
    """二〇〇三 -> 2003 (digit by digit), 十二 -> 12, 二十三 -> 23, 07 -> 7."""
    token = token.strip()
    if token.isdigit():
        return int(token)
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    digits.update({"零": 0, "○": 0})
    if "十" in token:
        tens, _, ones = token.partition("十")
        return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)
    if all(c in digits for c in token):
        value = 0
        for c in token:
            value = value * 10 + digits[c]
        return value
    return None


def normalize_date(text: str) -> str:
    """The first date in ``text`` as ``2022年1月27日``; '' if there is none."""
    text = text.translate(FULLWIDTH_DIGITS)
    m = re.search(rf"({_Y})\s*年\s*({_MD})\s*月\s*({_MD})\s*[日号]", text)
    if m:
        parts = [_cn_number(g) for g in m.groups()]
    else:
        m = ISO_DATE.search(text)
        if not m:
            return ""
        parts = [int(g) for g in m.groups()]
    y, mo, d = parts
    if y is None or mo is None or d is None or not (1 <= mo <= 12 and 1 <= d <= 31):
        return ""
    return f"{y}年{mo}月{d}日"


FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# ------------------------------------------------------------------ line shapes

_GENRE = r"(?:讲话|讲话稿|讲话提纲|致辞|贺词|报告|工作报告|报告提纲|发言|发言稿|演讲|演说|施政报告|预算案|答问|总结)"
# a title ends with its genre; it is short and carries no sentence
TITLE_LINE = re.compile(rf"^[^。！？；]{{2,80}}{_GENRE}(?:[（(][^（）()]{{1,12}}[）)])?$")
# "刘建平同志在……讲话": the speaker named in a title line
TITLE_SPEAKER = re.compile(rf"^(?:({_HAN}{{2,4}})同志|(?!关于|对于|我们|大家)({_HAN}{{2,3}}))(?=在)")
# a session: 在保定市第十五届人民代表大会第六次会议上, 在县十七届人大二次会议上的讲话
_SESSION = r"(?:在|于)?[^。！？；，]{2,70}?(?:会议|大会|全会|会|开幕式|闭幕式|座谈会|典礼)(?:上)?(?:的[^。！？；]{0,16})?"
_DASH = r"[—―\-－~～]{1,4}"
SUBTITLE_LINE = re.compile(rf"^(?:{_DASH}\s*)?[（(]?\s*(?:{DATE}\s*)?{_SESSION}\s*[）)]?$")
# any line led by a dash in the head block is a subtitle: ——奋力推动…
DASH_LINE = re.compile(rf"^{_DASH}\s*[^—―\-－\s][^。！？]{{1,80}}$")
_OFFICE = r"(?:总理|副总理|省长|副省长|代省长|市长|副市长|代市长|县长|副县长|代县长|区长|副区长|代区长|州长|旗长|主席|副主席|书记|副书记|主任|副主任|局长|厅长|部长|司长|秘书长|委员长|院长|检察长)"
# 保定市人民政府市长 于 群 / 河北省代省长 季允石 / 市长马誉峰
OFFICE_NAME_LINE = re.compile(rf"^[^。！？，；：:]{{0,30}}?{_OFFICE}\s*((?:{_HAN}\s*){{2,4}})$")
OFFICE_LINE = re.compile(rf"^[^。！？，；：:]{{2,30}}{_OFFICE}$")
NAME_LINE = re.compile(rf"^{_HAN}(?:\s*{_HAN}){{1,3}}$")
# a label in brackets: （政治协商稿） （摘登） （草案）
NOTE_LINE = re.compile(r"^[（(][^（）()。，]{2,10}[）)]$")
SALUTATION = re.compile(
    r"^(?:同志们|朋友们|同学们|女士们[、，]?先生们|各位[^，。！？]{0,14}|主席|代理主席|尊敬的[^，。！？]{0,20})[：:]$"
)
COLLECTION_HEADER = re.compile(r"(?:篇[一二三四五六七八九十\d]+|第[一二三四五六七八九十\d]+篇)$")


@functools.lru_cache(maxsize=1 << 16)
def is_title(line: str) -> bool:
    compact = line.replace(" ", "")
    if re.match(_DASH, compact):
        return False  # ——在…上的政府工作报告 is a subtitle
    return 6 <= len(compact) <= 80 and bool(TITLE_LINE.match(compact))


@functools.lru_cache(maxsize=1 << 16)
def is_subtitle(line: str) -> bool:
    if len(line) > 90 or "。" in line:
        return False
    if DASH_LINE.match(line):
        return True
    if is_title(line):
        return False  # 在…会议上的讲话 is the title; a subtitle names the session only
    m = SUBTITLE_LINE.match(line)
    # a session alone needs a date, a dash, brackets or 在…上 around it
    return bool(m) and bool(
        _DATE_RE.search(line) or re.match(_DASH, line) or line.startswith(("在", "（", "("))
    )


@functools.lru_cache(maxsize=1 << 16)
def is_date_line(line: str) -> bool:
    if len(line) > 40:
        return False
    line = line.translate(FULLWIDTH_DIGITS)
    return bool(DATE_LINE.match(line) or DATE_NAME_LINE.match(line))


@functools.lru_cache(maxsize=1 << 16)
def is_standalone(line: str) -> bool:
    """Lines complete without end punctuation: titles, subtitles, dates,
    salutations, collection headers. A broken line is never glued onto one."""
    if len(line) > 90:
        return False
    return bool(
        is_date_line(line)
        or SALUTATION.match(line)
        or (len(line) <= 60 and COLLECTION_HEADER.search(line))
        or is_title(line)
        or is_subtitle(line)
    )


@functools.lru_cache(maxsize=1 << 16)
def speaker_of(line: str) -> str:
    """The person an office-and-name line names: 保定市人民政府市长 于 群 -> 于群."""
    m = OFFICE_NAME_LINE.match(line)
    return m.group(1).replace(" ", "") if m else ""


# ------------------------------------------------------------------ extraction


@dataclass
class Meta:
    title: str = ""
    subtitle: str = ""
    date: str = ""
    speaker: str = ""
    lines: list[str] = field(default_factory=list)  # the metadata lines taken off the body


def _split_title(text: str) -> tuple[str, str]:
    """标题：政府工作报告——在…会议上 -> (政府工作报告, ——在…会议上)."""
    m = re.search(r"[—―]{1,3}", text)
    if m and m.start() > 0:
        return text[: m.start()].strip(), text[m.start():].strip()
    return text.strip(), ""


def _strip_label(title: str) -> str:
    """资料：河北省2011年政府工作报告 -> 河北省2011年政府工作报告."""
    return re.sub(r"^[^：:（(]{1,4}[：:]", "", title)


def _more_specific(candidate: str, title: str) -> bool:
    """A page or header title that names what a generic in-text title leaves
    out: 2022年安国市政府工作报告 for 政府工作报告."""
    return bool(candidate) and candidate != title and candidate.endswith(title) and len(candidate) > len(title)


def _head_title_before_subtitle(line: str) -> bool:
    """A line directly above a subtitle is the title, whatever its ending:
    夯实基础 提速发展 为建设京南近海强市名城而努力奋斗 / ——在…上的政府工作报告."""
    return (
        2 <= len(line) <= 60
        and not re.search("[。！？；，]", line)
        and not SALUTATION.match(line)
        and not is_date_line(line)
        and not starts_with_marker(line)
    )


def extract(
    lines: list[str], fields: dict[str, str] | None = None, page_titles: list[str] = ()
) -> tuple[Meta, list[str]]:
    """Metadata of one speech from its head lines (and a header block's
    ``fields``), and the remaining body lines. ``page_titles``: title lines
    of the page above the text, which may name it better than a generic
    title of its own (2022年安国市政府工作报告 for 政府工作报告).

    The head block is the run of metadata-shaped lines before the first line
    of text (a salutation, a sentence, a heading). Within it: the title line
    (or the line above a subtitle), the subtitle, dates, office and name lines.
    """
    fields = fields or {}
    meta = Meta()
    titles: list[str] = []
    # (priority, date): 0 bracketed or with a name, 1 bare, 2 a page's time stamp
    dates_after_title: list[tuple[int, str]] = []
    dates_before_title: list[tuple[int, str]] = []
    i, n = 0, len(lines)

    def take(count: int = 1) -> None:
        nonlocal i
        meta.lines.extend(lines[i : i + count])
        i += count

    while i < n:
        line = lines[i].strip()
        nxt = lines[i + 1].strip() if i + 1 < n else ""
        digits = line.translate(FULLWIDTH_DIGITS)
        joined = line + nxt
        glued = re.match(rf"^(.{{2,40}}?{_GENRE})\s*((?:{DATE}).*)$", line)
        if glued and is_subtitle(glued.group(2)) and not is_title(line):
            # a title with its subtitle glued on: 政府工作报告2011年1月20日在…会议上
            titles.append(glued.group(1))
            sub = glued.group(2)
            # and broken at the line end: …人民代表大会 / 第五次会议上
            broken = (
                nxt
                and len(nxt) <= 20
                and not sub.endswith(("上", "）", ")"))
                and (sub + nxt).endswith("上")
                and is_subtitle(sub + nxt)
            )
            meta.subtitle = meta.subtitle or (sub + nxt if broken else sub)
            meta.date = meta.date or normalize_date(sub)
            take(2 if broken else 1)
        elif (
            # a session subtitle broken in two: 2022年1月28日在高唐县第十八届 / 人民代表大会第一次会议上
            nxt
            and not line.endswith(("上", "）", ")"))
            and not is_date_line(line)
            and not is_title(line)
            and not is_subtitle(nxt)
            and not NAME_LINE.match(nxt)
            and not speaker_of(nxt)
            and len(joined) <= 90
            and joined.endswith(("上", "）", ")"))
            and is_subtitle(joined)
            and not re.search("[。！？，：:]", joined)
            and (line.startswith(("在", "—", "―", "（", "(")) or _DATE_RE.search(digits))
        ):
            meta.subtitle = meta.subtitle or joined
            meta.date = meta.date or normalize_date(joined)
            take(2)
        elif is_subtitle(line):
            meta.subtitle = meta.subtitle or line
            meta.date = meta.date or normalize_date(line)
            take()
        elif is_title(line) or (nxt and is_subtitle(nxt) and _head_title_before_subtitle(line)):
            titles.append(line.replace(" ", ""))
            who = TITLE_SPEAKER.match(line)
            if who and not meta.speaker:
                meta.speaker = who.group(1) or who.group(2)
            take()
        elif DATE_NAME_LINE.match(digits):
            m = DATE_NAME_LINE.match(digits)
            (dates_after_title if titles or meta.subtitle else dates_before_title).append((0, normalize_date(m.group(1))))
            meta.speaker = meta.speaker or m.group(2)
            take()
        elif is_date_line(line):
            # a date in brackets is the text's; one with a time of day, a page's stamp
            priority = 2 if ":" in digits else 0 if digits[:1] in "（(" else 1
            (dates_after_title if titles or meta.subtitle else dates_before_title).append((priority, normalize_date(line)))
            take()
        elif speaker_of(line):
            meta.speaker = meta.speaker or speaker_of(line)
            take()
        elif OFFICE_LINE.match(line) and NAME_LINE.match(nxt):
            meta.speaker = meta.speaker or nxt.replace(" ", "")
            take(2)
        elif NAME_LINE.match(line) and len(line.replace(" ", "")) <= 4 and (titles or meta.subtitle or dates_after_title):
            meta.speaker = meta.speaker or line.replace(" ", "")
            take()
        elif NOTE_LINE.match(line) and (titles or meta.subtitle):
            take()  # （政治协商稿） （摘登）: a label of the text
        else:
            break
    body = lines[i:]

    # the title: the text's own, unless it is generic and the file states a
    # more specific one (a page title or header field ending with it)
    header_title, header_sub = _split_title(fields.get("标题", ""))
    title = titles[-1] if titles else ""
    for cand in titles[:-1] + [_strip_label(t) for t in page_titles] + [header_title]:
        if title and _more_specific(cand, title):
            title = cand
    title = _strip_label(title or header_title or (page_titles[-1] if page_titles else ""))
    # 王正谱在…上的政府工作报告: the speaker leaves the title
    who = TITLE_SPEAKER.match(title)
    if who and (who.group(1) or who.group(2)) in (meta.speaker, ""):
        meta.speaker = meta.speaker or who.group(1) or who.group(2)
        title = title[who.end():]
    meta.title = title
    meta.subtitle = meta.subtitle or header_sub
    meta.date = (
        meta.date
        or (min(dates_after_title, key=lambda d: d[0])[1] if dates_after_title else "")
        or normalize_date(header_sub)
        or normalize_date(fields.get("发文时间", "") or fields.get("发文日期", "") or fields.get("日期", ""))
        or (min(dates_before_title, key=lambda d: d[0])[1] if dates_before_title else "")
    )
    if not meta.speaker:
        reporter = fields.get("报告人", "") or fields.get("讲话人", "")
        meta.speaker = speaker_of(reporter) or (reporter.replace(" ", "") if NAME_LINE.match(reporter) else "")
    if not meta.date:
        # a news dateline; without its year, the one year the title names
        years = set(re.findall(r"(\d{4})年", meta.title + header_title))
        for line in body[:5]:
            m = DATELINE.match(line)
            if m and (m.group(1) or len(years) == 1):
                year = m.group(1) or next(iter(years))
                meta.date = normalize_date(f"{year}年{m.group(2)}月{m.group(3)}日")
                break
    return meta, body
