"""The rapor over HTTP: the tertunda column, the channel filter, and an OPD admin's own rapor."""

import io

from openpyxl import load_workbook

from tests.factories import add_complaint, rapor_fixture

API = "/api/v1"
NOVEMBER = {"period_start": "2026-11-01", "period_end": "2026-11-30"}
COUNTS = ("total", "resolved", "in_progress", "postponed", "not_followed_up", "unverified")


def _mixed(session):
    rapor_fixture(session, "DINKES", resolved=5, in_progress=2, postponed=1, dispatched=3, unverified=1, prefix="l")
    rapor_fixture(session, "DINKES", resolved=1, in_progress=0, postponed=2, dispatched=1, unverified=4,
                  channel="whatsapp", prefix="w")
    rapor_fixture(session, "RSUD-SRENGAT", resolved=3, in_progress=1, postponed=1, dispatched=2, unverified=0,
                  channel="manual", prefix="c")
    add_complaint(session, "whatsapp", "rej", status="rejected", opd_code="RSUD-SRENGAT")


def _sheet(content: bytes) -> list[list]:
    return [list(row) for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)]


def test_rapor_reports_tertunda_apart_in_json_and_xlsx(client, session, key_for):
    _mixed(session)
    viewer = key_for("viewer")
    body = client.get(f"{API}/rapor", params=NOVEMBER, headers=viewer).json()
    rows = {r["opd_code"]: r for r in body["rows"]}
    assert (rows["DINKES"]["in_progress"], rows["DINKES"]["postponed"]) == (2, 3)
    assert body["total"]["postponed"] == 4 and body["total"]["opd_name"] == "Total Kabupaten Blitar"
    assert body["channel"] is None and body["opd_scoped"] is False
    cells = _sheet(client.get(f"{API}/rapor.xlsx", params=NOVEMBER, headers=viewer).content)
    header = cells[4]
    assert "Tertunda" in header and header.index("Tertunda") == header.index("Proses") + 1
    assert cells[-3][header.index("Tertunda")] == 4  # total row, then a blank row and "Dibuat pada"
    summary = client.get(f"{API}/stats/summary", headers=viewer).json()
    assert summary["by_bucket"]["tertunda"] == 4 and summary["by_bucket"]["proses"] == 3


def test_rapor_filtered_by_channel_in_json_xlsx_and_pdf(client, session, key_for):
    _mixed(session)
    viewer = key_for("viewer")
    body = client.get(f"{API}/rapor", params={**NOVEMBER, "channel": "whatsapp"}, headers=viewer).json()
    assert body["channel"] == "whatsapp"
    assert [(r["opd_code"], r["total"], r["postponed"]) for r in body["rows"]] == [("DINKES", 8, 2)]
    xlsx = client.get(f"{API}/rapor.xlsx", params={**NOVEMBER, "channel": "manual"}, headers=viewer)
    assert xlsx.headers["content-disposition"] == 'attachment; filename="rapor-20261101-20261130-manual.xlsx"'
    cells = _sheet(xlsx.content)
    assert "Loket / Manual" in cells[2][0]
    assert [row[1] for row in cells[5:] if row[1]] == ["RSUD-SRENGAT"]
    pdf = client.get(f"{API}/rapor.pdf", params={**NOVEMBER, "channel": "lapor"}, headers=viewer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for path in ("rapor", "rapor.xlsx", "rapor.pdf"):
        r = client.get(f"{API}/{path}", params={**NOVEMBER, "channel": "nope"}, headers=viewer)
        assert r.status_code == 422, path
        assert r.json()["detail"][0]["loc"] == ["query", "channel"] and "kanal" in r.json()["detail"][0]["msg"]


def test_per_channel_rapor_totals_add_up_to_the_kabupaten_total(client, session, key_for):
    _mixed(session)
    viewer = key_for("viewer")
    whole = client.get(f"{API}/rapor", params=NOVEMBER, headers=viewer).json()
    channels = [c["code"] for c in client.get(f"{API}/channels", headers=viewer).json()]
    parts = [client.get(f"{API}/rapor", params={**NOVEMBER, "channel": code}, headers=viewer).json()["total"]
             for code in channels]
    assert {column: sum(p[column] for p in parts) for column in COUNTS} == {c: whole["total"][c] for c in COUNTS}
    assert whole["total"]["total"] == 12 + 8 + 7  # the rejected WhatsApp complaint is in no total


def test_an_opd_admins_rapor_ends_with_their_opd_not_the_kabupaten(client, session, login_for):
    _mixed(session)
    mine = client.get(f"{API}/rapor", params=NOVEMBER, headers=login_for("opd_admin", "RSUD-SRENGAT"))
    body = mine.json()
    assert body["opd_scoped"] is True
    assert (body["total"]["opd_code"], body["total"]["opd_name"], body["total"]["total"]) == (
        "RSUD-SRENGAT", "RSUD Srengat", 7)
    cells = _sheet(client.get(f"{API}/rapor.xlsx", params=NOVEMBER,
                              headers=login_for("opd_admin", "RSUD-SRENGAT", username="rsud2")).content)
    table = [row for row in cells[5:] if row[2]]
    assert table[-1][1:3] == ["RSUD-SRENGAT", "RSUD Srengat"] and table[-1][3] == 7
    assert not any(str(row[2] or "").startswith("Total") for row in cells)
