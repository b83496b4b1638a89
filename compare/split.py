"""Split one cleaned file into the speeches it holds.

A new speech needs evidence; a salutation alone is none, as reports turn to
their audience mid-text (各位代表：) and speakers repeat 同志们： before a
closing part. Evidence, in the order it is tried:

1. numbered collections: ``……篇一``, ``……篇二`` headers;
2. title blocks: a title line (``在……上的讲话``) with a date or subtitle line
   right under it (``（2020年3月18日）``, ``——在……会议上``), or where text
   resumes after a footer or distribution block (``ingest`` tells where);
3. a salutation (``同志们：``) that follows a closing formula (谢谢大家！),
   or opens an outline that starts again from 一 where the one before it had
   gone on to 二 or further.

Each speech's head block (title, subtitle, date, speaker lines) is read by
:mod:`compare.meta` and leaves its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import meta as _meta
from .ingest import is_prose
from .markers import match_marker, rank
from .meta import COLLECTION_HEADER, SALUTATION

# "刘建平同志在……讲话": the speaker named in a title line
SPEAKER = re.compile(r"^([\u4e00-\u9fff]{2,4})同志(?=在|：|:|$)")
# what ends a speech
CLOSING = re.compile(r"(?:谢谢大家|谢谢各位|谢谢)[！!。]?$")


@dataclass
class RawSpeech:
    title: str
    date: str
    speaker: str
    text: str
    subtitle: str = ""


def _is_title(line: str) -> bool:
    return _meta.is_title(line) and "。" not in line


def _has_prose(lines: list[str]) -> bool:
    return any(is_prose(x) for x in lines)


# Text above a first title block is a speech of its own only if there is
# some: a page's motto or a one-line lead is its head.
_SPEECH_MIN = 200


def _is_speech_text(lines: list[str]) -> bool:
    prose = [x for x in lines if is_prose(x)]
    return len(prose) >= 3 or sum(map(len, prose)) >= _SPEECH_MIN


def _title_blocks(lines: list[str]) -> list[int]:
    """Lines that open a title block: a title with a date or subtitle under it."""
    starts = []
    for i, line in enumerate(lines):
        if not _is_title(line):
            continue
        below = lines[i + 1 : i + 3]
        if any(_meta.is_date_line(x) or _meta.is_subtitle(x) for x in below[:1]) or (
            # a name line between: 在…上的讲话 / 邓小平 / （1978年3月18日）
            len(below) == 2
            and (_meta.speaker_of(below[0]) or _meta.NAME_LINE.match(below[0]) or _meta.OFFICE_LINE.match(below[0]))
            and (_meta.is_date_line(below[1]) or _meta.is_subtitle(below[1]))
        ):
            starts.append(i)
    return starts


def _counts(lines: list[str]) -> tuple[str, dict[str, int]]:
    """The family of the first marker in ``lines``, and how far each family counted."""
    first = ""
    counted: dict[str, int] = {}
    for line in lines:
        found = match_marker(line)
        if found and found[1]:
            kind, number, _ = found
            first = first or kind
            if number == counted.get(kind, 0) + 1 or number == 1:
                counted[kind] = number
    return first, counted


def _outline_restarts(lines: list[str], start: int, end: int, at: int) -> bool:
    """Whether the outline after line ``at`` starts again: its first numbered
    marker is 1 of the family the text since ``start`` opened with and
    counted to 2 or more, or 1 of 一、 after any count of 一、 to 2 or more
    (a top-level count never restarts inside one speech)."""
    first, counted = _counts(lines[start:at])
    _, counted_before = _counts(lines[:at])
    for line in lines[at + 1 : end]:
        found = match_marker(line)
        if not found or not found[1]:
            continue
        kind, number, _ = found
        if number != 1:
            return False
        return (kind == first and counted.get(kind, 0) >= 2) or (
            rank(kind) <= 1 and counted_before.get(kind, 0) >= 2
        )
    return False


def _salutation_starts(lines: list[str]) -> list[int]:
    sal = [i for i, line in enumerate(lines) if SALUTATION.match(line)]
    starts = []
    prev_start = 0
    for k, s in enumerate(sal):
        if not _has_prose(lines[prev_start:s]):
            continue  # the first salutation of a text
        nxt = sal[k + 1] if k + 1 < len(sal) else len(lines)
        before = lines[max(0, s - 2) : s]
        evidence = (
            # a closing: 谢谢大家！ or a last exhortation (…而努力奋斗！)
            (before and (CLOSING.search(before[-1]) or before[-1].endswith(("！", "!"))))
            or any(_is_title(x) for x in before)
            or _outline_restarts(lines, prev_start, nxt, s)
        )
        if evidence:
            # a title just above the salutation opens the new speech
            start = s - 1 if s > 0 and _is_title(lines[s - 1]) else s
            starts.append(start)
            prev_start = start
    return starts


def _valid(starts: list[int], lines: list[str]) -> list[int]:
    """Starts with speech text between them (a title block right after
    another, or a page's title above the document's own, is one head)."""
    out: list[int] = []
    for s in sorted(set(starts)):
        if out and not _has_prose(lines[out[-1] : s]):
            continue
        out.append(s)
    return out


def split_speeches(text: str, boundaries: list[int] | tuple = (), fields: dict[str, str] | None = None) -> list[RawSpeech]:
    """The speeches of a cleaned text (one paragraph per line). ``boundaries``
    are lines where ``ingest`` saw text resume after a footer or distribution
    list; ``fields`` the file's header block, used when it holds one speech."""
    lines = [line for line in text.split("\n")]
    if not any(line.strip() for line in lines):
        return []

    # 1. numbered collections
    starts = [i for i, line in enumerate(lines) if len(line) <= 60 and COLLECTION_HEADER.search(line)]
    if len(starts) >= 2:
        return [_speech(lines[a + 1 : b], header=lines[a]) for a, b in zip(starts, starts[1:] + [len(lines)])]

    # 2. title blocks and resumed text; 3. salutations with evidence
    starts = _title_blocks(lines) + [b for b in boundaries if 0 < b < len(lines)]
    starts = _valid(starts, lines)
    page_head: list[str] = []
    if not starts:
        starts = _valid(_salutation_starts(lines), lines)
        if starts:
            # the first speech opens at the first salutation; lines above it
            # without text are the page's head (its title)
            first = next(i for i, line in enumerate(lines) if SALUTATION.match(line))
            if _has_prose(lines[:first]):
                first = 0
            page_head, lines = lines[:first], lines[first:]
            starts = [0] + [s - first for s in starts]
    if not starts or starts == [0]:
        return [_speech(lines, fields=fields, head=page_head)]

    # text above the first start: its own speech if it has text, else the
    # file's head (a bulletin title naming the speaker of all)
    file_speaker = ""
    if starts[0] > 0:
        head = lines[: starts[0]]
        if _is_speech_text(head):
            starts = [0] + starts
        else:
            page_head = head
            for line in head:
                m = SPEAKER.match(line)
                file_speaker = file_speaker or (m.group(1) if m else "")
    if len(starts) == 1:
        return [_speech(lines[starts[0]:], fields=fields, head=page_head)]
    speeches = []
    for a, b in zip(starts, starts[1:] + [len(lines)]):
        speech = _speech(lines[a:b], head=page_head if a == starts[0] else [])
        speech.speaker = speech.speaker or file_speaker
        speeches.append(speech)
    return speeches


def _speech(lines: list[str], header: str = "", fields: dict[str, str] | None = None, head: list[str] = ()) -> RawSpeech:
    """A speech from its lines: the head block read as metadata. ``head``:
    lines of the page above the speech, read for a title only."""
    lines = [line for line in lines if line.strip()]
    info, body = _meta.extract(lines, fields, page_titles=[x for x in head if _is_title(x)])
    title = header or info.title
    speaker = info.speaker
    m = SPEAKER.match(title)
    if m:
        title, speaker = title[m.end():], speaker or m.group(1)
    return RawSpeech(title, info.date, speaker, "\n".join(body), info.subtitle)

