"""A corpus that persists: cleaned speeches, their sentences and
fingerprints in SQLite, so a new speech can be checked against thousands of
earlier ones without reading them again.

What the index guarantees
-------------------------

* It only touches its own databases. A speechdiff corpus carries
  ``PRAGMA application_id = 0x53444946`` (ASCII "SDIF") and
  ``PRAGMA user_version = 2`` (the schema version). Both are read from the
  file's 100-byte header with a plain ``read()`` before SQLite opens it, so a
  foreign SQLite file, a text file, a truncated or 0-byte file is refused
  (one :class:`SpeechdiffError` line) and left byte-identical; then, under a
  read lock, the file's length is checked against the page count the header
  declares and every table's columns against the schema. Only ``connect``
  with ``create=True`` (``index add``) initialises a database, and only a
  missing or 0-byte file.
* Each file is added in one transaction (``BEGIN IMMEDIATE``, re-checked
  inside the lock): an interrupted run leaves every file either fully
  indexed or absent, and any number of processes may add, remove and query
  at once; a writer waits for another (``busy_timeout``, BUSY_TIMEOUT
  seconds) instead of failing, and a file added meanwhile by another process
  is reported unchanged. Queries read one consistent snapshot.
* A database whose file or folder is not writable (file mode, including a
  ``chmod a-w`` as root) is read, never written: adding or removing gives
  one line. A malformed row gives one line naming the file to re-add, and
  re-adding it repairs it.

Fingerprint postings
--------------------

``diff --against`` needs, for each of the new speech's fingerprints
(``corpus.fingerprint``: sorted distinct 64-bit hashes), whether any stored
speech has it and which ones do. One SQLite row per (hash, speech) would cost
a random B-tree insert per fingerprint (~4,500 per speech), too slow to add
and to aggregate. Instead the postings are a small log-structured merge tree
of sorted *segments* stored as BLOB *chunks*:

* A newly added speech's postings are just its ``fingerprints`` row
  ("pending": speech ids above ``meta.postings_upto``); a query reads pending
  rows whole.
* When pending postings reach ``Layout.flush``, they are merged with the
  level-1 segment into a new level-1 segment; a level ``L`` segment holding
  more than ``flush * fanout**L`` postings is merged into level ``L + 1``.
  Each level holds at most one segment, so a query visits a handful, and
  each segment covers a contiguous range of speech ids. Every merge is its
  own transaction and streams its inputs chunk by chunk (memory bounded by a
  few chunks per input, not by the corpus).
* A segment is a sequence of (hash, speech id) postings sorted by hash then
  id, cut into chunks of about ``Layout.chunk`` postings, only between
  different hashes; a chunk row stores each distinct hash once with its
  count, then the speech ids. A chunk row is keyed by its last hash, so the chunk that
  may hold hash ``h`` is the first with ``last_key >= h``: a query probes
  one chunk per distinct hash of its own (SQLite's index does the lookup),
  so its cost grows with its own size and its matches, not with the corpus.
* Removing a speech leaves its postings in place and records its id in
  ``dead`` (a trigger); queries ignore dead ids and merges drop them.

Schema 2 also has a ``results`` table (empty so far) for per-speech results
computed once and read back (summaries, keywords …): keyed by speech, kind
and the settings that produced them, deleted with the speech.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import numpy as np

from . import arrays, corpus
from .model import Speech, SpeechdiffError
from .outline import parse_outline

APPLICATION_ID = 0x53444946  # "SDIF": PRAGMA application_id of every speechdiff corpus
SCHEMA_VERSION = 2  # PRAGMA user_version; 1 was the unversioned schema before postings
BUSY_TIMEOUT = 600.0  # seconds a writer waits for another (the largest merge at 10,000 speeches takes ~10 s)
SQLITE_MAGIC = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,  -- the resolved path, or the name given to text read from stdin
    sha256 TEXT NOT NULL,
    added TEXT NOT NULL
);
CREATE INDEX files_by_sha256 ON files (sha256);
CREATE TABLE speeches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: postings of a removed speech name its id
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT NOT NULL,
    speaker TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (file_id, ordinal)
);
CREATE INDEX speeches_by_text ON speeches (text_sha256);
CREATE TABLE fingerprints (
    speech_id INTEGER PRIMARY KEY REFERENCES speeches(id) ON DELETE CASCADE,
    hashes BLOB NOT NULL  -- sorted distinct uint64 shingle hashes, little-endian
);
CREATE TABLE sentences (
    id INTEGER PRIMARY KEY,
    speech_id INTEGER NOT NULL REFERENCES speeches(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    path TEXT NOT NULL,
    heading INTEGER NOT NULL,
    text TEXT NOT NULL,
    key_hash INTEGER  -- NULL when too short to be a reused sentence
);
CREATE INDEX sentences_by_key ON sentences (key_hash, speech_id);
CREATE INDEX sentences_by_speech ON sentences (speech_id);
CREATE TABLE segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    level INTEGER NOT NULL UNIQUE,  -- negative while a merge writes it
    first_speech INTEGER NOT NULL,  -- the speech ids whose postings it holds
    last_speech INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    chunks INTEGER NOT NULL
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    segment INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    last_key INTEGER NOT NULL,  -- _sql_key of the chunk's last hash
    hashes BLOB NOT NULL,  -- its distinct hashes, ascending uint64 little-endian
    counts BLOB NOT NULL,  -- per hash, how many speeches have it: uint32
    speeches BLOB NOT NULL,  -- those speech ids, hash after hash, ascending within a hash: uint32
    UNIQUE (segment, last_key)
);
CREATE TABLE dead (speech_id INTEGER PRIMARY KEY);
CREATE TRIGGER speeches_dead AFTER DELETE ON speeches
    WHEN OLD.id <= (SELECT CAST(value AS INTEGER) FROM meta WHERE name = 'postings_upto')
    BEGIN INSERT OR IGNORE INTO dead VALUES (OLD.id); END;
CREATE TABLE results (
    speech_id INTEGER NOT NULL REFERENCES speeches(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,  -- units, keys, summary, keywords ...
    settings TEXT NOT NULL,  -- the settings that produced it, canonical JSON
    version TEXT NOT NULL,  -- speechdiff version that computed it
    data BLOB NOT NULL,
    PRIMARY KEY (speech_id, kind, settings)
);
"""

