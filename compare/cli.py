"""The ``speechdiff`` command: a thin click layer over the library."""

from __future__ import annotations

import os

import click

from . import __version__, clean, read_text, render, select
from .output import check_output, write_atomic
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
            raise InputError(error_line(e)) from None


def error_line(e: OSError | SpeechdiffError) -> str:
    """One line for a bad input: the library's message, or file: reason."""
    if isinstance(e, SpeechdiffError):
        return str(e)
    return f"{e.filename or ''}: {e.strerror}".lstrip(": ")


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


def _progress():
    """Progress bars on stderr, only when it is a terminal (not in pipes or CI logs)."""
    from rich.console import Console
    from rich.progress import track

    from .corpus import no_progress

    console = Console(stderr=True)
    if not console.is_terminal:
        return no_progress
    return lambda items, description: track(list(items), description=description, console=console, transient=True)


def _speeches(count: int) -> str:
    return f"{count} speech{'es' if count != 1 else ''}"


def _corpus_db(path: str):
    from . import store

    return store.connect(path, create=False)


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
        path = write_atomic(output, content, inputs)
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
@click.option("--against", "db", type=click.Path(dir_okay=False), metavar="CORPUS.sqlite",
              help="Also mark what is boilerplate relative to this corpus database, and summarize what is new.")
def summarize(spec, n, keywords, per_section, engine, fmt, output, db):
    """Key sentences (TextRank, in document order) and keywords of each speech."""
    from . import analyze, store

    speeches = select(spec)
    summaries = [analyze.summarize(s, n=n, keywords=keywords, per_section=per_section, engine=engine) for s in speeches]
    against = None
    if db:
        conn = _corpus_db(db)
        against = [render.against_view(store.mark(conn, s), n) for s in speeches]
        for view in against:
            del view["sentences"]  # a summary reports the figures and what is new, not every sentence
    if fmt == "json":
        items = render.to_jsonable(summaries)
        if against:
            items = [{**item, "against": view} for item, view in zip(items, against)]
        content = render.dumps(items)
    elif fmt == "md":
        content = render.summary_markdown(summaries, against)
    elif fmt == "html":
        content = render.summary_html(summaries, against)
    elif output:
        content = render.summary_markdown(summaries, against)
    else:
        console = _console()
        for i, summary in enumerate(summaries):
            for item in render.summary_panels(summary, against[i] if against else None):
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
@click.argument("b", metavar="B[#M]", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--threshold", type=click.FloatRange(0.1, 1.0), default=DEFAULT_THRESHOLD, show_default=True,
              help="How similar two sentences (or sections) must be to count as the same passage.")
@click.option("--against", "db", type=click.Path(dir_okay=False), metavar="CORPUS.sqlite",
              help="Instead of B: mark each sentence of A as found in this corpus database or new.")
def diff(a, b, fmt, output, threshold, db):
    """Compare two speeches: aligned sections, shared boilerplate, local text.

    With --against CORPUS.sqlite, compare one speech with every indexed one."""
    from . import align, analyze

    if db:
        if b:
            raise click.UsageError("give B or --against, not both")
        return _diff_against(a, db, fmt, output)
    if not b:
        raise click.UsageError("missing B (or --against CORPUS.sqlite)")
    speech_a, speech_b = _one(a), _one(b)
    result = align.diff(speech_a, speech_b, threshold=threshold)
    view = render.diff_view(result)
    if fmt == "json":
        _emit(render.dumps(view), output, [a, b])
    elif fmt == "html":
        summaries = (analyze.summarize(speech_a, n=3, keywords=8), analyze.summarize(speech_b, n=3, keywords=8))
        _emit(render.diff_html(view, summaries), output or "outputs/diff.html", [a, b])
    else:
        _terminal(lambda console: render.diff_terminal(view, console), output, [a, b])


def _diff_against(spec: str, db: str, fmt: str, output: str | None) -> None:
    from . import store

    view = render.against_view(store.mark(_corpus_db(db), _one(spec)))
    if fmt == "json":
        _emit(render.dumps(view), output, [spec, db])
    elif fmt == "html":
        _emit(render.against_html(view), output or "outputs/against.html", [spec, db])
    else:
        _terminal(lambda console: render.against_terminal(view, console), output, [spec, db])


def _terminal(draw, output: str | None, inputs: list[str]) -> None:
    """Draw rich output on the terminal, or as plain text into ``output``."""
    if not output:
        draw(_console())
        return
    from rich.console import Console

    with open(os.devnull, "w") as sink:
        recorder = Console(file=sink, record=True, width=160)
        draw(recorder)
    _emit(recorder.export_text(), output, inputs)


