"""The SLA clock of one complaint: day of handling, pausing while postponed, overdue or not, overdue days.

Due dates are stored on the complaint by `set_due_dates` (the one rule), called on ingest
(`core.intake.ingest.apply_due_dates`) and when a person sets the category (`core.casework.workflow`).
A postponed complaint stops its clock (`paused_at`); on resumption every deadline moves by the
working days spent paused, and the total is kept in `paused_working_days` so a later
re-categorisation (which recomputes due dates from receipt) keeps the shift.

A reopened complaint (staff, or the reporter's "belum") starts a new round of handling at `reopened_at`:
deadlines, the day of handling and the ladder count from there (`clock_start`), and it waits for its OPD's
answer again until `reopen_answered_at` is set by the next respond/resolve (`awaiting_answer`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from core.reference.calendar import WorkingCalendar
from core.runtime.settings import Settings
from models import Complaint, ComplaintEvent, EventKind, SlaTier, Status
from models.enums import AWAITING_RESPONSE, OPEN_STATUSES

# The one overdue rule, in SQL (`overdue_clause`) and per row (`overdue_kind`); tests/core/test_sla.py keeps
# them in step. A complaint is overdue while its clock runs (not postponed, not paused) and it is past
#  - its response deadline, while awaiting the OPD's answer (none yet, or none since it was reopened), or
#  - its resolution deadline, while open.
RUNNING_STATUSES = tuple(s for s in OPEN_STATUSES if s is not Status.postponed)
OverdueKind = Literal["response", "resolution"]


def clock_start(complaint: Complaint) -> datetime:
    """Where the SLA clock of the current round of handling starts: the last reopen, else receipt."""
    return complaint.reopened_at or complaint.received_at


def awaiting_answer_clause() -> ColumnElement[bool]:
    """SQL for `awaiting_answer(c)`."""
    c = Complaint
    return or_(and_(c.status.in_(AWAITING_RESPONSE), c.first_response_at.is_(None)),
               and_(c.status.in_(RUNNING_STATUSES), c.reopened_at.is_not(None), c.reopen_answered_at.is_(None)))


def awaiting_answer(complaint: Complaint) -> bool:
    """Waiting for its OPD's first answer, or for an answer since the complaint was reopened."""
    if complaint.status in AWAITING_RESPONSE and complaint.first_response_at is None:
        return True
    return (complaint.status in RUNNING_STATUSES and complaint.reopened_at is not None
            and complaint.reopen_answered_at is None)


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """SQL for `overdue_kind(c, now) is not None`; never NULL, so `NOT overdue_clause` is its complement."""
    c = Complaint
    running = c.paused_at.is_(None)
    return or_(
        and_(running, awaiting_answer_clause(), c.response_due_at.is_not(None), c.response_due_at < now),
        and_(running, c.status.in_(RUNNING_STATUSES), c.resolution_due_at.is_not(None), c.resolution_due_at < now),
    )


def overdue_kind(complaint: Complaint, now: datetime) -> OverdueKind | None:
    """Which deadline an open complaint has missed (the response one first), or None when it is not overdue."""
    if complaint.paused_at is not None:
        return None
    if (awaiting_answer(complaint) and complaint.response_due_at is not None and complaint.response_due_at < now):
        return "response"
    if (complaint.status in RUNNING_STATUSES and complaint.resolution_due_at is not None
            and complaint.resolution_due_at < now):
        return "resolution"
    return None


def missed_deadline(complaint: Complaint, now: datetime) -> datetime | None:
    """The deadline an overdue complaint has missed, None when it is not overdue."""
    kind = overdue_kind(complaint, now)
    if kind is None:
        return None
    return complaint.response_due_at if kind == "response" else complaint.resolution_due_at


def set_due_dates(complaint: Complaint, add_working_days: Callable[[datetime, int], datetime], response_days: int,
                  resolution_days: int, exempt: bool = False) -> None:
    """Response due `response_days` working days after the clock start (receipt, or the last reopen), resolution
    `resolution_days` (the SLA tier's) after it, both shifted by the working days already spent postponed.
    `exempt` (the channel's upstream handles the complaint to the end): no deadlines at all, so never overdue and
    never on the ladder."""
    if exempt:
        complaint.response_due_at = complaint.resolution_due_at = None
        return
    paused = complaint.paused_working_days or 0
    start = clock_start(complaint)
    complaint.response_due_at = add_working_days(start, response_days + paused)
    complaint.resolution_due_at = add_working_days(start, resolution_days + paused)


