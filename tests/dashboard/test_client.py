"""The dashboard's API client against contract-shaped answers (httpx.MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from dashboard.client import ApiClient, ApiError, ApiUnavailable

SUMMARY = {"total": 41, "open": 13, "overdue": 4, "by_status": {"resolved": 28, "dispatched": 13},
           "by_bucket": {"selesai": 28, "proses": 0, "tertunda": 0, "belum_ditindaklanjuti": 13,
                         "belum_terverifikasi": 0},
           "completion_pct": 68.3, "avg_followup_days": 2.4, "new_today": 3, "new_this_week": 9,
           "new_this_month": 41, "latest_received_at": "2026-11-23T02:00:00Z", "generated_at": "2026-11-23T03:00:00Z"}


class Bearer:
    """A person's log-in as the dashboard forwards it (dashboard.client.Credentials)."""

    def headers(self, http):
        return {"Authorization": "Bearer adu_secret"}

    def refresh(self, http, rejected):
        return False


def client_for(handler) -> ApiClient:
    return ApiClient("http://api.test/", transport=httpx.MockTransport(handler))


def test_sends_the_callers_token_and_repeated_filters_to_the_versioned_path():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["path"] = request.url.path
        seen["auth"] = request.headers.get("Authorization")
        seen["channels"] = request.url.params.get_list("channel")
        return httpx.Response(200, json=SUMMARY)

    api = client_for(handler).as_caller(Bearer())
    summary = api.summary([("channel", "lapor"), ("channel", "whatsapp"), ("q", "")])
    assert summary["completion_pct"] == 68.3
    assert seen == {"path": "/api/v1/stats/summary", "auth": "Bearer adu_secret", "channels": ["lapor", "whatsapp"]}


def test_complaint_pages_follow_the_cursor():
    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        assert request.url.params["sort"] == "-received_at"
        if cursor is None:
            return httpx.Response(200, json={"items": [{"id": 2}, {"id": 1}], "next_cursor": "abc"})
        assert cursor == "abc"
        return httpx.Response(200, json={"items": [{"id": 0}], "next_cursor": None})

    client = client_for(handler)
    first = client.complaints(limit=2)
    second = client.complaints(limit=2, cursor=first.next_cursor)
    assert [i["id"] for i in first.items + second.items] == [2, 1, 0]
    assert second.next_cursor is None


def test_timeseries_and_dimension_items_are_unwrapped():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/timeseries"):
            assert request.url.params["bucket"] == "week"
            return httpx.Response(200, json={"bucket": "week", "items": [{"period": "2026-11-16", "total": 5,
                                                                          "resolved": 2}]})
        return httpx.Response(200, json={"items": [{"key": "Kanigoro", "label": "Kanigoro", "total": 7,
                                                    "lat": -8.13, "lon": 112.22}]})

    client = client_for(handler)
    assert client.timeseries("week")[0]["total"] == 5
    assert client.by_dimension("kecamatan")[0]["lat"] == -8.13


def test_api_down_is_a_friendly_indonesian_error_not_a_traceback():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ApiUnavailable) as err:
        client_for(handler).summary()
    assert "API tidak dapat dihubungi" in err.value.message
    assert err.value.unavailable


def test_timeout_is_reported_as_unavailable():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ApiUnavailable) as err:
        client_for(handler).connectors()
    assert "tepat waktu" in err.value.message


@pytest.mark.parametrize(("status", "text"), [
    (401, "silakan masuk kembali"),
    (403, "tidak diizinkan"),
    (404, "Data belum tersedia"),
    (500, "HTTP 500"),
])
def test_http_errors_carry_message_and_detail(status, text):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": "role viewer may not do this"})

    with pytest.raises(ApiError) as err:
        client_for(handler).sync_connector("lapor-blitar")
    assert text in err.value.message
    assert err.value.status == status
    assert err.value.detail == "role viewer may not do this"


def test_missing_endpoint_counts_as_unavailable_but_forbidden_does_not():
    assert ApiError("x", 404).unavailable
    assert not ApiError("x", 403).unavailable


def test_rapor_file_returns_bytes_with_period_params():
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/rapor.pdf"
        assert dict(request.url.params) == {"period_start": "2026-11-01", "period_end": "2026-11-30",
                                            "days": "calendar"}
        return httpx.Response(200, content=b"%PDF-1.7 ...", headers={"content-type": "application/pdf"})

    assert client_for(handler).rapor_file("pdf", "2026-11-01", "2026-11-30", "calendar").startswith(b"%PDF")


def test_connectors_are_the_apis_list():
    rows = [{"name": "lapor-blitar", "status": "ok"}]
    assert client_for(lambda r: httpx.Response(200, json=rows)).connectors() == rows


def test_unreadable_json_is_an_api_error():
    with pytest.raises(ApiError) as err:
        client_for(lambda r: httpx.Response(200, content=b"{truncated")).summary()
    assert "tidak dapat dibaca" in err.value.message
