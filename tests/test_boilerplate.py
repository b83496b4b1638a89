"""The one boilerplate rule (compare/boilerplate.py), on text built here and
on the samples."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import compare
from compare import boilerplate, corpus
from compare.boilerplate import Rule
from compare.fingerprint import fingerprint
from compare.textkey import key_spans

from .conftest import SAMPLES
from .oracles import label_loop, slot_weights_loop


def one(text: str, name: str = "t"):
    return compare.load_text("同志们：\n" + text, name)[0]


def unit_with(fp, needle):
    return next(u for u, unit in enumerate(fp.units) if needle in unit.text)


FRAME = "全年技术合同成交额增长{}，高新技术企业达到{}家，研发投入强度提高到{}。"


def test_a_sentence_that_differs_only_in_its_numbers_is_frame_plus_local_numbers():
    a = fingerprint(one(FRAME.format("11.2%", "1,234", "2.5%") + "\n汉江二桥将于十月建成通车。"))
    b = fingerprint(one(FRAME.format("8.5%", "987", "2.1%") + "\n白河县新建三所学校。"))
    la, lb = boilerplate.pair(a, b)
    u = unit_with(a, "技术合同")
    assert la.labels[u] == "boilerplate" and la.coverage[u] == 1.0
    spans = la.spans(a, u)
    text = a.speech.text
    fills = [text[s:e] for s, e, cat in spans if cat == "fill"]
    assert fills == ["11.2%", "1,234", "2.5%"]  # the numbers are this speech's own
    assert all(cat in ("boilerplate", "fill") for _, _, cat in spans)
    # the other sentences share nothing: local
    assert la.labels[unit_with(a, "汉江二桥")] == "local"
    assert lb.labels[unit_with(b, "白河县")] == "local"


def test_a_number_never_makes_a_sentence_boilerplate():
    # only the figures agree: the frame differs, so nothing is reused
    a = fingerprint(one("技术合同成交额增长11.2%。"))
    b = fingerprint(one("社会消费品零售总额增长11.2%。"))
    la, _ = boilerplate.pair(a, b)
    assert la.labels == ["local"] * len(la.labels)
    assert la.shares["boilerplate"] == la.shares["edited"] == 0


def test_a_place_name_inside_a_stock_sentence_is_a_fill():
    stock = "在{}委、{}政府的坚强领导下，全{}上下团结一心，攻坚克难，圆满完成了全年目标任务。"
    a = fingerprint(one(stock.format("市", "市", "市")))
    b = fingerprint(one(stock.format("县", "县", "县")))
    la, _ = boilerplate.pair(a, b)
    u = unit_with(a, "坚强领导")
    assert la.labels[u] == "boilerplate"
    spans = la.spans(a, u)
    text = a.speech.text
    place = [i for i, ch in enumerate(text) if ch == "市"]
    # each place name is inside a fill (a fill may take a neighbour or two:
    # a run that does not recur covers the characters within one shingle of it)
    assert all(any(s <= i < e and cat == "fill" for s, e, cat in spans) for i in place)
    assert all(e - s <= 6 for s, e, cat in spans if cat == "fill")
    assert "的坚强领导下" in "".join(text[s:e] for s, e, cat in spans if cat == "boilerplate")


def test_a_stock_sentence_with_a_rewritten_clause_is_edited():
    stock = "要坚持以人民为中心的发展思想，把人民群众的获得感、幸福感、安全感作为一切工作的出发点和落脚点。"
    edited = "要坚持以人民为中心的发展思想，把全面推进乡村振兴、建设宜居宜业和美乡村作为一切工作的出发点和落脚点。"
    fb = fingerprint(one(edited))
    _, lb = boilerplate.pair(fingerprint(one(stock)), fb)
    assert lb.labels[unit_with(fb, "人民为中心")] == "edited"
    assert lb.shares["local"] > 0.1 and lb.shares["edited"] > 0.3


def test_rule_settings_are_validated():
    for bad in (dict(min_speeches=0), dict(min_speeches=1.5), dict(min_speeches=True), dict(verbatim=0, reused=0.0001),
                dict(reused=0), dict(verbatim=1.5), dict(max_fill=-1),
                dict(max_fill=True), dict(max_fill=2.0), dict(verbatim="0.8")):
        with pytest.raises(ValueError, match=f"^{next(iter(bad))} must be"):
            Rule(**bad)
    with pytest.raises(ValueError, match="^reused .* must not exceed verbatim"):
        Rule(reused=0.9, verbatim=0.8)
    Rule(max_fill=0, verbatim=1, reused=1)  # the edges are allowed
    assert Rule(min_speeches=3).label(0.85) == "boilerplate"
    # thresholds are inclusive
    assert Rule().label(0.8) == "boilerplate" and Rule().label(0.5) == "edited"
    assert Rule().label(0.6) == "edited" and Rule().label(0.4999) == "local"


def test_a_reused_clause_inside_a_new_sentence_leaves_it_local():
    clause = "压紧压实各级党委政府的属地责任"
    a = fingerprint(one(f"各县区要{clause}，确保防汛物资在六月底前全部到位，汛期值班人员全部在岗。"))
    b = fingerprint(one(f"林业部门要{clause}，严防春季森林火灾发生。"))
    la, lb = boilerplate.pair(a, b)
    assert la.labels == ["local"] * len(la.labels)
    assert la.shares["local"] == 1.0 and la.shares["edited"] == la.shares["fill"] == 0.0


def test_a_sentence_of_numbers_only_is_local():
    fp_a = fingerprint(one("2020、2021、2022、2023、2024。"))
    fp_b = fingerprint(one("1999、1998、1997、1996、1995。"))
    assert fp_a.keys[-1] == "\u24cd" * 5 and len(fp_a.runs_of(len(fp_a.keys) - 1)) == 1
    la, _ = boilerplate.pair(fp_a, fp_b)
    assert la.labels[-1] == "local"  # all slots, no frame: nothing of it can be reused


def test_max_fill_is_the_longest_fill():
    frame_a = "要坚持以人民为中心的发展思想，{}，把人民群众的获得感、幸福感、安全感作为一切工作的出发点和落脚点。"
    # a 6-character run that does not recur is a fill; with max_fill=5 it is local text
    a = fingerprint(one(frame_a.format("汉江两岸六区")))
    b = fingerprint(one(frame_a.format("白河石泉两县")))
    for max_fill, expected in ((6, "fill"), (5, "local")):
        la, _ = boilerplate.pair(a, b, Rule(max_fill=max_fill))
        spans = la.spans(a, unit_with(a, "人民为中心"))
        run = [cat for s, e, cat in spans if "六区" in a.speech.text[s:e]]
        assert run == [expected], (max_fill, spans)


def test_pair_uses_the_rule_it_is_given():
    stock = "要坚持以人民为中心的发展思想，把人民群众的获得感、幸福感、安全感作为一切工作的出发点和落脚点。"
    edited = "要坚持以人民为中心的发展思想，把全面推进乡村振兴作为一切工作的出发点和落脚点。"
    fa, fb = fingerprint(one(stock)), fingerprint(one(edited))
    strict = Rule(verbatim=1.0, reused=1.0)
    for labels in boilerplate.pair(fa, fb, strict):
        assert labels.labels[-1] == "local"
    for labels in boilerplate.pair(fa, fb):
        assert labels.labels[-1] == "edited"


def test_a_literal_slot_character_in_the_text_is_weighed_exactly():
    fp = fingerprint(one("Ⓧ全年增长11.2%。"))
    labels = boilerplate.label(fp, np.zeros(len(fp.runs), dtype=bool))
    u = unit_with(fp, "增长")
    weights = boilerplate.slot_weights(fp)[fp.offsets[u] : fp.offsets[u + 1]]
    assert [int(w) for ch, w in zip(fp.keys[u], weights) if ch == "\u24cd"] == [1, 5]


def test_min_speeches_raises_the_bar_in_a_corpus():
    stock = "要坚持以人民为中心的发展思想，把人民群众的获得感、幸福感、安全感作为一切工作的出发点和落脚点。"
    pair_only = "要把推进新型工业化作为头等大事，集中力量建设先进制造业集群，壮大实体经济根基。"
    own = [
        "汉江二桥将于十月建成通车，届时城区交通拥堵问题将明显缓解，南北两岸通行时间缩短一半。",
        "白河县三个易地搬迁安置点的配套学校必须在秋季开学前投入使用，确保孩子们就近入学。",
        "新区管委会要抓紧完成数据中心二期的土地征收，年底前实现开工，明年建成投用。",
    ]
    texts = [f"{stock}\n{pair_only}\n{own[0]}", f"{stock}\n{pair_only}\n{own[1]}", f"{stock}\n{own[2]}"]
    speeches = [one(t, f"s{i}") for i, t in enumerate(texts)]
    loose = corpus.analyze_corpus(speeches, rule=Rule(min_speeches=1))
    strict = corpus.analyze_corpus(speeches, rule=Rule(min_speeches=2))
    assert loose.families == []  # three independent speeches
    fp0 = fingerprint(speeches[0])
    u = unit_with(fp0, "新型工业化")
    assert loose.speeches[0].labels.labels[u] == "boilerplate"  # one other speech has it
    assert strict.speeches[0].labels.labels[u] == "local"  # not two others
    assert strict.speeches[0].labels.labels[unit_with(fp0, "人民为中心")] == "boilerplate"  # all three have it
    # the phrasebook follows the same rule
    assert any("新型工业化" in e.text for e in loose.phrasebook)
    assert not any("新型工业化" in e.text for e in strict.phrasebook)


SENTENCES = st.lists(
    st.sampled_from([
        "要坚持以人民为中心的发展思想。", "全年地区生产总值增长5.2%。", "XX市要抓好安全生产工作。",
        "汉江二桥将于十月建成通车。", "各县区要压紧压实属地责任，确保防汛物资全部到位。", "一、总体要求",
        "新建高标准农田12万亩。", "同志们，", "各位代表：",
    ]),
    min_size=1, max_size=12,
)


@settings(max_examples=80, deadline=None)
@given(SENTENCES, SENTENCES)
def test_shares_add_up_and_identical_pairs_are_symmetric(xs, ys):
    a = compare.load_text("\n".join(xs), "a")
    b = compare.load_text("\n".join(ys), "b")
    if not a or not b:
        return
    fa, fb = fingerprint(a[0]), fingerprint(b[0])
    for labels, fp in zip(boilerplate.pair(fa, fb), (fa, fb)):
        assert sum(labels.shares.values()) == pytest.approx(1.0)
        assert set(labels.labels) <= set(boilerplate.LABELS)
        assert len(labels.category) == fp.chars
        # the weights are the text's characters: the width of every key character's span
        assert boilerplate.slot_weights(fp).sum() == sum(e - s for u in fp.units for s, e in key_spans(u.text)[1])
    same_a, same_b = boilerplate.pair(fa, fingerprint(a[0]))
    assert same_a.shares == same_b.shares
    assert same_a.labels == same_b.labels
    # a speech against itself: everything long enough to be compared is reused
    assert all(name == "boilerplate" for name, u in zip(same_a.labels, range(len(fa.keys))) if len(fa.runs_of(u)))


def test_weights_count_the_characters_a_slot_stands_for():
    fp = fingerprint(one("全年增长11.2%，新增XX家企业。"))
    labels = boilerplate.label(fp, np.zeros(len(fp.runs), dtype=bool))
    u = unit_with(fp, "增长")
    lo, hi = fp.offsets[u], fp.offsets[u + 1]
    key = fp.keys[u]
    widths = [int(w) for ch, w in zip(key, boilerplate.slot_weights(fp)[lo:hi]) if ch == "\u24cd"]
    assert widths == [5, 2]  # "11.2%" and "XX"


def test_the_rule_lives_in_one_place(monkeypatch, tmp_path):
    """corpus (report), align (diff) and store (--against) all decide
    through boilerplate.label: replacing it changes all three."""
    from compare import align, store, views

    calls = []
    real = boilerplate.label

    def spy(fp, recurs, rule=boilerplate.PAIR):
        calls.append(fp.speech.source)
        labels = real(fp, recurs, rule)
        labels.labels = ["local"] * len(labels.labels)  # a rule that says nothing is boilerplate
        labels.shares = dict.fromkeys(labels.shares, 0.0) | {"local": 1.0}
        return labels

    monkeypatch.setattr(boilerplate, "label", spy)
    stock = "要坚持以人民为中心的发展思想，把人民群众的获得感、幸福感、安全感作为一切工作的出发点和落脚点。"
    a, b = one(stock + "\n汉江二桥将于十月建成通车。", "a"), one(stock + "\n白河县新建三所学校。", "b")
    c = corpus.analyze_corpus([a, b])
    assert calls == ["a#1", "b#1"] and all(x == "local" for r in c.speeches for x in r.labels.labels)
    calls.clear()
    d = align.diff(a, b)
    assert calls == ["a#1", "b#1"] and set(d.a.rule.labels) == {"local"}
    view = views.diff(a, b).data
    assert {cell["label"] for sec in view["sections"] for row in sec["rows"] for cell in (row["a"], row["b"]) if cell} == {"local"}
    calls.clear()
    for name, s in (("a", a), ("b", b)):
        (tmp_path / f"{name}.txt").write_text(s.text, encoding="utf-8")
    conn = store.connect(tmp_path / "c.sqlite")
    store.add_file(conn, tmp_path / "b.txt")
    marking = store.mark(conn, one(stock + "\n汉江二桥将于十月建成通车。", "new"))
    assert calls == ["new#1"] and set(marking.labels.labels) == {"local"} and marking.share == 0


# ----- edges of the rule (each pins a branch of boilerplate.label / _runs)


def test_a_sentence_without_frame_has_coverage_zero():
    # a unit of numbers only has no frame to recur: its coverage is 0, not 0/0
    fp = fingerprint(one("2020。"))
    labels = boilerplate.label(fp, np.ones(len(fp.runs), dtype=bool))
    u = len(fp.keys) - 1
    assert fp.keys[u] == "\u24cd"
    assert labels.coverage[u] == 0.0 and labels.labels[u] == "local"


def test_a_speech_without_text_is_all_local():
    # a head block alone (title and date, no body): no key characters at all
    (empty,) = compare.load_text("在全市春耕生产工作会议上的讲话\n（2020年3月18日）")
    fp = fingerprint(empty)
    assert fp.chars == 0
    other = fingerprint(one("今天开会，研究部署下一步工作，大家要认真抓好落实。"))
    for labels in (boilerplate.label(fp, np.zeros(0, dtype=bool)), boilerplate.pair(fp, other)[0]):
        assert labels.labels == []
        assert labels.shares == {"boilerplate": 0.0, "edited": 0.0, "fill": 0.0, "local": 1.0}
        assert labels.reused == 0.0


def test_flags_may_be_given_as_zeros_and_ones():
    # ``recurs`` flags runs; 0/1 integers mean the same as booleans (never indices)
    a = fingerprint(one(FRAME.format("11.2%", "1,234", "2.5%") + "\n汉江二桥将于十月建成通车。"))
    b = fingerprint(one(FRAME.format("8.5%", "987", "2.1%")))
    flags = np.isin(a.runs, b.set)
    assert 0 < flags.sum() < len(flags)
    as_bool = boilerplate.label(a, flags)
    for given in (flags.astype(np.int64), flags.astype(np.int64).tolist()):
        as_int = boilerplate.label(a, given)
        assert as_int.labels == as_bool.labels and as_int.coverage == as_bool.coverage
        assert as_int.shares == as_bool.shares


def test_a_fill_at_the_very_end_of_a_sentence_is_a_fill():
    # the run that does not recur is the sentence's last key characters
    stock = "在市委、市政府的坚强领导下，全市上下团结一心，圆满完成了全年目标任务，建设幸福{}。"
    a = fingerprint(one(stock.format("安康")))
    b = fingerprint(one(stock.format("汉中")))
    la, _ = boilerplate.pair(a, b)
    u = unit_with(a, "坚强领导")
    spans = la.spans(a, u)
    text = a.speech.text
    assert la.labels[u] == "boilerplate"
    assert [(text[s:e], cat) for s, e, cat in spans][-1] == ("安康", "fill")
    assert [cat for _, _, cat in spans] == ["boilerplate", "fill"]


def _same_labels(fp, recurs, rule):
    got, want = boilerplate.label(fp, recurs, rule), label_loop(fp, recurs, rule)
    assert got.labels == want.labels and got.coverage == want.coverage and got.shares == want.shares
    assert np.array_equal(got.category, want.category) and np.array_equal(boilerplate.slot_weights(fp), slot_weights_loop(fp))


def test_the_rule_on_all_units_at_once_labels_as_the_loop_over_units_did():
    # every speech of the samples and the development corpus, against the
    # previous one (real reuse) and under random recurrence, several rules
    paths = sorted(SAMPLES.glob("*.txt")) + sorted((SAMPLES.parent / "tests" / "realworld").glob("*.txt"))
    fps = [fingerprint(s) for p in paths for s in compare.load(p)]
    rng = np.random.default_rng(11)
    rules = [Rule(), Rule(verbatim=0.6, reused=0.3, max_fill=0), Rule(max_fill=12)]
    for prev, fp in zip(fps, fps[1:]):
        for rule in rules:
            _same_labels(fp, np.isin(fp.runs, prev.set), rule)
        _same_labels(fp, rng.random(len(fp.runs)) < rng.random(), rules[len(fp.runs) % 3])


@settings(max_examples=60, deadline=None)
@given(SENTENCES, st.lists(st.booleans(), min_size=1, max_size=50), st.integers(0, 8))
def test_the_rule_on_generated_speeches_labels_as_the_loop_did(xs, flags, max_fill):
    speeches = compare.load_text("\n".join(xs), "a")
    if not speeches:
        return
    fp = fingerprint(speeches[0])
    recurs = np.resize(np.array(flags), len(fp.runs))
    _same_labels(fp, recurs, Rule(max_fill=max_fill))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="增长元XxⒹⓍ12５.,．%％‰，。 A", min_size=1, max_size=20), min_size=1, max_size=6))
def test_slot_widths_are_those_of_each_key_characters_span(parts):
    # numbers, placeholders, Latin words around X, literal Ⓧ: each SLOT of
    # the key weighs what key_spans says it stands for
    speeches = compare.load_text("同志们：\n" + "\n".join(p + "的工作。" for p in parts), "w")
    for speech in speeches:
        fp = fingerprint(speech)
        assert np.array_equal(boilerplate.slot_weights(fp), slot_weights_loop(fp))
