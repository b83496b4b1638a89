"""The one safe writer: every file speechdiff writes goes through here.

Outputs are written atomically (a temporary file in the target's folder,
then a rename), and never over an input file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .model import SpeechdiffError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output(path: str | os.PathLike, inputs: list[str] = ()) -> Path:
    """``path`` as a Path, if writing there loses nothing: not an input
    file (``FILE`` or ``FILE#N``), not a directory."""
    target = Path(path)
    for name in inputs:
        source = Path(name.split("#")[0] if not Path(name).exists() else name)
        if source.exists() and target.exists() and source.resolve() == target.resolve():
            raise SpeechdiffError(f"{path}: refusing to overwrite an input file")
    if target.is_dir():
        raise SpeechdiffError(f"{path}: is a directory")
    return target


def write_atomic(path: str | os.PathLike, content: str, inputs: list[str] = ()) -> Path:
    """Write ``content`` to ``path`` via a temporary file and rename, so a
    reader never sees half a report; refuse to overwrite an input file."""
    target = check_output(path, inputs)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