def tier_days(session: Session, settings: Settings, tier: str) -> int | None:
    """Completion working days of an SLA tier (the sla_tier table over `ADUAN_SLA_TIERS`); None when unknown."""
    row = session.exec(select(SlaTier.resolution_days).where(SlaTier.code == tier)).first()
    return row if row is not None else settings.sla_tiers.get(tier)


def handling_day(complaint: Complaint, now: datetime, calendar: WorkingCalendar) -> int:
    """Working day of handling: 1 on the first working day after receipt (or the last reopen), paused days not
    counted."""
    elapsed = calendar.working_days_between(clock_start(complaint), now)
    return max(elapsed - (complaint.paused_working_days or 0), 0)


def days_overdue(due_at: datetime | None, now: datetime, calendar: WorkingCalendar) -> int:
    """Whole working days past a deadline (0 while it has not passed)."""
    if due_at is None or now <= due_at:
        return 0
    return calendar.working_days_between(due_at, now)


def pause_clock(complaint: Complaint, now: datetime) -> bool:
    """Stop the clock (complaint postponed). Returns False when it was already stopped."""
    if complaint.paused_at is not None:
        return False
    complaint.paused_at = now
    return True


def resume_clock(complaint: Complaint, now: datetime, calendar: WorkingCalendar) -> int:
    """Restart the clock of a complaint that leaves `postponed`; returns the working days it was paused.

    The working day on which it was postponed still counts as a day of handling; the day it
    resumes does not. Response and resolution deadlines move by the paused days.
    The caller (workflow, sweep) commits and records the status change.
    """
    if complaint.paused_at is None:
        return 0
    days = calendar.working_days_between(complaint.paused_at, now)
    complaint.paused_at = None
    if days <= 0:
        return 0
    complaint.paused_working_days = (complaint.paused_working_days or 0) + days
    if complaint.response_due_at is not None:
        complaint.response_due_at = calendar.add_working_days(complaint.response_due_at, days)
    if complaint.resolution_due_at is not None:
        complaint.resolution_due_at = calendar.add_working_days(complaint.resolution_due_at, days)
    return days


def track_pause(complaint: Complaint, now: datetime, calendar: WorkingCalendar) -> int | None:
    """Make the clock agree with the status: pause when postponed, resume otherwise.

    Returns the paused days when it resumed, 0 when it paused, None when nothing changed.
    """
    if complaint.status == Status.postponed:
        return 0 if pause_clock(complaint, now) else None
    if complaint.paused_at is not None:
        return resume_clock(complaint, now, calendar)
    return None


def reconcile_pauses(session: Session, now: datetime, calendar: WorkingCalendar) -> tuple[int, int]:
    """Fix clocks whose status changed without the workflow (e.g. upstream sync); (paused, resumed).

    The moment of the change is taken from the status event when there is one, else `now`.
    """
    paused = resumed = 0
    to_pause = session.exec(select(Complaint).where(Complaint.status == Status.postponed,
                                                    Complaint.paused_at.is_(None))).all()
    for complaint in to_pause:
        pause_clock(complaint, _status_change_at(session, complaint.id, to_status=Status.postponed) or now)
        session.add(complaint)
        paused += 1
    to_resume = session.exec(select(Complaint).where(Complaint.status != Status.postponed,
                                                     Complaint.paused_at.is_not(None))).all()
    for complaint in to_resume:
        at = _status_change_at(session, complaint.id, from_status=Status.postponed) or now
        days = resume_clock(complaint, max(at, complaint.paused_at), calendar)
        session.add(complaint)
        session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.note, at=now,
                                   note=f"Jam SLA dilanjutkan; tenggat digeser {days} hari kerja",
                                   data={"paused_working_days": days}))
        resumed += 1
    return paused, resumed


def _status_change_at(session: Session, complaint_id: int, *, to_status: str | None = None,
                      from_status: str | None = None) -> datetime | None:
    query = select(ComplaintEvent.at).where(ComplaintEvent.complaint_id == complaint_id)
    if to_status:
        query = query.where(ComplaintEvent.to_status == to_status)
    if from_status:
        query = query.where(ComplaintEvent.from_status == from_status)
    return session.exec(query.order_by(ComplaintEvent.at.desc())).first()
