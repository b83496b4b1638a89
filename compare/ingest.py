"""Read a speech file in any common encoding and clean it.

``clean()`` turns a raw web page, PDF extraction, spreadsheet cell or
template into plain simplified Chinese paragraphs, one per line.
``clean_report()`` does the same and says what it removed and why: every
removed line carries the rule that removed it (``speechdiff clean --explain``).

The rules are about the shape of a line and where it sits, never about one
file's strings:

* characters: control characters and escape sequences, HTML entities and
  tags, pinyin annotations, mojibake, traditional characters, half-width
  punctuation;
* paragraphs: a line break, a literal ``\\r\\n``, two ideographic spaces, a
  tab, a run of spaces after a sentence all end a paragraph; lines a PDF or a
  web page broke inside a sentence are joined again;
* chrome: a line is removed as page furniture only as a whole, and only if it
  does not read as prose (a prose line is long, or ends a sentence and has a
  clause inside). Furniture is recognised by shape: widget and menu words
  making up the whole line, ``label：value`` fields, licence and registration
  footers, page numbers and running headers of PDFs, link lists and menus at
  the page's edges, a summary that repeats the text;
* blocks: a footer, a link list or a distribution list (主送/抄送) runs until
  speech text resumes; text after it is kept, and a new speech may start there.
"""

from __future__ import annotations

import functools
from importlib import resources
import html
import os
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import meta as _meta
from .markers import CN_NUM, is_appendix_heading, starts_with_marker
from .meta import SALUTATION, is_standalone
from .model import SpeechdiffError

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Marks that may end a paragraph: a line ending in anything else was broken
# (or is a heading, a title, a list item).
PARAGRAPH_END = "。！？：；”」』…"
# Marks a line never ends with unless the sentence goes on.
CONTINUES = "，、（(“《‘「『—"
# Marks a new paragraph never starts with: the line continues the one above.
CONTINUATION_START = "，。、；：！？）)”’」』》…%"


class DecodeWarning(UserWarning):
    """Some bytes of an input could not be decoded and were replaced."""


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
    text = decode(data, name)
    if not text.strip():
        raise SpeechdiffError(f"{name}: file is empty")
    return text


_BOMS = [
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),  # before UTF-16 LE, whose BOM it starts with
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
]


def decode(data: bytes, name: str = "<bytes>") -> str:
    """Decode UTF-8/16/32 (with or without BOM), GB18030/GBK or Big5.

    A few undecodable bytes in otherwise good text are replaced (U+FFFD, later
    dropped by cleaning) with a :class:`DecodeWarning`; what is not text at all
    raises one clear :class:`SpeechdiffError`. Never anything else."""
    try:
        return _decode(data, name)
    except SpeechdiffError:
        raise
    except Exception as e:  # a decoder's surprise must not become a traceback
        raise SpeechdiffError(f"{name}: cannot decode ({type(e).__name__})") from None


def _warn_replaced(name: str, count: int, encoding: str) -> None:
    if count:
        warnings.warn(
            f"{name}: {count} undecodable byte sequence{'s' if count != 1 else ''} replaced ({encoding})",
            DecodeWarning,
            stacklevel=3,
        )


def _lenient(data: bytes, encoding: str) -> tuple[str, int]:
    """``data`` decoded with replacement, and how many replacements it took."""
    text = data.decode(encoding, errors="replace")
    before = data.count("\ufffd".encode(encoding)) if "utf" in encoding else 0
    return text, max(0, text.count("\ufffd") - before)


def _nul_pattern(data: bytes) -> str | None:
    """The wide encoding a NUL-bearing byte string has, by where its NULs sit.

    UTF-32 text of the Basic Multilingual Plane has two zero bytes in every
    four (the high ones); UTF-16 has a zero byte in every ASCII character (a
    line break, a digit). A file whose NULs fall anywhere else is binary."""
    sample = data[:65536]
    nuls = sample.count(0)  # (bytes.count: a loop over the sample's bytes in Python took 2.5 ms a file)
    if nuls < max(4, len(sample) // 20):
        return None  # too few to tell (UTF-16 Chinese has a NUL per line break only)
    by4 = [sample[k::4].count(0) for k in range(4)]  # NULs at each position modulo 4
    return _wide_encoding(by4, nuls, len(sample))


def _wide_encoding(by4: list[int], nuls: int, size: int) -> str:
    """The wide encoding whose NULs fall as counted: ``by4[k]`` NULs at the
    positions k modulo 4 of a ``size``-byte sample, ``nuls`` in all."""
    quarter = size / 4
    if by4[2] > 0.9 * quarter and by4[3] > 0.9 * quarter:
        return "utf-32-le"
    if by4[0] > 0.9 * quarter and by4[1] > 0.9 * quarter:
        return "utf-32-be"
    odd = by4[1] + by4[3]
    even = by4[0] + by4[2]
    if odd > 0.95 * nuls:
        return "utf-16-le"
    if even > 0.95 * nuls:
        return "utf-16-be"
    return "binary"


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text, bad = _lenient(data[len(bom):], encoding)
            _warn_replaced(name, bad, encoding)
            return text
    pattern = _nul_pattern(data)
    if pattern == "binary":
        raise SpeechdiffError(f"{name}: binary file, not text")
    if pattern:
        text, bad = _lenient(data, pattern)
        if _chinese_likeness(text) < 0.5:
            raise SpeechdiffError(f"{name}: binary file, not text")
        _warn_replaced(name, bad, pattern)
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Candidates, each scored by how much it reads like Chinese: GB18030
    # accepts almost any byte pair and Big5 many, so decoding without errors
    # proves little; UTF-8 with a few bad bytes beats both when the rest is
    # valid; UTF-16 without BOM has no NULs when it is all Chinese.
    candidates = []
    utf8, bad = _lenient(data, "utf-8")
    candidates.append((_chinese_likeness(utf8) - bad / max(1, len(utf8)), "utf-8", utf8, bad))
    for encoding in ("gb18030", "big5hkscs"):
        text, bad = _lenient(data, encoding)
        candidates.append((_chinese_likeness(text) - bad / max(1, len(text)), encoding, text, bad))
    for encoding in ("utf-16-le", "utf-16-be") + (("utf-32-le", "utf-32-be") if len(data) % 4 == 0 else ()):
        text, bad = _lenient(data, encoding)
        candidates.append((_chinese_likeness(text) - 2 * bad / max(1, len(text)), encoding, text, bad))
    score, encoding, text, bad = max(candidates, key=lambda c: c[0])
    if score < 0.5:
        raise SpeechdiffError(f"{name}: binary file or unknown encoding, not text")
    _warn_replaced(name, bad, encoding)
    return text


def _chinese_likeness(text: str) -> float:
    """Share of characters that are common Chinese, ASCII or punctuation
    (on the first 200,000 characters: enough to tell, and bounded)."""
    text = text[:200_000]
    if not text:
        return 0.0
    common = _common_chars()
    good = sum(1 for ch in text if ch in common or ch.isascii() and ch.isprintable() or ch in "\n\t\r")
    # control characters are what binary data decodes to: each costs a good one
    controls = len(_BINARY_CONTROL.findall(text))
    return (good - controls) / len(text)


_BINARY_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")


@functools.cache
def _common_chars() -> frozenset[str]:
    freq = char_frequency()
    punctuation = "，：；！？（）“”‘’、。《》—…·\u3000"
    return frozenset([ch for ch, n in freq.items() if n >= 1000] + list(punctuation) + [chr(c) for c in range(0x3000, 0x3040)])


@functools.cache
def char_frequency() -> dict[str, int]:
    """How often each character occurs in jieba's dictionary (a frequency list
    of modern Chinese words): rare characters after a ``?`` are mojibake.

    Read from ``data/char_frequency.tsv``, which ``count_char_frequency``
    derived from jieba's dict.txt (a test checks they agree): summing 350,000
    words at every start-up cost half a second."""
    text = (resources.files("compare") / "data" / "char_frequency.tsv").read_text(encoding="utf-8")
    lines = text.split("\n")[1:]  # after the header line
    return {line[0]: int(line[2:]) for line in lines if line}


def count_char_frequency() -> dict[str, int]:
    """``char_frequency`` computed from jieba's dictionary itself."""
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


# ---------------------------------------------------------------- whole-text normalisation

# Terminal escape sequences: CSI (ESC [ … final byte), OSC (ESC ] … BEL or
# ST), DCS/SOS/PM/APC strings, two-byte escapes, and their 8-bit C1 forms.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"
)
_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# C0 and C1 controls but tab and newline; bidirectional overrides, isolates
# and marks; zero-width characters and the BOM.
_CONTROL = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,8}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
# A spreadsheet cell or JSON string exported with escaped line breaks.
_LITERAL_BREAK = re.compile(r"\\r\\n|\\n|\\r")


