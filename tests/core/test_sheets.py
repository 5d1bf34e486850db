"""Text no workbook can hold (control characters, lone surrogates) never breaks a spreadsheet or PDF writer."""

import io
import os
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from core.casework.letters import LetterContent, LetterLine, render_letter_pdf
from core.reporting.export import HEADERS, write_xlsx
from core.reporting.rapor import build_rapor, rapor_pdf, rapor_xlsx
from core.runtime.sheets import cell_text, put, refuse_unwritable, sheet_row
from tests.factories import rapor_fixture, seeded

NASTY = "\x00Jalan\x01 rusak\x08\x0b\x0c\x1f\x7f di pasar\ud800\ufffe\uffff"


def test_cell_text_drops_what_xml_cannot_carry_and_keeps_the_rest():
    assert cell_text(NASTY) == "Jalan rusak\x7f di pasar"
    kept = "Baris satu\n\tBaris dua\r\nÉlok ✓ 🚧 ꦗꦮ"
    assert cell_text(kept) == kept
    assert cell_text(12) == 12 and cell_text(None) is None


@pytest.mark.parametrize("write_only", [False, True])
def test_rows_are_cleaned_and_text_never_becomes_a_formula(write_only, tmp_path):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("Aduan") if write_only else wb.active
    ws.append(sheet_row(ws, [NASTY, "=HYPERLINK(\"http://contoh\")", 3]))
    if not write_only:
        put(ws, 2, 1, "\x01=SUM(A1)")
    wb.save(tmp_path / "a.xlsx")
    sheet = load_workbook(tmp_path / "a.xlsx").worksheets[-1]
    assert [c.value for c in sheet[1]] == ["Jalan rusak\x7f di pasar", '=HYPERLINK("http://contoh")', 3]
    assert sheet["B1"].data_type == "s"
    if not write_only:
        assert sheet["A2"].value == "=SUM(A1)" and sheet["A2"].data_type == "s"


def test_refuse_unwritable_names_the_problem_in_indonesian():
    assert refuse_unwritable("Baris\nbaru\tdan tab") == "Baris\nbaru\tdan tab"
    with pytest.raises(ValueError, match="karakter kendali"):
        refuse_unwritable("Judul\x00")


def test_the_complaint_export_writes_such_text(tmp_path):
    path = str(tmp_path / "export.xlsx")
    write_xlsx(iter([[1, NASTY] + [None] * (len(HEADERS) - 2)]), path)
    row = next(load_workbook(path, read_only=True).active.iter_rows(min_row=2, values_only=True))
    assert row[:2] == (1, "Jalan rusak\x7f di pasar")
    os.unlink(path)


@pytest.fixture
def nasty_rapor(session, settings):
    rapor_fixture(seeded(session), "DINKES", resolved=2, in_progress=1, dispatched=0, unverified=0)
    rapor = build_rapor(session, settings, date(2026, 11, 1), date(2026, 11, 30))
    rapor["rows"][0]["opd_name"] = NASTY  # an OPD name typed with control characters
    return rapor


def test_the_rapor_xlsx_and_pdf_write_such_names(nasty_rapor, settings):
    sheet = load_workbook(io.BytesIO(rapor_xlsx(nasty_rapor, settings))).active
    assert "Jalan rusak\x7f di pasar" in [c.value for c in sheet["C"]]
    assert rapor_pdf(nasty_rapor, settings).startswith(b"%PDF")


def test_a_letter_renders_titles_with_such_characters(settings):
    line = LetterLine(tracking_code="WA-2026-00001", title=NASTY, received=date(2026, 11, 16),
                      due=date(2026, 11, 19), handling_day=5, days_overdue=2)
    content = LetterContent(number="800/1/DPUPR/2026", kind="teguran_1", subject="Teguran", day=date(2026, 11, 23),
                            opd_name=NASTY, addressee="Kepala Dinas PUPR", lines=[line],
                            cc=[NASTY])
    assert render_letter_pdf(content, settings).startswith(b"%PDF")
