"""Query and path parameters a caller controls: out-of-range dates and huge integers are a 422 naming the
field on every route, never a 500 (nor a CSV stream cut half-way)."""

import base64
import csv
import io
import json

import pytest

from core.reporting.export import HEADERS
from tests.factories import add_complaint

API = "/api/v1"
OUT_OF_RANGE = ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59", "0001-01-01T00:00:00", "1899-12-31"]
DATE_PARAMS = [
    ("/complaints", "received_from"), ("/complaints", "received_to"),
    ("/stats/summary", "received_from"), ("/stats/summary", "received_to"),
    ("/stats/by-opd", "received_to"), ("/stats/timeseries", "received_from"),
    ("/stats/response-times", "received_to"), ("/stats/calls", "received_from"),
    ("/stats/calls", "received_to"), ("/stats/calls/handling-time", "received_from"),
    ("/stats/calls/handling-time", "received_to"), ("/audit", "since"), ("/audit", "until"),
    ("/escalations", "period_start"), ("/escalations", "period_end"),
    ("/rapor", "period_start"), ("/rapor", "period_end"), ("/rapor.xlsx", "period_end"),
    ("/export/complaints.csv", "received_from"), ("/export/complaints.csv", "received_to"),
    ("/export/complaints.xlsx", "received_to"), ("/export/lapor-manual.xlsx", "received_from"),
    ("/export/lapor-manual.xlsx", "received_to"),
]
TOO_BIG = "31741234123412341234123412341234"


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize("path, field", DATE_PARAMS)
def test_out_of_range_dates_are_a_422_naming_the_field(client, key_for, path, field, value):
    r = client.get(API + path, params={field: value}, headers=key_for("admin"))
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == ["query", field]
    rapor_given_a_time = path.startswith("/rapor") and "T" in value  # pydantic's "not a date" comes first
    assert rapor_given_a_time or "di luar rentang yang didukung (1900-01-01 s.d. 2999-12-31)" in error["msg"]


@pytest.mark.parametrize("path, field", DATE_PARAMS)
def test_the_first_and_last_supported_days_work(client, session, key_for, path, field):
    add_complaint(session, "whatsapp", "a")
    value = "1900-01-01" if field in ("received_from", "since", "period_start") else "2999-12-31"
    r = client.get(API + path, params={field: value}, headers=key_for("admin"))
    assert r.status_code == 200, r.text


def test_a_csv_export_with_an_out_of_range_date_is_refused_before_streaming(client, session, key_for):
    add_complaint(session, "whatsapp", "a")
    refused = client.get(f"{API}/export/complaints.csv", params={"received_to": "9999-12-31"},
                         headers=key_for("admin"))
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/json"
    whole = client.get(f"{API}/export/complaints.csv", params={"received_to": "2999-12-31"}, headers=key_for("admin"))
    rows = list(csv.reader(io.StringIO(whole.content.decode("utf-8-sig"))))
    assert rows[0] == HEADERS and len(rows) == 2


@pytest.mark.parametrize("method, path, loc", [
    ("get", f"/escalations?level={TOO_BIG}", ["query", "level", 0]),
    ("get", f"/escalations?level=1&level={TOO_BIG}", ["query", "level", 1]),
    ("get", f"/complaints/{TOO_BIG}", ["path", "complaint_id"]),
    ("post", f"/complaints/{TOO_BIG}/actions", ["path", "complaint_id"]),
    ("get", f"/letters/{TOO_BIG}.pdf", ["path", "letter_id"]),
    ("get", f"/audit?before_id={TOO_BIG}", ["query", "before_id"]),
    ("get", f"/export/lapor-manual.xlsx?batch={TOO_BIG}", ["query", "batch"]),
    ("delete", f"/keys/{TOO_BIG}", ["path", "key_id"]),
    ("patch", f"/opd-admins/{TOO_BIG}", ["path", "admin_id"]),
    ("delete", f"/opd-admins/{TOO_BIG}", ["path", "admin_id"]),
    ("get", "/complaints/2147483648", ["path", "complaint_id"]),  # one past PostgreSQL's INTEGER
])
def test_huge_integers_are_a_422_naming_the_field(client, key_for, method, path, loc):
    body = {"action": "verify"} if "actions" in path else {"name": "Budi"} if "opd-admins" in path else None
    r = client.request(method, API + path, headers=key_for("admin"), json=body)
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["detail"]]


def test_the_largest_database_integer_is_simply_not_found(client, key_for):
    admin = key_for("admin")
    assert client.get(f"{API}/complaints/2147483647", headers=admin).status_code == 404
    assert client.get(f"{API}/escalations?level=2147483647", headers=admin).json() == {"items": []}


def test_a_ladder_step_position_beyond_the_integer_column_is_a_422(client, key_for):
    step = {"code": "pengingat", "position": 2**31, "working_day": 1, "action": "whatsapp_reminder",
            "recipients": "opd_admins", "template": "pengingat_aduan"}
    r = client.put(f"{API}/escalation-ladder", json=[step], headers=key_for("admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", 0, "position"]


@pytest.mark.parametrize("sort, value, row_id", [("id", int(TOO_BIG), 1), ("id", 1, int(TOO_BIG)),
                                                 ("received_at", "2026-11-01T00:00:00+00:00", int(TOO_BIG)),
                                                 ("received_at", "0001-01-01T00:00:00+07:00", 1)])
def test_a_forged_cursor_is_a_422(client, key_for, sort, value, row_id):
    blob = json.dumps({"s": sort, "v": value, "i": row_id}).encode()
    cursor = base64.urlsafe_b64encode(blob).decode().rstrip("=")
    r = client.get(f"{API}/complaints", params={"sort": sort, "cursor": cursor}, headers=key_for("admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"], r.text


@pytest.mark.parametrize("path", ["/complaints", "/stats/summary", "/stats/by-channel", "/stats/timeseries",
                                  "/export/complaints.csv"])
def test_an_unknown_channel_is_a_422_naming_the_field(client, session, key_for, path):
    add_complaint(session, channel="kotak_saran_lama", external_id="k1")  # a channel only the data knows
    admin = key_for("admin")
    r = client.get(f"{API}{path}", params={"channel": "nope"}, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == [{"loc": ["query", "channel"], "msg": "kanal tidak dikenal: nope",
                                   "type": "value_error"}]
    for known in ("lapor", "kotak_saran_lama"):
        assert client.get(f"{API}{path}", params={"channel": known}, headers=admin).status_code == 200, known


def test_refusals_speak_bahasa_indonesia(client, key_for):
    assert client.get(f"{API}/complaints").json()["detail"].startswith("belum masuk")
    assert client.get(f"{API}/complaints", headers={"X-API-Key": "adu_x"}).json()["detail"] == (
        "kunci API tidak sah, kedaluwarsa atau sudah dicabut")
    assert client.get(f"{API}/connectors", headers=key_for("viewer")).json()["detail"] == (
        "peran viewer tidak boleh melakukan ini (perlu: analyst)")
    assert client.post(f"{API}/auth/logout", headers=key_for("admin")).json()["detail"].startswith("keluar hanya")