def normalize(raw: str) -> str:
    """Entities decoded, escape sequences and control characters removed,
    every kind of line break (literal ``\\r\\n`` text included) made ``\\n``."""
    text = _ENTITY.sub(lambda m: html.unescape(m.group()), raw) if "&" in raw else raw
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPE_SEQUENCE.sub("", text)
    text = _CONTROL.sub("", _LINE_BREAK.sub("\n", text))
    # Escaped breaks (a spreadsheet cell or JSON string exported as one line)
    # are paragraph breaks wherever they stand: a speech never holds the text
    # "\r\n" itself, and deciding by counting them would depend on lines
    # that cleaning later removes (cleaning the cleaned text must change nothing).
    if "\\" in text:
        text = _LITERAL_BREAK.sub("\n", text)
    return text


# Paragraph breaks inside one physical line: two or more ideographic spaces
# (the indent of a paragraph), tabs, long runs of spaces, or two spaces
# after a sentence.
_PARAGRAPH_SEPARATOR = re.compile(
    "\u3000{2,}|\t+| {4,}|[\u00a0 ]{3,}|(?<=[。！？；!?”」』…])[ \u00a0\u3000]{2,}"
)
# On a very long line (a whole speech on one line), one space after a
# sentence is a paragraph break too.
_SENTENCE_GAP = re.compile("(?<=[。！？!?”])[ \u00a0\u3000]+(?=[^\\s。，、；：！？）)”])")
LONG_LINE = 1000


def split_paragraphs(line: str) -> list[str]:
    # (the patterns look behind at every position: skip them where they cannot match)
    if "\u3000" in line or "\t" in line or "  " in line or "\u00a0" in line:
        pieces = _PARAGRAPH_SEPARATOR.split(line)
    else:
        pieces = [line]
    out = []
    for piece in pieces:
        gaps = len(piece) >= LONG_LINE and any(space in piece for space in " \u00a0\u3000")
        if gaps and len(_SENTENCE_GAP.findall(piece)) >= 3:
            out.extend(_SENTENCE_GAP.split(piece))
        else:
            out.append(piece)
    return out


# ---------------------------------------------------------------- character-level rules

# A pinyin syllable as web converters print it after a character: 發(fā).
# It carries a tone mark, or is one of the few toneless syllables.
_PY = "a-zü\u00e0-\u01dc"
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
_TONELESS = "men|de|le|me|ne|ma|ba|zi|zhe|ge|tou|li|shang|xia"
_PINYIN = rf"(?:[{_PY}]*[{_TONED}][{_PY}]*|{_TONELESS})"
# Tone marks never occur in a Chinese speech, so a toned syllable goes with
# whatever parenthesis is left of it; a toneless one only inside a full pair
# after a Chinese character, as (GDP) or (a) are not pinyin.
PINYIN_ANNOTATION = re.compile(
    rf"[(（]?[{_PY}]*[{_TONED}][{_PY}]*[)）]|(?<=[{CJK}])[(（](?:{_TONELESS})[)）]"
)
# What is left when the converter garbled the character: ?cè) or 當?shù)
PINYIN_REMNANT = re.compile(rf"\?*{_PINYIN}\)")
CSS_RULE = re.compile(r"(?:[.#@]?-?[A-Za-z][\w\-]*(?:[\s,>.:#]+[\w\-]+)*\s*)\{[^{}\n]*\}")
# Layout tags a page leaks into its text (and their broken ends, as "/p>");
# other angle brackets are text, e.g. 1+1>2, and are escaped when rendered.
_LAYOUT_TAGS = "p|br|div|span|font|a|img|b|i|u|strong|em|table|tbody|tr|td|th|li|ul|ol|h[1-6]|section|article|center|sup|sub"
HTML_TAG = re.compile(rf"</?(?:{_LAYOUT_TAGS})\b[^<>\n]{{0,200}}>|(?<![<A-Za-z])/(?:{_LAYOUT_TAGS})>", re.I)
_PRIVATE = "\ue000-\uf8ff\ufffd\u2500-\u257f"
PRIVATE_USE = re.compile(f"[{_PRIVATE}]")


def remove_pinyin(text: str) -> str:
    if ")" not in text and "）" not in text:
        return text  # every annotation ends with a closing bracket
    return PINYIN_ANNOTATION.sub("", text)


