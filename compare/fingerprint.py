"""Fingerprints: the numeric kernels under every cross-speech comparison.

Each unit (sentence or heading) of a speech is reduced to its key
(``textkey.key``) and hashed as overlapping runs of SHINGLE characters with
a stable 64-bit rolling hash, so fingerprints can be stored and compared
across processes and machines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import arrays, textkey
from .align import Unit, units_of
from .model import Speech

SHINGLE = 8  # characters per fingerprint run: long enough to be a phrase, not a common word
MIN_KEY = 4  # shorter sentences (同志们) carry no fingerprint


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads a polynomial hash over all 64 bits."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


_BASE = np.uint64(1_000_003)  # the rolling hash's base (shingles, and key_runs' keys shorter than a run)


def shingles(text_key: str, k: int = SHINGLE) -> np.ndarray:
    """Stable 64-bit hashes of each run of ``k`` characters of a key (one
    hash of the whole key when it is shorter), in order."""
    if len(text_key) < MIN_KEY:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer(text_key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    k = min(k, len(codes))
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(k):  # polynomial rolling hash, wrapping at 2**64
        h = h * _BASE + codes[j : j + n]
    return _mix(h + np.uint64(k))


@dataclass
class Fingerprint:
    """One speech's units (sentences and headings), their keys and runs.
    Keys are laid end to end: unit ``u`` is ``offsets[u]:offsets[u + 1]``
    of that concatenation, its runs ``run_offsets[u]:run_offsets[u + 1]``
    of ``runs``."""

    speech: Speech
    units: list[Unit]
    keys: list[str]
    runs: np.ndarray  # shingle hashes of every unit's key, unit after unit
    offsets: np.ndarray
    run_offsets: np.ndarray
    set: np.ndarray  # sorted distinct hashes of the whole speech

    @property
    def chars(self) -> int:
        return int(self.offsets[-1])

    def runs_of(self, u: int) -> np.ndarray:
        return self.runs[self.run_offsets[u] : self.run_offsets[u + 1]]


def fingerprint(speech: Speech) -> Fingerprint:
    units = units_of(speech)
    return from_keys(speech, units, textkey.keys([u.text for u in units]))


def from_keys(speech: Speech, units: list[Unit], keys: list[str]) -> Fingerprint:
    """The fingerprint of a speech whose units and keys are known (a stored
    record keeps its keys, not its runs: hashing them again is cheaper than
    storing 8 bytes per character)."""
    all_runs, run_offsets = key_runs(keys)
    return Fingerprint(
        speech, units, keys, all_runs,
        offsets=np.concatenate(([0], np.cumsum([len(k) for k in keys], dtype=np.int64))),
        run_offsets=run_offsets,
        set=arrays.unique(all_runs),
    )


def key_runs(keys: list[str], k: int = SHINGLE) -> tuple[np.ndarray, np.ndarray]:
    """``shingles(key, k)`` of every key laid end to end, and the offsets of each
    key's runs in that array (key ``i``: ``offsets[i]:offsets[i + 1]``).
    One rolling hash over each block of keys joined, then each key keeps
    the windows inside it, taken for every key at once; a key shorter than
    ``k`` (but not than MIN_KEY) is one hash of its own length, made for
    all keys of that length at once: the same values as ``shingles(k)``,
    without a numpy call per key (the cost when a corpus has tens of
    thousands of them, and a stored record's fingerprint is made again
    from its keys). Blocks of about KEY_BLOCK characters: the hash's
    temporaries take some 60 bytes a character (67 M characters of
    sentence keys at 30,000 speeches would need 4 GB at once)."""
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    runs, counts = [], []
    # the blocks key_blocks would cut, from the lengths counted once here
    for at, stop in arrays.blocks(np.concatenate(([0], np.cumsum(lengths))), KEY_BLOCK):
        block_runs, block_counts = _block_runs(keys[at:stop], lengths[at:stop], k)
        runs.append(block_runs)
        counts.append(block_counts)
    all_runs = np.concatenate(runs) if runs else np.zeros(0, dtype=np.uint64)
    counts = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    return all_runs, np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))


def _block_runs(block: list[str], lengths: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``key_runs`` of one block (its keys and their lengths): its runs,
    and how many each key has."""
    starts = np.cumsum(lengths) - lengths  # each key's place in the block joined
    windows = np.where(lengths >= max(k, MIN_KEY), lengths - k + 1, 0)
    whole = (lengths >= MIN_KEY) & (lengths < k)  # one hash of the whole key
    counts = windows + whole
    out = np.zeros(int(counts.sum()), dtype=np.uint64)
    first = np.cumsum(counts) - counts  # each key's first run in ``out``
    joined = "".join(block)
    if windows.any():
        out[np.repeat(first, windows) + arrays.ranges(windows)] = \
            shingles(joined, k)[np.repeat(starts, windows) + arrays.ranges(windows)]
    if whole.any():
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        for width in np.unique(lengths[whole]).tolist():  # (k - MIN_KEY lengths at most)
            mine = whole & (lengths == width)
            at = starts[mine]
            h = np.zeros(len(at), dtype=np.uint64)
            for j in range(width):  # shingles' rolling hash of a key of ``width`` characters
                h = h * _BASE + codes[at + j]
            out[first[mine]] = _mix(h + np.uint64(width))
    return out, counts


