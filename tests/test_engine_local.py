"""The corpus work on this machine's cores, without a cluster: a pool of
forked processes (``Engine(processes=N)``, ``--jobs N``) gives the very
results one process gives, for report and for index add; it is used only
where forking is safe and worth it; a worker that dies is one clear error,
never a hang; bad --jobs is one line and exit 2."""

from __future__ import annotations

import json
import os
import threading

import pytest

import compare
from compare import cli, corpus, engine, views
from compare.engine import Engine
from compare.model import SpeechdiffError

from .conftest import SAMPLES, run
from .test_engine import one_line, stored

SAMPLE_FILES = sorted(SAMPLES.glob("*.txt"))
TEST_PROCESS = os.getpid()


@pytest.fixture(autouse=True)
def no_other_threads(monkeypatch, request):
    """The engine forks only when no other thread runs. This test process
    may keep idle threads of an earlier test's Dask cluster (a CLI run
    never has any), so the pool tests see only their own thread; the
    thread rule itself is tested with real threads below."""
    if "real_threads" not in request.keywords:
        monkeypatch.setattr(threading, "active_count", lambda: 1)


def speeches():
    return [s for p in SAMPLE_FILES for s in compare.load(p)]


def test_a_pool_of_processes_gives_the_one_process_corpus(monkeypatch):
    """Small partitions, few buckets and small key blocks put every stage
    (records, the shuffles, overlaps, labels, the sentence keys' sketches,
    the phrase index, phrase holders) on the pool, in many tasks."""
    texts = speeches()
    monkeypatch.setattr(corpus, "KEY_BLOCK", 2000)  # characters of sentence keys per sketch task
    monkeypatch.setattr(corpus, "PHRASE_BLOCK", 300)  # and of phrase keys per phrase index task
    tasks: dict[str, int] = {}
    map_ = Engine.map

    def counted(self, fn, items, description, *shared, **options):
        items = list(items)
        tasks[description] = max(tasks.get(description, 0), len(items))
        return map_(self, fn, items, description, *shared, **options)

    monkeypatch.setattr(Engine, "map", counted)
    alone = corpus.analyze_corpus(texts, exact_limit=3, engine=Engine(partition=4, buckets=3, processes=1))
    with Engine(partition=4, buckets=3, processes=2) as pooled:
        together = corpus.analyze_corpus(texts, exact_limit=3, engine=pooled)
        assert pooled._pool is not None  # the stages did run on the pool
    assert pooled._pool is None  # and it is shut down with the engine
    assert views.report_data(together) == views.report_data(alone)
    assert alone.pairs and alone.phrasebook
    assert tasks["sentence sketches"] > 2 and tasks["phrase index"] > 2 and tasks["phrase holders"] > 2
    # the reports crossed from the pool without their units; asked for, they are the speech's own
    from compare.align import units_of

    assert all(r._units is None for r in together.speeches)
    for mine, theirs in zip(together.speeches, alone.speeches):
        assert mine.units == theirs.units == units_of(mine.speech) and len(mine.units) == len(mine.scores) > 0


def pid_of(_item):
    return os.getpid()


def test_tasks_run_in_other_processes_and_come_back_in_order():
    with Engine(processes=2) as pooled:
        assert pooled.map(pow, [2, 3, 5], "squares", 2) == [4, 9, 25]
        assert os.getpid() not in set(pooled.map(pid_of, range(8), "pids"))


def started(item, folder):
    """Record that the task for ``item`` started (a file named by the time and item)."""
    import time

    open(os.path.join(folder, f"{time.perf_counter_ns():020d}-{item}"), "w").close()
    time.sleep(0.05)
    return item * item


def test_tasks_with_costs_go_costliest_first_and_come_back_in_order(tmp_path):
    """map(..., cost=) hands a pool the costliest tasks first (a large
    partition given last keeps one process busy while the other waits);
    the results stay in the items' order, in a pool and in one process."""
    items, cost = [1, 2, 3, 4, 5, 6], [1, 6, 2, 5, 3, 4]
    with Engine(processes=2) as pooled:
        assert pooled.map(started, items, "costs", str(tmp_path), cost=cost) == [i * i for i in items]
    first = sorted(p.name for p in tmp_path.iterdir())[:2]
    assert {int(name.split("-")[1]) for name in first} == {2, 4}  # costs 6 and 5
    with Engine(processes=1) as alone:
        assert alone.map(started, items, "costs", str(tmp_path), cost=cost) == [i * i for i in items]


