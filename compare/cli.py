"""The ``speechdiff`` command: a thin click layer over the library."""

from __future__ import annotations

import logging
import os

import click

from . import __version__, clean, read_text, render, select
from .output import Inputs, check_output, cleanup_on_signals, write_atomic
from .align import DEFAULT_THRESHOLD
from .model import Speech, SpeechdiffError


class InputError(click.ClickException):
    exit_code = 2


def _one_line(e: click.UsageError) -> InputError:
    """click's usage error (usage, hint, blank line, message) as one line."""
    where = f" (see '{e.ctx.command_path} -h')" if e.ctx is not None else ""
    return InputError(" ".join(e.format_message().split()) + where)


class Command(click.Command):
    """A command whose arguments may be ``-#N`` (speech N of stdin): click
    would read that as the short options ``-#`` and ``-N``."""

    def parse_args(self, ctx, args):
        hidden: dict[str, str] = {}
        shown = []
        for arg in args:
            if arg == "--":
                shown += args[len(shown):]
                break
            if arg.startswith("-#"):
                key = f"\x00speechdiff-arg-{len(hidden)}"
                hidden[key] = arg
                arg = key
            shown.append(arg)
        rest = super().parse_args(ctx, shown)
        if hidden:
            ctx.params = {name: _unhide(value, hidden) for name, value in ctx.params.items()}
        return rest


def _unhide(value, hidden: dict[str, str]):
    if isinstance(value, str):
        return hidden.get(value, value)
    if isinstance(value, tuple):
        return tuple(hidden.get(v, v) if isinstance(v, str) else v for v in value)
    return value


class Cli(click.Group):
    """Turns library errors, OS errors and usage errors into one line on
    stderr and exit code 2; removes unfinished output files on SIGINT/SIGTERM."""

    command_class = Command

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as e:
            raise _one_line(e) from None

    def invoke(self, ctx):
        try:
            with cleanup_on_signals():
                return super().invoke(ctx)
        except click.UsageError as e:
            raise _one_line(e) from None
        except SpeechdiffError as e:
            raise InputError(str(e)) from None
        except BrokenPipeError:
            raise  # `speechdiff … | head`: click exits quietly
        except OSError as e:
            raise InputError(error_line(e)) from None