RECORD_KIND = "record"  # results.kind of a speech's corpus.SpeechRecord (corpus.encode_record)

# Columns of each table, checked on open (a table of another shape is refused).
TABLES = {
    "meta": ["name", "value"],
    "files": ["id", "path", "sha256", "added"],
    "speeches": ["id", "file_id", "ordinal", "source", "title", "date", "speaker", "text_sha256", "text"],
    "fingerprints": ["speech_id", "hashes"],
    "sentences": ["id", "speech_id", "position", "start", "end", "path", "heading", "text", "key_hash"],
    "segments": ["id", "level", "first_speech", "last_speech", "entries", "chunks"],
    "chunks": ["id", "segment", "last_key", "hashes", "counts", "speeches"],
    "dead": ["speech_id"],
    "results": ["speech_id", "kind", "settings", "version", "data"],
}

_DTYPE = np.dtype("<u8")
_IDS = np.dtype("<u4")  # speech ids and counts in chunks
_SIGN = np.uint64(1 << 63)


@dataclass(frozen=True)
class Layout:
    """How the postings are laid out; fixed when a database is created
    (stored in ``meta``).

    ``chunk``: postings per chunk row (4 to 16 bytes each: 256 fit one 4 KB
    page; a query reads one chunk per distinct hash of its own in each
    large segment, so smaller chunks read less, larger ones write fewer rows).
    ``flush``: pending postings (about 4,500 per speech) merged into level 1
    at once. ``fanout``: each level holds up to this many times the one
    above (more levels to visit with a small fanout, more rewriting with a
    large one)."""

    chunk: int = 256
    flush: int = 1 << 17
    fanout: int = 8

    def __post_init__(self):
        for name, low in (("chunk", 1), ("flush", 1), ("fanout", 2)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"Layout.{name} must be an integer >= {low}, got {value!r}")

    def capacity(self, level: int) -> int:
        return self.flush * self.fanout**level


class Corpus(sqlite3.Connection):
    """An open corpus database: an sqlite3 connection (autocommit; every
    write in an explicit transaction) that knows its path and layout."""

    path: str
    layout: Layout


# ---------------------------------------------------------------- opening


def connect(path: str | os.PathLike, create: bool = True, layout: Layout | None = None) -> Corpus:
    """Open a corpus database after checking it is one. With ``create``
    (for adding), a missing or 0-byte file is initialised with ``layout``,
    and an unwritable database is refused; without, the database must exist
    (a read-only one is fine: it is only read)."""
    p = Path(path)
    name = str(path)
    if p.is_dir():
        raise SpeechdiffError(f"{name}: is a directory, not a corpus database")
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        size = None
    except OSError as e:
        raise SpeechdiffError(f"{name}: {e.strerror}") from None
    if size is None and not create:
        raise SpeechdiffError(f"{name}: no such corpus database (create it with `speechdiff index add FILE... --db {name}`)")
    if size == 0 and not create:
        raise SpeechdiffError(f"{name}: empty file, not a speechdiff corpus database")
    if size:
        _check_header(p, name)  # a plain read: nothing is opened for writing before this passes
    if create:
        _check_writable(p, name)
    uri = f"file:{quote(str(p.resolve()))}?mode={'rwc' if create else 'rw'}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None, factory=Corpus)
    except sqlite3.Error as e:
        raise SpeechdiffError(f"{name}: cannot open ({e})") from None
    conn.path = name
    try:
        with _errors(conn):
            conn.execute("PRAGMA foreign_keys = ON")
            if create and not size:
                _initialise(conn, layout or Layout())
            conn.layout = _verify(conn)
    except BaseException:
        conn.close()
        if size is None and p.exists() and p.stat().st_size == 0:
            p.unlink()  # created by this call and never initialised
        raise
    return conn


def _check_header(p: Path, name: str) -> None:
    """Refuse anything whose header is not a speechdiff corpus of this schema."""
    try:
        with open(p, "rb") as f:
            head = f.read(100)
    except OSError as e:
        raise SpeechdiffError(f"{name}: {e.strerror}") from None
    if head[:16] != SQLITE_MAGIC[: len(head[:16])]:
        raise SpeechdiffError(f"{name}: not a speechdiff corpus database (not an SQLite file)")
    if len(head) < 100:
        raise SpeechdiffError(f"{name}: not a speechdiff corpus database (truncated: {len(head)} bytes, shorter than an SQLite header)")
    application = int.from_bytes(head[68:72], "big")
    version = int.from_bytes(head[60:64], "big")
    if application != APPLICATION_ID:
        old = _old_schema(p, head)
        if old:
            raise SpeechdiffError(f"{name}: a speechdiff corpus of schema {old}; this speechdiff reads schema {SCHEMA_VERSION}: "
                                  f"rebuild it with `speechdiff index add FILE... --db NEW.sqlite`")
        other = f", application id {application:#010x}" if application else ""
        raise SpeechdiffError(f"{name}: not a speechdiff corpus database (an SQLite database of another application{other})")
    if version != SCHEMA_VERSION:
        newer = "a newer" if version > SCHEMA_VERSION else "an older"
        raise SpeechdiffError(f"{name}: speechdiff corpus schema {version}, made by {newer} speechdiff; this one reads schema "
                              f"{SCHEMA_VERSION}: rebuild it with `speechdiff index add FILE... --db NEW.sqlite`")


