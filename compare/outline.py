"""Parse the heading hierarchy of a speech into a tree of sections.

The marker families (``一、 > （一） > 1. > （1）`` and the enumerations
``一是 / 一要 / 第一， / 首先 其次 再次 最后`` that open a paragraph) are
defined once, in :mod:`compare.markers`.

Depth is not fixed per family: a family met for the first time nests under
the current heading, as writers skip levels. Two orders are fixed: an
enumeration never holds a numbered heading (so ``首先报告2001年的工作`` does
not sit above the ``一、`` sections), and 第一部分/第一章 hold everything.

Numbering continuity decides what is a heading: a marker is accepted only if
it continues its family's count (二 after 一) or starts a new one (一 under a
new parent). So in ``一、二、三产业用电量…`` inside section 二, ``一、`` is
body text.

Where the outline ends: a line that opens an appendix (附件, 名词解释,
注释 …), or the top-level count starting again from 一 and going on (a list
of 民生实事 after the report) begins a section of kind ``appendix`` that
holds the rest, unparsed.

A text without numbered top-level headings may have unnumbered ones: short
lines without end punctuation, each introducing paragraphs of text (引言 /
2012年经济表现). They form the top level, and numbered headings nest under
them.
"""

from __future__ import annotations

import re

from .markers import (  # noqa: F401  (cn_to_int and match_marker are part of this module's API)
    CN_NUM,
    ENUMERATION_RANK,
    FAMILIES,
    cn_to_int,
    is_appendix_heading,
    match_marker,
    rank,
)
from .model import Paragraph, Section, Sentence

MARKERS = [(f.name, f.pattern) for f in FAMILIES]
SENTENCE = re.compile(r"[^。！？；…\n]*(?:[。！？；]+|…+)[”’」』）]*|[^。！？；…\n]+")
# an unnumbered heading is short and ends no sentence or clause
UNNUMBERED_MAX = 30
_UNNUMBERED_NOT = re.compile(r"[。！？；]|[，、：:；（(“]$")


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


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    offset = 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _is_text(line: str) -> bool:
    """A paragraph of text under a heading: long enough, with a sentence."""
    return len(line) >= 30 and bool(re.search("[。！？]", line))


def _unnumbered_headings(lines: list[tuple[int, str]]) -> set[int]:
    """Indices of unnumbered headings: short lines ending no sentence, not
    opening with a marker, each followed by a paragraph of text and preceded
    by a finished one (or by nothing)."""
    from . import meta

    found = set()
    for k, (_, line) in enumerate(lines):
        s = line.strip()
        if not (2 <= len(s) <= UNNUMBERED_MAX) or _UNNUMBERED_NOT.search(s):
            continue
        if match_marker(s) or is_appendix_heading(s) or meta.is_standalone(s):
            continue
        if re.match(r"^[（(].*[）)]$", s):
            continue  # a stage direction or note in brackets
        nxt = next((x.strip() for _, x in lines[k + 1 :] if x.strip()), "")
        prev = next((x.strip() for _, x in reversed(lines[:k]) if x.strip()), "")
        if _is_text(nxt) and (not prev or re.search(r"[。！？：”）)\]]$", prev) or meta.SALUTATION.match(prev)):
            found.add(k)
    return found


def _opens_count(lines: list[tuple[int, str]], k: int, kind: str) -> bool:
    """Whether the first ``kind`` marker after line ``k`` is number 1."""
    for _, line in lines[k + 1 :]:
        found = match_marker(line.strip())
        if found and found[0] == kind:
            return found[1] == 1
    return False


def _restart_at(lines: list[tuple[int, str]], top_kind: str, top_count_at: dict[int, int]) -> int | None:
    """The line where the top-level count starts again from 一 and goes on
    to 二 (a list appended after the text), if any."""
    for k, (_, line) in enumerate(lines):
        count = top_count_at[k]  # _build counted every line of ``lines``
        if count < 2:
            continue
        found = match_marker(line.strip())
        if not found or found[0] != top_kind or found[1] != 1:
            continue
        rest = line.strip()[len(found[2]):]
        if re.match(rf"[{CN_NUM}\d]{{1,3}}[、，]", rest):
            continue  # 一、二、三产业…: an enumeration inside a sentence
        for _, later in lines[k + 1 :]:
            f = match_marker(later.strip())
            if f and f[0] == top_kind:  # numbered: only 最后 has no number, and it is no top family
                if f[1] == 2:
                    return k
                break
    return None


