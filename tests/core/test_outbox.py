"""The notification outbox against the Meta Graph emulator (real HTTP on 127.0.0.1)."""

import threading
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select

from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState, create_app
from connectors.emulators.runner import serve
from core.casework.escalation import run_sweep
from core.casework.outbox import GraphSender, dispatch_due, enqueue, sender_health
from core.intake.ingest import Resolver, upsert_complaint
from models import Notification, NotificationStatus, Opd, OpdAdmin
from models.types import utcnow
from tests.factories import draft, seeded

TOKEN = "emulator-token"


@pytest.fixture
def meta():
    state = MetaGraphState(token=TOKEN)
    with serve(create_app(state)) as base_url:
        state.base_url = base_url
        yield state


@pytest.fixture
def wa(settings, meta):
    """Settings pointing the sender at the emulator, with a tiny backoff so retries are immediate."""
    return settings.model_copy(update=dict(
        whatsapp_graph_base_url=meta.base_url, whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_token=SecretStr(TOKEN), whatsapp_retry_base_seconds=0.0, whatsapp_timeout_seconds=0.3,
        whatsapp_max_attempts=10))


def queue(session, n, prefix="t"):
    now = utcnow()
    for i in range(n):
        enqueue(session, key=f"{prefix}:{i}", recipient=f"08123400{i:04d}", template="pengingat_aduan",
                params=["Dinas Uji", "1", f"LPR-{i:04d}"], now=now)
    session.commit()


def rows(session):
    session.expire_all()
    return session.exec(select(Notification).order_by(Notification.id)).all()


