"""The key rule (compare/textkey.py): key() and key_spans() are one rule."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from compare.textkey import NUMBER, SLOT, KeySpans, comparable, key, key_spans, keys, normalize

# text that exercises every branch: CJK, placeholders next to Latin words,
# punctuation of both widths, digits, spaces and the underscore
ALPHABET = st.sampled_from(list("安康市政府XxXXGDPab工作，。、；：！？（）()_ 　\t12.%“”") + [SLOT])
TEXT = st.text(ALPHABET, max_size=60)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_key_equals_key_spans(text):
    assembled, spans = key_spans(text)
    assert assembled == key(text)
    assert len(spans) == len(assembled)
    # each key character comes from its span of the original text: a
    # placeholder run for SLOT, the character itself otherwise
    for ch, (start, end) in zip(assembled, spans):
        source = text[start:end]
        if ch == SLOT and source != SLOT:
            assert source and (set(source) <= {"X", "x"} or NUMBER.fullmatch(source))
        else:
            assert source == ch
    # spans are in order and do not overlap
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_normalize_maps_back(text):
    norm, spans = normalize(text)
    assert norm == comparable(text)
    if spans is not None:
        assert len(spans) == len(norm)
        assert "".join(text[a:b] if ch != SLOT else "" for ch, (a, b) in zip(norm, spans)) == "".join(
            ch for ch in norm if ch != SLOT
        )


def test_key_rule_on_built_examples():
    # punctuation and spaces dropped, a placeholder run is one slot whatever its length
    assert key("XX市要坚持，以人民为中心。") == key("XXXX市要坚持以人民为中心")
    assert key("XX市") == SLOT + "市"
    # a Latin word keeps its X: GDP-like words are not placeholders
    assert key("XBRL报表") == "XBRL报表"
    assert key("Xi'an 西安") == "Xian西安"
    # the underscore is not part of a key
    assert key("a_b") == "ab"
    # numbers are slots: a frame with other figures is the same frame
    assert key("技术合同成交额增长11.2%。") == key("技术合同成交额增长8.5%") == "技术合同成交额增长" + SLOT
    assert key("新增就业1,200万人，２０２０年") == f"新增就业{SLOT}万人{SLOT}年"
    # ... but the pair diff's character form keeps them, so a changed figure shows
    assert comparable("增长11.2%") == "增长11.2%"
    assert comparable("XX市增长11.2%") == SLOT + "市增长11.2%"


def key_spans_by_character(text):
    """The first key_spans (a regex match per character): the oracle of the faster one."""
    norm, spans = normalize(text, numbers=True)
    kept = [i for i, ch in enumerate(norm) if not __import__("compare.textkey").textkey._NOT_KEY.match(ch)]
    return "".join(norm[i] for i in kept), [spans[i] if spans else (i, i + 1) for i in kept]


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_key_spans_match_the_character_by_character_rule(text):
    assert key_spans(text) == key_spans_by_character(text)


@settings(max_examples=300)
@given(TEXT, st.integers(0, 60), st.integers(1, 60))
def test_key_spans_of_a_run_are_those_of_its_first_and_last_characters(text, start, width):
    k, spans = key_spans(text)
    if not k:
        return
    start = start % len(k)
    end = min(len(k), start + width)
    assert KeySpans(text).span(start, end) == (spans[start][0], spans[end - 1][1])


# the readable forms of the placeholder and slot patterns, which textkey
# writes starting with the character they need (the engine then skips to it)
READABLE_PLACEHOLDER = re.compile(r"(?<![A-Za-z])[Xx]+(?![A-Za-z])")
READABLE_SLOTTED = re.compile(rf"{READABLE_PLACEHOLDER.pattern}|{NUMBER.pattern}")


@settings(max_examples=600, deadline=None)
@given(st.text(st.sampled_from(list("Xx中文aBZ1２٣.,．%％‰ _-，") + [SLOT]), max_size=24))
def test_fast_patterns_find_what_the_readable_ones_do(text):
    from compare.textkey import _SLOTTED, PLACEHOLDER

    assert [m.span() for m in PLACEHOLDER.finditer(text)] == [m.span() for m in READABLE_PLACEHOLDER.finditer(text)]
    assert [m.span() for m in _SLOTTED.finditer(text)] == [m.span() for m in READABLE_SLOTTED.finditer(text)]


@given(st.lists(st.text(st.sampled_from(list("Xx中文aBZ1２٣.,．%％‰ _-，\n") + [SLOT, "\ua66e"]), max_size=12), max_size=8))
def test_keys_of_many_texts_at_once_are_each_ones_key(texts):
    # keys() keys the texts joined by one separator; no number or
    # placeholder may run across it, and a text holding it is keyed alone
    assert keys(texts) == [key(t) for t in texts]


@given(st.lists(st.text(max_size=20), max_size=6))
def test_keys_at_once_keep_what_key_keeps_of_any_character(texts):
    # (the characters the key drops are looked up in a table by code point)
    assert keys(texts) == [key(t) for t in texts]


def test_keys_at_once_on_built_examples():
    texts = ["增长11.2", ".5%，XX市", "X", "GDP增长XX", "Xi'an第2", "季度"]
    # "11.2" and ".5%" stay two numbers, "XX" after "X" two placeholders
    assert keys(texts) == ["增长Ⓧ", "ⓍⓍ市", "Ⓧ", "GDP增长Ⓧ", "Xian第Ⓧ", "季度"] == [key(t) for t in texts]
    assert keys(["ꙮ文字ꙮ", "12"]) == ["ꙮ文字ꙮ", "Ⓧ"]  # the separator in a text: keyed one by one
    assert keys([]) == [] and keys([""]) == [""]
    assert keys(["a\ud800b", "文"]) == ["ab", "文"]  # a lone surrogate (never encoded) is dropped as key() drops it
