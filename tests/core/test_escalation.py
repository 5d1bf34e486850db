"""The escalation ladder on Indonesian working days, with a frozen clock (`now` passed explicitly)."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from core.casework.escalation import run_sweep
from core.casework.sla import handling_day, overdue_kind, resume_clock
from core.casework.workflow import Action, apply_action
from core.intake.ingest import DraftEvent, Resolver, upsert_complaint
from core.reference.calendar import WorkingCalendar
from models import (
    Complaint,
    ComplaintEvent,
    EscalationRecord,
    EventKind,
    Letter,
    Notification,
    Opd,
    OpdAdmin,
    Status,
)
from tests.factories import draft, seeded

WIB = ZoneInfo("Asia/Jakarta")
cal = WorkingCalendar("Asia/Jakarta")


def wib(y, m, d, hh=8, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIB).astimezone(UTC)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=WIB).astimezone(UTC)


@pytest.fixture
def ready(session, settings):
    seeded(session)
    for code, numbers in {"DPUPR": ["0812-3456-7001", "+62 812 3456 7002"], "SETDA": ["081234567100"],
                          "DISDUKCAPIL": ["081234567201"], "DINKES": ["081234567301"]}.items():
        opd = session.exec(select(Opd).where(Opd.code == code)).one()
        for i, number in enumerate(numbers):
            session.add(OpdAdmin(opd_id=opd.id, name=f"Admin {code} {i}", whatsapp=number))
    session.commit()
    return session


def receive(session, settings, external_id, received_at, **kw):
    result = upsert_complaint(session, "lapor", draft(external_id, received_at=received_at, **kw),
                              Resolver(session, settings))
    session.commit()
    return result.complaint


# --- due dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("received, tier, response_due, resolution_due", [
    # Friday 16:00 before Waisak (Mon 12 May 2025) and its cuti bersama (Tue 13 May): day 1 is Wednesday.
    (wib(2025, 5, 9, 16), "cepat", date(2025, 5, 16), date(2025, 5, 20)),
    # …and with 14 days the count also jumps Kenaikan Isa Almasih (29 May) + cuti bersama (30 May).
    (wib(2025, 5, 9, 16), "sedang", date(2025, 5, 16), date(2025, 6, 4)),
    # Friday 16:00 before Nyepi + Idul Fitri 2026 (18–24 March are all off): day 3 is 25 March.
    (wib(2026, 3, 13, 16), "cepat", date(2026, 3, 25), date(2026, 3, 27)),
    # Thursday 27 March 2025: Nyepi cuti, Idul Fitri and its cuti bersama up to 7 April.
    (wib(2025, 3, 27, 16), "cepat", date(2025, 4, 10), date(2025, 4, 14)),
    # Late Friday evening local time is still Friday (UTC is the same day, earlier).
    (wib(2025, 5, 9, 23, 30), "cepat", date(2025, 5, 16), date(2025, 5, 20)),
])
def test_due_dates_skip_weekends_holidays_and_cuti_bersama(ready, settings, received, tier, response_due,
                                                           resolution_due):
    c = receive(ready, settings, "D1", received, sla_tier=tier)
    assert c.response_due_at == end_of(response_due)
    assert c.resolution_due_at == end_of(resolution_due)


# --- the ladder ----------------------------------------------------------------------------------

VESAK_2025 = (wib(2025, 5, 9, 16), {
    date(2025, 5, 10): set(), date(2025, 5, 11): set(), date(2025, 5, 12): set(), date(2025, 5, 13): set(),
    date(2025, 5, 14): {"reminder"},
    date(2025, 5, 15): {"reminder", "teguran_1"},
    date(2025, 5, 16): {"reminder", "teguran_2"},
    date(2025, 5, 17): set(), date(2025, 5, 18): set(),
    date(2025, 5, 19): {"reminder", "eskalasi"},
    date(2025, 5, 20): {"reminder"},
})
IDUL_FITRI_2026 = (wib(2026, 3, 13, 16), {
    date(2026, 3, 14): set(), date(2026, 3, 15): set(),
    date(2026, 3, 16): {"reminder"},
    date(2026, 3, 17): {"reminder", "teguran_1"},
    **{date(2026, 3, d): set() for d in range(18, 25)},
    date(2026, 3, 25): {"reminder", "teguran_2"},
    date(2026, 3, 26): {"reminder", "eskalasi"},
})


def fired_on(session, complaint_id, day: date) -> set[str]:
    records = session.exec(select(EscalationRecord).where(EscalationRecord.complaint_id == complaint_id)).all()
    return {r.step_code for r in records if cal.local_date(r.fired_at) == day}


@pytest.mark.parametrize("scenario", [VESAK_2025, IDUL_FITRI_2026], ids=["waisak-2025", "idul-fitri-2026"])
def test_ladder_fires_each_step_on_its_working_day_once(ready, settings, engine, scenario):
    received, expected = scenario
    c = receive(ready, settings, "L1", received)
    for day, steps in expected.items():
        for hour in (8, 13):  # sweeps run every 15 minutes: a second one that day adds nothing
            run_sweep(engine, settings, now=wib(day.year, day.month, day.day, hour))
        assert fired_on(ready, c.id, day) == steps, day
    ready.expire_all()
    complaint = ready.get(Complaint, c.id)
    assert complaint.escalation_level == 3
    events = ready.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id,
                                                     ComplaintEvent.kind.in_([EventKind.escalation,
                                                                              EventKind.reminder]))).all()
    assert len(events) == sum(len(s) for s in expected.values())
    letters = ready.exec(select(Letter).order_by(Letter.id)).all()
    assert [letter.kind for letter in letters] == ["teguran_1", "teguran_2", "eskalasi"]
    year = received.year
    assert [letter.number for letter in letters] == [f"800/{i}/DPUPR/{year}" for i in (1, 2, 3)]
    dpupr, setda = (ready.exec(select(Opd).where(Opd.code == code)).one() for code in ("DPUPR", "SETDA"))
    assert letters[2].addressed_to_opd_id == setda.id and letters[0].addressed_to_opd_id == dpupr.id
    # WhatsApp: both DPUPR admins get every reminder and letter notice; the Sekda's admin the escalation.
    keys = ready.exec(select(Notification.idempotency_key)).all()
    assert len(keys) == len(set(keys))
    per_recipient = Counter(n.recipient for n in ready.exec(select(Notification)).all())
    reminders = sum("reminder" in s for s in expected.values())
    assert per_recipient == {"6281234567001": reminders + 2, "6281234567002": reminders + 2, "6281234567100": 1}


def test_response_on_day_two_stops_everything_after_it(ready, settings, engine):
    received, expected = VESAK_2025
    c = receive(ready, settings, "R1", received)
    run_sweep(engine, settings, now=wib(2025, 5, 14))
    run_sweep(engine, settings, now=wib(2025, 5, 15))
    assert fired_on(ready, c.id, date(2025, 5, 15)) == {"reminder", "teguran_1"}
    reply = DraftEvent(external_id="balasan-1", at=wib(2025, 5, 15, 10), note="Sudah kami jadwalkan perbaikan",
                       is_opd_response=True)
    receive(ready, settings, "R1", received, status=Status.in_progress, events=[reply])
    before = ready.exec(select(Notification)).all()
    for day in (16, 19, 20, 21):
        result = run_sweep(engine, settings, now=wib(2025, 5, day))
        assert result.records == 0
    assert len(ready.exec(select(EscalationRecord)).all()) == 3
    assert len(ready.exec(select(Notification)).all()) == len(before)
    ready.expire_all()
    assert ready.get(Complaint, c.id).escalation_level == 1


def test_reminder_groups_an_opds_complaints_into_one_message_per_admin(ready, settings, engine):
    for i in range(3):
        receive(ready, settings, f"G{i}", wib(2025, 5, 9, 9 + i))
    receive(ready, settings, "G-ktp", wib(2025, 5, 9, 10), category_code="ADMINDUK-KTP")
    run_sweep(engine, settings, now=wib(2025, 5, 14, 6))  # before the reminder hour: nothing yet
    assert ready.exec(select(Notification)).all() == []
    result = run_sweep(engine, settings, now=wib(2025, 5, 14, 7, 15))
    assert result.records == 4
    rows = ready.exec(select(Notification).order_by(Notification.id)).all()
    assert Counter(r.recipient for r in rows) == {"6281234567001": 1, "6281234567002": 1, "6281234567201": 1}
    dpupr = rows[0]
    assert dpupr.template == "pengingat_aduan"
    assert dpupr.params[0] == "Dinas Pekerjaan Umum dan Penataan Ruang" and dpupr.params[1] == "3"
    assert dpupr.idempotency_key == "reminder:DPUPR:2025-05-14:6281234567001"
    # A complaint arriving later that day waits for tomorrow's reminder: no second message today.
    receive(ready, settings, "G-late", wib(2025, 5, 14, 11))
    assert run_sweep(engine, settings, now=wib(2025, 5, 14, 12)).records == 0
    assert run_sweep(engine, settings, now=wib(2025, 5, 15, 7, 15)).notifications >= 2


def test_sweep_interrupted_midway_then_rerun_fires_nothing_twice(ready, settings, engine):
    for i, category in enumerate(["INFRA-JALAN", "ADMINDUK-KTP", "KESEHATAN-PUSKESMAS"]):
        receive(ready, settings, f"M{i}", wib(2025, 5, 9, 10), category_code=category)
    now = wib(2025, 5, 15, 8)  # day 2: reminder + first letter for three OPDs = 6 batches

    class Crash(Exception):
        pass

    done = []

    def crash_after_two(batch):
        done.append(batch)
        if len(done) == 2:
            raise Crash

    with pytest.raises(Crash):
        run_sweep(engine, settings, now=now, on_batch=crash_after_two)
    first = ready.exec(select(Notification)).all()
    result = run_sweep(engine, settings, now=now)
    assert result.batches == 4 and result.conflicts == 0
    assert run_sweep(engine, settings, now=now).batches == 0
    records = ready.exec(select(EscalationRecord)).all()
    assert Counter(r.step_code for r in records) == {"reminder": 3, "teguran_1": 3}
    keys = ready.exec(select(Notification.idempotency_key)).all()
    assert len(keys) == len(set(keys)) and len(keys) > len(first)
    assert len(ready.exec(select(Letter)).all()) == 3


def test_complaint_first_seen_late_gets_only_the_highest_due_step(ready, settings, engine):
    c = receive(ready, settings, "LATE", wib(2025, 5, 9, 16))
    run_sweep(engine, settings, now=wib(2025, 5, 19, 9))  # working day 4, nothing fired before
    assert fired_on(ready, c.id, date(2025, 5, 19)) == {"reminder", "eskalasi"}
    assert [letter.kind for letter in ready.exec(select(Letter)).all()] == ["eskalasi"]
    ready.expire_all()
    assert ready.get(Complaint, c.id).escalation_level == 3


def test_opd_without_admins_is_recorded_but_sends_nothing(ready, settings, engine):
    c = receive(ready, settings, "NA", wib(2025, 5, 9, 10), category_code="INFRA-PJU")  # DISHUB: no admins
    run_sweep(engine, settings, now=wib(2025, 5, 14, 8))
    event = ready.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id,
                                                    ComplaintEvent.kind == EventKind.reminder)).one()
    assert "belum ada admin aktif" in event.note
    assert ready.exec(select(Notification)).all() == []


# --- pausing ---------------------------------------------------------------------------------------

def test_resume_clock_shifts_due_dates_by_the_paused_working_days(ready, settings):
    c = receive(ready, settings, "P1", wib(2026, 11, 23, 9))  # Monday; response due Thursday 26
    assert c.response_due_at == end_of(date(2026, 11, 26))
    resolution = c.resolution_due_at
    c.status, c.paused_at = Status.postponed, wib(2026, 11, 24, 10)  # what the workflow does on "postpone"
    c.status = Status.dispatched
    days = resume_clock(c, wib(2026, 11, 30, 10), cal)  # Wed 25, Thu 26, Fri 27, Mon 30
    assert days == 4
    assert c.paused_at is None and c.paused_working_days == 4
    assert c.response_due_at == end_of(date(2026, 12, 2))
    assert c.resolution_due_at == cal.add_working_days(resolution, 4)
    assert handling_day(c, wib(2026, 11, 30, 10), cal) == 1
    assert handling_day(c, wib(2026, 12, 1, 10), cal) == 2
    # re-categorisation recomputes from receipt and keeps the shift
    ready.add(c)
    ready.commit()
    receive(ready, settings, "P1", wib(2026, 11, 23, 9), category_code="ADMINDUK-KTP")
    assert c.response_due_at == end_of(date(2026, 12, 2))


def test_postponed_complaint_is_not_chased_and_its_ladder_resumes_later(ready, settings, engine):
    c = receive(ready, settings, "P2", wib(2025, 5, 9, 16))
    run_sweep(engine, settings, now=wib(2025, 5, 14, 8))  # day 1: reminder
    # Postponed upstream on day 1 (the sync sets the status; the clock stops with it).
    c = receive(ready, settings, "P2", wib(2025, 5, 9, 16), status=Status.postponed)
    assert c.paused_at is not None
    c.paused_at = wib(2025, 5, 14, 10)
    ready.add(c)
    ready.commit()
    for day in (15, 16, 19):
        assert run_sweep(engine, settings, now=wib(2025, 5, day)).records == 0
    # Back to dispatched without the workflow calling resume_clock: the sweep notices and resumes.
    c.status = Status.dispatched
    ready.add(c)
    ready.add(ComplaintEvent(complaint_id=c.id, kind=EventKind.status, from_status="postponed",
                             to_status="dispatched", at=wib(2025, 5, 20, 9)))
    ready.commit()
    result = run_sweep(engine, settings, now=wib(2025, 5, 20, 9, 30))
    assert result.resumed == 1
    ready.expire_all()
    c = ready.get(Complaint, c.id)
    assert c.paused_working_days == 4  # Thu 15, Fri 16, Mon 19, Tue 20
    assert c.response_due_at == end_of(date(2025, 5, 22))
    assert fired_on(ready, c.id, date(2025, 5, 20)) == {"reminder"}  # still day 1
    run_sweep(engine, settings, now=wib(2025, 5, 21))
    assert fired_on(ready, c.id, date(2025, 5, 21)) == {"reminder", "teguran_1"}


def test_a_reopened_complaint_climbs_the_ladder_again_from_the_reopen(ready, settings, engine):
    c = receive(ready, settings, "RO1", wib(2025, 7, 7, 9), status=Status.dispatched)  # Monday
    run_sweep(engine, settings, now=wib(2025, 7, 8, 8))  # day 1 of the first round
    assert fired_on(ready, c.id, date(2025, 7, 8)) == {"reminder"}
    for action, at in ((Action.respond, wib(2025, 7, 8, 10)), (Action.resolve, wib(2025, 7, 9, 10)),
                       (Action.reopen, wib(2025, 7, 10, 10))):  # the reporter said "belum" on Thursday
        apply_action(ready, c, action, "dpupr", cal, note="catatan", now=at, settings=settings)
        ready.commit()
    assert c.response_due_at == end_of(date(2025, 7, 15))  # from the reopen, not from receipt
    assert handling_day(c, wib(2025, 7, 11, 8), cal) == 1
    run_sweep(engine, settings, now=wib(2025, 7, 11, 8))
    run_sweep(engine, settings, now=wib(2025, 7, 14, 8))
    assert fired_on(ready, c.id, date(2025, 7, 11)) == {"reminder"}
    assert fired_on(ready, c.id, date(2025, 7, 14)) == {"reminder", "teguran_1"}
    assert overdue_kind(c, wib(2025, 7, 16, 8)) == "response"
    apply_action(ready, c, Action.respond, "dpupr", cal, note="Diperbaiki ulang", now=wib(2025, 7, 14, 10),
                 settings=settings)
    ready.commit()
    assert overdue_kind(c, wib(2025, 7, 16, 8)) is None
    for day in (15, 16, 17):
        assert run_sweep(engine, settings, now=wib(2025, 7, day)).records == 0
    keys = ready.exec(select(EscalationRecord.step_code, EscalationRecord.fire_key)
                      .where(EscalationRecord.complaint_id == c.id).order_by(EscalationRecord.id)).all()
    assert ("teguran_1", "reopen1") in keys
    letters = ready.exec(select(Letter)).all()
    assert [letter.kind for letter in letters] == ["teguran_1"]


def test_holidays_shift_steps_also_for_regional_holidays(ready, settings, engine):
    regional = WorkingCalendar("Asia/Jakarta", [date(2025, 5, 15)])  # e.g. Hari Jadi Kabupaten
    c = receive(ready, settings, "H1", wib(2025, 5, 9, 16))
    for day in (14, 15, 16):
        run_sweep(engine, settings, now=wib(2025, 5, day), calendar=regional)
    assert fired_on(ready, c.id, date(2025, 5, 15)) == set()
    assert fired_on(ready, c.id, date(2025, 5, 16)) == {"reminder", "teguran_1"}


def test_sweep_timestamps_are_the_frozen_clock(ready, settings, engine):
    c = receive(ready, settings, "T1", wib(2025, 5, 9, 16))
    now = wib(2025, 5, 15, 8)
    run_sweep(engine, settings, now=now)
    records = ready.exec(select(EscalationRecord).where(EscalationRecord.complaint_id == c.id)).all()
    assert {r.fired_at for r in records} == {now}
    assert all(n.next_attempt_at == now for n in ready.exec(select(Notification)).all())
    assert now - c.received_at > timedelta(days=5)
