"""The terminal: Chinese line breaking, stacked/side-by-side layout, folded
identical runs, --color and NO_COLOR, a real terminal through tmux."""

import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compare import formats, views
from compare.cli import cli
from compare.formats.cjk import CLOSING, NUMBER, OPENING, _chars, _no_break_before, safe, wrap

from .conftest import ROOT, SAMPLES, speeches_of

ANKANG = SAMPLES / "ankang_2020_transport_and_health.txt"
STARTS_WITH_CLOSING = re.compile(r"[，。、；：！？）」』”]")


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def lines_of(pieces, width):
    return ["".join(t for t, _ in line) for line in wrap(pieces, width)]


# ----- line breaking


def test_closing_punctuation_never_starts_a_line():
    text = "过去一年，在市委、市政府的坚强领导下，全市上下全面落实党中央国务院和省委省政府各项决策部署。"
    for width in range(6, 40):
        lines = lines_of([(text, "same")], width)
        assert "".join(lines) == text
        assert all(cells(line) <= width for line in lines), (width, lines)
        assert not any(line[0] in CLOSING for line in lines[1:]), (width, lines)


def test_numbers_stay_whole_with_their_unit():
    text = "2019年全市实现生产总值1182.06亿元，比上年度增长7.9%，贫困人口减少23.3万，占11.2%。"
    for width in range(10, 40):
        joined = "\n".join(lines_of([(text, "same")], width))
        for figure in ("2019年", "1182.06亿", "7.9%，", "23.3万", "11.2%。"):
            assert figure in joined, (width, joined)


def test_opening_punctuation_never_ends_a_line():
    text = "坚定“发展为要、生态立市”实施路径，（一）完善《安康市条例》。"
    for width in range(6, 30):
        lines = lines_of([(text, "same")], width)
        assert not any(line[-1] in OPENING for line in lines), (width, lines)


def test_marks_hold_on_to_their_text():
    pieces = [("比上年度增长7.9%", "same"), ("[-", "mark"), ("，增速高于全省1.9个百分点", "edit"), ("-]", "mark"), ("，连续五年", "same")]
    for width in range(8, 40):
        lines = lines_of(pieces, width)
        assert "".join(lines) == "比上年度增长7.9%[-，增速高于全省1.9个百分点-]，连续五年"
        assert not any(line.startswith(("-]", "+}", "，")) for line in lines[1:]), (width, lines)
        assert not any(line.endswith(("[-", "{+")) for line in lines), (width, lines)
    # a figure edited in the middle stays one figure
    assert lines_of([("增长", "same"), ("[-", "mark"), ("7.9", "edit"), ("-]", "mark"), ("%", "same")], 8)[-1] == "[-7.9-]%"


def test_latin_text_breaks_only_at_spaces():
    lines = lines_of([("A 在全市工作会议上的讲话 ankang_2020_transport_and_health.txt#1 shared 16%", "same")], 45)
    assert any(line.startswith("ankang_2020_transport_and_health.txt#1") for line in lines), lines


def test_control_characters_are_removed():
    assert safe("标题\x1b[2J\x1b]8;;http://x\x07链接\u202e反向\x9b") == "标题[2J]8;;http://x链接反向"


CLUSTER_TEXT = st.text(alphabet="党委政府要坚持以人民为中心的发展思想，。、；：！？（）“”《》0123456789.%年万AbcX", min_size=1, max_size=120)


@settings(max_examples=200, deadline=None)
@given(CLUSTER_TEXT, st.integers(min_value=6, max_value=60))
def test_wrap_properties(text, width):
    pieces = [(text, "same")]
    lines = lines_of(pieces, width)
    assert "".join(lines) == text  # nothing lost, nothing added
    chars = _chars(pieces)
    glue = _no_break_before(chars)
    clusters, size = [], 0
    for i, (ch, _) in enumerate(chars):
        if i and not glue[i]:
            clusters.append(size)
            size = 0
        size += cells(ch)
    clusters.append(size)
    if max(clusters) <= width:  # every unbreakable run fits: the rules hold everywhere
        assert all(cells(line) <= width for line in lines)
        assert not any(line[0] in CLOSING for line in lines[1:] if line)
        assert not any(line[-1] in OPENING for line in lines[:-1] if line)
        joined = "\n".join(lines)
        for m in NUMBER.finditer(text):
            assert m.group() in joined


# ----- layout


def _render(view, width, color=False):
    return formats.render(view, "text", formats.Options(color=color, width=width))


@pytest.fixture(scope="module")
def ankang_view():
    a, b = speeches_of("ankang_2020_transport_and_health")
    return views.diff(a, b)


def test_narrow_terminal_stacks_a_above_b(ankang_view):
    text = _render(ankang_view, 80)
    assert all(cells(line) <= 80 for line in text.splitlines())
    assert "│" not in text  # no columns
    assert re.search(r"^改动 A .*\n(?: {7}.*\n)*     B ", text, re.M)  # A's lines, then B's under the same label
    wide = _render(ankang_view, 140)
    assert all(cells(line) <= 140 for line in wide.splitlines())
    assert wide.count("│") > 100  # side by side


