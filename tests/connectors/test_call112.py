"""112 CAD exports: strict parsing, row reports, idempotent re-import, call counts, sources."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from connectors.call112 import COLUMNS, Call112Connector, parse_id_datetime, parse_latlng
from connectors.emulators.call112_export import generate
from core.intake.file_import import import_file, sync_instance
from core.reporting.channel_calls import calls_per_day
from models import (
    ChannelCall,
    Classification,
    Complaint,
    ComplaintEvent,
    ConnectorInstance,
    Opd,
    RawRecord,
    Status,
    SyncState,
)
from tests.factories import seeded

WIB = ZoneInfo("Asia/Jakarta")
AD = str(Path(sys.executable).with_name("aduan"))


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("text, expected", [
    ("20 Agustus 2021 07:15", datetime(2021, 8, 20, 0, 15, tzinfo=UTC)),
    ("20 agu 2021 07.15", datetime(2021, 8, 20, 0, 15, tzinfo=UTC)),
    ("3 Okt. 2021, 23:59 WIB", datetime(2021, 10, 3, 16, 59, tzinfo=UTC)),
    ("1 Pebruari 2022 pukul 08:00:30", datetime(2022, 2, 1, 1, 0, 30, tzinfo=UTC)),
    ("9 Des 2021", datetime(2021, 12, 8, 17, 0, tzinfo=UTC)),
    ("2021-08-20 07:15", datetime(2021, 8, 20, 0, 15, tzinfo=UTC)),  # a real date cell in XLSX
])
def test_indonesian_dates(text, expected):
    assert parse_id_datetime(text, WIB) == expected


@pytest.mark.parametrize("text, message", [
    ("31 Juni 2021 10:00", "tidak ada di kalender"),
    ("20 Augustus 2021 07:15", "nama bulan 'Augustus'"),
    ("2021/08/20 07:15", "format tanggal"),
    ("20-08-2021", "format tanggal"),
    ("20 Agustus 2021 25:00", "tidak ada di kalender"),
    ("Agustus 20 2021", "format tanggal"),
])
def test_malformed_dates_are_refused_not_guessed(text, message):
    with pytest.raises(ValueError, match=message):
        parse_id_datetime(text, WIB)


def test_latlng_is_strict():
    assert parse_latlng("LatLng(-7.03, 113.77)") == (-7.03, 113.77)
    assert parse_latlng(" LatLng(-8.1,112) ") == (-8.1, 112.0)
    for bad in ("-7.03, 113.77", "LatLng(113.77, -7.03)", "LatLng(-7,03, 113,77)", "LatLng(0, 0)", "Lat(1,2)"):
        with pytest.raises(ValueError):
            parse_latlng(bad)


@pytest.fixture
def ref(session):
    return seeded(session)


def test_a_thousand_row_export_imports_good_rows_lists_bad_ones_and_reimports_as_a_no_op(ref, session, settings):
    export = generate(1000, seed=3, bad=6)
    connector = Call112Connector({})
    report = import_file(session, connector, export.csv_bytes(), "cad-agustus.csv")

    assert report.rows == 1000
    assert report.failed == 6
    assert {(p.row, p.column) for p in report.problems} == set(export.bad_rows.items())
    assert all(p.message for p in report.problems)
    complaints = export.count("normal") + export.count("informasi")
    assert report.new == complaints == count(session, Complaint)
    assert report.not_complaints == export.count("ghost") + export.count("prank")
    assert count(session, ChannelCall) == 994  # every valid call is counted by type

    before = {m: count(session, m) for m in (Complaint, ComplaintEvent, ChannelCall, RawRecord)}
    again = import_file(session, connector, export.csv_bytes(), "cad-agustus.csv")
    assert (again.new, again.updated, again.unchanged, again.failed) == (0, 0, 994, 6)
    assert {m: count(session, m) for m in before} == before

    stats = calls_per_day(session, settings.tz, ["call112"])
    assert stats["totals"] == {t: export.count(t) for t in ("normal", "informasi", "ghost", "prank")}
    assert sum(i["count"] for i in stats["items"] if i["call_type"] == "prank") == export.count("prank")


def row(**values) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "")
    base.update(id="112-1", tanggal_terima="20 Agustus 2021 07:15", jenis_panggilan="normal",
                kejadian="Kebakaran rumah warga di Gogodeso", kategori="kebakaran", opd="Damkar",
                kecamatan="kanigoro", desa="Gogodeso", lat_long="LatLng(-8.1347, 112.2128)")
    base.update(values)
    return base


def xlsx(rows: list[dict], real_dates: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for r in rows:
        cells = [r[c] for c in COLUMNS]
        if real_dates:
            cells[1] = datetime(2021, 8, 20, 7, 15)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_mapping_status_and_classification(ref, session):
    rows = [
        row(tanggal_selesai="20 Agustus 2021 08:05", keterangan="Api padam, 1 rumah rusak"),
        row(id="112-2", kategori="keamanan", opd="Polres", kejadian="Keributan di lapangan desa",
            lat_long="", kecamatan="Wlingi"),
        row(id="112-3", jenis_panggilan="Informasi", kategori="kesehatan", opd="", kejadian="Tanya nomor ambulans"),
        row(id="112-4", kategori="orang hilang", opd="Basarnas", kejadian="Anak belum pulang"),
        row(id="112-5", jenis_panggilan="prank"),
    ]
    report = import_file(session, Call112Connector({}), xlsx(rows, real_dates=True), "cad.xlsx")
    assert (report.new, report.not_complaints, report.failed) == (4, 1, 0)
    assert report.unmapped == {"kategori": {"orang hilang": 1}, "opd": {"Basarnas": 1}}
    by_id = {c.external_id: c for c in session.exec(select(Complaint)).all()}
    fire = by_id["112-1"]
    assert session.get(Opd, fire.opd_id).code == "DAMKAR"
    assert fire.status == Status.resolved
    assert fire.received_at == datetime(2021, 8, 20, 0, 15, tzinfo=UTC)
    assert fire.first_response_at == fire.resolved_at == datetime(2021, 8, 20, 1, 5, tzinfo=UTC)
    assert (fire.kecamatan, fire.lat) == ("Kanigoro", -8.1347)
    assert session.get(Opd, by_id["112-2"].opd_id).code == "SATPOLPP"  # Polres → the category's OPD
    assert by_id["112-2"].status == Status.in_progress  # an open emergency is in the CAD's hands
    assert by_id["112-3"].classification == Classification.permintaan_informasi
    assert session.get(Opd, by_id["112-4"].opd_id).code == "DISKOMINFO"  # unmapped → LAINNYA
    calls = {c.external_id: c.call_type for c in session.exec(select(ChannelCall)).all()}
    assert calls == {"112-1": "normal", "112-2": "normal", "112-3": "informasi", "112-4": "normal",
                     "112-5": "prank"}

    configured = Call112Connector({"opd_map": {"polres": "BAKESBANGPOL"}})
    import_file(session, configured, xlsx([rows[1] | {"id": "112-6"}]), "cad2.xlsx")
    assert session.get(Opd, session.exec(select(Complaint).where(Complaint.external_id == "112-6"))
                       .one().opd_id).code == "BAKESBANGPOL"


def test_unreadable_files_are_one_clear_problem(ref, session):
    report = import_file(session, Call112Connector({}), b"%PDF-1.4 ...", "laporan.pdf")
    assert report.rows == 0 and "PDF" in report.problems[0].message
    assert count(session, RawRecord) == 0


def test_watched_folder_imports_each_new_file_once(ref, session, tmp_path):
    first, second = generate(30, seed=1), generate(20, seed=2)
    (tmp_path / "cad-1.csv").write_bytes(first.csv_bytes())
    (tmp_path / "catatan.txt").write_text("bukan ekspor")
    session.add(ConnectorInstance(name="cad-112", kind="call112", config={"folder": str(tmp_path)}))
    session.commit()
    assert [r.rows for r in sync_instance(session, "cad-112")] == [30]
    assert sync_instance(session, "cad-112") == []
    (tmp_path / "cad-2.xlsx").write_bytes(second.xlsx_bytes())
    (tmp_path / "cad-1-copy.csv").write_bytes(first.csv_bytes())  # same content, other name
    assert [r.filename for r in sync_instance(session, "cad-112")] == ["cad-2.xlsx"]
    state = session.exec(select(SyncState)).one()
    assert state.status == "ok" and len(state.bookmark["files"]) == 2
    assert count(session, ChannelCall) == 50


def test_http_source_imports_new_content_and_records_upstream_errors(ref, session, monkeypatch):
    from core.runtime.settings import get_settings

    monkeypatch.setenv("ADUAN_SYNC_RETRY_ATTEMPTS", "2")  # a 5xx is retried like a pull's, then recorded
    monkeypatch.setenv("ADUAN_SYNC_BACKOFF_SECONDS", "0")
    get_settings.cache_clear()
    export = generate(10, seed=5)
    answers = iter([httpx.Response(200, content=export.csv_bytes()), httpx.Response(200, content=export.csv_bytes()),
                    httpx.Response(503), httpx.Response(503)])
    seen_auth = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen_auth.append(request.headers.get("authorization"))
        return next(answers)

    session.add(ConnectorInstance(name="cad-api", kind="call112",
                                  config={"url": "http://127.0.0.1:9/export/latest.csv", "token": "t0k"}))
    session.commit()
    with httpx.Client(transport=httpx.MockTransport(upstream)) as http:
        assert [r.rows for r in sync_instance(session, "cad-api", http)] == [10]
        assert sync_instance(session, "cad-api", http) == []
        assert sync_instance(session, "cad-api", http) == []
    assert seen_auth == ["Bearer t0k"] * 4
    state = session.exec(select(SyncState)).one()
    assert state.status == "error" and "503" in state.last_error and "setelah 2 percobaan" in state.last_error
    assert count(session, ChannelCall) == 10


def test_cli_prints_a_row_report(ref, session, db_url, tmp_path):
    export = generate(40, seed=9, bad=2)
    path = tmp_path / "cad.csv"
    path.write_bytes(export.csv_bytes())
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url}
    result = subprocess.run([AD, "import-112", str(path)], capture_output=True, text=True, env=env, timeout=120,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "40 rows" in result.stdout and "2 bad" in result.stdout
    for number, column in export.bad_rows.items():
        assert f"baris {number}" in result.stdout and column in result.stdout
    again = subprocess.run([AD, "import-112", str(path)], capture_output=True, text=True, env=env, timeout=120,
                           cwd=tmp_path)
    assert "0 new" in again.stdout and "38 unchanged" in again.stdout
