import io
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from core.identity.access import Access
from core.reporting.rapor import _per_opd_rollup, build_rapor, predikat, rapor_pdf, rapor_xlsx
from models import Opd, Role
from tests.factories import add_complaint, rapor_fixture, seeded

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def data(session):
    return seeded(session)


def test_rapor_of_41_complaints_reports_68_3_percent_and_the_buckets(data, settings):
    rapor_fixture(data, "DINKES")
    rapor = build_rapor(data, settings, *NOVEMBER)
    (row,) = rapor["rows"]
    assert row["opd_code"] == "DINKES"
    assert (row["total"], row["resolved"], row["in_progress"], row["not_followed_up"], row["unverified"]) == (
        41, 28, 3, 9, 1)
    assert row["completion_pct"] == 68.3
    assert row["avg_followup_days"] == 2.0  # Monday → Wednesday, working days
    assert row["predikat"] == "Kurang"
    assert rapor["total"]["opd_code"] is None
    assert rapor["total"]["completion_pct"] == 68.3


def test_the_rapor_read_from_the_daily_rollup_is_the_one_read_from_the_complaints(data, settings):
    """Issue #23: the rapor of a working-days period comes from the rollup when the caller's scope allows; every
    figure, reopened counts included, is the one the complaints give."""
    rapor_fixture(data, "DINKES")
    rapor_fixture(data, "DPUPR", resolved=4, in_progress=2, postponed=1, dispatched=1, unverified=0, prefix="d")
    add_complaint(data, external_id="rej", status="rejected", opd_code="DINKES")
    reopened = add_complaint(data, external_id="again", status="in_progress", opd_code="DPUPR")
    reopened.reopened_count = 2
    data.add(reopened)
    data.commit()
    for access, scope_opd in ((Access(Role.admin), None), (Access(Role.opd_admin, opd_id=dpupr(data)), "DPUPR")):
        kwargs = {"scope": access.scope(), "scope_opd_id": access.opd_id}
        raw = build_rapor(data, settings, *NOVEMBER, **kwargs)
        rolled = build_rapor(data, settings, *NOVEMBER, access=access, **kwargs)
        raw.pop("generated_at"), rolled.pop("generated_at")
        assert rolled == raw and raw["rows"], scope_opd
        assert _per_opd_rollup(data, settings, *NOVEMBER, "working", access, None) is not None  # not read raw
    assert {r["opd_code"]: r["reopened"] for r in raw["rows"]} == {"DPUPR": 2}


def dpupr(session) -> int:
    return session.exec(select(Opd.id).where(Opd.code == "DPUPR")).one()


def test_all_resolved_is_100_percent(data, settings):
    rapor_fixture(data, "DISDUKCAPIL", resolved=62, in_progress=0, dispatched=0, unverified=0)
    (row,) = build_rapor(data, settings, *NOVEMBER)["rows"]
    assert (row["total"], row["resolved"], row["completion_pct"]) == (62, 62, 100.0)
    assert row["predikat"] == "Sangat Baik"  # 100 % at 2 working days


def test_rejected_and_archived_are_excluded_and_period_bounds_hold(data, settings):
    rapor_fixture(data, "DINKES", resolved=3, in_progress=0, dispatched=1, unverified=0)
    add_complaint(data, external_id="rej", status="rejected", opd_code="DINKES")  # received 23 Nov: in period
    rapor_fixture(data, "DINKES", resolved=5, in_progress=0, dispatched=0, unverified=0, prefix="oct",
                  received_at=datetime(2026, 10, 31, 17, 30, tzinfo=UTC))
    # 31 Oct 17:30 UTC is 1 Nov 00:30 WIB: inside November in local time.
    (row,) = build_rapor(data, settings, *NOVEMBER)["rows"]
    assert (row["total"], row["resolved"]) == (9, 8)
    (row,) = build_rapor(data, settings, date(2026, 10, 1), date(2026, 10, 31))["rows"] or [None]
    assert row is None


