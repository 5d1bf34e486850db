"""The emulators: deterministic realistic data, the runner, control and fault knobs."""

from datetime import UTC, datetime

import httpx
import pytest

from connectors.emulators import google_reviews, lapor
from connectors.emulators.faults import Faults
from connectors.emulators.runner import serve
from core.reference.seed import kecamatan_names

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
LAPOR_HEADERS = {"X-Lapor-Token": "rahasia-lapor"}


def lapor_page(client, **params):
    return client.get("/api/v1/laporan", params={"limit": 100, **params}, headers=LAPOR_HEADERS)


def test_same_seed_same_data_and_real_places():
    a, b, c = (lapor.create_app(seed=s, total=300, now=NOW) for s in (1, 1, 2))
    payloads = [[s.payload(r) for r in s.reports.values()] for s in (a.state.store, b.state.store, c.state.store)]
    assert payloads[0] == payloads[1] != payloads[2]
    assert {p["location"]["district"] for p in payloads[0]} <= set(kecamatan_names())
    statuses = {p["status"] for p in payloads[0]}
    assert {"Belum Terverifikasi", "Proses", "Selesai"} <= statuses
    created = [datetime.fromisoformat(p["created_at"]) for p in payloads[0]]
    assert (NOW - min(created)).days > 150  # spread over about six months


def test_runner_serves_on_loopback_and_stops():
    app = lapor.create_app(total=10, now=NOW)
    with serve(app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base_url}/_control/state").json()["total"] == 10
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base_url}/_control/state", timeout=1)


def test_control_endpoints_add_and_edit_at_runtime():
    with serve(lapor.create_app(total=20, now=NOW)) as base_url, httpx.Client(base_url=base_url) as client:
        added = client.post("/_control/add", json={"n": 3}).json()["added"]
        assert client.get("/_control/state").json()["total"] == 23
        newest = lapor_page(client, updated_since="2030-01-01T00:00:00+07:00").json()
        assert newest["data"] == [] and newest["pagination"]["total"] == 0
        recent = lapor_page(client, updated_since=datetime.now(UTC).replace(year=2025).isoformat()).json()
        assert set(added) <= {r["tracking_id"] for r in recent["data"]}
        edited = client.post("/_control/edit", json={"n": 2, "kind": "progress"}).json()["edited"]
        assert len(edited) == 2
        assert client.post("/_control/edit", json={"kind": "rename"}).status_code == 400


def test_fault_knobs():
    faults = Faults(seed=1)
    with serve(lapor.create_app(total=250, now=NOW, faults=faults)) as base_url, \
            httpx.Client(base_url=base_url) as client:
        assert lapor_page(client, limit=10).status_code == 200
        assert client.post("/_control/faults", json={"error_rate": 1.0}).json()["error_rate"] == 1.0
        assert lapor_page(client).status_code in (500, 503)
        client.post("/_control/faults", json={"error_rate": 0.0, "rate_limit_rate": 1.0, "retry_after": 2})
        limited = lapor_page(client)
        assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
        client.post("/_control/faults", json={"rate_limit_rate": 0.0, "truncate_next": 1})
        cut = lapor_page(client)
        assert cut.status_code == 200
        with pytest.raises(ValueError):
            cut.json()
        assert lapor_page(client).json()["data"]
        client.post("/_control/faults", json={"repeat_token_after": 1})
        first = lapor_page(client).json()["pagination"]["next_page_token"]
        second = lapor_page(client, page_token=first).json()["pagination"]["next_page_token"]
        assert second == first
        assert client.post("/_control/faults", json={"bogus": 1}).status_code == 400
        assert lapor_page(client, limit=1000).status_code == 400


def test_slow_responses_outlast_the_client_timeout():
    with serve(lapor.create_app(total=5, now=NOW, faults=Faults(slow_rate=1.0, slow_seconds=1.0))) as base_url:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{base_url}/api/v1/laporan", headers=LAPOR_HEADERS, timeout=0.2)


def test_google_wire_format():
    app = google_reviews.create_app(total=200, now=NOW)
    location = f"accounts/{google_reviews.ACCOUNT}/locations/4001"
    with serve(app) as base_url, httpx.Client(base_url=base_url) as client:
        url = f"/v4/{location}/reviews"
        denied = client.get(url)
        assert denied.status_code == 401 and denied.json()["error"]["status"] == "UNAUTHENTICATED"
        auth = {"Authorization": "Bearer ya29.emulator-token"}
        assert client.get(f"/v4/accounts/{google_reviews.ACCOUNT}/locations/9/reviews", headers=auth).status_code == 404
        assert client.get(url, params={"pageSize": 51}, headers=auth).status_code == 400
        seen, token = [], None
        while True:
            body = client.get(url, params={"pageSize": 10, "orderBy": "updateTime desc",
                                           **({"pageToken": token} if token else {})}, headers=auth).json()
            seen.extend(body.get("reviews", []))
            token = body.get("nextPageToken")
            if not token:
                break
    assert len(seen) == body["totalReviewCount"] and len({r["reviewId"] for r in seen}) == len(seen)
    times = [r["updateTime"] for r in seen]
    assert times == sorted(times, reverse=True)
    assert {r["starRating"] for r in seen} == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}
    assert all(r["name"].startswith(location + "/reviews/") for r in seen)
    assert any("reviewReply" in r for r in seen) and any("comment" not in r for r in seen)


def test_google_replies_are_put_served_and_deleted():
    app = google_reviews.create_app(total=60, now=NOW)
    store = app.state.store
    review = next(r for r in store.reviews.values() if r.reply_at is None)
    name = store.payload(review)["name"]
    auth = {"Authorization": "Bearer ya29.emulator-token"}

    def listed(client):
        location = name.split("/reviews/")[0]
        body = client.get(f"/v4/{location}/reviews", params={"pageSize": 50}, headers=auth).json()
        return next(r for r in body["reviews"] if r["name"] == name)

    with serve(app) as base_url, httpx.Client(base_url=base_url) as client:
        url = f"/v4/{name}/reply"
        assert client.put(url, json={"comment": "Halo"}).status_code == 401
        missing = client.put(url.replace(review.review_id, "tidak-ada"), json={"comment": "Halo"}, headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"
        too_long = client.put(url, json={"comment": "a" * 4097}, headers=auth)
        assert too_long.status_code == 400 and too_long.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert client.put(url, json={}, headers=auth).status_code == 400
        before = listed(client)
        assert "reviewReply" not in before

        first = client.put(url, json={"comment": "Terima kasih, kami perbaiki."}, headers=auth).json()
        assert set(first) == {"comment", "updateTime"} and first["comment"] == "Terima kasih, kami perbaiki."
        shown = listed(client)
        assert shown["reviewReply"] == first and shown["updateTime"] == before["updateTime"]
        second = client.put(url, json={"comment": "Sudah diperbaiki."}, headers=auth).json()
        assert second["updateTime"] > first["updateTime"] and listed(client)["reviewReply"] == second

        assert client.delete(url, headers=auth).status_code == 200
        assert "reviewReply" not in listed(client)