def parse_outline(text: str) -> list[Section]:
    """Sections of ``text`` (one paragraph a line). Text before the first
    heading, or a whole text without headings, goes into a level-0 section;
    an appendix goes into a last top-level section of kind ``appendix``."""
    lines = _lines(text)
    appendix = next(
        (k for k, (_, line) in enumerate(lines) if k > 0 and is_appendix_heading(line.strip())), None
    )
    body = lines if appendix is None else lines[:appendix]
    sections, top_kind, top_count_at = _build(body, text, unnumbered=set())
    if not top_kind or rank(top_kind) > 1:
        unnumbered = _unnumbered_headings(body)
        if len(unnumbered) >= 2:
            sections, top_kind, top_count_at = _build(body, text, unnumbered)
    if top_kind and 0 <= rank(top_kind) <= 2:
        restart = _restart_at(body, top_kind, top_count_at)
        if restart is not None:
            # a restart under a new unnumbered heading is a new part of the
            # text (过去五年回顾 一、… / 今后五年的建议 一、…); else an appendix
            unnumbered = _unnumbered_headings(body)
            tops = [s for s in sections if s.level == 1 and s.kind == top_kind]
            first_top = min((k for k, (o, _) in enumerate(body) if tops and o == tops[0].span[0]), default=0)
            last_top = max((k for k, (o, _) in enumerate(body) if o in {s.span[0] for s in tops} and k < restart), default=0)
            # such headings each open a count from 一: keep those that do
            unnumbered = {k for k in unnumbered if _opens_count(body, k, top_kind)}
            if any(k < first_top for k in unnumbered) and any(last_top < k < restart for k in unnumbered):
                sections, top_kind, top_count_at = _build(body, text, unnumbered)
            else:
                appendix = restart
                body = lines[:appendix]
                sections, top_kind, top_count_at = _build(body, text, unnumbered=set())
    end = lines[appendix][0] if appendix is not None else len(text)
    if appendix is not None:
        sections.append(_appendix(lines[appendix:], len(text)))
    _close_spans([s for s in sections if s.kind != "appendix"], end)  # the appendix already runs to len(text)
    return sections


def _appendix(lines: list[tuple[int, str]], end: int) -> Section:
    start, first = lines[0]
    heading = first.strip()
    explicit = is_appendix_heading(heading)
    if not explicit:
        # a list's first item (never blank: it is the restarted marker's
        # line, so SENTENCE matches) names it by its first sentence
        heading = SENTENCE.match(heading).group().rstrip("。！？；")
    section = Section(level=1, number=None, marker="", heading=heading, span=(start, end), kind="appendix")
    for offset, line in lines[0 if not explicit else 1 :]:
        if line.strip():
            lead = len(line) - len(line.lstrip())
            section.paragraphs.append(_paragraph(line.strip(), offset + lead))
    return section


def _build(
    lines: list[tuple[int, str]], text: str, unnumbered: set[int]
) -> tuple[list[Section], str, dict[int, int]]:
    """The tree of ``lines``; the family of the top level; for each line, how
    far the top-level count had gone before it."""
    top: list[Section] = []  # the top-level sections
    preamble = Section(level=0, number=None, marker="", heading="")  # its span is set when it is kept
    stack: list[Section] = []  # open headings, outermost first
    current = preamble
    top_kind = ""
    top_count = 0
    count_at: dict[int, int] = {}
    for k, (start, line) in enumerate(lines):
        count_at[k] = top_count
        if not line.strip():
            continue
        if k in unnumbered:
            section = Section(level=1, number=None, marker="", heading=line.strip(), span=(start, start), kind="unnumbered")
            stack[:] = [section]
            top.append(section)
            top_kind = top_kind or "unnumbered"
            current = section
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
        # an enumeration (一是, 首先 …) never holds a numbered heading, and a
        # part or chapter is never held by anything
        while stack and (
            (rank(kind) < ENUMERATION_RANK and rank(stack[-1].kind) >= ENUMERATION_RANK and stack[-1].kind != "unnumbered")
            or (rank(kind) == 0 and stack[-1].kind != kind and stack[-1].kind != "unnumbered")
        ):
            stack.pop()
        while stack and stack[-1].kind != kind and any(s.kind == kind for s in stack):
            stack.pop()
        if stack and stack[-1].kind == kind:
            stack.pop()
        (stack[-1].children if stack else top).append(section)
        stack.append(section)
        section.level = len(stack)
        if section.level == 1:
            top_kind = top_kind or kind
            if kind == top_kind:
                top_count = number or top_count + 1
        if body.strip():
            body_start = start + len(marker) + len(title)
            lead = len(body) - len(body.lstrip())
            section.paragraphs.append(_paragraph(body.strip(), body_start + lead))
        current = section
    sections = top
    if preamble.paragraphs:
        preamble.span = (0, sections[0].span[0] if sections else len(text))
        sections.insert(0, preamble)
    return sections, top_kind, count_at


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
