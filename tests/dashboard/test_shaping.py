"""Pure shaping of API answers into what the pages show."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dashboard import shaping
from dashboard.shaping import CursorBook, Filters, apply_chart_click, page_rows
from tests.dashboard.api_labels import LABELS

JKT = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 14:00 WIB


def test_filters_round_trip_through_the_url():
    f = Filters(channel=("lapor", "whatsapp"), kecamatan=("Kanigoro",), received_from="2026-11-01", q="jalan rusak",
                overdue=True)
    query = f.to_query()
    assert query.startswith("?channel=lapor&channel=whatsapp")
    assert Filters.from_query(query) == f
    assert Filters.from_query("") == Filters() and Filters().to_query() == ""


def test_filters_from_dash_page_kwargs_and_bad_dates():
    # dash pages hands query params as str (one value) or list (repeated)
    f = Filters.from_query({"channel": ["lapor", "whatsapp"], "opd": "DPUPR", "received_from": "kemarin"})
    assert f.channel == ("lapor", "whatsapp") and f.opd == ("DPUPR",) and f.received_from is None


def test_filters_params_match_the_api_names():
    f = Filters.from_inputs(channel=["call112"], status=["dispatched"], received_to="2026-11-30T00:00:00", q="  ")
    assert f.params() == [("channel", "call112"), ("status", "dispatched"), ("received_to", "2026-11-30")]
    assert f.key() == Filters.from_dict(f.to_dict()).key()


def test_clicking_a_bar_sets_that_filter():
    f = Filters(channel=("lapor",), q="jalan")
    clicked = apply_chart_click(f, "category", {"points": [{"y": "Jalan rusak", "customdata": "INFRA-JALAN"}]})
    assert clicked.category == ("INFRA-JALAN",) and clicked.channel == ("lapor",) and clicked.q == "jalan"
    on_map = apply_chart_click(f, "kecamatan", {"points": [{"x": 112.2, "y": -8.1, "customdata": "Talun"}]})
    assert on_map.kecamatan == ("Talun",)


def test_clicking_a_day_on_the_trend_narrows_the_period():
    f = apply_chart_click(Filters(), "trend", {"points": [{"x": "2026-11-20", "customdata": "2026-11-20"}]})
    assert (f.received_from, f.received_to) == ("2026-11-20", "2026-11-20")


def test_click_without_points_changes_nothing():
    assert apply_chart_click(Filters(q="x"), "channel", None) == Filters(q="x")
    assert apply_chart_click(Filters(q="x"), "channel", {"points": []}) == Filters(q="x")


def test_times_are_shown_in_jakarta():
    assert shaping.local_time("2026-11-23T02:00:00Z", JKT) == "23/11/2026 09.00"
    assert shaping.local_time("2026-11-23T02:00:00", JKT, "%H:%M") == "09:00"  # naive = UTC
    assert shaping.local_time(None, JKT) == "–"
    assert shaping.long_date(date(2026, 11, 23)) == "Senin, 23 November 2026"


def test_indonesian_number_formats():
    assert shaping.fmt_int(1234567) == "1.234.567"
    assert shaping.fmt_pct(68.3) == "68,3 %"
    assert shaping.fmt_days(15.6) == "15,6 hari"
    assert shaping.fmt_pct(None) == "–"


def test_wall_kpis_from_summary():
    kpis = shaping.wall_kpis({"new_today": 3, "new_this_month": 41, "open": 13, "overdue": 4,
                              "completion_pct": 68.3, "avg_followup_days": 2.4})
    assert [k.value for k in kpis] == ["3", "41", "13", "4", "68,3 %", "2,4 hari"]
    assert kpis[3].tone == "danger" and kpis[4].tone == "danger"
    # Each figure says what it covers: unlike the rapor (a complete month, rejected ones left out).
    hints = {k.label: k.hint for k in kpis}
    assert "bulan berjalan" in hints["Bulan ini"] and "termasuk ditolak" in hints["Bulan ini"]
    assert "semua periode" in hints["Penyelesaian"] and "tanpa ditolak" in hints["Penyelesaian"]


def test_fresh_data_is_not_stale_and_shows_as_of_in_wib():
    summary = {"latest_received_at": "2026-11-23T06:30:00Z", "generated_at": "2026-11-23T07:00:00Z"}
    s = shaping.staleness(summary, [{"name": "lapor", "status": "ok"}], NOW, 120, JKT)
    assert not s.stale and s.as_of == "Data per 14.00 WIB"


def test_old_data_or_failing_connector_is_stale():
    old = {"latest_received_at": "2026-11-23T01:00:00Z", "generated_at": "2026-11-23T07:00:00Z"}
    s = shaping.staleness(old, [], NOW, 120, JKT)
    assert s.stale and "6 jam" in s.reasons[0]
    fresh = {"latest_received_at": "2026-11-23T06:59:00Z"}
    s = shaping.staleness(fresh, [{"name": "gmaps", "status": "error", "last_error": "429"},
                                  {"name": "off", "status": "error", "enabled": False}], NOW, 120, JKT)
    assert s.stale and len(s.reasons) == 1 and "gmaps" in s.reasons[0]
    assert shaping.staleness(None, None, NOW, 120, JKT).stale


def test_slowest_opd_orders_by_follow_up_days_then_overdue():
    items = [{"key": "A", "total": 5, "avg_followup_days": 2.0, "overdue": 0},
             {"key": "B", "total": 5, "avg_followup_days": 9.5, "overdue": 1},
             {"key": "C", "total": 5, "avg_followup_days": 9.5, "overdue": 4},
             {"key": "D", "total": 5, "avg_followup_days": None, "overdue": 9},
             {"key": "E", "total": 0, "avg_followup_days": 99.0}]
    assert [i["key"] for i in shaping.slowest_opd(items, 3)] == ["C", "B", "A"]


def test_channel_tiles_include_quiet_channels_busiest_first():
    channels = [{"code": "lapor", "label": "SP4N-LAPOR!"}, {"code": "whatsapp", "label": "WhatsApp"},
                {"code": "call112", "label": "112"}]
    by_channel = [{"key": "whatsapp", "total": 9, "open": 2}, {"key": "lapor", "total": 4, "open": 1}]
    tiles = shaping.channel_tiles(channels, by_channel, {"whatsapp": [{"period": "2026-11-22", "total": 9}]})
    assert [(t["code"], t["total"]) for t in tiles] == [("whatsapp", 9), ("lapor", 4), ("call112", 0)]
    assert tiles[0]["series"] == [9]


def test_fill_days_adds_zero_days():
    out = shaping.fill_days([{"period": "2026-11-21", "total": 2, "resolved": 1}], "2026-11-20", "2026-11-22")
    assert [(p["period"], p["total"]) for p in out] == [("2026-11-20", 0), ("2026-11-21", 2), ("2026-11-22", 0)]


def test_rapor_rows_link_to_the_opd_page_and_keep_numbers():
    rapor = {"rows": [{"opd_code": "DPUPR", "opd_name": "Dinas PUPR", "total": 41, "resolved": 28,
                       "completion_pct": 68.3}], "total": {"opd_code": None, "total": 41}}
    rows = shaping.rapor_rows(rapor)
    assert rows[0]["opd_link"] == "[Dinas PUPR](/opd/DPUPR)" and rows[0]["completion_pct"] == 68.3
    assert shaping.rapor_total_row(rapor)[0]["opd_name"] == "Total kabupaten"
    named = {**rapor, "total": {"opd_code": None, "opd_name": "Total Kabupaten Blitar", "total": 41}}
    assert shaping.rapor_total_row(named)[0]["opd_link"] == "**Total Kabupaten Blitar**"


def test_an_opd_scoped_rapor_has_no_kabupaten_total_row():
    own = {"opd_code": "DPUPR", "opd_name": "Dinas PUPR", "total": 0, "resolved": 0, "completion_pct": None}
    rapor = {"opd_scoped": True, "rows": [], "total": own}
    assert shaping.rapor_total_row(rapor) == []
    assert [r["opd_link"] for r in shaping.rapor_rows(rapor)] == ["[Dinas PUPR](/opd/DPUPR)"]
    assert shaping.completion_tone(68.3) == "danger" and shaping.completion_tone(100) == "success"


def test_timeline_is_chronological_with_indonesian_labels():
    detail = {"events": [
        {"at": "2026-11-23T05:00:00Z", "kind": "message_out", "actor": "DPUPR", "note": "Sudah dijadwalkan"},
        {"at": "2026-11-23T02:00:00Z", "kind": "created", "actor": "system", "to_status": "unverified"},
        {"at": "2026-11-23T03:00:00Z", "kind": "status", "from_status": "unverified", "to_status": "dispatched"},
    ]}
    rows = shaping.timeline(detail, JKT, LABELS)
    assert [r["title"] for r in rows] == ["Diterima", "Belum diverifikasi → Didisposisikan", "Tindak lanjut"]
    assert rows[0]["when"] == "23/11/2026 09.00" and rows[2]["note"] == "Sudah dijadwalkan"


def test_grid_row_translates_codes():
    row = shaping.grid_row({"id": 7, "channel": "call112", "status": "in_progress", "overdue": True,
                            "received_at": "2026-11-23T02:00:00Z", "opd_name": "BPBD"}, JKT, LABELS)
    assert row["channel"] == "Call Center 112" and row["status"] == "Ditindaklanjuti" and row["overdue"] == "Ya"


def _cursor_api(total: int):
    calls = []

    def fetch(cursor, limit):
        start = int(cursor or 0)
        calls.append((start, limit))
        end = min(total, start + limit)
        return list(range(start, end)), (str(end) if end < total else None)

    return fetch, calls


def test_page_rows_walks_the_cursor_block_by_block():
    fetch, calls = _cursor_api(120)
    book = CursorBook()
    assert page_rows(fetch, book, "k", 0, 50) == (list(range(50)), None)
    assert page_rows(fetch, book, "k", 50, 100) == (list(range(50, 100)), None)
    rows, total = page_rows(fetch, book, "k", 100, 150)
    assert rows == list(range(100, 120)) and total == 120
    assert calls == [(0, 50), (50, 50), (100, 50)]  # each block once, straight from its cursor


def test_page_rows_jumping_ahead_walks_from_the_nearest_cursor():
    fetch, calls = _cursor_api(500)
    book = CursorBook()
    rows, total = page_rows(fetch, book, "k", 200, 250)
    assert rows == list(range(200, 250)) and total is None
    assert calls[-1] == (200, 50)
    rows, total = page_rows(fetch, book, "other", 600, 650)
    assert rows == [] and total == 500


def test_connector_rows_and_sync_message():
    rows = shaping.connector_rows([{"name": "gmaps", "channel": "google_reviews", "status": "error", "enabled": True,
                                    "last_success_at": "2026-11-23T04:00:00Z", "lag_seconds": 10800,
                                    "fetched_total": 1200, "last_error": "429", "inbox_failed": 2}], NOW, JKT,
                                  LABELS)
    assert rows[0]["status"] == "Galat" and rows[0]["tone"] == "danger"
    assert rows[0]["last_success"] == "23/11/2026 11.00" and rows[0]["last_success_ago"] == "3 jam lalu"
    assert rows[0]["lag"] == "3 jam" and rows[0]["fetched"] == "1.200"
    assert rows[0]["can_sync"] is False  # no role known: no button
    admin_rows = shaping.connector_rows([{"name": "lapor", "pullable": True, "enabled": True},
                                         {"name": "whatsapp", "pullable": False, "enabled": True},
                                         {"name": "lama", "pullable": True, "enabled": False}], NOW, JKT, LABELS,
                                        "admin")
    assert [r["can_sync"] for r in admin_rows] == [True, False, False]
    assert not any(r["can_sync"] for r in shaping.connector_rows([{"name": "lapor", "pullable": True}], NOW, JKT,
                                                                 LABELS, "analyst"))
    tone, text = shaping.sync_message("lapor", {"fetched": 10, "new": 2, "updated": 1, "failed": 0, "duration_s": 1.5})
    assert tone == "success" and "2 baru" in text
    assert shaping.sync_message("lapor", {"error": "token kedaluwarsa"})[0] == "danger"


def test_kanal_helpers():
    assert shaping.status_mix({"resolved": 3, "unverified": 1, "archived": 0}, LABELS)[0][:3] == ("unverified",
                                                                                        "Belum diverifikasi", 1)
    assert shaping.calls_by_type({"items": [{"day": "2026-11-22", "call_type": "prank", "count": 3}]}) == {
        "prank": {"2026-11-22": 3}}
    assert shaping.rating_rows({"distribution": {"1": 4, "5": 9}})[0] == ("1 ★", 4)
    assert shaping.month_range(date(2026, 2, 10)) == ("2026-02-01", "2026-02-28")


def test_quiet_extra_channels_give_way_on_the_wall():
    channels = [{"code": c, "label": c} for c in ("a", "b", "c", "d", "e", "open311")]
    tiles = shaping.channel_tiles(channels, [{"key": "a", "total": 3}], {})
    assert [t["code"] for t in tiles] == ["a", "b", "c", "d", "e"]


def test_connector_kpis_flag_failures():
    kpis = shaping.connector_kpis([
        {"name": "lapor", "enabled": True, "status": "ok", "lag_seconds": 300,
         "last_success_at": "2026-11-23T06:55:00Z"},
        {"name": "gmaps", "enabled": True, "status": "error", "lag_seconds": 7200, "inbox_failed": 2},
        {"name": "old", "enabled": False, "status": "error"}], NOW)
    values = {k.label: (k.value, k.tone) for k in kpis}
    assert values["Konektor aktif"][0] == "2 / 3"
    assert values["Galat"] == ("1", "danger")
    assert values["Inbox gagal normalisasi"] == ("2", "warning")
    assert values["Keterlambatan terbesar"][0] == "2 jam"
    assert values["Sinkron terakhir"][0] == "5 menit lalu"


def test_audit_rows_name_the_person_and_translate_the_outcome():
    rows = shaping.audit_rows([{"id": 9, "at": "2026-11-23T01:02:03Z", "actor": "user:4", "actor_name": "Sekar",
                                "role": "analyst", "action": "auth.login", "target": None, "outcome": "denied",
                                "status_code": 423, "ip": "10.1.2.3", "message": "locked"}], ZoneInfo("Asia/Jakarta"))
    assert rows[0]["at"] == "23/11/2026 08.02.03" and rows[0]["actor"] == "Sekar (user:4)"
    assert (rows[0]["outcome"], rows[0]["outcome_code"], rows[0]["target"]) == ("Ditolak", "denied", "–")


def test_connector_rows_list_failed_write_backs_with_the_reason_and_the_panel_names_the_lapor_source():
    [row] = shaping.connector_rows([{
        "name": "lapor1", "channel": "lapor", "status": "ok", "enabled": True, "writeback_pending": 2,
        "writeback_failed": [{"complaint_id": 7, "tracking_code": "LPR-ABC", "action": "postpone",
                              "error": "ditolak SP4N-LAPOR!: status laporan Selesai", "at": "2026-11-23T04:00:00Z"}],
    }], NOW, JKT, LABELS)
    assert row["writeback_pending"] == 2
    assert row["writeback_failed"] == ["LPR-ABC · tunda: ditolak SP4N-LAPOR!: status laporan Selesai "
                                       "(23/11/2026 11.00 WIB)"]
    facts = dict(shaping.detail_facts({"channel": "lapor", "source_channel": "sms", "status": "dispatched"}, JKT,
                                      LABELS))
    assert facts["Kanal"].endswith("· SMS 1708")
