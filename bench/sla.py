"""SLA sweep and outbox throughput: `python -m bench.sla --n 10000 --db-url URL`.

N unanswered complaints spread over 40 OPD (60 admins) and the last 15 working days; prints the
time of the first sweep (fires reminders, letters, escalations), of a second sweep (nothing left
to fire: the cost of idempotency), and the send rate through the Meta emulator with 5 % 130429.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlmodel import Session, select

from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState, create_app
from core.casework.escalation import run_sweep
from core.casework.outbox import dispatch_due
from core.intake.ingest import tracking_code
from core.reference.calendar import WorkingCalendar, calendar_for
from core.reference.seed import seed_reference
from core.runtime import migrate
from core.runtime.db import make_engine
from core.runtime.settings import load_settings
from models import Complaint, Notification, Opd, OpdAdmin, Status


def populate(engine, settings, n: int, now: datetime, calendar: WorkingCalendar) -> None:
    rng = random.Random(7)
    with Session(engine) as session:
        seed_reference(session, settings)
        opds = session.exec(select(Opd).order_by(Opd.id)).all()
        for i in range(60):
            session.add(OpdAdmin(opd_id=opds[i % len(opds)].id, name=f"Admin {i}", whatsapp=f"0812{i:08d}"))
        for i in range(n):
            received = now - timedelta(days=rng.uniform(0, 21))
            c = Complaint(channel="lapor", external_id=str(i), tracking_code=tracking_code("lapor", str(i)),
                          title="Jalan rusak", received_at=received, status=Status.dispatched,
                          opd_id=opds[rng.randrange(len(opds))].id, sla_tier="sedang",
                          response_due_at=calendar.add_working_days(received, 3),
                          resolution_due_at=calendar.add_working_days(received, 14))
            session.add(c)
            if i % 5000 == 4999:
                session.commit()
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--db-url", required=True)
    args = parser.parse_args()
    migrate.upgrade(args.db_url)
    engine = make_engine(args.db_url)
    settings = load_settings(database_url=args.db_url)
    calendar = calendar_for(settings)
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wednesday 09:00 WIB
    populate(engine, settings, args.n, now, calendar)

    started = time.perf_counter()
    first = run_sweep(engine, settings, now=now, calendar=calendar)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = run_sweep(engine, settings, now=now + timedelta(minutes=15), calendar=calendar)
    second_s = time.perf_counter() - started
    print(f"complaints awaiting response: {args.n:,}")
    print(f"first sweep:  {first_s:6.2f} s  ({first})")
    print(f"second sweep: {second_s:6.2f} s  ({second.records} fired: idempotent)")

    from connectors.emulators.runner import serve

    state = MetaGraphState(token="bench")
    state.inject(130429, every=20)
    with serve(create_app(state)) as base_url:
        wa = settings.model_copy(update=dict(whatsapp_graph_base_url=base_url, whatsapp_retry_base_seconds=0.0,
                                             whatsapp_phone_number_id=PHONE_NUMBER_ID,
                                             whatsapp_token=SecretStr("bench")))
        with Session(engine) as session:
            queued = len(session.exec(select(Notification.id)).all())
        started = time.perf_counter()
        result = dispatch_due(engine, wa, batch_size=50, now=now + timedelta(minutes=1))
        send_s = time.perf_counter() - started
    got = state.snapshot()
    print(f"outbox: {queued} notifications, {result.sent} sent ({len(got['messages'])} received by the emulator, "
          f"{len(got['rejected'])} throttled and retried) in {send_s:.2f} s = {result.sent / send_s:.0f} msg/s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    engine.dispose()


if __name__ == "__main__":
    main()