def test_one_task_and_one_process_stay_in_this_process():
    with Engine() as default:
        assert default.map(pid_of, [0], "one task") == [os.getpid()]  # a single task is not worth a fork
        assert default._pool is None
    with Engine(processes=1) as alone:
        assert set(alone.map(pid_of, range(4), "pids")) == {os.getpid()}


def collector_on(_item):
    import gc

    return gc.isenabled()


def collector_on_then_fail(item):
    import gc

    if item:
        raise ValueError(f"task {item} failed with the collector {'on' if gc.isenabled() else 'off'}")
    return gc.isenabled()


@pytest.mark.parametrize("processes", [1, 2])
def test_tasks_run_with_the_cyclic_collector_paused_and_leave_it_as_it_was(processes):
    """A task runs with the cyclic garbage collector off (its passes over a
    partition's objects were ~30% of decoding its records), in this process
    and in a pool's; it is on again after each task, a failed one too, and
    a collector the caller had turned off stays off."""
    import gc

    with Engine(processes=processes) as e:
        assert e.map(collector_on, range(4), "collector") == [False] * 4
        assert gc.isenabled()
        with pytest.raises(ValueError, match="collector off"):
            e.map(collector_on_then_fail, [0, 1], "fails")
        assert gc.isenabled()
        if processes == 2:  # and in the pool's processes after the failed task (the same ones), outside a task
            assert list(e._pool.imap(collector_on, range(4))) == [True] * 4
        gc.disable()
        try:
            assert e.map(collector_on, range(2), "off") == [False, False]
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_the_command_sets_the_collectors_thresholds(monkeypatch):
    """``speechdiff`` (cli.main) runs with the rarer collections of
    GC_THRESHOLDS (before Python 3.14's incremental collector); importing
    the library changes nothing."""
    import gc
    import sys

    before = gc.get_threshold()
    assert before != cli.GC_THRESHOLDS  # (the interpreter's default, untouched by the import)
    monkeypatch.setattr(cli, "cli", lambda **kwargs: gc.get_threshold())
    try:
        cli.main()
        assert gc.get_threshold() == (cli.GC_THRESHOLDS if sys.version_info < (3, 14) else before)
    finally:
        gc.set_threshold(*before)


def test_the_command_tunes_glibcs_allocator_and_nothing_elsewhere(monkeypatch):
    """``speechdiff`` sets MALLOC_OPTIONS through mallopt where the C
    library is glibc (a library without it, or without glibc's version
    function, is left alone); main() does it before the command runs."""
    from types import SimpleNamespace

    calls = []
    glibc = SimpleNamespace(mallopt=lambda option, value: calls.append((option, value)) or 1,
                            gnu_get_libc_version=lambda: b"2.36")
    assert cli.tune_malloc(glibc) and calls == list(cli.MALLOC_OPTIONS)
    assert not cli.tune_malloc(SimpleNamespace(mallopt=glibc.mallopt))  # (not glibc)
    assert not cli.tune_malloc(SimpleNamespace())
    refused = SimpleNamespace(mallopt=lambda option, value: 0, gnu_get_libc_version=glibc.gnu_get_libc_version)
    assert not cli.tune_malloc(refused)
    seen = []
    monkeypatch.setattr(cli, "tune_malloc", lambda: seen.append("tuned"))
    monkeypatch.setattr(cli, "cli", lambda **kwargs: seen.append("ran"))
    import gc

    before = gc.get_threshold()
    try:
        cli.main()
    finally:
        gc.set_threshold(*before)
    assert seen == ["tuned", "ran"]


@pytest.mark.real_threads
def test_the_collector_is_left_alone_while_another_thread_runs():
    """The pause is the whole process's: a library caller with threads of
    its own keeps its collector running through the tasks."""
    import gc

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with Engine(processes=1) as alone:
            assert alone.map(collector_on, range(3), "collector") == [True] * 3
    finally:
        release.set()
        other.join()
    if threading.active_count() == 1:  # (and paused again once it is gone; an earlier test's idle threads may remain)
        with Engine(processes=1) as alone:
            assert alone.map(collector_on, range(3), "collector") == [False] * 3


def test_costs_must_be_one_an_item():
    with Engine(processes=1) as alone, pytest.raises(ValueError, match="2 costs for 3 items"):
        alone.map(pow, [1, 2, 3], "costs", 2, cost=[1, 2])


