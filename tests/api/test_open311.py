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
from core.identity.keys import create_display_token, create_key
from models import AuditEntry, Complaint, RawRecord
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
    key = key_for("petugas")["X-API-Key"]
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


@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59", "0001-01-01T00:00:00Z"])
def test_out_of_range_dates_are_an_open311_error_without_credentials(client, field, value):
    r = client.get("/open311/v2/requests.json", params={field: value})
    assert r.status_code == 400, r.text
    assert r.json() == [{"code": 400, "description": f"{field}: tanggal di luar rentang yang didukung "
                                                     "(1900-01-01 s.d. 2999-12-31) (format W3C/ISO 8601)"}]


def test_a_date_without_time_is_its_local_midnight(client, session):
    seen = add_complaint(session, "lapor", "seen", received_at=datetime(2026, 11, 20, 17, 30, tzinfo=UTC))  # 21st
    add_complaint(session, "lapor", "before", received_at=datetime(2026, 11, 20, 16, 30, tzinfo=UTC))  # 20th WIB
    r = client.get("/open311/v2/requests.json", params={"start_date": "2026-11-21", "end_date": "2026-11-30"})
    assert [x["service_request_id"] for x in r.json()] == [seen.tracking_code]


FORM = {"service_code": "INFRA-PJU", "description": "Lampu jalan mati", "address_string": "Jl. Raya Kanigoro"}


def _audited_posts(session):
    session.expire_all()
    return session.exec(select(AuditEntry).where(AuditEntry.path == "/open311/v2/requests.json")
                        .order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("role", ["petugas", "analyst", "opd_admin", "admin"])
def test_roles_that_file_complaints_may_post_and_the_audit_names_the_key(client, session, role):
    key, raw = create_key(session, f"Aplikasi {role}", role, "DPUPR" if role == "opd_admin" else None)
    r = client.post("/open311/v2/requests.json", data={**FORM, "api_key": raw})
    assert r.status_code == 201, r.text
    (entry,) = _audited_posts(session)
    assert (entry.actor, entry.actor_name, entry.role, entry.outcome) == (f"key:{key.id}", key.name, role, "ok")


@pytest.mark.parametrize("kind", ["viewer", "display", "viewer_header"])
def test_viewer_keys_and_display_tokens_may_not_post(client, session, kind):
    key, raw = create_display_token(session, "TV Pendopo", 30) if kind == "display" else \
        create_key(session, "Dasbor publik", "viewer")
    headers = {"X-API-Key": raw} if kind == "viewer_header" else {}
    data = FORM if headers else {**FORM, "api_key": raw}
    r = client.post("/open311/v2/requests.json", data=data, headers=headers)
    assert r.status_code == 403
    assert r.json() == [{"code": 403, "description": "api_key dengan peran viewer tidak boleh membuat permintaan "
                                                     "layanan"}]
    assert session.exec(select(Complaint)).all() == [] and session.exec(select(RawRecord)).all() == []
    (entry,) = _audited_posts(session)
    assert (entry.actor, entry.role, entry.outcome, entry.status_code) == (f"key:{key.id}", "viewer", "denied", 403)


def test_control_characters_in_a_posted_field_are_an_open311_error(client, session, key_for):
    r = client.post("/open311/v2/requests.json", data={**FORM, "description": "Lampu\x00 mati\x01"},
                    headers=key_for("petugas"))
    assert r.status_code == 400
    assert r.json() == [{"code": 400, "description": "description tidak boleh memuat karakter kendali (mis. NUL)"}]
    assert session.exec(select(RawRecord)).all() == []


def test_public_requests_never_show_the_text_of_an_unverified_complaint(client, session):
    fresh = add_complaint(session, "whatsapp", "wa-1", title="Pak RT menagih pungutan",
                          body="Saya Siti, rumah nomor 5, ditagih Rp50.000",
                          location_text="Rumah Bu Siti, Jl. Melati 5")
    checked = add_complaint(session, "lapor", "l-1", status="verified", body="Lubang besar di depan pasar")
    secret = add_complaint(session, "lapor", "l-2", status="verified", rahasia=True, body="Pungli di loket")

    def public(complaint) -> dict:
        return client.get(f"/open311/v2/requests/{complaint.tracking_code}.json").json()[0]

    hidden = public(fresh)
    assert hidden["description"] is None and hidden["status_notes"] == "Belum diverifikasi"
    assert "Siti" not in str(hidden) and "pungutan" not in str(hidden)
    assert hidden["address"] == "Desa Gogodeso, Kec. Kanigoro"  # where, roughly; never what was typed
    assert public(checked)["description"] == "Lubang besar di depan pasar"
    assert client.get(f"/open311/v2/requests/{secret.tracking_code}.json").status_code == 404


def test_public_requests_never_show_the_text_of_a_rejected_or_rahasia_complaint(client, session, key_for):
    """The same rule as the /publik page (core.identity.access.text_is_public): a rejected complaint (spam,
    a merged duplicate) keeps its words to itself, whether it was read before or not; rahasia never appears."""
    admin = key_for("admin")
    spam = add_complaint(session, "whatsapp", "wa-spam", title="Pinjol cepat cair hubungi 0812-0000-1111",
                         body="Pinjol cepat cair", location_text="Ruko Melati 3")
    read = add_complaint(session, "lapor", "l-read", status="verified", body="Listrik padam sejak pagi")
    secret = add_complaint(session, "lapor", "l-secret", status="dispatched", rahasia=True, body="Pungli di loket")
    for complaint, reason in ((spam, "spam"), (read, "bukan_wewenang")):
        r = client.post(f"/api/v1/complaints/{complaint.id}/actions",
                        json={"action": "reject", "reason": reason}, headers=admin)
        assert r.status_code == 200, r.text

    listed = {r["service_request_id"]: r for r in client.get("/open311/v2/requests.json",
                                                             params={"start_date": "2026-11-01"}).json()}
    assert secret.tracking_code not in listed
    for complaint in (spam, read):
        shown = listed[complaint.tracking_code]
        assert shown["status"] == "closed" and shown["description"] is None
        assert "Pinjol" not in str(shown) and "Listrik" not in str(shown) and "Ruko" not in str(shown)
