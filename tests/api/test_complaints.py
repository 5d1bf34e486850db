from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import add_complaint, response

API = "/api/v1"


@pytest.fixture
def admin(key_for):
    return key_for("admin")


def many(session, n, start=datetime(2026, 11, 2, 2, tzinfo=UTC), prefix="c", **kw):
    # Two complaints per timestamp, so ties on the sort key are exercised.
    return [add_complaint(session, external_id=f"{prefix}{i}", received_at=start + timedelta(hours=i // 2), **kw)
            for i in range(n)]


def test_list_has_labels_overdue_and_newest_first(client, session, admin):
    many(session, 3, opd_code="DINKES")
    body = client.get(f"{API}/complaints", headers=admin).json()
    assert body["next_cursor"] is None
    first = body["items"][0]
    assert first["opd_code"] == "DINKES" and first["opd_name"] == "Dinas Kesehatan"
    assert first["category_code"] == "INFRA-JALAN" and first["category_name"] == "Jalan rusak"
    assert first["overdue"] is True  # unverified since 2 November
    received = [i["received_at"] for i in body["items"]]
    assert received == sorted(received, reverse=True)


def test_filters_apply_and_repeat(client, session, admin):
    add_complaint(session, "lapor", "l1", kecamatan="Wlingi", title="Lampu jalan mati")
    add_complaint(session, "whatsapp", "w1", category_code="KESEHATAN-RS", status="resolved")
    add_complaint(session, "manual", "m1", classification="aspirasi")
    get = lambda q: [i["external_id"] for i in client.get(f"{API}/complaints?{q}", headers=admin).json()["items"]]  # noqa: E731
    assert sorted(get("channel=lapor&channel=whatsapp")) == ["l1", "w1"]
    assert get("category=KESEHATAN") == ["w1"]
    assert get("status=resolved") == ["w1"]
    assert get("classification=aspirasi") == ["m1"]
    assert get("kecamatan=Wlingi") == ["l1"]
    assert get("q=lampu") == ["l1"]
    assert sorted(get("received_from=2026-11-23&received_to=2026-11-23")) == ["l1", "m1", "w1"]
    assert get("received_to=2026-11-22") == []


@pytest.mark.parametrize("query, status, field", [
    ("received_from=kemarin", 422, "received_from"),
    ("received_to=2026-02-30", 422, "received_to"),
    ("received_from=2026-11-05&received_to=2026-11-01", 422, "received_to"),
    ("opd=NOPE", 422, "opd"),
    ("category=NOPE", 422, "category"),
    ("status=done", 422, "status"),
    ("limit=100000", 422, "limit"),
    ("limit=0", 422, "limit"),
    ("rating_max=6", 422, "rating_max"),
    ("overdue=maybe", 422, "overdue"),
    ("sort=title", 422, "sort"),
    ("cursor=not-a-cursor!!", 422, "cursor"),
    ("cursor=eyJmb28iOiAxfQ", 422, "cursor"),  # valid base64 JSON, wrong content
])
def test_invalid_parameters_name_the_field(client, admin, query, status, field):
    r = client.get(f"{API}/complaints?{query}", headers=admin)
    assert r.status_code == status, r.text
    assert field in [err["loc"][1] for err in r.json()["detail"]]


def test_cursor_from_another_sort_is_refused(client, session, admin):
    many(session, 3)
    cursor = client.get(f"{API}/complaints?limit=1", headers=admin).json()["next_cursor"]
    r = client.get(f"{API}/complaints?limit=1&sort=id&cursor={cursor}", headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("sort", ["-received_at", "received_at", "-id", "updated_at"])
def test_cursor_pages_are_stable_under_concurrent_inserts(client, session, admin, sort):
    original = {c.id for c in many(session, 11)}
    seen, cursor, page = [], None, 0
    while True:
        url = f"{API}/complaints?limit=3&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=admin).json()
        seen += [i["id"] for i in body["items"]]
        page += 1
        if page <= 3:  # new complaints arrive between pages: newest, oldest, and on a tied timestamp
            many(session, 2, start=datetime(2026, 11, 30, tzinfo=UTC), prefix=f"new{page}-")
            many(session, 2, start=datetime(2026, 10, 1, tzinfo=UTC), prefix=f"old{page}-")
            many(session, 1, start=datetime(2026, 11, 2, 4, tzinfo=UTC), prefix=f"tie{page}-")
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))  # no duplicates
    assert original <= set(seen)  # nothing that existed at the start was skipped


def test_detail_has_history_and_raw_only_for_admins(client, session, admin, key_for):
    from core.intake.inbox import land

    record, _ = land(session, "lapor", "d1", {"id": "d1", "judul": "Jalan rusak"})
    session.commit()
    c = add_complaint(session, external_id="d1", status="in_progress",
                      events=response(datetime(2026, 11, 24, 3, tzinfo=UTC), "Sudah ditinjau"))
    c.raw_record_id = record.id
    session.add(c)
    session.commit()
    body = client.get(f"{API}/complaints/{c.id}", headers=admin).json()
    assert body["raw"] == {"id": "d1", "judul": "Jalan rusak"}
    assert [e["kind"] for e in body["events"]] == ["created", "message_out"]
    assert body["events"][1]["note"] == "Sudah ditinjau"
    assert body["allowed_actions"] == ["categorize", "respond", "postpone", "resolve"]
    analyst = client.get(f"{API}/complaints/{c.id}", headers=key_for("analyst")).json()
    assert analyst["raw"] is None and len(analyst["events"]) == 2
    assert client.get(f"{API}/complaints/999999", headers=admin).status_code == 404


def test_actions_over_the_api(client, session, admin, key_for):
    c = add_complaint(session, external_id="a1")
    r = client.post(f"{API}/complaints/{c.id}/actions", json={"action": "resolve"}, headers=admin)
    assert r.status_code == 409
    assert r.json()["detail"]["allowed_actions"] == ["verify", "dispatch", "categorize", "reject", "merge"]
    r = client.post(f"{API}/complaints/{c.id}/actions", json={"action": "dispatch", "opd": "DINKES"}, headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "dispatched" and r.json()["opd_code"] == "DINKES"
    assert r.json()["events"][-1]["actor"] == "test-admin"
    r = client.post(f"{API}/complaints/{c.id}/actions", json={"action": "respond"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "note"]
    r = client.post(f"{API}/complaints/{c.id}/actions", json={"action": "dispatch", "opd": "NOPE"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "opd"]
    r = client.post(f"{API}/complaints/{c.id}/actions", json={"action": "fly"}, headers=admin)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "action"]


def test_opd_admin_acts_only_on_its_own_opd(client, session, key_for):
    own = add_complaint(session, external_id="o1", status="dispatched", opd_code="DINKES")
    other = add_complaint(session, external_id="o2", status="dispatched", opd_code="DPUPR")
    dinkes = key_for("opd_admin", "DINKES")
    r = client.post(f"{API}/complaints/{own.id}/actions", json={"action": "respond", "note": "Ditangani"},
                    headers=dinkes)
    assert r.status_code == 200 and r.json()["first_response_at"] is not None
    r = client.post(f"{API}/complaints/{own.id}/actions", json={"action": "reject", "reason": "spam"},
                    headers=dinkes)
    assert r.status_code == 403
    r = client.post(f"{API}/complaints/{other.id}/actions", json={"action": "respond", "note": "x"}, headers=dinkes)
    assert r.status_code == 404
    listed = client.get(f"{API}/complaints", headers=dinkes).json()["items"]
    assert [i["id"] for i in listed] == [own.id]


def test_a_lapor_action_shows_pending_until_lapor_confirms_and_a_refusal_on_konektor(
        client, session, engine, settings, admin):
    from sqlmodel import select

    from core.intake.sync import sync_instance
    from core.intake.writeback import dispatch_writebacks
    from models import Complaint
    from tests.emulated import add_lapor, lapor_upstream

    with lapor_upstream(total=60) as (app, url):
        add_lapor(session, url)
        assert sync_instance("lapor1", engine=engine).status == "ok"
        store = app.state.store
        fresh, closing = (next(r for r in sorted(store.reports.values(), key=lambda r: r.tracking_id)
                               if r.status == status) for status in ("Belum Terverifikasi", "Proses"))
        ids = {c.external_id: c.id for c in session.exec(select(Complaint).where(Complaint.channel == "lapor")).all()}

        r = client.post(f"{API}/complaints/{ids[fresh.tracking_id]}/actions",
                        json={"action": "dispatch", "opd": "DPUPR"}, headers=admin)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "dispatched"  # applied here at once…
        assert body["sync_state"] == "menunggu sinkron ke SP4N-LAPOR!"  # …and shown as waiting for LAPOR!
        assert [(a["action"], a["status"]) for a in body["upstream_actions"]] == [("dispatch", "menunggu")]
        assert body["source_channel"] in ("web", "sms", "aplikasi", "media_sosial")

        r = client.post(f"{API}/complaints/{ids[closing.tracking_id]}/actions",
                        json={"action": "resolve", "note": "Sudah diperbaiki"}, headers=admin)
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        store.set_report_status(closing.tracking_id, "selesai", note="Ditutup admin LAPOR!")  # meanwhile
        result = dispatch_writebacks(engine, settings)
        assert (result.sent, result.refused) == (1, 1)

        confirmed = client.get(f"{API}/complaints/{ids[fresh.tracking_id]}", headers=admin).json()
        assert confirmed["upstream_actions"][0]["status"] == "terkirim"
        assert confirmed["sync_state"] == "tersinkron dengan SP4N-LAPOR!"
        assert store.payload(store.reports[fresh.tracking_id])["status"] == "Didisposisikan"

        refused = client.get(f"{API}/complaints/{ids[closing.tracking_id]}", headers=admin).json()
        assert refused["status"] == "in_progress"  # put back
        assert refused["upstream_actions"][0]["status"] == "gagal"
        assert "Selesai" in refused["upstream_actions"][0]["error"]
        assert refused["sync_state"].startswith("gagal sinkron ke SP4N-LAPOR!")
        assert any("Ditolak SP4N-LAPOR!" in (e["note"] or "") for e in refused["events"])

        konektor = client.get(f"{API}/connectors", headers=admin).json()
        lapor = next(c for c in konektor if c["name"] == "lapor1")
        assert lapor["writeback_pending"] == 0
        assert [w["tracking_code"] for w in lapor["writeback_failed"]] == [refused["tracking_code"]]
        assert "Selesai" in lapor["writeback_failed"][0]["error"]


def test_history_names_actors_and_channels_in_words(client, session, admin):
    c = add_complaint(session, external_id="w1", status="dispatched",
                      verified_at=datetime(2026, 11, 23, 4, tzinfo=UTC),
                      dispatched_at=datetime(2026, 11, 23, 6, tzinfo=UTC))
    events = client.get(f"{API}/complaints/{c.id}", headers=admin).json()["events"]
    assert [(e["actor"], e["to_status"]) for e in events] == [
        ("Sistem", "dispatched"), ("SP4N-LAPOR!", "verified"), ("SP4N-LAPOR!", "dispatched")]
    assert events[0]["note"] == "Diterima dari kanal SP4N-LAPOR!"
