"""Triage actions over the API (issue #19): categorize, reject with a reason, merge, bulk actions, the petugas'
queue, a merged group in the detail and the figures, and the LAPOR! hand-back that never hands back twice."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from core.reference.calendar import WorkingCalendar
from models import Complaint, ComplaintEvent
from tests.factories import add_complaint

API = "/api/v1"
CAL = WorkingCalendar("Asia/Jakarta")
RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # tests.factories.draft
HANDBACK = f"{API}/export/lapor-manual.xlsx"


@pytest.fixture
def admin(key_for):
    return key_for("admin")


def act(client, headers, complaint_id, **body):
    return client.post(f"{API}/complaints/{complaint_id}/actions", json=body, headers=headers)


def bulk(client, headers, ids, **body):
    return client.post(f"{API}/complaints/bulk-actions", json={"ids": ids, **body}, headers=headers)


def field_of(response):
    return response.json()["detail"][0]["loc"]


def moment(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- categorize and reject ------------------------------------------------------------------------

def test_categorize_recomputes_the_due_dates(client, session, admin):
    c = add_complaint(session, "whatsapp", "w1", category_code=None)
    r = act(client, admin, c.id, action="categorize", category="ADMINDUK-KTP")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["category_code"] == "ADMINDUK-KTP" and body["sla_tier"] == "cepat" and body["status"] == "unverified"
    assert moment(body["resolution_due_at"]) == CAL.add_working_days(RECEIVED, 5)
    assert body["events"][-1]["note"].startswith("Kategori: (tanpa kategori) → KTP-el")
    r = act(client, admin, c.id, action="categorize", category="INFRA-JALAN")
    assert moment(r.json()["resolution_due_at"]) == CAL.add_working_days(RECEIVED, 60)
    assert r.json()["events"][-1]["note"].startswith("Kategori: KTP-el → Jalan rusak")
    r = act(client, admin, c.id, action="categorize", category="NOPE")
    assert r.status_code == 422 and field_of(r) == ["body", "category"]
    r = act(client, admin, c.id, action="categorize")
    assert r.status_code == 422 and field_of(r) == ["body", "category"]


def test_dispatch_with_a_category_accepts_a_suggestion_in_one_click(client, session, admin):
    c = add_complaint(session, "whatsapp", "w1", category_code=None)
    r = act(client, admin, c.id, action="dispatch", category="ADMINDUK-KK")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["opd_code"], body["category_code"]) == ("dispatched", "DISDUKCAPIL", "ADMINDUK-KK")
    assert [e["kind"] for e in body["events"][-2:]] == ["updated", "status"]


def test_reject_needs_a_known_reason(client, session, admin):
    c = add_complaint(session, "whatsapp", "w1")
    r = act(client, admin, c.id, action="reject", note="Bukan urusan kami")
    assert r.status_code == 422 and field_of(r) == ["body", "reason"]
    assert "alasan penolakan wajib dipilih" in r.json()["detail"][0]["msg"]
    r = act(client, admin, c.id, action="reject", reason="malas")
    assert r.status_code == 422 and field_of(r) == ["body", "reason"]
    r = act(client, admin, c.id, action="reject", reason="bukan_wewenang")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["reject_reason"], body["reject_reason_label"]) == (
        "rejected", "bukan_wewenang", "Bukan wewenang")
    assert client.get(f"{API}/reference/reject-reasons", headers=key_for_viewer(client, session)).json() == [
        {"code": "tidak_substantif", "label": "Tidak substantif"},
        {"code": "bukan_wewenang", "label": "Bukan wewenang"},
        {"code": "duplikat", "label": "Duplikat"}, {"code": "spam", "label": "Spam"},
        {"code": "data_tidak_lengkap", "label": "Data tidak lengkap"}]


def key_for_viewer(client, session):
    from core.identity.keys import create_key
    return {"X-API-Key": create_key(session, "layar", "viewer")[1]}


# --- merge ----------------------------------------------------------------------------------------

@pytest.fixture
def pothole(session):
    """The same pothole by LAPOR!, WhatsApp and a 112 call."""
    lapor = add_complaint(session, "lapor", "L1", reporter_name="Rudi", status="dispatched", opd_code="DPUPR")
    wa = add_complaint(session, "whatsapp", "W1", reporter_name="Ani", category_code=None)
    call = add_complaint(session, "call112", "C1", reporter_name="Budi", anonim=True)
    return lapor, wa, call


def test_merging_makes_one_issue_with_every_reporter(client, session, admin, key_for, pothole):
    lapor, wa, call = pothole
    r = act(client, admin, wa.id, action="merge", into=lapor.id, note="Lubang yang sama")
    assert r.status_code == 200, r.text
    child = r.json()
    assert (child["status"], child["parent_id"], child["parent_code"], child["reject_reason"]) == (
        "rejected", lapor.id, lapor.tracking_code, "duplikat")
    assert act(client, admin, call.id, action="merge", into=lapor.id).status_code == 200
    parent = client.get(f"{API}/complaints/{lapor.id}", headers=admin).json()
    assert [m["tracking_code"] for m in parent["merged"]] == [wa.tracking_code, call.tracking_code]
    assert parent["reporters"] == [
        {"name": "Rudi", "channel": "lapor", "tracking_code": lapor.tracking_code},
        {"name": "Ani", "channel": "whatsapp", "tracking_code": wa.tracking_code},
        {"name": "Budi", "channel": "call112", "tracking_code": call.tracking_code}]
    # The children's history is in the parent's, each event naming where it came from.
    sources = {e["source_code"] for e in parent["events"]}
    assert sources == {lapor.tracking_code, wa.tracking_code, call.tracking_code}
    notes = [e["note"] for e in parent["events"] if e["source_code"] == lapor.tracking_code]
    assert f"Menggabungkan {wa.tracking_code} (duplikat): Lubang yang sama" in notes
    # Masked as the complaints themselves: the anonymous 112 caller is hidden from an analyst.
    seen = client.get(f"{API}/complaints/{lapor.id}", headers=key_for("analyst")).json()
    assert [p["name"] for p in seen["reporters"]] == ["Rudi", "Ani", None]
    assert seen["merged"][1]["reporter_name"] is None
    # A LAPOR! complaint is offered merge never: its status is LAPOR!'s.
    assert "merge" not in client.get(f"{API}/complaints/{lapor.id}", headers=admin).json()["allowed_actions"]


def test_a_merged_group_counts_once_in_stats_and_rapor(client, session, admin, pothole):
    lapor, wa, call = pothole
    for child in (wa, call):
        assert act(client, admin, child.id, action="merge", into=lapor.id).status_code == 200
    summary = client.get(f"{API}/stats/summary", headers=admin).json()
    assert summary["total"] == 1 and summary["merged_children"] == 2 and summary["by_status"]["rejected"] == 0
    assert sum(i["total"] for i in client.get(f"{API}/stats/by-channel", headers=admin).json()["items"]) == 1
    rapor = client.get(f"{API}/rapor", params={"period_start": "2026-11-01", "period_end": "2026-11-30"},
                       headers=admin).json()
    assert rapor["total"]["total"] == 1 and rapor["merged_children"] == 2
    xlsx = client.get(f"{API}/rapor.xlsx", params={"period_start": "2026-11-01", "period_end": "2026-11-30"},
                      headers=admin)
    cells = [c for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True) for c in row]
    assert "2 aduan duplikat digabung, dihitung sekali." in cells


def test_merge_refusals_name_into(client, session, admin, key_for, pothole):
    lapor, wa, call = pothole
    r = act(client, admin, wa.id, action="merge")
    assert r.status_code == 422 and field_of(r) == ["body", "into"]
    r = act(client, admin, wa.id, action="merge", into=wa.id)
    assert r.status_code == 422 and field_of(r) == ["body", "into"]
    r = act(client, admin, wa.id, action="merge", into=999_999)
    assert r.status_code == 422 and field_of(r) == ["body", "into"]
    # LAPOR! owns its status: never a child.
    r = act(client, admin, lapor.id, action="merge", into=wa.id)
    assert r.status_code == 409 and field_of(r) == ["body", "into"] and "SP4N-LAPOR!" in r.json()["detail"][0]["msg"]
    assert act(client, admin, wa.id, action="merge", into=lapor.id).status_code == 200
    # Into a child: merge into its root instead.
    r = act(client, admin, call.id, action="merge", into=wa.id)
    assert r.status_code == 409 and field_of(r) == ["body", "into"]
    assert f"gabungkan ke {lapor.tracking_code}" in r.json()["detail"][0]["msg"]
    # A cycle: the parent into its own (reopened) child.
    assert act(client, admin, wa.id, action="reopen").status_code == 200
    assert act(client, admin, call.id, action="merge", into=wa.id).status_code == 200
    r = act(client, admin, wa.id, action="merge", into=call.id)
    assert r.status_code == 409 and field_of(r) == ["body", "into"]
    # A parent the caller cannot read does not exist for it.
    petugas = key_for("petugas")
    fresh = add_complaint(session, "whatsapp", "W2", category_code=None)
    r = act(client, petugas, fresh.id, action="merge", into=lapor.id)  # dispatched: not in the petugas' rows
    assert r.status_code == 422 and field_of(r) == ["body", "into"]
    assert "tidak ditemukan" in r.json()["detail"][0]["msg"]
    assert act(client, key_for("opd_admin", "DPUPR"), lapor.id, action="merge", into=call.id).status_code == 403


# --- bulk -----------------------------------------------------------------------------------------

def test_bulk_actions_are_all_or_nothing(client, session, admin):
    queue = [add_complaint(session, "whatsapp", f"b{i}", category_code=None) for i in range(3)]
    done = add_complaint(session, "whatsapp", "done", status="resolved")
    ids = [c.id for c in queue]
    r = bulk(client, admin, [*ids, done.id], action="reject", reason="spam")
    assert r.status_code == 409, r.text
    detail = r.json()["detail"]
    assert [e["id"] for e in detail["errors"]] == [done.id] and "tidak diizinkan" in detail["errors"][0]["msg"]
    assert "tidak ada yang diubah" in detail["msg"]
    session.expire_all()
    assert {session.get(Complaint, i).status for i in ids} == {"unverified"}  # nothing applied
    r = bulk(client, admin, [*ids, 999_999], action="categorize", category="ADMINDUK-KTP")
    assert r.status_code == 422
    assert r.json()["detail"]["errors"] == [{"id": 999_999, "msg": "pengaduan tidak ditemukan"}]
    r = bulk(client, admin, ids, action="categorize", category="NOPE")
    assert r.status_code == 422 and len(r.json()["detail"]["errors"]) == 3
    assert bulk(client, admin, ids, action="reject").status_code == 422  # no reason
    r = bulk(client, admin, [ids[0], ids[0]], action="verify")
    assert r.status_code == 422 and field_of(r) == ["body", "ids"]
    assert bulk(client, admin, list(range(1, 202)), action="verify").status_code == 422
    assert bulk(client, admin, [], action="verify").status_code == 422

    r = bulk(client, admin, list(reversed(ids)), action="dispatch", category="ADMINDUK-KTP")
    assert r.status_code == 200, r.text
    assert r.json() == {"results": [{"id": i, "status": "dispatched"} for i in reversed(ids)]}
    session.expire_all()
    assert {session.get(Complaint, i).opd_id for i in ids} == {session.get(Complaint, ids[0]).opd_id}


def test_bulk_merge_makes_one_group(client, session, admin, pothole):
    lapor, wa, call = pothole
    r = bulk(client, admin, [wa.id, call.id, lapor.id], action="merge", into=lapor.id)
    assert r.status_code == 409  # the LAPOR! parent cannot be a child (of itself either): nothing merged
    assert [e["id"] for e in r.json()["detail"]["errors"]] == [lapor.id]
    assert r.json()["detail"]["errors"][0]["msg"].startswith("into: ")
    assert client.get(f"{API}/complaints/{lapor.id}", headers=admin).json()["merged"] == []
    assert bulk(client, admin, [wa.id, call.id], action="merge", into=lapor.id).status_code == 200
    assert len(client.get(f"{API}/complaints/{lapor.id}", headers=admin).json()["merged"]) == 2


# --- the petugas' queue ---------------------------------------------------------------------------

def test_petugas_triages_the_queue_but_does_not_read_other_complaints(client, session, key_for):
    petugas = key_for("petugas")
    queued = add_complaint(session, "whatsapp", "q1", category_code=None)
    queued_lapor = add_complaint(session, "lapor", "q2")
    resolved = add_complaint(session, "whatsapp", "r1", status="resolved", opd_code="DPUPR")
    dispatched = add_complaint(session, "lapor", "d1", status="dispatched", opd_code="DPUPR")
    own = client.post(f"{API}/complaints", json={"title": "Aduan loket", "body": "Datang langsung."},
                      headers=petugas).json()
    listed = {i["id"] for i in client.get(f"{API}/complaints", headers=petugas).json()["items"]}
    assert listed == {queued.id, queued_lapor.id, own["id"]}
    for hidden in (resolved, dispatched):
        assert client.get(f"{API}/complaints/{hidden.id}", headers=petugas).status_code == 404
        assert act(client, petugas, hidden.id, action="categorize", category="INFRA-JALAN").status_code == 404
    assert client.get(f"{API}/stats/summary", headers=petugas).json()["total"] == 3
    detail = client.get(f"{API}/complaints/{queued.id}", headers=petugas).json()
    assert detail["allowed_actions"] == ["verify", "dispatch", "categorize", "reject", "merge"]
    # Dispatching takes it out of the queue: the answer still shows the result, a later read does not.
    r = act(client, petugas, queued.id, action="dispatch", category="ADMINDUK-KTP")
    assert r.status_code == 200 and r.json()["status"] == "dispatched" and r.json()["opd_code"] == "DISDUKCAPIL"
    assert client.get(f"{API}/complaints/{queued.id}", headers=petugas).status_code == 404
    assert act(client, petugas, queued_lapor.id, action="respond", note="x").status_code == 403


# --- LAPOR! hand-back -----------------------------------------------------------------------------

def _refs(response):
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    refs = []
    for ws in book.worksheets:
        header, *rows = list(ws.iter_rows(values_only=True))
        refs += [dict(zip(header, row, strict=False))["nomor_referensi"] for row in rows]
    return refs


def test_a_second_hand_back_leaves_out_what_the_first_handed_back(client, session, admin, key_for):
    first_batch = [add_complaint(session, "whatsapp", f"h{i}", received_at=datetime(2026, 11, 2, 1, i, tzinfo=UTC))
                   for i in range(3)]
    r = client.get(HANDBACK, headers=admin)
    assert r.status_code == 200 and r.headers["x-total-rows"] == "3"
    assert sorted(_refs(r)) == sorted(c.tracking_code for c in first_batch)
    later = add_complaint(session, "manual", "h9")
    second = client.get(HANDBACK, headers=key_for("analyst"))
    assert _refs(second) == [later.tracking_code] and second.headers["x-total-rows"] == "1"
    again = client.get(HANDBACK, params={"include_handed_back": "true"}, headers=admin)
    assert len(_refs(again)) == 4
    assert _refs(client.get(HANDBACK, headers=admin)) == []
    detail = client.get(f"{API}/complaints/{first_batch[0].id}", headers=admin).json()
    assert detail["handed_back_at"] is not None
    handed = [e for e in detail["events"] if e["note"] and "Diserahkan ke SP4N-LAPOR!" in e["note"]]
    assert len(handed) == 1 and handed[0]["actor"] == "test-admin"  # once, though downloaded again


def test_a_hand_back_of_one_batch_records_only_that_batch(client, session, admin):
    for i in range(120):
        add_complaint(session, "whatsapp", f"b{i}", received_at=datetime(2026, 11, 2, 1, i % 60, i // 60, tzinfo=UTC))
    r = client.get(HANDBACK, params={"batch": 2}, headers=admin)
    assert len(_refs(r)) == 20
    stamped = session.exec(select(Complaint).where(Complaint.handed_back_at.is_not(None))).all()
    assert len(stamped) == 20
    assert client.get(HANDBACK, headers=admin).headers["x-total-rows"] == "100"
    assert session.exec(select(ComplaintEvent).where(ComplaintEvent.note.startswith("Diserahkan"))).all()


def test_merged_duplicates_are_never_handed_back(client, session, admin):
    parent = add_complaint(session, "whatsapp", "p1", category_code=None)
    child = add_complaint(session, "manual", "c1", category_code=None)
    assert act(client, admin, child.id, action="merge", into=parent.id).status_code == 200
    everything = client.get(HANDBACK, params={"status": ["unverified", "rejected"]}, headers=admin)
    assert _refs(everything) == [parent.tracking_code]
