import json
import os

import pytest

import compare
from compare import analyze

from .conftest import SAMPLES, run, speeches_of

ALL_SAMPLES = [
    "ankang_2020_transport_and_health",
    "ankang_2021_midyear",
    "city_health_2022_template",
    "web_health_speeches_trad",
    "web_prefecture_speeches_trad",
]


def _all_speeches():
    return [s for name in ALL_SAMPLES for s in speeches_of(name)]


def _top(scores, k):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return order[:k], scores[order[k - 1]] if len(order) >= k else None


# the exact path: the explicit similarity graph, whatever the speech's size
EXACT = analyze.TextRank(exact_graph_limit=None)
_THEIRS: dict[str, object] = {}  # textrank4zh is slow: score each speech once


def _textrank4zh_scores(source, words):
    if source not in _THEIRS:
        _THEIRS[source] = analyze.rank_sentences(words, engine="textrank4zh")
    return _THEIRS[source]


@pytest.mark.parametrize("ranker", [EXACT, analyze.TextRank()], ids=["exact path", "default settings"])
def test_parity_with_textrank4zh_on_every_sample_speech(ranker):
    checked = 0
    for speech in _all_speeches():
        sentences = speech.sentences
        if len(sentences) < 10:
            continue
        words = [t.words for t in analyze.tokenize([s.text for s in sentences])]
        ours = ranker.rank_sentences(words)
        theirs = _textrank4zh_scores(speech.source, words)
        top_ours, cut_ours = _top(ours, 5)
        top_theirs, _ = _top(theirs, 5)
        if top_ours != top_theirs:
            # only a tie at the cut may differ
            differing = set(top_ours) ^ set(top_theirs)
            assert all(abs(ours[i] - cut_ours) < 1e-9 for i in differing), speech.source
        assert max(abs(ours - theirs)) < 1e-9
        checked += 1
    assert checked >= 15


def test_keywords_parity_with_textrank4zh():
    speech = speeches_of("ankang_2021_midyear")[0]
    tokens = analyze.tokenize([s.text for s in speech.sentences])
    vertices, edges = [t.keyword_candidates for t in tokens], [t.words for t in tokens]
    ours = analyze.rank_words(vertices, edges)
    theirs = analyze.rank_words(vertices, edges, engine="textrank4zh")
    assert [k.word for k in ours[:10]] == [k.word for k in theirs[:10]]
    for window in (3, 5):
        ours = analyze.rank_words(vertices, edges, window=window)
        theirs = analyze.rank_words(vertices, edges, window=window, engine="textrank4zh")
        assert [k.word for k in ours[:10]] == [k.word for k in theirs[:10]]
        assert max(abs(a.score - b.score) for a, b in zip(ours, theirs)) < 1e-9


def test_key_sentences_in_document_order_with_ranks_and_paths():
    speech = speeches_of("ankang_2020_transport_and_health")[0]
    summary = analyze.summarize(speech, n=5)
    starts = [k.start for k in summary.sentences]
    assert starts == sorted(starts)
    assert sorted(k.rank for k in summary.sentences) == [1, 2, 3, 4, 5]
    for k in summary.sentences:
        assert speech.text[k.start:k.end] == k.text
        expected = " > ".join(sec.label for sec in speech.path_of(k.start))
        assert k.path == expected


def test_summary_sentences_are_whole_sentences_never_furniture():
    for speech in _all_speeches():
        for k in analyze.summarize(speech, n=5, keywords=0).sentences:
            assert k.text.endswith(("。", "！", "？", "；", "”", "）")), k.text
            for junk in ("主送", "抄送", "小编", "下载", "第十七期"):
                assert junk not in k.text


def test_per_section_summaries():
    speech = speeches_of("city_health_2022_template")[0]
    summary = analyze.summarize(speech, n=2, per_section=True)
    top_level = [s for s in speech.sections if s.level == 1]
    paths = [sec.path for sec in summary.sections if sec.path != "（开场）"]
    assert paths == [s.label for s in top_level] == ["一", "二", "三", "四"]
    for sec in summary.sections:
        assert 1 <= len(sec.sentences) <= 2
        if sec.path != "（开场）":
            assert all(k.path.split(" > ")[0] == sec.path for k in sec.sentences)


@pytest.mark.parametrize("word", ["进一步", "切实", "加强", "工作", "我们"])
def test_empty_official_words_never_top_keywords(word):
    for speech in _all_speeches():
        keywords = [k.word for k in analyze.summarize(speech, n=1, keywords=10).keywords]
        assert word not in keywords, (speech.source, keywords)


