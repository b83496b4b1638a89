"""Plain reference implementations that tests (and benchmarks, as their
baselines) hold the fast code to."""

from __future__ import annotations

import re

import numpy as np

from compare.boilerplate import _BOILERPLATE, _EDITED, _FILL, _LOCAL, CATEGORIES, Labels
from compare.fingerprint import covered_chars
from compare.ingest import CJK, PINYIN_REMNANT, PRIVATE_USE, char_frequency
from compare.textkey import SLOT, key_spans


def remove_mojibake_loop(text: str) -> str:
    """The per-character loop remove_mojibake was, kept as the oracle."""
    freq = char_frequency()

    def is_junk(ch: str) -> bool:
        if ch.isascii():
            return not (ch.isdigit() or ch.isspace() or ch in "x“”")
        if PRIVATE_USE.match(ch):
            return True
        if "\u4e00" <= ch <= "\u9fff":
            return freq.get(ch, 0) < 2000
        return ch in "€¤¨¦§°±"

    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if PRIVATE_USE.match(ch):
            i += 1
            continue
        m = PINYIN_REMNANT.match(text, i) if ch == "?" else None
        if ch == "?" and (m or i > 0 and re.match(f"[{CJK}，、,。;；?]", text[i - 1])):
            j = m.end() if m else i + 1
            k = j
            while k < n and k - j < 10 and is_junk(text[k]):
                k += 1
            if m or k > j or (j < n and text[j] in "，、。"):
                i = k
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def slot_weights_loop(fp) -> np.ndarray:
    """boilerplate.slot_weights the slow, exact way: each key character's
    span in its unit's text (``key_spans``), its width for a SLOT."""
    weight = np.ones(fp.chars, dtype=np.int64)
    for u, k in enumerate(fp.keys):
        if SLOT not in k:
            continue
        _, spans = key_spans(fp.units[u].text)
        for i, ch in enumerate(k):
            if ch == SLOT:
                weight[fp.offsets[u] + i] = spans[i][1] - spans[i][0]
    return weight


def label_loop(fp, recurs, rule):
    """boilerplate.label as the per-unit loop it was, kept as the oracle."""
    covered = covered_chars(fp, np.asarray(recurs, dtype=bool))
    joined = "".join(fp.keys)
    slot = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32) == ord(SLOT)
    weight = slot_weights_loop(fp)
    category = np.full(fp.chars, _LOCAL, dtype=np.int8)
    labels, coverage = [], []
    for u in range(len(fp.keys)):
        lo, hi = int(fp.offsets[u]), int(fp.offsets[u + 1])
        frame = ~slot[lo:hi]
        frame_weight = int(weight[lo:hi][frame].sum())
        share = float(weight[lo:hi][frame & covered[lo:hi]].sum() / frame_weight) if frame_weight else 0.0
        # a unit too short for a run (fingerprint.MIN_KEY) has no covered
        # character: share 0, so local under every rule (reused > 0)
        name = rule.label(share)
        labels.append(name)
        coverage.append(share)
        if name == "local":
            continue
        cats = np.where(covered[lo:hi], _BOILERPLATE if name == "boilerplate" else _EDITED, _LOCAL).astype(np.int8)
        # short runs that do not recur, inside a reused sentence, are fills
        for start, end in _true_runs(~covered[lo:hi] & frame):
            if end - start <= rule.max_fill:
                cats[start:end] = _FILL
        cats[slot[lo:hi]] = _FILL  # numbers and placeholders are always the speech's own
        category[lo:hi] = cats
    total = int(weight.sum())
    sums = np.bincount(category, weights=weight, minlength=len(CATEGORIES))
    shares = {c: float(sums[i] / total) if total else 0.0 for i, c in enumerate(CATEGORIES)}
    if not total:
        shares["local"] = 1.0
    return Labels(labels, coverage, category, shares)