def _explain_truncation(name: str) -> None:
    """Raise "truncated" when the file is shorter than its header's page
    count says (offset 28, valid when the change counter at 24 equals the
    version-valid-for number at 92), or not a whole number of pages."""
    with open(name, "rb") as f:
        head = f.read(100)
        size = f.seek(0, os.SEEK_END)
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big") if head[24:28] == head[92:96] else 0
    if page_size and (size < page_size * pages or size % page_size):
        raise SpeechdiffError(f"{name}: truncated ({size} bytes of {max(page_size * pages, size)}); "
                              "restore it from a copy or rebuild it")


def _old_schema(p: Path, head: bytes) -> str | None:
    """The schema of a corpus made before application ids (schema 1 kept it
    in its meta table), or None. Opened immutable and read-only, so SQLite
    neither locks, nor writes, nor creates journal files; only a
    rollback-journal database (header bytes 18-19 = 1) is looked into."""
    if head[18:20] != b"\x01\x01":
        return None
    try:
        probe = sqlite3.connect(f"file:{quote(str(p.resolve()))}?mode=ro&immutable=1", uri=True)
        try:
            row = probe.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        finally:
            probe.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def _writable(path: Path) -> bool:
    """Writable for this user, and not marked read-only: a ``chmod a-w``
    is honoured even by root, whom the kernel would let write."""
    try:
        return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)
    except OSError:
        return False


def _check_writable(p: Path, name: str) -> None:
    if p.exists() and not _writable(p):
        raise SpeechdiffError(f"{name}: read-only database (its file is not writable); it can be queried, not changed")
    folder = p.resolve().parent
    if not folder.is_dir():
        raise SpeechdiffError(f"{name}: no such folder {folder}")
    if not _writable(folder):
        raise SpeechdiffError(f"{name}: read-only folder {folder} (SQLite writes its journal beside the database); "
                              "it can be queried, not changed")


def _initialise(conn: Corpus, layout: Layout) -> None:
    with _write(conn):
        # inside the write lock: another process may have initialised it meanwhile
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
        if tables or conn.execute("PRAGMA application_id").fetchone()[0]:
            return
        for statement in SCHEMA.split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("shingle", str(corpus.SHINGLE)), ("postings_upto", "0"),
            ("layout.chunk", str(layout.chunk)), ("layout.flush", str(layout.flush)), ("layout.fanout", str(layout.fanout)),
        ])
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _verify(conn: Corpus) -> Layout:
    """Checks needing SQLite, under a read lock (no writer can commit
    meanwhile, so the file's length is stable): length, tables, settings."""
    name = conn.path
    with _reading(conn):
        # the first read takes the shared lock (and SQLite rolls back a hot journal, our own);
        # SQLite refuses a file shorter than the page count its header declares
        try:
            application = conn.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.DatabaseError:
            _explain_truncation(conn.path)
            raise
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if application != APPLICATION_ID or version != SCHEMA_VERSION:
            raise SpeechdiffError(f"{name}: not a speechdiff corpus database of schema {SCHEMA_VERSION}")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size = os.stat(conn.path).st_size
        if size < page_size * pages or size % page_size:
            raise SpeechdiffError(f"{name}: truncated ({size} bytes of {page_size * pages}); restore it from a copy or rebuild it")
        for table, columns in TABLES.items():
            found = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            if found != columns:
                shape = f"columns {', '.join(found)}" if found else "missing"
                raise SpeechdiffError(f"{name}: not a speechdiff corpus database of the expected shape (table {table}: {shape})")
        meta = dict(conn.execute("SELECT name, value FROM meta"))
        if meta.get("shingle") != str(corpus.SHINGLE):
            raise SpeechdiffError(f"{name}: fingerprints of {meta.get('shingle')}-character runs, this speechdiff uses "
                                  f"{corpus.SHINGLE}: rebuild it with `speechdiff index add FILE... --db NEW.sqlite`")
        try:
            int(meta["postings_upto"])
            return Layout(int(meta["layout.chunk"]), int(meta["layout.flush"]), int(meta["layout.fanout"]))
        except (KeyError, ValueError):
            raise SpeechdiffError(f"{name}: damaged settings in its meta table; rebuild it") from None


# ---------------------------------------------------------------- transactions and errors


@contextmanager
def _errors(conn: Corpus):
    """SQLite's exceptions as one line naming the database."""
    try:
        yield
    except sqlite3.OperationalError as e:
        message = str(e)
        if "locked" in message or "busy" in message:
            raise SpeechdiffError(f"{conn.path}: locked by another process for more than {BUSY_TIMEOUT:.0f} s") from None
        if "readonly" in message or "read-only" in message or "unable to open" in message:
            raise SpeechdiffError(f"{conn.path}: read-only database (cannot write it or its journal): {message}") from None
        raise SpeechdiffError(f"{conn.path}: {message}") from None
    except sqlite3.DatabaseError as e:
        raise SpeechdiffError(f"{conn.path}: damaged corpus database ({e}); restore it from a copy or rebuild it") from None


@contextmanager
def _write(conn: Corpus):
    """One write transaction. BEGIN IMMEDIATE takes the write lock at once
    (waiting up to BUSY_TIMEOUT), so what is read inside stays true until
    the commit; any exception (Ctrl-C too) rolls everything back."""
    with _errors(conn):
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            _rollback(conn)
            raise
        conn.execute("COMMIT")


def _rollback(conn: Corpus) -> None:
    """Roll back an open transaction while another error is being raised."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the error being raised says more


@contextmanager
def _reading(conn: Corpus):
    """One read transaction: every SELECT inside sees the same snapshot."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        _rollback(conn)
        raise
    if conn.in_transaction:
        conn.execute("COMMIT")


def _guarded(fn):
    """Run a public function with SQLite errors turned into one line."""
    import functools

    @functools.wraps(fn)
    def wrapper(conn, *args, **kwargs):
        with _errors(conn):
            return fn(conn, *args, **kwargs)

    return wrapper


