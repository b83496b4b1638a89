"""The one safe writer: every file speechdiff writes goes through here.

Guarantees, for every command:

* an output never lands on an input: inputs are identified by
  ``(st_dev, st_ino)``, so a symlink, a hard link, ``./x`` or a name holding
  ``#`` all count as the file they open (``Inputs``, computed once per run);
* only regular files are written: a symlink, FIFO, device, socket or
  directory given as ``-o`` is refused (``-o -`` means stdout);
* writes are atomic: a temporary file (or folder) in the target's own
  folder, then a rename, so a reader sees the old output or the new one;
* temporary files are removed when the run is interrupted (SIGINT, SIGTERM,
  SIGHUP), and the signal then does what it would have done.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Iterator

from .model import SpeechdiffError

STDOUT = "-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------- inputs


class Inputs:
    """The files a run reads, by identity (device, inode).

    A speech argument ``FILE#N`` may name the file ``FILE#N`` or the file
    ``FILE``; a name may hold several ``#`` (``d#1/s.txt#1``). Rather than
    guess which one the reader will open, every existing prefix that ends
    before a ``#`` counts as an input too: refusing one harmless output name
    in a thousand is cheaper than overwriting a speech. A database also
    protects its SQLite side files (``-wal``, ``-shm``, ``-journal``).
    """

    def __init__(self, specs: Iterable[str | os.PathLike] = (), databases: Iterable[str | os.PathLike] = ()):
        self.ids: set[tuple[int, int]] = set()
        for spec in specs:
            self._add_spec(os.fspath(spec))
        for db in databases:
            db = os.fspath(db)
            for name in (db, db + "-wal", db + "-shm", db + "-journal"):
                self._add(name)

    def _add_spec(self, spec: str) -> None:
        if spec == "-" or spec.startswith("-#"):
            self._add_stdin()
        self._add(spec)
        for i, ch in enumerate(spec):
            if ch == "#" and i:
                self._add(spec[:i])

    def _add_stdin(self) -> None:
        # `summarize - -o a.txt < a.txt`: stdin redirected from the output file
        try:
            st = os.fstat(sys.stdin.fileno())
        except (OSError, ValueError, AttributeError):
            return
        if stat.S_ISREG(st.st_mode):
            self.ids.add((st.st_dev, st.st_ino))

    def _add(self, name: str) -> None:
        try:
            st = os.stat(name)  # follows symlinks: the file a reader opens
        except (OSError, ValueError):  # missing, unreadable folder, NUL in the name
            return
        self.ids.add((st.st_dev, st.st_ino))

    def holds(self, st: os.stat_result) -> bool:
        return (st.st_dev, st.st_ino) in self.ids

    def __repr__(self) -> str:
        return f"Inputs({len(self.ids)} files)"


def _inputs(inputs) -> Inputs:
    return inputs if isinstance(inputs, Inputs) else Inputs(inputs or ())


# ---------------------------------------------------------------- checks


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise SpeechdiffError(f"{path}: a folder in this path is a file") from None
    except OSError as e:
        raise SpeechdiffError(f"{path}: {e.strerror}") from None
    except ValueError:  # a NUL byte in the name
        raise SpeechdiffError(f"{str(path)!r}: not a valid file name") from None


def check_output(path: str | os.PathLike, inputs: Inputs | Iterable[str] = (), follow: bool = False) -> Path:
    """``path`` as a Path, if writing there loses nothing: it is missing or a
    regular file, and not one of ``inputs``. With ``follow`` a symlink is
    judged by its target (a database may be reached through a link); an
    output is never written through one."""
    inputs = _inputs(inputs)
    name = os.fspath(path)
    if not name:
        raise SpeechdiffError("empty output file name")
    target = Path(name)
    st = _lstat(target)
    if st is not None and stat.S_ISLNK(st.st_mode):
        if not follow:
            raise SpeechdiffError(f"{name}: is a symbolic link; speechdiff writes only regular files (name the file itself, or -o - for stdout)")
        try:
            st = os.stat(target)
        except OSError:
            raise SpeechdiffError(f"{name}: is a broken symbolic link") from None
    if st is None:
        try:
            parent = os.stat(target.parent)
        except OSError:
            parent = None  # missing: made when writing
        if parent is not None and not stat.S_ISDIR(parent.st_mode):
            raise SpeechdiffError(f"{name}: {target.parent} is not a folder")
        return target
    if stat.S_ISDIR(st.st_mode):
        raise SpeechdiffError(f"{name}: is a directory; give a file name")
    if not stat.S_ISREG(st.st_mode):
        raise SpeechdiffError(f"{name}: is not a regular file (a FIFO, device or socket); use -o - to write to stdout")
    if inputs.holds(st):
        raise SpeechdiffError(f"{name}: is an input file (or a database) of this run; refusing to overwrite it")
    return target


# ---------------------------------------------------------------- temporary files and signals

_temps: set[str] = set()
_temps_lock = threading.Lock()


def _register(path: str) -> None:
    with _temps_lock:
        _temps.add(path)


def _unregister(path: str) -> None:
    with _temps_lock:
        _temps.discard(path)


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def remove_temporaries() -> None:
    """Delete every temporary file or folder a write left unfinished."""
    with _temps_lock:
        paths = list(_temps)
        _temps.clear()
    for path in paths:
        _remove(path)


CLEANUP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def cleanup_on_signals(signals=CLEANUP_SIGNALS) -> Iterator[None]:
    """While inside, a signal in ``signals`` first removes unfinished
    temporary files, then does what it would have done anyway (the previous
    handler runs, or the default action: a TERM still kills with status
    -15). Handlers can only be set from the main thread; elsewhere this does
    nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in signals}

    def handler(signum, frame):
        remove_temporaries()
        before = previous[signum]
        if before is None:  # set outside Python: treat as the default
            before = signal.SIG_DFL
        signal.signal(signum, before)
        if callable(before):
            before(signum, frame)  # e.g. Python's own SIGINT -> KeyboardInterrupt
        elif before == signal.SIG_DFL:
            os.kill(os.getpid(), signum)  # delivered on return: the process ends as the signal says

    for s in signals:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, before in previous.items():
            signal.signal(s, before if before is not None else signal.SIG_DFL)


