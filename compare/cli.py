"""The ``speechdiff`` command: a thin click layer over the library.

Each command builds a typed view (compare.views) and hands it to the one
output path, ``_emit`` -> compare.formats.write -> compare.output: the format
comes from --format or -o's suffix, no -o (or -o -) is stdout, status lines
go to stderr, and nothing is ever written over an input or a database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import sys
import warnings
from dataclasses import dataclass

import click

from . import __version__, clean, formats, read_text, select, views
from .align import DEFAULT_THRESHOLD
from .model import Speech, SpeechdiffError
from .output import Inputs, check_output, cleanup_on_signals


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
                key = f"\uffffspeechdiff-arg-{len(hidden)}"  # no file has this name
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


class Group(click.Group):
    command_class = Command


class Cli(Group):
    """Turns library errors, OS errors and usage errors into one line on
    stderr and exit code 2; removes unfinished output files on SIGINT/SIGTERM."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as e:
            raise _one_line(e) from None

    def invoke(self, ctx):
        try:
            with cleanup_on_signals(), _decode_warnings():
                return super().invoke(ctx)
        except click.UsageError as e:
            raise _one_line(e) from None
        except SpeechdiffError as e:
            raise InputError(str(e)) from None
        except BrokenPipeError:
            raise  # `speechdiff … | head`: click exits quietly
        except OSError as e:
            raise InputError(error_line(e)) from None
        except UnicodeDecodeError as e:  # the decoder's own checks missed a broken encoding
            raise InputError(f"cannot decode the input as {e.encoding} ({e.reason} at byte {e.start})") from None
        except sqlite3.Error as e:  # a damaged or foreign database the store did not recognise
            raise InputError(f"corpus database: {' '.join(str(e).split())}") from None
        except MemoryError:
            raise InputError("out of memory: the input is too large or too repetitive for this command") from None


@contextlib.contextmanager
def _decode_warnings():
    """A file decoded with a few bad bytes replaced: one line on stderr."""
    from .ingest import DecodeWarning

    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DecodeWarning)
            yield
    finally:
        # shown once the recording has stopped: inside the block showwarning
        # appends to ``caught`` itself, so re-showing another library's
        # warning (Dask's "Sending large graph") there never ended and
        # filled the memory
        for w in caught:
            if issubclass(w.category, DecodeWarning):
                click.echo(f"warning: {w.message}", err=True)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def error_line(e: OSError | SpeechdiffError) -> str:
    """One line for a bad input: the library's message, or file: reason."""
    if isinstance(e, SpeechdiffError):
        return str(e)
    return f"{e.filename or ''}: {e.strerror}".lstrip(": ")


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

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=Cli, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="speechdiff")
def cli():
    """Compare Chinese government speeches: outlines, TextRank summaries,
    shared boilerplate (套话) versus local content.

    A speech is named FILE (all speeches in it) or FILE#N (the N-th, from 1);
    - reads stdin (-#N: its N-th speech).

    \b
    Output: text on stdout by default; -o FILE writes FILE in the format its
    suffix names (.txt .md .json .csv .html) unless --format says otherwise;
    -o - is stdout. Files are written atomically and never over an input or
    a corpus database. Bad input: one line on stderr, exit status 2.

    \b
    Shell completion (bash; zsh and fish: zsh_source, fish_source):
      eval "$(_SPEECHDIFF_COMPLETE=bash_source speechdiff)"
    """


# ---------------------------------------------------------------- the one output path


