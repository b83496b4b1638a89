"""Parse the heading hierarchy of a speech into a tree of sections.

The genre numbers its outline with a few marker families::

    一、  >  （一）  >  1. / 1、  >  （1）   and the enumerations
    一是 / 一要 / 第一， / 首先 其次 再次 最后   that open a paragraph.

Depth is not fixed per family: a family met for the first time nests under
the current heading, as writers skip levels. Numbering continuity decides
what is a heading: a marker is accepted only if it continues its family's
count (二 after 一) or starts a new one (一 under a new parent). So in
``一、二、三产业用电量…`` inside section 二, ``一、`` is body text.
"""

from __future__ import annotations

import re

from .ingest import CN_NUM
from .model import Paragraph, Section, Sentence

_N = f"[{CN_NUM}]{{1,3}}"
_NOT_ORDINAL = "期章节条次批届个年季轮名位部家种类阶段代把手"
MARKERS: list[tuple[str, re.Pattern]] = [
    ("一、", re.compile(rf"^({_N})、")),
    ("（一）", re.compile(rf"^[（(]({_N})[）)][、，,]?")),
    ("1.", re.compile(r"^(\d{1,2})(?:[.．](?!\d)|、)")),
    ("（1）", re.compile(r"^[（(](\d{1,2})[）)][、，,]?")),
    ("一是", re.compile(rf"^({_N})是(?=[^，。；]{{2}})")),
    ("一要", re.compile(rf"^({_N})要(?!素|求|点|件|务)")),
    ("第一", re.compile(rf"^(?:第({_N})(?:[，、：,:]|(?=[\u4e00-\u9fff])(?![{_NOT_ORDINAL}]))|(首先|其次|再次|最后)[，,：:]?)")),
]
_WORD_ORDINALS = {"首先": 1, "其次": 2, "再次": 3}

SENTENCE = re.compile(r"[^。！？；…\n]*(?:[。！？；]+|…+)[”’」』）]*|[^。！？；…\n]+")


def cn_to_int(token: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十三 -> 23; also Arabic digits."""
    if token.isdigit():
        return int(token)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    if "十" in token:
        tens, _, ones = token.partition("十")
        if len(ones) > 1 or len(tens) > 1:
            return None
        value = (digits.get(tens, 0) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)
        return value
    return digits.get(token) if len(token) == 1 else None


def match_marker(line: str) -> tuple[str, int | None, str] | None:
    """(family, number, marker text) if ``line`` opens with a heading marker.
    ``最后`` has number None: it continues whatever count it closes."""
    for kind, pattern in MARKERS:
        m = pattern.match(line)
        if not m:
            continue
        token = m.group(1)
        if kind == "第一" and token is None:
            word = m.group(2)
            return kind, _WORD_ORDINALS.get(word), m.group()
        number = cn_to_int(token)
        if number is not None and number > 0:
            return kind, number, m.group()
    return None


def split_sentences(text: str, offset: int = 0) -> list[Sentence]:
    out = []
    for m in SENTENCE.finditer(text):
        s = m.group()
        stripped = s.strip()
        if not stripped:
            continue
        start = offset + m.start() + (len(s) - len(s.lstrip()))
        out.append(Sentence(stripped, start, start + len(stripped)))
    return out


def _paragraph(text: str, start: int) -> Paragraph:
    return Paragraph(text, start, start + len(text), split_sentences(text, start))


def parse_outline(text: str) -> list[Section]:
    """Sections of ``text`` (one paragraph a line). Text before the first
    heading, or a whole text without headings, goes into a level-0 section."""
    root = Section(level=0, number=None, marker="", heading="", span=(0, len(text)))
    preamble = Section(level=0, number=None, marker="", heading="", span=(0, 0))
    stack: list[Section] = []  # open headings, outermost first
    current = preamble
    offset = 0
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        heading = _accept_heading(line, stack)
        if heading is None:
            current.paragraphs.append(_paragraph(line, start))
            continue
        kind, number, marker = heading
        rest = line[len(marker):]
        first = SENTENCE.match(rest)
        title = first.group() if first else rest
        body = rest[len(title):]
        section = Section(
            level=0,
            number=number,
            marker=marker,
            heading=title.strip().rstrip("。！？；").strip(),
            span=(start, start),
            kind=kind,
        )
        while stack and stack[-1].kind != kind and any(s.kind == kind for s in stack):
            stack.pop()
        if stack and stack[-1].kind == kind:
            stack.pop()
        (stack[-1].children if stack else root.children).append(section)
        stack.append(section)
        section.level = len(stack)
        if body.strip():
            body_start = start + len(marker) + len(title)
            lead = len(body) - len(body.lstrip())
            section.paragraphs.append(_paragraph(body.strip(), body_start + lead))
        current = section
    sections = root.children
    if preamble.paragraphs:
        preamble.span = (0, sections[0].span[0] if sections else len(text))
        sections.insert(0, preamble)
    _close_spans(sections, len(text))
    return sections


def _accept_heading(line: str, stack: list[Section]) -> tuple[str, int | None, str] | None:
    """The marker of ``line`` if numbering continuity makes it a heading."""
    found = match_marker(line)
    if not found:
        return None
    kind, number, marker = found
    if len(line) == len(marker):
        return None  # a bare marker is no heading
    open_same = [s for s in stack if s.kind == kind]
    if open_same:
        last = open_same[-1].number
        if number is None:  # 最后: closes an open count
            number = (last or 0) + 1
            return kind, number, marker
        return found if last is not None and number == last + 1 else None
    return found if number == 1 else None


def _close_spans(sections: list[Section], end: int) -> None:
    """Each section runs until its next sibling, or its parent's end."""
    for sec, nxt in zip(sections, sections[1:] + [None]):
        sec_end = nxt.span[0] if nxt else end
        sec.span = (sec.span[0], sec_end)
        _close_spans(sec.children, sec_end)
