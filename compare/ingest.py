"""Read a speech file in any common Chinese encoding and clean it.

``clean()`` turns a raw web page, PDF extraction or template into plain
simplified Chinese paragraphs, one per line. Every rule here is about a kind
of noise (pinyin annotations, page chrome, broken lines), never about one
sample's exact strings.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

from .model import SpeechdiffError

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CN_NUM = "一二三四五六七八九十"
# Marks that may end a paragraph: a line ending in anything else was broken.
PARAGRAPH_END = "。！？：；”」』…"

# ---------------------------------------------------------------- reading


def read_text(path: str | os.PathLike) -> str:
    """Read ``path`` (or ``-`` for stdin) and decode it, whatever the encoding."""
    if str(path) == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        p = Path(path)
        name = str(p)
        if not p.exists():
            raise SpeechdiffError(f"{name}: no such file")
        if p.is_dir():
            raise SpeechdiffError(f"{name}: is a directory, not a speech file")
        try:
            data = p.read_bytes()
        except OSError as e:
            raise SpeechdiffError(f"{name}: cannot read ({e.strerror})") from None
    if not data.strip():
        raise SpeechdiffError(f"{name}: file is empty")
    return decode(data, name)


def decode(data: bytes, name: str = "<bytes>") -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK or Big5."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise SpeechdiffError(f"{name}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # GB18030 accepts almost any byte pair, Big5 many: decode both and keep the
    # one that reads most like Chinese (common characters, few replacements).
    candidates = []
    for encoding in ("gb18030", "big5hkscs"):
        text = data.decode(encoding, errors="replace")
        candidates.append((_chinese_likeness(text), text))
    score, text = max(candidates)
    if score < 0.5:
        raise SpeechdiffError(f"{name}: binary file or unknown encoding, not text")
    return text


def _chinese_likeness(text: str) -> float:
    """Share of characters that are common Chinese, ASCII or punctuation."""
    freq = char_frequency()
    good = sum(
        1
        for ch in text
        if ch.isascii() or freq.get(ch, 0) >= 1000 or "\u3000" <= ch <= "\u303f" or ch in "，：；！？（）“”‘’"
    )
    return good / max(1, len(text))


@functools.cache
def char_frequency() -> dict[str, int]:
    """How often each character occurs in jieba's dictionary (a frequency list
    of modern Chinese words): rare characters after a ``?`` are mojibake."""
    import jieba

    counts: dict[str, int] = {}
    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, freq, _ = line.split(" ", 2)
            n = int(freq)
            for ch in word:
                counts[ch] = counts.get(ch, 0) + n
    return counts


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


# ---------------------------------------------------------------- character-level rules

# A pinyin syllable as web converters print it after a character: 發(fā).
# It carries a tone mark, or is one of the few toneless syllables.
_PY = "a-zü\u00e0-\u01dc"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_PINYIN = rf"(?:[{_PY}]*[{_TONED}][{_PY}]*|men|de|le|me|ne|ma|ba|zi|zhe|ge|tou|li|shang|xia)"
# Tone marks never occur in a Chinese speech, so a toned syllable goes with
# whatever parenthesis is left of it; a toneless one only inside a full pair
# after a Chinese character, as (GDP) or (a) are not pinyin.
PINYIN_ANNOTATION = re.compile(
    rf"[(（]?[{_PY}]*[{_TONED}][{_PY}]*[)）]|(?<=[{CJK}])[(（](?:men|de|le|me|ne|ma|ba|zi|zhe|ge|tou|li|shang|xia)[)）]"
)
# What is left when the converter garbled the character: ?cè) or 當?shù)
PINYIN_REMNANT = re.compile(rf"\?*{_PINYIN}\)")
CSS_RULE = re.compile(r"(?:[.#@]?-?[A-Za-z][\w\-]*(?:[\s,>.:#]+[\w\-]+)*\s*)\{[^{}\n]*\}")
# Layout tags a page leaks into its text (and their broken ends, as "/p>");
# other angle brackets are text, e.g. 1+1>2, and are escaped when rendered.
_LAYOUT_TAGS = "p|br|div|span|font|a|img|b|i|u|strong|em|table|tbody|tr|td|th|li|ul|ol|h[1-6]|section|article|center|sup|sub"
HTML_TAG = re.compile(rf"</?(?:{_LAYOUT_TAGS})\b[^<>\n]{{0,200}}>|(?<![<A-Za-z])/(?:{_LAYOUT_TAGS})>", re.I)
PRIVATE_USE = re.compile("[\ue000-\uf8ff\ufffd\u2500-\u257f]")


def remove_pinyin(text: str) -> str:
    return PINYIN_ANNOTATION.sub("", text)


def remove_mojibake(text: str) -> str:
    """Drop runs that an encoding accident left: private-use characters, and a
    ``?`` that stands for a lost character together with the rare characters,
    stray Latin letters, ASCII marks and pinyin remnants glued to it. A ``?``
    followed by ordinary text is a question mark and is kept."""
    freq = char_frequency()

    def is_junk(ch: str) -> bool:
        if ch.isascii():
            return not (ch.isdigit() or ch.isspace() or ch in "x“”")
        if PRIVATE_USE.match(ch):
            return True
        if "\u4e00" <= ch <= "\u9fff":
            return freq.get(ch, 0) < 2000
        return ch in "€¤¨¦§°±"

    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if PRIVATE_USE.match(ch):
            i += 1
            continue
        m = PINYIN_REMNANT.match(text, i) if ch == "?" else None
        if ch == "?" and (m or i > 0 and re.match(f"[{CJK}，、,。;；?]", text[i - 1])):
            j = m.end() if m else i + 1
            k = j
            while k < n and k - j < 10 and is_junk(text[k]):
                k += 1
            if m or k > j or (j < n and text[j] in "，、。"):
                i = k
                continue
        out.append(ch)
        i += 1
    return "".join(out)


_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
# Half-width marks next to a Chinese character (or closing quote) become full-width.
_CN_MARKS = "，。、；：！？“”‘’（）"
# (a digit before a mark counts, but not in 1,000 or 3:30)
_HALF_WIDTH_MARK = re.compile(
    rf"(?<=[{CJK}{_CN_MARKS}%‰》])([,:;?!])|(?<=\d)([,:;?!])(?![\d ])|([,:;?!])(?=[{CJK}{_CN_MARKS}])"
)
_HALF_PARENS = re.compile(rf"\(([^()\n]{{0,40}}[{CJK}][^()\n]{{0,40}})\)")
# Stronger mark wins when web copies double them: ",," ",、" ",。"
_MARK_RANK = {"。": 6, "！": 6, "？": 6, "；": 4, "：": 3, "、": 2, "，": 1}
_MARK_RUN = re.compile("[，、。；：！？]{2,}")
_SPACE_IN_CHINESE = re.compile(
    rf"(?<=[{CJK}\d%，。、；：！？“”（）])[ \t\u3000\u00a0]+(?=[{CJK}\d“”（）])"
    rf"|(?<=[{CJK}，。、；：！？“”（）])[ \t\u3000\u00a0]+(?=[\d%])"
)


def repair_punctuation(line: str) -> str:
    line = _HALF_PARENS.sub(r"（\1）", line)
    for _ in range(2):  # twice: in ",," the second mark sees the first only once it is full-width
        line = _HALF_WIDTH_MARK.sub(lambda m: _HALF_TO_FULL[m.group(m.lastindex)], line)
    line = _MARK_RUN.sub(lambda m: max(m.group(), key=lambda c: _MARK_RANK[c]) if "……" not in m.group() else m.group(), line)
    line = _SPACE_IN_CHINESE.sub("", line)
    line = re.sub(rf"(?<=\d)[ \u00a0]+(?=[{CJK}])", "", line)
    return line


# ---------------------------------------------------------------- line-level rules

# Page chrome of Chinese document sites: ads, navigation, download and paywall
# boxes, upload metadata. These words do not occur in a speech itself.
_AD_WORDS = re.compile(
    r"无码|毛片|成人|AV|av网|色情|人妻|少妇|五月天|在线观看|免费网站|彩票|博彩|视频网络|一本道|精品国产"
)
_CHROME_LINE = re.compile(
    r"当前位置|网站首页|>>|上传日期|上传时间|小编|范文|下载此文|下载本文|全文阅读已结束|"
    r"你可能感兴趣|相关热词|热词搜索|付费|扫码支付|已付款|包月|特价[:：]|联系客服|"
    r"版权所有|免责声明|本文来源|点击下载|阅读全文|^格式[:：]|^时间[:：]\s*\d{4}-|"
    r"[A-Za-z0-9-]+\.(?:com|cn|net|org)\b|www\."
)
# Where the article body ends on such sites: everything after is footer.
_FOOTER_START = re.compile(r"^(相关热词搜索|全文阅读已结束|你可能感兴趣的文章|下载此文档)")
_ISO_DATE_LINE = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}(\s+\d{1,2}:\d{2}(:\d{2})?)?\s*$")
_ISSUE_HEADER = re.compile(rf"^第[{CN_NUM}百零〇\d]+期$")
_CN_DATE = rf"[\d{CN_NUM}〇零○]{{4}}年[\d{CN_NUM}]{{1,3}}月[\d{CN_NUM}]{{1,3}}日"
DATE_LINE = re.compile(rf"^[（(]?{_CN_DATE}[）)]?$")
_DISTRIBUTION = re.compile(r"^(主送|抄送|印发|分送|发送)[:：]")


def is_ad_line(line: str) -> bool:
    return len(_AD_WORDS.findall(line)) >= 2


def is_chrome_line(line: str) -> bool:
    """A line of site or bulletin furniture rather than speech text."""
    return bool(
        is_ad_line(line)
        or _CHROME_LINE.search(line)
        or _ISO_DATE_LINE.match(line)
        or _ISSUE_HEADER.match(line)
        or not re.search(rf"[{CJK}A-Za-z0-9]", line)
    )


def drop_furniture(lines: list[str]) -> list[str]:
    """Remove bulletin mastheads (name, 第N期, office, date), distribution
    blocks (主送/抄送 to the end) and web page chrome and footers."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if _FOOTER_START.match(line) or _DISTRIBUTION.match(line):
            break
        if _ISSUE_HEADER.match(line) and i < 8:
            # the masthead: everything above, and the office and date below
            out.clear()
            continue
        if out == [] and i < 12 and any(_ISSUE_HEADER.match(x) for x in lines[max(0, i - 3):i]):
            if DATE_LINE.match(line) or not re.search("[。，]", line) and len(line) < 20 and not re.search("讲话|报告|致辞", line):
                continue  # issuing office and issue date under the masthead
        if is_chrome_line(line):
            continue
        out.append(line)
    return out


