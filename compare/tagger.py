"""jieba's dictionary POS tagging (``jieba.posseg.cut(s, HMM=False)``),
computed for many sentences at once with numpy: the same words and tags.

Why: the summaries and keywords need POS tags, and jieba's pure-Python
tagger was over 80% of the per-speech work of a corpus report (14.5 of 19.4 s
profiled on the development corpus: a dictionary walk, a log and a tuple
per character). Here the same computation runs a batch of sentences at a
time:

1. **Blocks.** As jieba, a sentence is cut into runs of
   ``[\\u4E00-\\u9FD5a-zA-Z0-9+#&._]`` ("han blocks", ``HAN_BLOCK``); jieba
   tags everything else ``x`` (punctuation, spaces), which no caller keeps,
   so only the blocks are tagged. They are joined into one text with a
   separator (U+0000, in no dictionary key) after each.
2. **The DAG.** jieba extends a fragment ``s[k:i]`` while it is a key of
   ``FREQ`` (its words, and every prefix of a word with frequency 0); a key
   with a frequency is an edge ``k -> i``. Here all positions extend
   together, one length at a time (at most the longest key, 16 characters):
   one-character fragments are looked up in a table by code point, longer
   ones by a 64-bit polynomial hash in a table of ``FREQ``'s keys (buckets
   of 8 hashes, one cache line each), and every hash hit is then compared
   character by character, so a collision can cost time but never change a
   result. This index of jieba's dictionary is built once (~3 s) and kept
   in the temp folder beside jieba's own cache (``dictionary()``).
3. **The route.** jieba picks, from the end of a block backwards,
   ``max((log(freq) - log(total) + route[i], i))`` over the edges of ``k``
   (a position without edges is one character scored ``log(1) - log(total)``).
   Positions at the same distance from their block's end do not depend on
   each other, so the recurrence runs over that distance, every block at
   once, on a (positions x word length) table of edge scores. The scores
   are jieba's floats: each ``log(freq) - log(total)`` is computed with
   ``math.log`` as jieba does, and numpy adds doubles as Python does. Ties
   go to the longer word, as ``max`` on the tuple does.
4. **Words.** The route is followed from each block's start; runs of
   one-character ASCII letters or digits are joined into one ``eng`` word,
   as jieba's ``re_eng1`` buffer does.

``tests/test_tagger.py`` checks the output against ``jieba.posseg`` on every
sentence of the samples and the development corpus and on generated text.
With the HMM on, jieba guesses unknown words with a Viterbi pass; that path
is not reproduced (``Tokenizer(hmm=True)`` calls jieba).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import logging
import math
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import arrays

# jieba.posseg's re_han_internal: the characters its dictionary walk sees
HAN_BLOCK = re.compile("[\u4E00-\u9FD5a-zA-Z0-9+#&._]+")
_SEPARATOR = "\0"  # not in HAN_BLOCK, so in no key: a walk never crosses it
_ASCII_ALNUM = frozenset(map(ord, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64 (the golden-ratio constant)
# Characters tagged in one pass: the route's table is (characters x longest
# key) doubles, 32 MB at this size; larger batches are cut between blocks.
CHUNK_CHARS = 1 << 18


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64)


def _powers(base: int, n: int) -> np.ndarray:
    """base**0 .. base**(n-1) modulo 2**64 (uint64 products wrap)."""
    out = np.full(n, base, dtype=np.uint64)
    if n:
        out[0] = 1
        with np.errstate(over="ignore"):
            np.cumprod(out, out=out)
    return out


class _Hasher:
    """Polynomial hashes ``sum(c[j] * B**j)`` of any slice of one text,
    from one prefix sum: ``hash(a, b) = (H[b] - H[a]) * B**-a``."""

    def __init__(self, codes: np.ndarray):
        n = len(codes)
        self.prefix = np.zeros(n + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.cumsum(codes.astype(np.uint64) * _powers(_BASE, n), out=self.prefix[1:])
        self.inverse = _powers(pow(_BASE, -1, 1 << 64), n + 1)

    def __call__(self, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (self.prefix[stop] - self.prefix[start]) * self.inverse[start]


BUCKET = 8  # slots of a bucket of the key table: 8 hashes, one 64-byte cache line


def _bucket(hashes: np.ndarray, buckets: int) -> np.ndarray:
    """Home bucket of each hash: its top bits after splitmix64's finalizer.
    The raw polynomial hash of a short key is ``c0 + c1 * B``: its top bits
    hardly depend on ``c0``, which would pile every key ending in one
    character into one bucket."""
    with np.errstate(over="ignore"):
        h = hashes ^ (hashes >> np.uint64(30))
        h = h * np.uint64(0xBF58476D1CE4E5B9)
        h = h ^ (h >> np.uint64(27))
        h = h * np.uint64(0x94D049BB133111EB)
        h = h ^ (h >> np.uint64(31))
    return (h >> np.uint64(64 - (buckets.bit_length() - 1))).astype(np.int64)


@dataclass(eq=False)  # compared and hashed by identity: one per process
class Dictionary:
    """jieba's ``FREQ`` (with each key's tag) indexed for lookups of many
    fragments at once.

    Keys are numbered in ``FREQ``'s order. ``single`` maps a code point to
    its one-character key; longer keys sit in a table of their hashes:
    buckets of ``BUCKET`` slots, filled in order, a key whose home bucket
    is full in the next bucket (load about one half)."""

    text: str  # every key, concatenated
    codes: np.ndarray  # the code points of ``text``
    starts: np.ndarray  # where key k starts in ``text``
    lengths: np.ndarray
    logp: np.ndarray  # log(freq) - log(total) for words, NaN for bare prefixes
    tag: np.ndarray  # index into ``tag_names`` of each key's tag (jieba's word_tag_tab; 'x': none)
    tag_names: list[str]
    slots_hash: np.ndarray  # (buckets, BUCKET)
    slots_key: np.ndarray  # (buckets, BUCKET); -1: empty slot (a bucket fills from its first slot)
    miss: float  # log(1) - log(total): a character no word starts with

    ARRAYS = ("codes", "starts", "lengths", "logp", "tag", "slots_hash", "slots_key")

    def __post_init__(self):
        # compact types, the same whether built or loaded (the saved file is ~33 MB)
        self.codes, self.starts = self.codes.astype(np.int32), self.starts.astype(np.int32)
        self.lengths, self.slots_key = self.lengths.astype(np.int8), self.slots_key.astype(np.int32)
        one = np.flatnonzero(self.lengths == 1)
        self.single = np.full(0x110000, -1, dtype=np.int32)  # every code point (4.4 MB)
        self.single[self.codes[self.starts[one]]] = one
        self.longest = int(self.lengths.max(initial=1))

    def key(self, k: int) -> str:
        start = int(self.starts[k])
        return self.text[start : start + int(self.lengths[k])]

    def tag_of(self, k: int) -> str:
        return self.tag_names[self.tag[k]]

    def __len__(self) -> int:
        return len(self.starts)

    @classmethod
    def of_jieba(cls, freq: dict, total: int, tag_of: dict) -> Dictionary:
        keys = list(freq)
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        starts = np.zeros(len(keys), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        text = "".join(keys)
        codes = _codes(text)
        values = np.fromiter(freq.values(), dtype=np.float64, count=len(keys))
        logtotal = math.log(total)
        logp = np.full(len(keys), np.nan)
        word = values > 0
        # math.log, not np.log: the scores must be jieba's floats to the last bit
        logp[word] = np.fromiter(map(math.log, values[word].tolist()), dtype=np.float64) - logtotal
        tags = [tag_of.get(k, "x") for k in keys]
        tag_names = sorted(set(tags) | {"x"})
        number = {t: i for i, t in enumerate(tag_names)}
        tag = np.fromiter((number[t] for t in tags), dtype=np.int16, count=len(keys))
        many = np.flatnonzero(lengths > 1)
        hashes = _Hasher(codes)(starts[many], starts[many] + lengths[many])
        # buckets of BUCKET slots, about half full: a bucket is one 64-byte
        # cache line of hashes, so most lookups read one line and are done
        buckets = 1 << max(1, int(2 * len(many) // BUCKET).bit_length())
        slots_hash = np.zeros((buckets, BUCKET), dtype=np.uint64)
        slots_key = np.full((buckets, BUCKET), -1, dtype=np.int64)
        target = _bucket(hashes, buckets)
        filled = np.zeros(buckets, dtype=np.int64)
        pending = np.arange(len(many))
        while len(pending):  # a key whose bucket is full goes to the next one (linear probing by bucket)
            order = np.argsort(target[pending], kind="stable")
            pending = pending[order]
            t = target[pending]
            first = np.r_[0, np.flatnonzero(t[1:] != t[:-1]) + 1]
            rank = np.arange(len(t)) - np.repeat(first, np.diff(np.r_[first, len(t)]))
            place = filled[t] + rank < BUCKET
            where = filled[t[place]] + rank[place]
            slots_key[t[place], where] = many[pending[place]]
            slots_hash[t[place], where] = hashes[pending[place]]
            np.add.at(filled, t[place], 1)
            pending = pending[~place]
            target[pending] = (target[pending] + 1) % buckets
        return cls(text, codes, starts, lengths, logp, tag, tag_names, slots_hash, slots_key, 0.0 - logtotal)

    def save(self, path: str) -> None:
        """Written to a temporary file and renamed: a reader never sees half a file."""
        folder = os.path.dirname(path) or "."
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".speechdiff-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, text=np.array(self.text), tag_names=np.array(self.tag_names), miss=np.array(self.miss),
                         **{name: getattr(self, name) for name in self.ARRAYS})
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep other users from reading it
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str) -> Dictionary:
        with np.load(path, allow_pickle=False) as f:
            return cls(str(f["text"]), **{name: f[name] for name in cls.ARRAYS},
                       tag_names=[str(t) for t in f["tag_names"]], miss=float(f["miss"]))

    def lookup(self, hashes: np.ndarray, text: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
        """Key index of each fragment ``text[starts : starts + length]``
        (length >= 2, given its hash), -1 where it is no key. A slot whose
        hash agrees is a hit only if the key's characters agree too;
        otherwise probing goes on, so a hash collision never hides a key."""
        buckets = len(self.slots_key)
        bucket = _bucket(hashes, buckets)
        key = np.full(len(hashes), -1, dtype=np.int64)
        open_ = np.arange(len(hashes))
        while len(open_):  # every open query reads its bucket, then the next one if that is full
            occupants = self.slots_key[bucket[open_]]
            query, slot = np.nonzero((self.slots_hash[bucket[open_]] == hashes[open_, None]) & (occupants >= 0))
            found = occupants[query, slot]
            spelled = self._spells(found, text, starts[open_[query]], length)
            key[open_[query[spelled]]] = found[spelled]
            full = occupants[:, -1] >= 0  # a bucket with room left ends the search
            open_ = open_[full & (key[open_] < 0)]
            bucket[open_] = (bucket[open_] + 1) % buckets
        return key

    def _spells(self, keys: np.ndarray, text: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
        """Whether each key is the fragment ``text[start : start + length]``."""
        same = self.lengths[keys] == length
        reach = np.arange(length)
        same[same] = (self.codes[self.starts[keys[same], None] + reach] == text[starts[same, None] + reach]).all(axis=1)
        return same


# Bumped when the saved layout or its derivation changes: an older file is rebuilt.
DICTIONARY_FORMAT = 2


def _cache_path(folder: str | None = None) -> str | None:
    """Where the indexed default dictionary is kept: beside jieba's own cache
    (the temp folder), named by jieba's dict.txt's size and time, so a new
    jieba gets a new file. None: jieba is not installed."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a core dependency
        return None
    source = os.path.join(spec.submodule_search_locations[0], "dict.txt")
    stat = os.stat(source)
    ident = hashlib.sha1(f"{DICTIONARY_FORMAT}:{os.path.abspath(source)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return os.path.join(folder or tempfile.gettempdir(), f"speechdiff-jieba-{ident.hexdigest()[:16]}.npz")


@functools.cache
def dictionary() -> Dictionary:
    """jieba's default dictionary, indexed, once per process: read from the
    cache file in ~0.1 s, or built from jieba (~2.5 s: jieba's own loading,
    its tags, the index) and saved there for the next process. A cache that
    cannot be read is rebuilt; one that cannot be written is skipped."""
    path = _cache_path()
    if path and os.path.exists(path):
        try:
            return Dictionary.load(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # damaged or of another numpy: rebuilt below
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    dic = Dictionary.of_jieba(jieba.dt.FREQ, jieba.dt.total, jieba.posseg.dt.word_tag_tab)
    if path:
        with contextlib.suppress(OSError):
            dic.save(path)
    return dic


@dataclass
class Tagged:
    """Words of many blocks, as numbers: a word below ``len(dictionary)`` is
    that dictionary key (with its tag), a larger one an entry of ``extra``
    (a character no key starts with, or an ``eng`` run of letters and
    digits). The words of block ``b`` are ``word[offsets[b]:offsets[b + 1]]``."""

    dictionary: Dictionary
    extra: list[tuple[str, str]]  # (word, tag) of the words no key spells
    word: np.ndarray
    offsets: np.ndarray

    def pair(self, word: int) -> tuple[str, str]:
        dic = self.dictionary
        if word < len(dic):
            return dic.key(word), dic.tag_of(word)
        return self.extra[word - len(dic)]

    def pairs(self, block: int) -> list[tuple[str, str]]:
        return [self.pair(w) for w in self.word[self.offsets[block] : self.offsets[block + 1]].tolist()]


def tag_blocks(blocks: Sequence[str], dic: Dictionary | None = None) -> Tagged:
    """Tag han blocks (each a whole ``HAN_BLOCK`` match) as
    ``jieba.posseg.cut(block, HMM=False)`` does, block by block."""
    dic = dic or dictionary()
    extra: dict[tuple[str, str], int] = {}
    words, counts = [], []
    start = 0
    while start < len(blocks):  # chunks of about CHUNK_CHARS characters, cut between blocks
        stop, size = start, 0
        while stop < len(blocks) and (stop == start or size + len(blocks[stop]) <= CHUNK_CHARS):
            size += len(blocks[stop]) + 1
            stop += 1
        w, c = _tag_chunk(blocks[start:stop], dic, extra)
        words.append(w)
        counts.append(c)
        start = stop
    offsets = np.zeros(len(blocks) + 1, dtype=np.int64)
    if blocks:
        np.cumsum(np.concatenate(counts), out=offsets[1:])
    return Tagged(dic, list(extra), np.concatenate(words) if words else np.zeros(0, dtype=np.int64), offsets)


def _tag_chunk(blocks: Sequence[str], dic: Dictionary, extra: dict) -> tuple[np.ndarray, np.ndarray]:
    """Words of ``blocks`` as numbers (see ``Tagged``; ``extra`` is
    extended), and the number of words of each block."""
    text = _SEPARATOR.join(blocks) + _SEPARATOR
    codes = _codes(text)
    n = len(codes)
    sizes = np.fromiter(map(len, blocks), dtype=np.int64, count=len(blocks))
    block_end = np.cumsum(sizes + 1) - 1  # each block's separator
    block_start = block_end - sizes
    hasher = _Hasher(codes)

    # 2. edges: edge[p, L - 1] = log(freq) - log(total) of the word text[p:p+L] (-inf: none)
    width = dic.longest
    edge = np.full((n, width), -np.inf)
    edge_key = np.full((n, width), -1, dtype=np.int32)
    active = np.arange(n)
    length = 1
    while len(active):
        if length == 1:
            k = dic.single[codes].astype(np.int64)  # the separator is no key: walks stop there
        else:
            k = dic.lookup(hasher(active, active + length), codes, active, length)
        found = k >= 0
        active, k = active[found], k[found]  # a fragment that is no key ends the walk
        word = ~np.isnan(dic.logp[k])
        edge[active[word], length - 1] = dic.logp[k[word]]
        edge_key[active[word], length - 1] = k[word]
        length += 1
        if length > width:
            break
        active = active[codes[active + length - 1] != 0]  # a key never spans a separator
    width = max(1, int(np.flatnonzero(~np.isneginf(edge).all(axis=0)).max(initial=0)) + 1)
    edge, edge_key = edge[:, :width], edge_key[:, :width]  # the longest word found bounds the route's table
    lone = np.isneginf(edge).all(axis=1)
    edge[lone, 0] = dic.miss  # no word starts here: one character, log(1) - log(total)

    # 3. the route, by distance d from the block's end (the separator, score 0):
    # the positions at distance d are block_end - d of every block longer than d-1
    score = np.zeros(n + width)
    best_len = np.zeros(n, dtype=np.int64)
    by_size = np.argsort(-sizes, kind="stable")
    ends_by_size = block_end[by_size]
    sorted_sizes = sizes[by_size]
    reach = np.arange(1, width + 1)
    for d in range(1, int(sizes.max(initial=0)) + 1):
        p = ends_by_size[: np.searchsorted(-sorted_sizes, -d, side="right")] - d
        value = edge[p] + score[p[:, None] + reach]
        # argmax over reversed lengths: among equal scores the longest word
        choice = width - 1 - np.argmax(value[:, ::-1], axis=1)
        score[p] = value[np.arange(len(p)), choice]
        best_len[p] = choice + 1

    # 4. words: follow the route from each block's start
    heads = []
    at = block_start[sizes > 0]
    while len(at):
        heads.append(at)
        at = at + best_len[at]
        at = at[codes[at] != 0]
    heads = np.sort(np.concatenate(heads)) if heads else np.zeros(0, dtype=np.int64)
    lengths = best_len[heads]
    keys = edge_key[heads, lengths - 1].astype(np.int64)
    first = codes[heads]
    eng = (lengths == 1) & arrays.isin(first, list(_ASCII_ALNUM))
    block = np.searchsorted(block_end, heads)
    # runs of one-character letters/digits inside one block are one ``eng`` word
    joined = eng & np.r_[False, eng[:-1] & (block[1:] == block[:-1])]
    head = np.flatnonzero(~joined)
    run_end = np.r_[heads[head[1:]], n]
    run_end = np.minimum(run_end, block_end[block[head]])
    # a dictionary word is its key; the others (one-character words not in
    # the dictionary, letter and digit runs) are numbered by their text
    out = np.where(eng[head], -1, keys[head])
    other = np.flatnonzero(out < 0)
    base = len(dic)
    for i, s, e, is_eng in zip(other.tolist(), heads[head][other].tolist(), run_end[other].tolist(),
                               eng[head][other].tolist()):
        piece = text[s:e]
        if is_eng:
            pair = (piece, "eng")
        else:  # one character: its key's tag if it is a key at all (a prefix), else 'x'
            k = int(dic.single[ord(piece)])
            pair = (piece, dic.tag_of(k) if k >= 0 else "x")
        out[i] = base + extra.setdefault(pair, len(extra))
    return out, np.bincount(block[head], minlength=len(blocks))
