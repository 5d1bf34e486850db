from datetime import UTC, datetime

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
