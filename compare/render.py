"""Render results: terminal (rich), JSON, Markdown, HTML; and write files safely."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path

from .model import Section, Speech, SpeechdiffError


# ---------------------------------------------------------------- JSON


def to_jsonable(obj):
    """Dataclasses -> dicts, recursively, for json.dumps."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    return obj


def dumps(obj) -> str:
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2)


def section_json(section: Section) -> dict:
    return {
        "level": section.level,
        "number": section.number,
        "marker": section.marker,
        "heading": section.heading,
        "span": list(section.span),
        "paragraphs": [
            {"start": p.start, "end": p.end, "sentences": [dataclasses.asdict(s) for s in p.sentences]}
            for p in section.paragraphs
        ],
        "children": [section_json(c) for c in section.children],
    }


def outline_json(speeches: list[Speech]) -> str:
    return json.dumps(
        [
            {
                "source": s.source,
                "title": s.title,
                "date": s.date,
                "speaker": s.speaker,
                "chars": len(s.text),
                "sections": [section_json(sec) for sec in s.sections],
            }
            for s in speeches
        ],
        ensure_ascii=False,
        indent=2,
    )


# ---------------------------------------------------------------- terminal


def speech_header(speech: Speech) -> str:
    parts = [speech.title or "(untitled)", speech.date, speech.speaker]
    return " · ".join(p for p in parts if p) + f"  [{speech.source}]"


def outline_tree(speech: Speech):
    from rich.markup import escape
    from rich.tree import Tree

    tree = Tree(f"[bold]{escape(speech_header(speech))}[/bold]")

    def add(node, sections):
        for sec in sections:
            n_sent = len(sec.sentences)
            if sec.level == 0:
                label = f"[dim](opening, {n_sent} sentences)[/dim]"
            else:
                label = f"[cyan]{escape(sec.marker)}[/cyan]{escape(sec.heading)} [dim]({n_sent})[/dim]"
            add(node.add(label), sec.children)

    add(tree, speech.sections)
    return tree


# ---------------------------------------------------------------- files


def write_atomic(path: str | os.PathLike, content: str, inputs: list[str] = ()) -> Path:
    """Write ``content`` to ``path`` via a temporary file and rename, so a
    reader never sees half a report; refuse to overwrite an input file."""
    target = Path(path)
    for name in inputs:
        source = Path(name.split("#")[0] if not Path(name).exists() else name)
        if source.exists() and target.exists() and source.resolve() == target.resolve():
            raise SpeechdiffError(f"{path}: refusing to overwrite an input file")
    if target.is_dir():
        raise SpeechdiffError(f"{path}: is a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target
