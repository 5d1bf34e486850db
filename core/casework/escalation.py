"""The escalation ladder (docs/domain.md), run by the worker's SLA sweep.

The ladder is data (`EscalationStep` rows). For every complaint still waiting for its OPD's
first response, the sweep works out its working day of handling and fires what is due:
- daily steps (the WhatsApp reminder) on every working day from `working_day` on, after
  `settings.reminder_hour`, one message per OPD admin listing all that OPD's waiting complaints;
- one-off steps (letters, escalation) once per complaint; when several are due at once (the
  complaint arrived late, the worker was down) only the highest fires, so nobody gets three
  letters on one morning.

A complaint without a response deadline (`response_due_at IS NULL`) is never on the ladder: its
channel's upstream handles it to the end (a 112 emergency closed in the CAD; `Lifecycle.ladder_exempt`,
`ADUAN_LADDER_EXEMPT`), so core.intake.ingest gives it no deadlines and shows it in progress while open.

Each (OPD, step) batch is one transaction: its letter, the `EscalationRecord` of every complaint
(unique per complaint × step × fire key), their history events and the outbox rows. A sweep that
dies midway leaves whole batches behind it, and re-running it fires only what is missing.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.casework.letters import create_letter
from core.casework.outbox import enqueue, normalise_msisdn
from core.casework.sla import awaiting_answer_clause, handling_day, reconcile_pauses
from core.reference.calendar import WorkingCalendar, calendar_for
from core.runtime.bulk import insert_rows
from core.runtime.settings import Settings
from models import (
    Complaint,
    ComplaintEvent,
    EscalationRecord,
    EscalationStep,
    EventKind,
    Opd,
    OpdAdmin,
)
from models.types import utcnow

log = logging.getLogger(__name__)

ACTIONS = ("whatsapp_reminder", "letter", "escalate")
RECIPIENTS = ("opd_admins", "opd_head", "parent_and_sekda", "sekda")
CODES_IN_MESSAGE = 10


@dataclass
class Batch:
    opd_id: int
    step: EscalationStep
    complaint_ids: list[int]
    fire_key: str
    level: int


@dataclass
class SweepResult:
    paused: int = 0
    resumed: int = 0
    batches: int = 0
    records: int = 0
    letters: int = 0
    notifications: int = 0
    conflicts: int = 0
    skipped: bool = False  # another worker holds the sweep
    fired: list[tuple[str, str]] = field(default_factory=list)  # (tracking code, step code)

    def __bool__(self) -> bool:
        return bool(self.records or self.paused or self.resumed or self.conflicts)

    def __str__(self) -> str:
        return (f"{self.records} ladder steps fired in {self.batches} batches, {self.letters} letters, "
                f"{self.notifications} notifications queued, {self.paused} paused, {self.resumed} resumed")


def load_ladder(session: Session) -> list[EscalationStep]:
    return list(session.exec(select(EscalationStep).where(EscalationStep.enabled)
                             .order_by(EscalationStep.working_day, EscalationStep.position)).all())


def step_levels(steps: list[EscalationStep]) -> dict[str, int]:
    """Escalation level reached by each step: 0 for daily reminders, 1, 2, … for one-off steps in order."""
    once = [s for s in sorted(steps, key=lambda s: (s.working_day, s.position)) if not s.repeat_daily]
    levels = {s.code: 0 for s in steps if s.repeat_daily}
    levels.update({s.code: i for i, s in enumerate(once, 1)})
    return levels


def _awaiting():
    """Complaints on the ladder: awaiting their OPD's answer (first, or since a reopen), clock running, with a
    response deadline (none = handled upstream to the end, off the ladder), not merged into another (the parent
    is chased)."""
    return (awaiting_answer_clause(), Complaint.paused_at.is_(None), Complaint.opd_id.is_not(None),
            Complaint.response_due_at.is_not(None), Complaint.parent_id.is_(None))


def round_key(complaint: Complaint) -> str:
    """Fire key of one-off steps: each round of handling (first, then one per reopen) climbs the ladder anew."""
    return "once" if complaint.reopened_at is None else f"reopen{complaint.reopened_count}"


# What planning reads of each waiting complaint (day of handling, round, OPD); fire() adds what the letter and
# the messages show. Read as rows, not ORM objects: a 100,000-complaint backlog is read twice over (the ORM's
# objects cost 8 of its 38 s).
PLAN_COLUMNS = (Complaint.id, Complaint.opd_id, Complaint.received_at, Complaint.reopened_at,
                Complaint.reopened_count, Complaint.paused_working_days)
FIRE_COLUMNS = (*PLAN_COLUMNS, Complaint.tracking_code, Complaint.title, Complaint.rahasia, Complaint.response_due_at)


def plan(session: Session, settings: Settings, steps: list[EscalationStep], now: datetime,
         calendar: WorkingCalendar) -> list[Batch]:
    levels = step_levels(steps)
    daily = [s for s in steps if s.repeat_daily]
    once = [s for s in steps if not s.repeat_daily]
    today = calendar.local_date(now).isoformat()
    reminder_time = calendar.is_working_day(now) and now.astimezone(calendar.tz).hour >= settings.reminder_hour

    complaints = session.execute(select(*PLAN_COLUMNS).where(*_awaiting()).order_by(Complaint.id)).all()
    rounds = {c.id: round_key(c) for c in complaints}
    fired: dict[int, set[str]] = defaultdict(set)
    for complaint_id, code, key in session.exec(
        select(EscalationRecord.complaint_id, EscalationRecord.step_code, EscalationRecord.fire_key)
        .join(Complaint, Complaint.id == EscalationRecord.complaint_id)
        .where(*_awaiting(), or_(EscalationRecord.fire_key.in_(["once", today]),  # not every past reminder
                                 EscalationRecord.fire_key.like("reopen%")))
    ).all():
        if key == today:
            fired[complaint_id].add(f"{code}@{key}")
        elif key == rounds.get(complaint_id):
            fired[complaint_id].add(code)
    reminded_today = set(session.exec(
        select(EscalationRecord.opd_id, EscalationRecord.step_code)
        .where(EscalationRecord.fire_key == today, EscalationRecord.step_code.in_([s.code for s in daily]))
        .distinct()
    ).all()) if daily else set()

    by_opd: dict[int, list[tuple[Complaint, int]]] = defaultdict(list)
    for complaint in complaints:
        by_opd[complaint.opd_id].append((complaint, handling_day(complaint, now, calendar)))

    batches: list[Batch] = []
    for opd_id, items in by_opd.items():
        for step in daily:
            if not reminder_time or (opd_id, step.code) in reminded_today:
                continue
            ids = [c.id for c, day in items if day >= step.working_day and f"{step.code}@{today}" not in fired[c.id]]
            if ids:
                batches.append(Batch(opd_id, step, ids, today, 0))
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for complaint, day in items:
            due = [s for s in once if s.working_day <= day]
            if not due:
                continue
            target = due[-1]
            done = fired[complaint.id]
            if target.code in done or any(levels.get(code, 0) > levels[target.code] for code in done):
                continue
            groups[(target.code, rounds[complaint.id])].append(complaint.id)
        for step in once:
            for key in sorted(k for code, k in groups if code == step.code):
                batches.append(Batch(opd_id, step, groups[(step.code, key)], key, levels[step.code]))
    return batches


def run_sweep(engine: Engine, settings: Settings, *, now: datetime | None = None,
              calendar: WorkingCalendar | None = None,
              on_batch: Callable[[Batch], None] | None = None) -> SweepResult:
    """Pause/resume clocks, then fire every due ladder step. Safe to re-run and to run concurrently."""
    now = now or utcnow()
    calendar = calendar or calendar_for(settings)
    result = SweepResult()
    with _sweep_lock(engine) as acquired:
        if not acquired:
            result.skipped = True
            return result
        with Session(engine, expire_on_commit=False) as session:
            result.paused, result.resumed = reconcile_pauses(session, now, calendar)
            session.commit()
            batches = plan(session, settings, load_ladder(session), now, calendar)
        for batch in batches:
            try:
                with Session(engine, expire_on_commit=False) as session:
                    fired = fire(session, settings, calendar, batch, now)
                    session.commit()
            except IntegrityError:
                # Another sweep fired it first (unique keys); nothing of this batch was written.
                result.conflicts += 1
                continue
            result.batches += 1
            result.records += len(fired.codes)
            result.letters += fired.letter
            result.notifications += fired.notifications
            result.fired += [(code, batch.step.code) for code in fired.codes]
            if on_batch is not None:
                on_batch(batch)
    return result


@contextmanager
def _sweep_lock(engine: Engine) -> Iterator[bool]:
    """One sweep at a time on PostgreSQL (advisory lock); SQLite runs a single worker anyway."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        acquired = conn.execute(text("SELECT pg_try_advisory_lock(hashtext('aduan.sla_sweep'))")).scalar()
        try:
            yield bool(acquired)
        finally:
            if acquired:
                conn.execute(text("SELECT pg_advisory_unlock(hashtext('aduan.sla_sweep'))"))
            conn.commit()


