"""core.intake.read_process: a backfill's pages read and translated in a child process arrive in order, with the
connector's error after them; what cannot cross, a reader that dies and a consumer that leaves early all end
cleanly. The whole sync through it runs in tests/core/test_sync.py (bad-day upstreams, a killed sync)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from connectors.base import PullConnector
from core.intake.contract import ComplaintDraft, ConnectorError, FatalError, Marks, Page
from core.intake.http import TokenPaginator
from core.intake.read_process import ProcessReader, ReaderGone

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


class Unpicklable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.lock = threading.Lock()


class ScriptedUpstream(PullConnector):
    """An upstream that serves `pages` pages of three reports, then ends as `then` says."""

    name = channel = "uji_proses"
    primary_key = "id"
    cursor_field = "updated"
    paginator = TokenPaginator("next")

    class Config(BaseModel):
        pages: int = 2
        then: str = "end"  # end | fatal | unpicklable | die | endless | no_cursor

    def fetch_pages(self, client: httpx.Client, marks: Marks) -> Iterator[Page]:
        page = 0
        while page < self.config.pages or self.config.then == "endless":
            updated = (START + timedelta(minutes=page)).isoformat()
            yield Page([(f"r{page}-{i}", {"id": f"r{page}-{i}", "updated": updated, "judul": f"Laporan {page}.{i}"})
                        for i in range(3)])
            page += 1
        if self.config.then == "no_cursor":
            yield Page([("r-rusak", {"id": "r-rusak", "updated": "kemarin", "judul": "Laporan rusak"})])
        if self.config.then == "fatal":
            raise FatalError("token LAPOR! ditolak (401)")
        if self.config.then == "unpicklable":
            raise Unpicklable("soket upstream tertutup")
        if self.config.then == "die":
            os._exit(3)  # killed, out of memory: no word from it

    def normalise(self, payload: Any) -> ComplaintDraft:
        return ComplaintDraft(external_id=payload["id"], title=payload["judul"], received_at=START)


def read(then: str, pages: int = 2, got: list | None = None) -> list[tuple[Page, Any]]:
    """Every page the reader hands over, into `got` as they come (what arrived before an error stays there)."""
    got = [] if got is None else got
    with closing(ProcessReader(ScriptedUpstream({"pages": pages, "then": then}), {}).pages()) as pages_read:
        for item in pages_read:
            got.append(item)
    return got


def titles(got) -> list[str]:
    return [result.title for _page, prepared, _high in got for made in prepared.translated for result in made]


def test_pages_and_their_translations_arrive_in_order():
    got = read("end", pages=3)
    assert [external_id for page, *_ in got for external_id, _ in page.records] == \
        [f"r{p}-{i}" for p in range(3) for i in range(3)]
    assert titles(got)[:4] == ["Laporan 0.0", "Laporan 0.1", "Laporan 0.2", "Laporan 1.0"]
    assert [h[0] for h in got[0][1].hashed] == ["r0-0", "r0-1", "r0-2"]  # hashed for the inbox too


def test_a_page_arrives_as_json_text_with_its_highest_cursor():
    [(page, prepared, high)] = read("end", pages=1)
    assert [payload for _id, payload in page.records] == [None, None, None]  # decoded again only where needed
    assert json.loads(prepared.hashed[0][3]) == {"id": "r0-0", "updated": START.isoformat(), "judul": "Laporan 0.0"}
    assert high == START


@pytest.mark.parametrize("then, pages, error, message", [
    ("fatal", 2, FatalError, "ditolak"),  # the connector's own error
    ("no_cursor", 2, FatalError, "record r-rusak tanpa 'updated' yang valid"),  # its bookmark cannot move past it
    ("unpicklable", 1, ConnectorError, "Unpicklable: soket upstream tertutup"),  # cannot cross: arrives named
])
def test_an_error_arrives_after_the_pages_before_it(then, pages, error, message):
    got: list = []
    with pytest.raises(error, match=message):
        read(then, pages=pages, got=got)
    assert len(got) == pages


def test_a_reader_that_dies_ends_the_run_with_its_exit_code():
    got: list = []
    with pytest.raises(ReaderGone, match="kode keluar 3"):
        read("die", pages=3, got=got)
    # What it sent arrives in order; a page still on its way when it died does not (the bookmark never passed
    # it, so the next run reads it again).
    assert 1 <= len(got) <= 3 and titles(got) == [f"Laporan {p}.{i}" for p in range(len(got)) for i in range(3)]


def test_leaving_early_stops_the_reader():
    reader = ProcessReader(ScriptedUpstream({"then": "endless"}), {})
    started = time.monotonic()
    with closing(reader.pages()) as pages_read:
        next(pages_read)
        assert reader.process.is_alive()  # reading ahead meanwhile
    assert reader.process.exitcode is not None and time.monotonic() - started < 30
