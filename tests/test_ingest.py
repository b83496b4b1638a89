import re
import warnings

import pytest
from hypothesis import example, given, settings, strategies as st

import compare
from compare.ingest import (
    DecodeWarning,
    char_frequency,
    clean,
    clean_report,
    decode,
    normalize,
    read_text,
    rejoin_broken_lines,
    remove_mojibake,
    repair_punctuation,
    to_simplified,
)
from compare.model import SpeechdiffError

from .conftest import SAMPLES
from .oracles import nul_pattern_loop, remove_mojibake_loop


@pytest.fixture(scope="module")
def web_texts():
    return {name: clean(read_text(SAMPLES / f"{name}.txt")) for name in ("web_health_speeches_trad", "web_prefecture_speeches_trad")}


# ----- rules, each on real lines from the samples


def test_pinyin_annotations_removed_and_traditional_simplified():
    assert clean("堅決與“雙泛”思想做斗爭正確認識新疆歷史文化發(fā)聲亮劍") == "坚决与“双泛”思想做斗争正确认识新疆历史文化发声亮剑"
    assert clean("深入學(xué)習(xí)習(xí)近平新時(shí)代中國(guó)特色社會(huì)主義思想") == "深入学习习近平新时代中国特色社会主义思想"


def test_toneless_parentheses_are_not_pinyin():
    assert clean("间接经济效益约占GDP(GDP)的10%。") == "间接经济效益约占GDP(GDP)的10%。"


def test_doubled_web_punctuation_collapses():
    assert clean("寫作可以彌補(bǔ)記憶的不足,,將曾經(jīng)的人生") == "写作可以弥补记忆的不足，将曾经的人生"
    assert clean("講政治,、講大局,,深刻領(lǐng)會(huì)") == "讲政治、讲大局，深刻领会"
    assert clean("推動(dòng)醫(yī)療衛(wèi)生事業(yè)健康發(fā)展,。下面") == "推动医疗卫生事业健康发展。下面"


def test_half_width_marks_between_chinese_become_full_width():
    assert repair_punctuation("同志們:") == "同志們："
    assert repair_punctuation("今天,我們召開十五屆州人民政府第一次全體會議;主要任務是") == "今天，我們召開十五屆州人民政府第一次全體會議；主要任務是"
    assert repair_punctuation("(2020年3月18日)") == "（2020年3月18日）"
    # not between Chinese: left alone
    assert repair_punctuation("1,000 and 3.5") == "1,000 and 3.5"


def test_spaces_inside_chinese_and_before_units_removed():
    assert repair_punctuation("改扩建国省干线公路 318 公里。") == "改扩建国省干线公路318公里。"
    assert repair_punctuation("紧紧围绕贯彻落实 6 月 23 日市委常委会") == "紧紧围绕贯彻落实6月23日市委常委会"


def test_markdown_bold_removed():
    assert clean("一是**交通基础设施建设取得新突破**。") == "一是交通基础设施建设取得新突破。"


def test_css_and_mojibake_removed():
    assert clean(".b1{white-space-collapsing:preserve;}.b2{margin: 0.7875in 0.9833in;}\n同志們:") == "同志们："
    assert "\ue1d8" not in clean("有形成制度化、經(jīng)?;\ue1d8\ue0cd糠贮h組織忽視了制度的")


def test_question_mark_that_is_a_question_is_kept():
    assert clean("是不是就說(shuō)水運(yùn)可有可無(wú)了?肯定不是。") == "是不是就说水运可有可无了？肯定不是。"


def test_pdf_broken_lines_rejoined_but_not_headings():
    lines = [
        "统筹抓好2020年交通运输、电力、邮政事业等工作，",
        "努力把疫情对我市经济社会发展的影响降到最低。",
        "一、肯定成绩，正视问题，切实增强使命感和责任感",
        "过去一年，全市卫生健康、医疗保障系统和红十字会广大干",
        "部职工，紧紧围绕市委、市政府工作目标。",
        "（三）以提升公共卫生、医疗服务能力为导向，全力抓好公",
        "共卫生服务。",
        "一是强化基本公共卫生服务。",
    ]
    assert rejoin_broken_lines(lines) == [
        "统筹抓好2020年交通运输、电力、邮政事业等工作，努力把疫情对我市经济社会发展的影响降到最低。",
        "一、肯定成绩，正视问题，切实增强使命感和责任感",
        "过去一年，全市卫生健康、医疗保障系统和红十字会广大干部职工，紧紧围绕市委、市政府工作目标。",
        "（三）以提升公共卫生、医疗服务能力为导向，全力抓好公共卫生服务。",
        "一是强化基本公共卫生服务。",
    ]


