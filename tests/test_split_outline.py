import pytest
from hypothesis import given, settings, strategies as st

import compare
from compare.outline import cn_to_int, parse_outline
from compare.split import split_speeches

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


# ----- splitting on evidence, on documents built here

def _report(sections: list[str], opening: str = "各位代表：") -> str:
    body = "\n".join(
        f"{'一二三四五'[k]}、{title}\n{title}方面，我们做了大量工作，取得了明显成效，人民群众的获得感不断增强。"
        for k, title in enumerate(sections)
    )
    return f"{opening}\n现在，我代表县人民政府向大会报告工作，请予审议。\n{body}"


def test_a_repeated_salutation_alone_is_no_new_speech():
    text = _report(["工作回顾", "目标任务"]) + "\n各位代表：\n今年的任务十分繁重，我们必须加倍努力。\n" + "三、政府建设\n政府建设方面，我们将从严要求自己，建设人民满意的政府。"
    (speech,) = compare.load_text(text)
    assert [s.label for s in speech.sections if s.level == 1] == ["一", "二", "三"]
    assert speech.text.count("各位代表：") == 2


def test_a_salutation_that_restarts_the_outline_is_a_new_speech():
    text = _report(["工作回顾", "目标任务"], "同志们：") + "\n" + _report(["安全生产", "应急管理"], "同志们：")
    first, second = compare.load_text(text)
    assert [s.heading for s in second.sections if s.level == 1] == ["安全生产", "应急管理"]
    assert second.text.startswith("同志们：")


def test_a_salutation_after_a_closing_is_a_new_speech():
    text = "女士们、先生们：\n欢迎大家来到这里参加本次论坛，希望大家畅所欲言，共商发展大计。\n谢谢大家！\n女士们、先生们：\n下面我就产业合作谈几点看法，供大家参考，不妥之处请批评指正。"
    assert len(compare.load_text(text)) == 2


# ----- the outline's end: appendices


def test_a_list_appended_after_the_report_is_an_appendix_not_more_sections():
    text = _report(["工作回顾", "目标任务", "政府建设"]) + (
        "\n各位代表！让我们团结一心，为全面建设社会主义现代化国家而努力奋斗！"
        "\n一、新建改建农村公路100公里。\n二、新增城镇就业3000人。\n三、改造老旧小区20个。\n四、新建幼儿园5所。"
    )
    (speech,) = compare.load_text(text)
    top = [s for s in speech.sections if s.level == 1]
    assert [s.label for s in top] == ["一", "二", "三", "·"]
    assert top[-1].kind == "appendix" and top[-1].heading == "一、新建改建农村公路100公里"
    assert "新建幼儿园5所" in speech.text[top[-1].span[0]:top[-1].span[1]]


@pytest.mark.parametrize("heading", ["附件：名词解释", "注释", "※名词解释※", "附录一"])
def test_an_appendix_heading_ends_the_outline(heading):
    text = _report(["工作回顾", "目标任务"]) + f"\n{heading}\n1.“两个确立”：是指…。\n2.“四个意识”：是指…。"
    (speech,) = compare.load_text(text)
    top = [s for s in speech.sections if s.level == 1]
    assert [s.kind for s in top] == ["一、", "一、", "appendix"]
    assert top[-1].heading == heading and not top[-1].children
    assert [p.text for p in top[-1].paragraphs] == ["1.“两个确立”：是指…。", "2.“四个意识”：是指…。"]


def test_first_of_all_never_sits_above_numbered_sections():
    text = "首先报告2001年的工作\n" + _report(["经济运行", "改革开放"])
    (speech,) = compare.load_text(text)
    top = [s for s in speech.sections if s.level == 1]
    assert [s.label for s in top] == ["首先", "一", "二"]
    assert all(not s.children for s in top)


def test_unnumbered_headings_form_a_level_when_nothing_is_numbered():
    para = "这一年，我们坚持稳中求进，经济社会发展取得了新的成绩，群众生活持续改善。"
    text = f"引言\n{para}\n去年经济表现\n{para}\n（一）工业生产\n{para}\n（二）对外贸易\n{para}\n今年经济展望\n{para}\n（一）内需\n{para}"
    sections = parse_outline(text)
    shape = outline_shape(sections)
    assert shape == [("·", []), ("·", [("（一）", []), ("（二）", [])]), ("·", [("（一）", [])])]
    assert [s.heading for s in sections] == ["引言", "去年经济表现", "今年经济展望"]


