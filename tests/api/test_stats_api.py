"""Stats and rapor endpoints return exactly the shapes the dashboard is built against."""

import io

import pytest
from openpyxl import load_workbook

from tests.factories import add_complaint, rapor_fixture

API = "/api/v1"
GROUP_KEYS = {"key", "label", "total", "open", "resolved", "overdue", "completion_pct", "avg_followup_days"}


@pytest.fixture
def viewer(client, session, key_for):
    rapor_fixture(session, "DINKES")
    add_complaint(session, "google_reviews", "g1", rating=1, kecamatan="Wlingi")
    return key_for("viewer")


def test_summary_shape(client, viewer):
    body = client.get(f"{API}/stats/summary", headers=viewer).json()
    assert {"total", "open", "overdue", "by_status", "by_bucket", "completion_pct", "avg_followup_days",
            "new_today", "new_this_week", "new_this_month", "latest_received_at", "generated_at"} <= set(body)
    assert set(body["by_bucket"]) == {"selesai", "proses", "tertunda", "belum_ditindaklanjuti", "belum_terverifikasi"}
    assert body["total"] == 42 and body["by_bucket"]["selesai"] == 28


@pytest.mark.parametrize("name", ["by-channel", "by-opd", "by-category", "by-kecamatan"])
def test_breakdown_shapes(client, viewer, name):
    items = client.get(f"{API}/stats/{name}", headers=viewer).json()["items"]
    assert items and all(GROUP_KEYS <= set(i) for i in items)
    if name == "by-kecamatan":
        assert all({"lat", "lon"} <= set(i) for i in items)
    if name == "by-opd":
        assert items[0]["key"] == "DINKES" and items[0]["completion_pct"] == 68.3


def test_timeseries_response_times_and_ratings_shapes(client, viewer):
    ts = client.get(f"{API}/stats/timeseries?bucket=week", headers=viewer).json()
    assert ts["bucket"] == "week" and set(ts["items"][0]) == {"period", "total", "resolved"}
    assert client.get(f"{API}/stats/timeseries?bucket=year", headers=viewer).status_code == 422
    rt = client.get(f"{API}/stats/response-times", headers=viewer).json()
    assert set(rt["first_response"]) == {"median_days", "p90_days", "n"} and set(rt["resolution"]) == set(
        rt["first_response"])
    assert "answered_within_3_working_days_pct" in rt
    ratings = client.get(f"{API}/stats/ratings?channel=google_reviews", headers=viewer).json()
    assert ratings["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0}
    assert {"reply_rate_pct", "average"} <= set(ratings)


def test_stats_take_the_list_filters_and_reject_bad_ones(client, viewer):
    assert client.get(f"{API}/stats/summary?channel=google_reviews", headers=viewer).json()["total"] == 1
    assert client.get(f"{API}/stats/summary?days=calendar", headers=viewer).json()["avg_followup_days"] == 2.0
    r = client.get(f"{API}/stats/by-opd?opd=NOPE", headers=viewer)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "opd"]
    r = client.get(f"{API}/stats/summary?received_from=32-11-2026", headers=viewer)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "received_from"]


def test_rapor_json_xlsx_pdf(client, viewer):
    period = "period_start=2026-11-01&period_end=2026-11-30"
    body = client.get(f"{API}/rapor?{period}", headers=viewer).json()
    assert body["period_start"] == "2026-11-01" and body["days"] == "working"
    row = body["rows"][0]  # best completion first
    assert [r["opd_code"] for r in body["rows"]] == ["DINKES", "DPUPR"]
    assert row == {"opd_code": "DINKES", "opd_name": "Dinas Kesehatan", "total": 41, "resolved": 28,
                   "in_progress": 3, "postponed": 0, "not_followed_up": 9, "unverified": 1, "completion_pct": 68.3,
                   "avg_followup_days": 2.0, "predikat": "Kurang", "reopened": 0,
                   "satisfaction": {"asked": 0, "sudah": 0, "belum": 0, "pct": None}}
    assert body["total"]["opd_code"] is None and body["total"]["total"] == 42
    xlsx = client.get(f"{API}/rapor.xlsx?{period}", headers=viewer)
    assert xlsx.headers["content-disposition"] == 'attachment; filename="rapor-20261101-20261130.xlsx"'
    assert load_workbook(io.BytesIO(xlsx.content)).active["A1"].value == "PEMERINTAH KABUPATEN BLITAR"
    pdf = client.get(f"{API}/rapor.pdf?{period}&days=calendar", headers=viewer)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    r = client.get(f"{API}/rapor?period_start=2026-11-30&period_end=2026-11-01", headers=viewer)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "period_end"]
    r = client.get(f"{API}/rapor?period_start=kemarin", headers=viewer)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "period_start"]