def test_bulletin_furniture_removed():
    text = clean(read_text(SAMPLES / "ankang_2020_transport_and_health.txt"))
    for furniture in ("第十七期", "主送：", "抄送：", "安政通报", "中、省驻安各单位"):
        assert furniture not in text
    assert text.startswith("刘建平同志在全市交通运输电力邮政工作会议和全市卫健医保工作会议上的讲话")


def test_placeholders_kept():
    text = clean(read_text(SAMPLES / "city_health_2022_template.txt"))
    assert "XX主任回顾总结了2021年" in text
    assert "果断处置X例境外" in text
    web = clean("剛才,,xx主任回顧總結(jié)了2021年")
    assert web == "刚才，xx主任回顾总结了2021年"
    assert clean("x年x月，成功組織") == "x年x月，成功组织"


# ----- the web samples as a whole: general patterns, not the samples' strings

# tone marks, or a toneless syllable in brackets after a character ((dip), an
# abbreviation the text itself uses, is no pinyin)
PINYIN_LEFT = re.compile(r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]|(?<=[\u4e00-\u9fff])[(（](?:men|de|le|me|ne|ma|ba|zi|zhe|ge|tou|li|shang|xia)[)）]")
PRIVATE_USE = re.compile("[\ue000-\uf8ff\ufffd]")
CSS_LEFT = re.compile(r"\{[^{}]*[:;][^{}]*\}|[a-z-]+\s*:\s*[\d.]+(pt|px|in|em)")
ADS = re.compile(r"无码|毛片|人妻|五月天|AV")
# page chrome: short lines of site vocabulary, not sentences of a speech
CHROME = re.compile(r"网站|首页|上传|下载|付费|扫码|客服|小编|热词|https?:|www\.|\.com|\d{4}-\d\d-\d\d")


@pytest.mark.parametrize("name", ["web_health_speeches_trad", "web_prefecture_speeches_trad"])
def test_no_noise_survives_cleaning(web_texts, name):
    text = web_texts[name]
    assert not PINYIN_LEFT.search(text), PINYIN_LEFT.search(text)
    assert not PRIVATE_USE.search(text)
    assert not CSS_LEFT.search(text), CSS_LEFT.search(text)
    assert not ADS.search(text), ADS.search(text)
    for line in text.split("\n"):
        if "。" not in line:
            assert not CHROME.search(line), line
    assert "?" not in text and ",," not in text and "，，" not in text


# ----- decoding


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16"])
def test_decodes_common_chinese_encodings(tmp_path, encoding):
    original = "同志们：\n今天召开这次会议，主要任务是贯彻落实习近平总书记重要指示精神。"
    if encoding == "big5":
        import opencc

        original = opencc.OpenCC("s2t").convert(original)
    path = tmp_path / "speech.txt"
    path.write_bytes(original.encode(encoding))
    assert read_text(path) == original


CHINESE = "同志们：\n今天召开这次会议，主要任务是贯彻落实习近平总书记重要指示精神。"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_encodings_without_bom(encoding):
    assert decode(CHINESE.encode(encoding)) == CHINESE


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_wide_encodings_with_bom(encoding):
    assert decode(CHINESE.encode(encoding)) == CHINESE


def test_odd_length_utf16_is_decoded_with_a_warning():
    data = CHINESE.encode("utf-16") + b"\x00"
    with pytest.warns(DecodeWarning, match="1 undecodable"):
        text = decode(data, "odd.txt")
    assert text.startswith(CHINESE)
    assert clean(text).startswith("同志们：")


def test_utf8_with_a_few_stray_bytes_is_text_with_one_warning():
    data = CHINESE.encode("utf-8")
    data = data[:9] + b"\xff" + data[9:31] + b"\xfe" + data[31:]  # between characters
    with pytest.warns(DecodeWarning) as caught:
        text = decode(data, "stray.txt")
    assert len(caught) == 1 and "stray.txt: 2 undecodable" in str(caught[0].message)
    assert "主要任务是贯彻落实" in clean(text)


