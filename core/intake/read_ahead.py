"""Fetch the next page while the database writes this one: a pull spends about as long waiting for the
upstream as writing, so overlapping the two nearly halves a long backfill.

The pages come in the order the connector yields them, and so does its error, after the pages before it:
the sync commits those and keeps its bookmark at the last good one, as without read-ahead. The connector's
generator runs, and is closed, on the reader thread only (a generator cannot be closed from another thread
while it runs).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()
_POLL_S = 0.1


def read_ahead(pages: Iterator[T], depth: int = 1, then: Callable[[T], Any] | None = None) -> Generator[Any]:
    """Yield what `pages` yields, reading up to `depth` items ahead on a background thread; with `then`, yield
    `then(item)` instead, computed on that thread too. Closing the generator (or leaving the loop) stops the
    reader and closes `pages`."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            for page in pages:
                if not hand_over((page if then is None else then(page), None)):
                    return
            hand_over((_END, None))
        except BaseException as exc:  # handed to the consumer, raised there in order
            hand_over((None, exc))
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=reader, name="sync-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            page, error = ready.get()
            if error is not None:
                raise error
            if page is _END:
                return
            yield page
    finally:
        stop.set()
        thread.join(timeout=30)


__all__ = ["read_ahead"]