def _batch_digest(batch: Batch) -> str:
    ids = ",".join(map(str, batch.complaint_ids))
    return hashlib.sha256((ids if batch.fire_key == "once" else f"{ids}@{batch.fire_key}").encode()).hexdigest()[:12]


@dataclass
class Fired:
    codes: list[str]
    letter: int = 0
    notifications: int = 0


def fire(session: Session, settings: Settings, calendar: WorkingCalendar, batch: Batch, now: datetime) -> Fired:
    """Fire one (OPD, step) batch; the caller commits. Complaints answered meanwhile are left out."""
    step = batch.step
    opd = session.get(Opd, batch.opd_id)
    complaints = session.execute(select(*FIRE_COLUMNS).where(
        Complaint.id.in_(batch.complaint_ids), *_awaiting(), Complaint.opd_id == opd.id).order_by(Complaint.id)).all()
    if not complaints:
        return Fired([])
    days = {c.id: handling_day(c, now, calendar) for c in complaints}
    sekda = session.exec(select(Opd).where(Opd.code == settings.sekda_opd_code)).first()

    letter = addressee = None
    if step.action in ("letter", "escalate"):
        addressee, cc = _addressee(session, opd, sekda, step)
        letter = create_letter(session, settings, calendar, kind=step.code, opd=opd, addressed_to=addressee,
                               complaints=complaints, now=now, cc=cc, escalation=step.action == "escalate")

    admins = _recipients(session, opd, sekda, step)
    codes = [c.tracking_code for c in complaints]
    listed = ", ".join(codes[:CODES_IN_MESSAGE]) + (
        f" dan {len(codes) - CODES_IN_MESSAGE} lainnya" if len(codes) > CODES_IN_MESSAGE else "")
    params = [opd.name, str(len(codes)), listed] if letter is None else [opd.name, letter.number, str(len(codes)),
                                                                          listed]
    ref = batch.fire_key if step.repeat_daily else (
        letter.number if letter else _batch_digest(batch))
    for number in admins:
        enqueue(session, key=f"{step.code}:{opd.code}:{ref}:{number}", recipient=number, template=step.template,
                params=params, now=now, opd_id=opd.id,
                complaint_id=complaints[0].id if len(complaints) == 1 else None)

    # Set-based: the records and the history go in by COPY on PostgreSQL (a batched INSERT elsewhere), one
    # UPDATE for the level. A record another sweep fired meanwhile meets the unique key: IntegrityError, nothing
    # of the batch is kept.
    ids = [c.id for c in complaints]
    letter_id = letter.id if letter else None
    conn = session.connection()
    insert_rows(conn, EscalationRecord.__table__, [
        {"complaint_id": i, "step_code": step.code, "fire_key": batch.fire_key, "level": batch.level,
         "opd_id": opd.id, "target_opd_id": addressee.id if addressee else None, "letter_id": letter_id,
         "fired_at": now} for i in ids], RECORD_COLUMNS)
    kind = EventKind.escalation if batch.level else EventKind.reminder
    insert_rows(conn, ComplaintEvent.__table__, [
        {"complaint_id": i, "kind": kind, "actor": "sistem", "from_status": None, "to_status": None, "at": now,
         "note": _note(step, opd, addressee, letter, len(admins), days[i]), "external_id": None,
         "data": {"step": step.code, "level": batch.level, "handling_day": days[i], "recipients": len(admins),
                  "letter_id": letter_id, "letter_number": letter.number if letter else None}} for i in ids],
        EVENT_COLUMNS)
    if batch.level:
        session.execute(update(Complaint).where(Complaint.id.in_(ids), Complaint.escalation_level < batch.level)
                        .values(escalation_level=batch.level).execution_options(synchronize_session=False))
    return Fired(codes, letter=1 if letter else 0, notifications=len(admins))


