"""Escalation letters: a real PDF that renders, carries the complaint codes and reads as a letter."""

import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from PIL import Image, ImageDraw
from sqlmodel import select

from core.casework.letters import create_letter, tanggal
from core.intake.ingest import Resolver, upsert_complaint
from core.reference.calendar import WorkingCalendar
from models import Opd
from tests.factories import draft, seeded

cal = WorkingCalendar("Asia/Jakarta")
pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (make browser)")


@pytest.mark.parametrize("day, text", [
    (date(2026, 11, 23), "23 November 2026"), (date(2025, 5, 1), "1 Mei 2025"), (date(2026, 8, 17), "17 Agustus 2026"),
])
def test_dates_are_written_the_indonesian_way(day, text):
    assert tanggal(day) == text


@pytest.fixture
def overdue(session, settings):
    seeded(session)
    resolver = Resolver(session, settings)
    complaints = [
        upsert_complaint(session, "lapor", draft(f"X{i}", received_at=datetime(2026, 11, 16, 2, tzinfo=UTC),
                                                 rahasia=(i == 2), title=f"Jalan rusak nomor {i} dekat pasar"),
                         resolver).complaint
        for i in range(3)
    ]
    session.commit()
    return complaints


def logo(tmp_path):
    path = tmp_path / "logo.png"
    image = Image.new("RGB", (120, 140), "white")
    ImageDraw.Draw(image).ellipse((10, 10, 110, 130), fill=(0, 110, 60))
    image.save(path)
    return str(path)


def test_letter_pdf_renders_and_lists_the_overdue_complaints(session, settings, overdue, tmp_path):
    dpupr = session.exec(select(Opd).where(Opd.code == "DPUPR")).one()
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 08:00 WIB: received a week ago, day 5
    with_logo = settings.model_copy(update={"pemda_logo_path": logo(tmp_path), "sekda_name": "Drs. Izul Marom"})
    letter = create_letter(session, with_logo, cal, kind="teguran_1", opd=dpupr, addressed_to=dpupr,
                           complaints=overdue, now=now)
    session.commit()
    assert letter.number == "800/1/DPUPR/2026"
    assert letter.complaint_ids == [c.id for c in overdue]
    pdf = tmp_path / "surat.pdf"
    pdf.write_bytes(letter.pdf)

    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")], check=True, timeout=60)
    page = Image.open(tmp_path / "page-1.png").convert("L")
    dark = sum(page.histogram()[:128])
    assert dark > 0.01 * page.width * page.height, "the rendered page is blank"
    top_left = page.crop((0, 0, page.width // 4, page.height // 8))
    assert sum(top_left.histogram()[:200]) > 50, "the logo is missing from the kop surat"

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    for complaint in overdue:
        assert complaint.tracking_code in text
    for expected in ("PEMERINTAH KABUPATEN BLITAR", "SEKRETARIAT DAERAH", "800/1/DPUPR/2026", "23 November 2026",
                     "Kepala Dinas PUPR", "Teguran Pertama", "SEKRETARIS DAERAH", "Drs. Izul Marom",
                     "Jalan rusak nomor 0"):
        assert expected in text, expected
    assert "Jalan rusak nomor 2" not in text and "(dirahasiakan)" in text  # rahasia content stays hidden
    # received Mon 16 Nov, due end of Thu 19 Nov: on Mon 23 Nov it is 2 working days overdue (Fri, Mon)
    row = next(line for line in text.splitlines() if overdue[0].tracking_code in line)
    assert row.split()[-2:] == ["5", "2"]


def test_letter_numbers_count_up_within_a_year_and_restart_in_the_next(session, settings, overdue, tmp_path):
    dpupr, setda = (session.exec(select(Opd).where(Opd.code == code)).one() for code in ("DPUPR", "SETDA"))
    missing_logo = settings.model_copy(update={"pemda_logo_path": str(tmp_path / "nope.png")})
    numbers = []
    for when in (datetime(2026, 11, 23, 3, tzinfo=UTC), datetime(2026, 11, 24, 3, tzinfo=UTC),
                 datetime(2027, 1, 4, 3, tzinfo=UTC)):
        letter = create_letter(session, missing_logo, cal, kind="eskalasi", opd=dpupr, addressed_to=setda,
                               complaints=overdue[:1], now=when, cc=["Kepala Dinas PUPR"], escalation=True)
        numbers.append(letter.number)
    assert numbers == ["800/1/DPUPR/2026", "800/2/DPUPR/2026", "800/1/DPUPR/2027"]
    assert letter.pdf.startswith(b"%PDF")
