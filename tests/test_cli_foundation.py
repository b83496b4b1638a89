import json

import pytest
from click.testing import CliRunner

from compare.cli import cli

from .conftest import ROOT, SAMPLES


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input)

    return invoke


def test_version_and_help(run):
    assert run("--version").output.startswith("speechdiff, version")
    for command in ["clean", "outline"]:
        result = run(command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output


def test_clean_prints_simplified_text(run):
    result = run("clean", SAMPLES / "web_prefecture_speeches_trad.txt")
    assert result.exit_code == 0
    assert "同志们：" in result.output and "發" not in result.output


def test_clean_reads_stdin(run):
    result = run("clean", "-", input="同志們:\n今天開會(huì)。".encode("big5", errors="ignore"))
    assert result.exit_code == 0
    assert result.output.startswith("同志们：")


def test_outline_json(run):
    result = run("outline", f"{SAMPLES / 'ankang_2020_transport_and_health.txt'}#2", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert len(data) == 1 and data[0]["date"] == "2020年3月20日"
    assert [s["marker"] for s in data[0]["sections"] if s["level"] == 1] == ["一、", "二、", "三、"]


def test_outline_tree(run):
    result = run("outline", SAMPLES / "city_health_2022_template.txt")
    assert result.exit_code == 0
    assert "（六）围绕补短强弱" in result.output


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make_input, message",
    [
        (lambda d: d / "missing.txt", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "empty.txt", b""), "empty"),
        (lambda d: _write(d / "blank.txt", b" \n\t\r\n  \n"), "empty"),
        (lambda d: _write(d / "b.bin", b"\x00\x01\x02" * 100), "binary"),
        (lambda d: f"{SAMPLES / 'ankang_2021_midyear.txt'}#3", "no speech #3"),
    ],
)
@pytest.mark.parametrize("command", ["clean", "outline"])
def test_errors_are_one_line_exit_2(run, tmp_path, make_input, message, command):
    target = str(make_input(tmp_path))
    result = run(command, target)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # one line: no usage block, no traceback
    assert message in lines[0]
    assert target.split("#")[0] in lines[0] or str(tmp_path) in lines[0]  # names the file


def test_gbk_file_is_decoded(run, tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("同志们：\n一、肯定成绩\n今年工作取得成效。".encode("gbk"))
    result = run("outline", path, "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)[0]["sections"][1]["heading"] == "肯定成绩"


# ----- conventions: -h, full help lines, completion


def _commands():
    from compare.cli import cli as group

    out = []
    for name, command in group.commands.items():
        out.append([name])
        for sub in getattr(command, "commands", {}):
            out.append([name, sub])
    return out


@pytest.mark.parametrize("path", [[]] + _commands(), ids=lambda p: " ".join(p) or "speechdiff")
def test_dash_h_is_help(run, path):
    short, long = run(*path, "-h"), run(*path, "--help")
    assert short.exit_code == 0 and short.output == long.output
    assert short.output.startswith("Usage: ")


def test_help_lists_commands_in_full(run):
    from compare.cli import cli as group

    listing = " ".join(run("--help").output.split("Commands:")[1].split())
    for name, command in group.commands.items():
        assert f"{name} {command.short_help}" in listing  # whole, not cut at 45 columns or at "1."
    assert "outline Print the outline tree (一、 （一） 1. 一是 …)." in listing
    assert "_SPEECHDIFF_COMPLETE=bash_source speechdiff" in run("--help").output


def _complete(words: str, cword: int):
    return CliRunner().invoke(cli, [], prog_name="speechdiff",
                              env={"_SPEECHDIFF_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)})


def test_shell_completion():
    script = CliRunner().invoke(cli, [], prog_name="speechdiff", env={"_SPEECHDIFF_COMPLETE": "bash_source"})
    assert script.exit_code == 0 and "complete " in script.output and "_SPEECHDIFF_COMPLETE=bash_complete" in script.output
    assert _complete("speechdiff di", 1).output.splitlines() == ["plain,diff"]
    assert _complete("speechdiff diff samp", 2).output.splitlines() == ["file,samp"]  # the shell completes file names
    assert "plain,--format" in _complete("speechdiff report --fo", 2).output.splitlines()
    assert _complete("speechdiff report --format ", 3).output.splitlines() == [f"plain,{f}" for f in ("text", "json", "md", "html", "csv")]


def test_another_librarys_warning_is_shown_once_after_the_command(tmp_path):
    """A warning that is not a decode warning (Dask's "Sending large graph"
    on a large report) is shown once when the command ends. It used to be
    re-shown while warnings were still being recorded, which appended it to
    the list being read: a loop that filled the memory. The child runs under
    a 1 GB address-space limit so that loop fails fast instead."""
    import subprocess
    import sys

    code = (
        "import resource, warnings\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from compare.cli import _decode_warnings\n"
        "with _decode_warnings():\n"
        "    warnings.warn('a large graph', UserWarning)\n"
        "print('done')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout == "done\n"
    assert result.stderr.count("a large graph") == 1