KEY_BLOCK = 1 << 20  # characters hashed at once by key_runs (~60 MB of temporaries)


def key_blocks(keys: list[str], limit: int):
    """(start, stop) of consecutive blocks of ``keys`` of at most ``limit``
    characters each (a longer key is a block of its own), in order."""
    ends = np.zeros(len(keys) + 1, dtype=np.int64)  # ends[i]: the characters of keys[:i]
    np.cumsum(np.fromiter(map(len, keys), dtype=np.int64, count=len(keys)), out=ends[1:])
    return arrays.blocks(ends, limit)


def unit_runs(mask: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (positions in ``mask``) of each run of True in ``mask``,
    one flag per key character with the units end to end at ``offsets``: a
    run ends where its unit ends. (The boilerplate rule's fills and the
    phrasebook's candidate runs are such runs.)"""
    mask = np.asarray(mask, dtype=bool)
    if not len(mask):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    unit = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    edge = np.concatenate(([True], unit[1:] != unit[:-1]))  # a unit starts here
    starts = np.flatnonzero(mask & (edge | ~np.concatenate(([False], mask[:-1]))))
    ends = np.flatnonzero(mask & np.concatenate((edge[1:] | ~mask[1:], [True]))) + 1
    return starts, ends


def covered_chars(fp: Fingerprint, flags: np.ndarray) -> np.ndarray:
    """Per character of the speech's keys end to end: is it inside a run
    flagged in ``flags`` (one flag per run of ``fp.runs``)?"""
    lengths = np.diff(fp.offsets)
    unit_of_run = np.repeat(np.arange(len(lengths)), np.diff(fp.run_offsets))
    starts = fp.offsets[unit_of_run] + np.arange(len(fp.runs)) - fp.run_offsets[unit_of_run]
    widths = np.minimum(SHINGLE, lengths)[unit_of_run]
    # +1 where a flagged run starts, -1 where it ends (bincount, not the
    # unbuffered np.add.at: 5-10x faster, the same integers)
    n = fp.chars + 1
    delta = np.bincount(starts[flags], minlength=n) - np.bincount((starts + widths)[flags], minlength=n)
    return np.cumsum(delta[:-1]) > 0


def lookup(hashes: np.ndarray, table: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``counts`` of each of ``hashes`` in the sorted ``table`` (0 when absent)."""
    if not len(table) or not len(hashes):
        return np.zeros(len(hashes), dtype=np.int64)
    at = np.minimum(np.searchsorted(table, hashes), len(table) - 1)
    return np.where(table[at] == hashes, counts[at], 0)


