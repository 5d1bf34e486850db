"""core.intake.lanes: ordered jobs on two lanes hand their results back in order, wait for each other only where
they say, never share a lane, and a failure stops the jobs after it without hiding which job failed."""

import threading
import time

import pytest

from core.intake.lanes import Lanes, PreviousFailed


def run_all(lanes: Lanes, jobs) -> list:
    results = []
    try:
        for job in jobs:
            results += lanes.submit(job)
        results += lanes.drain()
    finally:
        lanes.close()
    return results


def test_results_in_order_and_each_job_sees_the_mark_before_it():
    seen = []

    def job(n):
        def run(lane, baton):
            before = baton.wait_previous("landed")
            time.sleep(0.02 if n % 2 else 0)  # odd jobs are slower: order must not depend on speed
            baton.mark("landed", n)
            seen.append((n, before))
            return n
        return run

    assert run_all(Lanes(["a", "b"], ("landed",)), [job(n) for n in range(6)]) == list(range(6))
    assert sorted(seen) == [(0, None), *[(n, n - 1) for n in range(1, 6)]]


def test_a_lane_runs_one_job_at_a_time():
    busy = {"a": 0, "b": 0}
    most = {"a": 0, "b": 0}
    lock = threading.Lock()

    def job(lane, baton):
        with lock:
            busy[lane] += 1
            most[lane] = max(most[lane], busy[lane])
        time.sleep(0.01)
        with lock:
            busy[lane] -= 1

    run_all(Lanes(["a", "b"], ()), [job] * 8)
    assert most == {"a": 1, "b": 1}


def test_a_job_that_marks_nothing_does_not_hold_up_the_next():
    assert run_all(Lanes(["a", "b"], ("landed",)),
                   [lambda lane, baton: "diam", lambda lane, baton: baton.wait_previous("landed") or "lanjut"]) \
        == ["diam", "lanjut"]


def test_a_failure_stops_the_job_waiting_on_it_and_is_the_error_reported():
    stopped = threading.Event()

    def fails(lane, baton):
        time.sleep(0.05)
        raise ValueError("halaman 2 ditolak basis data")

    def waits(lane, baton):
        try:
            baton.wait_previous("committed")
        except PreviousFailed:
            stopped.set()
            raise

    with pytest.raises(ValueError, match="halaman 2 ditolak"):
        run_all(Lanes(["a", "b"], ("committed",)), [lambda lane, baton: 1, fails, waits])
    assert stopped.is_set()
