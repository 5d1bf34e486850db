"""core.intake.read_ahead: pages in order, the connector's error after the pages before it, a stop that closes
the connector's generator (on the reader thread)."""

from __future__ import annotations

import threading
from contextlib import closing

import pytest

from core.intake.read_ahead import read_ahead


def test_pages_arrive_in_order_and_the_error_after_them():
    def pages():
        yield from (1, 2, 3)
        raise RuntimeError("upstream 503")

    seen = []
    with pytest.raises(RuntimeError, match="upstream 503"):
        for page in read_ahead(pages()):
            seen.append(page)
    assert seen == [1, 2, 3]


def test_it_reads_one_page_ahead_of_the_consumer():
    fetched = []
    second_read = threading.Event()

    def pages():
        for n in range(5):
            fetched.append(n)
            if n == 1:
                second_read.set()
            yield n

    with closing(read_ahead(pages())) as ahead:
        assert next(ahead) == 0
        assert second_read.wait(5)  # fetched while the consumer still holds page 0
        assert list(ahead) == [1, 2, 3, 4]


def test_leaving_the_loop_stops_the_reader_and_closes_the_connector():
    closed = threading.Event()

    def pages():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    with closing(read_ahead(pages())) as ahead:
        for page in ahead:
            if page == 2:
                break
    assert closed.wait(5)


def test_work_on_each_page_runs_on_the_reader_thread_and_its_error_comes_in_order():
    where = []

    def prepare(page):
        where.append(threading.current_thread().name)
        if page == 3:
            raise ValueError("page 3 cannot be prepared")
        return page * 10

    seen = []
    with pytest.raises(ValueError, match="page 3"):
        for item in read_ahead(iter([1, 2, 3, 4]), then=prepare):
            seen.append(item)
    assert seen == [10, 20] and set(where) == {"sync-read-ahead"}
