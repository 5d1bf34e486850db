"""Status workflow actions: verify, dispatch, categorize, respond, postpone, resolve, reject, reopen, merge.

Only the transitions in `TRANSITIONS` are allowed; every action writes one history event with
the acting key's name and stamps the matching time (verified, dispatched, first response, resolved).
Which role may take which action is the access policy's (`core.identity.access.ACTIONS_BY_ROLE`).

- `categorize` sets the category and recomputes the SLA tier (unless it was overridden for the complaint) and
  both due dates from receipt, keeping the shift of earlier postponements; `dispatch` may carry a category and
  then does the same (and, without an OPD, goes to the category's default OPD).
- `reject` needs a reason code from `ADUAN_REJECT_REASONS`; the note is optional then.
- `merge` (`into` = the parent's id) closes the complaint as a duplicate of the parent: `parent_id` is set,
  status rejected with reason "duplikat", and both histories say so. The parent must be readable by the caller,
  open or resolved (not rejected/archived), and not a child itself (merge into its root); a complaint that
  already had children hands them on to the new parent, so a group is always one level deep and never a cycle.
  Reopening a merged child takes it out of the group.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from core.casework.sla import pause_clock, resume_clock, set_due_dates, tier_days
from core.identity.access import may_act
from core.reference.calendar import WorkingCalendar
from core.runtime.settings import Settings, get_settings
from models import Category, Complaint, ComplaintEvent, EventKind, Opd, Role, Status
from models.enums import OPEN_STATUSES, STATUS_LABEL_ID, Classification
from models.types import utcnow

DUPLICATE = "duplikat"  # the reject reason of a merged child


class Action(StrEnum):
    verify = "verify"
    dispatch = "dispatch"
    categorize = "categorize"
    respond = "respond"
    postpone = "postpone"
    resolve = "resolve"
    reject = "reject"
    reopen = "reopen"
    merge = "merge"


S = Status
CLOSABLE = frozenset({S.unverified, S.verified, S.dispatched})
# action -> (statuses it may start from, status it leads to; None = decided by the action:
# reopen by the complaint's history, categorize leaves the status as it is)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.verify: (frozenset({S.unverified}), S.verified),
    # Dispatching an unverified complaint verifies it too (LAPOR!'s "verifikasi + disposisi");
    # dispatching a dispatched one re-targets it (bukan wewenang of the first OPD).
    Action.dispatch: (frozenset({S.unverified, S.verified, S.dispatched}), S.dispatched),
    Action.categorize: (frozenset(OPEN_STATUSES), None),
    Action.respond: (frozenset({S.dispatched, S.in_progress, S.postponed}), S.in_progress),
    Action.postpone: (frozenset({S.dispatched, S.in_progress}), S.postponed),
    Action.resolve: (frozenset({S.verified, S.dispatched, S.in_progress, S.postponed}), S.resolved),
    Action.reject: (CLOSABLE, S.rejected),
    Action.reopen: (frozenset({S.resolved, S.rejected, S.archived}), None),
    Action.merge: (CLOSABLE, S.rejected),
}
NOTE_REQUIRED = {Action.respond: "isi tindak lanjut wajib diisi"}
# Fields that belong to one action only: sending them with another is a mistake worth a 422.
FIELD_ACTIONS = {"category": (Action.categorize, Action.dispatch), "reason": (Action.reject,),
                 "into": (Action.merge,)}


class TransitionError(Exception):
    def __init__(self, action: Action, status: Status, allowed: list[Action]):
        super().__init__(f"aksi '{action}' tidak diizinkan untuk status '{status}'")
        self.action, self.status, self.allowed = action, status, allowed


class ActionInputError(ValueError):
    """A field of the action is wrong (422, naming the field)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


class ActionConflictError(ActionInputError):
    """A field is well-formed but the complaints' state forbids it (409, naming the field): merging into a
    child or a closed complaint, or a child whose status an upstream owns."""


def role_may(role: Role, action: Action | str) -> bool:
    return may_act(role, str(action))


def allowed_actions(status: Status, role: Role = Role.admin) -> list[Action]:
    return [action for action, (sources, _) in TRANSITIONS.items() if status in sources and role_may(role, action)]


