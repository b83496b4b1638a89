"""Plain dataclasses shared by every stage.

Offsets (``start``/``end``) are character offsets into ``Speech.text``, the
cleaned text of one speech, so ``speech.text[s.start:s.end] == s.text``.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from dataclasses import dataclass, field


class SpeechdiffError(Exception):
    """A problem with the user's input: shown as one line, exit code 2."""


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector for a block that allocates
    hundreds of thousands of small objects and frees them by reference
    counting: a diff and its page (the collector's passes over the growing
    heap took a third of a 500k-character diff), a corpus task (~30% of
    decoding a partition's records). Cyclic garbage made meanwhile waits
    until the block ends. The pause is the whole process's: with another
    thread running (a library caller's) the collector is left alone, and
    one the caller turned off stays off."""
    if not gc.isenabled() or threading.active_count() > 1:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass
class Sentence:
    text: str
    start: int
    end: int


@dataclass
class Paragraph:
    text: str
    start: int
    end: int
    sentences: list[Sentence] = field(default_factory=list)


@dataclass
class Section:
    """One node of the outline.

    ``level`` is the depth in the tree (1 = top level; 0 = the implicit
    section that holds text before the first heading, or a whole speech
    without headings). ``number`` is the ordinal of the marker (一 -> 1).
    """

    level: int
    number: int | None
    marker: str
    heading: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    children: list["Section"] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)
    # which marker family: "一、", "（一）", "1.", "（1）", "①", "一是", "一要", "第一",
    # "第一部分"; "unnumbered" for a heading without marker; "appendix" for what
    # follows the outline (attachments, glossaries, lists appended to the text)
    kind: str = ""

    @property
    def label(self) -> str:
        """The marker as a reader names it: 一, （一）, 1 …"""
        return self.marker.rstrip("、.．，,：: ") or "·"

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def sentences(self) -> list[Sentence]:
        """Sentences of this section's own paragraphs (not its children's)."""
        return [s for p in self.paragraphs for s in p.sentences]


@dataclass
class Speech:
    title: str
    date: str
    speaker: str
    source: str
    text: str
    sections: list[Section] = field(default_factory=list)
    # the line under the title: ——2022年1月27日在…会议上, or a slogan
    subtitle: str = ""

    def walk(self):
        for section in self.sections:
            yield from section.walk()

    @property
    def sentences(self) -> list[Sentence]:
        """All sentences in document order (headings included as sentences)."""
        return sorted(
            (s for sec in self.walk() for s in sec.sentences), key=lambda s: s.start
        )

    def path_of(self, offset: int) -> list[Section]:
        """The chain of sections (outermost first) that contains ``offset``."""
        chain: list[Section] = []
        sections = self.sections
        while True:
            for sec in sections:
                if sec.span[0] <= offset < sec.span[1]:
                    if sec.level > 0:
                        chain.append(sec)
                    sections = sec.children
                    break
            else:
                return chain

    @property
    def name(self) -> str:
        return self.title or self.source


def outline_data(text: str, sections) -> list:
    """The outline as nested lists of offsets (every text in it is a slice of
    the speech's text: ``Sentence.text == text[start:end]``)."""
    out = []
    for sec in sections:
        paragraphs = [[p.start, p.end, [[s.start, s.end] for s in p.sentences]] for p in sec.paragraphs]
        out.append([sec.level, sec.number, sec.marker, sec.heading, sec.kind, list(sec.span), paragraphs,
                    outline_data(text, sec.children)])
    return out


def outline_of(text: str, data: list) -> list[Section]:
    """``outline_data``'s inverse: the sections, every text sliced from ``text``."""
    sections = []
    for level, number, marker, heading, kind, span, paragraphs, children in data:
        paras = [Paragraph(text[a:b], a, b, [Sentence(text[c:d], c, d) for c, d in sentences]) for a, b, sentences in paragraphs]
        sections.append(Section(level, number, marker, heading, paras, outline_of(text, children), tuple(span), kind))
    return sections


def packed(speech: Speech) -> tuple:
    """A speech as its fields and its outline's offsets (``outline_data``):
    what a corpus record stores of it, and what crosses between processes
    (a labels task's speeches, a series task's). Its pickle is a third of
    the speech's own (every sentence's and paragraph's text is a slice of
    the speech's text, pickled again as a string of its own; a synthetic
    partition's 125 speeches 7.5 -> 2.6 MB), and packing and unpacking it
    take half the time pickling the objects and reading them back did.
    Every text of a speech's outline is a slice of its text (``outline``
    builds them so), so a speech unpacks to itself."""
    return (speech.title, speech.date, speech.speaker, speech.source, speech.subtitle, speech.text,
            outline_data(speech.text, speech.sections))


def unpacked(packed: tuple) -> Speech:
    """``packed``'s inverse."""
    title, date, speaker, source, subtitle, text, outline = packed
    return Speech(title, date, speaker, source, text, outline_of(text, outline), subtitle)