def _ranges(chars: list[str]) -> str:
    """A regex character class body for ``chars`` (sorted), as ranges."""
    codes = sorted(ord(c) for c in chars)
    parts = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        a, b = codes[i], codes[j]
        parts.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
        i = j + 1
    return "".join(parts)


@functools.cache
def _mojibake_pattern() -> re.Pattern:
    """One compiled pattern for :func:`remove_mojibake`.

    A character is *junk* after a lost-character ``?`` if it is ASCII other
    than digits, whitespace and ``x`` (placeholders such as x%), a private-use
    or replacement character, a CJK character rare in modern Chinese (under
    2,000 in jieba's frequency list: what a wrong decoding produces), or one of
    a few Latin-1 signs. The alternatives, tried left to right as the reference
    loop in the tests does:

    1. a ``?`` with a pinyin remnant ``?cè)`` and up to ten junk characters;
    2. a ``?`` after a Chinese character or mark, followed by 1–10 junk characters;
    3. such a ``?`` followed by a clause mark: ``?，``;
    4. any private-use or replacement character on its own.
    A ``?`` followed by ordinary text is a question mark and stays.
    """
    freq = char_frequency()
    rare = [chr(c) for c in range(0x4E00, 0xA000) if freq.get(chr(c), 0) < 2000]
    ascii_junk = "".join(
        re.escape(chr(c)) for c in range(128) if not (chr(c).isdigit() or chr(c).isspace() or chr(c) == "x")
    )
    junk = f"[{ascii_junk}{_PRIVATE}{_ranges(rare)}€¤¨¦§°±]"
    after = f"(?<=[{CJK}，、,。;；?])"
    return re.compile(
        rf"\?+{_PINYIN}\){junk}{{0,10}}"
        rf"|{after}\?{junk}{{1,10}}"
        rf"|{after}\?(?=[，、。])"
        rf"|[{_PRIVATE}]"
    )


def remove_mojibake(text: str) -> str:
    """Drop runs that an encoding accident left: private-use characters, and a
    ``?`` that stands for a lost character together with the rare characters,
    stray Latin letters, ASCII marks and pinyin remnants glued to it. A ``?``
    followed by ordinary text is a question mark and is kept."""
    if "?" not in text and not PRIVATE_USE.search(text):
        return text
    # until nothing changes: a lost-character ``?`` is recognised by what
    # stands before it, and removing junk can bring a new neighbour next to
    # one (",\ufffd?!" -> ",?!" -> ","); so cleaning cleaned text removes nothing more
    pattern = _mojibake_pattern()
    while True:
        cleaned = pattern.sub("", text)
        if cleaned == text:
            return cleaned
        text = cleaned


_SPACE_BEFORE_CHINESE = re.compile(rf"(?<=\d)[ \u00a0]+(?=[{CJK}])")
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
    # each pattern only where its characters occur (they look around at every position)
    if "(" in line:
        line = _HALF_PARENS.sub(r"（\1）", line)
    if any(mark in line for mark in ",:;?!"):
        for _ in range(2):  # twice: in ",," the second mark sees the first only once it is full-width
            line = _HALF_WIDTH_MARK.sub(lambda m: _HALF_TO_FULL[m.group(m.lastindex)], line)
    line = _MARK_RUN.sub(lambda m: max(m.group(), key=lambda c: _MARK_RANK[c]) if "……" not in m.group() else m.group(), line)
    if any(space in line for space in " \t\u3000\u00a0"):
        line = _SPACE_IN_CHINESE.sub("", line)
        line = _SPACE_BEFORE_CHINESE.sub("", line)
    return line


_LOST_BETWEEN_PLACEHOLDERS = re.compile(r"(?<=[xX])\?(?=[xX][{CJK}])".replace("{CJK}", CJK))


def clean_line(line: str) -> str:
    line = line.replace("**", "")
    if "{" in line:
        line = CSS_RULE.sub("", line)
    if ">" in line:
        line = HTML_TAG.sub("", line)
    line = remove_pinyin(line)
    # after t2s, as the rarity test knows simplified characters only; and
    # pinyin again, for annotations whose character the garble took
    line = remove_pinyin(remove_mojibake(to_simplified(line)))
    # a lost character between placeholders (创建x?x个: a range dash)
    line = _LOST_BETWEEN_PLACEHOLDERS.sub("", line)
    # stripped before the repair as well: a mark's rule looks at what follows
    # it (a figure's colon before a space stays half-width, as in "1: 2"), and
    # a space that the strip removes must not decide it ("0: " -> "0：")
    line = repair_punctuation(line.strip(" \t\u3000\u00a0"))
    return line.strip(" \t\u3000\u00a0")


# ---------------------------------------------------------------- line shapes

_SENTENCE_MARKS = re.compile("[，。；！？、]")
# what may follow the last sentence mark of a finished paragraph: a note
# reference [6] 〔1〕 （见第15页） (图三), closing brackets and quotes
_TRAILER = re.compile(r"(?:\s*(?:\[\d{1,3}\]|［\d{1,3}］|〔\d{1,3}〕|【\d{1,3}】|[（(][^（）()]{0,12}[）)]|[”’」』》）)\]]))+\s*$")


_SENTENCE_END = "。！？：；…"


def ends_paragraph(line: str) -> bool:
    """Whether ``line`` ends a sentence: with 。！？：；…, or with a note
    reference, a short bracket or closing quotes after one (把“三农” ends
    with a quote but no sentence)."""
    line = line.rstrip()
    if line.endswith(tuple(_SENTENCE_END)):
        return True
    stripped = _TRAILER.sub("", line)
    return bool(stripped) and stripped != line and stripped.endswith(tuple(_SENTENCE_END))


@functools.lru_cache(maxsize=1 << 16)
def is_prose(line: str) -> bool:
    """A line that reads as running text: long with clauses, or a finished
    sentence with a clause inside. No vocabulary rule ever removes one."""
    if len(line) < 15 or sum(line.count(mark) for mark in "，。；！？、") < 2:
        return False
    # a sentence ends in it (a list of phrases strung with commas is no prose)
    return bool(_SENTENCE_END_MARK.search(line)) or ends_paragraph(line)


_TEXT_CHAR = re.compile(rf"[{CJK}A-Za-z0-9]")
_SENTENCE_END_MARK = re.compile("[。！？；]")


def _has_text(line: str) -> bool:
    return bool(_TEXT_CHAR.search(line))


