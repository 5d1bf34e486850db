import csv
import io
import zipfile
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from core.identity.access import Access
from core.reporting.export import HEADERS, iter_csv, iter_rows, write_xlsx
from core.reporting.filters import ComplaintFilter
from models import Role
from tests.factories import add_complaint, seeded

TZ = ZoneInfo("Asia/Jakarta")


def rows(session, engine, access=Access(Role.admin), **filters):
    return iter_rows(engine, ComplaintFilter(**filters).resolve(session, TZ), access, TZ)


def test_csv_has_bom_indonesian_headers_local_times_and_no_formulas(session, engine):
    seeded(session)
    add_complaint(session, external_id="x1", title="=HYPERLINK(\"http://evil\")", reporter_name="Budi",
                  reporter_contact="+6281234", status="dispatched", opd_code="DPUPR")
    blob = b"".join(iter_csv(rows(session, engine)))
    assert blob.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(blob.decode("utf-8-sig"))))
    assert table[0] == HEADERS and table[0][:3] == ["ID", "Kode Pelacakan", "Kanal"]
    record = dict(zip(table[0], table[1], strict=True))
    assert record["Tanggal Diterima"] == "2026-11-23 09:00:00+07:00"  # 02:00 UTC shown in WIB, with its zone
    assert record["Kanal"] == "SP4N-LAPOR!"  # in words, as on the dashboard
    assert record["Judul"].startswith("'=")
    assert record["Kontak Pelapor"] == "'+6281234"
    assert record["Status"] == "Didisposisikan" and record["Kode OPD"] == "DPUPR"


def test_export_masks_like_the_list(session, engine):
    seeded(session)
    add_complaint(session, external_id="s1", rahasia=True, body="rahasia sekali", reporter_name="Siti",
                  reporter_contact="0812")
    viewer = dict(zip(HEADERS, next(rows(session, engine, Access(Role.viewer))), strict=True))
    assert viewer["Judul"] == "[Rahasia]" and viewer["Isi Pengaduan"] == ""
    assert viewer["Nama Pelapor"] is None and viewer["Kontak Pelapor"] is None
    analyst = dict(zip(HEADERS, next(rows(session, engine, Access(Role.analyst))), strict=True))
    assert analyst["Isi Pengaduan"] == "rahasia sekali" and analyst["Nama Pelapor"] == "Siti"
    assert analyst["Kontak Pelapor"] is None


def test_xlsx_is_readable_and_keeps_text_as_text(session, engine, tmp_path):
    seeded(session)
    add_complaint(session, external_id="x1", title="=1+1")
    add_complaint(session, external_id="x2", title="Lampu\x07 mati", kecamatan="Wlingi")
    path = tmp_path / "e.xlsx"
    write_xlsx(rows(session, engine), str(path))
    ws = load_workbook(path, read_only=True).active
    table = list(ws.iter_rows(values_only=True))
    assert list(table[0]) == HEADERS and len(table) == 3
    assert table[1][5] == "=1+1" and table[2][5] == "Lampu mati"
    with zipfile.ZipFile(path) as z:
        sheet = next(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert b"<f>" not in sheet  # stored as text, never as a formula
