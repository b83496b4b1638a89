"""The ``speechdiff`` command: a thin click layer over the library."""

from __future__ import annotations

import click

from . import __version__, clean, read_text, render, select
from .model import SpeechdiffError


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


def main():
    cli(prog_name="speechdiff")


if __name__ == "__main__":
    main()