def test_keywords_are_content_words():
    speech = speeches_of("ankang_2020_transport_and_health")[0]
    keywords = [k.word for k in analyze.summarize(speech, keywords=15).keywords]
    assert {"交通", "建设"} <= set(keywords) or {"公路", "项目"} <= set(keywords), keywords


# ----- CLI



def test_cli_json_schema():
    result = run("summarize", SAMPLES / "ankang_2020_transport_and_health.txt", "--format", "json", "-n", "3", "--keywords", "4")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data) == 2  # a multi-speech file: every speech in turn
    for item in data:
        assert set(item) == {"source", "title", "date", "speaker", "sentences", "keywords", "sections"}
        assert len(item["sentences"]) == 3 and len(item["keywords"]) == 4
        for k in item["sentences"]:
            assert set(k) == {"text", "start", "end", "score", "rank", "path"}
        for w in item["keywords"]:
            assert set(w) == {"word", "score"} and isinstance(w["score"], float)


def test_cli_text_and_markdown():
    result = run("summarize", SAMPLES / "ankang_2021_midyear.txt")
    assert result.exit_code == 0
    assert "关键词" in result.output and "寇全安" in result.output
    md = run("summarize", SAMPLES / "ankang_2021_midyear.txt", "--format", "md").output
    assert md.startswith("## 在分管联系部门半年工作推进会上的讲话")
    assert "### 关键句" in md and "### 关键词" in md


def test_cli_per_section_and_engine():
    result = run("summarize", f"{SAMPLES / 'city_health_2022_template.txt'}#1", "--per-section", "--engine", "textrank4zh", "-n", "1")
    assert result.exit_code == 0, result.output
    assert "四" in result.output and "抓落实确保卫生健康各项任务圆满完成" in result.output


def test_cli_html_escapes_speech_text(tmp_path):
    source = tmp_path / "evil.txt"
    source.write_text(
        "同志们：\n一、加强领导\n网页中出现<script>alert(1)</script>这样的代码要当作文字。\n大家要认真落实各项工作任务。\n要把工作做实做细做好。",
        encoding="utf-8",
    )
    out = tmp_path / "s.html"
    result = run("summarize", source, "--format", "html", "-o", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_cli_refuses_to_overwrite_input(tmp_path):
    source = tmp_path / "speech.txt"
    source.write_text("同志们：\n今天开会。大家要认真落实各项任务。", encoding="utf-8")
    result = run("summarize", source, "--format", "md", "-o", source)
    assert result.exit_code == 2 and "overwrite" in result.output
    assert source.read_text(encoding="utf-8").startswith("同志们")


def test_cli_summarize_errors():
    result = run("summarize", f"{SAMPLES / 'ankang_2021_midyear.txt'}#2")
    assert result.exit_code == 2 and "no speech #2" in result.output
    result = run("summarize", SAMPLES / "nope.txt")
    assert result.exit_code == 2 and "no such file" in result.output


def test_tokenizer_shares_a_long_text_among_processes_with_the_same_result():
    from compare.analyze import Tokenizer

    sentences = [s.text for p in sorted(SAMPLES.glob("*.txt")) for sp in compare.load(p) for s in sp.sentences]
    sentences += sentences[:50]  # repeats are tagged once and given back in place
    serial = Tokenizer(processes=1).tokenize(sentences)
    forked = Tokenizer(processes=2, parallel_above=100)
    assert forked._processes_for(sentences) == min(2, len(os.sched_getaffinity(0)))
    assert forked.tokenize(sentences) == serial
    assert Tokenizer(processes=2, parallel_above=len(sentences))._processes_for(sentences) == 1  # not above the bar
    assert Tokenizer(processes=1, parallel_above=1)._processes_for(sentences) == 1


def test_tokenizer_settings_are_checked():
    from compare.analyze import Tokenizer

    with pytest.raises(ValueError, match="processes"):
        Tokenizer(processes=0)
    with pytest.raises(TypeError, match="parallel_above"):
        Tokenizer(parallel_above="many")
    assert "processes=3" in repr(Tokenizer(processes=3))


def test_summarize_with_the_callers_tokens_is_the_same_summary(monkeypatch):
    speech = speeches_of("ankang_2021_midyear")[0]
    sentences = speech.sentences
    tokens = analyze.tokenize([s.text for s in sentences])
    expected = analyze.summarize(speech)

    def no_tokenizing(self, sentences):
        raise AssertionError("summarize tokenized although it was given the tokens")

    monkeypatch.setattr(analyze.Tokenizer, "tokenize", no_tokenizing)
    assert analyze.summarize(speech, tokens=tokens) == expected
    with pytest.raises(ValueError, match="tokens for"):
        analyze.summarize(speech, tokens=tokens[:-1])