def _damaged_row(conn: Corpus, speech_id: int, what: str) -> SpeechdiffError:
    row = conn.execute("SELECT f.path, s.ordinal FROM speeches s JOIN files f ON f.id = s.file_id WHERE s.id = ?",
                       (speech_id,)).fetchone()
    where = f"{row[0]} (speech #{row[1]})" if row else f"speech {speech_id}"
    again = f"; re-add it: speechdiff index add {row[0]} --db {conn.path}" if row else "; rebuild the database"
    return SpeechdiffError(f"{conn.path}: damaged {what} for {where}{again}")


def _hashes(conn: Corpus, speech_id: int, blob) -> np.ndarray:
    """A stored fingerprint set, checked: whole uint64s, strictly increasing."""
    if not isinstance(blob, bytes) or len(blob) % _DTYPE.itemsize:
        raise _damaged_row(conn, speech_id, "fingerprints")
    hashes = np.frombuffer(blob, dtype=_DTYPE)
    if len(hashes) > 1 and not (hashes[1:] > hashes[:-1]).all():
        raise _damaged_row(conn, speech_id, "fingerprints")
    return hashes


# ---------------------------------------------------------------- adding and removing files


def key_hash(text_key: str) -> int | None:
    """Stable signed 64-bit id of a sentence key (SQLite integers are signed)."""
    if len(text_key) < corpus.MIN_PHRASE:
        return None
    return int.from_bytes(hashlib.blake2b(text_key.encode(), digest_size=8).digest(), "little", signed=True)


def _sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _intact(conn: Corpus, file_id: int) -> bool:
    """Are the file's stored speeches readable (so re-adding it may skip it)?"""
    rows = conn.execute(
        "SELECT s.id, typeof(s.text), typeof(s.title), typeof(s.source), f.hashes FROM speeches s"
        " LEFT JOIN fingerprints f ON f.speech_id = s.id WHERE s.file_id = ?", (file_id,)).fetchall()
    if not rows:
        return False
    for speech_id, *types, blob in rows:
        if types != ["text"] * 3:
            return False
        try:
            _hashes(conn, speech_id, blob)
        except SpeechdiffError:
            return False
    return True


def _stored_count(conn: Corpus, file_id: int) -> int:
    return conn.execute("SELECT COUNT(*) FROM speeches WHERE file_id = ?", (file_id,)).fetchone()[0]


@dataclass
class Prepared:
    """One speech of a file, ready to be stored: what ``add_file`` writes,
    computed outside the database (in parallel, by ``prepare``)."""

    meta: tuple[str, str, str, str, str]  # source, title, date, speaker, text
    set: bytes  # sorted distinct fingerprint hashes, uint64 little-endian
    sentences: list[tuple]  # (position, start, end, path, heading, text, key_hash) per unit
    record: bytes  # corpus.encode_record


def prepare(raw: str, source: str, settings: "corpus.RecordSettings" = None) -> list[Prepared]:
    """The per-speech work of indexing a file's text: clean, split, outline,
    fingerprints, tokens, summary (``corpus.speech_record``). Pure: runs anywhere."""
    from . import load_text

    settings = settings or corpus.RecordSettings()
    out = []
    for s in load_text(raw, source):
        record = corpus.speech_record(s, settings)
        fp = record.fingerprint
        out.append(Prepared(
            (s.source, s.title, s.date, s.speaker, s.text), fp.set.astype(_DTYPE).tobytes(),
            [(u.index, u.start, u.end, u.path, int(u.heading), u.text, key_hash(k)) for u, k in zip(fp.units, fp.keys)],
            corpus.encode_record(record)))
    return out


def entry_of(path: str | os.PathLike, digest: str, name: str | None = None) -> tuple[str, str]:
    """(files.path, source name) of a file: its resolved path and base name;
    text from stdin by ``name``, or ``stdin:`` and the start of its SHA-256."""
    if name:
        return name, name
    if str(path) == "-":
        return f"stdin:{digest[:12]}", f"stdin:{digest[:12]}"
    return str(Path(path).resolve()), os.path.basename(str(path))


@_guarded
def unchanged(conn: Corpus, path: str | os.PathLike, digest: str, name: str | None = None) -> int | None:
    """The stored speech count when this content is already indexed under
    this entry, intact; else None (it must be prepared and added)."""
    entry, _ = entry_of(path, digest, name)
    row = conn.execute("SELECT id, sha256 FROM files WHERE path = ?", (entry,)).fetchone()
    if row and row[1] == digest and _intact(conn, row[0]):
        return _stored_count(conn, row[0])
    return None