class _JiebaCacheNote(logging.Filter):
    """jieba logs a failure to save its dictionary cache (an unwritable temp
    folder) with a full traceback. The cache only saves loading time, so the
    run goes on; say so in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and "cache" in record.getMessage().lower():
            error = record.exc_info[1]
            reason = getattr(error, "strerror", None) or str(error)
            record.msg, record.args = f"note: jieba could not save its dictionary cache ({reason}); continuing without it", ()
            record.exc_info = record.exc_text = None
        return True


logging.getLogger("jieba").addFilter(_JiebaCacheNote())


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
        return
    text = clean(read_text(spec))
    if not text.strip():
        raise SpeechdiffError(f"{spec}: no text found after cleaning")
    click.echo(text)


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


def _emit(content: str, output: str | None, inputs: Inputs) -> None:
    """Print ``content``, or write it atomically to ``output``."""
    if output and output != "-":
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
@click.option("-o", "--output", type=click.Path(), help="Write to this file instead of stdout.")
@click.option("--against", "db", type=click.Path(), metavar="CORPUS.sqlite",
              help="Also mark what is boilerplate relative to this corpus database, and summarize what is new.")
def summarize(spec, n, keywords, per_section, engine, fmt, output, db):
    """Key sentences (TextRank, in document order) and keywords of each speech."""
    from . import analyze, store

    inputs = Inputs([spec], databases=[db] if db else [])
    if output:
        check_output(output, inputs)
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
    _emit(content, output, inputs)


def _one(spec: str) -> "Speech":
    speeches = select(spec)
    if len(speeches) > 1:
        raise SpeechdiffError(f"{spec}: holds {len(speeches)} speeches; name one as {spec}#1 … {spec}#{len(speeches)}")
    return speeches[0]


@cli.command()
@click.argument("a", metavar="A[#N]")
@click.argument("b", metavar="B[#M]", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(), help="Write to this file instead of stdout.")
@click.option("--threshold", type=click.FloatRange(0.1, 1.0), default=DEFAULT_THRESHOLD, show_default=True,
              help="How similar two sentences (or sections) must be to count as the same passage.")
@click.option("--against", "db", type=click.Path(), metavar="CORPUS.sqlite",
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
    inputs = Inputs([a, b])
    if output:
        check_output(output, inputs)
    speech_a, speech_b = _one(a), _one(b)
    result = align.diff(speech_a, speech_b, threshold=threshold)
    view = render.diff_view(result)
    if fmt == "json":
        _emit(render.dumps(view), output, inputs)
    elif fmt == "html":
        summaries = (analyze.summarize(speech_a, n=3, keywords=8), analyze.summarize(speech_b, n=3, keywords=8))
        _emit(render.diff_html(view, summaries), output or "outputs/diff.html", inputs)
    else:
        _terminal(lambda console: render.diff_terminal(view, console), output, inputs)


def _diff_against(spec: str, db: str, fmt: str, output: str | None) -> None:
    from . import store

    inputs = Inputs([spec], databases=[db])
    if output:
        check_output(output, inputs)
    view = render.against_view(store.mark(_corpus_db(db), _one(spec)))
    if fmt == "json":
        _emit(render.dumps(view), output, inputs)
    elif fmt == "html":
        _emit(render.against_html(view), output or "outputs/against.html", inputs)
    else:
        _terminal(lambda console: render.against_terminal(view, console), output, inputs)


def _terminal(draw, output: str | None, inputs: Inputs) -> None:
    """Draw rich output on the terminal, or as plain text into ``output``."""
    if not output or output == "-":
        draw(_console())
        return
    from rich.console import Console

    with open(os.devnull, "w") as sink:
        recorder = Console(file=sink, record=True, width=160)
        draw(recorder)
    _emit(recorder.export_text(), output, inputs)


@cli.command()
@click.argument("specs", nargs=-1, metavar="FILE[#N]...")
@click.option("--db", type=click.Path(), metavar="CORPUS.sqlite", help="Also include every speech of this corpus database.")
@click.option("--format", "fmt", type=click.Choice(["html", "json"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(),
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
    inputs = Inputs(specs, databases=[db] if db else [])
    if output:
        check_output(output, inputs)
    progress = _progress()
    speeches = [s for spec in progress(specs, "reading") for s in select(spec)]
    if db:
        speeches += store.load_speeches(_corpus_db(db))
    if len(speeches) < 2:
        raise SpeechdiffError(f"a report compares speeches: found {len(speeches)}, need at least 2")
    result = corpus.analyze_corpus(speeches, n=n, progress=progress)
    if fmt == "json":
        _emit(render.dumps(render.report_view(result, phrases=phrases or None)), output, inputs)
        return
    path = render.write_report(result, output or "outputs/report.html", diffs=diffs, max_diffs=max_diffs,
                               phrases=phrases or None, inputs=inputs, progress=progress)
    click.echo(f"wrote {path.resolve()}", err=True)


@cli.group()
def index():
    """A persistent corpus: index speeches once, compare new ones against it."""


@index.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(), metavar="FILE...")
@click.option("--db", required=True, type=click.Path(), metavar="CORPUS.sqlite", help="The database (created if missing).")
def index_add(files, db):
    """Add the speeches of FILES to the corpus (re-adding is a no-op; a
    changed file replaces its speeches). Bad files are reported and skipped."""
    from . import store

    check_output(db, Inputs(files), follow=True)  # the database must not be one of the files
    conn = store.connect(db)
    progress = _progress()
    failed = 0
    for path in progress(files, "indexing"):
        try:
            status, count = store.add_file(conn, path)
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
@click.option("--db", required=True, type=click.Path(), metavar="CORPUS.sqlite")
def index_remove(files, db):
    """Remove the speeches of FILES from the corpus (the files may be gone)."""
    from . import store

    conn = _corpus_db(db)
    for path in files:
        count = store.remove_file(conn, path)
        click.echo(f"removed: {path} ({_speeches(count)})" if count else f"not indexed: {path}")


@index.command("list")
@click.option("--db", required=True, type=click.Path(), metavar="CORPUS.sqlite")
def index_list(db):
    """List the indexed speeches."""
    from . import store

    for s in store.speeches(_corpus_db(db)):
        click.echo("\t".join((str(s.id), s.source, s.title, s.date, s.speaker)))


def main():
    cli(prog_name="speechdiff")


if __name__ == "__main__":
    main()
