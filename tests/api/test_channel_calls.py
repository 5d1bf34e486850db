import csv
import io
from datetime import UTC, datetime

from connectors.call112 import COLUMNS, Call112Connector
from core.intake.file_import import import_file
from core.runtime.settings import get_settings
from models import ChannelCall


def test_calls_are_counted_per_jakarta_day_and_type(client, session, key_for):
    def call(n, at, call_type, channel="call112"):
        session.add(ChannelCall(channel=channel, external_id=str(n), call_type=call_type, received_at=at))

    call(1, datetime(2026, 11, 22, 16, 59, tzinfo=UTC), "prank")  # 23:59 WIB on the 22nd
    call(2, datetime(2026, 11, 22, 17, 30, tzinfo=UTC), "prank")  # 00:30 WIB on the 23rd
    call(3, datetime(2026, 11, 23, 3, 0, tzinfo=UTC), "ghost")
    call(4, datetime(2026, 11, 23, 4, 0, tzinfo=UTC), "ghost")
    session.add(ChannelCall(channel="call112", external_id="5", call_type="normal", kecamatan="Wlingi",
                            received_at=datetime(2026, 11, 23, 5, 0, tzinfo=UTC)))
    call(6, datetime(2026, 11, 23, 5, 0, tzinfo=UTC), "ghost", channel="other")
    session.commit()
    headers = key_for("viewer")
    body = client.get("/api/v1/stats/calls?channel=call112", headers=headers).json()
    assert body["items"] == [
        {"day": "2026-11-22", "call_type": "prank", "count": 1},
        {"day": "2026-11-23", "call_type": "ghost", "count": 2},
        {"day": "2026-11-23", "call_type": "normal", "count": 1},
        {"day": "2026-11-23", "call_type": "prank", "count": 1},
    ]
    assert body["totals"] == {"prank": 2, "ghost": 2, "normal": 1}
    day = client.get("/api/v1/stats/calls", headers=headers,
                     params={"received_from": "2026-11-23", "received_to": "2026-11-23"}).json()
    assert day["totals"] == {"prank": 1, "ghost": 2, "normal": 1}
    ghosts = client.get("/api/v1/stats/calls", headers=headers, params={"call_type": "ghost"}).json()
    assert ghosts["totals"] == {"ghost": 2}
    wlingi = client.get("/api/v1/stats/calls", headers=headers, params={"kecamatan": "Wlingi"}).json()
    assert wlingi["totals"] == {"normal": 1}
    assert client.get("/api/v1/stats/calls").status_code == 401
    assert client.get("/api/v1/stats/calls?received_from=kemarin", headers=headers).status_code == 422


