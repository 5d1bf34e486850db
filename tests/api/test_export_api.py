import csv
import io

from openpyxl import load_workbook

from core.reporting.export import HEADERS
from tests.factories import add_complaint

API = "/api/v1"


def test_csv_export_headers_bom_and_filters(client, session, key_for):
    add_complaint(session, "lapor", "a", opd_code="DINKES")
    add_complaint(session, "whatsapp", "b")
    r = client.get(f"{API}/export/complaints.csv?channel=whatsapp", headers=key_for("analyst"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="pengaduan-')
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS and len(rows) == 2 and rows[1][2] == "WhatsApp"
    semi = client.get(f"{API}/export/complaints.csv?delimiter=;", headers=key_for("analyst")).content
    assert semi.decode("utf-8-sig").splitlines()[0].startswith("ID;Kode Pelacakan;")


def test_xlsx_export_and_bad_filters(client, session, key_for):
    add_complaint(session, "lapor", "a", status="resolved")
    r = client.get(f"{API}/export/complaints.xlsx?status=resolved", headers=key_for("admin"))
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('.xlsx"')
    ws = load_workbook(io.BytesIO(r.content), read_only=True).active
    table = list(ws.iter_rows(values_only=True))
    assert list(table[0]) == HEADERS and table[1][12] == "Selesai"
    r = client.get(f"{API}/export/complaints.csv?opd=NOPE", headers=key_for("admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "opd"]
