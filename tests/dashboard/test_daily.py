"""The daily-work pages' pure helpers: form → API body, API answers → what the pages show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard import daily

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def test_the_form_becomes_a_manual_entry_body_without_blank_fields():
    body = daily.entry_body({"title": "  Lampu mati  ", "body": "Gelap", "classification": "pengaduan",
                             "category": "INFRA-PJU", "opd": None, "kecamatan": "Kanigoro", "desa": "",
                             "reporter_name": "", "reporter_contact": "0812 3456 789", "rahasia": True,
                             "anonim": None, "consent": True, "received_at": "2026-12-04T09:30:00"})
    assert body == {"channel": "manual", "title": "Lampu mati", "body": "Gelap", "classification": "pengaduan",
                    "category": "INFRA-PJU", "kecamatan": "Kanigoro", "reporter_contact": "0812 3456 789",
                    "received_at": "2026-12-04T09:30:00", "rahasia": True, "anonim": False}


def test_a_day_and_a_typed_time_become_the_received_time():
    assert daily.received_at(None, "") == (None, None)
    assert daily.received_at("2026-12-04", "9.30") == ("2026-12-04T09:30:00", None)
    assert daily.received_at("2026-12-04T00:00:00", "0715") == ("2026-12-04T07:15:00", None)
    assert daily.received_at("2026-12-04", "23:59") == ("2026-12-04T23:59:00", None)
    assert daily.received_at("2026-12-04", "")[1] == "isi jamnya juga, mis. 09.30"
    assert daily.received_at(None, "09.30")[1] == "pilih tanggalnya juga"
    assert "tidak dikenal" in daily.received_at("2026-12-04", "25.00")[1]


def test_field_errors_of_a_422_land_on_their_fields_in_indonesian():
    payload = [
        {"loc": ["body", "title"], "msg": "String should have at least 5 characters", "type": "string_too_short",
         "ctx": {"min_length": 5}},
        {"loc": ["body", "body"], "msg": "Field required", "type": "missing"},
        {"loc": ["body", "kecamatan"], "msg": "kecamatan 'Atlantis' tidak ada di kabupaten ini", "type": "value_error"},
        {"loc": ["body", "reporter_contact"], "msg": "String should have at most 200 characters",
         "type": "string_too_long", "ctx": {"max_length": 200}},
        {"loc": ["body", "-"], "msg": "gagal menyimpan: x", "type": "value_error"},
        {"loc": ["body", "received_at"], "msg": "Input should be a valid datetime",
         "type": "datetime_from_date_parsing"},
    ]
    assert daily.field_errors(payload) == {
        "title": "terlalu pendek (minimal 5 karakter)", "body": "wajib diisi",
        "kecamatan": "kecamatan 'Atlantis' tidak ada di kabupaten ini",
        "reporter_contact": "terlalu panjang (maksimal 200 karakter)", daily.GENERAL: "gagal menyimpan: x",
        "received_at": "tanggal dan jam tidak valid"}
    assert daily.field_errors("Idempotency-Key sudah dipakai") == {daily.GENERAL: "Idempotency-Key sudah dipakai"}
    assert daily.field_errors(None) == {}


def test_reference_lists_for_the_dropdowns():
    regions = [{"name": "Kanigoro", "desa": ["Sawentar", "Gogodeso"]}, {"name": "Garum", "desa": ["Tawangsari"]}]
    assert daily.desa_options(regions, "Kanigoro") == [{"label": "Gogodeso", "value": "Gogodeso"},
                                                       {"label": "Sawentar", "value": "Sawentar"}]
    assert daily.desa_options(regions, None) == []
    categories = [{"code": "INFRA", "name": "Infrastruktur", "parent_code": None},
                  {"code": "INFRA-PJU", "name": "Penerangan jalan umum", "parent_code": "INFRA"},
                  {"code": "AIR", "name": "Air bersih", "parent_code": None}]
    assert [o["label"] for o in daily.category_options(categories)] == [
        "Air bersih", "Infrastruktur", "Infrastruktur › Penerangan jalan umum"]
    opd = [{"code": "DPUPR", "name": "Dinas PU", "active": True},
           {"code": "LAMA", "name": "Dinas Lama", "active": False}]
    assert daily.opd_options(opd) == [{"label": "Dinas PU (DPUPR)", "value": "DPUPR"}]
    assert daily.complaint_link("MNL-1A2B") == "/jelajah?q=MNL-1A2B"


def test_an_upload_report_with_bad_rows_saves_nothing():
    answer = {"rows": 3, "valid": 1, "written": 0, "committed": False, "message": "2 dari 3 baris bermasalah; …",
              "errors": [{"row": 3, "column": "kategori", "message": "kategori 'X' tidak dikenal"},
                         {"row": 4, "column": "isi", "message": "wajib diisi"}], "complaints": []}
    report = daily.upload_report(answer, 422)
    assert report["ok"] is False and report["saved"] is False and report["message"].startswith("2 dari 3")
    assert report["errors"] == [{"row": 3, "column": "Kategori", "message": "kategori 'X' tidak dikenal"},
                                {"row": 4, "column": "Isi", "message": "wajib diisi"}]


def test_a_refused_file_and_a_good_upload():
    refused = daily.upload_report({"message": "Berkas berisi 101 baris aduan; maksimal 100", "errors": []}, 422)
    assert refused == {"ok": False, "saved": False, "message": "Berkas berisi 101 baris aduan; maksimal 100",
                       "errors": [], "created": []}
    assert daily.upload_report("file too large", 413)["message"] == "file too large"
    good = daily.upload_report({"committed": True, "message": "2 aduan baru disimpan.", "errors": [],
                                "complaints": [{"row": 2, "tracking_code": "MNL-A", "outcome": "new"},
                                               {"row": 3, "tracking_code": "MNL-B", "outcome": "unchanged"}]}, 200)
    assert good["ok"] and good["saved"]
    assert good["created"] == [{"row": 2, "code": "MNL-A", "outcome": "baru"},
                               {"row": 3, "code": "MNL-B", "outcome": "sudah ada sebelumnya"}]


def test_hand_back_query_and_what_the_page_says():
    assert daily.handback_params(["whatsapp", "call112"], "2026-11-01", None, True) == [
        ("channel", "whatsapp"), ("channel", "call112"), ("received_from", "2026-11-01"),
        ("include_handed_back", "true")]
    first = daily.handback_summary({"x-total-rows": "132", "x-total-batches": "2"},
                                   {"rows": 132, "batches": 2, "already_handed_back": 0}, False)
    assert daily.handback_sentence(first) == ("132 aduan diserahkan ke SP4N-LAPOR! dalam 2 batch "
                                              "(≤ 100 baris per batch).")
    second = daily.handback_summary({"x-total-rows": "1", "x-total-batches": "1"},
                                    {"rows": 1, "batches": 1, "already_handed_back": 132}, False)
    assert daily.handback_sentence(second) == ("1 aduan diserahkan ke SP4N-LAPOR! dalam 1 batch (≤ 100 baris per "
                                               "batch). 132 aduan sudah diserahkan sebelumnya dan tidak disertakan.")
    again = daily.handback_summary({"x-total-rows": "133"}, {"rows": 133, "already_handed_back": 133}, True)
    assert daily.handback_sentence(again).endswith("133 aduan sudah diserahkan sebelumnya dan ikut lagi dalam berkas "
                                                   "ini.")
    nothing = daily.handback_summary({"x-total-rows": "0"}, {"rows": 0, "already_handed_back": 133}, False)
    assert daily.handback_sentence(nothing).startswith("Tidak ada aduan baru")
    assert daily.handback_summary({}, None, False) == {"rows": None, "batches": None, "already": None, "include": 0}
    assert daily.preview_figures({"rows": 132, "batches": 2, "already_handed_back": 5}) == [
        ("Akan diserahkan", "132", "aduan · 2 batch"), ("Sudah diserahkan", "5", "oleh unduhan sebelumnya")]
    assert daily.preview_figures(None)[0] == ("Akan diserahkan", "–", "aduan")


def test_liaisons_who_have_not_logged_in_for_30_days_come_first():
    users = [
        {"username": "rajin", "name": "Rajin", "role": "opd_admin", "opd_code": "DPUPR", "active": True,
         "locked_until": None, "last_login_at": (NOW - timedelta(days=2)).isoformat()},
        {"username": "lama", "name": "Lama", "role": "opd_admin", "opd_code": "DINKES", "active": True,
         "locked_until": None, "last_login_at": (NOW - timedelta(days=31)).isoformat()},
        {"username": "baru", "name": "Baru", "role": "opd_admin", "opd_code": "DINSOS", "active": False,
         "locked_until": None, "last_login_at": None},
        {"username": "kunci", "name": "Kunci", "role": "opd_admin", "opd_code": "DPUPR", "active": True,
         "locked_until": (NOW + timedelta(minutes=5)).isoformat(),
         "last_login_at": (NOW - timedelta(days=1)).isoformat()},
        {"username": "analis", "name": "Analis", "role": "analyst", "opd_code": None, "active": True,
         "locked_until": None, "last_login_at": None},
    ]
    opd = [{"code": "DPUPR", "name": "Dinas PU"}, {"code": "DINKES", "name": "Dinas Kesehatan"}]
    rows = daily.liaison_rows(users, opd, NOW, JAKARTA)
    assert [r["username"] for r in rows] == ["baru", "lama", "rajin", "kunci"]  # longest without a log-in first
    assert [r["idle_flag"] for r in rows] == [True, True, False, False]
    assert rows[0]["last_login"] == "belum pernah" and rows[0]["state"] == "nonaktif" and rows[0]["opd"] == "DINSOS"
    assert rows[1]["last_login"] == "04/11/2026 10.00" and rows[1]["idle"] == "belum masuk ≥ 30 hari"
    assert rows[3]["state"] == "terkunci" and rows[2]["opd"] == "Dinas PU"
    assert [r["username"] for r in daily.liaison_rows(users, opd, NOW, JAKARTA, idle_only=True)] == ["baru", "lama"]
    assert daily.liaison_counts(rows) == "4 penghubung OPD · 2 belum masuk ≥ 30 hari · 1 nonaktif"
    assert daily.is_idle((NOW - timedelta(days=29, hours=23)).isoformat(), NOW) is False