@_guarded
def add_file(conn: Corpus, path: str | os.PathLike, name: str | None = None,
             settings: "corpus.RecordSettings" = None, raw: str | None = None,
             prepared: "list[Prepared] | None" = None) -> tuple[str, int]:
    """Index the speeches of one file (``-``: stdin). Returns (status,
    speech count): status is added, updated (content changed), repaired (a
    damaged entry written again), unchanged, or duplicate of another entry
    (the same content is indexed under that name; this entry's earlier
    speeches, if any, are removed).

    Entries are keyed by the file's resolved path; text from stdin by
    ``name``, or without one by ``stdin:`` and the start of its SHA-256.
    ``raw`` (the file's decoded text) and ``prepared`` (``prepare`` of it,
    done elsewhere, e.g. on a Dask worker) save reading and computing again."""
    from . import read_text

    if name is not None and (not name.strip() or any(c in name for c in "\r\n\t")):
        raise SpeechdiffError(f"{name!r}: a name must be one line of text")
    settings = settings or corpus.RecordSettings()
    raw = read_text(path) if raw is None else raw  # decoded and checked: missing, empty and binary files fail here
    digest = _sha256(raw)
    entry, source = entry_of(path, digest, name)
    row = conn.execute("SELECT id, sha256 FROM files WHERE path = ?", (entry,)).fetchone()
    if row and row[1] == digest and _intact(conn, row[0]):
        return "unchanged", _stored_count(conn, row[0])
    prepared = prepared if prepared is not None else prepare(raw, source, settings)
    if not prepared:
        raise SpeechdiffError(f"{path}: no speech text found after cleaning")
    with _write(conn):  # one transaction per file
        row = conn.execute("SELECT id, sha256 FROM files WHERE path = ?", (entry,)).fetchone()
        if row and row[1] == digest and _intact(conn, row[0]):
            return "unchanged", _stored_count(conn, row[0])  # another process added it meanwhile
        other = conn.execute("SELECT path FROM files WHERE sha256 = ? AND path != ?", (digest, entry)).fetchone()
        if other:
            if row:  # its content changed into another entry's: its old speeches exist nowhere any more
                conn.execute("DELETE FROM files WHERE id = ?", (row[0],))
                return f"duplicate of {other[0]} (its earlier speeches removed)", 0
            return f"duplicate of {other[0]}", 0
        if row:
            conn.execute("DELETE FROM files WHERE id = ?", (row[0],))
        file_id = conn.execute(
            "INSERT INTO files (path, sha256, added) VALUES (?, ?, ?)",
            (entry, digest, datetime.now(timezone.utc).isoformat(timespec="seconds")),
        ).lastrowid
        for ordinal, item in enumerate(prepared, 1):
            source_name, title, date, speaker, text = item.meta
            speech_id = conn.execute(
                "INSERT INTO speeches (file_id, ordinal, source, title, date, speaker, text_sha256, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (file_id, ordinal, source_name, title, date, speaker, _sha256(text), text),
            ).lastrowid
            conn.execute("INSERT INTO fingerprints VALUES (?, ?)", (speech_id, item.set))
            conn.executemany(
                "INSERT INTO sentences (speech_id, position, start, end, path, heading, text, key_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(speech_id, *sentence) for sentence in item.sentences],
            )
            conn.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?)", (speech_id, RECORD_KIND, settings.key(), _version(), item.record))
    maintain(conn)
    if not row:
        return "added", len(prepared)
    return ("repaired" if row[1] == digest else "updated"), len(prepared)


@_guarded
def remove_file(conn: Corpus, path: str | os.PathLike) -> int:
    """Drop a file's speeches (the file need not exist any more; a name
    given to stdin text works too); returns how many were removed, 0 when
    it was not indexed."""
    _check_writable(Path(conn.path), conn.path)
    with _write(conn):
        row = None
        for entry in dict.fromkeys((str(Path(path).resolve()), str(path))):
            row = row or conn.execute("SELECT id FROM files WHERE path = ?", (entry,)).fetchone()
        if not row:
            return 0
        count = _stored_count(conn, row[0])
        conn.execute("DELETE FROM files WHERE id = ?", (row[0],))
    return count


# ---------------------------------------------------------------- postings: the merge tree


def _sql_key(hashes: np.ndarray) -> np.ndarray:
    """uint64 hashes as int64 keys in the same order (SQLite integers are
    signed): flipping the top bit maps [0, 2**64) onto [-2**63, 2**63) monotonically."""
    return (hashes ^ _SIGN).view(np.int64)