def test_two_hundred_reminders_with_throttling_and_server_errors_arrive_exactly_once(session, engine, wa, meta):
    seeded(session)
    opds = session.exec(select(Opd).order_by(Opd.id)).all()
    assert len(opds) == 40
    resolver = Resolver(session, wa)
    received = datetime(2025, 5, 9, 9, 0, tzinfo=UTC)
    for i, opd in enumerate(opds):
        upsert_complaint(session, "lapor", draft(f"K{i}", opd_code=opd.code, received_at=received), resolver)
        for j in range(5):
            session.add(OpdAdmin(opd_id=opd.id, name=f"Admin {j}", whatsapp=f"0813{i:03d}{j:05d}"))
    session.commit()
    morning = datetime(2025, 5, 14, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert run_sweep(engine, wa, now=morning).notifications == 200

    meta.inject(130429, every=5)
    meta.inject(500, every=11)
    meta.inject(131056, times=4)
    meta.inject(503, times=3)
    meta.inject(502, times=2)
    meta.inject("timeout", times=2, delay=0.5)
    result = dispatch_due(engine, wa, batch_size=25)

    got = meta.snapshot()
    assert len(got["messages"]) == 200
    assert len({(m["to"], m["parameters"][0]) for m in got["messages"]}) == 200
    assert {r["code"] for r in got["rejected"]} >= {130429, 500, 131056, 503, 502, "timeout"}
    notifications = rows(session)
    assert {n.status for n in notifications} == {NotificationStatus.sent}
    assert {n.provider_id for n in notifications} == {m["id"] for m in got["messages"]}
    assert sum(n.attempts for n in notifications) == got["requests"]
    assert result.sent == 200 and result.retried == len(got["rejected"])
    # The message is the approved template in Indonesian with its parameters.
    first = got["messages"][0]
    assert first["template"] == "pengingat_aduan" and first["language"] == "id"
    assert first["parameters"][1] == "1" and first["parameters"][2].startswith("LPR-")
    # Nothing left to send: a second pass (or a restarted worker) sends nothing.
    assert dispatch_due(engine, wa).sent == 0
    assert len(meta.snapshot()["messages"]) == 200


def test_two_workers_never_send_the_same_notification(session, engine, wa, meta):
    queue(session, 200)
    meta.inject(130429, every=9)
    results = []

    def worker():
        results.append(dispatch_due(engine, wa, batch_size=5))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    sent = Counter(m["to"] for m in meta.snapshot()["messages"])
    assert len(sent) == 200 and set(sent.values()) == {1}
    assert sum(r.sent for r in results) == 200
    assert all(r.sent > 0 for r in results), "both workers took part"


def test_permanent_errors_fail_the_row_with_the_reason(session, engine, wa, meta):
    queue(session, 3)
    enqueue(session, key="bad", recipient="12-34", template="pengingat_aduan", params=[], now=utcnow())
    session.commit()
    meta.outside_window = {"6281234000001"}
    meta.invalid_numbers = {"6281234000002"}
    dispatch_due(engine, wa)
    by_key = {n.idempotency_key: n for n in rows(session)}
    assert by_key["t:0"].status == NotificationStatus.sent
    assert by_key["t:1"].status == NotificationStatus.failed
    assert by_key["t:1"].last_error.startswith("131047:")
    assert by_key["t:2"].last_error.startswith("131026:")
    assert by_key["bad"].status == NotificationStatus.failed and "tidak valid" in by_key["bad"].last_error
    assert by_key["t:1"].attempts == 1


def test_retries_are_bounded(session, engine, wa, meta):
    queue(session, 1)
    meta.inject(503, every=1)
    dispatch_due(engine, wa.model_copy(update={"whatsapp_max_attempts": 3}))
    (row,) = rows(session)
    assert row.status == NotificationStatus.failed and row.attempts == 3
    assert "gagal setelah 3 percobaan" in row.last_error
    assert meta.snapshot()["requests"] == 3


def test_backoff_schedules_the_next_attempt(session, engine, wa, meta):
    queue(session, 1)
    meta.inject(130429, times=1)
    now = utcnow()
    slow = wa.model_copy(update={"whatsapp_retry_base_seconds": 60.0})
    dispatch_due(engine, slow, now=now)
    (row,) = rows(session)
    assert row.status == NotificationStatus.pending and row.attempts == 1
    assert 48 <= (row.next_attempt_at - now).total_seconds() <= 72
    assert dispatch_due(engine, slow, now=now).sent == 0  # not due yet
    later = row.next_attempt_at
    assert dispatch_due(engine, slow, now=later).sent == 1


def test_expired_token_stops_sending_until_the_token_changes(session, engine, wa, meta):
    queue(session, 10)
    dispatch_due(engine, wa, batch_size=3, max_batches=1)
    assert len(meta.snapshot()["messages"]) == 3
    meta.token_expired = True
    result = dispatch_due(engine, wa, batch_size=3)
    assert result.blocked and result.failed == 1
    statuses = Counter(n.status for n in rows(session))
    assert statuses == {NotificationStatus.sent: 3, NotificationStatus.failed: 1, NotificationStatus.pending: 6}
    failed = next(n for n in rows(session) if n.status == NotificationStatus.failed)
    assert failed.last_error.startswith("190:")

    requests = meta.snapshot()["requests"]
    assert dispatch_due(engine, wa).blocked  # stays stopped: no request reaches Meta
    assert meta.snapshot()["requests"] == requests
    health = sender_health(session, wa)
    assert health["status"] == "blocked" and health["detail"].startswith("190:") and health["pending"] == 6

    # A new token (operator fixes ADUAN_WHATSAPP_TOKEN) resumes sending.
    meta.token, meta.token_expired = "fresh-token", False
    fresh = wa.model_copy(update={"whatsapp_token": SecretStr("fresh-token")})
    assert dispatch_due(engine, fresh).sent == 6
    assert sender_health(session, fresh)["status"] == "ok"


def test_unconfigured_sender_leaves_rows_pending(session, engine, settings):
    queue(session, 2)
    result = dispatch_due(engine, settings)
    assert result.unconfigured
    assert {n.status for n in rows(session)} == {NotificationStatus.pending}
    assert sender_health(session, settings)["status"] == "unconfigured"


def test_crash_after_claim_is_resent_after_the_lease(session, engine, wa, meta):
    from core.casework.outbox import claim

    queue(session, 2)
    now = utcnow()
    claimed = claim(engine, now, 10, lease=wa_lease(wa))
    assert len(claimed) == 2  # the worker dies here, before sending
    assert dispatch_due(engine, wa, now=now).sent == 0  # leased: nobody else takes them
    assert dispatch_due(engine, wa, now=now + wa_lease(wa)).sent == 2
    assert len(meta.snapshot()["messages"]) == 2


def wa_lease(settings):
    from core.casework.outbox import _lease

    return _lease(settings)


def test_sender_speaks_the_graph_wire_format(wa):
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["auth"] = request.headers["authorization"]
        seen["body"] = request.read()
        return httpx.Response(200, json={"messaging_product": "whatsapp",
                                         "contacts": [{"input": "6281", "wa_id": "6281"}],
                                         "messages": [{"id": "wamid.X"}]})

    sender = GraphSender(wa.model_copy(update={"whatsapp_graph_base_url": "https://graph.example"}),
                         client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert sender.send_template("6281234", "pengingat_aduan", ["Dinas", 2]) == "wamid.X"
    assert seen["url"] == f"https://graph.example/v21.0/{PHONE_NUMBER_ID}/messages"
    assert seen["auth"] == f"Bearer {TOKEN}"
    import json

    assert json.loads(seen["body"]) == {
        "messaging_product": "whatsapp", "to": "6281234", "type": "template",
        "template": {"name": "pengingat_aduan", "language": {"code": "id"},
                     "components": [{"type": "body", "parameters": [{"type": "text", "text": "Dinas"},
                                                                    {"type": "text", "text": "2"}]}]}}


def test_restart_mid_sweep_then_send_delivers_every_reminder_once(session, engine, wa, meta):
    seeded(session)
    resolver = Resolver(session, wa)
    received = datetime(2025, 5, 9, 9, 0, tzinfo=UTC)
    codes = ["DPUPR", "DINKES", "DISDUKCAPIL", "DINSOS"]
    for code in codes:
        opd = session.exec(select(Opd).where(Opd.code == code)).one()
        upsert_complaint(session, "lapor", draft(code, opd_code=code, received_at=received), resolver)
        session.add(OpdAdmin(opd_id=opd.id, name="Admin", whatsapp=f"0812{opd.id:08d}"))
    session.commit()
    day2 = datetime(2025, 5, 15, 8, 0, tzinfo=ZoneInfo("Asia/Jakarta"))

    def die_after_three(batch, seen=[]):  # noqa: B006 - a counter that lives for this sweep only
        seen.append(batch)
        if len(seen) == 3:
            raise KeyboardInterrupt  # the worker is killed midway through the sweep

    with pytest.raises(KeyboardInterrupt):
        run_sweep(engine, wa, now=day2, on_batch=die_after_three)
    dispatch_due(engine, wa)  # the restarted worker sends what was queued…
    run_sweep(engine, wa, now=day2)  # …finishes the sweep…
    dispatch_due(engine, wa)  # …and sends the rest
    run_sweep(engine, wa, now=day2)
    dispatch_due(engine, wa)
    sent = Counter((m["to"], m["template"]) for m in meta.snapshot()["messages"])
    assert len(sent) == 2 * len(codes)  # reminder + first letter notice per OPD admin
    assert set(sent.values()) == {1}