def test_nul_heavy_binary_is_refused(tmp_path):
    import random

    rng = random.Random(5)
    data = bytes(rng.choice([0, 0, 0, rng.randrange(256)]) for _ in range(2000))
    with pytest.raises(SpeechdiffError, match="binary"):
        decode(data, "blob.bin")


def test_whitespace_only_in_any_encoding_is_empty(tmp_path):
    for encoding in ("utf-8", "utf-16", "utf-32"):
        path = tmp_path / f"blank-{encoding}.txt"
        path.write_bytes(" \n\u3000\t\n".encode(encoding))
        with pytest.raises(SpeechdiffError, match="empty"):
            read_text(path)


def test_read_errors(tmp_path):
    with pytest.raises(SpeechdiffError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(SpeechdiffError, match="directory"):
        read_text(tmp_path)
    (tmp_path / "empty.txt").write_bytes(b"  \n")
    with pytest.raises(SpeechdiffError, match="empty"):
        read_text(tmp_path / "empty.txt")
    (tmp_path / "x.bin").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SpeechdiffError, match="binary"):
        read_text(tmp_path / "x.bin")


@pytest.mark.filterwarnings("ignore::compare.ingest.DecodeWarning")  # (random bytes: replacements are said, and expected)
@given(st.binary(min_size=1, max_size=300))
@settings(max_examples=200, deadline=None)
def test_decode_never_raises_anything_but_a_clear_error(data):
    try:
        decode(data)
    except SpeechdiffError:
        pass


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_clean_never_raises_and_is_idempotent_on_lines(text):
    cleaned = clean(text)
    assert "\r" not in cleaned
    assert clean(cleaned) == cleaned


# text that exercises the rules: markers, chrome words, separators, controls
_PIECES = st.sampled_from(
    [
        "一、", "（二）", "1.", "一是", "首先，", "同志们：", "各位代表：", "分享到：", "上一篇：", "责任编辑：某某",
        "冀ICP备12345678号", "Copyright © 2024", "\u3000\u3000", "\t", "    ", "\\r\\n", "\n", "\r\n", "。", "，",
        "今天召开会议，主要任务是总结工作。", "在全市工作会议上的讲话", "（2020年3月18日）", "——在第五次会议上",
        "\x1b[31m", "\x1b]8;;http://x\x07", "\u202e", "\x85", "\x9b2J", "?", "\ue000", "整治", "成人教育", "付费",
        "发展", "x", "2024-01-02", "12", "【字体：大 中 小】", "相关文章", "来源：某某网",
    ]
)
_MIXED = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40).map("".join)


@given(_MIXED)
@settings(max_examples=300, deadline=None)
# cases hypothesis found where a second cleaning removed more: an ad or menu
# line joined from two halves, escaped breaks counted against lines that
# were then removed, a lost-character "?" behind a replacement character
@example("（二）（二）在全市工作会议上的讲话?成人教育2024-01-02\u3000\u3000成人教育")
@example("一、\u3000\u3000|一、|0")
@example("\\r\\n\\r\\n\x85\x85\x1e")
@example("0\x1e0\\r\\n\\r\\n\x85一、")
@example("一、\u3000\u3000\\r\\n0\x850\\r\\n")
@example(",\ufffd?!0")
@example("。 ─ A")  # a removed character brought two spaces together after a sentence
@example("0: ")  # a space the strip removes decided a figure's colon only on the first pass
def test_clean_is_idempotent_and_leaves_no_control_characters(text):
    cleaned = clean(text)
    assert clean(cleaned) == cleaned
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", cleaned)
    report = clean_report(text)
    assert report.text == cleaned
    assert all(r.rule for r in report.removed)


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_bytes_decode_and_clean_or_fail_clearly(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DecodeWarning)
        try:
            text = decode(data)
        except SpeechdiffError as e:
            assert "\n" not in str(e)
            return
    cleaned = clean(text)
    assert clean(cleaned) == cleaned


# ----- terminal safety: no control sequence reaches any stage