# Site furniture words: widgets, menus, share buttons, list headings. A line
# is furniture only if such words make up the whole of it.
_WIDGET_WORDS = frozenset(
    """
    打印 打印本页 打印本稿 打印此页 打印文章 关闭 关闭窗口 关闭本页 收藏 加入收藏 收藏本页 分享 分享到 分享至 推荐
    推荐朋友 推荐给朋友 纠错 我要纠错 字号 字体 大 中 小 默认 加大 还原 减小 全屏 下载 返回 返回顶部 顶部 回到顶部
    返回首页 首页 网站首页 主页 上一篇 下一篇 上一页 下一页 上一条 下一条 扫一扫 扫一扫在手机打开当前页 手机打开
    手机版 在手机上打开 繁體中文 繁体中文 简体中文 简体 繁体 繁體 EN English 无障碍 无障碍浏览 长者模式 关怀模式
    网站地图 关于我们 联系我们 隐私政策 用户协议 严正声明 法律声明 关于本站 网站声明 免责声明 使用帮助 友情链接
    相关阅读 相关文章 相关报道 相关新闻 相关链接 延展阅读 延伸阅读 推荐阅读 热点推荐 换一换 本栏推荐 本栏最新
    最新文章 阅读排行 点击排行 热门文章 热门推荐 标签云 标签 评论 发表评论 我要评论 登录 注册 搜索 站内搜索 A- A+
    QQ空间 QQ好友 新浪微博 腾讯微博 微信 微信好友 朋友圈 微博 人人网 开心网 百度空间 和讯 天涯社区 豆瓣 复制链接
    更多 查看更多 全文 阅读全文 查看全文 展开全文 点击查看 返回列表 TOP top 分享本页 A WAP版 WAP版网站 PC版 电脑版
    大中小 加大还原减小 大中小默认
    """.split()
)
_WIDGET_SPLIT = re.compile(r"[\s|｜/／·•,，：:【】\[\]（）()<>《》»›>\-–—_]+")
# Lists a page hangs below the text; from such a heading on, the page is furniture.
_LIST_HEADING = re.compile(
    r"^[【\[]?(?:相关阅读|相关文章|相关报道|相关新闻|相关链接|延展阅读|延伸阅读|推荐阅读|热点推荐|本栏推荐|本栏最新|最新文章"
    r"|阅读排行|点击排行|热门文章|热门推荐|标签云|友情链接|上一篇|下一篇|分享到|分享至|你可能感兴趣|相关热词搜索"
    r"|全文阅读已结束|下载此文档)"
)
# label：value fields of page headers and footers (时间：… 来源：… 阅读：…)
_FIELD = re.compile(
    r"^[（(【\[]?\s*(?:时间|日期|发布时间|发布日期|更新时间|添加时间|上传时间|上传日期|发表时间|来源|稿源|出处|信息来源|文章来源"
    r"|作者|编辑|责任编辑|编者|审核|校对|记者|通讯员|摄影|发布机构|发布单位|发布人|信息发布人|发布者|阅读|阅读数|阅读量"
    r"|浏览|浏览次数|浏览量|点击|点击数|点击量|访问量|评论|评论数|字号|字体|标签|关键词|关键字|分类|栏目|所属栏目|内容摘要"
    r"|摘要|当前位置|您当前的位置|您的位置|您现在的位置|所在位置|主办|主办单位|承办|承办单位|协办|联系地址|地址|联系方式"
    r"|联系电话|电话|传真|邮箱|电子邮箱|邮编|网址|技术支持|ICP备案号|备案号|网站标识码|公安机关备案号|格式|文件格式|大小"
    r"|文件大小|页数|下载次数|小编|索引号|主题分类|发文字号)\s*(?:[：:]|[ \u00a0]+(?=\S)|(?=\d))"
)
_LICENCE = re.compile(
    r"ICP备|ICP证|公网安备|网安备|网站标识码|备案号|版权所有|版权归|Copyright|©|All Rights Reserved|Public [Dd]omain"
    r"|公有领域|不良信息举报|未经授权|禁止转载|本站部分资源|如涉及版权",
    re.I,
)
_DISCLAIMER = re.compile(r"^[（(【\[]?(?:免责声明|版权声明|特别声明|网站声明|转载声明)[：:】\]]")
_URL = re.compile(r"https?://|www\.|\b[A-Za-z0-9-]+\.(?:com|cn|net|org|gov|edu)\b", re.I)
_PAGE_NUMBER = re.compile(r"^[-—–－·\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*(?:共\s*)?\d{1,4}\s*页?)?[-—–－·\s]*$|^共\s*\d{1,4}\s*页$")
_TIMESTAMP = re.compile(
    r"^\d{2,4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?$|^\d{1,2}:\d{2}(?::\d{2})?$"
    r"|^\d{1,3}\s*(?:秒|分钟|小时|天|周|个月|年)前$"
)
_PHOTO_CREDIT = re.compile(r"(?:记者|摄影|通讯员|图/|供图)[^。！？]{0,16}摄\s*[）)]?$|^[（(]?图[为片]?[：:]")
_ATTRIBUTION = re.compile(r"^[（(]?(?:来自|来源于|转自|转载自|摘自|选自|微信公众号|公众号|百度搜索|搜索|关注)")
# the same, after the last sentence of a line
_ATTRIBUTION_TAIL = re.compile(
    r"[。！？…”](\s*(?:来自|来源于|来源[：:]|转自|转载自|微信公众号|公众号|百度搜索|搜索)[^。！？，、；：“”（）]{1,20})$"
)
_BREADCRUMB = re.compile(r"(?:>>|＞＞|»|›|\s>\s|→)")
_AD_WORDS = re.compile(r"无码|毛片|成人|色情|人妻|少妇|五月天|在线观看|免费网站|彩票|博彩|一本道|精品国产|AV")
_MENU_SEPARATOR = re.compile(r"\s*[|｜]\s*")
_CLICK = re.compile(r"^[（(【\[]?\s*(?:点击|请点击|单击)")
_HASHTAG = re.compile(r"^[#＃]\s*\S")
_DISTRIBUTION = re.compile(r"^(?:主送|抄送|印发|分送|发送|报送)[：:]")
_ISSUE_HEADER = re.compile(rf"^第[{CN_NUM}百零〇\d]+期$")
_HEADER_FIELD = re.compile(
    r"^(标题|题目|发文单位|发文机关|发文时间|发文日期|成文日期|发布日期|报告人|讲话人|来源URL|来源网址|原文链接|链接|URL|正文|全文|索引号|文号|发文字号|主题分类)[：:]\s*(.*)$"
)