def test_parts_and_chapters_hold_everything():
    para = "我们要坚持以人民为中心，推动各项工作落地见效，确保取得实实在在的成效。"
    text = f"第一部分 过去五年的工作\n{para}\n一、经济发展\n{para}\n二、社会事业\n{para}\n第二部分 今后五年的任务\n{para}\n一、产业升级\n{para}"
    shape = outline_shape(parse_outline(text))
    assert shape == [("第一部分", [("一", []), ("二", [])]), ("第二部分", [("一", [])])]


def test_question_ordinals_are_headings():
    para = "这个问题十分重要，关系到我们事业的成败，必须引起高度重视。"
    text = f"第一个问题，关于认识问题。{para}\n第二个问题，关于队伍建设。{para}"
    assert [s.number for s in parse_outline(text)] == [1, 2]


# ----- metadata from the head of a speech


def test_subtitle_speaker_and_full_width_digits():
    text = "政府工作报告\n——２０２３年１月５日在某县第十届人民代表大会第三次会议上\n某县人民政府县长 张 三\n各位代表：\n现在，我代表县人民政府向大会报告工作，请予审议。"
    (speech,) = compare.load_text(text)
    assert (speech.title, speech.date, speech.speaker) == ("政府工作报告", "2023年1月5日", "张三")
    assert speech.subtitle.startswith("——")
    assert speech.text.startswith("各位代表：")  # metadata lines leave the body


def test_speech_title_date_and_name_lines():
    text = "在全省科技工作会议上的讲话\n（二〇一九年三月八日）\n李四\n同志们：\n今天召开全省科技工作会议，主要任务是总结工作，部署任务。"
    (speech,) = compare.load_text(text)
    assert (speech.title, speech.date, speech.speaker) == ("在全省科技工作会议上的讲话", "2019年3月8日", "李四")
    assert speech.text.startswith("同志们：")


def test_header_block_fields_and_news_dateline():
    text = "标题：某市2021年政府工作报告\n发文时间：2021-02-03\n报告人：某市人民政府市长 王五\n正文：\n各位代表：\n现在，我代表市人民政府向大会报告工作。"
    (speech,) = compare.load_text(text)
    assert (speech.title, speech.date, speech.speaker) == ("某市2021年政府工作报告", "2021年2月3日", "王五")
    assert "标题" not in speech.text and "发文时间" not in speech.text
    news = "标题：某县2024年政府工作报告\n正文：\n新华社某地2月4日电 县长赵六在县人大会议上作政府工作报告时说，过去一年全县经济稳中有进。"
    (speech,) = compare.load_text(news)
    assert speech.date == "2024年2月4日"


def test_date_and_name_on_one_line():
    text = "某省政府工作报告\n（2011年1月12日 陈某某）\n各位代表：\n现在，我代表省人民政府向大会报告工作。"
    (speech,) = compare.load_text(text)
    assert (speech.date, speech.speaker) == ("2011年1月12日", "陈某某")


# ----- naming speeches


def test_load_accepts_file_hash_n(tmp_path):
    a = tmp_path / "two.txt"
    a.write_text(
        "在甲会议上的讲话\n（2020年1月1日）\n同志们：\n今天召开甲会议，大家要认真学习，抓好落实，确保完成全年目标任务。\n"
        "在乙会议上的讲话\n（2020年2月1日）\n同志们：\n今天召开乙会议，大家要提高认识，压实责任，确保各项工作落到实处。\n",
        encoding="utf-8",
    )
    (second,) = compare.load(f"{a}#2")
    assert second.title == "在乙会议上的讲话"
    assert [s.title for s in compare.select(str(a))] == ["在甲会议上的讲话", "在乙会议上的讲话"]
    with pytest.raises(compare.SpeechdiffError, match="no speech #3"):
        compare.load(f"{a}#3")
    named = tmp_path / "odd#1"  # a file whose own name ends in #N
    named.write_text("今天开会。大家辛苦了。", encoding="utf-8")
    assert len(compare.load(named)) == 1


