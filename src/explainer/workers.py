"""The forked executor: a stage's function run over its inputs by worker processes.

Workers are forked, so they inherit everything the main process holds (the project, the
lookup, the finished site data, the Markdown parser) without pickling it; only the
results travel back. The pipeline calls it twice per build: to parse bodies, then to
render pages and site-wide files (workers write straight into the output's temporary
folder and send back only file names). Results come back in input order, so the
output is byte-identical to a one-process build.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .cache.layer import Executor

T = TypeVar("T")
R = TypeVar("R")

MIN_ENTRIES = 200
"""Below this many entries a pool costs more than it saves (with `jobs=None`)."""

_TASK: list[Any] = []
"""(function, inputs), set by the main process just before forking; the workers read it."""


def default_jobs() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _trim() -> None:
    """Hand freed heap pages back to the system before forking (glibc keeps them otherwise).

    A forked worker's resident set starts as its parent's: pages the parent freed but
    malloc kept (the Markdown a build dropped after parsing) would count in every process.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):  # pragma: no cover - not glibc
        pass


def _run(index: int) -> Any:
    fn, items = _TASK
    return fn(items[index])


class ForkedExecutor(Executor):
    """`jobs` workers (None: every core, for sites of `MIN_ENTRIES` entries or more)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs

    def workers(self, weight: int) -> int:
        jobs = self.jobs
        if jobs is None:
            jobs = default_jobs() if weight >= MIN_ENTRIES else 1
        if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            return 1
        return jobs

    def map(self, fn: Callable[[T], R], items: Sequence[T], weight: int | None = None) -> list[R]:
        workers = self.workers(len(items) if weight is None else weight)
        if workers <= 1 or len(items) < 2:
            return [fn(item) for item in items]
        _TASK[:] = [fn, items]
        try:
            _trim()
            gc.freeze()  # workers inherit the heap: a collection there would touch (copy) all of it
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                chunk = max(1, len(items) // (workers * 16))
                return pool.map(_run, range(len(items)), chunksize=chunk)
        finally:
            _TASK.clear()
            gc.unfreeze()