@dataclass
class Destination:
    """Where and how a command's view goes: decided (and checked) before
    the work starts, so a bad -o fails in a second, not after a long report."""

    fmt: str
    output: str | None
    options: formats.Options
    inputs: Inputs

    def emit(self, view, progress=None) -> None:
        for line in formats.write(view, self.fmt, self.output, self.inputs, self.options, progress):
            click.echo(line, err=True)


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _use_color(choice: str, to_terminal: bool) -> bool:
    """--color: always, never, or auto (a terminal, NO_COLOR unset or empty,
    TERM not dumb). An explicit choice wins over NO_COLOR, as no-color.org asks."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    return to_terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _width(output: str | None, to_terminal: bool) -> int:
    """Text width: the terminal's; else $COLUMNS; for a pipe (`| less`) the
    terminal stderr shows; else 100 (files)."""
    if to_terminal:
        return shutil.get_terminal_size((100, 24)).columns
    try:
        return max(40, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        pass
    if output is None or output == "-":
        for stream in (sys.stderr, sys.stdin):
            try:
                if stream.isatty():
                    return os.get_terminal_size(stream.fileno()).columns
            except (AttributeError, ValueError, OSError):
                continue
    return 100


def destination(view_types: tuple[type, ...], fmt: str | None, output: str | None, color: str, inputs: Inputs,
                **options) -> Destination:
    if formats.is_folder(output) and views.ReportView in view_types:
        # -o DIR/: a report written as a folder of pages (formats.write_report_folder)
        if (fmt or "html") != "html":
            raise SpeechdiffError(f"{output}: a folder holds an HTML report; give a file name for --format {fmt}")
        fmt = "html"
        from .output import check_folder
        from .render import FOLDER_NAME

        check_folder(output, inputs, FOLDER_NAME)
    elif output is not None and output != "-":
        check_output(output, inputs)
    fmt = formats.infer_format(output, fmt)
    if len(view_types) == 1:
        formats.check_format(view_types[0], fmt)
    to_terminal = (output is None or output == "-") and _stdout_is_terminal()
    return Destination(fmt, output, formats.Options(color=_use_color(color, to_terminal), width=_width(output, to_terminal), **options), inputs)


def output_options(*view_types: type):
    """--format, -o/--output and --color, the same on every command (as
    sqlite-utils' output_options); --format offers what the views render to."""
    choices = formats.formats_for(*view_types)

    def decorate(f):
        f = click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
                         help="Colour in text output. auto: on a terminal unless NO_COLOR is set. "
                              "Without colour, edits are marked [-removed-] {+added+}.")(f)
        f = click.option("-o", "--output", type=click.Path(allow_dash=True), metavar="FILE",
                         help="Write to FILE instead of stdout; its suffix (.txt .md .json .csv .html) sets the format. "
                              "- is stdout.")(f)
        f = click.option("--format", "fmt", type=click.Choice(choices),
                         help=f"One of {', '.join(choices)} (default: from -o's suffix, else text).")(f)
        return f

    return decorate


# ---------------------------------------------------------------- helpers


def _progress():
    """Progress bars on stderr, only when it is a terminal (not in pipes or CI logs)."""
    from rich.console import Console
    from rich.progress import track

    from .corpus import no_progress

    console = Console(stderr=True)
    if not console.is_terminal:
        return no_progress
    def bar(items, description, total=None):
        # one bar per stage; a cluster's tasks are followed as they finish
        # (engine.map gives their number as ``total``)
        if total is None and not hasattr(items, "__len__"):
            items = list(items)
        return track(items, description=description, total=total, console=console, transient=True)

    bar.takes_total = True
    return bar


def engine_options(f):
    """--workers, --scheduler and --work-dir: where a corpus command's work runs."""
    f = click.option("--work-dir", type=click.Path(file_okay=False), metavar="DIR",
                     help="Keep intermediate results (Parquet) in DIR: an interrupted run started again with the same "
                          "DIR resumes from the partitions it finished. Workers of a cluster must see DIR.")(f)
    f = click.option("--scheduler", metavar="tcp://HOST:8786",
                     help="Run on a running Dask cluster (dask scheduler / dask worker, dask-jobqueue, Kubernetes).")(f)
    f = click.option("--workers", type=click.IntRange(1, 1024), metavar="N",
                     help="Run on N worker processes of a local Dask cluster (default: this machine, see --jobs).")(f)
    f = click.option("--jobs", type=click.IntRange(1, 1024), metavar="N",
                     help="Without a cluster: processes on this machine for the per-speech and per-partition work "
                          "(default: one per core, for a corpus of 64 speeches or more; 1: this process only).")(f)
    return f


def _engine(workers, scheduler, progress, jobs=None):
    from .engine import Engine

    if jobs is not None and (workers is not None or scheduler is not None):
        raise click.UsageError("--jobs is for a run on this machine: give it or --workers/--scheduler, not both")
    try:
        return Engine(workers=workers, scheduler=scheduler, progress=progress, processes=jobs)
    except ValueError as e:
        raise click.UsageError(str(e)) from None


def _speeches(count: int) -> str:
    return f"{count} speech{'es' if count != 1 else ''}"