def reject_reasons(settings: Settings | None = None) -> dict[str, str]:
    """code -> label of the reasons a complaint may be rejected for (`ADUAN_REJECT_REASONS`)."""
    return dict((settings or get_settings()).reject_reasons)


def reason_label(code: str | None, settings: Settings | None = None) -> str | None:
    if not code:
        return None
    return reject_reasons(settings).get(code) or code.replace("_", " ").capitalize()


def _reopen_target(c: Complaint) -> Status:
    if c.first_response_at:
        return S.in_progress
    if c.dispatched_at and c.opd_id:
        return S.dispatched
    return S.verified if c.verified_at else S.unverified


def _start_new_round(session: Session, complaint: Complaint, calendar: WorkingCalendar, settings: Settings,
                     now: datetime, data: dict) -> None:
    """A reopened complaint is handled anew: deadlines and the ladder count from now until its OPD answers again
    (core.casework.sla.clock_start); days postponed in an earlier round no longer shift them."""
    complaint.reopened_at = now
    complaint.reopen_answered_at = None
    complaint.paused_working_days = 0
    off_ladder = complaint.response_due_at is None  # handled upstream to the end stays so
    days = tier_days(session, settings, complaint.sla_tier or settings.default_sla_tier) \
        or tier_days(session, settings, settings.default_sla_tier)
    set_due_dates(complaint, calendar.add_working_days, settings.response_days, days or 0, off_ladder)
    data["response_due_at"] = _iso(complaint.response_due_at)
    data["resolution_due_at"] = _iso(complaint.resolution_due_at)


def apply_action(session: Session, complaint: Complaint, action: Action, actor: str, calendar: WorkingCalendar,
                 opd_code: str | None = None, note: str | None = None,
                 now: datetime | None = None, *, category_code: str | None = None, reason: str | None = None,
                 into: int | None = None, settings: Settings | None = None,
                 exempt: Callable[[Category | None], bool] | None = None,
                 may_read: Callable[[Complaint], bool] | None = None) -> ComplaintEvent:
    """Apply one action (caller commits). Raises TransitionError / ActionInputError / ActionConflictError,
    always before anything is changed.

    `exempt(category)`: whether the complaint's channel leaves complaints of that category to its upstream (no
    deadlines; core.intake decides, by the channel's lifecycle); without it the complaint keeps its current
    state. `may_read(parent)`: whether the caller may read the complaint it merges into."""
    now = now or utcnow()
    settings = settings or get_settings()
    action = Action(action)
    note = (note or "").strip() or None
    category_code = (category_code or "").strip() or None
    reason = (reason or "").strip() or None
    current = Status(complaint.status)
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise TransitionError(action, current, allowed_actions(current))
    for field, value in (("category", category_code), ("reason", reason), ("into", into)):
        if value is not None and action not in FIELD_ACTIONS[field]:
            wanted = " atau ".join(a.value for a in FIELD_ACTIONS[field])
            raise ActionInputError(field, f"{field} hanya dipakai untuk aksi {wanted}")
    if action in NOTE_REQUIRED and not note:
        raise ActionInputError("note", NOTE_REQUIRED[action])

    # --- validate everything first ---
    category = None
    if action is Action.categorize and category_code is None:
        raise ActionInputError("category", "kategori wajib diisi")
    if category_code is not None:
        category = _category(session, category_code)
    opd = _target_opd(session, complaint, opd_code, category) if action is Action.dispatch else None
    label = None
    if action is Action.reject:
        label = _reason(settings, reason)
    parent = _merge_parent(session, complaint, into, may_read) if action is Action.merge else None

    # --- then change ---
    data: dict = {"action": action.value}
    if category is not None:
        category_event = _categorize(session, complaint, category, actor, calendar, settings, exempt, now,
                                     note if action is Action.categorize else None)
        if action is Action.categorize:
            return category_event
    if action is Action.dispatch:
        data["opd"] = opd.code
        if complaint.opd_id != opd.id:
            data["from_opd_id"] = complaint.opd_id
        complaint.opd_id = opd.id
        note = note or f"Didisposisikan ke {opd.name}"
    if action is Action.reject:
        complaint.reject_reason = reason
        data["reason"] = reason
        note = f"{label}: {note}" if note else label
    if parent is not None:
        note = _merge(session, complaint, parent, actor, now, note, data)
    if target is None:
        target = _reopen_target(complaint)
        complaint.resolved_at = None
        complaint.reject_reason = None
        complaint.reopened_count = (complaint.reopened_count or 0) + 1
        _leave_group(session, complaint, actor, now, data)
        _start_new_round(session, complaint, calendar, settings, now, data)

    if current is S.postponed and target is not S.postponed:
        data["paused_working_days"] = resume_clock(complaint, now, calendar)
    if target in (S.verified, S.dispatched) and complaint.verified_at is None:
        complaint.verified_at = now
    if action in (Action.verify, Action.dispatch) and complaint.classification == Classification.kandidat:
        complaint.classification = Classification.pengaduan  # the desk accepted a social candidate as a complaint
        data["classification"] = Classification.pengaduan.value
    if target is S.dispatched:
        complaint.dispatched_at = now
    if action in (Action.respond, Action.resolve) and complaint.first_response_at is None:
        complaint.first_response_at = now
    if action in (Action.respond, Action.resolve) and complaint.reopened_at and not complaint.reopen_answered_at:
        complaint.reopen_answered_at = now
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