# Heading markers at the start of a line; the outline stage parses them fully.
HEADING_START = re.compile(
    rf"^(?:[{CN_NUM}]+、|[（(][{CN_NUM}]+[）)]|\d{{1,2}}[.．、](?!\d)|[（(]\d{{1,2}}[）)]|"
    rf"[{CN_NUM}]+(?:是|要|方面)|第[{CN_NUM}]+[，、,：:]|首先|其次|再次|最后)"
)
TITLE_LINE = re.compile(r"(讲话|致辞|报告|发言|讲话稿|发言稿)(（[^）]*）)?$")
SALUTATION = re.compile(r"^(同志们|各位[^，。]{0,10})[：:]$")


def is_standalone(line: str) -> bool:
    """Lines that are complete without end punctuation: titles, dates,
    salutations, collection headers."""
    return bool(
        DATE_LINE.match(line)
        or SALUTATION.match(line)
        or (len(line) <= 60 and TITLE_LINE.search(line))
        or re.search(rf"篇[{CN_NUM}\d]+$", line)
    )


def rejoin_broken_lines(lines: list[str]) -> list[str]:
    """Join lines a PDF broke mid-sentence.

    A line that does not end a paragraph continues on the next, unless the
    next is a heading or a title. A heading without end punctuation stands
    alone, unless it is long and the next line is a short tail that ends a
    sentence (a heading broken at a page end).
    """
    out: list[str] = []
    for line in lines:
        if out:
            prev = out[-1]
            prev_open = not prev.endswith(tuple(PARAGRAPH_END)) and not is_standalone(prev)
            starts_new = HEADING_START.match(line) or is_standalone(line)
            if prev_open and not starts_new:
                if not HEADING_START.match(prev) or (
                    len(prev) >= 24 and len(line) <= 20 and line.endswith(tuple("。！？"))
                ):
                    out[-1] = prev + line
                    continue
        out.append(line)
    return out


def clean_line(line: str) -> str:
    line = line.replace("**", "").replace("\u200b", "").replace("\ufeff", "")
    line = HTML_TAG.sub("", CSS_RULE.sub("", line))
    line = remove_pinyin(line)
    # after t2s, as the rarity test knows simplified characters only; and
    # pinyin again, for annotations whose character the garble took
    line = remove_pinyin(remove_mojibake(to_simplified(line)))
    line = repair_punctuation(line)
    return line.strip(" \t\u3000\u00a0")


def clean(raw: str) -> str:
    """Raw file text -> cleaned simplified text, one paragraph per line."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    lines = [clean_line(line) for line in text.split("\n")]
    lines = [line for line in lines if line]
    lines = drop_furniture(lines)
    lines = rejoin_broken_lines(lines)
    return "\n".join(lines)