def _chunks(conn: Corpus, rows: list, segment: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chunk rows (hashes, counts, speeches) laid end to end: the distinct
    hashes, how many postings each has, and the postings' speech ids.
    Checked as a whole (a query reads thousands of rows; a check per row in
    Python would cost as much as the query): BLOBs of whole numbers, one
    count per hash, none zero, as many ids as the counts add up to."""
    try:
        hashes, counts, speeches = (b"".join(column) for column in zip(*rows))
        hashes = np.frombuffer(hashes, dtype=_DTYPE)
        counts = np.frombuffer(counts, dtype=_IDS)
        speeches = np.frombuffer(speeches, dtype=_IDS)
    except (TypeError, ValueError):  # a NULL, a text value, or a length not a multiple of the item size
        raise _damaged_postings(conn, segment) from None
    if len(counts) != len(hashes) or not len(counts) or counts.min() == 0 or int(counts.sum(dtype=np.int64)) != len(speeches):
        raise _damaged_postings(conn, segment)
    return hashes, counts, speeches


def _damaged_postings(conn: Corpus, segment: int) -> SpeechdiffError:
    return SpeechdiffError(f"{conn.path}: damaged posting index (segment {segment}); "
                           "rebuild it with `speechdiff index add FILE... --db NEW.sqlite`")


def _upto(conn: Corpus) -> int:
    return int(conn.execute("SELECT value FROM meta WHERE name = 'postings_upto'").fetchone()[0])


def maintain(conn: Corpus) -> None:
    """Merge postings until every level is within its capacity; each merge
    is its own transaction (another process may have done it meanwhile:
    the state is read again inside the lock)."""
    while True:
        with _write(conn):
            if not _merge_step(conn):
                return


def _merge_step(conn: Corpus) -> bool:
    layout = conn.layout
    upto = _upto(conn)
    levels = {row[1]: row for row in conn.execute("SELECT id, level, first_speech, last_speech, entries FROM segments")}
    pending, newest = conn.execute(
        "SELECT COALESCE(SUM(length(hashes)), 0) / 8, MAX(speech_id) FROM fingerprints WHERE speech_id > ?", (upto,)).fetchone()
    if pending >= layout.flush:
        _merge(conn, 1, [levels.get(1)], pending=(upto, newest))
        conn.execute("UPDATE meta SET value = ? WHERE name = 'postings_upto'", (str(newest),))
        return True
    for level in sorted(levels):
        if levels[level][4] > layout.capacity(level):
            _merge(conn, level + 1, [levels[level], levels.get(level + 1)])
            return True
    return False


def _pending_batches(conn: Corpus, after: int, upto: int):
    """The fingerprints of speeches ``after < id <= upto`` as one sorted batch."""
    hashes, owners = [], []
    # fetched whole (at most about Layout.flush postings): a statement left
    # open by an error would keep the read lock
    rows = conn.execute("SELECT speech_id, hashes FROM fingerprints WHERE speech_id > ? AND speech_id <= ?", (after, upto)).fetchall()
    for speech_id, blob in rows:
        h = _hashes(conn, speech_id, blob)
        hashes.append(h)
        owners.append(np.full(len(h), speech_id, dtype=np.uint32))
    if hashes:
        h, s = np.concatenate(hashes), np.concatenate(owners)
        if len(h):
            order = np.lexsort((s, h))
            yield h[order], s[order]


def _segment_batches(conn: Corpus, segment: int, rows: int = 64):
    """A segment's postings in order, ``rows`` chunks at a time. Each batch
    ends at a chunk's end, hence between two different hashes. Each batch is
    a fresh query (no cursor stays open while the merge writes chunks)."""
    query = "SELECT last_key, hashes, counts, speeches FROM chunks WHERE segment = ? {} ORDER BY last_key LIMIT ?"
    batch = conn.execute(query.format(""), (segment, rows)).fetchall()
    while batch:
        hashes, counts, speeches = _chunks(conn, [row[1:] for row in batch], segment)
        yield np.repeat(hashes, counts), speeches
        batch = conn.execute(query.format("AND last_key > ?"), (segment, batch[-1][0], rows)).fetchall()


def _merged(streams):
    """k-way merge of sorted (hash, speech) batch streams, each batch ending
    between two hashes, the streams holding increasing, disjoint ranges of
    speech ids. Yields sorted batches holding *every* posting of the hashes
    they contain.

    Sorting: the parts are laid end to end in stream order, so for equal
    hashes in increasing speech order; a stable sort by hash alone (timsort:
    it merges the sorted runs) keeps that order.

    Invariant: ``bound`` is the smallest last hash of the buffered batches.
    Everything <= bound is in the buffers: a stream whose buffer ends at
    bound continues after a hash boundary, so with hashes > bound, and the
    other buffers reach beyond bound. So taking every buffered posting
    <= bound takes all postings of those hashes, from every stream."""
    streams = [iter(s) for s in streams]
    buffers = [next(s, None) for s in streams]
    while True:
        live = [i for i, b in enumerate(buffers) if b is not None]
        if not live:
            return
        bound = min(buffers[i][0][-1] for i in live)
        hashes, owners = [], []
        for i in live:
            h, s = buffers[i]
            cut = int(np.searchsorted(h, bound, side="right"))
            hashes.append(h[:cut])
            owners.append(s[:cut])
            buffers[i] = (h[cut:], s[cut:]) if cut < len(h) else next(streams[i], None)
        h, s = np.concatenate(hashes), np.concatenate(owners)
        order = np.argsort(h, kind="stable")
        yield h[order], s[order]


class _ChunkWriter:
    """Cuts a stream of sorted postings into chunk rows of about ``size``
    postings, only between two different hashes (so one hash's postings sit
    in one chunk, and a chunk is found by its last hash). A chunk stores each
    distinct hash once, with its count: a boilerplate hash held by thousands
    of speeches costs 4 bytes per speech, not 12."""

    def __init__(self, conn: Corpus, segment: int, size: int):
        self.conn, self.segment, self.size = conn, segment, size
        self.hashes = np.zeros(0, dtype=np.uint64)
        self.owners = np.zeros(0, dtype=np.uint32)
        self.entries = self.chunks = 0

    def add(self, hashes: np.ndarray, owners: np.ndarray) -> None:
        if not len(hashes):
            return
        self.hashes = np.concatenate((self.hashes, hashes))
        self.owners = np.concatenate((self.owners, owners.astype(np.uint32, copy=False)))
        if len(self.hashes) >= self.size:
            self._emit(final=False)

    def close(self) -> None:
        self._emit(final=True)

    def _emit(self, final: bool) -> None:
        h, s = self.hashes, self.owners
        n = len(h)
        if not n:
            return
        # positions where a new hash starts (the first one, 0, included), and the end
        starts = np.concatenate(([0], np.flatnonzero(h[1:] != h[:-1]) + 1))
        bounds = np.append(starts, n)
        # for every multiple of size, the first hash start at or after it
        cuts = arrays.unique(bounds[np.searchsorted(bounds, np.arange(self.size, n + 1, self.size))])
        if final and (not len(cuts) or cuts[-1] != n):
            cuts = np.append(cuts, n)
        if not len(cuts):
            return
        distinct = h[starts]
        counts = np.diff(bounds).astype(_IDS)
        first_hash = np.searchsorted(starts, np.concatenate(([0], cuts[:-1])))  # distinct-hash range of each chunk
        last_hash = np.searchsorted(starts, cuts)
        keys = _sql_key(distinct[last_hash - 1]).tolist()
        ids = s.astype(_IDS)
        rows = []
        for b, e, hb, he, key in zip(np.concatenate(([0], cuts[:-1])).tolist(), cuts.tolist(), first_hash.tolist(),
                                     last_hash.tolist(), keys):
            rows.append((self.segment, key, distinct[hb:he].astype(_DTYPE).tobytes(), counts[hb:he].tobytes(), ids[b:e].tobytes()))
        self.conn.executemany("INSERT INTO chunks (segment, last_key, hashes, counts, speeches) VALUES (?, ?, ?, ?, ?)", rows)
        end = int(cuts[-1])
        self.entries += end
        self.chunks += len(rows)
        # postings after the last cut: fewer than size, complete hashes
        self.hashes, self.owners = h[end:].copy(), s[end:].copy()


def _merge(conn: Corpus, level: int, inputs: list, pending: tuple[int, int] | None = None) -> None:
    """Replace the ``inputs`` segments (rows of segments, or None) and the
    pending speeches ``pending[0] < id <= pending[1]`` by one segment at
    ``level``, dropping the postings of removed speeches."""
    inputs = sorted((row for row in inputs if row), key=lambda row: row[2])  # by first speech id: see _merged
    streams = [_segment_batches(conn, row[0]) for row in inputs]
    firsts = [row[2] for row in inputs]
    lasts = [row[3] for row in inputs]
    if pending:
        streams.append(_pending_batches(conn, *pending))
        firsts.append(pending[0] + 1)
        lasts.append(pending[1])
    first, last = min(firsts), max(lasts)
    # the inputs cover every posting of ids first..last: those dead there can be dropped
    dead = np.array([r[0] for r in conn.execute("SELECT speech_id FROM dead WHERE speech_id BETWEEN ? AND ?", (first, last))],
                    dtype=np.uint32)
    segment = conn.execute("INSERT INTO segments (level, first_speech, last_speech, entries, chunks) VALUES (?, ?, ?, 0, 0)",
                           (-level, first, last)).lastrowid
    writer = _ChunkWriter(conn, segment, conn.layout.chunk)
    for hashes, owners in _merged(streams):
        if len(dead):
            keep = ~arrays.isin(owners, dead)
            hashes, owners = hashes[keep], owners[keep]
        writer.add(hashes, owners)
    writer.close()
    for row in inputs:
        conn.execute("DELETE FROM segments WHERE id = ?", (row[0],))
    conn.execute("DELETE FROM dead WHERE speech_id BETWEEN ? AND ?", (first, last))
    conn.execute("UPDATE segments SET level = ?, entries = ?, chunks = ? WHERE id = ?", (level, writer.entries, writer.chunks, segment))


@_guarded
def reindex(conn: Corpus) -> None:
    """Rebuild the postings from the stored fingerprints (all speeches
    pending again, then merged); for a damaged posting index."""
    with _write(conn):
        conn.execute("DELETE FROM segments")
        conn.execute("DELETE FROM dead")
        conn.execute("UPDATE meta SET value = '0' WHERE name = 'postings_upto'")
    maintain(conn)


PREFILTER_BITS = 20  # a query's hashes marked in a 2**20-entry table by their top bits: 1 MB, few false hits


def _matches(conn: Corpus, query: np.ndarray, excluded: np.ndarray, rows: int = 256):
    """Every posting of a hash in ``query`` (sorted distinct uint64), except
    those of the ``excluded`` speeches, yielded in batches of (position of
    the hash in ``query``, speech id) arrays: a caller aggregating batch by
    batch holds at most ``rows`` chunks at a time, however many postings match."""
    if not len(query):
        return
    shift = np.uint64(64 - PREFILTER_BITS)
    marked = np.zeros(1 << PREFILTER_BITS, dtype=bool)
    marked[query >> shift] = True
    dropped = np.zeros(int(excluded.max()) + 2 if len(excluded) else 1, dtype=bool)  # last cell: ids beyond, kept
    dropped[excluded] = True

    def hits(hashes: np.ndarray, counts: np.ndarray, speeches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Which distinct hashes are the query's: their top bits are a cheap
        # first test (the hashes are well mixed, splitmix64), the few that
        # pass are looked up exactly. Then each posting takes its hash's
        # position in the query (-1: not in it).
        at = np.flatnonzero(marked[hashes >> shift])
        pos = np.minimum(np.searchsorted(query, hashes[at]), len(query) - 1)
        found = query[pos] == hashes[at]
        position = np.full(len(hashes), -1, dtype=np.int64)
        position[at[found]] = pos[found]
        position = np.repeat(position, counts)
        keep = (position >= 0) & ~dropped[np.minimum(speeches, len(dropped) - 1)]
        return position[keep], speeches[keep]

    for h, s in _pending_batches(conn, _upto(conn), 2**62):
        yield hits(h, np.ones(len(h), dtype=_IDS), s)
    keys = json.dumps(_sql_key(query).tolist())
    for segment, chunks in conn.execute("SELECT id, chunks FROM segments ORDER BY level").fetchall():
        if chunks <= len(query) // 2:  # small: read whole, about what the probes would touch
            cursor = conn.execute("SELECT hashes, counts, speeches FROM chunks WHERE segment = ?", (segment,))
        else:  # one probe per query hash: the first chunk whose last hash is >= it
            cursor = conn.execute(
                "SELECT hashes, counts, speeches FROM chunks WHERE id IN (SELECT (SELECT id FROM chunks WHERE segment = ?1"
                " AND last_key >= j.value ORDER BY last_key LIMIT 1) FROM json_each(?2) AS j)", (segment, keys))
        try:
            while batch := cursor.fetchmany(rows):
                yield hits(*_chunks(conn, batch, segment))
        finally:
            cursor.close()  # an open statement would keep the read lock


# ---------------------------------------------------------------- reading


@dataclass
class StoredSpeech:
    id: int
    source: str
    title: str
    date: str
    speaker: str


def _check_text_rows(conn: Corpus, rows: list) -> None:
    for row in rows:
        if not all(isinstance(v, str) for v in row[1:]):
            raise _damaged_row(conn, row[0], "speech row")


@_guarded
def speeches(conn: Corpus) -> list[StoredSpeech]:
    rows = conn.execute("SELECT id, source, title, date, speaker FROM speeches ORDER BY id").fetchall()
    _check_text_rows(conn, rows)
    return [StoredSpeech(*r) for r in rows]


@_guarded
def load_speeches(conn: Corpus) -> list[Speech]:
    """The indexed speeches, outlined again from their cleaned text."""
    rows = conn.execute("SELECT id, title, date, speaker, source, text FROM speeches ORDER BY id").fetchall()
    _check_text_rows(conn, rows)
    return [Speech(title, date, speaker, source, text, parse_outline(text)) for _, title, date, speaker, source, text in rows]


@_guarded
def speech_ids(conn: Corpus) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM speeches ORDER BY id")]


@_guarded
def record_rows(conn: Corpus, ids: list[int], settings_key: str) -> list[tuple[Speech, bytes | None]]:
    """The speeches ``ids`` (outlined again only when their stored record is
    missing) and each one's stored record for these settings, or None."""
    with _reading(conn):
        rows = conn.execute(
            "SELECT s.id, s.title, s.date, s.speaker, s.source, r.data, CASE WHEN r.data IS NULL THEN s.text END"
            " FROM speeches s LEFT JOIN results r ON r.speech_id = s.id AND r.kind = ? AND r.settings = ?"
            " WHERE s.id IN (SELECT value FROM json_each(?)) ORDER BY s.id",
            (RECORD_KIND, settings_key, json.dumps(list(ids)))).fetchall()
    out = []
    for speech_id, title, date, speaker, source, blob, text in rows:
        # the row's own columns are checked even when its record is used: a
        # damaged row is named (and repaired by re-adding), never passed over
        if not all(isinstance(v, str) for v in (title, date, speaker, source)):
            raise _damaged_row(conn, speech_id, "speech row")
        if blob is not None:
            if not isinstance(blob, bytes):
                raise _damaged_row(conn, speech_id, "stored record")
            out.append((None, blob))  # checked when decoded
        else:
            if not isinstance(text, str):
                raise _damaged_row(conn, speech_id, "speech row")
            out.append((Speech(title, date, speaker, source, text, parse_outline(text)), None))
    return out


def _version() -> str:
    from . import __version__

    return __version__


@_guarded
def counts(conn: Corpus) -> dict[str, int]:
    with _reading(conn):
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("files", "speeches", "sentences")}