# Each rule's name and what it removes, for --explain and the documentation.
RULES = {
    "markup": "nothing but markup, styles or broken characters",
    "no text": "no letter or digit: separators, brackets, symbols",
    "header field": "a header block field of the file (标题： 发文时间： 正文： …)",
    "masthead": "bulletin masthead: name, issue number, office, date",
    "page number": "a page number on its own line",
    "running header": "a short line repeated on every page of a PDF",
    "timestamp": "a bare date-time stamp of a web page",
    "url": "a web address",
    "licence footer": "copyright, licence or registration (ICP备, 公网安备, 网站标识码) line",
    "disclaimer": "a site's disclaimer (免责声明：…, 版权声明：…), and the footer it opens",
    "widget": "made up only of page widget and menu words (打印 分享 字号 上一篇 …)",
    "field": "a label：value field of a page header or footer (来源： 阅读： 责任编辑： …)",
    "breadcrumb": "a navigation path (首页 >> 栏目) or the page's category above its title",
    "photo credit": "a photo caption or credit (记者…摄)",
    "attribution": "a source or watermark line (来自… 微信公众号…)",
    "tag": "a hashtag line",
    "ad": "an advertisement line (two or more ad words, not prose)",
    "summary": "a summary that repeats the opening of the text",
    "menu": "a menu: short items split by |, or a run of short lines at the top of a page next to other furniture",
    "link list": "a run of short link lines after the text, next to other furniture",
    "footer block": "part of a page footer or link list that runs to the next speech text",
    "distribution": "distribution list of a bulletin (主送： 抄送： …) up to the next speech text",
    "duplicate copy": "a second copy of the text the page holds (after its footer, every line seen before)",
}


@dataclass
class Removal:
    line: int  # 1-based line of the input (after literal \r\n became line breaks)
    text: str
    rule: str

    def __str__(self) -> str:
        return f"{self.line}\t{self.rule}\t{self.text}"


@dataclass
class Cleaned:
    """What :func:`clean_report` made of a raw text."""

    text: str
    removed: list[Removal] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # the file's header block
    boundaries: list[int] = field(default_factory=list)  # lines of ``text`` where text resumes after a footer or distribution block

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n") if self.text else []


@dataclass
class _Line:
    no: int
    text: str
    rule: str = ""  # why it was removed; '' while kept
    indented: bool = False

    @property
    def kept(self) -> bool:
        return not self.rule


def _widget(line: str) -> bool:
    tokens = [t for t in _WIDGET_SPLIT.split(line) if t]
    words = [t for t in tokens if not (t.isdigit() or t in "次条篇")]
    return bool(words) and all(t in _WIDGET_WORDS for t in words)


def _line_rule(line: str) -> str:
    """The furniture rule a single line matches by itself, or ''."""
    if not _has_text(line):
        # a mark a PDF carried over to the next line belongs to the line above
        return "" if line and all(ch in CONTINUATION_START for ch in line) else "no text"
    if _PAGE_NUMBER.match(line):
        return "page number"
    if _DISCLAIMER.match(line):
        return "disclaimer"  # reads like a sentence, but says first what it is
    if is_prose(line):
        return ""
    compact = line.replace(" ", "")
    if _TIMESTAMP.match(line):
        return "timestamp"
    if _LICENCE.search(line):
        return "licence footer"
    if _LIST_HEADING.match(line) and len(line) <= 40:
        return "footer block"
    if _widget(line) or (_CLICK.match(line) and len(line) <= 40):
        return "widget"
    items = [x for x in _MENU_SEPARATOR.split(line) if x.strip()]
    if len(items) >= 3 and all(len(x.strip()) <= 8 for x in items) and _MENU_SEPARATOR.search(line):
        return "menu"  # 网站首页 | 新闻中心 | 政务公开 | 办事服务
    if _FIELD.match(line) and len(line) <= 80:
        return "field"
    if _BREADCRUMB.search(line) and len(line) <= 100:
        return "breadcrumb"
    if _URL.search(line) and len(line) <= 100:
        return "url"
    if _PHOTO_CREDIT.search(line) and len(line) <= 40:
        return "photo credit"
    if _ATTRIBUTION.match(compact) and len(compact) <= 24:
        return "attribution"
    if _HASHTAG.match(line) and len(line) <= 30:
        return "tag"
    if len(_AD_WORDS.findall(line)) >= 2:
        return "ad"
    return ""


def _compact(text: str) -> str:
    return re.sub(r"[\s?？]", "", text)


# A page header repeats with the page; its occurrences are spread (a page is
# more than this many lines), where table cells or list items repeat densely.
_PAGE_SPAN = 12