def _true_runs(mask):
    """(start, end) of each run of True in a boolean array, one numpy call per mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return zip(edges[::2].tolist(), edges[1::2].tolist())


def whole_figures_by_character(pieces):
    """render.whole_figures as the per-character pass it was, kept as the oracle."""
    from compare.formats.cjk import NUMBER

    text = "".join(t for t, _ in pieces)
    kinds = [k for t, k in pieces for _ in t]
    for m in NUMBER.finditer(text):
        if "edit" in kinds[m.start():m.end()]:
            kinds[m.start():m.end()] = ["edit"] * (m.end() - m.start())
    out = []
    for ch, kind in zip(text, kinds):
        if out and out[-1][1] == kind:
            out[-1] = (out[-1][0] + ch, kind)
        else:
            out.append((ch, kind))
    return out


def gram_candidates_loop(texts_a: list[str], texts_b: list[str]) -> set[tuple[int, int]]:
    """align._gram_candidates as the row-by-row loop it was (a set of pairs)."""
    from compare import align

    ra, ga = align._grams(texts_a, align.GRAM)
    rb, gb = align._grams(texts_b, align.GRAM)
    if not len(ga) or not len(gb):
        return set()
    vocab, inverse = np.unique(np.concatenate([ga, gb]), return_inverse=True)
    ma = align._incidence(ra, inverse[: len(ga)], len(texts_a), len(vocab))
    mb = align._incidence(rb, inverse[len(ga):], len(texts_b), len(vocab))
    df_a = np.bincount(ma.indices, minlength=len(vocab))
    df_b = np.bincount(mb.indices, minlength=len(vocab))
    rare = (df_a <= align.MAX_POSTING) & (df_b <= align.MAX_POSTING) & (df_a > 0) & (df_b > 0)
    for m in (ma, mb):
        m.data = rare[m.indices].astype(np.float64)
        m.eliminate_zeros()
    shared = (ma @ mb.T).tocsr()
    out = set()
    for r in range(shared.shape[0]):
        lo, hi = shared.indptr[r], shared.indptr[r + 1]
        counts, idx = shared.data[lo:hi], shared.indices[lo:hi]
        ok = counts >= align.MIN_GRAMS
        counts, idx = counts[ok], idx[ok]
        if len(idx) > align.TOP_CANDIDATES:
            idx = idx[np.argpartition(-counts, align.TOP_CANDIDATES)[: align.TOP_CANDIDATES]]
        out.update((r, int(c)) for c in idx)
    return out


def holders_loop(sets: list, keys: list[str]) -> list[set[int]]:
    """Per key, the speeches whose fingerprint set (``sets``) holds every
    shingle of it (a key without shingles: none)."""
    from compare.fingerprint import key_runs

    held = [set(np.asarray(s).tolist()) for s in sets]
    out = []
    for key in keys:
        runs = set(key_runs([key])[0].tolist())
        out.append({s for s, hs in enumerate(held) if runs and runs <= hs})
    return out


def same_wordings_loop(keys: list[str], rows, cols) -> list[bool]:
    """Are keys j and i two wordings of one sentence, for every (j, i)."""
    from compare.corpus import _same_sentence

    return [_same_sentence(keys[j], keys[i]) for j, i in zip(list(rows), list(cols))]


def generic_titles_loop(candidates: set[str], patterns: set[str]) -> set[str]:
    """evolution._generic_titles as it was: each candidate against every
    pattern, each container against every other."""
    generic = set()
    for p in candidates:
        containers = [q for q in patterns if q != p and p in q]
        shortest = [q for q in containers if not any(r != q and r in q for r in containers)]
        if len(shortest) >= 2:
            generic.add(p)
    return generic


def nul_pattern_loop(data: bytes) -> str | None:
    """ingest._nul_pattern's counting as it was: each NUL's position listed
    by a loop (the classification of the counts is the function's own)."""
    from compare.ingest import _wide_encoding

    sample = data[:65536]
    nuls = [i for i, b in enumerate(sample) if b == 0]
    if len(nuls) < max(4, len(sample) // 20):
        return None
    by4 = [0, 0, 0, 0]
    for i in nuls:
        by4[i % 4] += 1
    return _wide_encoding(by4, len(nuls), len(sample))


def band_candidates_loop(keys, owners, cap: int) -> list[int]:
    """corpus.bucket_candidates by definition: speeches sharing a band value
    pair up (a * 2**32 + b, a < b): in a group of at most ``cap`` rows
    every pair, in a larger one only neighbours in speech order (a speech
    twice in a group counts twice; it never pairs with itself)."""
    groups: dict = {}
    for k, o in zip(keys, owners):
        groups.setdefault(int(k), []).append(int(o))
    out = set()
    for members in groups.values():
        members.sort()
        if len(members) <= cap:
            out.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
        else:
            out.update(zip(members, members[1:]))
    return sorted(a << 32 | b for a, b in out if a != b)


def key_blocks_loop(keys: list[str], limit: int):
    """fingerprint.key_blocks as it was: a block grows key by key while its
    characters stay within ``limit`` (a longer key is a block of its own)."""
    at = 0
    while at < len(keys):
        stop, size = at, 0
        while stop < len(keys) and (stop == at or size + len(keys[stop]) <= limit):
            size += len(keys[stop])
            stop += 1
        yield at, stop
        at = stop
