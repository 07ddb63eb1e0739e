"""A process pool in which one dying task costs only itself.

``concurrent.futures.ProcessPoolExecutor`` marks the whole pool broken when one worker process
dies, so every other submission of the run fails with ``BrokenProcessPool``, and again on every
rerun. Here each worker has its own task queue; the supervisor notices a worker that died (or
that outlived its deadline, which it then kills), reports that task as failed, starts a
replacement and carries on with the rest.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


def _worker_main(initializer, tasks, results, index: int) -> None:
    if initializer is not None:
        initializer()
    while True:
        task = tasks.get()
        if task is None:
            return
        key, fn, args = task
        try:
            results.put((index, key, True, fn(*args)))
        except Exception as exc:  # the task's own error, reported as its result
            results.put((index, key, False, f"{type(exc).__name__}: {exc}"))


@dataclass
class _Worker:
    process: Any
    tasks: Any
    key: Any = None
    started: float = 0.0
    deadline: float | None = None
    done: list = field(default_factory=list)


class SupervisedPool:
    """``jobs`` spawned worker processes, started at once (their ``initializer`` imports overlap
    with whatever the caller does next).

    :meth:`run` takes ``(key, fn, args)`` tasks and yields ``(key, ok, value)``: ``value`` is the
    task's return value, or the reason it failed (an exception in the task, the worker process
    dying, or the task running past ``deadline`` seconds).
    """

    def __init__(self, jobs: int, initializer: Callable[[], None] | None = None):
        self.ctx = multiprocessing.get_context("spawn")  # clean workers: no inherited sockets or loops
        self.initializer = initializer
        self.results = self.ctx.Queue()
        self.workers = [self._start(i) for i in range(jobs)]

    def _start(self, index: int) -> _Worker:
        tasks = self.ctx.Queue()
        process = self.ctx.Process(
            target=_worker_main, args=(self.initializer, tasks, self.results, index), daemon=True
        )
        process.start()
        return _Worker(process, tasks)

    def run(self, tasks: list[tuple[Any, Callable, tuple]], deadline: float | None = None) -> Iterator:
        pending = list(reversed(tasks))
        busy = 0
        while pending or busy:
            for worker in self.workers:
                if worker.key is None and pending:
                    key, fn, args = pending.pop()
                    worker.key, worker.started = key, time.monotonic()
                    worker.tasks.put((key, fn, args))
                    busy += 1
            try:
                index, key, ok, value = self.results.get(timeout=0.5)
            except queue.Empty:
                pass
            else:
                worker = self.workers[index]
                if worker.key == key:
                    worker.key = None
                    busy -= 1
                    yield key, ok, value
            for index, worker in enumerate(self.workers):
                if worker.key is None:
                    continue
                late = deadline is not None and time.monotonic() - worker.started > deadline
                if worker.process.is_alive() and not late:
                    continue
                if late:
                    worker.process.kill()
                    reason = f"the grading process ran longer than {deadline:.0f} s and was stopped"
                else:
                    reason = f"the grading process died (exit code {worker.process.exitcode})"
                worker.process.join(5)
                key = worker.key
                self.workers[index] = self._start(index)
                busy -= 1
                yield key, False, reason

    def close(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(Exception):
                worker.tasks.put(None)
        for worker in self.workers:
            worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)

    def __enter__(self) -> SupervisedPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