def test_escape_sequences_controls_and_bidi_overrides_removed():
    raw = (
        "一、总体要求\x1b[2J\n"
        "今天\x1b[31m召开\x1b[0m会议。\x1b]8;;http://evil.example\x07链接\x1b]8;;\x07文字。\n"
        "\u202e反向\u202c文字\u2066隔离\u2069。\x07\x00\x9b2J结束。"
    )
    text = clean(raw)
    assert text == "一、总体要求\n今天召开会议。链接文字。\n反向文字隔离。结束。"
    (speech,) = compare.load_text(raw)
    assert "\x1b" not in speech.sections[-1].heading + speech.text


def test_line_separators_of_every_kind_break_paragraphs():
    text = clean("第一段。\x0c第二段。\u2028第三段。\x85第四段。\r第五段。")
    assert text.split("\n") == ["第一段。", "第二段。", "第三段。", "第四段。", "第五段。"]


# ----- paragraphs from any separator


def test_ideographic_spaces_tabs_and_literal_line_breaks_make_paragraphs():
    one_line = "在全市工作会议上的讲话\u3000\u3000同志们：\u3000\u3000今天召开会议，总结去年的工作。\u3000\u3000一、肯定成绩\u3000\u3000过去一年，我们做了很多工作。"
    assert clean(one_line).split("\n") == [
        "在全市工作会议上的讲话", "同志们：", "今天召开会议，总结去年的工作。", "一、肯定成绩", "过去一年，我们做了很多工作。",
    ]
    tabs = "时间：2024-01-02\t\t作者：某某网\t\t阅读：\n各位代表：\n现在，我代表县政府，向大会报告工作，请予审议。"
    assert clean(tabs).split("\n") == ["各位代表：", "现在，我代表县政府，向大会报告工作，请予审议。"]
    literal = "各位代表：\\r\\n现在，我代表县政府向大会报告工作。\\r\\n一、工作回顾\\r\\n过去一年，经济平稳增长。"
    assert clean(literal).split("\n") == ["各位代表：", "现在，我代表县政府向大会报告工作。", "一、工作回顾", "过去一年，经济平稳增长。"]


def test_spaces_between_sentences_of_a_one_line_speech_break_paragraphs():
    sentence = "过去一年，全县经济运行稳中有进，各项事业取得新的成绩，人民生活持续改善。"
    one_line = " ".join([sentence] * 40)  # a whole speech on one line, single spaces between
    assert clean(one_line).split("\n") == [sentence] * 40
    short = "今天开会。 大家辛苦了。"
    assert clean(short) == "今天开会。大家辛苦了。"  # an ordinary line keeps its sentences together


# ----- chrome by shape, on a page of a site none of the corpus comes from

OTHER_SITE = """首页 > 新闻中心 > 领导讲话
在全区安全生产工作会议上的讲话
发布日期：2024-03-05 10:21    浏览次数：1289
【字号：大 中 小】 【打印】 【关闭】
同志们：
今天我们召开全区安全生产工作会议，主要任务是总结去年工作，部署今年任务。
一、充分肯定成绩
去年以来，全区上下按病种付费改革稳步推进，成人教育和规范文化市场两项工作走在前列。
二、突出工作重点
要抓好成人高等学历教育、免费网站备案清理和彩票市场监管，确保不出问题。
谢谢大家！
分享到：微信 微博 QQ空间
相关阅读
区政府召开常务会议
区长调研重点项目
版权所有 © 2024 某某区人民政府  备案号：京ICP备00000000号
"""


def test_another_sites_chrome_goes_by_shape_and_prose_stays():
    report = clean_report(OTHER_SITE)
    lines = report.lines
    assert lines == [
        "在全区安全生产工作会议上的讲话",
        "同志们：",
        "今天我们召开全区安全生产工作会议，主要任务是总结去年工作，部署今年任务。",
        "一、充分肯定成绩",
        "去年以来，全区上下按病种付费改革稳步推进，成人教育和规范文化市场两项工作走在前列。",
        "二、突出工作重点",
        "要抓好成人高等学历教育、免费网站备案清理和彩票市场监管，确保不出问题。",
        "谢谢大家！",
    ]
    def rule_of(fragment):
        return {r.rule for r in report.removed if fragment in r.text}

    assert rule_of("新闻中心") == {"breadcrumb"}
    assert rule_of("发布日期") == {"field"}
    assert rule_of("浏览次数") == {"field"}
    assert rule_of("打印") == {"widget"}
    assert rule_of("分享到") == {"footer block"}
    assert rule_of("相关阅读") == {"footer block"}
    assert rule_of("区长调研重点项目") == {"footer block"}
    assert rule_of("ICP备") == {"licence footer"}


