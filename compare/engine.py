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
# On this machine a smaller corpus gets fewer buckets (``buckets_for``): one
# for every BUCKET_SPEECHES speeches, at least one for each process. Every
# partition writes a file per bucket and every bucket is a task of three
# shuffles: 1,000 synthetic speeches in 16 buckets wrote 384 files, and the
# stages between records and labels took 0.88 s against 0.60 s in 2 (same
# results: buckets only decide which task counts which hashes). Past 8,000
# speeches it is BUCKETS, where a bucket's tables begin to weigh.
BUCKET_SPEECHES = 500
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
                 buckets: int | None = None, progress: Callable = no_progress, processes: int | None = None):
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
        if buckets is not None and (not isinstance(buckets, int) or isinstance(buckets, bool) or not 1 <= buckets <= 4096):
            raise ValueError(f"buckets must be an integer in 1..4096, got {buckets!r}")
        self.workers = workers
        self.scheduler = scheduler
        self.partition = partition
        self.buckets = BUCKETS if buckets is None else buckets  # (given: used as it is, whatever the corpus)
        self._buckets_given = buckets is not None
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
            self._pool.close()  # idle processes end; busy ones (a run stopped midway) are terminated
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

    def buckets_for(self, count: int) -> int:
        """Hash buckets of the shuffles for a corpus of ``count`` speeches:
        ``buckets`` when it was given or on a cluster; on this machine one
        for every BUCKET_SPEECHES speeches, at least one for each process,
        at most BUCKETS. The result does not depend on it."""
        if self._buckets_given or self.client is not None:
            return self.buckets
        return max(1, min(self.buckets, max(self.slots(), -(-count // BUCKET_SPEECHES))))

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

    def map(self, fn: Callable, items: Iterable, description: str, *shared, cost: list | None = None,
            affinity: list | None = None) -> list:
        """``[fn(item, *shared) for item in items]``, in order; on a cluster the
        tasks run in parallel and a failed task raises its own exception here.
        ``cost``: each item's expected work; a local pool is then handed the
        costliest first (its processes take tasks in the order given, so a
        large task given last keeps one process busy while the others
        wait), the results still in the items' order. ``affinity``: per
        item, a name (or None) for what its task leaves in its process or
        reads there; on a local pool a task goes to the process that ran
        the first task of the same name (see ``_Pool``)."""
        items = list(items)
        if cost is not None and len(cost) != len(items):
            raise ValueError(f"map: {len(cost)} costs for {len(items)} items")
        if affinity is not None and len(affinity) != len(items):
            raise ValueError(f"map: {len(affinity)} affinities for {len(items)} items")
        if self.client is None:
            if cost is None or self.in_process(len(items)):
                return list(self.imap(fn, items, description, *shared, affinity=affinity))
            order = sorted(range(len(items)), key=lambda i: -cost[i])
            out = [None] * len(items)
            for i, result in zip(order, self.imap(fn, [items[i] for i in order], description, *shared,
                                                  affinity=None if affinity is None else [affinity[i] for i in order])):
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

    @property
    def keeps(self) -> bool:
        """Whether a task's process can keep what it made for a later task
        of the same partition (``map(affinity=)``): in this process and on
        a local pool, not on a cluster (its scheduler places the tasks, and
        what a worker kept would outlive the run on a shared cluster)."""
        return not self.distributed

    def imap(self, fn: Callable, items: Iterable, description: str, *shared, affinity: list | None = None) -> Iterator:
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
            self._pool = _Pool(self.local_processes())
        done = self._results(self._pool.imap(_Call(fn, shared), items, affinity))
        yield from (self.progress(done, description, total=len(items)) if _takes_total(self.progress)
                    else self.progress(done, description))

    def everywhere(self, fn: Callable) -> None:
        """``fn(None)`` in this process and once in every process of a local
        pool (a run's end: what its processes kept is let go); nothing on a
        cluster, whose workers keep nothing (``keeps``)."""
        fn(None)
        if self._pool is not None:
            self._pool.each(_Call(fn, ()))
            if self._pool.broken:
                self._pool = None

    def _results(self, results: Iterator) -> Iterator:
        try:
            yield from results
        finally:
            if self._pool is not None and self._pool.broken:
                self._pool.close()
                self._pool = None  # the next map starts a new one


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


# ---------------------------------------------------------------- the local pool

PREFETCH_BYTES = 16 << 10  # a task this small is sent to a busy process, to start as soon as its task ends


class _RemoteTraceback(Exception):
    """The traceback of a task that failed in a pool process (its exception's cause)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


class _Pool:
    """This machine's pool: ``processes`` forked processes, each fed through
    a pipe of its own, so that the engine chooses which process runs a
    task. (``concurrent.futures``' pool feeds one queue that any process
    reads: the labels task of a partition ran in the process that had made
    the partition's records only by chance, and the other one read them
    back from their file and decoded them again: ~1 s of the 13 s of CPU
    of the 1,000 synthetic speeches' report.)

    Placement. A task whose *affinity* (a name, ``Engine.map(affinity=)``)
    an earlier task of this pool had goes to the process that ran the
    first task of that name (a partition's records task: the process that
    keeps them); the others to any free process, in the order given. A
    process with nothing of its own left takes the last task waiting for
    another one (keeping what was kept is worth less than a process idle);
    that does not move the name's place.

    Invariants of the loop in ``imap``:
    * a process has at most two tasks sent and unanswered (``busy``); the
      second only while more tasks wait than there are processes, and only
      if its message is at most PREFETCH_BYTES and half the pipe's capacity
      (``_prefetch``), so that it fits the pipe's buffer beside what is
      left of the first: the engine never blocks writing to a process that
      is itself blocked writing a result the engine is not reading (a
      task larger than that waits until its process is free, which then
      reads it whole before it writes anything);
    * results are yielded in the items' order; a failed task stops new
      tasks from being sent past it, the ones before it still run and are
      yielded, then the tasks still running are waited for and their
      results dropped, and the task's own exception is raised: the pool
      stays usable;
    * a process that dies, or a caller that stops reading (an exception,
      Ctrl-C, a generator closed early), leaves the pool ``broken``: its
      processes are terminated, and the engine starts a new pool for the
      next map.

    Forking: every process is forked here, at once, and the pool never
    starts a thread (a fork copies other threads' locks as they stand);
    each process closes the engine's ends of every pipe it inherited, so
    that when the engine's process is gone its task pipe ends and it exits.
    """

    def __init__(self, processes: int):
        import gc
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._processes, self._tasks, self._results = [], [], []
        # what exists at the fork is left out of the processes' collections
        # (gc.freeze, as Python's documentation advises before a fork: a
        # collection walking the inherited objects writes to their pages,
        # which the kernel then copies); here it collects them again after
        gc.freeze()
        self.busy, self.broken = [0] * processes, False  # busy: tasks sent to each process and not answered yet
        try:
            for _ in range(processes):
                task_reader, task_writer = context.Pipe(duplex=False)
                result_reader, result_writer = context.Pipe(duplex=False)
                ends = [*self._tasks, *self._results, task_writer, result_reader]  # the engine's: closed in the child
                process = context.Process(target=_serve, args=(task_reader, result_writer, ends), daemon=True)
                process.start()
                task_reader.close()
                result_writer.close()
                self._processes.append(process)
                self._tasks.append(task_writer)
                self._results.append(result_reader)
        except BaseException:
            self.broken = True  # (a fork that failed: the processes made so far are stopped)
            self.close()
            raise
        finally:
            gc.unfreeze()
        self._placed: dict = {}  # affinity -> the process that ran its first task (what it made is kept there)
        self._prefetch = min(PREFETCH_BYTES, _pipe_capacity(self._tasks[0]) // 2) if self._tasks else 0
        self._active = False  # an imap is being read (one at a time: results carry only their index)

    def imap(self, call, items: list, affinity: list | None = None) -> Iterator:
        import collections
        from multiprocessing.connection import wait

        if self.broken:
            raise SpeechdiffError("the pool of processes was stopped")  # (the engine makes a new one)
        if self._active:
            raise RuntimeError("a map of this engine is still being read: finish or close it before the next")
        count, processes = len(items), range(len(self._processes))
        own = [collections.deque() for _ in processes]  # tasks waiting for their process, in order
        common = collections.deque()  # tasks any process may run
        names = affinity if affinity is not None else [None] * count
        for i, name in enumerate(names):
            home = self._placed.get(name) if name is not None else None
            (common if home is None else own[home]).append(i)
        pickled: dict[int, bytes] = {}  # a task's message, made once (one put back waits with it)
        running: dict[int, int] = {}  # task -> process
        done: dict[int, object] = {}
        failed: tuple | None = None  # (task, exception)
        stop = count  # no task from here on is sent (a failed task's index)
        at = 0  # the next result to yield

        def next_for(p: int):
            """The task process ``p`` runs next and the queue it was taken
            from: its own, any one's, then, when it is idle, the last one
            waiting for another process."""
            for queue in (own[p], common):
                if queue and queue[0] < stop:
                    return queue.popleft(), queue
            if self.busy[p]:
                return None, None
            queue = own[max(processes, key=lambda q: len(own[q]))]
            for i in (queue[-1], queue[0]) if queue else ():
                if i < stop:
                    queue.remove(i)
                    return i, queue
            return None, None

        def feed() -> None:
            # idle processes first, then a second task to each busy one (every
            # process starts a task before any is given two), but not the
            # last few: given to a busy process, one would wait there while
            # another process is idle
            for depth in (0, 1):
                for p in processes:
                    if self.busy[p] != depth:
                        continue
                    if depth and len(common) + sum(map(len, own)) <= len(processes):
                        return  # the last tasks go to whichever process is free first
                    i, queue = next_for(p)
                    if i is None:
                        continue
                    if i not in pickled:
                        pickled[i] = _message(i, call, items[i])
                    if depth and len(pickled[i]) > self._prefetch:
                        queue.appendleft(i)  # (sent when the process is free)
                        continue
                    # (counted as running first: a send cut short, by Ctrl-C
                    # in it, leaves half a message in the pipe, and the pool
                    # must then be stopped, not used again)
                    running[i] = p
                    self.busy[p] += 1
                    try:
                        self._tasks[p].send_bytes(pickled.pop(i))
                    except OSError:  # (its process is gone)
                        self._died()

        self._active = True
        try:
            while at < count:
                if at in done:
                    value = done.pop(at)
                    at += 1
                    yield value
                    continue
                if failed is not None and at == failed[0]:
                    while running:  # the tasks still running: waited for, their results dropped
                        self._receive(wait([self._results[p] for p in set(running.values())] +
                                           [process.sentinel for process in self._processes]), running, None)
                    raise failed[1]
                feed()
                if not running:  # (cannot happen: every task is waiting, running or done)
                    raise RuntimeError(f"pool: result {at} of {count} neither running nor waiting")
                ready = wait([self._results[p] for p in processes if self.busy[p]] +
                             [process.sentinel for process in self._processes])
                for i, ok, value in self._receive(ready, running, names):
                    if ok:
                        done[i] = value
                    elif failed is None or i < failed[0]:
                        failed, stop = (i, value), i
        finally:
            self._active = False
            if running:  # stopped while tasks run (a dead process, an exception, a generator closed early)
                self.broken = True
                self.close()

    def each(self, call) -> list:
        """``call(None)`` once in every process, nothing else running (what a
        run's processes kept is let go at its end): their results, in order."""
        from multiprocessing.connection import wait

        if self.broken or self._active:
            return []
        running = {}
        try:
            for p in range(len(self._processes)):
                running[p] = p
                self.busy[p] += 1
                self._tasks[p].send_bytes(_message(p, call, None))
            out: dict = {}
            while running:
                ready = wait([self._results[p] for p in running] + [process.sentinel for process in self._processes])
                for i, ok, value in self._receive(ready, running, None):
                    if not ok:
                        raise value
                    out[i] = value
            return [out[p] for p in range(len(self._processes))]
        except OSError:
            self._died()
        finally:
            if running:
                self.broken = True
                self.close()

    def _receive(self, ready: list, running: dict, names) -> list[tuple]:
        """The answers among ``ready`` connections, as (task, ok, value); a
        process that died is an error."""
        import pickle

        out = []
        for conn in ready:
            if conn not in self._results:  # a sentinel: the process ended
                self._died()
            p = self._results.index(conn)
            try:
                i, ok, value = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                self._died()
            self.busy[p] -= 1
            del running[i]
            if names is not None and names[i] is not None:
                self._placed.setdefault(names[i], p)  # (a task another process took does not move it)
            if not ok:
                error, text = value
                error.__cause__ = _RemoteTraceback(text)
                value = error
            out.append((i, ok, value))
        return out

    def _died(self):
        self.broken = True
        raise SpeechdiffError("a worker process of this run died (killed, or out of memory); "
                              "run again with --jobs 1, or fewer --jobs") from None

    def close(self) -> None:
        """Stop the processes: idle ones are told to end, busy ones (a
        broken pool's) terminated."""
        for p, process in enumerate(self._processes):
            if self.busy[p] or self.broken:
                process.terminate()
            else:
                try:
                    self._tasks[p].send_bytes(b"")
                except OSError:
                    process.terminate()
        for process in self._processes:
            process.join(5)
            if process.exitcode is None:
                process.kill()
                process.join()
        for conn in (*self._tasks, *self._results):
            conn.close()
        self._processes = []
        self.busy = []


def _message(i: int, call, item) -> bytes:
    """Task ``i`` as a pool process reads it (``_serve``): its index in 8
    bytes, then the pickle of (call, item)."""
    import pickle
    import struct

    return struct.pack("<q", i) + pickle.dumps((call, item), protocol=pickle.HIGHEST_PROTOCOL)


def _pipe_capacity(conn) -> int:
    """Bytes the pipe behind ``conn`` holds before a write blocks (Linux's
    F_GETPIPE_SZ; where it cannot be asked, POSIX's least, 4,096: a busy
    host may give new pipes one page)."""
    try:
        import fcntl

        return int(fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_GETPIPE_SZ", 1032)))
    except (ImportError, OSError, ValueError):
        return 4096


def _serve(tasks, results, ends) -> None:
    """A pool process: runs the tasks it is sent, one after another, and
    sends back each one's result or exception (with its traceback), until
    an empty message or the end of its pipe. Ctrl-C is the engine's to
    handle (it stops the pool)."""
    import pickle
    import signal
    import struct
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for conn in ends:
        conn.close()
    while True:
        try:
            data = tasks.recv_bytes()
        except (EOFError, OSError):
            return
        if not data:
            return
        (i,) = struct.unpack_from("<q", data)
        try:
            call, item = pickle.loads(memoryview(data)[8:])
            answer = pickle.dumps((i, True, call(item)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as e:  # the task's failure (or its result's pickling) is the engine's to raise
            text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            try:
                answer = pickle.dumps((i, False, (e, text)), protocol=pickle.HIGHEST_PROTOCOL)
                pickle.loads(answer)  # (an exception that cannot be rebuilt is sent as its text)
            except BaseException:
                answer = pickle.dumps((i, False, (RuntimeError(f"{type(e).__name__}: {e}"), text)),
                                      protocol=pickle.HIGHEST_PROTOCOL)
        try:
            results.send_bytes(answer)
        except OSError:  # the engine's process is gone (killed): nobody to answer
            return