def test_identical_runs_are_folded(ankang_view):
    text = _render(ankang_view, 100)
    folded = [int(n) for n in re.findall(r"≡ (\d+) identical sentences", text)]
    rows = [r for sec in ankang_view.data["sections"] for r in sec["rows"]]
    runs, run = [], 0
    for r in rows + [{"status": "end"}]:
        if r["status"] == "identical":
            run += 1
        else:
            if run >= 2:
                runs.append(run)
            run = 0
    assert sorted(folded) == sorted(runs) and folded


def test_a_nearly_identical_pair_is_short(tmp_path):
    a = ANKANG.read_text(encoding="utf-8")
    b = a.replace("全年完成交通固定资产投资130.4亿元", "全年完成交通固定资产投资131.5亿元")
    (tmp_path / "a.txt").write_text(a, encoding="utf-8")
    (tmp_path / "b.txt").write_text(b, encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", f"{tmp_path / 'a.txt'}#1", f"{tmp_path / 'b.txt'}#1"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) < 40  # one edit, the rest folded (it printed 748 lines)
    assert "[-130.4-]" in result.stdout and "{+131.5+}" in result.stdout


def test_color_choice_and_no_color(tmp_path, monkeypatch):
    args = ["diff", f"{ANKANG}#1", f"{ANKANG}#2"]
    plain = CliRunner().invoke(cli, args)  # not a terminal: no colour
    assert "\x1b[" not in plain.stdout and "[-" in plain.stdout and "{+" in plain.stdout
    assert not re.search(r"\b(grey|yellow|red|green|bold)\b", plain.stdout)  # no legend about colours it does not show
    always = CliRunner().invoke(cli, args + ["--color", "always"])
    assert "\x1b[" in always.stdout and "[-" not in always.stdout
    monkeypatch.setenv("NO_COLOR", "1")
    assert CliRunner().invoke(cli, args + ["--color", "always"]).stdout == always.stdout  # an explicit choice wins
    assert CliRunner().invoke(cli, args + ["--color", "never"]).stdout == plain.stdout


def test_no_automatic_highlighting(ankang_view):
    text = _render(ankang_view, 100, color=True)
    # numbers and quotes are styled like the text around them, never bold cyan
    assert "\x1b[1;36m" not in text and "\x1b[36m" not in text


def test_speech_text_cannot_drive_the_terminal(tmp_path):
    evil = tmp_path / "evil.txt"
    evil.write_text("同志们：\n一、总体要求\x1b[2J\n要把工作做实\x1b]8;;http://x.example\x1b\\做细\x1b[31m做好。\n大家要认真落实。",
                    encoding="utf-8")
    for args in (["outline", evil], ["summarize", evil], ["diff", evil, evil], ["clean", evil]):
        result = CliRunner().invoke(cli, [str(a) for a in args] + ["--color", "always"])
        assert result.exit_code == 0, result.output
        assert "\x1b[2J" not in result.stdout and "\x1b]8" not in result.stdout and "\x1b[31m做好" not in result.stdout


# ----- a real terminal


def _tmux_capture(command: str, env: dict[str, str], width: int = 80, height: int = 40) -> str:
    sock = f"speechdiff-test-{os.getpid()}-{time.monotonic_ns()}"
    conf = ROOT / "tests" / ".tmux-test.conf"
    try:
        conf.write_text("set -g history-limit 100000\nset -g status off\n")
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        script = f"env {exports} {command}; tmux -L {sock} wait-for -S done; sleep 600"
        subprocess.run(["tmux", "-L", sock, "-f", str(conf), "new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), script],
                       check=True, cwd=ROOT)
        subprocess.run(["tmux", "-L", sock, "wait-for", "done"], check=True, timeout=180)
        return subprocess.run(["tmux", "-L", sock, "capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "t"],
                              check=True, capture_output=True, text=True).stdout
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
        conf.unlink(missing_ok=True)


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux not installed (.ci/run installs it)")
@pytest.mark.parametrize("color_env", [{"NO_COLOR": "1"}, {"TERM": "xterm-256color"}], ids=["NO_COLOR", "colour"])
def test_tmux_80x40_ankang_pair(color_env):
    env = {"PYTHONPATH": str(ROOT), "TERM": "xterm-256color", **color_env}
    command = f"{sys.executable} -m compare diff '{ANKANG}#1' '{ANKANG}#2'"
    screen = _tmux_capture(command, env)
    lines = [line.rstrip() for line in screen.splitlines()]
    assert len([line for line in lines if line]) > 100, screen[:2000]
    assert all(cells(line) <= 80 for line in lines)  # -J joins wrapped lines: nothing overflowed
    # the text column of a row starts after its label and side mark, or after the indent
    text_starts = [re.sub(r"^(?:\S{2,3} +(?:A=B|A|B) |\s+(?:A|B) |\s+)", "", line) for line in lines if line.strip()]
    assert not [t for t in text_starts if STARTS_WITH_CLOSING.match(t)]
    for a, b in zip(text_starts, text_starts[1:]):
        assert not (a[-1:].isdigit() and re.match(r"[0-9.%年万亿]", b)), (a, b)  # no number split over lines
    for figure in ("1182.06亿元", "7.9%", "130.4亿元", "2020年"):
        assert figure in screen
    assert re.search(r"≡ \d+ identical sentences", screen)
    if "NO_COLOR" in color_env:  # the meaning survives without colour
        assert "[-" in screen and "-]" in screen and "{+" in screen and "+}" in screen
        assert not re.search(r"\b(grey|yellow|red|green|bold)\b", screen)