def test_a_single_line_report_with_ad_words_in_its_prose_survives():
    body = "。".join(["大力发展成人教育和职业教育，规范文化市场，推进按病种付费，先诊疗后付费"] * 30) + "。"
    assert clean(body) == body


def test_footer_in_the_middle_is_a_boundary_not_an_end():
    raw = (
        "在全市经济工作会议上的讲话\n（2024年1月5日）\n同志们：\n今天的会议很重要，大家要认真贯彻落实会议精神，抓好各项工作。\n"
        "相关文章\n市长调研\n副市长督导\n"
        "在全市农村工作会议上的讲话\n（2024年1月8日）\n同志们：\n"
        "这次会议的主要任务是部署今年农村工作，推动乡村振兴取得新进展，确保粮食安全和农民增收。\n"
    )
    speeches = compare.load_text(raw)
    assert [(s.title, s.date) for s in speeches] == [
        ("在全市经济工作会议上的讲话", "2024年1月5日"),
        ("在全市农村工作会议上的讲话", "2024年1月8日"),
    ]
    assert speeches[1].text.startswith("同志们：\n这次会议的主要任务")
    report = clean_report(raw)
    assert [r.rule for r in report.removed] == ["footer block"] * 3


def test_distribution_list_ends_a_bulletin_speech_but_keeps_what_follows():
    raw = (
        "在全县防汛工作会议上的讲话\n（2023年6月1日）\n同志们：\n汛期将至，各乡镇各部门要压实责任，做好防汛准备，确保安全度汛。\n"
        "主送：各乡镇人民政府，县直各部门。\n抄送：县委办公室，县人大常委会办公室。\n"
        "在全县森林防火工作会议上的讲话\n（2023年6月2日）\n同志们：\n"
        "森林防火责任重大，各地要加强巡查，严防死守，坚决杜绝重大火灾发生，保护人民群众生命财产安全。\n"
    )
    speeches = compare.load_text(raw)
    assert len(speeches) == 2
    assert "主送" not in speeches[0].text and "抄送" not in speeches[0].text
    assert speeches[1].title == "在全县森林防火工作会议上的讲话"


def test_pdf_hard_wrapped_text_with_running_headers_and_page_numbers():
    para1 = "过去一年，面对复杂严峻的形势，我们坚持稳中求进工作总基调，全市经济运行总体平稳，发展质量稳步提升，民生保障持续加强，社会大局和谐稳定。"
    para2 = "今年是全面贯彻落实党的二十大精神的关键之年，做好政府工作意义重大，我们要坚定信心，真抓实干，奋力完成全年目标任务。"
    width = 22  # para1 leaves its last mark alone on a line, as PDFs do
    lines = []
    for page in range(3):
        lines += ["某市人民政府公报  2024年第3期", str(10 + page), ""]
        for para in [para1, para2] * 3:
            lines += [para[i : i + width] for i in range(0, len(para), width)]
    report = clean_report("\n".join(lines))
    assert report.lines == [para1, para2] * 9
    assert [r.rule for r in report.removed] == ["running header", "page number"] * 3


def test_fragments_a_web_page_broke_out_are_joined_back_but_headings_stay():
    lines = [
        "一、工作回顾",
        "过去一年，我们全面加强生态环境",
        "整治",
        "，完成营造林一百万亩。",
        "扎实推进农村人居环境",
        "整治",
        "三年行动，农村面貌发生新变化。",
        "二、今年安排",
    ]
    assert rejoin_broken_lines(lines) == [
        "一、工作回顾",
        "过去一年，我们全面加强生态环境整治，完成营造林一百万亩。",
        "扎实推进农村人居环境整治三年行动，农村面貌发生新变化。",
        "二、今年安排",
    ]


def test_explain_lists_every_removal_with_its_rule(tmp_path):
    from .conftest import run

    path = tmp_path / "page.txt"
    path.write_text(OTHER_SITE, encoding="utf-8")
    result = run("clean", "--explain", path)
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert all(len(row) == 3 and row[0].isdigit() for row in rows)
    assert {row[1] for row in rows} >= {"breadcrumb", "field", "widget", "footer block", "licence footer"}
    assert not any("成人教育" in row[2] for row in rows)
    cleaned = run("clean", path)
    assert cleaned.exit_code == 0 and "分享到" not in cleaned.output and "成人教育" in cleaned.output


