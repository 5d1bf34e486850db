from datetime import UTC, datetime

import pytest
from sqlmodel import select

from core.casework.workflow import Action, ActionInputError, TransitionError, allowed_actions, apply_action
from core.reference.calendar import WorkingCalendar
from models import ComplaintEvent, Opd, Role, Status
from tests.factories import add_complaint, seeded

CAL = WorkingCalendar("Asia/Jakarta")
WED = datetime(2026, 11, 25, 3, tzinfo=UTC)


@pytest.fixture
def complaint(session):
    seeded(session)
    return add_complaint(session, external_id="w1")  # unverified, category INFRA-JALAN → DPUPR


def act(session, complaint, action, now=WED, **kw):
    event = apply_action(session, complaint, Action(action), "petugas-kominfo", CAL, now=now, **kw)
    session.commit()
    return event


def test_full_path_stamps_times_and_writes_events_with_the_actor(session, complaint):
    act(session, complaint, "verify")
    assert complaint.status == Status.verified and complaint.verified_at == WED
    act(session, complaint, "dispatch", opd_code="DINKES")
    dinkes = session.exec(select(Opd).where(Opd.code == "DINKES")).one()
    assert complaint.status == Status.dispatched and complaint.opd_id == dinkes.id
    assert complaint.dispatched_at == WED
    later = datetime(2026, 11, 26, 3, tzinfo=UTC)
    act(session, complaint, "respond", now=later, note="Tim sudah meninjau lokasi")
    assert complaint.status == Status.in_progress and complaint.first_response_at == later
    assert complaint.followup_working_days == 3  # Mon 23 → Thu 26 November
    act(session, complaint, "resolve", now=later, note="Jalan sudah ditambal")
    assert complaint.status == Status.resolved and complaint.resolved_at == later
    events = session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                       ComplaintEvent.actor == "petugas-kominfo")
                          .order_by(ComplaintEvent.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        ("unverified", "verified"), ("verified", "dispatched"), ("dispatched", "in_progress"),
        ("in_progress", "resolved")]
    assert events[1].data["opd"] == "DINKES"
    assert events[2].note == "Tim sudah meninjau lokasi"


def test_invalid_transition_lists_the_allowed_actions(session, complaint):
    with pytest.raises(TransitionError) as err:
        act(session, complaint, "resolve")
    assert err.value.status == Status.unverified
    assert [a.value for a in err.value.allowed] == ["verify", "dispatch", "categorize", "reject", "merge"]


def test_dispatch_without_any_opd_names_the_field(session):
    seeded(session)
    c = add_complaint(session, external_id="noopd", category_code=None)
    with pytest.raises(ActionInputError) as err:
        act(session, c, "dispatch")
    assert err.value.field == "opd"
    with pytest.raises(ActionInputError) as err:
        act(session, c, "dispatch", opd_code="NOPE")
    assert err.value.field == "opd"


def test_dispatch_defaults_to_the_category_opd_and_verifies(session, complaint):
    act(session, complaint, "dispatch")
    assert complaint.status == Status.dispatched and complaint.verified_at == WED


def test_respond_needs_a_note_and_reject_a_reason(session, complaint):
    with pytest.raises(ActionInputError) as err:
        act(session, complaint, "reject", note="Bukan wewenang pemda")
    assert err.value.field == "reason"
    event = act(session, complaint, "reject", reason="bukan_wewenang")  # the note is optional then
    assert complaint.status == Status.rejected and complaint.reject_reason == "bukan_wewenang"
    assert event.note == "Bukan wewenang" and event.data["reason"] == "bukan_wewenang"
    act(session, complaint, "reopen")
    assert complaint.reject_reason is None
    act(session, complaint, "dispatch")
    with pytest.raises(ActionInputError) as err:
        act(session, complaint, "respond", note="  ")
    assert err.value.field == "note"


def test_postpone_pauses_and_resuming_moves_the_deadline(session, complaint):
    act(session, complaint, "dispatch")
    due = complaint.resolution_due_at
    act(session, complaint, "postpone", note="Menunggu anggaran")
    assert complaint.status == Status.postponed and complaint.paused_at == WED
    resumed = datetime(2026, 12, 2, 3, tzinfo=UTC)  # Wed → next Wed: 5 working days paused
    event = act(session, complaint, "respond", now=resumed, note="Dikerjakan")
    assert complaint.paused_at is None
    assert event.data["paused_working_days"] == 5
    assert CAL.working_days_between(due, complaint.resolution_due_at) == 5


def test_reopen_returns_to_where_work_stood(session, complaint):
    act(session, complaint, "dispatch")
    act(session, complaint, "resolve", note="Selesai")
    assert complaint.first_response_at == WED  # resolving is a response too
    act(session, complaint, "reopen", note="Pelapor: belum selesai")
    assert complaint.status == Status.in_progress and complaint.resolved_at is None
    assert complaint.resolution_working_days is None


def test_opd_admins_may_only_record_follow_up():
    assert allowed_actions(Status.dispatched, Role.opd_admin) == [Action.respond, Action.postpone, Action.resolve]
    assert allowed_actions(Status.unverified, Role.opd_admin) == []


def test_petugas_triage_and_nothing_else():
    assert allowed_actions(Status.unverified, Role.petugas) == [
        Action.verify, Action.dispatch, Action.categorize, Action.reject, Action.merge]
    assert allowed_actions(Status.in_progress, Role.petugas) == [Action.categorize]
    assert allowed_actions(Status.rejected, Role.petugas) == []  # reopening is the admin's
    assert allowed_actions(Status.unverified, Role.analyst) == []