def _corpus_db(path: str):
    from . import store

    return store.connect(path, create=False)


def _one(spec: str) -> Speech:
    speeches = select(spec)
    if len(speeches) > 1:
        raise SpeechdiffError(f"{spec}: holds {len(speeches)} speeches; name one as {spec}#1 … {spec}#{len(speeches)}")
    return speeches[0]


SPEC = click.Path(dir_okay=True, allow_dash=True)  # typed as a path so shells complete file names


# ---------------------------------------------------------------- commands


@cli.command("clean", short_help="Print the cleaned, simplified text.")
@click.argument("spec", metavar="FILE[#N]", type=SPEC)
@output_options(views.TextView)
@click.option("--explain", is_flag=True,
              help="Instead of the text, list every removed line: LINE<TAB>RULE<TAB>TEXT, one per line.")
def clean_command(spec, explain, fmt, output, color):
    """Print the cleaned, simplified text of FILE (or of speech #N in it).

    With --explain, print what cleaning removed and by which rule, so every
    removal can be checked (e.g. `clean --explain f.txt | cut -f2 | sort | uniq -c`)."""
    inputs = Inputs([spec])
    dest = destination((views.TextView,), fmt, output, color, inputs)
    if explain:
        from .ingest import clean_report

        path = spec.rsplit("#", 1)[0] if "#" in spec and not os.path.exists(spec) else spec
        removed = clean_report(read_text(path)).removed
        dest.emit(views.TextView("".join(f"{r}\n" for r in removed)))
        return
    if "#" in spec and not spec.endswith("#"):
        text = "\n".join(speech.text for speech in select(spec))
    else:
        text = clean(read_text(spec))
        if not text.strip():
            raise SpeechdiffError(f"{spec}: no speech text found after cleaning")
    dest.emit(views.TextView(text))


@cli.command(short_help="Print the outline tree (一、 （一） 1. 一是 …).")
@click.argument("spec", metavar="FILE[#N]", type=SPEC)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@output_options(views.OutlineView)
def outline(spec, as_json, fmt, output, color):
    """Print the outline tree (一、 （一） 1. 一是 …) of each speech in FILE."""
    inputs = Inputs([spec])
    dest = destination((views.OutlineView,), "json" if as_json else fmt, output, color, inputs)
    dest.emit(views.outline(select(spec)))


@cli.command(short_help="Key sentences and keywords (TextRank).")
@click.argument("spec", metavar="FILE[#N]", type=SPEC)
@click.option("-n", "--sentences", "n", default=5, show_default=True, type=click.IntRange(1, 100), help="How many key sentences.")
@click.option("--keywords", default=10, show_default=True, type=click.IntRange(0, 200), help="How many keywords.")
@click.option("--per-section", is_flag=True, help="Also key sentences for each top-level section.")
@click.option("--engine", type=click.Choice(["fast", "textrank4zh"]), default="fast", show_default=True,
              help="fast: textrank4zh's method on sparse matrices; textrank4zh: the original package.")
@click.option("--against", "db", type=click.Path(), metavar="CORPUS.sqlite",
              help="Also mark what is boilerplate relative to this corpus database, and summarize what is new.")
@output_options(views.SummaryView)
def summarize(spec, n, keywords, per_section, engine, db, fmt, output, color):
    """Key sentences (TextRank, in document order) and keywords of each
    speech in FILE; CSV lists the key sentences."""
    inputs = Inputs([spec], databases=[db] if db else [])
    dest = destination((views.SummaryView,), fmt, output, color, inputs)
    speeches = select(spec)
    conn = _corpus_db(db) if db else None
    dest.emit(views.summary(speeches, n=n, keywords=keywords, per_section=per_section, engine=engine, conn=conn))


@cli.command(short_help="Compare two speeches, or one against a corpus.")
@click.argument("a", metavar="A[#N]", type=SPEC)
@click.argument("b", metavar="B[#M]", required=False, type=SPEC)
@click.option("--threshold", type=click.FloatRange(0.1, 1.0), default=DEFAULT_THRESHOLD, show_default=True,
              help="How similar two sentences (or sections) must be to count as the same passage.")
@click.option("--against", "db", type=click.Path(), metavar="CORPUS.sqlite",
              help="Instead of B: mark each sentence of A as found in this corpus database or new.")