# --- categorize ----------------------------------------------------------------------------------

def _category(session: Session, code: str) -> Category:
    category = session.exec(select(Category).where(Category.code == code)).first()
    if category is None:
        raise ActionInputError("category", f"kode kategori tidak dikenal: {code}")
    return category


def _categorize(session: Session, complaint: Complaint, category: Category, actor: str, calendar: WorkingCalendar,
                settings: Settings, exempt: Callable[[Category | None], bool] | None, now: datetime,
                note: str | None) -> ComplaintEvent:
    """Set the category, its SLA tier (unless overridden for this complaint) and both due dates, and say so."""
    old = session.get(Category, complaint.category_id) if complaint.category_id else None
    tier = complaint.sla_tier if complaint.sla_tier_override else (category.sla_tier or settings.default_sla_tier)
    days = tier_days(session, settings, tier)
    if days is None:
        raise ActionInputError("category", f"tingkat SLA {tier!r} dari kategori {category.code} tidak dikenal")
    off_ladder = exempt(category) if exempt is not None else complaint.response_due_at is None
    complaint.category_id = category.id
    complaint.sla_tier = tier
    set_due_dates(complaint, calendar.add_working_days, settings.response_days, days, off_ladder)
    complaint.updated_at = now
    session.add(complaint)
    before = old.name if old else "(tanpa kategori)"
    text = f"Kategori: {before} → {category.name}" if old is None or old.id != category.id \
        else f"Kategori dikonfirmasi: {category.name}"
    if complaint.resolution_due_at is not None:
        text += (f"; tingkat SLA {tier}, selesai paling lambat "
                 f"{complaint.resolution_due_at.astimezone(calendar.tz):%d-%m-%Y}")
    else:
        text += "; ditangani sampai selesai oleh sistem hulu (tanpa tenggat)"
    event = ComplaintEvent(
        complaint_id=complaint.id, at=now, actor=actor, kind=EventKind.updated,
        note=f"{text}. {note}" if note else text,
        data={"action": Action.categorize.value, "category": category.code,
              "from_category": old.code if old else None, "sla_tier": tier,
              "response_due_at": _iso(complaint.response_due_at),
              "resolution_due_at": _iso(complaint.resolution_due_at)})
    session.add(event)
    session.flush()
    return event


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _target_opd(session: Session, complaint: Complaint, opd_code: str | None, category: Category | None) -> Opd:
    """The OPD named, else the default OPD of the category sent along, else the complaint's own."""
    if opd_code:
        opd = session.exec(select(Opd).where(Opd.code == opd_code)).first()
        if opd is None:
            raise ActionInputError("opd", f"kode OPD tidak dikenal: {opd_code}")
        return opd
    opd_id = (category.default_opd_id if category is not None else None) or complaint.opd_id
    if opd_id is None:
        raise ActionInputError("opd", "OPD tujuan wajib diisi untuk disposisi")
    return session.get(Opd, opd_id)


# --- reject --------------------------------------------------------------------------------------

