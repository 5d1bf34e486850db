"""Control characters in a URL or a JSON body are refused with 422 naming the field, before any route runs
(a NUL used to reach PostgreSQL and come back as a 500)."""

from sqlmodel import select

from models import SlaTier

API = "/api/v1"


def test_a_nul_in_a_query_filter_is_refused(client, key_for):
    r = client.get(f"{API}/stats/by-opd?channel=%00", headers=key_for("viewer"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "channel"]
    r = client.get(f"{API}/stats/calls?call_type=x%01y", headers=key_for("viewer"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "call_type"]


def test_a_nul_in_a_path_parameter_is_refused(client, key_for):
    r = client.get(f"{API}/users/%00", headers=key_for("admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "username"]


def test_a_nul_in_a_body_field_is_refused_and_nothing_is_written(client, session, key_for):
    r = client.post(f"{API}/sla-tiers", json={"code": "kilat", "name": "Kilat\u0000", "resolution_days": 1},
                    headers=key_for("admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"]
    assert "karakter kendali" in r.json()["detail"][0]["msg"]
    assert session.exec(select(SlaTier).where(SlaTier.code == "kilat")).first() is None
    r = client.post(f"{API}/auth/login", json={"username": "admin\u0000", "password": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "username"]


def test_tabs_and_line_breaks_are_ordinary_text(client, key_for):
    r = client.patch(f"{API}/opd/DPUPR", json={"head_name": "Ir. Budi\tSantoso", "head_title": "Kepala\nDinas"},
                     headers=key_for("admin"))
    assert r.status_code == 200 and r.json()["head_title"] == "Kepala\nDinas"
    assert client.get(f"{API}/complaints?q=jalan%09rusak", headers=key_for("analyst")).status_code == 200
