"""`/metrics` is scraped like Prometheus would and parsed with its own text parser."""

import socket

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from core.casework.outbox import enqueue
from core.intake.sync import sync_instance
from models.types import utcnow
from tests.emulated import add_lapor, lapor_upstream
from tests.factories import rapor_fixture

API = "/api/v1"


def scrape(client, **headers) -> dict[str, list]:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(r.text)}


def value(samples, name: str, **labels) -> float:
    found = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_requests_are_counted_per_route_template_not_per_path(client, key_for, session):
    admin = key_for("admin")
    made = rapor_fixture(session, resolved=1, in_progress=1, dispatched=0, unverified=0)
    for complaint in made:
        assert client.get(f"{API}/complaints/{complaint.id}", headers=admin).status_code == 200
    client.get(f"{API}/complaints/999999", headers=admin)

    families = scrape(client)
    requests = families["aduan_http_requests"]
    template = f"{API}/complaints/{{complaint_id:int}}"
    assert value(requests, "aduan_http_requests_total", handler=template, method="GET", status="2xx") == 2
    assert value(requests, "aduan_http_requests_total", handler=template, method="GET", status="4xx") == 1
    handlers = {s.labels.get("handler") for s in requests}
    assert not handlers & ({f"{API}/complaints/{c.id}" for c in made} | {f"{API}/complaints/999999"})
    latency = families["aduan_http_request_duration_seconds"]
    assert value(latency, "aduan_http_request_duration_seconds_count", handler=template, method="GET") == 3
    assert all(s.labels.get("handler") != "/metrics" for s in requests)


def test_connector_runs_records_and_errors_come_from_the_database(client, session, engine):
    with lapor_upstream(total=30) as (_, base_url):
        add_lapor(session, base_url)
        assert sync_instance("lapor1", engine=engine).status == "ok"
    add_lapor(session, f"http://127.0.0.1:{closed_port()}", name="lapor-mati")
    assert sync_instance("lapor-mati", engine=engine).status == "error"

    families = scrape(client)
    ok, dead = {"connector": "lapor1", "kind": "lapor"}, {"connector": "lapor-mati", "kind": "lapor"}
    runs, errors = families["aduan_connector_sync_runs"], families["aduan_connector_sync_errors"]
    assert value(runs, "aduan_connector_sync_runs_total", **ok) == 1
    assert value(errors, "aduan_connector_sync_errors_total", **ok) == 0
    assert value(runs, "aduan_connector_sync_runs_total", **dead) == 1
    assert value(errors, "aduan_connector_sync_errors_total", **dead) == 1
    records = families["aduan_connector_records"]
    assert value(records, "aduan_connector_records_total", outcome="fetched", **ok) == 30
    assert value(records, "aduan_connector_records_total", outcome="new", **ok) == 30
    assert value(records, "aduan_connector_records_total", outcome="failed", **ok) == 0
    last_ok = families["aduan_connector_last_success_timestamp_seconds"]
    assert abs(value(last_ok, "aduan_connector_last_success_timestamp_seconds", **ok) - utcnow().timestamp()) < 600
    assert not [s for s in last_ok if s.labels["connector"] == "lapor-mati"]
    assert value(families["aduan_database_up"], "aduan_database_up") == 1


def test_outbox_depth_and_overdue_match_the_api(client, session, key_for):
    rapor_fixture(session)  # received weeks ago: the open ones are past their deadlines
    now = utcnow()
    for n in range(3):
        enqueue(session, key=f"k{n}", recipient="081234567890", template="pengingat", params=[], now=now)
    enqueue(session, key="bad", recipient="bukan nomor", template="pengingat", params=[], now=now)
    session.commit()

    families = scrape(client)
    outbox = families["aduan_outbox_notifications"]
    assert value(outbox, "aduan_outbox_notifications", status="pending") == 3
    assert value(outbox, "aduan_outbox_notifications", status="failed") == 1
    assert value(outbox, "aduan_outbox_notifications", status="sent") == 0

    summary = client.get(f"{API}/stats/summary", headers=key_for("admin")).json()
    assert summary["overdue"] > 0
    assert value(families["aduan_complaints_overdue"], "aduan_complaints_overdue") == summary["overdue"]
    assert value(families["aduan_complaints_open"], "aduan_complaints_open") == summary["open"]


def test_metrics_hold_no_reporter_data(client, session):
    made = rapor_fixture(session, resolved=1, in_progress=0, dispatched=1, unverified=0)
    body = client.get("/metrics").text
    for complaint in made:
        for text in (complaint.title, complaint.body, complaint.tracking_code, complaint.reporter_name):
            assert not text or text not in body


def test_token_protects_metrics_when_set(settings, session, monkeypatch):
    monkeypatch.setenv("ADUAN_METRICS_TOKEN", "scrape-rahasia-123")
    from core.runtime.settings import get_settings

    get_settings.cache_clear()
    with TestClient(create_app()) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"Authorization": "Bearer salah"}).status_code == 401
        assert "aduan_database_up" in scrape(c, Authorization="Bearer scrape-rahasia-123")


def test_metrics_can_be_switched_off(settings, monkeypatch):
    monkeypatch.setenv("ADUAN_METRICS_ENABLED", "false")
    from core.runtime.settings import get_settings

    get_settings.cache_clear()
    with TestClient(create_app()) as c:
        assert c.get("/metrics").status_code == 404


@pytest.mark.parametrize("apps", [3])
def test_many_apps_in_one_process_each_count_their_own(settings, apps):
    clients = [TestClient(create_app()) for _ in range(apps)]
    clients[0].get(f"{API}/health")
    counted = scrape(clients[0])["aduan_http_requests"]
    assert value(counted, "aduan_http_requests_total", handler=f"{API}/health", method="GET", status="2xx") == 1
    assert not [s for s in scrape(clients[1])["aduan_http_requests"] if s.labels.get("handler") == f"{API}/health"]


def test_the_daily_rollup_reports_its_backlog_and_the_days_the_reconcile_rebuilt(client, session, engine, settings):
    from sqlalchemy import update

    from core.reporting.rollup import fold_pending, reconcile
    from models import ComplaintRollup

    rapor_fixture(session, resolved=2, in_progress=1, dispatched=0, unverified=0)
    families = scrape(client)
    assert value(families["aduan_rollup_ready"], "aduan_rollup_ready") == 1
    assert value(families["aduan_rollup_pending_changes"], "aduan_rollup_pending_changes") > 0
    fold_pending(engine)
    with engine.begin() as conn:  # a row the triggers did not write
        conn.execute(update(ComplaintRollup).where(ComplaintRollup.dimension == "all").values(n=99))
    reconcile(engine, settings.tz)
    families = scrape(client)
    assert value(families["aduan_rollup_pending_changes"], "aduan_rollup_pending_changes") == 0
    assert value(families["aduan_rollup_drifted_days"], "aduan_rollup_drifted_days") == 1
    assert value(families["aduan_rollup_rebuilt_days"], "aduan_rollup_rebuilt_days_total") == 1
    assert families["aduan_rollup_reconciled_timestamp_seconds"][0].value > utcnow().timestamp() - 60
