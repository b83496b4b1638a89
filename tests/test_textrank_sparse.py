"""The sparse TextRank: settings objects, duplicate merging, the factored
similarity operator, and summarize on arbitrary text."""

import math
import random

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

import compare
from compare import analyze
from compare.model import Speech
from compare.outline import parse_outline

from .conftest import SAMPLES, speeches_of

SAMPLE_NAMES = [p.stem for p in sorted(SAMPLES.glob("*.txt"))]


def speech_of(text: str, source: str = "t") -> Speech:
    return Speech("", "", "", source, text, parse_outline(text))


def sample_sentences() -> list[str]:
    return [s.text for name in SAMPLE_NAMES for sp in speeches_of(name) for s in sp.sentences]


EXPLICIT = analyze.TextRank(exact_graph_limit=None)
FACTORED = analyze.TextRank(exact_graph_limit=0)


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: analyze.Tokenizer(hmm="yes"), TypeError, "hmm"),
        (lambda: analyze.Tokenizer(hmm=1), TypeError, "True or False"),
        (lambda: analyze.Tokenizer(cache_size=-1), ValueError, "cache_size"),
        (lambda: analyze.Tokenizer(cache_size=2.5), TypeError, "integer"),
        (lambda: analyze.TextRank("pagerank"), ValueError, "fast, textrank4zh"),
        (lambda: analyze.TextRank(damping=1.0), ValueError, "damping"),
        (lambda: analyze.TextRank(damping="0.85"), TypeError, "number"),
        (lambda: analyze.TextRank(window=1), ValueError, "at least 2"),
        (lambda: analyze.TextRank(exact_graph_limit=-5), ValueError, "exact_graph_limit"),
        (lambda: analyze.TextRank(exact_graph_limit=True), TypeError, "exact_graph_limit"),
        (lambda: analyze.TextRank(max_iter=0), ValueError, "max_iter"),
        (lambda: analyze.TextRank(tol=float("nan")), TypeError, "tol"),
        (lambda: analyze.TextRank(kernel_rtol=0.5), ValueError, "kernel_rtol"),
        (lambda: analyze.TextRank(tokenizer="jieba"), TypeError, "Tokenizer"),
        (lambda: analyze.TextRank(merge_duplicates=None), TypeError, "merge_duplicates"),
    ],
)
def test_settings_are_validated_with_a_helpful_message(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_settings_are_kept_and_shown():
    tokenizer = analyze.Tokenizer(hmm=True, cache_size=None)
    ranker = analyze.TextRank("textrank4zh", tokenizer=tokenizer, window=3, exact_graph_limit=None)
    assert ranker.tokenizer is tokenizer and ranker.window == 3 and ranker.exact_graph_limit is None
    assert "hmm=True" in repr(ranker) and "textrank4zh" in repr(ranker)
    assert analyze.TextRank().tokenizer is analyze.TOKENIZER  # the shared default cache


def test_module_functions_keep_their_signatures():
    speech = speeches_of("ankang_2021_midyear")[0]
    summary = analyze.summarize(speech, 3, 4, True, "fast")
    assert len(summary.sentences) == 3 and len(summary.keywords) == 4 and summary.sections
    assert isinstance(summary, analyze.Summary) and isinstance(summary.keywords[0], analyze.Keyword)
    tokens = analyze.tokenize([s.text for s in speech.sentences])
    picked = analyze.key_sentences(speech, speech.sentences, 2, tokens, "textrank4zh")
    assert len(picked) == 2 and all(isinstance(k, analyze.KeySentence) for k in picked)
    words = analyze.rank_words([t.keyword_candidates for t in tokens], [t.words for t in tokens], window=3)
    assert words and words[0].score >= words[-1].score
    with pytest.raises(ValueError, match="engine"):
        analyze.summarize(speech, engine="networkx")


# ---------------------------------------------------------------- tokenizer


def test_the_hmm_is_a_setting_of_a_tokenizer_with_its_own_cache():
    with_hmm, without = analyze.Tokenizer(hmm=True), analyze.Tokenizer(hmm=False)
    sentences = [s.text for s in speeches_of("ankang_2021_midyear")[0].sentences]
    differ = [s for s in sentences if with_hmm.tokens(s).words != without.tokens(s).words]
    # the HMM joins characters the dictionary leaves apart, on some sentences only
    assert 0 < len(differ) < len(sentences)
    assert without.tokens(differ[0]).words == analyze.TOKENIZER.tokens(differ[0]).words  # default: off
    assert with_hmm.cache_info().currsize == without.cache_info().currsize == len(set(sentences))


@pytest.mark.parametrize("hmm", [False, True])
def test_pos_tagging_runs_once_per_distinct_sentence(monkeypatch, hmm):
    calls = []
    if hmm:  # each sentence through jieba
        posseg = analyze._jieba()
        real_cut = posseg.cut

        def counting_cut(sentence, *args, **kwargs):
            calls.append(sentence)
            return real_cut(sentence, *args, **kwargs)

        monkeypatch.setattr(posseg, "cut", counting_cut)
    else:  # a speech's sentences tagged together
        real_tag = analyze._tag_sentences

        def counting_tag(sentences):
            calls.extend(sentences)
            return real_tag(sentences)

        monkeypatch.setattr(analyze, "_tag_sentences", counting_tag)
    base = speeches_of("ankang_2021_midyear")[0].text
    lines = base.splitlines()
    text = "\n".join(lines + lines[:40] + lines[10:30])  # paragraphs repeated, as templates do
    speech = speech_of(text)
    ranker = analyze.TextRank(tokenizer=analyze.Tokenizer(hmm=hmm))
    ranker.summarize(speech, 5, 10, per_section=True)
    distinct = {s.text for s in speech.sentences}
    assert len(speech.sentences) > len(distinct)
    assert sorted(calls) == sorted(distinct)


def test_tokens_refuses_what_is_not_text():
    with pytest.raises(TypeError, match="str"):
        analyze.Tokenizer().tokens(None)


# ---------------------------------------------------------------- merging


def test_pagerank_with_multiplicities_equals_networkx_on_the_expanded_graph():
    rng = np.random.default_rng(7)
    for trial in range(20):
        groups = int(rng.integers(2, 9))
        m = rng.integers(1, 5, size=groups)
        W = rng.random((groups, groups)) * (rng.random((groups, groups)) < 0.5)
        W = W + W.T
        if trial % 3 == 0:
            W[0, :] = W[:, 0] = 0  # a dangling group
        members = np.repeat(np.arange(groups), m)
        full = W[np.ix_(members, members)]
        theirs = nx.pagerank(nx.from_numpy_array(full), alpha=0.85)
        expected = np.array([theirs[i] for i in range(len(members))])
        ours = analyze.pagerank(sparse.csr_array(W), multiplicity=m)[members]
        np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-15)
        # and the members of one group share their score
        unmerged = analyze.pagerank(sparse.csr_array(full))
        np.testing.assert_allclose(unmerged, ours, rtol=1e-9, atol=1e-15)


