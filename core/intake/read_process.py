"""Read a backfill in a child process: fetching, decoding, hashing and translating a page cost the sync about
as much CPU as writing it, and under one interpreter lock the reader thread and the writer take turns.
In a child process the next pages are read and translated on the other core while this one is written
(bench.ingest, 50,000 reports: the writer alone took 36.8 s, the threaded sync 50.6 s).

The same contract as `core.intake.read_ahead`: pages in the order the connector yields them, its error after
the pages before it, and leaving the loop stops the reader and closes the connector's generator (in the
child). Each message is pickled in the child, so what cannot cross arrives as an error naming it instead of
going missing. A child that dies without a word (killed, out of memory) ends the run with an error; the
pages before it are committed and the bookmark stays at the last of them.

A page crosses without its decoded payloads: each goes as the JSON text the inbox stores (made for its hash
anyway), with the page's highest cursor taken here, so the writer unpickles strings instead of rebuilding
every payload's dicts (`inbox.land_page` decodes the text where it needs a payload).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
import queue
from collections.abc import Generator
from datetime import datetime
from typing import Any

from core.intake import pipeline
from core.intake.bookmark import page_high
from core.intake.contract import ComplaintDraft, Connector, ConnectorError, Context, Marks, Page
from core.intake.http import client_for
from core.runtime.collector import bulk_allocations

# Spawned, never forked from a process holding database connections and threads. (Python 3.11's forkserver
# would start faster, but ignores the sys.path it is given and imports relative to the current directory.)
_SPAWN = multiprocessing.get_context("spawn")
_POLL_S = 0.2
_DEPTH = 2


class ReaderGone(ConnectorError):
    """The child process reading the upstream ended without a last word."""


def portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a ConnectorError with its class and message."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any exception class may refuse to pickle
        return ConnectorError(f"{exc.__class__.__name__}: {exc}")
    return exc


# What the sync's loop takes: the page, its preparation and its highest cursor.
Shipped = tuple[Page, pipeline.Prepared, datetime | int | None]


def _shipped(connector: Connector, page: Page) -> Shipped:
    """The page, prepared, without its decoded payloads (their JSON text is in `prepared.hashed`)."""
    high = page_high(connector.cursor_field, page)
    prepared = _ready_to_send(pipeline.prepare(connector, page.records))
    prepared.hashed = [(external_id, None, digest, blob) for external_id, _payload, digest, blob in prepared.hashed]
    return dataclasses.replace(page, records=[(external_id, None) for external_id, _ in page.records]), prepared, high


def _ready_to_send(prepared: pipeline.Prepared) -> pipeline.Prepared:
    """Errors that survive the trip, and each draft's content hash taken here (it travels with the draft)."""
    if prepared.translated is not None:
        prepared.translated = [portable(t) if isinstance(t, Exception) else t for t in prepared.translated]
        for made in prepared.translated:
            for result in made if isinstance(made, list) else ():
                if isinstance(result, ComplaintDraft):
                    result.content_hash()
    return prepared


def _read(cls: type[Connector], config: Any, context: Context, marks: dict, out: Any, stop: Any) -> None:
    """The child: the connector's pages with their preparation, then 'end' or the error, each as one pickle."""
    connector = cls(config, context)
    parent = multiprocessing.parent_process()

    def send(kind: str, item: Any) -> bool:
        try:
            blob = pickle.dumps((kind, item, connector.retrier.retries), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - reported instead of the page, which then never arrives
            blob = pickle.dumps(("error", ConnectorError(f"halaman tidak bisa dikirim dari proses pembaca: {exc}"),
                                 connector.retrier.retries))
            kind = "error"
        while not stop.is_set() and parent.is_alive():  # a killed sync (SIGKILL) leaves no orphan reading on
            try:
                out.put(blob, timeout=_POLL_S)
                return kind != "error"
            except queue.Full:
                continue
        out.cancel_join_thread()  # the consumer left: exit without flushing what it will never read
        return False

    try:
        with bulk_allocations(), client_for(connector.retrier.policy) as client:
            pages = connector.fetch_pages(client, marks)
            try:
                for page in pages:
                    if not send("page", _shipped(connector, page)):
                        return
            finally:
                close = getattr(pages, "close", None)
                if close is not None:
                    close()
        send("end", None)
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there in order
        send("error", portable(exc))


class ProcessReader:
    """Pages of `connector`'s walk from `marks`, read and prepared in a child process. `retries` follows the
    child's retry count (the run's, for its summary)."""

    def __init__(self, connector: Connector, marks: Marks):
        self.connector, self.marks = connector, dict(marks)
        self.retries = 0
        self.process: Any = None  # the child, once started

    def pages(self) -> Generator[Shipped]:
        out, stop = _SPAWN.Queue(maxsize=_DEPTH), _SPAWN.Event()
        child = self.process = _SPAWN.Process(target=_read, name="aduan-sync-reader", daemon=True,
                               args=(type(self.connector), self.connector.config, self.connector.context,
                                     self.marks, out, stop))
        child.start()
        try:
            while True:
                kind, item, self.retries = pickle.loads(self._next(out, child))
                if kind == "error":
                    raise item
                if kind == "end":
                    return
                yield item
        finally:
            stop.set()
            child.join(timeout=10)
            if child.is_alive():  # inside a long upstream request: it would only be thrown away
                child.terminate()
                child.join(timeout=5)
            out.close()

    @staticmethod
    def _next(out: Any, child: Any) -> bytes:
        while True:
            try:
                return out.get(timeout=_POLL_S)
            except queue.Empty:
                if child.is_alive():
                    continue
            try:  # it may have sent its last word just before it ended
                return out.get(timeout=_POLL_S)
            except queue.Empty:
                raise ReaderGone(f"proses pembaca upstream berhenti tanpa kabar (kode keluar {child.exitcode})") \
                    from None


def can_read_in_process(connector: Connector) -> bool:
    """A child can build the connector only from a class it can import by name, and a daemonic process (a
    multiprocessing worker of someone else's) may have no children."""
    cls = type(connector)
    return cls.__module__ != "__main__" and "<locals>" not in cls.__qualname__ \
        and not multiprocessing.current_process().daemon


__all__ = ["ProcessReader", "ReaderGone", "can_read_in_process", "portable"]