@pytest.mark.real_threads
def test_no_fork_while_another_thread_runs(monkeypatch):
    """A fork copies other threads' locks as they stand: with a thread
    running, the engine stays in this process."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert Engine(processes=2).local_processes() == 1
        assert set(Engine(processes=2).map(pid_of, range(4), "pids")) == {os.getpid()}
    finally:
        stop.set()
        other.join()
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # alone (whatever an earlier test left behind)
    assert Engine(processes=2).local_processes() == min(2, len(os.sched_getaffinity(0)))


def die(_item):
    if os.getpid() == TEST_PROCESS:  # never end the test run itself
        raise RuntimeError("the task ran in the test process, not in a pool")
    os._exit(3)


def test_a_worker_that_dies_is_an_error_not_a_hang():
    with Engine(processes=2) as pooled, pytest.raises(SpeechdiffError, match="worker process .* died"):
        pooled.map(die, range(4), "dying")


@pytest.mark.parametrize("kwargs", [{"processes": 0}, {"processes": True}, {"processes": "2"},
                                    {"processes": 2, "workers": 2}, {"processes": 2, "scheduler": "tcp://127.0.0.1:9"}])
def test_bad_processes_are_refused(kwargs):
    with pytest.raises(ValueError, match="processes"):
        Engine(**kwargs)


def test_partitions_shrink_for_a_pool_only_from_local_split():
    pooled = Engine(processes=2)
    assert pooled.partition_for(engine.LOCAL_SPLIT - 1) == engine.PARTITION
    assert pooled.partition_for(1000) == 125  # four tasks per process
    assert pooled.partition_for(engine.LOCAL_SPLIT) == engine.LOCAL_SPLIT // 4
    assert Engine(processes=1).partition_for(1000) == engine.PARTITION


def test_index_add_with_jobs_stores_what_one_process_stores(tmp_path, monkeypatch):
    """The pool's path of index add (read here, prepare on the pool a
    group at a time, store each as it comes) against one process."""
    monkeypatch.setattr(engine, "LOCAL_SPLIT", 2)
    monkeypatch.setattr(cli, "_PREPARE_GROUP", 1)
    files = [str(p) for p in SAMPLE_FILES]
    one, two = tmp_path / "one.sqlite", tmp_path / "two.sqlite"
    a = run("index", "add", *files, "--db", one, "--jobs", "1")
    b = run("index", "add", *files, "--db", two, "--jobs", "2")
    assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output)
    assert a.stdout == b.stdout  # added: FILE (N speeches), in the order given
    assert stored(two) == stored(one)
    again = run("index", "add", *files, "--db", two, "--jobs", "2")
    assert again.exit_code == 0 and all(line.startswith("unchanged:") for line in again.stdout.splitlines())


def test_report_with_jobs_gives_the_one_process_json(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "LOCAL_SPLIT", 8)  # the samples' 19 speeches in partitions of 2-3
    want = run("report", *SAMPLE_FILES, "--format", "json", "--jobs", "1")
    got = run("report", *SAMPLE_FILES, "--format", "json", "--jobs", "2")
    assert want.exit_code == 0 and got.exit_code == 0, (want.output, got.output)
    a, b = json.loads(want.stdout), json.loads(got.stdout)
    assert a == b and a["speeches"]


@pytest.mark.parametrize("command", [["report", *SAMPLE_FILES[:2]], ["index", "add", SAMPLE_FILES[0], "--db", "{db}"]])
@pytest.mark.parametrize("options, needles", [
    (["--jobs", "0"], ["--jobs"]),
    (["--jobs", "two"], ["--jobs"]),
    (["--jobs", "2", "--workers", "2"], ["--jobs", "not both"]),
])
def test_bad_jobs_is_one_line(command, options, needles, tmp_path):
    args = [str(a).replace("{db}", str(tmp_path / "c.sqlite")) for a in command]
    one_line(run(*args, *options), *needles)
    assert not (tmp_path / "c.sqlite").exists()


def _sum_with(item, shared):
    return item + sum(shared)


def test_a_shared_value_reaches_every_task_of_a_local_pool_and_is_removed_after(tmp_path):
    """Engine.share on a local pool: tasks receive the value (written once
    to a private file, not pickled into each task), the in-process path
    too, and closing the engine removes the file; an engine nobody closes
    leaves nothing behind once it is collected."""
    import gc
    import os
    import pickle

    from compare.engine import Engine, _Shared

    with Engine(processes=2) as engine:
        if engine.local_processes() < 2:
            pytest.skip("one core: no pool, a shared value is the value itself")
        big = list(range(1000))
        shared = engine.share(big)
        assert isinstance(shared, _Shared) and os.path.exists(shared.path)
        assert engine.map(_sum_with, [1, 2, 3, 4], "sum", shared) == [1 + sum(big), 2 + sum(big), 3 + sum(big), 4 + sum(big)]
        assert engine.map(_sum_with, [5], "one task, run here", shared) == [5 + sum(big)]
        assert pickle.loads(pickle.dumps(shared)).value is None  # a task carries the path, not the value
        folder = engine._shared_dir
    assert not os.path.exists(folder)
    with Engine(processes=1) as engine:
        assert engine.share([1, 2]) == [1, 2]  # one process: the value itself
    forgotten = Engine(processes=2)
    forgotten.share(big)
    folder = forgotten._shared_dir
    del forgotten
    gc.collect()
    assert not os.path.exists(folder)


def pid_after(item):
    import time

    time.sleep(item)
    return os.getpid()


def test_a_task_goes_to_the_process_that_ran_its_namesake():
    """map(affinity=): a task goes to the process that ran the first task of
    the same name (a partition's labels where its records were made);
    tasks without a name or with a new one go to any free process. (Two
    tasks of one length to two idle processes: each takes its own.)"""
    with Engine(processes=2) as pooled:
        if pooled.local_processes() < 2:
            pytest.skip("one core: no pool")
        first = pooled.map(pid_after, [0.2, 0.2], "first", affinity=["a", "b"])
        assert len(set(first)) == 2  # one each: the idle processes are given a task each, in order
        assert pooled.map(pid_after, [0.2, 0.2], "again", affinity=["b", "a"]) == first[::-1]
        assert pooled.map(pid_after, [0.2] * 4, "four", affinity=["a", "b", "b", "a"]) == [first[0], first[1], first[1], first[0]]


def test_an_idle_process_takes_a_task_waiting_for_a_busy_one():
    """Keeping what a process kept is worth less than a process idle: when
    every named task belongs to one process, the other takes some."""
    with Engine(processes=2) as pooled:
        if pooled.local_processes() < 2:
            pytest.skip("one core: no pool")
        pids = pooled.map(pid_after, [0.0, 0.3], "two", affinity=["a", "b"])
        one = pids[0]
        names = ["a" if p == one else "b" for p in pids][:1] * 6  # six tasks all named after one process
        ran = pooled.map(pid_after, [0.1] * 6, "six", affinity=names)
        assert len(set(ran)) == 2 and ran.count(one) >= 3
        # a task taken by the other process does not move its name's place
        assert pooled.map(pid_after, [0.1, 0.1], "again", affinity=["a", "b"]) == pids


def square_or_fail(item):
    if item == 3:
        raise KeyError(f"task {item}")
    return item * item


def test_a_failed_task_raises_after_the_results_before_it_and_the_pool_stays():
    with Engine(processes=2) as pooled:
        if pooled.local_processes() < 2:
            pytest.skip("one core: no pool")
        pool = (pooled.map(pid_of, range(4), "start"), pooled._pool)[1]
        got = []
        with pytest.raises(KeyError, match="task 3") as failure:
            for value in pooled.imap(square_or_fail, range(8), "fails"):
                got.append(value)
        assert got == [0, 1, 4]  # what came before it, in order
        assert "square_or_fail" in str(failure.value.__cause__)  # the pool process' traceback
        assert pooled._pool is pool and pooled.map(pow, [2, 3], "after", 2) == [4, 9]


def test_a_caller_that_stops_reading_stops_the_pool_and_the_next_map_starts_another():
    with Engine(processes=2) as pooled:
        if pooled.local_processes() < 2:
            pytest.skip("one core: no pool")
        results = pooled.imap(pid_after, [0.05] * 8, "abandoned")
        next(results)
        pool = pooled._pool
        results.close()  # tasks still running
        assert pool.broken and pooled._pool is None
        assert pooled.map(pow, [2, 3, 4], "after", 2) == [4, 9, 16]


def echo_large(item):
    return item * 2


def inflate(item):
    return item * (1 << 16)  # a few hundred bytes in, megabytes out


def test_large_tasks_and_results_do_not_block_each_other():
    """A task too large for half a pipe's buffer is sent only to a free
    process, so the engine never blocks writing to a process that is itself
    blocked writing its result: large tasks, large results, and small
    (prefetched) tasks with large results."""
    with Engine(processes=2) as pooled:
        if pooled.local_processes() < 2:
            pytest.skip("one core: no pool")
        big = [bytes([i]) * (3 << 20) for i in range(6)]
        assert pooled.map(echo_large, big, "large") == [b * 2 for b in big]
        small = [bytes([i]) * (engine.PREFETCH_BYTES // 2) for i in range(12)]
        assert pooled.map(echo_large, small, "small, prefetched") == [b * 2 for b in small]
        seeds = [bytes([i]) * 64 for i in range(12)]
        assert pooled.map(inflate, seeds, "small in, large out") == [b * (1 << 16) for b in seeds]
        assert 0 < pooled._pool._prefetch <= engine._pipe_capacity(pooled._pool._tasks[0]) // 2


def test_one_map_is_read_at_a_time():
    """Results carry only their task's index: a second map while the first
    is being read is refused, not mixed with it; once the first is done or
    closed, the next runs."""
    with Engine(processes=2) as pooled:
        if pooled.local_processes() < 2:
            pytest.skip("one core: no pool")
        first = pooled.imap(pid_after, [0.05] * 4, "first")
        next(first)
        with pytest.raises(RuntimeError, match="still being read"):
            pooled.map(pow, [2, 3], "second", 2)
        assert len(list(first)) == 3
        assert pooled.map(pow, [2, 3], "after", 2) == [4, 9]


def test_affinities_must_be_one_an_item():
    with Engine(processes=1) as alone, pytest.raises(ValueError, match="2 affinities for 3 items"):
        alone.map(pow, [1, 2, 3], "names", 2, affinity=["a", "b"])


def kept_count(_):
    return len(corpus._kept)


def test_records_kept_where_they_were_made_give_the_records_read_back(tmp_path, monkeypatch):
    """The labels task uses the records its process kept (corpus._keep) and
    gives what records read back from their file give: a run keeping none
    (KEEP_CHARS 0) has the same corpus, in one process and on a pool."""
    texts = speeches()
    results = {}
    decoded = tmp_path / "decoded"  # a line a record decoded, in any process (the pool's inherit the patch)
    decode = corpus.decode_record

    def counted(blob):
        with open(decoded, "a") as f:
            f.write("1\n")
        return decode(blob)

    monkeypatch.setattr(corpus, "decode_record", counted)
    for keep in (corpus.KEEP_CHARS, 0):
        monkeypatch.setattr(corpus, "KEEP_CHARS", keep)
        for processes in (1, 2):
            decoded.write_text("")
            with Engine(partition=4, processes=processes) as e:
                results[keep, processes] = views.report_data(corpus.analyze_corpus(texts, engine=e))
                if e._pool is not None:  # every process let go of what it kept
                    assert e._pool.each(kept_count) == [0] * e.slots()
            count = len(decoded.read_text().splitlines())
            if not keep:
                assert count == len(texts)
            elif processes == 1:
                assert count == 0
            else:  # (a task an idle process took reads its records back)
                assert count < len(texts)
    from compare import render

    assert len({render.dumps(r) for r in results.values()}) == 1
    assert not corpus._kept  # nothing left behind in this process


def test_kept_records_are_taken_once_and_only_while_their_file_is_unchanged(tmp_path, monkeypatch):
    """What a process keeps is named by its file and the file's stamp: taken
    once; not taken once the file is written again or removed; the oldest
    let go first past KEEP_CHARS; a partition larger than it never kept."""
    from types import SimpleNamespace

    def records(chars):
        return [SimpleNamespace(fingerprint=SimpleNamespace(chars=chars))]

    monkeypatch.setattr(corpus, "_kept", {})
    monkeypatch.setattr(corpus, "KEEP_CHARS", 100)
    paths = [tmp_path / f"{i}.parquet" for i in range(4)]
    for p in paths:
        p.write_bytes(b"records")
    kept = records(10)
    corpus._keep(str(paths[0]), kept)
    assert corpus._take_kept(str(paths[0])) is kept
    assert corpus._take_kept(str(paths[0])) is None  # taken once
    corpus._keep(str(paths[1]), records(10))
    paths[1].write_bytes(b"written again")
    assert corpus._take_kept(str(paths[1])) is None
    corpus._keep(str(paths[2]), records(10))
    paths[2].unlink()
    assert corpus._take_kept(str(paths[2])) is None
    first, second = records(60), records(30)
    corpus._keep(str(paths[0]), first)
    corpus._keep(str(paths[3]), second)
    corpus._keep(str(paths[1]), records(50))  # 60 + 30 + 50 > 100: the oldest goes
    assert corpus._take_kept(str(paths[0])) is None and corpus._take_kept(str(paths[3])) is second
    corpus._keep(str(paths[0]), records(100))  # larger than the bound alone
    assert corpus._take_kept(str(paths[0])) is None
    corpus.forget_kept()
    assert not corpus._kept


def test_a_smaller_corpus_gets_fewer_buckets_and_the_same_result():
    """buckets_for: on this machine one bucket per BUCKET_SPEECHES speeches,
    at least one a process, at most BUCKETS; a number given is kept. The
    corpus does not depend on it."""
    pooled = Engine(processes=2)
    slots = pooled.slots()
    assert pooled.buckets_for(10) == slots
    assert pooled.buckets_for(3 * engine.BUCKET_SPEECHES) == max(slots, 3)
    assert pooled.buckets_for(1_000_000) == engine.BUCKETS
    assert Engine(processes=2, buckets=3).buckets_for(1_000_000) == 3 == Engine(buckets=3).buckets_for(1)
    texts = speeches()
    results = []
    for buckets in (1, 16):
        with Engine(partition=4, buckets=buckets, processes=1) as e:
            results.append(views.report_data(corpus.analyze_corpus(texts, engine=e)))
    from compare import render

    assert render.dumps(results[0]) == render.dumps(results[1])


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_a_killed_command_leaves_no_pool_process_and_no_traceback(tmp_path, sig):
    """The report's pool processes end when the command's process is killed
    (their task pipe ends; a result nobody can read is dropped), without a
    word on stderr."""
    import shutil
    import signal
    import subprocess
    import sys
    import time

    for i in range(16):  # ~300 speeches: past LOCAL_SPLIT, so a pool runs, with tasks of a second or so
        for path in SAMPLE_FILES:
            shutil.copy(path, tmp_path / f"{i}-{path.name}")
    child = subprocess.Popen([sys.executable, "-m", "compare", "report", *sorted(map(str, tmp_path.glob("*.txt"))),
                              "--format", "json", "-o", str(tmp_path / "out.json"), "--diffs", "none", "--jobs", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pool: list[str] = []
    deadline = time.monotonic() + 60
    while len(pool) < 2 and child.poll() is None and time.monotonic() < deadline:
        pool = subprocess.run(["pgrep", "-P", str(child.pid)], capture_output=True, text=True).stdout.split()
        time.sleep(0.05)
    if len(pool) < 2:
        child.kill()
        child.communicate()
        pytest.skip("no pool started (one core, or the run ended first)")
    time.sleep(0.5)  # (its processes inside their first tasks)
    child.send_signal(getattr(signal, sig))
    _, err = child.communicate(timeout=60)

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split()[2] != "Z"
        except OSError:
            return False

    while any(map(alive, pool)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(alive, pool)) and err == ""


def test_one_block_of_sentence_keys_is_sketched_by_every_process(monkeypatch):
    """The sentence keys' sketches: a block a process at least (SKETCH_SPLIT
    keys and more), the same corpus as in one process."""
    texts = speeches()
    monkeypatch.setattr(corpus, "SKETCH_SPLIT", 1)
    alone = corpus.analyze_corpus(texts, exact_limit=3, engine=Engine(partition=4, processes=1))
    tasks: dict[str, int] = {}
    map_ = Engine.map

    def counted(self, fn, items, description, *shared, **options):
        items = list(items)
        tasks[description] = len(items)
        return map_(self, fn, items, description, *shared, **options)

    monkeypatch.setattr(Engine, "map", counted)
    with Engine(partition=4, processes=2) as pooled:
        if pooled.local_processes() < 2:
            pytest.skip("one core: no pool")
        together = corpus.analyze_corpus(texts, exact_limit=3, engine=pooled)
    assert tasks["sentence sketches"] == pooled.slots()  # (the samples' keys: one block of KEY_BLOCK characters)
    assert views.report_data(together) == views.report_data(alone) and alone.phrasebook
