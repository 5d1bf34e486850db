"""Pure shaping of the Verifikasi queue: SLA clocks, one-click suggestion pairs, places, photos, bulk refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard import queue
from dashboard.shaping import Labels

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
CATEGORIES = [{"code": "INFRA-JALAN", "name": "Jalan rusak", "default_opd_code": "DPUPR"},
              {"code": "ADMINDUK", "name": "Administrasi Kependudukan", "default_opd_code": "DISDUKCAPIL"},
              {"code": "PJU", "name": "Penerangan jalan umum", "default_opd_code": "DISHUB"}]


def test_the_clock_counts_down_to_the_response_deadline_and_turns_red_when_past():
    assert queue.sla_clock((NOW + timedelta(days=2, hours=4, minutes=5)).isoformat(), NOW) == \
        ("sisa 2 hari 4 jam", "green")
    assert queue.sla_clock(NOW + timedelta(hours=5, minutes=12), NOW) == ("sisa 5 jam 12 menit", "yellow")
    assert queue.sla_clock(NOW + timedelta(minutes=12, seconds=30), NOW) == ("sisa 12 menit", "yellow")
    assert queue.sla_clock(NOW - timedelta(days=1, hours=3), NOW) == ("lewat 1 hari 3 jam", "red")
    assert queue.sla_clock(NOW - timedelta(days=3), NOW) == ("lewat 3 hari", "red")
    assert queue.sla_clock(None, NOW) == ("tanpa tenggat", "grey")


def test_suggestion_pairs_send_a_category_to_its_own_opd_when_the_model_agrees():
    suggestions = {"categories": [{"code": "ADMINDUK", "name": "Administrasi Kependudukan", "score": 0.81},
                                  {"code": "INFRA-JALAN", "name": "Jalan rusak", "score": 0.11},
                                  {"code": "LAIN", "name": "Lainnya", "score": 0.03}],
                   "opds": [{"code": "DISDUKCAPIL", "name": "Dinas Dukcapil", "score": 0.77},
                            {"code": "DISKOMINFO", "name": "Diskominfo", "score": 0.12},
                            {"code": "DPUPR", "name": "Dinas PUPR", "score": 0.05}],
                   "model": {"version": 3, "trained_at": "2026-11-20T00:00:00Z", "examples": 2400}, "message": None}
    pairs = queue.suggestion_pairs(suggestions, CATEGORIES)
    assert [(p["n"], p["category_code"], p["opd_code"]) for p in pairs] == [
        (1, "ADMINDUK", "DISDUKCAPIL"), (2, "INFRA-JALAN", "DPUPR"), (3, "LAIN", "DPUPR")]
    assert queue.pair_label(pairs[0]) == "Administrasi Kependudukan (81 %) → Dinas Dukcapil (77 %)"
    assert queue.model_note(suggestions) == "Model v3 · dilatih dari 2.400 aduan berlabel"


def test_no_suggestions_below_the_minimum_say_why():
    none = {"categories": [], "opds": [], "model": None, "message": "belum cukup data"}
    assert queue.suggestion_pairs(none, CATEGORIES) == [] and queue.suggestion_pairs(None, CATEGORIES) == []
    assert queue.model_note(none) == "Saran: belum cukup data."
    assert queue.model_note(None) == "Saran belum tersedia."
    only_opd = queue.suggestion_pairs({"categories": [], "opds": [{"code": "DPUPR", "name": "PUPR", "score": .5}]}, [])
    assert only_opd[0]["category_code"] is None and queue.pair_label(only_opd[0]) == "tanpa kategori → PUPR (50 %)"


def test_place_and_photos():
    detail = {"id": 7, "desa": "Gogodeso", "kecamatan": "Kanigoro", "location_text": "Depan SDN 2",
              "media": [{"media_id": "11", "kind": "image", "mime_type": "image/png", "state": "fetched",
                         "caption": "Lubang"},
                        {"media_id": "12", "kind": "image", "mime_type": "image/jpeg", "state": "pending"},
                        {"media_id": "13", "kind": "document", "mime_type": "application/pdf", "state": "fetched"},
                        {"media_id": "14", "kind": "image", "state": "failed", "error": "sha256 tidak cocok"}]}
    assert queue.place(detail) == "Depan SDN 2 · Desa Gogodeso, Kec. Kanigoro"
    assert queue.place({"location_text": "Desa Bendowulung, Kec. Sanankulon, Kabupaten Blitar", "desa": "Bendowulung",
                        "kecamatan": "Sanankulon"}) == "Desa Bendowulung, Kec. Sanankulon, Kabupaten Blitar"
    assert queue.place({"desa": "Gogodeso", "kecamatan": "Kanigoro"}) == "Desa Gogodeso, Kec. Kanigoro"
    assert queue.place({"lat": -8.1, "lon": 112.2}) == "-8.10000, 112.20000"
    assert queue.place({}) == "lokasi belum diketahui"
    shown = queue.photos(detail)
    assert [(p["src"], p["thumbnail"]) for p in shown] == [("/media/7/11", True), (None, False),
                                                            ("/media/7/13", False), (None, False)]
    assert [queue.photo_state_text(p) for p in shown[1:]] == [
        "Foto belum diunduh dari WhatsApp", "Dokumen (buka)", "Foto gagal diunduh: sha256 tidak cocok"]


def test_duplicates_and_bulk_refusals_read_as_codes():
    labels = Labels.from_api([{"code": "lapor", "label": "SP4N-LAPOR!"}],
                             [{"code": "dispatched", "label": "Didisposisi"}])
    rows = queue.duplicate_rows([{"id": 5, "code": "LPR-1", "channel": "lapor", "score": 0.82, "status": "dispatched",
                                  "reasons": ["teks mirip 0,82", "desa sama: Gogodeso"], "title": "Jalan berlubang",
                                  "received_at": "2026-11-20T01:00:00Z"}], labels, ZoneInfo("Asia/Jakarta"), NOW)
    assert rows == [{"id": 5, "code": "LPR-1", "channel": "SP4N-LAPOR!", "title": "Jalan berlubang",
                     "status": "Didisposisi", "score": "82 %", "reasons": "teks mirip 0,82, desa sama: Gogodeso",
                     "received": "20/11/2026 08.00"}]
    payload = {"msg": "1 dari 2 pengaduan tidak dapat diproses", "errors": [{"id": 9, "msg": "status resolved"}]}
    assert queue.bulk_errors(payload, {9: "WA-9"}) == ["WA-9: status resolved"]
    assert queue.bulk_errors("teks", {}) == []
