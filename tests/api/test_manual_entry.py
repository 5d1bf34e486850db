"""Manual entry: one complaint typed by a petugas, batch uploads from the template, LAPOR! hand-back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import func, select

from core.intake.manual_entry import COLUMNS
from core.runtime.settings import get_settings
from models import Category, Complaint, ComplaintEvent, RawRecord
from tests import hostile_files
from tests.conftest import backend_name
from tests.factories import add_complaint

URL = "/api/v1/complaints"
PLACES = [("Kanigoro", "Gogodeso"), ("Wlingi", None), ("Garum", "Sidodadi"), ("Bakung", "Lorejo")]
CATEGORIES = ["INFRA-JALAN", "LINGKUNGAN-SAMPAH", "ADMINDUK-KTP", "KESEHATAN", "INFRA-PJU"]


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def petugas(client, key_for):
    return key_for("analyst")


def entry(**kw):
    base = {"title": "Lampu jalan mati di Jl. Kenanga", "body": "Sudah seminggu gelap, rawan kecelakaan.",
            "category": "INFRA-PJU", "kecamatan": "Kanigoro", "desa": "Gogodeso",
            "reporter_name": "Slamet Riyadi", "reporter_contact": "081233344455"}
    return {**base, **kw}


# --- one complaint -------------------------------------------------------------------------------

def test_a_typed_complaint_is_created_with_its_category_opd(client, session, petugas):
    response = client.post(URL, json=entry(received_at="2026-11-23T09:15:00+07:00"), headers=petugas)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["channel"] == "manual" and body["tracking_code"].startswith("MNL-")
    assert (body["category_code"], body["opd_code"]) == ("INFRA-PJU", "DISHUB")
    assert body["received_at"].startswith("2026-11-23T02:15")
    assert body["reporter_contact"] is None  # analysts never see contacts (same rule as GET /complaints)
    created = session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == body["id"])).first()
    assert created.actor.startswith("petugas:")
    assert session.exec(select(RawRecord)).one().payload["title"] == "Lampu jalan mati di Jl. Kenanga"


@pytest.mark.parametrize("change, field, words", [
    ({"category": "JALAN-RUSAK"}, "category", "kategori 'JALAN-RUSAK' tidak dikenal"),
    ({"opd": "DINAS-X"}, "opd", "OPD 'DINAS-X' tidak dikenal"),
    ({"kecamatan": "Atlantis"}, "kecamatan", "tidak ada di kabupaten"),
    ({"desa": "Sidodadi"}, "desa", "tidak ada di kecamatan Kanigoro"),
    ({"reporter_contact": "telepon saya"}, "reporter_contact", "nomor telepon"),
    ({"received_at": "2099-01-01T00:00:00"}, "received_at", "masa depan"),
    ({"channel": "lapor"}, "channel", "tidak bisa dipakai"),
])
def test_invalid_fields_are_named_in_a_422(client, session, petugas, change, field, words):
    response = client.post(URL, json=entry(**change), headers=petugas)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", field]
    assert words in detail[0]["msg"]
    assert count(session, Complaint) == 0


def test_schema_errors_name_the_field_too(client, petugas):
    short = client.post(URL, json=entry(title="Ok"), headers=petugas)
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "title"]
    typo = client.post(URL, json=entry(judul="x"), headers=petugas)
    assert typo.status_code == 422 and typo.json()["detail"][0]["loc"] == ["body", "judul"]


def test_roles(client, key_for):
    assert client.post(URL, json=entry()).status_code == 401
    assert client.post(URL, json=entry(), headers=key_for("viewer")).status_code == 403
    desk = client.post(URL, json=entry(category=None), headers=key_for("opd_admin", "DPUPR"))
    assert desk.status_code == 201 and desk.json()["opd_code"] == "DPUPR"
    admin = client.post(URL, json=entry(title="Sampah di pasar Wlingi"), headers=key_for("admin"))
    assert admin.json()["reporter_contact"] == "081233344455"
    hidden = client.post(URL, json=entry(title="Pungli di kantor desa", anonim=True), headers=key_for("analyst"))
    assert hidden.status_code == 201
    assert (hidden.json()["reporter_name"], hidden.json()["reporter_contact"]) == (None, None)


def test_a_double_click_with_the_same_idempotency_key_makes_one_complaint(client, session, petugas):
    headers = {**petugas, "Idempotency-Key": "form-7f3a"}
    first = client.post(URL, json=entry(), headers=headers)
    second = client.post(URL, json=entry(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert count(session, Complaint) == 1
    reused = client.post(URL, json=entry(title="Aduan lain sama sekali"), headers=headers)
    assert reused.status_code == 409 and first.json()["tracking_code"] in reused.json()["detail"]
    other = client.post(URL, json=entry(), headers={**petugas, "Idempotency-Key": "form-8b21"})
    assert other.status_code == 201 and count(session, Complaint) == 2


def test_a_register_number_also_prevents_duplicates(client, session, petugas):
    first = client.post(URL, json=entry(reference="AG/2026/0117"), headers=petugas)
    again = client.post(URL, json=entry(reference="AG/2026/0117"), headers=petugas)
    assert (first.status_code, again.status_code) == (201, 200)
    assert client.post(URL, json=entry(reference="AG/2026/0117", body="lain"), headers=petugas).status_code == 409
    assert count(session, Complaint) == 1


# --- batch upload --------------------------------------------------------------------------------

def good_row(i: int) -> dict[str, str]:
    kec, desa = PLACES[i % len(PLACES)]
    return {"judul": f"Aduan warga nomor {i}: saluran tersumbat", "isi": f"Rincian aduan ke-{i} dari loket.",
            "tanggal_diterima": f"{(i % 20) + 1} November 2026 09:{i % 60:02d}", "kanal": "manual",
            "klasifikasi": "pengaduan", "kategori": CATEGORIES[i % len(CATEGORIES)], "opd_tujuan": "",
            "kecamatan": kec, "desa": desa or "", "lokasi": f"RT {i % 9 + 1} RW 2", "nama_pelapor": f"Warga {i}",
            "kontak_pelapor": f"0812{i:08d}", "rahasia": "tidak", "anonim": "ya" if i % 10 == 0 else "tidak",
            "nomor_referensi": ""}


def rows_with_three_bad(n: int = 100) -> list[dict[str, str]]:
    rows = [good_row(i) for i in range(n)]
    rows[4]["kategori"] = "TIDAK-ADA"  # row 6 in the sheet (header + example row first)
    rows[40]["tanggal_diterima"] = "31 Juni 2026 10:00"
    rows[77]["judul"] = ""
    return rows


def as_csv(rows: list[dict], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def fill_template(client, headers, rows: list[dict]) -> bytes:
    """What a petugas does: download the template, type rows below the example, save."""
    wb = load_workbook(io.BytesIO(client.get(f"{URL}/import/template.xlsx", headers=headers).content))
    sheet = wb["Aduan"]
    for r in rows:
        sheet.append([r[c] for c in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, headers, content: bytes, name: str = "aduan.xlsx", partial: bool = False):
    return client.post(f"{URL}/import", params={"partial": partial} if partial else None, headers=headers,
                       files={"file": (name, content, "application/octet-stream")})


def test_template_has_header_example_and_dropdown_lists(client, petugas):
    response = client.get(f"{URL}/import/template.xlsx", headers=petugas)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Aduan", "Daftar", "Petunjuk"]
    sheet = wb["Aduan"]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert sheet["O2"].value == "CONTOH" and sheet["A2"].value
    validated = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    letters = {c: chr(ord("A") + i) for i, c in enumerate(COLUMNS)}
    for column in ("kanal", "klasifikasi", "kategori", "opd_tujuan", "kecamatan", "rahasia", "anonim"):
        assert letters[column] in validated, column
        assert validated[letters[column]].startswith("'Daftar'!$")
    lists = {col[0].value: [c.value for c in col[1:] if c.value] for col in wb["Daftar"].iter_cols()}
    assert "INFRA-JALAN" in lists["kategori"] and "DPUPR" in lists["opd_tujuan"]
    assert "Kanigoro" in lists["kecamatan"] and lists["kanal"][0] == "manual"


def test_a_filled_template_of_100_rows_is_imported(client, session, petugas):
    response = upload(client, petugas, fill_template(client, petugas, [good_row(i) for i in range(100)]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows"], body["written"], body["errors"]) == (100, 100, [])
    assert count(session, Complaint) == 100
    assert body["complaints"][0]["row"] == 3  # row 2 is the example
    again = upload(client, petugas, fill_template(client, petugas, [good_row(i) for i in range(100)]))
    assert (again.json()["written"], again.json()["unchanged"]) == (0, 100)
    assert count(session, Complaint) == 100


def test_101_rows_are_rejected_with_a_clear_message(client, session, petugas):
    response = upload(client, petugas, as_csv([good_row(i) for i in range(101)]), "aduan.csv")
    assert response.status_code == 422
    message = response.json()["detail"]["message"]
    assert "101 baris" in message and "maksimal 100" in message
    assert count(session, Complaint) == count(session, RawRecord) == 0


def test_three_bad_rows_block_the_batch_by_default(client, session, petugas):
    response = upload(client, petugas, fill_template(client, petugas, rows_with_three_bad()))
    assert response.status_code == 422
    report = response.json()["detail"]
    assert (report["rows"], report["valid"], report["committed"]) == (100, 97, False)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [
        (7, "kategori"), (43, "tanggal_diterima"), (80, "judul")]
    assert "tidak dikenal" in report["errors"][0]["message"]
    assert "tidak ada di kalender" in report["errors"][1]["message"]
    assert report["errors"][2]["message"] == "wajib diisi"
    assert "tidak ada aduan yang disimpan" in report["message"]
    assert count(session, Complaint) == count(session, RawRecord) == count(session, ComplaintEvent) == 0


def test_partial_writes_the_97_good_rows_and_reports_the_rest(client, session, petugas):
    response = upload(client, petugas, as_csv(rows_with_three_bad(), delimiter=";"), "aduan.csv", partial=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["written"], report["committed"]) == (97, True)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [
        (6, "kategori"), (42, "tanggal_diterima"), (79, "judul")]  # CSV: no example row
    assert count(session, Complaint) == 97


def test_partial_with_no_good_row_writes_nothing_and_says_so(client, session, petugas):
    rows = [good_row(1) | {"kategori": "X"}, good_row(2) | {"kecamatan": "Y"}]
    response = upload(client, petugas, as_csv(rows), "aduan.csv", partial=True)
    assert response.status_code == 422 and response.json()["detail"]["committed"] is False
    assert count(session, Complaint) == 0


def test_duplicate_rows_within_one_file_are_reported(client, session, petugas):
    rows = [good_row(1), good_row(2), good_row(1)]
    report = upload(client, petugas, as_csv(rows), "aduan.csv").json()["detail"]
    assert report["errors"] == [{"row": 4, "column": "judul", "message": "baris ini sama dengan baris 2"}]


def workbook_bytes(build) -> bytes:
    wb = Workbook()
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_formulas_wrong_sheet_wrong_header_and_wrong_type_are_clear_errors(client, session, petugas):
    with_formula = fill_template(client, petugas, [good_row(1), good_row(2)])
    wb = load_workbook(io.BytesIO(with_formula))
    wb["Aduan"]["B4"] = '=CONCATENATE("Isi ", A3)'
    out = io.BytesIO()
    wb.save(out)
    response = upload(client, petugas, out.getvalue())
    assert response.status_code == 422 and "rumus di sel B4" in response.json()["detail"]["message"]

    def two_sheets(wb):
        wb.active.title = "Sheet1"
        wb.active.append(list(COLUMNS))
        wb.create_sheet("Lain")

    wrong_sheet = upload(client, petugas, workbook_bytes(two_sheets)).json()["detail"]["message"]
    assert "Lembar 'Aduan' tidak ditemukan" in wrong_sheet and "Sheet1, Lain" in wrong_sheet

    def old_header(wb):
        wb.active.append(["Judul Laporan", "Isi Laporan", "Tanggal"])
        wb.active.append(["a", "b", "c"])

    header = upload(client, petugas, workbook_bytes(old_header)).json()["detail"]["message"]
    assert "kolom wajib tidak ada: judul, isi" in header and "kolom tidak dikenal: judul_laporan" in header

    assert upload(client, petugas, b"%PDF-1.7 binary", "aduan.pdf").status_code == 415
    assert upload(client, petugas, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "aduan.xlsx").status_code == 415
    assert upload(client, petugas, b"PK\x03\x04 not really a zip", "aduan.xlsx").status_code == 415
    assert upload(client, petugas, b"", "aduan.csv").status_code == 422
    assert count(session, Complaint) == 0


def test_upload_needs_a_petugas_role(client, key_for):
    content = as_csv([good_row(1)])
    assert upload(client, key_for("viewer"), content, "a.csv").status_code == 403
    assert client.get(f"{URL}/import/template.xlsx").status_code == 401


# --- hostile uploads -----------------------------------------------------------------------------

def assert_refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["detail"]["errors"] == []
    assert words in response.json()["detail"]["message"]


@pytest.mark.timeout(60)  # before the archive check this upload held the server for minutes
def test_a_decompression_bomb_is_refused_at_once_and_nothing_is_written(client, session, petugas):
    bomb = hostile_files.decompression_bomb(inflated_mb=300)
    response = upload(client, petugas, bomb)  # the timeout mark is the guard: timings are for bench/
    assert_refused(response, 422, "bom dekompresi")
    assert count(session, Complaint) == count(session, RawRecord) == 0


def test_thousands_of_rows_stop_at_the_row_limit_with_the_usual_message(client, session, petugas):
    content = fill_template(client, petugas, [good_row(i) for i in range(101)])  # + the example row
    assert_refused(upload(client, petugas, content), 422, "lebih dari 100 baris aduan; maksimal 100 per unggahan")
    rows = b"".join(hostile_files.row(f"Jalan rusak nomor {i}", f"Berlubang {i * 7919}") for i in range(50_000))
    huge = hostile_files.xlsx(hostile_files.SHEET_HEAD + hostile_files.row("judul", "isi") + rows)
    assert_refused(upload(client, petugas, huge), 422, "lebih dari 100 baris aduan")
    assert count(session, Complaint) == 0


def test_a_slow_sheet_is_refused_at_the_time_limit(client, session, petugas, monkeypatch):
    monkeypatch.setenv("ADUAN_UPLOAD_PARSE_SECONDS", "0.2")
    get_settings.cache_clear()
    assert_refused(upload(client, petugas, hostile_files.slow_sheet(rows=100, columns=2000)), 422,
                   "tidak selesai dibaca dalam 0.2 detik")
    assert count(session, Complaint) == 0


def test_a_file_over_5_mb_is_a_413_in_the_same_shape(client, session, petugas):
    big = as_csv([good_row(1)]) + b"," * (5 * 2**20)
    assert_refused(upload(client, petugas, big, "aduan.csv"), 413, "Berkas lebih dari 5 MB")


def test_a_body_far_over_the_upload_limit_is_refused_before_it_is_read(client, petugas):
    response = upload(client, petugas, b"judul,isi\n" + b"a" * (20 * 2**20), "aduan.csv")
    assert_refused(response, 413, "Isi permintaan lebih dari 5 MB")


# --- LAPOR! hand-back ----------------------------------------------------------------------------

def test_handback_exports_non_lapor_complaints_in_batches_of_100(client, session, key_for):
    for i in range(150):
        add_complaint(session, "whatsapp", f"62811{i:07d}:wamid.{i}", title=f"Aduan WhatsApp {i}",
                      received_at=datetime(2026, 11, 2, 1, i % 60, i % 60, tzinfo=UTC),
                      reporter_contact=f"62811{i:07d}", reporter_name=f"Pelapor {i}",
                      anonim=i == 3, body="=HYPERLINK(\"http://contoh\")" if i == 0 else "isi")
    add_complaint(session, "lapor", "LPR-1", title="Sudah di LAPOR!")
    admin = key_for("admin")
    response = client.get("/api/v1/export/lapor-manual.xlsx", params={"channel": "whatsapp"}, headers=admin)
    assert response.status_code == 200
    assert (response.headers["x-total-rows"], response.headers["x-total-batches"]) == ("150", "2")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Batch 1", "Batch 2"]
    assert [c.value for c in wb["Batch 1"][1]] == list(COLUMNS)
    assert (wb["Batch 1"].max_row, wb["Batch 2"].max_row) == (101, 51)
    first = dict(zip(COLUMNS, [c.value for c in wb["Batch 1"][2]], strict=True))
    assert first["kanal"] == "whatsapp" and first["nomor_referensi"].startswith("WA-")
    assert first["isi"] == '=HYPERLINK("http://contoh")' and wb["Batch 1"]["B2"].data_type == "s"
    assert first["tanggal_diterima"] == "2026-11-02 08:00" and first["kategori"] == "INFRA-JALAN"

    # Handed back already: later downloads leave those out unless asked to include them.
    assert client.get("/api/v1/export/lapor-manual.xlsx", headers=admin).headers["x-total-rows"] == "0"
    again = {"include_handed_back": True}
    everything = client.get("/api/v1/export/lapor-manual.xlsx", params=again, headers=admin)
    assert everything.headers["x-total-rows"] == "150"  # the LAPOR! complaint is never handed back
    second = client.get("/api/v1/export/lapor-manual.xlsx", params={"batch": 2, **again}, headers=key_for("analyst"))
    sheet = load_workbook(io.BytesIO(second.content))["Aduan"]
    assert sheet.max_row == 51
    anonymous = [r for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert all("*" in (r[11] or "*") for r in anonymous)  # analysts get masked contacts
    assert client.get("/api/v1/export/lapor-manual.xlsx", params={"batch": 3}, headers=admin).status_code == 422
    assert client.get("/api/v1/export/lapor-manual.xlsx", params={"channel": "lapor"},
                      headers=admin).status_code == 422

    # Uploading a hand-back batch into our own system by mistake duplicates nothing.
    before = count(session, Complaint)
    mistake = upload(client, admin, second.content)
    assert mistake.status_code == 422
    refused = {e["row"] for e in mistake.json()["detail"]["errors"] if e["column"] == "nomor_referensi"}
    assert refused == set(range(2, 52))
    assert count(session, Complaint) == before


def test_handback_for_an_opd_admin_holds_only_its_opd(client, session, key_for):
    add_complaint(session, "whatsapp", "1:a", category_code="INFRA-JALAN")
    add_complaint(session, "whatsapp", "2:b", category_code="ADMINDUK-KTP")
    response = client.get("/api/v1/export/lapor-manual.xlsx", headers=key_for("opd_admin", "DISDUKCAPIL"))
    assert response.headers["x-total-rows"] == "1"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=7).value == "DISDUKCAPIL"


# --- control characters ----------------------------------------------------------------------------

def nasty(text: str) -> str:
    """`text` with characters no workbook can hold (NUL too where the database stores it)."""
    nul = "\x00" if backend_name() == "sqlite" else ""  # PostgreSQL refuses NUL in text itself
    return f"\x01{text[:5]}{nul}\x0b{text[5:]}\x1f\ufffe"


def test_control_characters_in_titles_and_names_do_not_break_the_hand_back_or_the_template(client, session,
                                                                                            key_for):
    add_complaint(session, "whatsapp", "1:a", title=nasty("Jalan rusak di pasar"), body=nasty("=1+2 mohon"),
                  reporter_name=nasty("Siti Aminah"))
    category = session.exec(select(Category).where(Category.code == "INFRA-JALAN")).one()
    category.name = nasty("Jalan rusak")
    session.add(category)
    session.commit()
    admin = key_for("admin")
    for _ in range(2):  # the same rows again: never a 500 "for good"
        # The second download: the rows the first one handed back, asked for again.
        handback = client.get("/api/v1/export/lapor-manual.xlsx", params={"include_handed_back": True},
                              headers=admin)
        assert handback.status_code == 200, handback.text
        sheet = load_workbook(io.BytesIO(handback.content))["Batch 1"]
        row = dict(zip(COLUMNS, [c.value for c in sheet[2]], strict=True))
        assert (row["judul"], row["isi"], row["nama_pelapor"]) == ("Jalan rusak di pasar", "=1+2 mohon", "Siti Aminah")
        assert sheet["B2"].data_type == "s"  # still text, not a formula
        template = client.get("/api/v1/complaints/import/template.xlsx", headers=admin)
        assert template.status_code == 200, template.text
        names = [c.value for c in load_workbook(io.BytesIO(template.content))["Daftar"]["D"]]
        assert "Jalan rusak" in names


def test_typed_text_with_control_characters_is_refused_naming_the_field(client, session, petugas):
    for field in ("title", "body", "reporter_name"):
        response = client.post(URL, json=entry(**{field: entry()[field] + "\x00\x01"}), headers=petugas)
        assert response.status_code == 422
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", field] and error["msg"] == "tidak boleh memuat karakter kendali (mis. NUL)"
    assert client.post(URL, json=entry(body="Baris satu\n\tBaris dua\r\n"), headers=petugas).status_code == 201


def test_an_uploaded_row_with_control_characters_is_a_row_error(client, session, petugas):
    rows = [good_row(1), {**good_row(2), "judul": "Judul dengan\x01 kendali"}]
    response = upload(client, petugas, as_csv(rows), "aduan.csv")
    assert response.status_code == 422
    (error,) = response.json()["detail"]["errors"]
    assert (error["row"], error["column"]) == (3, "judul") and "karakter kendali" in error["message"]
    assert count(session, Complaint) == 0
