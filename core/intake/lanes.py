"""Ordered jobs on a few lanes: job N+1 starts while job N is still running, and waits for it only at the
marks it names (core.intake.sync writes a backfill's pages this way, two at a time on two connections).

Each lane owns its resources (a database session) and runs one job at a time; jobs go to the lanes in turn and
a new one waits until its lane is free, so at most one job per lane is in flight. A job is given a `Baton`: it
`mark`s how far it got ("landed", with what the next job needs to know) and `wait_previous` blocks until the
job before it passed a mark, raising `PreviousFailed` if that job failed. A job that ends passes every mark,
so a job never waits for a mark its predecessor skipped. Waits only ever point backwards, so the lanes cannot
wait for each other in a circle.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

R = TypeVar("R")  # a lane's resources
T = TypeVar("T")  # a job's result


class PreviousFailed(Exception):
    """The job before this one failed, so this one must not go on (its error is reported in its place)."""


class Baton:
    def __init__(self, marks: Sequence[str], previous: Baton | None):
        self.previous = previous
        self._passed = {name: threading.Event() for name in marks}
        self._values: dict[str, Any] = {}
        self.failed = False

    def mark(self, name: str, value: Any = None) -> None:
        self._values[name] = value
        self._passed[name].set()

    def wait_previous(self, name: str) -> Any:
        """The value the previous job marked `name` with (None for the first job)."""
        previous = self.previous
        if previous is None:
            return None
        previous._passed[name].wait()
        if previous.failed:
            raise PreviousFailed(f"the job before failed before {name!r}")
        return previous._values.get(name)

    def end(self, failed: bool) -> None:
        self.failed = failed
        for event in self._passed.values():
            event.set()
        self.previous = None  # the chain does not grow with the run


class Lanes(Generic[R, T]):
    """Jobs in order on one lane per entry of `resources`. `submit` hands back the results of the jobs it had to
    wait for (in order); `drain` those of the rest. A job's error is raised where its result would be."""

    def __init__(self, resources: Sequence[R], marks: Sequence[str]):
        self.resources, self.marks = list(resources), tuple(marks)
        self._pool = ThreadPoolExecutor(len(self.resources), thread_name_prefix="aduan-lane")
        self._inflight: deque[Future] = deque()
        self._last: Baton | None = None
        self._count = 0

    def submit(self, job: Callable[[R, Baton], T]) -> list[T]:
        done = []
        if len(self._inflight) == len(self.resources):  # its lane is busy with the oldest job
            done.append(self._inflight.popleft().result())
        baton = self._last = Baton(self.marks, self._last)
        resource = self.resources[self._count % len(self.resources)]
        self._count += 1
        self._inflight.append(self._pool.submit(self._run, job, resource, baton))
        return done

    def drain(self) -> list[T]:
        """Wait for every job in flight; their results in order, or the first error that is not only the
        consequence of an earlier one (raised already, or raised here)."""
        results, first = [], None
        while self._inflight:
            try:
                results.append(self._inflight.popleft().result())
            except PreviousFailed:
                continue
            except BaseException as exc:  # noqa: BLE001 - re-raised below, once the others have ended
                first = first or exc
        if first is not None:
            raise first
        return results

    def close(self) -> None:
        """Wait for the jobs in flight (their results and errors are dropped: call `drain` to have them)."""
        self._pool.shutdown(wait=True)
        self._inflight.clear()

    @staticmethod
    def _run(job: Callable[[R, Baton], T], resource: R, baton: Baton) -> T:
        failed = True
        try:
            result = job(resource, baton)
            failed = False
            return result
        finally:
            baton.end(failed)


__all__ = ["Baton", "Lanes", "PreviousFailed"]
