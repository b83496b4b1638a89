import pytest
from hypothesis import given, settings, strategies as st

import compare
from compare.outline import cn_to_int, parse_outline

from .conftest import outline_shape, speeches_of


@pytest.mark.parametrize(
    "name, count",
    [
        ("ankang_2020_transport_and_health", 2),
        ("web_prefecture_speeches_trad", 9),
        ("city_health_2022_template", 1),
        ("ankang_2021_midyear", 1),
        ("web_health_speeches_trad", 6),
    ],
)
def test_split_counts(name, count):
    assert len(speeches_of(name)) == count


def test_bulletin_titles_dates_speakers():
    a, b = speeches_of("ankang_2020_transport_and_health")
    assert (a.title, a.date, a.speaker) == ("在全市交通运输电力邮政工作会议上的讲话", "2020年3月18日", "刘建平")
    assert (b.title, b.date, b.speaker) == ("在全市卫健医保工作会议上的讲话", "2020年3月20日", "刘建平")
    (c,) = speeches_of("ankang_2021_midyear")
    assert (c.title, c.date, c.speaker) == ("在分管联系部门半年工作推进会上的讲话", "2021年7月12日", "寇全安")
    assert a.source == "ankang_2020_transport_and_health.txt#1"


def test_salutation_split_speeches_start_with_salutation():
    for speech in speeches_of("web_prefecture_speeches_trad"):
        assert speech.text.startswith("同志们：")
    # the collection page: titles are its 篇 headers, chrome is gone
    titles = [s.title for s in speeches_of("web_health_speeches_trad")]
    assert titles[0].endswith("篇一") and titles[-1].endswith("篇六")


def test_ankang_2020_outline_golden():
    for speech in speeches_of("ankang_2020_transport_and_health"):
        shape = outline_shape(speech.sections)
        assert [label for label, _ in shape] == ["一", "二", "三"]
        under_two = [label for label, _ in shape[1][1]]
        under_three = [label for label, _ in shape[2][1]]
        assert under_two == ["（一）", "（二）", "（三）", "（四）"]
        assert under_three == ["（一）", "（二）", "（三）"]
    first = speeches_of("ankang_2020_transport_and_health")[0]
    two = first.sections[2]
    assert two.heading == "认清形势，理清思路，紧盯目标抓好贯彻落实"
    # 一、二、三产业用电量… is body text, not a heading
    assert "二、三产业用电量" in first.text
    assert not any(s.heading.startswith("二、三产业") for s in first.walk())


def test_broken_heading_rejoined_in_speech_two():
    second = speeches_of("ankang_2020_transport_and_health")[1]
    headings = [s.heading for s in second.walk()]
    assert "以提升公共卫生、医疗服务能力为导向，全力抓好公共卫生服务" in headings


def test_template_outline_golden():
    (speech,) = speeches_of("city_health_2022_template")
    shape = outline_shape(speech.sections)
    assert [label for label, _ in shape] == ["一", "二", "三", "四"]
    assert [label for label, _ in shape[0][1]] == ["一是", "二是", "三是", "四是"]
    assert [label for label, _ in shape[1][1]] == ["一是", "二是", "三是", "四是", "五是"]
    assert [label for label, _ in shape[2][1]] == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"]
    assert [label for label, _ in shape[3][1]] == ["一要", "二要", "三要"]
    assert speech.sections[0].level == 0  # 同志们 and the opening paragraph


def test_heading_leading_a_paragraph_is_split_from_body():
    (speech,) = speeches_of("ankang_2021_midyear")
    sec = speech.sections[2].children[0]
    assert sec.marker == "（一）" and sec.heading == "坚持党建引领，强化政治建设"
    assert sec.paragraphs[0].text.startswith("各部门要深入学习贯彻")


def test_text_without_outline_is_one_implicit_section():
    (speech,) = compare.load_text("今天开会。大家辛苦了。\n谢谢大家！")
    assert len(speech.sections) == 1 and speech.sections[0].level == 0
    assert [s.text for s in speech.sentences] == ["今天开会。", "大家辛苦了。", "谢谢大家！"]


def test_ordinal_words_and_numbers():
    assert [cn_to_int(t) for t in ["一", "十", "十二", "二十三", "7"]] == [1, 10, 12, 23, 7]
    text = "首先，工作能力有一定差距。\n其次思想观念有一定差距。\n第三精神状态有一定差距。\n最后，要加强领导。"
    assert [s.number for s in parse_outline(text)] == [1, 2, 3, 4]


def test_every_sample_sentence_slices_back():
    for name in ["ankang_2020_transport_and_health", "web_health_speeches_trad", "city_health_2022_template"]:
        for speech in speeches_of(name):
            for sentence in speech.sentences:
                assert speech.text[sentence.start:sentence.end] == sentence.text
            for sec in speech.walk():
                assert speech.text[sec.span[0]:].startswith(sec.marker)


outline_text = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["一、", "二、", "（一）", "(二)", "1.", "2、", "一是", "二要", "第一，", "首先", "最后"]).flatmap(
            lambda m: st.text(max_size=30).map(lambda t: m + t)
        ),
    ),
    max_size=15,
).map("\n".join)


@given(outline_text)
@settings(max_examples=300, deadline=None)
def test_parse_never_raises_and_offsets_slice_back(text):
    for speech in compare.load_text(text):
        for sentence in speech.sentences:
            assert speech.text[sentence.start:sentence.end] == sentence.text
        for sec in speech.walk():
            assert 0 <= sec.span[0] <= sec.span[1] <= len(speech.text)