def _cad_export(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    """(id, kategori, opd, tanggal_terima, tanggal_selesai) rows as a 112 CAD CSV export."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    for external_id, kategori, opd, received, finished in rows:
        writer.writerow(dict.fromkeys(COLUMNS, "") | {
            "id": external_id, "kategori": kategori, "opd": opd, "tanggal_terima": received,
            "tanggal_selesai": finished, "jenis_panggilan": "normal", "kejadian": f"Panggilan {external_id}"})
    return out.getvalue().encode()


def _at(minutes: int) -> str:
    return f"2 November 2026 {9 + minutes // 60:02d}:{minutes % 60:02d}"


HANDLED = [  # minutes from receipt (2 November 2026 09:00 WIB) to tanggal_selesai
    *[(f"F{m}", "kebakaran", "Damkar", _at(0), _at(m)) for m in (40, 10, 50, 20, 30)],
    *[(f"M{m}", "kesehatan", "PSC 119", _at(0), _at(m)) for m in (45, 15)],
    ("F-OPEN", "kebakaran", "Damkar", _at(0), ""),  # still open: not finished
    ("JALAN-DONE", "infrastruktur", "DPUPR", _at(0), _at(5)),  # not an emergency
    ("JALAN-OPEN", "infrastruktur", "DPUPR", _at(0), ""),
    ("F-OKT", "kebakaran", "Damkar", "1 Oktober 2026 09:00", "1 Oktober 2026 09:01"),  # before the period
]


def test_emergency_handling_time_is_median_and_p90_minutes_per_category(client, session, key_for, monkeypatch):
    report = import_file(session, Call112Connector({}), _cad_export(HANDLED), "cad.csv")
    assert (report.new, report.failed) == (len(HANDLED), 0)
    period = {"received_from": "2026-11-01", "received_to": "2026-11-30"}
    url = "/api/v1/stats/calls/handling-time"
    body = client.get(url, headers=key_for("viewer"), params=period).json()
    # Nearest rank: median of 10,20,30,40,50 is the 3rd, p90 the 5th; of 15,45 the 1st and the 2nd.
    assert body["items"] == [
        {"category_code": "KEBAKARAN", "category_name": "Kebakaran", "n": 5, "median_minutes": 30.0,
         "p90_minutes": 50.0},
        {"category_code": "KESEHATAN", "category_name": "Kesehatan", "n": 2, "median_minutes": 15.0,
         "p90_minutes": 45.0},
    ]
    assert body["total"] == {"n": 7, "median_minutes": 30.0, "p90_minutes": 50.0}  # 10,15,20,30,40,45,50

    dinkes = client.get(url, headers=key_for("opd_admin", "DINKES"), params=period).json()
    assert [i["category_code"] for i in dinkes["items"]] == ["KESEHATAN"]  # an OPD sees its own complaints
    whole = client.get(url, headers=key_for("viewer")).json()
    assert whole["total"]["n"] == 8  # no period: October's fire too
    assert client.get(url).status_code == 401
    assert client.get(url, headers=key_for("viewer"), params={"received_from": "kemarin"}).status_code == 422

    # Emergencies never show as overdue; a road report past its deadline does.
    admin = key_for("admin")
    assert client.get("/api/v1/opd/DAMKAR/overdue", headers=admin).json()["items"] == []
    roads = client.get("/api/v1/opd/DPUPR/overdue", headers=admin).json()["items"]
    assert [i["title"] for i in roads] == ["Panggilan JALAN-OPEN"]

    monkeypatch.setenv("ADUAN_LADDER_EXEMPT", '{"call112": []}')  # no category is handled in the CAD
    get_settings.cache_clear()
    assert client.get(url, headers=key_for("viewer"), params=period).json() == {
        "items": [], "total": {"n": 0, "median_minutes": None, "p90_minutes": None}}


def test_handling_time_keeps_seconds_and_counts_uncategorised_calls_when_every_category_is_exempt(
        client, session, key_for, monkeypatch):
    from datetime import timedelta

    from tests.factories import MONDAY, add_complaint, seeded

    monkeypatch.setenv("ADUAN_LADDER_EXEMPT", '{"call112": ["*"]}')
    get_settings.cache_clear()
    seeded(session)
    # Seconds to finish: 135 s is 2.25 min, shown to one decimal; the uncategorised calls are a group of
    # their own, not the total (same count: sorted by name).
    for n, (category, seconds) in enumerate([("KEBAKARAN", 135), ("KEBAKARAN", 200), ("KEBAKARAN", 61),
                                             (None, 30), (None, 90), (None, 3600)]):
        add_complaint(session, "call112", f"S{n}", category_code=category, status="resolved",
                      received_at=MONDAY, resolved_at=MONDAY + timedelta(seconds=seconds))
    body = client.get("/api/v1/stats/calls/handling-time", headers=key_for("viewer")).json()
    assert body["items"] == [
        {"category_code": None, "category_name": "(tanpa kategori)", "n": 3, "median_minutes": 1.5,
         "p90_minutes": 60.0},
        {"category_code": "KEBAKARAN", "category_name": "Kebakaran", "n": 3, "median_minutes": 2.2,
         "p90_minutes": 3.3},
    ]
    # 30, 61, 90, 135, 200, 3600 s: the 3rd and the 6th.
    assert body["total"] == {"n": 6, "median_minutes": 1.5, "p90_minutes": 60.0}
