"""speechdiff: summarize Chinese government speeches and show what is
boilerplate and what is new.

    >>> import compare
    >>> speeches = compare.load("samples/ankang_2020_transport_and_health.txt")
    >>> [s.title for s in speeches]
"""

from __future__ import annotations

import os
import re

from .ingest import Cleaned, Removal, clean, clean_report, read_text
from .model import Paragraph, Section, Sentence, Speech, SpeechdiffError
from .outline import parse_outline
from .split import split_speeches

__version__ = "0.1.0"
__all__ = [
    "Cleaned", "Paragraph", "Removal", "Section", "Sentence", "Speech", "SpeechdiffError",
    "clean", "clean_report", "load", "load_many", "load_text", "parse_outline", "read_text", "select",
]


def load_text(raw: str, source: str = "<text>") -> list[Speech]:
    """Clean, split and outline raw text; one Speech per speech it holds."""
    cleaned = clean_report(raw)
    speeches = []
    for i, raw_speech in enumerate(split_speeches(cleaned.text, cleaned.boundaries, cleaned.fields), 1):
        speeches.append(
            Speech(
                title=raw_speech.title,
                date=raw_speech.date,
                speaker=raw_speech.speaker,
                source=f"{source}#{i}",
                text=raw_speech.text,
                sections=parse_outline(raw_speech.text),
                subtitle=raw_speech.subtitle,
            )
        )
    return speeches


_SELECTOR = re.compile(r"^(.*)#(\d+)$")


def _load_file(path: str | os.PathLike) -> list[Speech]:
    source = os.path.basename(str(path)) if str(path) != "-" else "stdin"
    speeches = load_text(read_text(path), source=source)
    if not speeches:
        raise SpeechdiffError(f"{path}: no speech text found after cleaning")
    return speeches


def select(spec: str | os.PathLike) -> list[Speech]:
    """``FILE`` -> all its speeches; ``FILE#N`` -> the N-th (1-based). A file
    whose name itself ends in ``#N`` is read as that file."""
    spec = str(spec)
    m = _SELECTOR.match(spec)
    if m and not os.path.exists(spec):
        path, n = m.group(1), int(m.group(2))
        speeches = _load_file(path)
        if not 1 <= n <= len(speeches):
            raise SpeechdiffError(
                f"{spec}: no speech #{n}; {path} holds {len(speeches)} speech{'es' if len(speeches) != 1 else ''} (#1-#{len(speeches)})"
            )
        return [speeches[n - 1]]
    return _load_file(spec)


def load(path: str | os.PathLike) -> list[Speech]:
    """All speeches in the file at ``path`` (``-`` reads stdin); ``FILE#N``
    names the N-th speech of FILE, as on the command line."""
    return select(path)


def load_many(specs, strict: bool = False) -> tuple[list[Speech], list[tuple[str, str]]]:
    """The speeches of many ``FILE`` / ``FILE#N`` specs, and the specs that
    could not be read as (spec, one-line reason). With ``strict`` the first
    unreadable spec raises its :class:`SpeechdiffError` instead."""
    speeches: list[Speech] = []
    skipped: list[tuple[str, str]] = []
    for spec in specs:
        try:
            speeches.extend(select(spec))
        except (SpeechdiffError, OSError) as e:
            if strict:
                raise
            reason = str(e) if isinstance(e, SpeechdiffError) else f"{spec}: {e.strerror or e}"
            skipped.append((str(spec), reason))
    return speeches, skipped