def test_merging_changes_nothing_when_every_sentence_is_distinct():
    unmerged = analyze.TextRank(exact_graph_limit=None, merge_duplicates=False)
    checked = 0
    for name in SAMPLE_NAMES:
        for speech in speeches_of(name):
            words = [t.words for t in analyze.tokenize([s.text for s in speech.sentences])]
            if len({(len(w), frozenset(w)) for w in words}) != len(words):
                continue
            a, b = EXPLICIT.rank_sentences(words), unmerged.rank_sentences(words)
            np.testing.assert_allclose(a, b, rtol=1e-12)
            assert list(analyze.descending(a)) == list(analyze.descending(b))
            checked += 1
    assert checked >= 5


def test_merged_duplicates_score_as_in_the_unmerged_graph():
    unmerged = analyze.TextRank(exact_graph_limit=None, merge_duplicates=False)
    rng = random.Random(3)
    for name in SAMPLE_NAMES:
        speech = speeches_of(name)[0]
        lines = speech.text.splitlines()
        repeated = lines + [rng.choice(lines) for _ in range(len(lines) // 2)]
        rng.shuffle(repeated)
        text_speech = speech_of("\n".join(repeated))
        sentences = text_speech.sentences
        words = [t.words for t in analyze.tokenize([s.text for s in sentences])]
        groups = analyze._group(words)
        assert len(groups.multiplicity) < len(words)  # duplicates were merged
        exact = unmerged.rank_sentences(words)
        for ranker in (EXPLICIT, FACTORED):
            merged = ranker.rank_sentences(words)
            np.testing.assert_allclose(merged, exact, rtol=1e-9)
            want = [(k.start, k.rank) for k in unmerged.key_sentences(text_speech, sentences, 5)]
            got = [(k.start, k.rank) for k in ranker.key_sentences(text_speech, sentences, 5)]
            assert got == want, name


# ---------------------------------------------------------------- the factored operator


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=math.log(2), max_value=math.log(100_000)), min_size=1, max_size=60))
def test_cauchy_factor_meets_its_entrywise_bound(x):
    x = np.unique(np.array(x))
    F = analyze._cauchy_factor(x, 1e-13)
    K = 1.0 / (x[:, None] + x[None, :])
    assert np.max(np.abs(F @ F.T - K) / K) <= 1e-12
    assert F.shape[1] <= len(x)