@output_options(views.DiffView, views.AgainstView)
def diff(a, b, threshold, db, fmt, output, color):
    """Compare two speeches: aligned sections, shared boilerplate, local
    text. On a terminal narrower than 120 columns each aligned block shows
    A above B; identical runs are folded. CSV lists the aligned rows.

    With --against CORPUS.sqlite, compare one speech with every indexed one."""
    if db:
        if b:
            raise click.UsageError("give B or --against, not both")
        inputs = Inputs([a], databases=[db])
        dest = destination((views.AgainstView,), fmt, output, color, inputs)
        dest.emit(views.against(_corpus_db(db), _one(a)))
        return
    if not b:
        raise click.UsageError("missing B (or --against CORPUS.sqlite)")
    inputs = Inputs([a, b])
    dest = destination((views.DiffView,), fmt, output, color, inputs)
    dest.emit(views.diff(_one(a), _one(b), threshold=threshold))


@cli.command(short_help="Compare many speeches: matrix, near-duplicates, phrasebook.")
@click.argument("specs", nargs=-1, metavar="FILE[#N]...", type=SPEC)
@click.option("--db", type=click.Path(), metavar="CORPUS.sqlite", help="Also include every speech of this corpus database.")
@click.option("-n", "--sentences", "n", default=5, show_default=True, type=click.IntRange(1, 50), help="Key sentences per summary.")
@click.option("--phrases", default=300, show_default=True, type=click.IntRange(0), help="Phrasebook entries to include (0: all).")
@click.option("--diffs", type=click.Choice(views.DIFF_CHOICES), default="auto", show_default=True,
              help="Which pairwise side-by-side diffs to write next to an HTML report "
                   f"(auto: every pair up to {views.ALL_DIFFS_LIMIT} speeches, else the related ones).")
@click.option("--max-diffs", default=100, show_default=True, type=click.IntRange(0), help="At most this many related diffs (most similar first).")
@click.option("--table", type=click.Choice(formats.REPORT_TABLES), default="speeches", show_default=True,
              help="CSV: which table (each speech's boilerplate share, similar pairs, the phrasebook).")
@click.option("--min-speeches", default=1, show_default=True, type=click.IntRange(1),
              help="A passage is boilerplate when it recurs in at least this many other independent speeches.")
@click.option("--strict", is_flag=True, help="Stop at the first unreadable file instead of skipping it with a warning.")
@engine_options
@output_options(views.ReportView)
def report(specs, db, n, phrases, diffs, max_diffs, table, min_speeches, strict, workers, scheduler, jobs, work_dir, fmt, output,
           color):
    """Compare many speeches: similarity matrix, near-duplicates, the
    boilerplate phrasebook, and what is new in each speech.

    -o report.html writes a self-contained page and, in report_diffs/ beside
    it, the side-by-side diff of each pair (written fresh each run). Above
    a few hundred speeches, or with -o DIR/, HTML is a folder: an index page
    and one page per speech and per family. Without -o a summary is printed;
    --format html then prints the page alone.

    With --db, the speeches' per-speech results stored by `index add` are
    used as they are. --workers N (or --scheduler) runs the work on Dask."""
    if not specs and not db:
        raise click.UsageError("give speech files (or --db CORPUS.sqlite)")
    inputs = Inputs(specs, databases=[db] if db else [])
    dest = destination((views.ReportView,), fmt, output, color, inputs, table=table)
    if db:
        _corpus_db(db).close()  # a missing or foreign database: one line, before any work
    progress = _progress()

    def check(count, skipped):
        if count < 2:
            # too few left to compare: the unreadable file is the problem to name
            raise SpeechdiffError(skipped[0][1] if skipped else f"a report compares speeches: found {count}, need at least 2")
        for _, reason in skipped:  # one unreadable file among many is not the end of the run
            click.echo(f"warning: skipped {reason}", err=True)

    with _engine(workers, scheduler, progress, jobs) as engine:
        view = views.corpus_report(specs, db, n=n, phrases=phrases or None, diffs=diffs, max_diffs=max_diffs,
                                   min_speeches=min_speeches, engine=engine, work_dir=work_dir, strict=strict, check=check)
    dest.emit(view, progress)


@cli.command(short_help="One passage across many speeches: a variant table.")
@click.argument("specs", nargs=-1, required=True, metavar="FILE[#N]...", type=SPEC)
@click.option("--section", metavar="TEXT|PATH",
              help="The passage: a section by heading text (渠道建设), outline path (二 > （三）) or 开场 (the opening).")
