"""Line breaking for Chinese text in a terminal (a small subset of UAX #14
and the Chinese/Japanese kinsoku rules).

Chinese may break between any two characters, except that

* closing punctuation (，。、；：！？）」』” …) never starts a line and
  opening punctuation (（「『“ …) never ends one: it travels with the
  character it belongs to;
* a number stays whole (2020, 11.2%, 1182.06, 3/4) and keeps the character
  after it (2020年, 7.9个, 9.4万): a reader scanning figures must not see
  202|0年;
* a Latin word stays whole;
* a diff mark (``[-``, ``{+`` … ``-]``, ``+}``) is glued to the text it marks.

Text comes as styled pieces ``(text, style)``; lines come back the same way,
so colours and marks survive wrapping. Widths are terminal cells (a CJK
character is 2).
"""

from __future__ import annotations

import re
import unicodedata

from rich.cells import cell_len

CLOSING = set("，。、；：！？）」』”’》〉】〕〗〙〛｝］｠．,.;:!?)]}%％‰…—～·・〜ー")
OPENING = set("（「『“‘《〈【〔〖〘〚｛［｟([{")
# A number: digits with inner separators, then an optional percent sign.
NUMBER = re.compile(r"[0-9０-９]+(?:[.,:/．][0-9０-９]+)*[%％‰]?")
WORD = re.compile(r"[A-Za-z]+(?:['’\-][A-Za-z]+)*")
MARK_OPEN = ("[-", "{+")
MARK_CLOSE = ("-]", "+}")

# Control characters (C0 except tab/newline, DEL, C1) and bidirectional
# overrides: a speech must never move the cursor, clear the screen, open a
# hyperlink or reorder the line it is printed on.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """``text`` without control characters or bidi overrides (tabs and
    newlines become spaces: a cell is one flow of text)."""
    return _CONTROL.sub("", text.replace("\t", " ").replace("\r\n", " ").replace("\n", " "))


def strip_controls(text: str) -> str:
    """``text`` without control characters or bidi overrides; lines and tabs kept."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def _narrow(ch: str) -> bool:
    return ch != " " and unicodedata.east_asian_width(ch) not in ("W", "F")


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch not in CLOSING and ch not in OPENING


def _no_break_before(chars: list[tuple[str, str]]) -> list[bool]:
    """For each position i > 0: True if a line may not start at i."""
    glue = [False] * len(chars)
    for i in range(1, len(chars)):
        ch, style = chars[i]
        before, before_style = chars[i - 1]
        if ch in CLOSING and style != "mark-open":
            glue[i] = True  # closing punctuation (and a closing mark) stays on the line before
        if before in OPENING and before_style != "mark-close":
            glue[i] = True  # after opening punctuation (and inside an opening mark)
        if before_style == "mark-open" or style == "mark-close":
            glue[i] = True  # a mark holds on to the text it marks
        if ch in "[{" and style == "mark-open" and i + 2 < len(chars) and chars[i + 2][0] in CLOSING:
            glue[i] = True  # [-，-]: an edited comma is still closing punctuation
        if _narrow(before) and _narrow(ch) and not style.startswith("mark") and not before_style.startswith("mark"):
            glue[i] = True  # Latin text, file names, figures: break only at spaces
    # numbers and words, found in the text without the marks (202[-0-]{+1+}年 is one figure)
    at = [i for i, (_, style) in enumerate(chars) if not style.startswith("mark")]
    text = "".join(chars[i][0] for i in at)
    for pattern, keep_next in ((NUMBER, True), (WORD, False)):
        for m in pattern.finditer(text):
            end = m.end()
            if keep_next and end < len(text) and _is_cjk(text[end]):
                end += 1  # 2020年, 9.4万: the unit after a figure travels with it
            for i in range(at[m.start()] + 1, at[end - 1] + 1):
                glue[i] = True
    return glue


def _chars(pieces) -> list[tuple[str, str]]:
    chars = []
    for text, style in pieces:
        if style == "mark":
            kind = "mark-open" if text in MARK_OPEN else "mark-close"
            chars.extend((ch, kind) for ch in text)
        else:
            chars.extend((ch, style) for ch in safe(text))
    return chars


def _segments(chars: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Consecutive characters of one style joined; marks get style "mark"."""
    out: list[tuple[str, str]] = []
    for ch, style in chars:
        style = "mark" if style.startswith("mark-") else style
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + ch, style)
        else:
            out.append((ch, style))
    return out


def wrap(pieces, width: int, first: int | None = None) -> list[list[tuple[str, str]]]:
    """Styled ``pieces`` broken into lines at most ``width`` cells wide
    (the first line ``first`` cells, when a prefix already takes room).

    Clusters — runs no rule lets us break — are laid out greedily. Invariant
    of the loop: ``line`` holds whole clusters whose cells sum to ``used``
    <= width. A cluster wider than a whole line (a 60-digit number) is cut
    by characters as a last resort, never before a closing character."""
    width = max(width, 4)
    limit = width if first is None else max(first, 4)  # the current line's room
    chars = _chars(pieces)
    if not chars:
        return [[]]
    glue = _no_break_before(chars)
    clusters: list[list[tuple[str, str]]] = []
    for i, c in enumerate(chars):
        if i and glue[i]:
            clusters[-1].append(c)
        else:
            clusters.append([c])
    lines: list[list[tuple[str, str]]] = []
    line: list[tuple[str, str]] = []
    used = 0
    for cluster in clusters:
        size = sum(cell_len(ch) for ch, _ in cluster)
        if used + size <= limit:
            line += cluster
            used += size
            continue
        if size <= width:
            lines.append(line)  # may be empty: a first line too short for this cluster
            line, used, limit = list(cluster), size, width
            continue
        for c in cluster:  # wider than a line: cut by characters
            w = cell_len(c[0])
            if used + w > limit and line and c[0] not in CLOSING:
                lines.append(line)
                line, used, limit = [], 0, width
            line.append(c)
            used += w
    if line:
        lines.append(line)
    # drop spaces at line ends and at continuation lines' starts (they only separated words)
    out = []
    for n, line in enumerate(lines):
        while line and line[-1][0] == " ":
            line = line[:-1]
        while n and line and line[0][0] == " ":
            line = line[1:]
        out.append(_segments(line))
    return out


def width_of(segments) -> int:
    return sum(cell_len(text) for text, _ in segments)
