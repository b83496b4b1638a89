"""The ``speechdiff`` command: a thin click layer over the library."""

from __future__ import annotations

import os

import click

from . import __version__, clean, read_text, render, select
from .align import DEFAULT_THRESHOLD
from .model import Speech, SpeechdiffError


class InputError(click.ClickException):
    exit_code = 2


class Cli(click.Group):
    """Turns library errors into one line on stderr and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SpeechdiffError as e:
            raise InputError(str(e)) from None
        except OSError as e:
            raise InputError(f"{e.filename or ''}: {e.strerror}".lstrip(": ")) from None


@click.group(cls=Cli)
@click.version_option(__version__, prog_name="speechdiff")
def cli():
    """Compare Chinese government speeches: outlines, TextRank summaries,
    shared boilerplate (套话) versus local content.

    A speech is named FILE (all speeches in it) or FILE#N (the N-th, from 1).
    """


def _console():
    from rich.console import Console

    return Console(soft_wrap=False)


@cli.command("clean")
@click.argument("spec", metavar="FILE[#N]")
def clean_command(spec):
    """Print the cleaned, simplified text of FILE (or of speech #N in it)."""
    if "#" in spec and not spec.endswith("#"):
        for speech in select(spec):
            click.echo(speech.text)
    else:
        click.echo(clean(read_text(spec)))


@cli.command()
@click.argument("spec", metavar="FILE[#N]")
@click.option("--json", "as_json", is_flag=True, help="Print the outline as JSON.")
def outline(spec, as_json):
    """Print the outline tree (一、 （一） 1. 一是 …) of each speech."""
    speeches = select(spec)
    if as_json:
        click.echo(render.outline_json(speeches))
        return
    console = _console()
    for speech in speeches:
        console.print(render.outline_tree(speech))


FORMATS = click.Choice(["text", "json", "md", "html"])


def _emit(content: str, output: str | None, inputs: list[str]) -> None:
    """Print ``content``, or write it atomically to ``output``."""
    if output:
        path = render.write_atomic(output, content, inputs)
        click.echo(f"wrote {path}", err=True)
    else:
        click.echo(content, nl=not content.endswith("\n"))


@cli.command()
@click.argument("spec", metavar="FILE[#N]")
@click.option("-n", "--sentences", "n", default=5, show_default=True, type=click.IntRange(1, 100), help="How many key sentences.")
@click.option("--keywords", default=10, show_default=True, type=click.IntRange(0, 200), help="How many keywords.")
@click.option("--per-section", is_flag=True, help="Also key sentences for each top-level section.")
@click.option("--engine", type=click.Choice(["fast", "textrank4zh"]), default="fast", show_default=True,
              help="fast: textrank4zh's method on sparse matrices; textrank4zh: the original package.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
def summarize(spec, n, keywords, per_section, engine, fmt, output):
    """Key sentences (TextRank, in document order) and keywords of each speech."""
    from . import analyze

    speeches = select(spec)
    summaries = [analyze.summarize(s, n=n, keywords=keywords, per_section=per_section, engine=engine) for s in speeches]
    if fmt == "json":
        content = render.dumps(summaries)
    elif fmt == "md":
        content = render.summary_markdown(summaries)
    elif fmt == "html":
        content = render.summary_html(summaries)
    elif output:
        content = render.summary_markdown(summaries)
    else:
        console = _console()
        for summary in summaries:
            for item in render.summary_panels(summary):
                console.print(item)
        return
    _emit(content, output, [spec])


def _one(spec: str) -> "Speech":
    speeches = select(spec)
    if len(speeches) > 1:
        raise SpeechdiffError(f"{spec}: holds {len(speeches)} speeches; name one as {spec}#1 … {spec}#{len(speeches)}")
    return speeches[0]


@cli.command()
@click.argument("a", metavar="A[#N]")
@click.argument("b", metavar="B[#M]")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--threshold", type=click.FloatRange(0.1, 1.0), default=DEFAULT_THRESHOLD, show_default=True,
              help="How similar two sentences (or sections) must be to count as the same passage.")
def diff(a, b, fmt, output, threshold):
    """Compare two speeches: aligned sections, shared boilerplate, local text."""
    from . import align, analyze

    speech_a, speech_b = _one(a), _one(b)
    result = align.diff(speech_a, speech_b, threshold=threshold)
    view = render.diff_view(result)
    if fmt == "json":
        _emit(render.dumps(view), output, [a, b])
    elif fmt == "html":
        summaries = (analyze.summarize(speech_a, n=3, keywords=8), analyze.summarize(speech_b, n=3, keywords=8))
        _emit(render.diff_html(view, summaries), output or "outputs/diff.html", [a, b])
    else:
        console = _console()
        if output:
            from rich.console import Console

            with open(os.devnull, "w") as sink:
                recorder = Console(file=sink, record=True, width=160)
                render.diff_terminal(view, recorder)
            _emit(recorder.export_text(), output, [a, b])
        else:
            render.diff_terminal(view, console)


def main():
    cli(prog_name="speechdiff")


if __name__ == "__main__":
    main()
