"""The one boilerplate rule. The pair diff, the corpus report and
``--against`` all call ``label()``; nothing else decides what is 套话.

A sentence is boilerplate when most of its *frame* recurs in at least
``min_speeches`` other independent speeches. The frame is the sentence's key
(``textkey.key``: punctuation dropped, numbers and placeholders as one SLOT)
without its slots, and "recurs" is measured with the speech's fingerprint
runs (``fingerprint.SHINGLE`` characters each): a frame character recurs when
a run covering it is found in enough other speeches. Copies of one speech
(a template and its web reprint) are one independent speech; that is the
caller's business, as it knows the families.

Each character of a speech ends in exactly one category, so the four shares
add up to 1:

``boilerplate``  recurring frame of a sentence at least ``verbatim`` reused,
``edited``       recurring frame of a sentence at least ``reused`` reused
                 (a stock sentence with a clause rewritten),
``fill``         what the speech put into a reused frame: its numbers, its
                 placeholders, and short runs (up to ``max_fill`` key
                 characters: a place, a name, a figure in words) that do not
                 recur inside a reused sentence — "增长{11.2%}", "{安康}市",
``local``        everything else: sentences that are not reused, and long
                 rewritten runs inside edited ones.

Numbers, places and names are the most local content a speech has, so they
are never boilerplate: a number is a slot of the frame, and a differing name
is a short run that does not recur.

Shares are weighted by the characters of the original text: a slot counts
as wide as the number or placeholder it stands for (``11.2%`` is 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import arrays
from .fingerprint import Fingerprint, covered_chars, unit_runs
from .textkey import SLOT, _SLOTTED, key_spans

LABELS = ("boilerplate", "edited", "local")
CATEGORIES = ("boilerplate", "edited", "fill", "local")
_BOILERPLATE, _EDITED, _FILL, _LOCAL = range(4)


@dataclass(frozen=True)
class Rule:
    """When a sentence counts as boilerplate. Validated on construction.

    min_speeches: in how many *other* independent speeches a run must recur.
        1 for a pair of speeches, and the corpus default too: what this year's
        report repeats from last year's is reuse a reader wants to see. Raise
        it (``report --min-speeches 3``) to keep only the genre's common 套话
        in a large corpus; it does not change with the corpus size, so
        adding a speech never silently changes the others' shares.
    verbatim: share of a sentence's frame that must recur for the sentence to
        be boilerplate as is (0.8: a 30-character stock sentence with one
        clause of six characters rewritten is still boilerplate).
    reused: share above which a sentence is edited boilerplate (0.5: most of
        it is the stock sentence); below, it is local.
    max_fill: a non-recurring run of at most this many key characters inside
        a reused sentence is a fill (a county's name is 2-4 characters, a
        figure in words up to 6); longer runs are the speech's own text.
    """

    min_speeches: int = 1
    verbatim: float = 0.8
    reused: float = 0.5
    max_fill: int = 6

    def __post_init__(self):
        if not isinstance(self.min_speeches, int) or isinstance(self.min_speeches, bool) or self.min_speeches < 1:
            raise ValueError(f"min_speeches must be an integer >= 1 (other speeches a passage recurs in), got {self.min_speeches!r}")
        for name in ("verbatim", "reused"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"{name} must be a share in (0, 1], got {value!r}")
        if self.reused > self.verbatim:
            raise ValueError(f"reused ({self.reused}) must not exceed verbatim ({self.verbatim})")
        if not isinstance(self.max_fill, int) or isinstance(self.max_fill, bool) or self.max_fill < 0:
            raise ValueError(f"max_fill must be an integer >= 0 (key characters), got {self.max_fill!r}")

    def label(self, coverage: float) -> str:
        """The label of a sentence whose frame recurs to this share."""
        if coverage >= self.verbatim:
            return "boilerplate"
        if coverage >= self.reused:
            return "edited"
        return "local"


PAIR = Rule(min_speeches=1)


@dataclass
class Labels:
    """The rule applied to one speech."""

    labels: list[str]  # per unit: boilerplate, edited or local
    coverage: list[float]  # per unit: share of its frame that recurs
    category: np.ndarray  # per key character (units end to end): index into CATEGORIES
    shares: dict[str, float]  # per category, weighted by text characters (``slot_weights``); they add up to 1

    @property
    def reused(self) -> float:
        """Share of the speech that is reused frame (boilerplate + edited)."""
        return self.shares["boilerplate"] + self.shares["edited"]

    def spans(self, fp: Fingerprint, u: int) -> list[tuple[int, int, str]]:
        """(start, end, category) runs of unit ``u`` in the speech's text: the
        evidence of which part of a sentence is frame and which is fill."""
        lo, hi = int(fp.offsets[u]), int(fp.offsets[u + 1])
        if lo == hi:
            return []
        unit = fp.units[u]
        _, char_spans = key_spans(unit.text)
        out: list[tuple[int, int, str]] = []
        for i in range(lo, hi):
            start, end = char_spans[i - lo]
            cat = CATEGORIES[int(self.category[i])]
            start, end = unit.start + start, unit.start + end
            if out and out[-1][2] == cat:
                out[-1] = (out[-1][0], end, cat)
            else:
                out.append((start, end, cat))
        return out


def slot_weights(fp: Fingerprint, slot: np.ndarray | None = None) -> np.ndarray:
    """Per key character, how many characters of the text it stands for:
    1, or the width of the number or placeholder a SLOT replaced. ``slot``:
    which key characters (units end to end) are a SLOT, when the caller
    has it (``label``)."""
    weight = np.ones(fp.chars, dtype=np.int64)
    at = np.flatnonzero(_slots(fp) if slot is None else slot)
    if not len(at):
        return weight
    unit = np.searchsorted(fp.offsets, at, side="right") - 1  # the last unit starting at or before: never an empty one
    count = np.bincount(unit)
    first = np.cumsum(count) - count  # where each unit's slots start in ``at`` (sorted, so grouped by unit)
    widths: list[int] = []  # the slots' widths, in order: unit by unit, each unit's matches in order
    for u in np.flatnonzero(count).tolist():
        text = fp.units[u].text
        found = list(map(len, _SLOTTED.findall(text)))  # (the pattern has no group: whole matches)
        if len(found) != count[u]:  # a literal Ⓧ in the text: take the slow, exact way
            _, spans = key_spans(text)
            found = [spans[i][1] - spans[i][0] for i in (at[first[u] : first[u] + count[u]] - fp.offsets[u]).tolist()]
        widths += found
    weight[at] = widths
    return weight


def _slots(fp: Fingerprint) -> np.ndarray:
    """Which key characters of the speech (units end to end) are a SLOT."""
    return np.frombuffer("".join(fp.keys).encode("utf-32-le"), dtype=np.uint32) == ord(SLOT)


def label(fp: Fingerprint, recurs: np.ndarray, rule: Rule = PAIR) -> Labels:
    """Apply the rule to one speech. ``recurs`` flags each of ``fp.runs``
    that occurs in at least ``rule.min_speeches`` other independent speeches
    (``recurring`` computes it from counts)."""
    covered = covered_chars(fp, np.asarray(recurs, dtype=bool))
    slot = _slots(fp)
    weight = slot_weights(fp, slot)
    # every unit at once: ``unit`` is the unit of each key character
    sizes = np.diff(fp.offsets)
    unit = np.repeat(np.arange(len(sizes)), sizes)
    frame = ~slot
    frame_weight = np.bincount(unit, weights=weight * frame, minlength=len(sizes))
    covered_weight = np.bincount(unit, weights=weight * (frame & covered), minlength=len(sizes))
    # (sums of integer weights, exact in doubles: the share is the same
    # quotient as integer sums divided); a unit too short for a run
    # (fingerprint.MIN_KEY) has no covered character: share 0, so local
    # under every rule (reused > 0)
    share = np.divide(covered_weight, frame_weight, out=np.zeros(len(sizes)), where=frame_weight > 0)
    coverage = share.tolist()
    labels = [rule.label(c) for c in coverage]
    code = {"boilerplate": _BOILERPLATE, "edited": _EDITED, "local": _LOCAL}
    unit_category = np.array([code[name] for name in labels], dtype=np.int8)[unit]
    reused = unit_category != _LOCAL
    category = np.where(reused & covered, unit_category, _LOCAL).astype(np.int8)
    # short runs that do not recur, inside a reused sentence, are fills (the
    # gap characters, in order, are the runs one after another)
    gap = ~covered & frame
    starts, ends = unit_runs(gap, fp.offsets)
    fill = gap & reused
    fill[gap] &= np.repeat(ends - starts, ends - starts) <= rule.max_fill
    category[fill] = _FILL
    category[slot & reused] = _FILL  # numbers and placeholders are always the speech's own
    total = int(weight.sum())
    sums = np.bincount(category, weights=weight, minlength=len(CATEGORIES))
    shares = {c: float(sums[i] / total) if total else 0.0 for i, c in enumerate(CATEGORIES)}
    if not total:
        shares["local"] = 1.0
    return Labels(labels, coverage, category, shares)


def recurring(counts: np.ndarray, rule: Rule) -> np.ndarray:
    """Runs used by at least ``rule.min_speeches`` other independent speeches,
    from ``counts`` of *other* speeches per run."""
    return np.asarray(counts) >= rule.min_speeches


def pair(fp_a: Fingerprint, fp_b: Fingerprint, rule: Rule = PAIR) -> tuple[Labels, Labels]:
    """The rule for two speeches: each one's runs recur when the other has them."""
    a = label(fp_a, recurring(arrays.isin(fp_a.runs, fp_b.set), rule), rule)
    b = label(fp_b, recurring(arrays.isin(fp_b.runs, fp_a.set), rule), rule)
    return a, b
