"""Status workflow actions: verify, dispatch, respond, postpone, resolve, reject, reopen.

Only the transitions in `TRANSITIONS` are allowed; every action writes one history event with
the acting key's name and stamps the matching time (verified, dispatched, first response, resolved).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from core.casework.sla import pause_clock, resume_clock
from core.reference.calendar import WorkingCalendar
from models import Complaint, ComplaintEvent, EventKind, Opd, Role, Status
from models.types import utcnow


class Action(StrEnum):
    verify = "verify"
    dispatch = "dispatch"
    respond = "respond"
    postpone = "postpone"
    resolve = "resolve"
    reject = "reject"
    reopen = "reopen"


S = Status
# action -> (statuses it may start from, status it leads to; None = decided by history)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.verify: (frozenset({S.unverified}), S.verified),
    # Dispatching an unverified complaint verifies it too (LAPOR!'s "verifikasi + disposisi");
    # dispatching a dispatched one re-targets it (bukan wewenang of the first OPD).
    Action.dispatch: (frozenset({S.unverified, S.verified, S.dispatched}), S.dispatched),
    Action.respond: (frozenset({S.dispatched, S.in_progress, S.postponed}), S.in_progress),
    Action.postpone: (frozenset({S.dispatched, S.in_progress}), S.postponed),
    Action.resolve: (frozenset({S.verified, S.dispatched, S.in_progress, S.postponed}), S.resolved),
    Action.reject: (frozenset({S.unverified, S.verified, S.dispatched}), S.rejected),
    Action.reopen: (frozenset({S.resolved, S.rejected, S.archived}), None),
}
# What an OPD admin records on its own complaints; the rest is the admin instansi's triage.
OPD_ADMIN_ACTIONS = frozenset({Action.respond, Action.postpone, Action.resolve})
NOTE_REQUIRED = {Action.respond: "isi tindak lanjut wajib diisi", Action.reject: "alasan penolakan wajib diisi"}


class TransitionError(Exception):
    def __init__(self, action: Action, status: Status, allowed: list[Action]):
        super().__init__(f"aksi '{action}' tidak diizinkan untuk status '{status}'")
        self.action, self.status, self.allowed = action, status, allowed


class ActionInputError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def allowed_actions(status: Status, role: Role = Role.admin) -> list[Action]:
    return [action for action, (sources, _) in TRANSITIONS.items()
            if status in sources and (role is Role.admin or action in OPD_ADMIN_ACTIONS)]


def role_may(role: Role, action: Action) -> bool:
    return role is Role.admin or (role is Role.opd_admin and action in OPD_ADMIN_ACTIONS)


def _reopen_target(c: Complaint) -> Status:
    if c.first_response_at:
        return S.in_progress
    if c.dispatched_at and c.opd_id:
        return S.dispatched
    return S.verified if c.verified_at else S.unverified


def apply_action(session: Session, complaint: Complaint, action: Action, actor: str, calendar: WorkingCalendar,
                 opd_code: str | None = None, note: str | None = None,
                 now: datetime | None = None) -> ComplaintEvent:
    """Apply one action (caller commits). Raises TransitionError / ActionInputError."""
    now = now or utcnow()
    note = (note or "").strip() or None
    current = Status(complaint.status)
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise TransitionError(action, current, allowed_actions(current))
    if action in NOTE_REQUIRED and not note:
        raise ActionInputError("note", NOTE_REQUIRED[action])

    data: dict = {"action": action.value}
    if action is Action.dispatch:
        opd = _target_opd(session, complaint, opd_code)
        data["opd"] = opd.code
        if complaint.opd_id != opd.id:
            data["from_opd_id"] = complaint.opd_id
        complaint.opd_id = opd.id
        note = note or f"Didisposisikan ke {opd.name}"
    if target is None:
        target = _reopen_target(complaint)
        complaint.resolved_at = None

    if current is S.postponed and target is not S.postponed:
        data["paused_working_days"] = resume_clock(complaint, now, calendar)
    if target in (S.verified, S.dispatched) and complaint.verified_at is None:
        complaint.verified_at = now
    if target is S.dispatched:
        complaint.dispatched_at = now
    if action in (Action.respond, Action.resolve) and complaint.first_response_at is None:
        complaint.first_response_at = now
    if target is S.postponed:
        pause_clock(complaint, now)
    if target is S.resolved:
        complaint.resolved_at = now

    complaint.status = target
    complaint.updated_at = now
    session.add(complaint)
    event = ComplaintEvent(
        complaint_id=complaint.id, at=now, actor=actor, from_status=current, to_status=target, note=note,
        kind=EventKind.message_out if action is Action.respond else EventKind.status, data=data,
    )
    session.add(event)
    session.flush()
    return event


def _target_opd(session: Session, complaint: Complaint, opd_code: str | None) -> Opd:
    if opd_code:
        opd = session.exec(select(Opd).where(Opd.code == opd_code)).first()
        if opd is None:
            raise ActionInputError("opd", f"kode OPD tidak dikenal: {opd_code}")
        return opd
    if complaint.opd_id is None:
        raise ActionInputError("opd", "OPD tujuan wajib diisi untuk disposisi")
    return session.get(Opd, complaint.opd_id)