# ---------------------------------------------------------------- writing


def _write_stdout(content: str | bytes) -> None:
    import click

    if isinstance(content, bytes):
        click.get_binary_stream("stdout").write(content)
    else:
        click.echo(content, nl=False, color=True)  # styles are in only when --color asked for them


def write_atomic(path: str | os.PathLike, content: str | bytes | Iterable[str], inputs: Inputs | Iterable[str] = ()) -> Path | None:
    """Write ``content`` (text, bytes, or text in pieces) to ``path`` via a
    temporary file in the same folder and a rename, so a reader never sees
    half a file; refuse anything ``check_output`` refuses. ``-`` writes to
    stdout (returns None)."""
    pieces = [content] if isinstance(content, (str, bytes)) else content
    if os.fspath(path) == STDOUT:
        for piece in pieces:
            _write_stdout(piece)
        return None
    inputs = _inputs(inputs)
    target = check_output(path, inputs)
    target.parent.mkdir(parents=True, exist_ok=True)
    existing = _lstat(target)
    # an existing output keeps its permissions; a new one gets the umask's (mkstemp makes 0600)
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    _register(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            for piece in pieces:
                f.write(piece if isinstance(piece, bytes) else piece.encode("utf-8"))
        os.chmod(tmp, mode)
        check_output(target, inputs)  # once more just before the rename: the name may have changed meanwhile
        os.replace(tmp, target)
    finally:
        _unregister(tmp)
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return target


def _check_folder(folder: Path, inputs: Inputs, owned: re.Pattern) -> bool:
    """True if ``folder`` exists and may be replaced: a real folder holding
    only regular files named like speechdiff's own (``owned``), none an input."""
    st = _lstat(folder)
    if st is None:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise SpeechdiffError(f"{folder}: is a symbolic link; refusing to replace it")
    if not stat.S_ISDIR(st.st_mode):
        raise SpeechdiffError(f"{folder}: exists and is not a folder; refusing to replace it")
    with os.scandir(folder) as entries:
        for entry in entries:
            if not (entry.is_file(follow_symlinks=False) and owned.fullmatch(entry.name)):
                raise SpeechdiffError(f"{folder}: holds {entry.name!r}, which speechdiff did not write; move the folder away or choose another -o")
            if inputs.holds(entry.stat(follow_symlinks=False)):
                raise SpeechdiffError(f"{folder / entry.name}: is an input file of this run; refusing to replace its folder")
    return True


def check_folder(folder: str | os.PathLike, inputs: Inputs | Iterable[str] = (), owned: str = r".*") -> None:
    """Refuse now what ``fresh_folder(folder, inputs, owned)`` would refuse
    after the work (a link, a file, a folder holding other files or an input)."""
    _check_folder(Path(folder), _inputs(inputs), re.compile(owned))


@contextlib.contextmanager
def fresh_folder(folder: str | os.PathLike, inputs: Inputs | Iterable[str] = (), owned: str = r".*") -> Iterator[Path]:
    """A new, empty temporary folder next to ``folder``; when the block ends
    without an error it replaces ``folder``, so the result never mixes files
    of two runs. An existing ``folder`` is replaced only if every file in it
    matches ``owned`` (speechdiff's own names) and none is an input."""
    inputs = _inputs(inputs)
    folder = Path(folder)
    pattern = re.compile(owned)
    _check_folder(folder, inputs, pattern)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp")
    _register(tmp)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
        if _check_folder(folder, inputs, pattern):
            old = tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".old.tmp")
            _register(old)
            os.replace(folder, old)  # onto the empty folder just made: rename replaces an empty directory
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
            _unregister(old)
        else:
            os.replace(tmp, folder)
    finally:
        _unregister(tmp)
        if os.path.lexists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def remove_folder(folder: str | os.PathLike, inputs: Inputs | Iterable[str] = (), owned: str = r".*") -> bool:
    """Remove an earlier run's ``folder`` (only if ``fresh_folder`` could
    replace it); True if there was one."""
    folder = Path(folder)
    if not _check_folder(folder, _inputs(inputs), re.compile(owned)):
        return False
    shutil.rmtree(folder)
    return True