def test_clean_of_a_file_with_nothing_left_is_an_error(tmp_path):
    from .conftest import run

    path = tmp_path / "chrome.txt"
    path.write_text("首页\n网站地图\n冀ICP备00000000号\n", encoding="utf-8")
    result = run("clean", path)
    assert result.exit_code == 2 and "no speech text" in result.output
    blank = tmp_path / "blank.txt"
    blank.write_text("  \n\t\n", encoding="utf-8")
    result = run("clean", blank)
    assert result.exit_code == 2 and "empty" in result.output


# ----- mojibake: the compiled pattern does what the plain loop did


_MOJIBAKE_ALPHABET = "?？的是了乎耄荸丶鳎a1 xX，、。;；)(cèshùmen\ue1d8\ufffd\u2500€°\t“"


@given(st.text(alphabet=_MOJIBAKE_ALPHABET, max_size=40))
@settings(max_examples=2000, deadline=None)
def test_remove_mojibake_equals_the_reference_loop(text):
    # the loop applied until nothing changes (one pass could leave a ``?``
    # whose junk neighbour it had just removed)
    expected = remove_mojibake_loop(text)
    while remove_mojibake_loop(expected) != expected:
        expected = remove_mojibake_loop(expected)
    assert remove_mojibake(text) == expected


def test_remove_mojibake_equals_the_reference_loop_on_every_real_line():
    from pathlib import Path

    root = Path(__file__).resolve().parent
    lines = []
    for path in sorted((root / "realworld").glob("*.txt")) + sorted(SAMPLES.glob("*.txt")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lines += [to_simplified(x) for x in normalize(read_text(path)).split("\n")]
    assert len(lines) > 20000
    assert [remove_mojibake(x) for x in lines] == [remove_mojibake_loop(x) for x in lines]


def test_the_shipped_character_frequencies_are_jiebas():
    # data/char_frequency.tsv is derived from jieba's dictionary to save the
    # summing at start-up; it must be exactly what that summing gives
    from compare.ingest import count_char_frequency

    assert char_frequency() == count_char_frequency()


@pytest.mark.parametrize(
    "line, expected",
    [
        ("指标完成2024: ", "指标完成2024："),  # a trailing space does not keep the colon half-width
        ("比分为3: 2", "比分为3: 2"),  # a space inside the line does
        ("时间为3:30", "时间为3:30"),  # and a figure after it
    ],
)
def test_a_figures_colon_is_decided_on_the_stripped_line(line, expected):
    assert clean(line) == expected
    assert clean(expected) == expected


@pytest.mark.parametrize(
    "line",
    [
        "今年全市经济运行总体平稳，主要指标好于预期。 ─ 明年要继续推进重点项目建设，扩大有效投资。",
        "主要指标好于预期。 ┃ 明年继续推进。  ═ 扩大有效投资。",
        "。 ─ A",
    ],
)
def test_a_removed_character_that_joins_two_spaces_is_split_on_the_first_pass(line):
    cleaned = clean(line)
    assert not re.search("[\u2500-\u257f]", cleaned)
    assert clean(cleaned) == cleaned


_WIDE_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)


@settings(max_examples=300)
@given(st.one_of(
    st.binary(max_size=3000),
    st.tuples(_WIDE_TEXT, st.sampled_from(["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-8"])).map(
        lambda t: t[0].encode(t[1])),
    st.lists(st.sampled_from([b"\x00", b"\x00\x00", b"a", b"\n\x00", b"\x00\x00\x00\x8bN"]), max_size=2000).map(b"".join),
))
@example(b"\x00" * 70000)
@example(("中文\n" * 20000).encode("utf-16-le"))
def test_wide_encoding_is_told_by_where_the_nuls_sit_as_the_loop_did(data):
    """_nul_pattern counts the sample's NULs by position modulo 4 with
    bytes.count; the per-byte loop it replaced is the oracle (files longer
    than the 64 KB sample included)."""
    from compare.ingest import _nul_pattern

    assert _nul_pattern(data) == nul_pattern_loop(data)
