import re

import pytest
from hypothesis import given, settings, strategies as st

from compare.ingest import clean, decode, read_text, rejoin_broken_lines, repair_punctuation
from compare.model import SpeechdiffError

from .conftest import SAMPLES


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
