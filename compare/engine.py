"""Where the corpus work runs: in this process, or on a Dask cluster.

``Engine()`` runs every task on this machine, with nothing to start and
nothing left running: one after another in this process, or, when a stage
has two tasks or more and this machine more than one core, in a pool of
forked processes (``processes``: how many; 1: never) that lives as long as
the engine. Forked children inherit what this process has loaded (jieba's
dictionary, the records' folder) and run the same functions on the same
partitions, so the results are the same as one after another.
``Engine(workers=N)`` starts a ``distributed.LocalCluster`` of N worker
*processes* with one thread each (jieba and TextRank are CPU-bound Python:
threads would share one core through the GIL). ``Engine(scheduler="tcp://HOST:8786")`` sends the tasks to
a running cluster (``dask scheduler`` + ``dask worker``, dask-jobqueue on
SLURM/PBS, dask-kubernetes): the workers must be able to import this
speechdiff and to read and write the work folder.

The corpus pipeline (``compare.corpus``) is written as functions over
*partitions* (a few hundred speeches each) and over hash *buckets*; the
engine only maps them, so the in-process and the cluster runs execute the
same code on the same partitions and give the same results. Dask is
imported only when a cluster is asked for: ``import compare`` never imports
it, and the default path needs neither dask nor distributed at run time.
"""

from __future__ import annotations

import os
import re
from typing import Callable, Iterable, Iterator

from .model import SpeechdiffError, gc_paused

PARTITION = 250  # speeches per partition: what one task holds in memory (~50 KB of record each, ~15 MB with its arrays)
BUCKETS = 16  # hash buckets of the shuffles (document frequencies, LSH bands); each reduce task holds 1/BUCKETS of a table
# Corpora from this many speeches are split for a local pool (smaller ones
# stay one task: forking and a child's loading of jieba's dictionary, ~2 s,
# cost more than a few dozen speeches take), in partitions of at least a
# quarter of it.
LOCAL_SPLIT = 64
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss|ucx|inproc)://[^\s/]+$")


def no_progress(items, description: str):
    return items