@cli.command()
@click.argument("specs", nargs=-1, metavar="FILE[#N]...")
@click.option("--db", type=click.Path(dir_okay=False), metavar="CORPUS.sqlite", help="Also include every speech of this corpus database.")
@click.option("--format", "fmt", type=click.Choice(["html", "json"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Where to write (html default: outputs/report.html, with pairwise diffs in outputs/report_diffs/; json default: stdout).")
@click.option("-n", "--sentences", "n", default=5, show_default=True, type=click.IntRange(1, 50), help="Key sentences per summary.")
@click.option("--phrases", default=300, show_default=True, type=click.IntRange(0), help="Phrasebook entries to include (0: all).")
@click.option("--diffs", type=click.Choice(["auto", "related", "all", "none"]), default="auto", show_default=True,
              help="Which pairwise side-by-side diffs to write next to an HTML report "
                   "(auto: every pair up to 30 speeches, else the related ones).")
@click.option("--max-diffs", default=100, show_default=True, type=click.IntRange(0), help="At most this many related diffs (most similar first).")
def report(specs, db, fmt, output, n, phrases, diffs, max_diffs):
    """Compare many speeches: similarity matrix, near-duplicates, the
    boilerplate phrasebook, and what is new in each speech."""
    from . import corpus, store

    if not specs and not db:
        raise click.UsageError("give speech files (or --db CORPUS.sqlite)")
    progress = _progress()
    speeches = [s for spec in progress(specs, "reading") for s in select(spec)]
    if db:
        speeches += store.load_speeches(_corpus_db(db))
    if len(speeches) < 2:
        raise SpeechdiffError(f"a report compares speeches: found {len(speeches)}, need at least 2")
    result = corpus.analyze_corpus(speeches, n=n, progress=progress)
    inputs = list(specs) + ([db] if db else [])
    if fmt == "json":
        _emit(render.dumps(render.report_view(result, phrases=phrases or None)), output, inputs)
        return
    path = render.write_report(result, output or "outputs/report.html", diffs=diffs, max_diffs=max_diffs,
                               phrases=phrases or None, inputs=inputs, progress=progress)
    click.echo(f"report: {path.resolve()}")


@cli.group()
def index():
    """A persistent corpus: index speeches once, compare new ones against it."""


@index.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(), metavar="FILE...")
@click.option("--db", required=True, type=click.Path(dir_okay=False), metavar="CORPUS.sqlite", help="The database (created if missing).")
@click.option("--name", help="Name of the text read from stdin (-); default: stdin: and its SHA-256.")
def index_add(files, db, name):
    """Add the speeches of FILES to the corpus (re-adding is a no-op; a
    changed file replaces its speeches). Bad files are reported and skipped."""
    from . import store

    if name is not None and "-" not in files:
        raise click.UsageError("--name names the text read from stdin: give - among the files")
    check_output(db, files)  # the database must not be one of the files
    conn = store.connect(db)
    progress = _progress()
    failed = 0
    for path in progress(files, "indexing"):
        try:
            status, count = store.add_file(conn, path, name=name if path == "-" else None)
        except (SpeechdiffError, OSError) as e:
            failed += 1
            click.echo(f"error: {error_line(e)}", err=True)
            continue
        click.echo(f"{status}: {path} ({_speeches(count)})")
    totals = store.counts(conn)
    click.echo(f"{db}: {totals['files']} files, {totals['speeches']} speeches, {totals['sentences']} sentences", err=True)
    if failed:
        raise click.exceptions.Exit(2)


@index.command("remove")
@click.argument("files", nargs=-1, required=True, type=click.Path(), metavar="FILE...")
@click.option("--db", required=True, type=click.Path(dir_okay=False), metavar="CORPUS.sqlite")
def index_remove(files, db):
    """Remove the speeches of FILES from the corpus (the files may be gone)."""
    from . import store

    conn = _corpus_db(db)
    for path in files:
        count = store.remove_file(conn, path)
        click.echo(f"removed: {path} ({_speeches(count)})" if count else f"not indexed: {path}")


@index.command("list")
@click.option("--db", required=True, type=click.Path(dir_okay=False), metavar="CORPUS.sqlite")
def index_list(db):
    """List the indexed speeches."""
    from . import store

    for s in store.speeches(_corpus_db(db)):
        click.echo("\t".join((str(s.id), s.source, s.title, s.date, s.speaker)))


def main():
    cli(prog_name="speechdiff")


if __name__ == "__main__":
    main()