@click.option("--phrase", metavar="TEXT", help="The passage: the sentence holding this phrase (punctuation and figures do not matter).")
@click.option("--order", type=click.Choice(["given", "date"]), default="given", show_default=True,
              help="Order of the speeches: as given, or by their dates.")
@click.option("--numbers", is_flag=True, help="Also list the figures whose frame recurs (增长5%左右 …), one value per speech.")
@click.option("--table", type=click.Choice(["rows", "figures"]), default="rows", show_default=True,
              help="CSV: the variant table's cells, or the figures (with --numbers).")
@output_options(views.TrackView)
def track(specs, section, phrase, order, numbers, table, fmt, output, color):
    """Collate one passage across speeches: a row per aligned sentence, a
    column per speech; each reading compared with the speech before it
    (same, edited, template slots filled, added, dropped), the majority
    reading marked, and what each speech changed. FILE alone means every
    speech in it."""
    if (section is None) == (phrase is None):
        raise click.UsageError("give one of --section or --phrase")
    inputs = Inputs(specs)
    dest = destination((views.TrackView,), fmt, output, color, inputs, table=table)
    speeches = [s for spec in specs for s in select(spec)]
    dest.emit(views.track(speeches, section=section, phrase=phrase, order=order, numbers=numbers or table == "figures"))


@cli.group(cls=Group, short_help="A persistent corpus database (add, list, remove).")
def index():
    """A persistent corpus: index speeches once, compare new ones against it."""


@index.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(), metavar="FILE...")
@click.option("--db", required=True, type=click.Path(), metavar="CORPUS.sqlite", help="The database (created if missing).")
@click.option("--name", help="Name of the text read from stdin (-); default: stdin: and its SHA-256.")
@click.option("--workers", type=click.IntRange(1, 1024), metavar="N",
              help="Clean, outline, fingerprint and summarize on N worker processes of a local Dask cluster.")
@click.option("--scheduler", metavar="tcp://HOST:8786", help="... or on a running Dask cluster.")
@click.option("--jobs", type=click.IntRange(1, 1024), metavar="N",
              help="Without a cluster: processes on this machine for the per-speech and per-partition work "
                   "(default: one per core, for a corpus of 64 speeches or more; 1: this process only).")
def index_add(files, db, name, workers, scheduler, jobs):
    """Add the speeches of FILES to the corpus (re-adding is a no-op; a
    changed file replaces its speeches). Bad files are reported and skipped.
    Each file is stored in its own transaction as soon as it is computed, so
    an interrupted run, started again, skips what it stored."""
    from . import store
    from .engine import LOCAL_SPLIT

    if name is not None and "-" not in files:
        raise click.UsageError("--name names the text read from stdin: give - among the files")
    check_output(db, Inputs(files), follow=True)  # the database must not be one of the files
    progress = _progress()
    failed = 0

    def fail(e):
        nonlocal failed
        failed += 1
        click.echo(f"error: {error_line(e)}", err=True)

    # the cluster first: a bad --workers/--scheduler creates no database
    with _engine(workers, scheduler, progress, jobs) as engine:
        conn = store.connect(db)
        if not engine.distributed and (len(files) < LOCAL_SPLIT or engine.local_processes() < 2):
            for path in progress(files, "indexing"):
                try:
                    status, count = store.add_file(conn, path, name=name if path == "-" else None)
                except (SpeechdiffError, OSError) as e:
                    fail(e)
                    continue
                click.echo(f"{status}: {path} ({_speeches(count)})")
        else:
            _index_in_batches(conn, files, name, engine, fail)
    totals = store.counts(conn)
    click.echo(f"{db}: {totals['files']} files, {totals['speeches']} speeches, {totals['sentences']} sentences", err=True)
    if failed:
        raise click.exceptions.Exit(2)


_PREPARE_GROUP = 8  # files per task of index add's per-speech work


