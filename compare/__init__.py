"""speechdiff: summarize Chinese government speeches and show what is
boilerplate and what is new.

    >>> import compare
    >>> speeches = compare.load("samples/ankang_2020_transport_and_health.txt")
    >>> [s.title for s in speeches]
"""

from __future__ import annotations

import os
import re

from .ingest import clean, read_text
from .model import Paragraph, Section, Sentence, Speech, SpeechdiffError
from .outline import parse_outline
from .split import split_speeches

__version__ = "0.1.0"
__all__ = [
    "Paragraph", "Section", "Sentence", "Speech", "SpeechdiffError",
    "clean", "load", "load_text", "parse_outline", "read_text", "select",
]


def load_text(raw: str, source: str = "<text>") -> list[Speech]:
    """Clean, split and outline raw text; one Speech per speech it holds."""
    speeches = []
    for i, raw_speech in enumerate(split_speeches(clean(raw)), 1):
        speeches.append(
            Speech(
                title=raw_speech.title,
                date=raw_speech.date,
                speaker=raw_speech.speaker,
                source=f"{source}#{i}",
                text=raw_speech.text,
                sections=parse_outline(raw_speech.text),
            )
        )
    return speeches


def load(path: str | os.PathLike) -> list[Speech]:
    """All speeches in the file at ``path`` (``-`` reads stdin)."""
    speeches = load_text(read_text(path), source=os.path.basename(str(path)) if str(path) != "-" else "stdin")
    if not speeches:
        raise SpeechdiffError(f"{path}: no speech text found after cleaning")
    return speeches


_SELECTOR = re.compile(r"^(.*)#(\d+)$")


def select(spec: str) -> list[Speech]:
    """``FILE`` -> all its speeches; ``FILE#N`` -> the N-th (1-based)."""
    m = _SELECTOR.match(spec)
    if m and not os.path.exists(spec):
        path, n = m.group(1), int(m.group(2))
        speeches = load(path)
        if not 1 <= n <= len(speeches):
            raise SpeechdiffError(
                f"{spec}: no speech #{n}; {path} holds {len(speeches)} speech{'es' if len(speeches) != 1 else ''} (#1-#{len(speeches)})"
            )
        return [speeches[n - 1]]
    return load(spec)
