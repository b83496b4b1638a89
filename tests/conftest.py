import functools
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings as _hypothesis_settings

import compare
from compare.cli import cli

from .browser import Browser, chromium_path

# Property tests check behaviour, never speed: hypothesis' default 200 ms
# deadline per example is a timing assertion that fails under coverage on a
# loaded CI machine (test_lis took 265 ms once). Speed lives in benchmarks/.
_hypothesis_settings.register_profile("speechdiff", deadline=None)
_hypothesis_settings.load_profile("speechdiff")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@functools.cache
def speeches_of(name: str):
    return compare.load(SAMPLES / f"{name}.txt")


@pytest.fixture
def samples_dir():
    return SAMPLES


def outline_shape(sections):
    """(label, [children shapes]) for the numbered sections, for golden tests."""
    return [(s.label, outline_shape(s.children)) for s in sections if s.level > 0]


def run(*args):
    """Invoke the speechdiff command line in-process, arguments as strings."""
    return CliRunner().invoke(cli, [str(a) for a in args])


# the browser checks skip, saying why, only where chromium is missing
needs_chromium = pytest.mark.skipif(
    not chromium_path(), reason="chromium not installed (Debian package 'chromium'; .ci/run installs it)"
)


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for a test module's page checks (skipped, saying why, where it is missing)."""
    if not chromium_path():
        pytest.skip("chromium not installed (Debian package 'chromium'; .ci/run installs it)")
    with Browser() as b:
        yield b