def test_calendar_days_are_selectable(data, settings):
    rapor_fixture(data, "DINKES", resolved=2, in_progress=0, dispatched=0, unverified=0)
    (row,) = build_rapor(data, settings, *NOVEMBER, days="calendar")["rows"]
    assert row["avg_followup_days"] == 2.0
    rapor_fixture(data, "DINSOS", resolved=1, in_progress=0, dispatched=0, unverified=0, prefix="fri",
                  received_at=datetime(2026, 11, 6, 2, tzinfo=UTC))
    # Friday → Sunday: 2 calendar days but 0 working days.
    rows = {r["opd_code"]: r for r in build_rapor(data, settings, *NOVEMBER, days="calendar")["rows"]}
    assert rows["DINSOS"]["avg_followup_days"] == 2.0
    rows = {r["opd_code"]: r for r in build_rapor(data, settings, *NOVEMBER)["rows"]}
    assert rows["DINSOS"]["avg_followup_days"] == 0.0


def test_predikat_follows_settings(settings):
    assert predikat(settings, 100.0, 15.6) == "Baik"  # DESIGN: 100 % at 15.6 days is not Sangat Baik
    assert predikat(settings, 100.0, 3.0) == "Sangat Baik"
    assert predikat(settings, 68.3, 2.0) == "Kurang"
    assert predikat(settings, None, None) is None
    custom = settings.model_copy(update={"predikat_thresholds": [("Juara", 50.0, 30.0)]})
    assert predikat(custom, 68.3, 2.0) == "Juara"


def test_xlsx_has_kop_period_table_and_total(data, settings):
    rapor_fixture(data, "DINKES")
    wb = load_workbook(io.BytesIO(rapor_xlsx(build_rapor(data, settings, *NOVEMBER), settings)))
    ws = wb.active
    cells = [list(row) for row in ws.iter_rows(values_only=True)]
    assert cells[0][0] == "PEMERINTAH KABUPATEN BLITAR"
    assert "1 November 2026 s.d. 30 November 2026" in cells[2][0]
    header = cells[4]
    assert header[:3] == ["No", "Kode OPD", "Nama OPD"] and "Predikat" in header
    assert cells[5][1] == "DINKES" and cells[5][header.index("Penyelesaian (%)")] == 68.3
    assert cells[6][2].startswith("Total") and cells[6][3] == 41
    assert any(row[0] and str(row[0]).startswith("Dibuat pada") for row in cells)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_is_an_official_looking_document(data, settings, tmp_path):
    rapor_fixture(data, "DINKES")
    pdf = rapor_pdf(build_rapor(data, settings, *NOVEMBER), settings)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "rapor.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "PEMERINTAH KABUPATEN BLITAR" in text
    assert "Periode 1 November 2026 s.d. 30 November 2026" in text
    assert "Dinas Kesehatan" in text and "68,3" in text
    assert "Dibuat pada" in text and "WIB" in text


def test_tertunda_is_its_own_bucket_not_part_of_proses(data, settings):
    rapor_fixture(data, "DINKES", resolved=424, in_progress=55, postponed=3, dispatched=0, unverified=0)
    (row,) = build_rapor(data, settings, *NOVEMBER)["rows"]
    assert (row["total"], row["resolved"], row["in_progress"], row["postponed"]) == (482, 424, 55, 3)
    assert row["completion_pct"] == 88.0  # selesai / total: postponed still counts in the total


def test_xlsx_and_pdf_carry_a_tertunda_column(data, settings, tmp_path):
    rapor_fixture(data, "DINKES", postponed=2)
    rapor = build_rapor(data, settings, *NOVEMBER)
    cells = [list(row) for row in load_workbook(io.BytesIO(rapor_xlsx(rapor, settings))).active.iter_rows(
        values_only=True)]
    header = cells[4]
    assert header[header.index("Proses") + 1] == "Tertunda"
    assert cells[5][header.index("Tertunda")] == 2 and cells[5][header.index("Proses")] == 3
    if shutil.which("pdftotext"):
        path = tmp_path / "rapor.pdf"
        path.write_bytes(rapor_pdf(rapor, settings))
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Tertunda" in text