class Engine:
    """Runs the corpus tasks. Settings are validated here, once.

    ``workers``: start a local cluster of this many worker processes.
    ``scheduler``: address of a running cluster's scheduler (``tcp://HOST:8786``).
    Neither: run in this process. ``partition``: speeches per task.
    ``progress(iterable, description)``: wraps each stage's tasks as they
    finish (the CLI passes a rich bar when stderr is a terminal).
    Use as a context manager (a local cluster is stopped on exit)."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, partition: int = PARTITION,
                 buckets: int = BUCKETS, progress: Callable = no_progress, processes: int | None = None):
        if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        if scheduler is not None:
            if not isinstance(scheduler, str) or not _ADDRESS.match(scheduler):
                raise ValueError(f"scheduler must be an address like tcp://HOST:8786, got {scheduler!r}")
            if workers is not None:
                raise ValueError("give workers (a local cluster) or scheduler (a running one), not both")
        if processes is not None:
            if not isinstance(processes, int) or isinstance(processes, bool) or processes < 1:
                raise ValueError(f"processes must be an integer >= 1 (1: one process), got {processes!r}")
            if workers is not None or scheduler is not None:
                raise ValueError("processes is for a run on this machine without a cluster: give it or workers/scheduler, not both")
        if not isinstance(partition, int) or isinstance(partition, bool) or partition < 1:
            raise ValueError(f"partition must be an integer >= 1 (speeches per task), got {partition!r}")
        if not isinstance(buckets, int) or isinstance(buckets, bool) or not 1 <= buckets <= 4096:
            raise ValueError(f"buckets must be an integer in 1..4096, got {buckets!r}")
        self.workers = workers
        self.scheduler = scheduler
        self.partition = partition
        self.buckets = buckets
        self.progress = progress
        self.processes = processes
        self.client = None
        self._cluster = None
        self._pool = None
        self._shared_dir: str | None = None  # values given to share() on a local pool

    def __repr__(self) -> str:
        where = f"workers={self.workers}" if self.workers else f"scheduler={self.scheduler!r}" if self.scheduler else \
            f"processes={self.processes}" if self.processes else "this machine"
        return f"Engine({where}, partition={self.partition}, buckets={self.buckets})"

    @property
    def distributed(self) -> bool:
        return self.workers is not None or self.scheduler is not None

    def local_processes(self) -> int:
        """Processes a stage of two tasks or more runs on without a cluster:
        ``processes``, else the cores this process may use; 1 where this
        process cannot fork safely (no fork start method, a daemonic worker
        such as a Dask nanny's or a pool's, or other threads running: a
        fork copies their locks as they are)."""
        import multiprocessing
        import threading

        if self.distributed or self.processes == 1:
            return 1
        if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
            return 1
        if self._pool is None and threading.active_count() > 1:
            return 1
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, min(self.processes or available, available))

    # ----- lifetime

    def start(self) -> "Engine":
        if not self.distributed or self.client is not None:
            return self
        try:
            import logging

            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency of speechdiff
            raise SpeechdiffError("--workers/--scheduler need dask and distributed: pip install dask distributed") from None
        if self.workers:
            # processes, one thread each (see the module docstring); no
            # dashboard (it needs bokeh and a port), workers' logs quiet
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self._cluster)
        else:
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError) as e:
                raise SpeechdiffError(f"{self.scheduler}: cannot reach a Dask scheduler ({' '.join(str(e).split())[:200]})") from None
        return self

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)  # tasks not started are dropped; results are stored as they arrive
            self._pool = None
        if self._shared_dir is not None:
            self._shared_cleanup()  # the folder of shared values (once: a finalizer runs at most once)
            self._shared_dir = None
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> "Engine":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def worker_processes(self) -> list[int]:
        """Process ids of the workers (for measuring their memory), [] in-process."""
        if self.client is None:
            return []
        return sorted(self.client.run(os.getpid).values())

    def partition_for(self, count: int) -> int:
        """Speeches per partition for a corpus of ``count``: ``partition``,
        or on a cluster fewer, so that every worker gets about four record
        tasks (84 files in one partition of 250 would keep one worker busy
        and the others idle); the same for a local pool of processes from
        LOCAL_SPLIT speeches. The result does not depend on it: partitions
        only decide which task computes what."""
        if self.client is None:
            processes = self.local_processes()
            if processes < 2 or count < LOCAL_SPLIT:
                return self.partition
            return max(LOCAL_SPLIT // 4, min(self.partition, -(-count // (4 * processes))))
        return max(1, min(self.partition, -(-count // (4 * self.slots()))))

    def slots(self) -> int:
        """Tasks this engine runs at once: the cluster's worker threads, or
        the processes of a local pool (1 in this process)."""
        if self.client is None:
            return self.local_processes()
        return max(1, sum(self.client.nthreads().values()))

    # ----- running tasks

    def in_process(self, count: int) -> bool:
        """Whether a ``map`` of ``count`` tasks runs them in this process
        (no cluster, and one task or one local process), so their results
        are not pickled back."""
        return self.client is None and (count < 2 or self.local_processes() < 2)

    def share(self, value):
        """A value every task of the next ``map`` receives: sent to each
        worker once (Dask's scatter with broadcast), not once per task. A
        local pool would pickle it into every task (the phrase index, tens
        of MB, 40 times at 10,000 speeches): it is written once
        to a private temporary file that each process reads once."""
        if self.client is not None:
            return self.client.scatter(value, broadcast=True, hash=False)
        if self.local_processes() < 2:
            return value
        import pickle
        import tempfile

        if self._shared_dir is None:
            import shutil
            import weakref

            self._shared_dir = tempfile.mkdtemp(prefix="speechdiff-shared-")  # mode 0700: this user's only
            # removed by close(), or when an engine nobody closed is collected or the process exits
            self._shared_cleanup = weakref.finalize(self, shutil.rmtree, self._shared_dir, True)
        fd, path = tempfile.mkstemp(dir=self._shared_dir, suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        return _Shared(path, value)

    def map(self, fn: Callable, items: Iterable, description: str, *shared, cost: list | None = None) -> list:
        """``[fn(item, *shared) for item in items]``, in order; on a cluster the
        tasks run in parallel and a failed task raises its own exception here.
        ``cost``: each item's expected work; a local pool is then handed the
        costliest first (its processes take tasks in the order given, so a
        large task given last keeps one process busy while the others
        wait), the results still in the items' order."""
        items = list(items)
        if cost is not None and len(cost) != len(items):
            raise ValueError(f"map: {len(cost)} costs for {len(items)} items")
        if self.client is None:
            if cost is None or self.in_process(len(items)):
                return list(self.imap(fn, items, description, *shared))
            order = sorted(range(len(items)), key=lambda i: -cost[i])
            out = [None] * len(items)
            for i, result in zip(order, self.imap(fn, [items[i] for i in order], description, *shared)):
                out[i] = result
            return out
        from distributed import as_completed

        futures = self.client.map(fn, items, *[[s] * len(items) for s in shared], pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out = [None] * len(items)
        try:
            for future in self.progress(as_completed(futures), description, total=len(futures)) \
                    if _takes_total(self.progress) else self.progress(as_completed(futures), description):
                out[index[future.key]] = future.result()
        finally:
            for f in futures:
                f.release()
        return out


    def imap(self, fn: Callable, items: Iterable, description: str, *shared) -> Iterator:
        """``map``'s results one at a time, in order, as they come: from a
        local pool the caller uses each while the pool computes the next
        (index add stores a file meanwhile). On a cluster: ``map``."""
        items = list(items)
        if self.client is not None:
            yield from self.map(fn, items, description, *shared)
            return
        if self.in_process(len(items)):
            values = tuple(_resolve(v) for v in shared)
            yield from (_paused(fn, item, values) for item in self.progress(items, description))
            return
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # concurrent.futures, not multiprocessing.Pool: with fork it
            # starts every worker at once, before its manager thread (no
            # fork while another thread may hold a lock), never forks a
            # replacement later, and a worker that dies (killed, out of
            # memory) breaks the pool with an error instead of leaving
            # imap waiting forever for the task it held.
            self._pool = ProcessPoolExecutor(self.local_processes(), mp_context=multiprocessing.get_context("fork"))
        done = self._results(self._pool.map(_Call(fn, shared), items))
        yield from (self.progress(done, description, total=len(items)) if _takes_total(self.progress)
                    else self.progress(done, description))

    @staticmethod
    def _results(results: Iterator) -> Iterator:
        from concurrent.futures.process import BrokenProcessPool

        try:
            yield from results
        except BrokenProcessPool:
            raise SpeechdiffError("a worker process of this run died (killed, or out of memory); "
                                  "run again with --jobs 1, or fewer --jobs") from None


class _Call:
    """``fn(item, *shared)`` as one picklable callable for a pool's ``imap``
    (``fn`` is a module-level function: pickled by name)."""

    def __init__(self, fn: Callable, shared: tuple):
        self.fn, self.shared = fn, shared

    def __call__(self, item):
        values = tuple(_resolve(v) for v in self.shared)
        # a pool process keeps only the shared values of the task at hand:
        # those of an earlier stage are let go
        current = {v.path for v in self.shared if isinstance(v, _Shared)}
        for path in [p for p in _loaded if p not in current]:
            del _loaded[path]
        return _paused(self.fn, item, values)


def _paused(fn: Callable, item, values: tuple):
    """``fn(item, *values)`` with the cyclic garbage collector paused
    (``model.gc_paused``: a task builds and frees a partition's records,
    outlines and units; the collector's passes over them while they are
    alive were ~30% of decoding a partition's records). Not on a Dask
    cluster, whose workers may run several tasks in threads."""
    with gc_paused():
        return fn(item, *values)


class _Shared:
    """A value ``Engine.share`` wrote to a file for a local pool's tasks:
    pickled into a task, it is only the file's path; in the process that
    shared it, the value itself."""

    def __init__(self, path: str, value=None):
        self.path = path
        self.value = value
        self.here = True

    def __getstate__(self):
        return {"path": self.path, "value": None, "here": False}


_loaded: dict[str, object] = {}  # in a pool process: the shared values of its current task, by file


def _resolve(value):
    """The value a task receives for ``value`` (a ``_Shared`` read from its
    file once per pool process; in the process that shared it, as it is)."""
    if not isinstance(value, _Shared):
        return value
    if value.here:
        return value.value
    if value.path not in _loaded:
        import pickle

        with open(value.path, "rb") as f:
            _loaded[value.path] = pickle.load(f)
    return _loaded[value.path]


def _takes_total(progress: Callable) -> bool:
    return getattr(progress, "takes_total", False)
