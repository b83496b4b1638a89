"""Where the corpus work runs: in this process, or on a Dask cluster.

``Engine()`` runs every task here, one after another (the default: nothing
to start, nothing running in the background). ``Engine(workers=N)`` starts a
``distributed.LocalCluster`` of N worker *processes* with one thread each
(jieba and TextRank are CPU-bound Python: threads would share one core
through the GIL). ``Engine(scheduler="tcp://HOST:8786")`` sends the tasks to
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
from typing import Callable, Iterable

from .model import SpeechdiffError

PARTITION = 250  # speeches per partition: what one task holds in memory (~50 KB of record each, ~15 MB with its arrays)
BUCKETS = 16  # hash buckets of the shuffles (document frequencies, LSH bands); each reduce task holds 1/BUCKETS of a table
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
                 buckets: int = BUCKETS, progress: Callable = no_progress):
        if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool) or workers < 1):
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        if scheduler is not None:
            if not isinstance(scheduler, str) or not _ADDRESS.match(scheduler):
                raise ValueError(f"scheduler must be an address like tcp://HOST:8786, got {scheduler!r}")
            if workers is not None:
                raise ValueError("give workers (a local cluster) or scheduler (a running one), not both")
        if not isinstance(partition, int) or isinstance(partition, bool) or partition < 1:
            raise ValueError(f"partition must be an integer >= 1 (speeches per task), got {partition!r}")
        if not isinstance(buckets, int) or isinstance(buckets, bool) or not 1 <= buckets <= 4096:
            raise ValueError(f"buckets must be an integer in 1..4096, got {buckets!r}")
        self.workers = workers
        self.scheduler = scheduler
        self.partition = partition
        self.buckets = buckets
        self.progress = progress
        self.client = None
        self._cluster = None

    def __repr__(self) -> str:
        where = f"workers={self.workers}" if self.workers else f"scheduler={self.scheduler!r}" if self.scheduler else "in-process"
        return f"Engine({where}, partition={self.partition}, buckets={self.buckets})"

    @property
    def distributed(self) -> bool:
        return self.workers is not None or self.scheduler is not None

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
        and the others idle). The result does not depend on it: partitions
        only decide which task computes what."""
        if self.client is None:
            return self.partition
        workers = max(1, sum(self.client.nthreads().values()))
        return max(1, min(self.partition, -(-count // (4 * workers))))

    # ----- running tasks

    def share(self, value):
        """A value every task of the next ``map`` receives: sent to each
        worker once (Dask's scatter with broadcast), not once per task."""
        if self.client is None:
            return value
        return self.client.scatter(value, broadcast=True, hash=False)

    def map(self, fn: Callable, items: Iterable, description: str, *shared) -> list:
        """``[fn(item, *shared) for item in items]``, in order; on a cluster the
        tasks run in parallel and a failed task raises its own exception here."""
        items = list(items)
        if self.client is None:
            return [fn(item, *shared) for item in self.progress(items, description)]
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


def _takes_total(progress: Callable) -> bool:
    return getattr(progress, "takes_total", False)
