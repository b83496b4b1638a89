"""Text output through rich: one console per rendering, writing into a
string, so the terminal, a pipe and ``-o x.txt`` get the same text (with
ANSI styles only when colour was asked for or detected)."""

from __future__ import annotations

import io

from . import Options


def console(options: Options, file=None):
    """A rich Console that writes to ``file`` (a string buffer by default):
    styles only with ``options.color``, never rich's automatic highlighting
    (it paints numbers and quotes, which would read as diff marks), no emoji
    codes, and the environment's NO_COLOR already settled by the caller."""
    from rich.console import Console

    def make(color_system):
        return Console(file=file if file is not None else io.StringIO(), width=options.width, force_terminal=options.color,
                       no_color=not options.color, color_system=color_system, highlight=False, emoji=False,
                       soft_wrap=False, markup=True, legacy_windows=False)

    made = make("auto" if options.color else None)
    if options.color and made.color_system is None:  # TERM unset or dumb, yet colour was asked for
        made = make("standard")
    return made


def capture(draw, options: Options) -> str:
    out = console(options)
    draw(out)
    return out.file.getvalue()


def outline(view, options: Options) -> str:
    from .. import render

    def draw(c):
        for speech in view.speeches:
            c.print(render.outline_tree(speech))

    return capture(draw, options)


def summary(view, options: Options) -> str:
    from .. import render

    def draw(c):
        for i, s in enumerate(view.summaries):
            render.summary_terminal(s, c, view.against[i] if view.against else None)

    return capture(draw, options)


def diff(view, options: Options) -> str:
    from .. import render

    return capture(lambda c: render.diff_terminal(view.data, c), options)


def against(view, options: Options) -> str:
    from .. import render

    return capture(lambda c: render.against_terminal(view.data, c), options)


def report(view, options: Options) -> str:
    from .. import render

    return capture(lambda c: render.report_terminal(view.data(), c), options)


def track(view, options: Options) -> str:
    from .. import render

    return capture(lambda c: render.track_terminal(view.data(), c), options)
