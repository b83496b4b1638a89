"""A corpus that persists: cleaned speeches, their sentences and
fingerprints in SQLite, so a new speech can be checked against thousands of
earlier ones without reading them again.

Each file is added in one transaction: an interrupted run leaves every file
either fully indexed or absent. Re-adding an unchanged file does nothing; a
changed file replaces its old speeches.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import corpus
from .model import Speech, SpeechdiffError
from .outline import parse_outline

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    added TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS speeches (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT NOT NULL,
    speaker TEXT NOT NULL,
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    fingerprints BLOB NOT NULL,  -- sorted distinct uint64 shingle hashes, little-endian
    UNIQUE (file_id, ordinal)
);
CREATE TABLE IF NOT EXISTS sentences (
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
CREATE INDEX IF NOT EXISTS sentences_by_key ON sentences (key_hash);
CREATE INDEX IF NOT EXISTS sentences_by_speech ON sentences (speech_id);
CREATE INDEX IF NOT EXISTS speeches_by_file ON speeches (file_id);
"""
_DTYPE = np.dtype("<u8")


def connect(path: str | os.PathLike, create: bool = True) -> sqlite3.Connection:
    """Open (and with ``create``, initialise) a corpus database."""
    p = Path(path)
    if not create and not p.exists():
        raise SpeechdiffError(f"{path}: no such corpus database (create it with `speechdiff index add FILES --db {path}`)")
    if p.is_dir():
        raise SpeechdiffError(f"{path}: is a directory, not a corpus database")
    try:
        conn = sqlite3.connect(p)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.executescript(SCHEMA)
        version = conn.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if version is None:
            with conn:
                conn.execute("INSERT INTO meta VALUES ('schema', ?), ('shingle', ?)", (SCHEMA_VERSION, str(corpus.SHINGLE)))
        elif version[0] != SCHEMA_VERSION:
            raise SpeechdiffError(f"{path}: corpus schema {version[0]}, this speechdiff reads {SCHEMA_VERSION}; rebuild it")
    except sqlite3.DatabaseError as e:
        raise SpeechdiffError(f"{path}: not a speechdiff corpus database ({e})") from None
    return conn


def key_hash(text_key: str) -> int | None:
    """Stable signed 64-bit id of a sentence key (SQLite integers are signed)."""
    if len(text_key) < corpus.MIN_PHRASE:
        return None
    return int.from_bytes(hashlib.blake2b(text_key.encode(), digest_size=8).digest(), "little", signed=True)


def _sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def add_file(conn: sqlite3.Connection, path: str | os.PathLike) -> tuple[str, int]:
    """Index the speeches of one file. Returns (status, speech count):
    status is added, updated (content changed), unchanged, or duplicate
    (the same content is indexed under another path)."""
    from . import load_text, read_text

    resolved = str(Path(path).resolve())
    raw = read_text(path)  # decoded and checked: missing, empty and binary files fail here
    digest = _sha256(raw)
    row = conn.execute("SELECT id, sha256 FROM files WHERE path = ?", (resolved,)).fetchone()
    if row and row[1] == digest:
        return "unchanged", conn.execute("SELECT COUNT(*) FROM speeches WHERE file_id = ?", (row[0],)).fetchone()[0]
    other = conn.execute("SELECT path FROM files WHERE sha256 = ? AND path != ?", (digest, resolved)).fetchone()
    if other:
        return f"duplicate of {other[0]}", 0
    speeches = load_text(raw, os.path.basename(str(path)))
    if not speeches:
        raise SpeechdiffError(f"{path}: no speech text found after cleaning")
    prints = [corpus.fingerprint(s) for s in speeches]  # outside the transaction: it is the slow part
    with conn:  # one transaction per file
        if row:
            conn.execute("DELETE FROM files WHERE id = ?", (row[0],))
        file_id = conn.execute(
            "INSERT INTO files (path, sha256, added) VALUES (?, ?, ?)",
            (resolved, digest, datetime.now(timezone.utc).isoformat(timespec="seconds")),
        ).lastrowid
        for ordinal, fp in enumerate(prints, 1):
            s = fp.speech
            speech_id = conn.execute(
                "INSERT INTO speeches (file_id, ordinal, source, title, date, speaker, text, text_sha256, fingerprints)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (file_id, ordinal, s.source, s.title, s.date, s.speaker, s.text, _sha256(s.text), fp.set.astype(_DTYPE).tobytes()),
            ).lastrowid
            conn.executemany(
                "INSERT INTO sentences (speech_id, position, start, end, path, heading, text, key_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(speech_id, u.index, u.start, u.end, u.path, int(u.heading), u.text, key_hash(k)) for u, k in zip(fp.units, fp.keys)],
            )
    return ("updated" if row else "added"), len(speeches)