def _reason(settings: Settings, reason: str | None) -> str:
    reasons = reject_reasons(settings)
    choices = ", ".join(reasons)
    if reason is None:
        raise ActionInputError("reason", f"alasan penolakan wajib dipilih ({choices})")
    if reason not in reasons:
        raise ActionInputError("reason", f"alasan penolakan tidak dikenal: {reason} (pilih: {choices})")
    return reasons[reason]


# --- merge ---------------------------------------------------------------------------------------

def _merge_parent(session: Session, complaint: Complaint, into: int | None,
                  may_read: Callable[[Complaint], bool] | None) -> Complaint:
    if into is None:
        raise ActionInputError("into", "pengaduan induk (into) wajib diisi untuk penggabungan")
    if into == complaint.id:
        raise ActionInputError("into", "pengaduan tidak dapat digabung ke dirinya sendiri")
    parent = session.exec(select(Complaint).where(Complaint.id == into).with_for_update()).first()
    if parent is None or (may_read is not None and not may_read(parent)):
        raise ActionInputError("into", f"pengaduan induk tidak ditemukan: {into}")
    seen, step = {parent.id}, parent
    while step.parent_id is not None and step.parent_id not in seen:  # walk up to the root (never loops)
        if step.parent_id == complaint.id:
            raise ActionConflictError("into", f"{parent.tracking_code} sudah digabung ke {complaint.tracking_code}; "
                                              "penggabungan ini membuat lingkaran")
        seen.add(step.parent_id)
        step = session.get(Complaint, step.parent_id)
    if parent.parent_id is not None:
        raise ActionConflictError("into", f"{parent.tracking_code} sendiri sudah digabung ke {step.tracking_code}; "
                                          f"gabungkan ke {step.tracking_code}")
    if parent.status in (S.rejected, S.archived):
        shown = STATUS_LABEL_ID[Status(parent.status)].lower()
        raise ActionConflictError("into", f"{parent.tracking_code} berstatus {shown}; tidak dapat menjadi induk")
    return parent


def _merge(session: Session, child: Complaint, parent: Complaint, actor: str, now: datetime, note: str | None,
           data: dict) -> str:
    """Link the child (and any children it had) to the parent; the parent's history says so. Returns the
    child's note."""
    moved = session.exec(select(Complaint).where(Complaint.parent_id == child.id).order_by(Complaint.id)).all()
    for grandchild in moved:
        grandchild.parent_id = parent.id
        session.add(grandchild)
        session.add(ComplaintEvent(complaint_id=grandchild.id, at=now, actor=actor, kind=EventKind.note,
                                   note=f"Induk {child.tracking_code} digabung ke {parent.tracking_code}; "
                                        f"kini bagian dari {parent.tracking_code}",
                                   data={"action": "merge", "into": parent.id, "into_code": parent.tracking_code}))
    child.parent_id = parent.id
    child.reject_reason = DUPLICATE
    data.update(reason=DUPLICATE, into=parent.id, into_code=parent.tracking_code)
    codes = [child.tracking_code, *(g.tracking_code for g in moved)]
    parent_note = f"Menggabungkan {child.tracking_code} (duplikat)"
    if moved:
        parent_note += " beserta " + ", ".join(codes[1:])
    session.add(ComplaintEvent(complaint_id=parent.id, at=now, actor=actor, kind=EventKind.note,
                               note=f"{parent_note}: {note}" if note else parent_note,
                               data={"action": "merge", "child_id": child.id, "child_code": child.tracking_code,
                                     "moved": [g.id for g in moved]}))
    parent.updated_at = now
    session.add(parent)
    text = f"Digabung ke {parent.tracking_code} (duplikat)"
    return f"{text}: {note}" if note else text


def _leave_group(session: Session, child: Complaint, actor: str, now: datetime, data: dict) -> None:
    """A reopened child is a complaint of its own again; its former parent's history says so."""
    if child.parent_id is None:
        return
    parent = session.get(Complaint, child.parent_id)
    data["from_parent"] = child.parent_id
    child.parent_id = None
    if parent is not None:
        session.add(ComplaintEvent(complaint_id=parent.id, at=now, actor=actor, kind=EventKind.note,
                                   note=f"{child.tracking_code} dibuka kembali dan dipisahkan dari gabungan",
                                   data={"action": "unmerge", "child_id": child.id,
                                         "child_code": child.tracking_code}))