def _running_headers(lines: list[_Line]) -> set[str]:
    """Short lines repeated on every page of a PDF: three or more times, far
    apart, and next to a page number or carrying a digit (a date, a page
    count). A hyperlinked keyword that a web page broke out of its sentence
    repeats too, and is joined back by :func:`rejoin_broken_lines`."""
    positions: dict[str, list[int]] = {}
    for i, ln in enumerate(lines):
        if ln.kept and len(ln.text) <= 40 and not is_prose(ln.text) and not _PAGE_NUMBER.match(ln.text):
            positions.setdefault(re.sub(r"\d+", "#", ln.text), []).append(i)
    headers = set()
    for key, where in positions.items():
        if len(where) < 3:
            continue
        gaps = [b - a for a, b in zip(where, where[1:])]
        # spread: every gap a page long, or many occurrences a page apart on the
        # whole (a short page of a table may come between)
        median = sorted(gaps)[len(gaps) // 2]
        if min(gaps) < _PAGE_SPAN and not (len(where) >= 5 and median >= _PAGE_SPAN):
            continue
        near_number = sum(
            1
            for i in where
            if any(0 <= j < len(lines) and _PAGE_NUMBER.match(lines[j].text) for j in (i - 2, i - 1, i + 1, i + 2))
        )
        if near_number * 2 >= len(where) or "#" in key:
            headers.add(key)
    return headers


def _header_block(lines: list[_Line], fields: dict[str, str]) -> None:
    """A research project's header (标题：… 发文时间：… 正文：) at the top of the file."""
    head = [ln for ln in lines[:12] if ln.kept]
    matches = [ln for ln in head if _HEADER_FIELD.match(ln.text)]
    if len(matches) < 2:
        return
    for ln in lines:
        if not ln.kept:
            continue
        m = _HEADER_FIELD.match(ln.text)
        if not m:
            break
        key, value = m.group(1), m.group(2).strip()
        if value:
            fields[key] = value
        ln.rule = "header field"
        if key in ("正文", "全文"):
            break


def _masthead(lines: list[_Line]) -> None:
    """A bulletin masthead: 安政通报 / 第十七期 / 安康市人民政府办公室 / 2020年3月24日."""
    kept = [ln for ln in lines if ln.kept][:12]
    for k, ln in enumerate(kept[:8]):
        if _ISSUE_HEADER.match(ln.text):
            for above in kept[:k + 1]:
                above.rule = "masthead"
            for below in kept[k + 1 : k + 4]:
                t = below.text
                if _meta.is_date_line(t) or (not re.search("[。，]", t) and len(t) < 20 and not _meta.is_title(t)):
                    below.rule = "masthead"
                else:
                    break
            return


def _summary_duplicates(lines: list[_Line]) -> None:
    """A page's summary box that repeats the text's opening (内容摘要：…)."""
    kept = [ln for ln in lines if ln.kept]
    for k, ln in enumerate(kept[:20]):
        if SALUTATION.match(ln.text) or starts_with_marker(ln.text):
            return  # the text has begun: a summary box comes before it
        key = _compact(ln.text)
        if len(key) < 40:
            continue
        # most of its opening recurs in what follows (a lost character in
        # one copy or the other changes a few shingles only)
        rest = "".join(_compact(x.text) for x in kept[k + 1 : k + 40])
        shingles = [key[i : i + 6] for i in range(0, min(len(key), 80) - 5)]
        if sum(1 for sh in shingles if sh in rest) >= 0.6 * len(shingles):
            ln.rule = "summary"
        return  # only the first text of the page can be its summary


def _breadcrumb_category(lines: list[_Line]) -> None:
    """The first line a page's category (工作报告) when the title below contains it."""
    kept = [ln for ln in lines if ln.kept][:2]
    if len(kept) == 2:
        first, second = kept
        if len(first.text) <= 8 and not is_prose(first.text) and first.text in second.text and first.text != second.text and _meta.is_title(second.text):
            first.rule = "breadcrumb"


def _resumes(line: str) -> bool:
    """Speech text that ends a footer or distribution block."""
    return bool(
        SALUTATION.match(line)
        or _meta.is_date_line(line)
        or _meta.COLLECTION_HEADER.search(line) and len(line) <= 60
        or (len(line) >= 60 and ends_paragraph(line) and len(_SENTENCE_MARKS.findall(line)) >= 3)
    )


def _blocks(lines: list[_Line], boundaries: list[int]) -> None:
    """Footers, link lists and distribution lists remove what follows them
    until speech text resumes; there a new speech may begin (the index of
    the resuming line among kept lines goes into ``boundaries``)."""
    in_block = ""
    started_after_text = False
    seen_text = False
    block_lines: list[_Line] = []
    for ln in lines:
        if not in_block:
            if not ln.kept and ln.rule in ("licence footer", "footer block", "disclaimer"):
                in_block, started_after_text, block_lines = "footer block", seen_text, []
            elif ln.kept and _DISTRIBUTION.match(ln.text):
                ln.rule = "distribution"
                in_block, started_after_text, block_lines = "distribution", seen_text, []
            elif ln.kept and is_prose(ln.text):
                seen_text = True
            continue
        if not ln.kept:
            continue
        if _resumes(ln.text):
            # a title (and its subtitle) just above the resuming line belongs to the new speech
            restored = 0
            for prev in reversed(block_lines[-2:]):
                if _meta.is_title(prev.text) or _meta.is_subtitle(prev.text):
                    prev.rule = ""
                    restored += 1
                else:
                    break
            if started_after_text:
                boundaries.append(ln.no if not restored else block_lines[-restored].no)
            in_block = ""
            seen_text = True
            continue
        ln.rule = in_block
        block_lines.append(ln)


def _duplicate_copies(lines: list[_Line], boundaries: list[int]) -> list[int]:
    """A page that holds its text twice (a desktop and a mobile copy, say):
    where text resumes after a footer with lines already seen, the copy runs
    as long as its lines were seen before, and goes. Returns the boundaries
    that are not such copies."""
    kept_boundaries = []
    for no in boundaries:
        at = next((k for k, ln in enumerate(lines) if ln.no == no and ln.kept), None)
        if at is None:
            continue
        seen = {ln.text for ln in lines[:at] if ln.kept}
        after = [ln for ln in lines[at:] if ln.kept]
        prose_after = [ln for ln in after if is_prose(ln.text)][:3]
        if len(prose_after) < 3 or not all(ln.text in seen for ln in prose_after):
            kept_boundaries.append(no)
            continue
        for ln in after:
            if is_prose(ln.text) and ln.text not in seen:
                break
            ln.rule = "duplicate copy"
    return kept_boundaries


_SITE_FURNITURE = {"disclaimer", "widget", "field", "breadcrumb", "licence footer", "url", "no text", "footer block", "tag", "timestamp"}
_MENU_ITEM = 15  # a menu entry or link is short
_LINK_ITEM = 40


def _meta_shaped(line: str) -> bool:
    return bool(
        _meta.is_standalone(line)
        or _meta.speaker_of(line)
        or _meta.OFFICE_LINE.match(line)
        or _meta.NOTE_LINE.match(line)
        or starts_with_marker(line)
    )


def _edge_runs(lines: list[_Line]) -> None:
    """Menus above the text and link lists below it: runs of short lines next
    to other furniture, outside the span of prose."""
    kept = [i for i, ln in enumerate(lines) if ln.kept]
    prose = [i for i in kept if is_prose(lines[i].text)]
    if not prose:
        return
    # the text starts at the first prose line that more text follows (a
    # site's motto above its menu is a sentence too)
    position = {i: k for k, i in enumerate(kept)}

    def textual(i: int) -> bool:
        return is_prose(lines[i].text) or starts_with_marker(lines[i].text) or bool(SALUTATION.match(lines[i].text))

    first = next(
        (p for p in prose if sum(textual(j) for j in kept[position[p] + 1 : position[p] + 4]) >= 2), prose[0]
    )
    last = prose[-1]

    def furniture_next_to(a: int, b: int) -> bool:
        # a removed furniture line right before, inside or right after lines[a..b]
        lo, hi = a - 1, b + 1
        while lo >= 0 and not lines[lo].text:
            lo -= 1
        while hi < len(lines) and not lines[hi].text:
            hi += 1
        span = lines[max(0, lo) : min(len(lines), hi + 1)]
        # site furniture, not a PDF's page furniture (an attendance list
        # between page headers is no menu)
        return any(ln.rule in _SITE_FURNITURE for ln in span)

    def runs(indices: list[int], limit: int, tail: bool = False) -> list[list[int]]:
        out: list[list[int]] = []
        current: list[int] = []
        for i in indices:
            t = lines[i].text
            # below the text (``tail``) a title or date is a link of the list
            if len(t) <= limit and not is_prose(t) and (tail and not SALUTATION.match(t) or not _meta_shaped(t)):
                current.append(i)
            else:
                if current:
                    out.append(current)
                current = []
        if current:
            out.append(current)
        return out

    for run in runs([i for i in kept if i < first], _MENU_ITEM):
        if len(run) >= 4 and furniture_next_to(run[0], run[-1]):
            for i in run:
                lines[i].rule = "menu"
    # below the text, a link list may date its links
    for run in runs([i for i in kept if i > last], _LINK_ITEM, tail=True):
        if len(run) >= 3 and furniture_next_to(run[0], run[-1]):
            for i in run:
                lines[i].rule = "link list"


def _lines_of(raw: str) -> tuple[list[_Line], list[Removal]]:
    removed: list[Removal] = []
    out: list[_Line] = []
    for no, physical in enumerate(normalize(raw).split("\n"), 1):
        for piece, text, indented in _cleaned_pieces(physical):
            if not text:
                removed.append(Removal(no, piece.strip()[:200], "markup"))
                continue
            out.append(_Line(no, text, indented=indented))
    return out, removed


def _cleaned_pieces(line: str, indented: bool | None = None) -> Iterator[tuple[str, str, bool]]:
    """(piece, cleaned piece, indented) for each paragraph of one physical
    line; ``indented``: the first piece's, when ``line`` is an indented
    piece already cleaned.

    A cleaned piece is split again: removing a character can bring two
    spaces together after a sentence (``。 ─ A``: box-drawing junk goes), and
    the second cleaning of the text would split it there; its first part
    keeps the piece's indent. Each split makes shorter pieces, so this ends."""
    for n, piece in enumerate(split_paragraphs(line)):
        if not piece.strip():
            continue
        indent = indented if n == 0 and indented is not None else piece[:1] in " \u3000\u00a0"
        text = clean_line(piece)
        parts = split_paragraphs(text) if text else [text]
        if len(parts) == 1:
            yield piece, text, indent
        else:
            yield from _cleaned_pieces(text, indent)


def clean_report(raw: str) -> Cleaned:
    """Raw file text -> :class:`Cleaned`: the text (one paragraph per line),
    every removed line with its rule, the file's header fields, and where a
    new document may start."""
    lines, removed = _lines_of(raw)
    fields: dict[str, str] = {}
    _header_block(lines, fields)
    _masthead(lines)
    headers = _running_headers(lines)
    for ln in lines:
        tail = _ATTRIBUTION_TAIL.search(ln.text)
        if tail and ln.kept:
            # a watermark glued after the last sentence: ……贡献！微信公众号马克数据网
            removed.append(Removal(ln.no, tail.group(1), "attribution"))
            ln.text = ln.text[: tail.start(1)]
        if ln.kept:
            if re.sub(r"\d+", "#", ln.text) in headers:
                ln.rule = "running header"
            else:
                ln.rule = _line_rule(ln.text)
    _breadcrumb_category(lines)
    _summary_duplicates(lines)
    boundary_nos: list[int] = []
    _blocks(lines, boundary_nos)
    boundary_nos = _duplicate_copies(lines, boundary_nos)
    _edge_runs(lines)
    removed += [Removal(ln.no, ln.text, ln.rule) for ln in lines if not ln.kept]
    removed.sort(key=lambda r: r.line)
    kept = [ln for ln in lines if ln.kept]
    paragraphs, starts = _rejoin([ln.text for ln in kept], [ln.indented for ln in kept])
    # furniture a line break had cut in two (责任编辑 / ：吴丽芳) shows once
    # joined; a lone mark with no line to join stays alone
    ends = starts[1:] + [len(kept)]
    # (any line rule: a joined paragraph is judged as the line it now is, so
    # cleaning the cleaned text again removes nothing more)
    for k in reversed(range(len(paragraphs))):
        rule = _line_rule(paragraphs[k])
        joined = ends[k] - starts[k] > 1
        if (joined and rule) or not _has_text(paragraphs[k]):
            removed.append(Removal(kept[starts[k]].no, paragraphs[k], rule or "no text"))
            del paragraphs[k], starts[k]
    removed.sort(key=lambda r: r.line)
    # map boundary line numbers to output paragraph indices
    first_no = {}
    for k, ln in enumerate(kept):
        first_no.setdefault(ln.no, k)
    boundaries = []
    for no in boundary_nos:
        if not any(ln.no == no for ln in kept):
            continue
        k = first_no.get(no)
        if k is not None and k in starts:
            boundaries.append(starts.index(k))
    return Cleaned("\n".join(paragraphs), removed, fields, sorted(set(boundaries)))


def clean(raw: str) -> str:
    """Raw file text -> cleaned simplified text, one paragraph per line."""
    return clean_report(raw).text


# ---------------------------------------------------------------- rejoining broken lines

# A fragment: a short piece of a sentence that a web page set on its own
# line (a hyperlinked keyword), or a word broken at a PDF line end.
_FRAGMENT = 8


def _junction(a: str, b: str) -> tuple[str, int] | None:
    """The han block (``tagger.HAN_BLOCK``) the break between ``a`` and ``b``
    falls in, from three characters each side, and where in it the break
    is; None when the break is not between two Chinese characters."""
    left, right = a[-3:], b[:3]
    if not (re.match(f"[{CJK}]", left[-1:]) and re.match(f"[{CJK}]", right[:1])):
        return None
    from . import tagger

    for block in tagger.HAN_BLOCK.finditer(left + right):
        if block.start() < len(left) < block.end():
            return block.group(), len(left) - block.start()
    return None


def _words_broken(junctions: list[tuple[str, int]]) -> list[bool]:
    """For each (block, cut): does a word of the block span the cut? The
    blocks are segmented together (jieba's dictionary segmentation, HMM off,
    through ``tagger``: no jieba loading, ~1.5 s of a process' start)."""
    from . import tagger

    tagged = tagger.tag_blocks([block for block, _ in junctions])
    out = []
    for i, (_, cut) in enumerate(junctions):
        pos, spans = 0, False
        for word in tagged.word[tagged.offsets[i] : tagged.offsets[i + 1]].tolist():
            size = len(tagged.pair(word)[0])
            spans = spans or pos < cut < pos + size
            pos += size
        out.append(spans)
    return out


def _breaks_a_word(a: str, b: str, known: dict | None = None) -> bool:
    """Whether the break between ``a`` and ``b`` falls inside a word:
    干 / 部职工 segments as 干部 across the break. ``known``: answers
    worked out in advance for junctions (one batch for a whole text)."""
    junction = _junction(a, b)
    if junction is None:
        return False
    if known is not None and junction in known:
        return known[junction]
    return _words_broken([junction])[0]


def _hard_wrap_width(lines: list[str]) -> int | None:
    """The line width of a hard-wrapped text (a PDF extraction breaks every
    line at the same width): the most common length, if at least a third of
    the longer lines have it (give or take two characters)."""
    lengths = [len(x) for x in lines if len(x) >= 12]
    if len(lengths) < 8:
        return None
    counts: dict[int, int] = {}
    for n in lengths:
        counts[n] = counts.get(n, 0) + 1
    best = max(counts, key=lambda w: sum(counts.get(w + d, 0) for d in range(-2, 3)))
    near = sum(counts.get(best + d, 0) for d in range(-2, 3))
    if near * 3 >= len(lengths) and best >= 15:
        return best
    return None


def _starts_new(line: str) -> bool:
    return starts_with_marker(line) or is_standalone(line) or is_appendix_heading(line)


def _bare_heading(line: str) -> bool:
    """A heading line without text of its own after it."""
    return starts_with_marker(line) and not _SENTENCE_END_MARK.search(line) and len(line) <= 60


def _joins(a: str, b: str, width: int | None, b_indented: bool, fragment: bool, after_fragment: bool,
           known: dict | None = None) -> bool:
    """Whether ``b`` continues the paragraph ``a`` (see :func:`rejoin_broken_lines`)."""
    if is_standalone(a) and not after_fragment:
        return False  # a title, date or salutation takes nothing more
    if b[:1] in CONTINUATION_START:
        return True
    if ends_paragraph(a):
        return False
    if after_fragment and not (starts_with_marker(b) or SALUTATION.match(b) or _meta.is_date_line(b)):
        return True  # the sentence a fragment broke goes on
    if _starts_new(b):
        return False
    if fragment:
        # a heading takes a fragment only when it is itself cut short (5、民主 / 法制)
        return not _bare_heading(a) or len(a) <= 10
    if a.endswith(tuple(CONTINUES)):
        return True
    heading = starts_with_marker(a)
    inner_sentence = bool(_SENTENCE_END_MARK.search(a))
    if heading and not inner_sentence:
        # a heading broken at a page end: a long heading and a short tail that ends it
        if len(a) >= 24 and len(b) <= 20 and b.endswith(tuple("。！？")):
            return True
        return width is not None and len(a) >= width - 2 and not b_indented
    if width is not None and len(a) >= width - 2 and not b_indented:
        return True  # a full line of a hard-wrapped text
    if inner_sentence and len(a) >= 30:
        return True  # a paragraph of several sentences broken at a page end
    return len(a) >= 10 and _breaks_a_word(a, b, known)


def _rejoin(lines: list[str], indented: list[bool] | None = None) -> tuple[list[str], list[int]]:
    """Paragraphs from ``lines``, and the index of each paragraph's first line."""
    indented = indented or [False] * len(lines)
    width = _hard_wrap_width(lines)
    counts: dict[str, int] = {}
    for x in lines:
        counts[x] = counts.get(x, 0) + 1

    def is_fragment(i: int) -> bool:
        # a repeated short piece (a hyperlinked keyword), a tiny one after a
        # line long enough to be text, or a piece the next line continues
        # with a clause mark (践行 / 以人民为中心发展思想 / ，在…)
        x = lines[i]
        if re.search(r"[，。、；：！？,.;:!?\s]", x) or _starts_new(x) or not 0 < i < len(lines) - 1:
            return False
        if len(x) <= 20 and lines[i + 1][:1] in CONTINUATION_START:
            return True
        return len(x) <= _FRAGMENT and (counts[x] >= 2 or len(x) <= 3 and len(lines[i - 1]) >= _FRAGMENT)

    # the word-break check for every pair of neighbouring lines, segmented in
    # one batch (one at a time, each costs ~1 ms of numpy calls); a joined
    # line's end can differ from its last line's (conversion at the
    # junction), and then that check is made on its own
    junctions = list(dict.fromkeys(filter(None, (_junction(x, y) for x, y in zip(lines, lines[1:])))))
    known = dict(zip(junctions, _words_broken(junctions))) if junctions else {}
    out: list[str] = []
    starts: list[int] = []
    glue_next = False  # the last piece was a fragment: the sentence goes on
    for i, line in enumerate(lines):
        fragment = is_fragment(i)
        if out and _joins(out[-1], line, width, indented[i], fragment, glue_next, known):
            out[-1] = _join(out[-1], line)
            # after a short piece without marks, the sentence goes on
            glue_next = fragment or (len(line) <= _FRAGMENT and not re.search(r"[，。、；：！？]", line))
            continue
        out.append(line)
        starts.append(i)
        glue_next = False
    return out, starts


# Each piece was cleaned on its own; what joining can change lies around the
# junction: a word the break had cut may convert otherwise (回 / 覆 -> 回复),
# marks may meet (，/，). Conversion looks at a few characters each side;
# punctuation repair at up to 90 (its longest pattern, a bracketed phrase,
# spans 83), so the windows hold every match that crosses the junction.
_T2S_WINDOW = 16
_REPAIR_WINDOW = 90


def _join(a: str, b: str) -> str:
    cut = max(0, len(a) - _T2S_WINDOW)
    joined = a[:cut] + to_simplified(a[cut:] + b[:_T2S_WINDOW]) + b[_T2S_WINDOW:]
    junction = len(joined) - max(0, len(b) - _T2S_WINDOW)  # where b's unconverted rest starts
    lo = max(0, cut - _REPAIR_WINDOW)
    hi = junction + _REPAIR_WINDOW
    return joined[:lo] + repair_punctuation(joined[lo:hi]) + joined[hi:]


def rejoin_broken_lines(lines: list[str]) -> list[str]:
    """Join lines a PDF or a web page broke inside a paragraph.

    ``b`` continues ``a`` when ``b`` starts with a mark no paragraph starts
    with (，。）…), or ``a`` does not end a paragraph and: ``a`` ends with a
    mark that needs more (，、（“); ``b`` is a repeated short fragment (a
    hyperlinked keyword set on its own line) or follows one; ``a`` is a full
    line of a hard-wrapped text; ``a`` holds finished sentences and stops in
    the middle of the next; or the break cuts a word (干 / 部职工). Never
    onto a title, date, salutation, or a line opening with a heading marker;
    a heading takes only a short tail that ends it."""
    return _rejoin(lines)[0]
