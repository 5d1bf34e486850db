"""The Meta delivery emulator against the real app over HTTP (uvicorn on 127.0.0.1)."""

from datetime import UTC, datetime

from sqlmodel import func, select

from api.main import create_app
from connectors.emulators import meta_webhooks as meta
from models import Complaint, ComplaintEvent, ConnectorInstance, EventKind
from tests.factories import seeded
from tests.live_server import live_server


def test_a_generated_morning_of_conversations_becomes_one_complaint_per_reporter(settings, session):
    seeded(session)
    session.add(ConnectorInstance(name="wa", kind="whatsapp", config={
        "verify_token": "v", "app_secret": "s3cret", "thread_window_minutes": 30}))
    session.commit()
    with live_server(create_app()) as base:
        url = f"{base}/api/v1/webhooks/wa"
        assert meta.handshake(url, "v", "42").text == "42"
        counts = meta.run_scenario(url, "s3cret", reporters=6, seed=11, duplicate_rate=0.5,
                                   start=datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    assert counts["non_200"] == 0
    assert counts["posts"] > counts["deliveries"]  # some bodies were redelivered
    complaints = session.exec(select(Complaint)).all()
    assert len(complaints) == 6
    assert all(c.reporter_name and c.reporter_contact.startswith("628") for c in complaints)
    messages = session.exec(select(func.count()).select_from(ComplaintEvent)
                            .where(ComplaintEvent.kind == EventKind.message_in)).one()
    assert messages == counts["messages"]


def test_scenarios_are_reproducible_from_the_seed():
    start = datetime(2026, 11, 23, tzinfo=UTC)
    a = meta.WhatsAppScenario(3, start).deliveries(4)
    b = meta.WhatsAppScenario(3, start).deliveries(4)
    assert a == b
    assert meta.WhatsAppScenario(4, start).deliveries(4) != a
