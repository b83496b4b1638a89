"""Split one cleaned file into the speeches it holds.

Three layouts occur in this genre, tried in this order:
numbered collections (``……篇一``, ``……篇二``), bulletins whose speeches each
open with a title line ``在……上的讲话`` and a date line ``（2020年3月18日）``,
and pages that run speeches together, each opening with ``同志们：``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .ingest import CN_NUM, DATE_LINE, SALUTATION, TITLE_LINE

COLLECTION_HEADER = re.compile(rf"(?:篇[{CN_NUM}\d]+|第[{CN_NUM}\d]+篇)$")
# "刘建平同志在……讲话": the speaker named in a title line
SPEAKER = re.compile(r"^([\u4e00-\u9fff]{2,4})同志(?=在|：|:|$)")


@dataclass
class RawSpeech:
    title: str
    date: str
    speaker: str
    text: str


def _title_and_speaker(line: str) -> tuple[str, str]:
    m = SPEAKER.match(line)
    if m:
        return line[m.end():], m.group(1)
    return line, ""


def _date_of(line: str) -> str:
    return line.strip("（()）")


def _is_title(line: str) -> bool:
    return len(line) <= 80 and bool(TITLE_LINE.search(line)) and "。" not in line


def split_speeches(text: str) -> list[RawSpeech]:
    lines = text.split("\n")
    if not any(line.strip() for line in lines):
        return []

    # 1. numbered collections
    starts = [i for i, line in enumerate(lines) if len(line) <= 60 and COLLECTION_HEADER.search(line)]
    if len(starts) >= 2:
        return [
            _speech_from(lines[a + 1 : b], title=lines[a])
            for a, b in zip(starts, starts[1:] + [len(lines)])
        ]

    # 2. title line followed by a date line
    starts = [
        i
        for i in range(len(lines) - 1)
        if _is_title(lines[i]) and DATE_LINE.match(lines[i + 1])
    ]
    if starts:
        # a title above the first speech names the whole file's speaker
        file_speaker = ""
        for line in lines[: starts[0]]:
            _, who = _title_and_speaker(line)
            file_speaker = file_speaker or who
        speeches = []
        for a, b in zip(starts, starts[1:] + [len(lines)]):
            title, speaker = _title_and_speaker(lines[a])
            speeches.append(
                RawSpeech(title, _date_of(lines[a + 1]), speaker or file_speaker, "\n".join(lines[a + 2 : b]))
            )
        return speeches

    # 3. speeches run together, each opening with a salutation
    starts = [i for i, line in enumerate(lines) if SALUTATION.match(line)]
    if len(starts) >= 2:
        speeches = []
        for a, b in zip(starts, starts[1:] + [len(lines)]):
            title = lines[a - 1] if a > 0 and _is_title(lines[a - 1]) and (a - 1) not in starts else ""
            body = lines[a:b]
            if b < len(lines) and body and _is_title(body[-1]):
                body = body[:-1]  # the next speech's title
            speeches.append(_speech_from(body, title=title))
        return speeches

    return [_speech_from(lines)]


def _speech_from(lines: list[str], title: str = "") -> RawSpeech:
    """A speech from its lines; a leading title or date line is taken as such."""
    date = speaker = ""
    lines = [line for line in lines if line.strip()]
    while lines and (_is_title(lines[0]) or DATE_LINE.match(lines[0])):
        if DATE_LINE.match(lines[0]):
            date = date or _date_of(lines[0])
        else:
            t, speaker = _title_and_speaker(lines[0])
            title = title or t
        lines = lines[1:]
    return RawSpeech(title, date, speaker, "\n".join(lines))