def test_load_many_skips_unreadable_files_unless_strict(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("同志们：\n今天开会，研究部署下一步工作。", encoding="utf-8")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    speeches, skipped = compare.load_many([str(good), str(binary), str(tmp_path / "missing.txt")])
    assert len(speeches) == 1
    assert [spec for spec, _ in skipped] == [str(binary), str(tmp_path / "missing.txt")]
    assert all("\n" not in reason and reason for _, reason in skipped)
    with pytest.raises(compare.SpeechdiffError, match="binary"):
        compare.load_many([str(good), str(binary)], strict=True)


# ----- evidence of a new speech, case by case (each case pins one clause of
# split._outline_restarts / split._counts / split._is_speech_text)

P = "我们要坚持以人民为中心，推动各项工作落地见效，确保取得实实在在的成效。"


def _speech_texts(text):
    return [s.text.split("\n")[1] for s in split_speeches(text)]


def _lines(*parts):
    return "\n".join(parts)


@pytest.mark.parametrize(
    "case, text, starts",
    [
        (
            "a subsection count to exactly two, restarted right under the salutation",
            _lines("同志们：", P, "（一）抓好春耕生产", P, "（二）抓好安全生产", P, "同志们：", "（一）加强组织领导", P, "（二）强化督导考核", P),
            [P, "（一）加强组织领导"],
        ),
        (
            "a count that never started at one is no count",
            _lines("同志们：", P, "（二）抓好安全生产", P, "同志们：", "（一）加强组织领导", P, "（二）强化督导考核", P),
            [P],
        ),
        (
            "a count that skips a number stops at the last continued one",
            _lines("同志们：", P, "（一）抓好春耕生产", P, "（三）抓好安全生产", P, "同志们：", "（一）加强组织领导", P, "（二）强化督导考核", P),
            [P],
        ),
        (
            "a count that restarted before the salutation counts from its restart",
            _lines("同志们：", P, "（一）抓好春耕生产", P, "（二）抓好安全生产", P, "（一）加强组织领导", P,
                   "同志们：", "（一）加强组织领导", P, "（二）强化督导考核", P),
            [P],
        ),
        (
            "a subsection restart is evidence only for the family the text opened with",
            _lines("同志们：", P, "一、关于春耕", "（一）抓好春耕生产", P, "（二）抓好安全生产", P,
                   "同志们：", "（一）加强组织领导", P, "（二）强化督导考核", P),
            [P],
        ),
        (
            "a top-level family opening after the salutation is no restart",
            _lines("同志们：", P, "（一）抓好春耕生产", P, "同志们：", "一、加强组织领导", P, "二、强化督导考核", P),
            [P],
        ),
        (
            "a top-level count to two restarts even when the text opened with another family",
            _lines("同志们：", "首先，我讲一点意见，大家要认真领会，抓好落实。", "一、关于春耕", P, "二、关于安全", P,
                   "同志们：", "一、加强组织领导", P, "二、强化督导考核", P),
            ["首先，我讲一点意见，大家要认真领会，抓好落实。", "一、加强组织领导"],
        ),
        (
            "no numbered marker after the salutation: no restart",
            _lines("同志们：", P, "一、关于春耕", P, "二、关于安全", P, "同志们：", P, P),
            [P],
        ),
        (
            "最后 (no number) after the salutation is passed over",
            _lines("同志们：", P, "（一）抓好春耕生产", P, "（二）抓好安全生产", P,
                   "同志们：", "最后，通报一个情况，大家要高度重视，认真对待。", "（一）加强组织领导", P, "（二）强化督导考核", P),
            [P, "最后，通报一个情况，大家要高度重视，认真对待。"],
        ),
        (
            "最后 (no number) does not open the text's family",
            _lines("同志们：", "最后，我再强调一点，大家要高度重视，认真对待。", "（一）抓好春耕生产", P, "（二）抓好安全生产", P,
                   "同志们：", "（一）加强组织领导", P, "（二）强化督导考核", P),
            ["最后，我再强调一点，大家要高度重视，认真对待。", "（一）加强组织领导"],
        ),
        (
            "a family first met at three has no count",
            _lines("同志们：", P, "（三）抓好安全生产", P, "同志们：", "（一）加强组织领导", P, "（二）强化督导考核", P),
            [P],
        ),
    ],
)
def test_a_salutation_is_a_new_speech_only_on_outline_evidence(case, text, starts):
    assert _speech_texts(text) == starts, case


def _title_block():
    return _lines("在全市春耕生产工作会议上的讲话", "（2020年3月18日）", "同志们：", P, P)


def _prose_line(n):
    """A prose line of exactly ``n`` characters."""
    body = "各级各部门要认真贯彻落实，压实工作责任，" * 20
    return body[: n - 7] + "确保见到实效。"


def test_text_above_the_first_title_block_is_a_speech_only_if_it_has_text():
    from compare.split import _SPEECH_MIN

    short = "今年以来，全市上下狠抓落实，各项工作取得新进展。"
    assert len(short) * 3 < _SPEECH_MIN
    # three short prose lines are a speech of their own ...
    three = [short, "一季度，全市经济运行总体平稳，主要指标好于预期。", "二季度，重点项目加快推进，投资增速稳步回升。"]
    first, second = split_speeches(_lines(*three, _title_block()))
    assert first.text == _lines(*three) and second.title == "在全市春耕生产工作会议上的讲话"
    # ... two are the page's head
    (only,) = split_speeches(_lines(short, short, _title_block()))
    assert only.title == "在全市春耕生产工作会议上的讲话" and short not in only.text
    # one line of _SPEECH_MIN characters is a speech, one character less is not
    assert len(split_speeches(_lines(_prose_line(_SPEECH_MIN), _title_block()))) == 2
    assert len(split_speeches(_lines(_prose_line(_SPEECH_MIN - 1), _title_block()))) == 1


# ----- the outline's end: where an appendix starts, what it holds


def _numbered_report():
    return _lines("一、经济发展", P, "二、社会事业", P, "三、政府建设", P)


def test_an_appended_list_keeps_its_first_item_and_offsets():
    # indented lines, two sentences in the first item, placeholders at its end
    text = _numbered_report() + "\n　　一、新建农村公路XX公里，改造危桥XX。惠及群众XX万人。\n　　二、新增城镇就业3000人。\n三、改造老旧小区20个。"
    sections = parse_outline(text)
    appendix = sections[-1]
    assert appendix.kind == "appendix"
    # the heading is the first sentence of the first item, end mark dropped
    assert appendix.heading == "一、新建农村公路XX公里，改造危桥XX"
    assert appendix.span == (text.index("　　一、新建"), len(text))
    # the sections before it close where it starts, each at the next one's start
    tops = sections[:-1]
    assert [s.span for s in tops] == [
        (text.index("一、经济"), text.index("二、社会")),
        (text.index("二、社会"), text.index("三、政府")),
        (text.index("三、政府"), appendix.span[0]),
    ]
    assert [p.text for p in appendix.paragraphs] == [
        "一、新建农村公路XX公里，改造危桥XX。惠及群众XX万人。", "二、新增城镇就业3000人。", "三、改造老旧小区20个。"
    ]
    for p in appendix.paragraphs:
        assert text[p.start:p.end] == p.text


def test_an_appendix_heading_is_its_own_line_not_a_paragraph():
    text = _numbered_report() + "\n附件：名词解释\n　　1.“两个确立”：是指…。\n　　2.“四个意识”：是指…。"
    appendix = parse_outline(text)[-1]
    assert appendix.heading == "附件：名词解释"
    assert appendix.span == (text.index("附件"), len(text))
    assert [p.text for p in appendix.paragraphs] == ["1.“两个确立”：是指…。", "2.“四个意识”：是指…。"]
    for p in appendix.paragraphs:
        assert text[p.start:p.end] == p.text


@pytest.mark.parametrize("inline", [False, True])
def test_a_count_restarted_under_a_new_unnumbered_heading_is_a_new_part(inline):
    # 过去五年 一、二、 / 今后五年 一、二、: two parts, not a report and an appendix;
    # ``inline``: each part's 一、 follows its heading at once, its text on the same line
    one = "一、经济发展。" + P if inline else _lines(P, "一、经济发展", P)
    other = "一、产业升级。" + P if inline else _lines(P, "一、产业升级", P)
    text = _lines("过去五年工作回顾", one, "二、社会事业", P, "今后五年的建议", other, "二、城市建设", P)
    sections = parse_outline(text)
    assert [(s.kind, s.heading) for s in sections] == [("unnumbered", "过去五年工作回顾"), ("unnumbered", "今后五年的建议")]
    assert [[c.heading for c in s.children] for s in sections] == [["经济发展", "社会事业"], ["产业升级", "城市建设"]]


def _tops(text):
    return [s.marker + s.heading for s in parse_outline(text) if s.level == 1 and s.kind != "appendix"]


def _appendix_heading(text):
    return next((s.heading for s in parse_outline(text) if s.kind == "appendix"), None)


def test_unnumbered_headings_at_their_limits():
    from compare.outline import UNNUMBERED_MAX

    # a paragraph of text under a heading is at least 30 characters with a sentence end
    text30 = ("今年我们要抓好各项工作，确保取得成效" * 2)[:29] + "。"
    assert len(text30) == 30
    assert _tops(_lines("引言", text30, "去年经济表现", text30)) == ["引言", "去年经济表现"]
    assert _tops(_lines("引言", text30[1:], "去年经济表现", text30[1:])) == []
    # a heading of UNNUMBERED_MAX characters is still one
    long_heading = ("全面推进乡村振兴加快建设农业强国" * 3)[:UNNUMBERED_MAX]
    assert _tops(_lines(long_heading, P, "今年经济展望", P)) == [long_heading, "今年经济展望"]
    assert _tops(_lines(long_heading + "和", P, "今年经济展望", P)) == []


def test_an_attachment_label_or_a_bracketed_note_is_no_unnumbered_heading():
    # an attachment file's first line, a note in brackets: short, unpunctuated, yet no heading
    for first in ["附件1", "（根据录音整理，有删节）"]:
        text = _lines(first, P, "去年经济表现", P, "今年经济展望", P)
        assert _tops(text) == ["去年经济表现", "今年经济展望"], first
        preamble = parse_outline(text)[0]  # it stays in the text before the headings
    assert (preamble.level, preamble.marker, preamble.heading, preamble.span) == (0, "", "", (0, text.index("去年经济表现")))


def test_a_list_appended_after_two_sections_is_an_appendix():
    report = _lines("一、经济发展", P, "二、社会事业", P)
    text = _lines(report, "一、新建农村公路100公里。", "二、新增城镇就业3000人。")
    assert _tops(text) == ["一、经济发展", "二、社会事业"]
    assert _appendix_heading(text) == "一、新建农村公路100公里"


def test_a_numbering_slip_is_no_appendix():
    # 二、 twice (a slip for 三、): the second is text, and the subsection under
    # the first is no restarted list
    text = _lines("一、经济发展", P, "二、社会事业", P, "（一）教育", P, "二、政府建设", P)
    assert _tops(text) == ["一、经济发展", "二、社会事业"]
    assert _appendix_heading(text) is None


@pytest.mark.parametrize(
    "inside",
    [
        "一、二、三产业协调发展，三次产业结构持续优化，发展质量不断提高。",  # an enumeration in a sentence
        "一、要抓好工业经济，推动产业升级，确保全年目标实现。",  # a stray 一、 not followed by 二、
    ],
)
def test_a_false_restart_inside_a_section_does_not_hide_the_list_after(inside):
    text = _lines("一、经济发展", P, "二、社会事业", P, "三、产业发展", inside, "四、政府建设", P,
                  "一、新建农村公路100公里。", "二、新增城镇就业3000人。")
    assert _tops(text) == ["一、经济发展", "二、社会事业", "三、产业发展", "四、政府建设"]
    assert _appendix_heading(text) == "一、新建农村公路100公里"


@pytest.mark.parametrize("between", ["李四", "某市人民政府市长 张三", "某市人民政府市长"])
def test_a_title_block_may_have_a_name_or_office_line_above_its_date(between):
    text = _lines(
        "在全市春耕生产工作会议上的讲话", between, "（2020年3月18日）", "同志们：", P, P,
        "在全市安全生产工作会议上的讲话", between, "（2020年4月18日）", "同志们：", P, P,
    )
    first, second = split_speeches(text)
    assert first.title == "在全市春耕生产工作会议上的讲话" and second.title == "在全市安全生产工作会议上的讲话"
    assert "3月18日" in first.date + first.text and "3月18日" not in second.date + second.text


def test_an_exhortation_on_the_first_line_closes_a_speech():
    # the tail of a speech (its last exhortation) above a new one's salutation
    last = "让我们团结一心，为全面建设社会主义现代化国家而努力奋斗！"
    first, second = split_speeches(_lines(last, "同志们：", P, P))
    assert first.text == last
    assert second.text.startswith("同志们：")


@pytest.mark.parametrize("mark", ["！", "!"])
def test_an_exhortation_of_either_width_closes_a_speech(mark):
    text = _lines("同志们：", P, "让我们团结一心，为建设美好家园而努力奋斗" + mark, "同志们：", "今天我们召开安全生产会议，" + P)
    first, second = split_speeches(text)
    assert first.text.endswith("努力奋斗" + mark) and second.text.startswith("同志们：\n今天我们召开")


def test_outline_evidence_is_read_only_up_to_the_next_salutation():
    # the middle salutation has no numbered marker before the third: no evidence
    text = _lines("同志们：", P, "一、关于春耕", P, "二、关于安全", P, "同志们：", P, P,
                  "同志们：", "一、加强组织领导", P, "二、强化督导考核", P)
    assert _speech_texts(text) == [P, "一、加强组织领导"]


def test_a_title_only_further_above_a_salutation_is_no_evidence():
    text = _lines("同志们：", P, "在全市春耕生产工作会议上的讲话", P, P, "同志们：", P)
    assert len(split_speeches(text)) == 1


def test_a_title_right_above_the_salutation_opens_the_new_speech():
    text = _lines("同志们：", P, "谢谢大家！", "在全市安全生产工作会议上的讲话", "同志们：", P)
    first, second = split_speeches(text)
    assert second.title == "在全市安全生产工作会议上的讲话" and second.text.startswith("同志们：")
    assert "安全生产" not in first.text and first.text.endswith("谢谢大家！")


def test_an_appendix_may_start_on_the_second_line_but_not_the_first():
    # line 0 that reads 附件1 is the attachment's own label (text before the outline) ...
    text = _lines("附件1", P, "一、经济发展", P, "二、社会事业", P)
    assert _appendix_heading(text) is None and _tops(text) == ["一、经济发展", "二、社会事业"]
    # ... on any later line, even the second, it ends the outline
    text = _lines(P, "附件1", "1.新建农村公路100公里。", "2.新增城镇就业3000人。")
    assert _appendix_heading(text) == "附件1"
    assert [p.text for p in parse_outline(text)[-1].paragraphs] == ["1.新建农村公路100公里。", "2.新增城镇就业3000人。"]


def test_a_collection_of_two_is_split_at_its_headers():
    text = _lines("卫生健康工作讲话稿篇一", "同志们：", P, "卫生健康工作讲话稿篇二", "同志们：", "今天召开安全生产会议，" + P)
    first, second = split_speeches(text)
    assert (first.title, first.text) == ("卫生健康工作讲话稿篇一", _lines("同志们：", P))
    assert (second.title, second.text) == ("卫生健康工作讲话稿篇二", _lines("同志们：", "今天召开安全生产会议，" + P))


def test_a_collection_header_is_a_short_line():
    # up to 60 characters: a header; longer, a sentence that happens to end in 篇二
    def header(n, k):
        return ("卫生健康工作讲话稿汇编" * 7)[: n - 2] + "篇" + k

    ok = _lines(header(60, "一"), "同志们：", P, header(60, "二"), "同志们：", P)
    assert [s.title for s in split_speeches(ok)] == [header(60, "一"), header(60, "二")]
    too_long = _lines(header(61, "一"), "同志们：", P, header(61, "二"), "同志们：", P)
    assert len(split_speeches(too_long)) == 1


def test_a_page_title_block_above_the_documents_own_does_not_hide_later_speeches():
    head = _lines("在全市春耕生产工作会议上的讲话", "（2020年3月18日）")
    text = _lines(head, head, "同志们：", P, P, "在全市安全生产工作会议上的讲话", "（2020年4月18日）", "同志们：", P)
    assert [(s.title, s.date) for s in split_speeches(text)] == [
        ("在全市春耕生产工作会议上的讲话", "2020年3月18日"), ("在全市安全生产工作会议上的讲话", "2020年4月18日")
    ]


def test_speakers_come_from_the_title_or_stay_empty():
    # 刘建平同志在……讲话: the name leaves the title and is the speaker
    text = _lines("刘建平同志在全市春耕生产工作会议上的讲话", "（2020年3月18日）", "同志们：", P,
                  "刘建平同志在全市安全生产工作会议上的讲话", "（2020年4月18日）", "同志们：", P)
    assert [(s.title, s.speaker) for s in split_speeches(text)] == [
        ("在全市春耕生产工作会议上的讲话", "刘建平"), ("在全市安全生产工作会议上的讲话", "刘建平")
    ]
    # the same in a collection's 篇 headers
    text = _lines("刘建平同志在全市春耕生产工作会议上的讲话篇一", "同志们：", P, "刘建平同志在全市安全生产工作会议上的讲话篇二", "同志们：", P)
    assert [(s.title, s.speaker) for s in split_speeches(text)] == [
        ("在全市春耕生产工作会议上的讲话篇一", "刘建平"), ("在全市安全生产工作会议上的讲话篇二", "刘建平")
    ]
    # a page head naming nobody, speeches naming nobody: the speaker is empty, not missing
    text = _lines("讲话汇编", "在全市春耕生产工作会议上的讲话", "（2020年3月18日）", "同志们：", P,
                  "在全市安全生产工作会议上的讲话", "（2020年4月18日）", "同志们：", P)
    assert [s.speaker for s in split_speeches(text)] == ["", ""]
    assert [s.speaker for s in split_speeches(_lines("同志们：", P, "谢谢大家！", "同志们：", P))] == ["", ""]


def test_resumed_text_boundaries_inside_the_text_only():
    # ``boundaries`` from ingest: a line where text resumes after a footer
    two = _lines("同志们：", P, "谢谢大家！", "同志们：", P)
    n = len(two.split("\n"))
    # at the first line or past the last, a boundary says nothing: the salutations decide
    assert len(split_speeches(two, boundaries=[0])) == len(split_speeches(two, boundaries=[n])) == 2
    # at line 1, the text above it is a speech when it is text enough
    long = _prose_line(250)
    first, second = split_speeches(_lines(long, "同志们：", P, P), boundaries=[1])
    assert first.text == long and second.text.startswith("同志们：")


def test_sentences_after_spaces_slice_back():
    text = "今天开会。 大家好。　各位辛苦了。"
    (section,) = parse_outline(text)
    assert [s.text for s in section.sentences] == ["今天开会。", "大家好。", "各位辛苦了。"]
    for s in section.sentences:
        assert text[s.start:s.end] == s.text


@pytest.mark.parametrize(
    "marks, appendix",
    [
        (("第一部分 ", "第二部分 "), True),  # parts, then a list of parts: the list is an appendix
        (("（一）", "（二）"), True),  # subsections as the top level: the same
        (("1.", "2."), False),  # items as the top level: a new count of items is text, not an appendix
    ],
)
def test_which_top_levels_end_in_an_appended_list(marks, appendix):
    one, two = marks
    text = _lines(f"{one}经济发展", P, f"{two}社会事业", P, f"{one}新建农村公路100公里。", f"{two}新增城镇就业3000人。")
    assert _tops(text)[:2] == [f"{one}经济发展", f"{two}社会事业"]
    assert (_appendix_heading(text) is not None) == appendix


def test_a_restart_is_a_new_part_only_with_headings_above_both_counts():
    report = _lines("一、经济发展", P, "二、社会事业", P)
    listed = _lines("一、新建农村公路100公里。", "二、新增城镇就业3000人。")
    # a heading above the report, none above the list: the list is an appendix
    text = _lines("过去五年工作回顾", P, report, listed)
    assert _appendix_heading(text) == "一、新建农村公路100公里"
    # a heading above the list, none above the report: an appendix too
    text = _lines(report, "今后五年的建议", P, listed)
    assert _appendix_heading(text) == "一、新建农村公路100公里"


def test_blank_lines_and_placeholder_headings_in_the_outline():
    # a blank line is skipped, not the end of the outline; a heading keeps its trailing XX
    text = _lines("一、推进XX。 " + P, "", "二、建设XX", P)
    sections = parse_outline(text)
    assert [(s.marker, s.heading) for s in sections] == [("一、", "推进XX"), ("二、", "建设XX")]
    # the text after the heading on its line starts after the space
    (para,) = sections[0].paragraphs
    assert para.text == P and text[para.start:para.end] == P
    assert sections[1].span == (text.index("二、"), len(text))


def test_unnumbered_headings_span_from_their_own_line():
    para = "这一年，我们坚持稳中求进，经济社会发展取得了新的成绩，群众生活持续改善。"
    text = _lines("引言", para, "去年经济表现", para, "今年经济展望", para)
    sections = parse_outline(text)
    starts = [text.index(h) for h in ("引言", "去年经济表现", "今年经济展望")]
    assert [s.span for s in sections] == list(zip(starts, starts[1:] + [len(text)]))