def _index_in_batches(conn, files, name, engine, fail) -> None:
    """index add with the per-speech work on the cluster or a local pool of
    processes, a batch of files at a time: the batch is read and checked
    here (unchanged files skipped), prepared on the workers, and each file
    stored in its own transaction as its result arrives (from a local pool
    while the next ones are computed)."""
    from . import read_text, store
    from .corpus import RecordSettings

    settings = RecordSettings()
    batch = max(1, 2 * engine.partition) if engine.distributed else _LOCAL_BATCH
    for lo in range(0, len(files), batch):
        todo = []
        for path in files[lo : lo + batch]:
            label = name if path == "-" else None
            try:
                raw = read_text(path)
                digest = store._sha256(raw)
                count = store.unchanged(conn, path, digest, label)
            except (SpeechdiffError, OSError) as e:
                fail(e)
                continue
            if count is not None:
                click.echo(f"unchanged: {path} ({_speeches(count)})")
            else:
                todo.append((path, label, raw, store.entry_of(path, digest, label)[1]))
        groups = [todo[i : i + _PREPARE_GROUP] for i in range(0, len(todo), _PREPARE_GROUP)]
        done = engine.imap(_prepare_files, groups, f"indexing {lo + 1}-{lo + len(files[lo : lo + batch])} of {len(files)}",
                           settings)
        for group, results in zip(groups, done):
            for (path, label, raw, _), result in zip(group, results):
                if isinstance(result, Exception):
                    fail(result)
                    continue
                try:
                    status, count = store.add_file(conn, path, name=label, settings=settings, raw=raw, prepared=result)
                except (SpeechdiffError, OSError) as e:
                    fail(e)
                    continue
                click.echo(f"{status}: {path} ({_speeches(count)})")


_LOCAL_BATCH = 2000  # files read at a time for a local pool (their texts are held until stored)


def _prepare_files(items, settings):
    """On a worker: ``store.prepare`` of a few files' texts (an error is
    returned, not raised, so one bad file does not stop its batch)."""
    from . import store

    out = []
    for path, _, raw, source in items:
        try:
            prepared = store.prepare(raw, source, settings)
            out.append(prepared if prepared else SpeechdiffError(f"{path}: no speech text found after cleaning"))
        except SpeechdiffError as e:
            out.append(e)
    return out


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


# The command's cyclic garbage collector: a young collection every 100,000
# net allocations instead of the interpreter's default (700; 2,000 from
# Python 3.13), older ones rarer (50 and 100 instead of 10 and 10). A
# report holds a corpus' objects (records, outlines, reports: millions at
# 1,000 speeches) while it makes millions more, and the collector's passes
# over them were ~10% of its time (the 1,000 synthetic speeches: 13.9 ->
# 12.2 s, best of 3, same output). Python 3.14's incremental collector
# reads these numbers differently (no third generation; the second sets
# how much of the old one each pass scans), so it keeps its defaults. The
# library leaves the collector as its caller set it; only the command sets
# this.
GC_THRESHOLDS = (100_000, 50, 100)

# The command's allocator (glibc's malloc, through mallopt): blocks from 32
# MB are mapped on their own from the start (glibc's own ceiling, which
# its threshold otherwise climbs to only as large blocks are freed), and
# freed memory goes back to the system once 128 MB of it is free at the
# heap's top (128 KB by default), growing by 16 MB at a time. A report
# allocates and frees arrays of a few hundred KB to a few MB per speech
# and stage; returned to the system, each one's pages were faulted in
# anew: the 1,000 synthetic speeches' report made 377,000 minor page
# faults, 210,000 with these (system time 1.2 -> 0.95 s, wall -3%,
# interleaved medians; peak memory the same within 4%). Pool processes
# are forked with the setting. Elsewhere than glibc, nothing is done.
MALLOC_OPTIONS = ((-3, 32 << 20), (-1, 128 << 20), (-2, 16 << 20))  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD


def tune_malloc(libc=None) -> bool:
    """Set MALLOC_OPTIONS where the C library has glibc's ``mallopt``;
    whether it was set."""
    import ctypes
    import ctypes.util
    import sys

    if libc is None:
        if not sys.platform.startswith("linux"):
            return False
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        except OSError:
            return False
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None or not hasattr(libc, "gnu_get_libc_version"):  # (musl has no mallopt to speak of)
        return False
    return all(mallopt(option, value) == 1 for option, value in MALLOC_OPTIONS)


def main():
    import gc
    import sys

    if sys.version_info < (3, 14):
        gc.set_threshold(*GC_THRESHOLDS)
    tune_malloc()
    cli(prog_name="speechdiff")


if __name__ == "__main__":
    main()