def remove_file(conn: sqlite3.Connection, path: str | os.PathLike) -> int:
    """Drop a file's speeches (the file need not exist any more); returns
    how many were removed, 0 when it was not indexed."""
    resolved = str(Path(path).resolve())
    with conn:
        row = conn.execute("SELECT id FROM files WHERE path = ?", (resolved,)).fetchone()
        if not row:
            return 0
        count = conn.execute("SELECT COUNT(*) FROM speeches WHERE file_id = ?", (row[0],)).fetchone()[0]
        conn.execute("DELETE FROM files WHERE id = ?", (row[0],))
    return count


@dataclass
class StoredSpeech:
    id: int
    source: str
    title: str
    date: str
    speaker: str


def speeches(conn: sqlite3.Connection) -> list[StoredSpeech]:
    rows = conn.execute("SELECT id, source, title, date, speaker FROM speeches ORDER BY id")
    return [StoredSpeech(*r) for r in rows]


def load_speeches(conn: sqlite3.Connection) -> list[Speech]:
    """The indexed speeches, outlined again from their cleaned text."""
    rows = conn.execute("SELECT title, date, speaker, source, text FROM speeches ORDER BY id")
    return [Speech(title, date, speaker, source, text, parse_outline(text)) for title, date, speaker, source, text in rows]


def counts(conn: sqlite3.Connection) -> dict[str, int]:
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
    scores: list[float]  # per unit, share of characters found in the corpus
    uses: list[int]  # per unit, corpus speeches holding the same sentence
    share: float  # share of the speech's characters found in the corpus
    corpus_size: int  # speeches compared against (copies of this very text left out)
    nearest: list[Neighbour]


def mark(conn: sqlite3.Connection, speech: Speech, nearest: int = 5) -> Marking:
    fp = corpus.fingerprint(speech)
    rows = conn.execute(
        "SELECT id, source, title, date, speaker, fingerprints FROM speeches WHERE text_sha256 != ? ORDER BY id",
        (_sha256(speech.text),),
    ).fetchall()
    sets = [np.frombuffer(row[-1], dtype=_DTYPE) for row in rows]
    # the new speech is set 0; how much each stored speech shares with it
    shared = corpus.shared_counts([fp.set, *sets], [(0, i) for i in range(1, len(sets) + 1)])
    neighbours = [
        Neighbour(StoredSpeech(*row[:-1]), shared[0, i] / len(fp.set))
        for i, row in enumerate(rows, 1) if shared[0, i]
    ]
    table = np.unique(np.concatenate(sets)) if sets else np.zeros(0, dtype=np.uint64)
    present = np.ones(len(table), dtype=np.int64)
    scores = corpus.unit_scores(fp, corpus.covered_chars(fp, corpus.lookup(fp.runs, table, present) > 0))
    uses = _sentence_uses(conn, fp, [row[0] for row in rows])
    for i, n in enumerate(uses):
        if n:
            scores[i] = 1.0
    neighbours.sort(key=lambda nb: -nb.shared)
    return Marking(speech, fp, scores, uses, corpus.boilerplate_share(fp, scores), len(rows), neighbours[:nearest])


def _sentence_uses(conn: sqlite3.Connection, fp: corpus.Fingerprint, speech_ids: list[int]) -> list[int]:
    hashes = [key_hash(k) for k in fp.keys]
    wanted = sorted({h for h in hashes if h is not None})
    found: dict[int, int] = {}
    allowed = set(speech_ids)
    for i in range(0, len(wanted), 500):  # SQLite caps bound parameters
        chunk = wanted[i : i + 500]
        rows = conn.execute(
            f"SELECT key_hash, speech_id FROM sentences WHERE key_hash IN ({','.join('?' * len(chunk))})", chunk
        )
        seen: dict[int, set[int]] = {}
        for h, sid in rows:
            if sid in allowed:
                seen.setdefault(h, set()).add(sid)
        found.update({h: len(s) for h, s in seen.items()})
    return [found.get(h, 0) if h is not None else 0 for h in hashes]