# ---------------------------------------------------------------- marking a new speech


@dataclass
class Neighbour:
    speech: StoredSpeech
    shared: float  # share of the new speech's fingerprints this one has


@dataclass
class Marking:
    """A new speech against a stored corpus: how much of each sentence is
    already in it, and in how many earlier speeches each sentence stands
    word for word."""

    speech: Speech
    fingerprint: corpus.Fingerprint = field(repr=False)
    scores: list[float]  # per unit, share of its frame found in the corpus (the rule's coverage)
    uses: list[int]  # per unit, corpus speeches holding the same sentence
    share: float  # share of the speech that is reused frame (boilerplate + edited, by the rule)
    corpus_size: int  # speeches compared against (copies of this very text left out)
    nearest: list[Neighbour]
    labels: object = field(default=None, repr=False)  # boilerplate.Labels: per unit label and the four shares


@_guarded
def mark(conn: Corpus, speech: Speech, nearest: int = 5, rule=None) -> Marking:
    """The speech against every stored speech except copies of its very
    text, read through the postings: time and memory grow with the
    speech's own fingerprints and the postings they match, not with the
    corpus. What is boilerplate is decided by the one rule
    (``boilerplate.label``; default ``Rule()``: a passage recurs when one
    other stored speech has it). Stored copies of one another are counted
    as the speeches they are; only copies of this very text are left out."""
    from . import boilerplate

    rule = rule or boilerplate.Rule()
    fp = corpus.fingerprint(speech)
    with _reading(conn):
        copies = [r[0] for r in conn.execute("SELECT id FROM speeches WHERE text_sha256 = ?", (_sha256(speech.text),))]
        size = conn.execute("SELECT COUNT(*) FROM speeches").fetchone()[0] - len(copies)
        dead = [r[0] for r in conn.execute("SELECT speech_id FROM dead")]
        excluded = arrays.unique(np.array(copies + dead, dtype=np.uint32))
        shared = np.zeros(0, dtype=np.int64)  # per speech id: how many of the speech's fingerprints it has
        holders = np.zeros(len(fp.set), dtype=np.int64)  # per fingerprint: how many other stored speeches have it
        for positions, owners in _matches(conn, fp.set, excluded):
            np.add.at(holders, positions, 1)  # a posting is one (hash, speech): each counts one speech
            counts = np.bincount(owners)
            if len(counts) > len(shared):
                shared = np.concatenate((shared, np.zeros(len(counts) - len(shared), dtype=np.int64)))
            shared[: len(counts)] += counts
        ids = np.flatnonzero(shared)
        # most shared first, ties in id order (the order speeches were stored)
        top = [(int(ids[k]), int(shared[ids[k]])) for k in np.lexsort((ids, -shared[ids]))[:nearest]]
        rows = {r[0]: StoredSpeech(*r) for r in conn.execute(
            f"SELECT id, source, title, date, speaker FROM speeches WHERE id IN ({','.join('?' * len(top))})", [i for i, _ in top])}
        neighbours = [Neighbour(rows[i], c / len(fp.set)) for i, c in top]
        others = corpus.lookup(fp.runs, fp.set, holders)  # per run of the speech: other speeches holding it
        labels = boilerplate.label(fp, boilerplate.recurring(others, rule), rule)
        uses = _sentence_uses(conn, fp, copies)
    return Marking(speech, fp, labels.coverage, uses, labels.reused, size, neighbours, labels)


def _sentence_uses(conn: Corpus, fp: corpus.Fingerprint, copies: list[int]) -> list[int]:
    """Per unit, how many stored speeches (copies of this text left out)
    hold a sentence with the same key: counted in the (key_hash, speech_id) index."""
    hashes = [key_hash(k) for k in fp.keys]
    wanted = sorted({h for h in hashes if h is not None})
    found = dict(conn.execute(
        "SELECT key_hash, COUNT(DISTINCT speech_id) FROM sentences WHERE key_hash IN (SELECT value FROM json_each(?1))"
        " AND speech_id NOT IN (SELECT value FROM json_each(?2)) GROUP BY key_hash",
        (json.dumps(wanted), json.dumps(copies)),
    ))
    return [found.get(h, 0) if h is not None else 0 for h in hashes]
