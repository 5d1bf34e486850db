"""Escalations, overdue lists, letters, the ladder and sender health over the REST API."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState, create_app
from connectors.emulators.runner import serve
from core.casework.escalation import run_sweep
from core.casework.outbox import dispatch_due, enqueue
from core.intake.ingest import Resolver, upsert_complaint
from core.runtime import settings as core_settings
from models import Opd, OpdAdmin, Status
from models.types import utcnow
from tests.factories import draft, overdue_mix

WIB = ZoneInfo("Asia/Jakarta")


def wib(y, m, d, hh=8):
    return datetime(y, m, d, hh, tzinfo=WIB)


def receive(session, settings, external_id, received_at, **kw):
    complaint = upsert_complaint(session, "lapor", draft(external_id, received_at=received_at, **kw),
                                 Resolver(session, settings)).complaint
    session.commit()
    return complaint


@pytest.fixture
def fired(client, session, settings, engine):
    """Two complaints (DPUPR, Dukcapil) received Friday before Waisak 2025, swept through their ladder."""
    dpupr = session.exec(select(Opd).where(Opd.code == "DPUPR")).one()
    session.add(OpdAdmin(opd_id=dpupr.id, name="Admin PUPR", whatsapp="081234567001"))
    session.commit()
    receive(session, settings, "E1", wib(2025, 5, 9, 16))
    receive(session, settings, "E2", wib(2025, 5, 9, 16), category_code="ADMINDUK-KTP")
    for day in (14, 15, 16, 19):
        run_sweep(engine, settings, now=wib(2025, 5, day))
    return client


def test_escalations_filter_by_opd_level_and_period(fired, key_for):
    analyst = key_for("analyst")
    everything = fired.get("/api/v1/escalations", headers=analyst).json()["items"]
    assert len(everything) == 2 * 4 + 2 * 3  # 4 reminders + 3 ladder steps each
    assert everything[0]["fired_at"] >= everything[-1]["fired_at"]

    dpupr = fired.get("/api/v1/escalations?opd=DPUPR", headers=analyst).json()["items"]
    assert {i["opd_code"] for i in dpupr} == {"DPUPR"} and len(dpupr) == 7
    top = fired.get("/api/v1/escalations?level=3", headers=analyst).json()["items"]
    assert {(i["step_code"], i["target_opd_code"]) for i in top} == {("eskalasi", "SETDA")}
    assert all(i["letter_id"] for i in top)
    one_day = fired.get("/api/v1/escalations?period_start=2025-05-15&period_end=2025-05-15", headers=analyst)
    assert sorted(i["step_code"] for i in one_day.json()["items"]) == ["reminder", "reminder", "teguran_1",
                                                                      "teguran_1"]


def test_escalation_filters_reject_bad_input_naming_the_field(fired, key_for):
    analyst = key_for("analyst")
    bad_date = fired.get("/api/v1/escalations?period_start=15-05-2025", headers=analyst)
    assert bad_date.status_code == 422 and bad_date.json()["detail"][0]["loc"] == ["query", "period_start"]
    unknown = fired.get("/api/v1/escalations?opd=NOPE", headers=analyst)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "opd"]
    backwards = fired.get("/api/v1/escalations?period_start=2025-05-16&period_end=2025-05-14", headers=analyst)
    assert backwards.status_code == 422
    assert fired.get("/api/v1/escalations?level=-1", headers=analyst).status_code == 422
    assert fired.get("/api/v1/escalations").status_code == 401


def test_opd_admin_sees_only_its_own_opd(fired, key_for):
    dukcapil = key_for("opd_admin", "DISDUKCAPIL")
    items = fired.get("/api/v1/escalations", headers=dukcapil).json()["items"]
    assert items and {i["opd_code"] for i in items} == {"DISDUKCAPIL"}
    assert fired.get("/api/v1/escalations?opd=DPUPR", headers=dukcapil).status_code == 403
    assert fired.get("/api/v1/opd/DPUPR/overdue", headers=dukcapil).status_code == 403
    letters = fired.get("/api/v1/letters", headers=dukcapil).json()["items"]
    assert {letter["opd_code"] for letter in letters} == {"DISDUKCAPIL"}
    other = fired.get("/api/v1/letters?opd=DPUPR", headers=key_for("analyst")).json()["items"][0]
    assert fired.get(other["pdf_url"], headers=dukcapil).status_code == 404  # as for another OPD's complaint


def test_letters_are_listed_per_opd_and_downloadable_as_pdf(fired, key_for):
    analyst = key_for("analyst")
    letters = fired.get("/api/v1/letters?opd=DPUPR", headers=analyst).json()["items"]
    assert [letter["kind"] for letter in letters] == ["eskalasi", "teguran_2", "teguran_1"]
    assert letters[0]["addressed_to_opd_code"] == "SETDA" and letters[2]["addressed_to_opd_code"] == "DPUPR"
    assert letters[2]["number"] == "800/1/DPUPR/2025"
    pdf = fired.get(letters[0]["pdf_url"], headers=analyst)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "surat-800-" in pdf.headers["content-disposition"]
    assert fired.get("/api/v1/letters/9999.pdf", headers=analyst).status_code == 404
    assert fired.get("/api/v1/letters?opd=NOPE", headers=analyst).status_code == 422


def test_overdue_list_per_opd(client, session, settings, key_for):
    month_ago = utcnow() - timedelta(days=30)
    late = receive(session, settings, "O1", month_ago)
    receive(session, settings, "O2", month_ago, status=Status.postponed)  # clock paused: not overdue
    secret = receive(session, settings, "O3", month_ago, rahasia=True, title="Pungli di kantor")
    answered = receive(session, settings, "O4", month_ago, status=Status.in_progress)
    receive(session, settings, "O5", utcnow())  # fresh
    answered.resolution_due_at = utcnow() - timedelta(days=1)  # answered, but resolution overdue
    session.add(answered)
    session.commit()

    body = client.get("/api/v1/opd/DPUPR/overdue", headers=key_for("analyst")).json()
    assert body["opd_code"] == "DPUPR"
    by_id = {i["complaint_id"]: i for i in body["items"]}
    assert set(by_id) == {late.id, secret.id, answered.id}
    assert by_id[late.id]["kind"] == "response" and by_id[late.id]["days_overdue"] > 10
    assert by_id[answered.id]["kind"] == "resolution" and by_id[answered.id]["days_overdue"] <= 1
    assert by_id[secret.id]["title"] == "Pungli di kantor"
    viewer = client.get("/api/v1/opd/DPUPR/overdue", headers=key_for("viewer"))
    assert viewer.status_code == 403  # viewers see aggregates only, never a complaint's title
    assert client.get("/api/v1/opd/NOPE/overdue", headers=key_for("analyst")).status_code == 404


def test_overdue_is_one_rule_for_the_opd_list_the_complaint_filter_and_the_summary(client, session, key_for):
    cases = overdue_mix(session, utcnow())
    overdue_mix(session, utcnow(), opd_code="DINKES")  # another OPD's: in none of DPUPR's answers
    expected = {complaint_id: kind for complaint_id, kind in cases.values() if kind}
    analyst = key_for("analyst")
    opd_list = client.get("/api/v1/opd/DPUPR/overdue", headers=analyst).json()["items"]
    listed = client.get("/api/v1/complaints?overdue=true&opd=DPUPR&limit=100", headers=analyst).json()["items"]
    on_time = client.get("/api/v1/complaints?overdue=false&opd=DPUPR&limit=100", headers=analyst).json()["items"]
    summary = client.get("/api/v1/stats/summary?opd=DPUPR", headers=analyst).json()

    assert {i["complaint_id"]: i["kind"] for i in opd_list} == expected
    assert {i["id"] for i in listed} == set(expected) and all(i["overdue"] for i in listed)
    assert {i["id"] for i in on_time} == {i for i, _ in cases.values()} - set(expected)
    assert summary["overdue"] == len(expected) == 3


def test_ladder_is_admin_configuration(client, session, settings, engine, key_for):
    admin = key_for("admin")
    assert client.get("/api/v1/escalation-ladder", headers=key_for("analyst")).status_code == 403
    ladder = client.get("/api/v1/escalation-ladder", headers=admin).json()
    assert [(s["code"], s["working_day"]) for s in ladder] == [("reminder", 1), ("teguran_1", 2), ("teguran_2", 3),
                                                               ("eskalasi", 4)]
    # A stricter pemda: first letter already on day 1, no second letter, reminders off.
    new = [dict(s) for s in ladder if s["code"] != "teguran_2"]
    new[0]["enabled"] = False
    new[1]["working_day"] = 1
    saved = client.put("/api/v1/escalation-ladder", json=new, headers=admin)
    assert saved.status_code == 200
    assert [(s["code"], s["working_day"], s["enabled"]) for s in saved.json()] == [
        ("reminder", 1, False), ("teguran_1", 1, True), ("eskalasi", 4, True)]
    c = receive(session, settings, "LAD", wib(2025, 5, 9, 16))
    result = run_sweep(engine, settings, now=wib(2025, 5, 14))
    assert result.fired == [(c.tracking_code, "teguran_1")]
    assert run_sweep(engine, settings, now=wib(2025, 5, 16)).fired == []  # no teguran_2 any more


@pytest.mark.parametrize("change, field", [
    ({"action": "telegram"}, "action"),
    ({"recipients": "everyone"}, "recipients"),
    ({"working_day": -1}, "working_day"),
    ({"template": "Pengingat Aduan!"}, "template"),
    ({"code": "teguran_1"}, "code"),  # duplicate of the second step
    ({"action": "letter"}, "repeat_daily"),  # a daily letter makes no sense
])
def test_bad_ladder_is_rejected_naming_the_field(client, key_for, change, field):
    admin = key_for("admin")
    ladder = client.get("/api/v1/escalation-ladder", headers=admin).json()
    ladder[0].update(change)
    response = client.put("/api/v1/escalation-ladder", json=ladder, headers=admin)
    assert response.status_code == 422
    assert any(err["loc"][-1] == field for err in response.json()["detail"]), response.json()
    assert len(client.get("/api/v1/escalation-ladder", headers=admin).json()) == 4  # nothing written


def test_expired_token_shows_on_health(client, session, engine, monkeypatch):
    state = MetaGraphState(token="tok")
    with serve(create_app(state)) as base_url:
        for name, value in {"WHATSAPP_GRAPH_BASE_URL": base_url, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
                            "WHATSAPP_TOKEN": "tok"}.items():
            monkeypatch.setenv(f"ADUAN_{name}", value)
        core_settings.get_settings.cache_clear()
        settings = core_settings.get_settings()
        assert client.get("/api/v1/health").json()["whatsapp_sender"]["status"] == "ok"
        for i in range(3):
            enqueue(session, key=f"h{i}", recipient=f"08123456700{i}", template="pengingat_aduan", params=["x"],
                    now=utcnow())
        session.commit()
        state.token_expired = True
        assert dispatch_due(engine, settings).blocked
    body = client.get("/api/v1/health").json()
    assert body["status"] == "degraded"
    sender = body["whatsapp_sender"]
    assert sender["status"] == "blocked" and sender["detail"].startswith("190:")
    assert sender["pending"] == 2 and sender["failed"] == 1 and sender["since"]