RECORD_COLUMNS = ("complaint_id", "step_code", "fire_key", "level", "opd_id", "target_opd_id", "letter_id", "fired_at")
EVENT_COLUMNS = ("complaint_id", "kind", "actor", "from_status", "to_status", "at", "note", "external_id", "data")


def _addressee(session: Session, opd: Opd, sekda: Opd | None, step: EscalationStep) -> tuple[Opd, list[str]]:
    if step.recipients == "opd_head" or (step.action == "letter" and step.recipients == "opd_admins"):
        return opd, []
    parent = session.get(Opd, opd.parent_id) if opd.parent_id else None
    target = parent or sekda or opd
    if step.recipients == "sekda" and sekda is not None:
        target = sekda
    cc = []
    if sekda is not None and target.id != sekda.id:
        cc.append(sekda.head_title or "Sekretaris Daerah")
    cc.append(opd.head_title or f"Kepala {opd.name}")
    return target, cc


def _recipients(session: Session, opd: Opd, sekda: Opd | None, step: EscalationStep) -> list[str]:
    """WhatsApp numbers (normalised, unique) of the admins who hear about this step."""
    opd_ids = [opd.id]
    if step.recipients in ("parent_and_sekda", "sekda"):
        opd_ids = [sekda.id] if sekda else []
        if step.recipients == "parent_and_sekda" and opd.parent_id:
            opd_ids.insert(0, opd.parent_id)
    admins = session.exec(select(OpdAdmin).where(OpdAdmin.opd_id.in_(opd_ids), OpdAdmin.active)
                          .order_by(OpdAdmin.id)).all() if opd_ids else []
    numbers: list[str] = []
    for admin in admins:
        number = normalise_msisdn(admin.whatsapp) or admin.whatsapp
        if number not in numbers:
            numbers.append(number)
    return numbers


def _note(step: EscalationStep, opd: Opd, addressee: Opd | None, letter, admins: int, day: int) -> str:
    when = f"hari kerja ke-{day}"
    whatsapp = f"WhatsApp ke {admins} admin" if admins else "tanpa WhatsApp (belum ada admin aktif)"
    if letter is None:
        return f"Pengingat {when}: {whatsapp} {opd.name}"
    if step.action == "escalate":
        return f"Dieskalasi ({when}) ke {addressee.name}, surat {letter.number}; {whatsapp}"
    return f"Surat {letter.subject.split(' atas ')[0].lower()} {letter.number} kepada " \
           f"{addressee.head_title or addressee.name} ({when}); {whatsapp}"
