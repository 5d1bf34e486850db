"""The Meta delivery emulator against the real app over HTTP (uvicorn on 127.0.0.1)."""

from datetime import UTC, datetime

from sqlmodel import func, select

from api.main import create_app
from connectors.emulators import meta_webhooks as meta
from connectors.emulators.runner import serve
from models import Complaint, ComplaintEvent, ConnectorInstance, EventKind
from tests.factories import seeded


def test_a_generated_morning_of_conversations_becomes_one_complaint_per_reporter(settings, session):
    seeded(session)
    session.add(ConnectorInstance(name="wa", kind="whatsapp", config={
        "verify_token": "v", "app_secret": "s3cret", "thread_window_minutes": 30}))
    session.commit()
    with serve(create_app()) as base:
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


def test_button_replies_and_status_references_reach_core_as_data():
    from datetime import UTC, datetime

    from connectors.emulators import meta_webhooks as meta
    from connectors.whatsapp import WhatsAppConnector

    connector = WhatsAppConnector({"verify_token": "v", "app_secret": "s"})
    at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    pressed = meta.button_reply("6281234500001", "beres:WA-1:belum", "2 Belum", at, context_id="wamid.Q")
    quick = meta.template_button_reply("6281234500001", "beres:WA-1:sudah", "1 Sudah", at)
    status = meta.status_update("wamid.X", "sent", "6281234500001", at, callback_data="aduan:3:1")
    body = meta.encode(meta.delivery([meta.change([pressed, quick], statuses=[status])]))
    results = [connector.normalise(payload) for _, payload in connector.split(body)]
    assert [(r.text, r.reply_id) for r in results[:2]] == [("2 Belum", "beres:WA-1:belum"),
                                                           ("1 Sudah", "beres:WA-1:sudah")]
    assert (results[2].provider_id, results[2].reference) == ("wamid.X", "aduan:3:1")
