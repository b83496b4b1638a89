"""pytest plugin for ``make mutate`` only (pyproject [tool.mutmut] loads it
with ``-p tests.mutmut_plugin``; ``make test`` never does).

mutmut first runs the selected tests once with MUTANT_UNDER_TEST=stats to
record which tests call each mutated function, then runs each mutant against
those tests alone. The tests memoize parsed files (functools.cache in
conftest.py and test_realworld.py) and compare memoizes per line
(markers.match_marker, which calls the mutated cn_to_int; meta's and ingest's
line tests): in one stats session only the first test to parse a file would be
recorded as calling split/outline/markers, and a mutant would then be tried
against that one test, surviving tests that would kill it. So in the stats
run every such memo is emptied before each test. Loaders memoized without a
size bound in compare (dictionaries, converters) are kept: they call no rule.
"""

import functools
import os
import sys

import pytest


def _memos():
    for name, module in list(sys.modules.items()):
        in_tests = name == "tests" or name.startswith("tests.")
        if not (in_tests or name.startswith("compare.")):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, functools._lru_cache_wrapper):
                # tests' memos all; compare's per-line memos (bounded ones)
                if in_tests or value.cache_parameters()["maxsize"] is not None:
                    yield value


@pytest.fixture(autouse=True)
def _fresh_memos_in_mutmut_stats():
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        for memo in _memos():
            memo.cache_clear()
    yield