VOCAB = list("一二三四五六七八九十") + ["发展", "建设", "改革", "项目", "群众"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.sampled_from(VOCAB), max_size=12), min_size=1, max_size=40))
def test_factored_operator_reproduces_the_explicit_matrix(word_lists):
    groups = analyze._group(word_lists)
    explicit = analyze._explicit_similarity(groups.incidence, groups.lengths)
    operator = analyze._FactoredSimilarity(groups.incidence, groups.lengths)
    rng = np.random.default_rng(len(word_lists))
    for v in (np.ones(explicit.shape[0]), rng.random(explicit.shape[0])):
        want, got = explicit @ v, operator.matvec(v)
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=0)
    # one-word sentences: zero against each other, as textrank4zh's zero denominator
    np.testing.assert_allclose(
        analyze.pagerank(operator, multiplicity=groups.multiplicity),
        analyze.pagerank(explicit, multiplicity=groups.multiplicity),
        rtol=1e-9,
    )


def test_factored_path_agrees_with_the_exact_top_n_on_all_samples_at_once():
    """Every sample speech concatenated: 2,445 sentences, 137k characters."""
    text = "\n".join(sp.text for name in SAMPLE_NAMES for sp in speeches_of(name))
    speech = speech_of(text)
    sentences = speech.sentences
    assert len(sentences) > 2000
    words = [t.words for t in analyze.tokenize([s.text for s in sentences])]
    exact = analyze.TextRank(exact_graph_limit=None, merge_duplicates=False).rank_sentences(words)
    factored = FACTORED.rank_sentences(words)
    assert np.max(np.abs(factored - exact) / exact) < 1e-9
    for top in (5, 20, 100):
        assert list(analyze.descending(factored)[:top]) == list(analyze.descending(exact)[:top])


def test_one_sentence_twenty_thousand_times_is_one_node():
    sentence = next(s.text for s in speeches_of("ankang_2021_midyear")[0].sentences if len(s.text) > 40)
    speech = speech_of("\n".join([sentence] * 20_000))
    summary = analyze.summarize(speech, n=5, keywords=5, per_section=True)
    assert [k.rank for k in summary.sentences] == [1, 2, 3, 4, 5]
    assert [k.start for k in summary.sentences] == [i * (len(sentence) + 1) for i in range(5)]
    assert all(k.score == pytest.approx(1 / 20_000) for k in summary.sentences)
    assert len(summary.keywords) == 5


# ---------------------------------------------------------------- any text

MARKERS = ["一、", "二、", "三、", "（一）", "（二）", "1.", "2．", "（1）", "一是", "二是", "第一，", "第二，"]
PUNCT = list("。！？；：，、“”（）《》…—.,;:!?()") + ["\u3000", " ", "\t"]
WORDS = ["发展", "建设", "工作", "群众", "改革", "项目", "安全", "XX", "X", "123", "abc", "ＡＢＣ", "的", "了", "要", "和"]
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)

piece = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(PUNCT),
    st.text(CJK, min_size=1, max_size=6),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=3),
)
sentence = st.builds("".join, st.lists(piece, min_size=1, max_size=14))
line = st.builds(lambda m, s: m + s, st.sampled_from([""] * 4 + MARKERS), sentence)


@st.composite
def texts(draw):
    distinct = draw(st.lists(line, min_size=1, max_size=12))
    # repeated sentences: draw lines from a small pool, with repetition
    lines = draw(st.lists(st.sampled_from(distinct), min_size=1, max_size=40))
    joiner = draw(st.sampled_from(["\n", "", "。", "\n\n", " "]))
    return joiner.join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts(), st.integers(min_value=0, max_value=6), st.integers(min_value=0, max_value=12))
def test_summarize_never_raises_on_any_text(text, n, keywords):
    speeches = [speech_of(text)]
    try:
        speeches += compare.load_text(text)
    except compare.SpeechdiffError:
        pass
    for speech in speeches:
        results = [r.summarize(speech, n, keywords, per_section=True) for r in (EXPLICIT, FACTORED)]
        for summary in results:
            assert len(summary.sentences) <= n
            assert sorted(k.rank for k in summary.sentences) == list(range(1, len(summary.sentences) + 1))
            for k in summary.sentences:
                assert speech.text[k.start:k.end] == k.text
                assert math.isfinite(k.score) and k.score > 0
            assert len(summary.keywords) <= keywords
        a, b = results
        assert [k.score for k in a.sentences] == pytest.approx([k.score for k in b.sentences], rel=1e-9)


def test_descending_orders_by_score_and_keeps_index_order_among_ties():
    scores = np.array([0.5, 0.49999999999999994, 0.7, 0.1, 0.5, 0.3])
    assert list(analyze.descending(scores)) == [2, 0, 1, 4, 5, 3]
    assert list(analyze.descending(np.array([0.3, 0.2, 0.1]))) == [0, 1, 2]
    assert list(analyze.descending(np.array([0.1, 0.1 * (1 + 1e-6)]))) == [1, 0]  # 1e-6 apart: not a tie
    assert len(analyze.descending(np.zeros(0))) == 0