def _mixed_channels(session):
    rapor_fixture(session, "DINKES", resolved=5, in_progress=2, postponed=1, dispatched=3, unverified=1,
                  channel="lapor", prefix="l")
    rapor_fixture(session, "DINKES", resolved=1, in_progress=0, postponed=2, dispatched=1, unverified=4,
                  channel="whatsapp", prefix="w")
    rapor_fixture(session, "DPUPR", resolved=3, in_progress=1, postponed=0, dispatched=2, unverified=0,
                  channel="manual", prefix="c")
    add_complaint(session, "whatsapp", "rej", status="rejected", opd_code="DPUPR")


def test_channel_filter_counts_only_that_channel(data, settings):
    _mixed_channels(data)
    rapor = build_rapor(data, settings, *NOVEMBER, channel="whatsapp")
    assert rapor["channel"] == "whatsapp"
    (row,) = rapor["rows"]
    assert (row["opd_code"], row["total"], row["resolved"], row["postponed"], row["unverified"]) == (
        "DINKES", 8, 1, 2, 4)
    assert build_rapor(data, settings, *NOVEMBER, channel="open311")["rows"] == []


def test_per_channel_totals_add_up_to_the_kabupaten_total(data, settings):
    _mixed_channels(data)
    whole = build_rapor(data, settings, *NOVEMBER)
    parts = [build_rapor(data, settings, *NOVEMBER, channel=code)["total"]
             for code in ("lapor", "whatsapp", "call112", "google_reviews", "manual", "open311")]
    for column in ("total", "resolved", "in_progress", "postponed", "not_followed_up", "unverified"):
        assert sum(part[column] for part in parts) == whole["total"][column], column
    assert whole["total"]["total"] == 12 + 8 + 6
    by_opd = {r["opd_code"]: r for r in whole["rows"]}
    for code, row in by_opd.items():
        per_channel = [r for ch in ("lapor", "whatsapp", "manual")
                       for r in build_rapor(data, settings, *NOVEMBER, channel=ch)["rows"] if r["opd_code"] == code]
        assert sum(r["total"] for r in per_channel) == row["total"]


def test_an_opd_scoped_rapor_ends_with_that_opd_not_the_kabupaten(data, settings):
    from sqlmodel import select

    from models import Complaint, Opd

    rapor_fixture(data, "RSUD-SRENGAT", resolved=4, in_progress=1, postponed=1, dispatched=0, unverified=0)
    rapor_fixture(data, "DINKES", prefix="d")
    rsud = data.exec(select(Opd).where(Opd.code == "RSUD-SRENGAT")).one()
    rapor = build_rapor(data, settings, *NOVEMBER, scope=[Complaint.opd_id == rsud.id], scope_opd_id=rsud.id)
    assert rapor["opd_scoped"] is True
    assert (rapor["total"]["opd_code"], rapor["total"]["opd_name"], rapor["total"]["total"]) == (
        "RSUD-SRENGAT", "RSUD Srengat", 6)
    cells = [list(row) for row in load_workbook(io.BytesIO(rapor_xlsx(rapor, settings))).active.iter_rows(
        values_only=True)]
    table = [row for row in cells[5:] if row[1]]
    assert [row[1] for row in table] == ["RSUD-SRENGAT"]
    assert not any(str(row[2] or "").startswith("Total") for row in cells)
    empty = build_rapor(data, settings, date(2026, 10, 1), date(2026, 10, 31),
                        scope=[Complaint.opd_id == rsud.id], scope_opd_id=rsud.id)
    cells = [list(row) for row in load_workbook(io.BytesIO(rapor_xlsx(empty, settings))).active.iter_rows(
        values_only=True)]
    assert [row[1] for row in cells[5:] if row[1]] == ["RSUD-SRENGAT"]  # an empty month still names the OPD


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_keeps_opd_codes_on_one_line(data, settings, tmp_path):
    for i, code in enumerate(("RSUD-SRENGAT", "KEC-SUTOJAYAN", "RSUD-NGUDI", "DINKES")):
        rapor_fixture(data, code, resolved=1, in_progress=0, dispatched=0, unverified=0, prefix=f"o{i}-")
    rapor = build_rapor(data, settings, *NOVEMBER)
    path = tmp_path / "rapor.pdf"
    path.write_bytes(rapor_pdf(rapor, settings))
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    codes = {r["opd_code"] for r in rapor["rows"]}
    for code in codes:
        assert code in text, code
