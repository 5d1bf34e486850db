"""An Open311 GeoReport v2 client talks to a real server over HTTP (uvicorn on 127.0.0.1)."""

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from sqlmodel import select

from api.main import create_app
from models import Complaint, RawRecord
from tests.factories import add_complaint


@pytest.fixture
def server(client):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/open311/v2"
    srv.should_exit = True
    thread.join(timeout=10)


def test_client_round_trip(server, session, key_for):
    key = key_for("viewer")["X-API-Key"]
    with httpx.Client(base_url=server, timeout=10) as http:
        endpoints = http.get("/discovery.json").json()["endpoints"]
        assert endpoints[0]["url"] == server
        services = {s["service_code"]: s for s in http.get("/services.json").json()}
        assert services["INFRA-PJU"]["service_name"] == "Penerangan jalan umum"

        posted = http.post("/requests.json", data={
            "api_key": key, "service_code": "INFRA-PJU", "lat": "-8.1350", "long": "112.2130",
            "description": "Lampu jalan mati sejak seminggu\nDi depan balai desa", "first_name": "Budi",
            "email": "budi@example.org"})
        assert posted.status_code == 201, posted.text
        (ticket,) = posted.json()
        request_id = ticket["service_request_id"]
        assert request_id.startswith("O311-")

        (fetched,) = http.get(f"/requests/{request_id}.json").json()
        assert fetched["status"] == "open" and fetched["service_code"] == "INFRA-PJU"
        assert fetched["agency_responsible"] == "Dinas Perhubungan"
        assert fetched["lat"] == -8.135 and "Kec. Kanigoro" in fetched["address"]
        assert fetched["requested_datetime"].endswith("+07:00")
        assert "budi" not in str(fetched).lower()  # never reporter data

        listed = http.get("/requests.json", params={"service_code": "INFRA-PJU,INFRA-JALAN", "status": "open"}).json()
        assert [r["service_request_id"] for r in listed] == [request_id]

    complaint = session.exec(select(Complaint).where(Complaint.tracking_code == request_id)).one()
    assert complaint.channel == "open311" and complaint.title == "Lampu jalan mati sejak seminggu"
    assert complaint.reporter_name == "Budi" and complaint.kecamatan == "Kanigoro"
    raw = session.get(RawRecord, complaint.raw_record_id)
    assert raw.payload["form"]["service_code"] == "INFRA-PJU"  # landed as received first


def test_query_window_and_errors(client, session, key_for):
    old = add_complaint(session, "lapor", "old", received_at=datetime.now(UTC) - timedelta(days=120))
    new = add_complaint(session, "lapor", "new", received_at=datetime.now(UTC) - timedelta(days=3), status="resolved")
    ids = lambda r: [x["service_request_id"] for x in r.json()]  # noqa: E731
    assert ids(client.get("/open311/v2/requests.json")) == [new.tracking_code]  # default: last 90 days
    r = client.get("/open311/v2/requests.json", params={"status": "closed"})
    assert ids(r) == [new.tracking_code] and r.json()[0]["status"] == "closed"
    start = (datetime.now(UTC) - timedelta(days=130)).isoformat()
    end = (datetime.now(UTC) - timedelta(days=100)).isoformat()
    assert ids(client.get("/open311/v2/requests.json", params={"start_date": start, "end_date": end})) == [
        old.tracking_code]
    assert ids(client.get("/open311/v2/requests.json", params={"service_request_id": old.tracking_code})) == [
        old.tracking_code]

    errors = [
        client.get("/open311/v2/requests.json", params={"start_date": "2026-01-01T00:00:00Z",
                                                         "end_date": "2026-06-01T00:00:00Z"}),
        client.get("/open311/v2/requests.json", params={"start_date": "kemarin"}),
        client.get("/open311/v2/requests.json", params={"status": "pending"}),
        client.get("/open311/v2/requests/NOPE.json"),
        client.post("/open311/v2/requests.json", data={"service_code": "INFRA-PJU", "description": "x",
                                                        "address_string": "Jl. A"}),
    ]
    key = key_for("analyst")
    post = lambda **form: client.post("/open311/v2/requests.json", data=form, headers=key)  # noqa: E731
    errors += [post(description="x", address_string="a"), post(service_code="NOPE", description="x", lat="1",
                                                                 long="1"),
               post(service_code="INFRA-PJU", description="x"), post(service_code="INFRA-PJU", address_string="a"),
               post(service_code="INFRA-PJU", description="x", lat="abc", long="1"),
               post(service_code="INFRA-PJU", description="x", lat="95", long="1")]
    for r in errors:
        assert r.status_code in (400, 403, 404), r.text
        (err,) = r.json()
        assert set(err) == {"code", "description"} and err["code"] == r.status_code
    assert session.exec(select(RawRecord)).all() == []  # nothing bad ever landed