def _similarity_through_coo(B, lengths):
    """_explicit_similarity as it was: the product through COO and back."""
    shared = (B @ B.T).tocoo()
    log_len = np.log(np.maximum(1, lengths)).astype(float)
    denominator = log_len[shared.row] + log_len[shared.col]
    keep = (shared.data > 0) & (np.abs(denominator) > 1e-12)
    n = B.shape[0]
    return sparse.csr_array((shared.data[keep] / denominator[keep], (shared.row[keep], shared.col[keep])), shape=(n, n))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from("甲乙丙丁戊己庚辛壬癸"), max_size=8), min_size=1, max_size=40))
def test_the_explicit_graph_is_canonical_and_symmetric_so_pagerank_needs_no_transpose(word_lists):
    """The similarity matrix built straight from the product's sorted CSR
    is the one the COO round trip made (same arrays, bit for bit); it is
    canonical and its own transpose in storage, so PageRank told it is
    symmetric (no transposed copy) gives the very same scores; the word
    graph too."""
    groups = analyze._group(word_lists)
    got = analyze._explicit_similarity(groups.incidence, groups.lengths)
    want = _similarity_through_coo(groups.incidence, groups.lengths)
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, name), getattr(want, name))
    transposed = got.T.tocsr()
    assert got.has_canonical_format and np.array_equal(transposed.indices, got.indices) \
        and np.array_equal(transposed.data, got.data)
    m = groups.multiplicity
    assert np.array_equal(analyze.pagerank(got, multiplicity=m, symmetric=True), analyze.pagerank(got, multiplicity=m))
    from unittest import mock

    ranked = analyze.TextRank().rank_words(word_lists, word_lists)
    exact = analyze.pagerank
    with mock.patch.object(analyze, "pagerank", lambda *args: exact(*args[:-1], symmetric=False)):
        assert analyze.TextRank().rank_words(word_lists, word_lists) == ranked
    # and the word graph itself: the 0/1 matrix scipy builds from the pairs (COO, duplicates summed)
    assert ranked == _rank_words_through_scipy(word_lists, word_lists)


def _rank_words_through_scipy(vertex_lists, edge_lists):
    """TextRank.rank_words (window 2) with its graph built as it was: COO
    pairs of neighbours, duplicates summed, every weight set to 1."""
    import itertools

    vocab = {w: i for i, w in enumerate(dict.fromkeys(itertools.chain.from_iterable(vertex_lists)))}
    if not vocab:
        return []
    pairs = [(vocab[a], vocab[b]) for words in dict.fromkeys(tuple(e) for e in edge_lists)
             for a, b in zip(words, words[1:]) if a in vocab and b in vocab]
    row = np.array([a for a, _ in pairs] + [b for _, b in pairs], dtype=np.int64)
    col = np.array([b for _, b in pairs] + [a for a, _ in pairs], dtype=np.int64)
    graph = sparse.csr_array((np.ones(len(row)), (row, col)), shape=(len(vocab), len(vocab)))
    graph.sum_duplicates()
    graph.data[:] = 1.0
    scores = analyze.pagerank(graph)
    words = list(vocab)
    return [analyze.Keyword(words[i], float(scores[i])) for i in analyze.descending(scores).tolist()]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.floats(0.0, 1.0), st.sampled_from([np.int32, np.int64]), st.integers(0, 2**32 - 1))
def test_pageranks_product_is_scipys_bit_for_bit(rows, cols, density, index, seed):
    """PageRank's product calls scipy's csr_matvec directly: the very bits
    of ``@``, for either index width, empty rows and all-zero matrices."""
    rng = np.random.default_rng(seed)
    matrix = sparse.csr_array(sparse.random(rows, cols, density=density, random_state=rng, format="csr"))
    matrix.indptr, matrix.indices = matrix.indptr.astype(index), matrix.indices.astype(index)
    v = rng.random(cols) * 10 - 5
    assert np.array_equal(analyze._csr_product(matrix)(v), matrix @ v)


def test_pagerank_without_dangling_nodes_and_with_them_is_networkxs():
    """The loop skips the dangling nodes' sum when there are none: scores
    as networkx's on a graph with isolated nodes and on one without."""
    for edges, n in (([(0, 1), (1, 2), (2, 0), (2, 3)], 4), ([(0, 1), (1, 2)], 5)):
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from(edges)
        want = nx.pagerank(g)
        got = analyze.pagerank(sparse.csr_array(nx.to_scipy_sparse_array(g, nodelist=range(n))), symmetric=True)
        assert got == pytest.approx([want[i] for i in range(n)], rel=1e-6)
