"""112 export imports under the upload limits: downloads stop at the byte cap, files are read capped,
a bomb or an oversized export is one clear file-level problem and lands nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import func, select

from connectors.call112 import Call112Connector
from connectors.emulators.call112_export import generate
from core.intake.file_import import import_file, sync_instance
from core.runtime.settings import get_settings
from models import ConnectorInstance, RawRecord, SyncState
from tests import hostile_files
from tests.factories import seeded

CAP = 100_000
CHUNK = 64 * 1024


@pytest.fixture
def ref(session):
    return seeded(session)


@pytest.fixture
def small_caps(settings, monkeypatch):
    monkeypatch.setenv("ADUAN_UPLOAD_EXPORT_MAX_BYTES", str(CAP))
    monkeypatch.setenv("ADUAN_UPLOAD_MAX_ROWS", "5")
    get_settings.cache_clear()


def landed(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(RawRecord)).one()


class Upstream:
    """An export URL that streams `total` bytes in 64 KB chunks and counts what the client pulled."""

    def __init__(self, total: int, declare_length: bool):
        self.total, self.declare_length, self.pulled = total, declare_length, 0

    def chunks(self):
        for _ in range(self.total // CHUNK):
            self.pulled += 1
            yield b"id,kejadian\n" + b"x" * (CHUNK - 12)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        headers = {"Content-Length": str(self.total)} if self.declare_length else {}
        return httpx.Response(200, headers=headers, content=self.chunks())


@pytest.mark.parametrize("declare_length", [True, False])
def test_a_download_over_the_cap_stops_reading_and_shows_on_the_connector(ref, session, small_caps, declare_length):
    session.add(ConnectorInstance(name="cad-api", kind="call112", config={"url": "http://127.0.0.1:9/export.csv"}))
    session.commit()
    upstream = Upstream(50 * 2**20, declare_length)
    with httpx.Client(transport=httpx.MockTransport(upstream)) as http:
        assert sync_instance(session, "cad-api", http) == []
    assert upstream.pulled <= (0 if declare_length else CAP // CHUNK + 1)
    state = session.exec(select(SyncState)).one()
    assert state.status == "error" and "export lebih dari 98 KB" in state.last_error
    assert landed(session) == 0


def test_a_folder_file_over_the_cap_is_one_problem_and_is_not_read_whole(ref, session, small_caps, tmp_path):
    (tmp_path / "cad-besar.csv").write_bytes(b"id,kejadian\n" + b"1,kebakaran\n" * 50_000)
    session.add(ConnectorInstance(name="cad-112", kind="call112", config={"folder": str(tmp_path)}))
    session.commit()
    [report] = sync_instance(session, "cad-112")
    assert report.rows == 0 and report.problems[0].message == "Berkas lebih dari 98 KB."
    assert landed(session) == 0


def test_an_export_over_the_row_limit_lands_nothing(ref, session, small_caps):
    report = import_file(session, Call112Connector({}), generate(10, seed=4).csv_bytes(), "cad.csv")
    assert report.rows == 0 and "lebih dari 5 baris" in report.problems[0].message
    assert landed(session) == 0


@pytest.mark.timeout(60)
def test_an_export_that_is_a_decompression_bomb_is_refused_at_once(ref, session):
    report = import_file(session, Call112Connector({}), hostile_files.decompression_bomb(300), "cad.xlsx")
    assert report.rows == 0 and "bom dekompresi" in report.problems[0].message
    assert landed(session) == 0
