"""Write-back to SP4N-LAPOR! against its emulator: an action here goes out through the outbox, LAPOR! confirms
or refuses it, and the next pull neither reverts it nor adds the follow-up twice."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.casework.workflow import ActionInputError
from core.intake.sync import sync_instance
from core.intake.writeback import dispatch_writebacks, failed_by_channel, sync_state, take_action, upstream_actions
from core.reference.calendar import calendar_for
from models import Complaint, ComplaintEvent, Notification, NotificationStatus, Status
from models.types import utcnow
from tests.emulated import add_lapor, lapor_upstream
from tests.factories import seeded

ACTOR = "key:1"


def _synced(session, engine, url):
    seeded(session)
    add_lapor(session, url)
    summary = sync_instance("lapor1", engine=engine)
    assert summary.status == "ok", summary.error
    session.expire_all()


def _complaint(session, tracking_id: str) -> Complaint:
    session.expire_all()
    return session.exec(select(Complaint).where(Complaint.channel == "lapor",
                                                Complaint.external_id == tracking_id)).one()


def _history(session, complaint: Complaint) -> list[ComplaintEvent]:
    session.expire_all()
    return session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                        .order_by(ComplaintEvent.at, ComplaintEvent.id)).all()


def _act(session, settings, complaint, action, **kw):
    event = take_action(session, complaint, action, ACTOR, calendar_for(settings), settings, **kw)
    session.commit()
    return event


def _report_with(store, status: str):
    return next(r for r in sorted(store.reports.values(), key=lambda r: r.tracking_id) if r.status == status)


def test_a_follow_up_goes_out_is_confirmed_and_the_next_pull_neither_reverts_nor_duplicates_it(
        session, engine, settings):
    with lapor_upstream(total=80) as (app, url):
        _synced(session, engine, url)
        store = app.state.store
        report = _report_with(store, "Didisposisikan")
        complaint = _complaint(session, report.tracking_id)
        assert complaint.status == Status.dispatched
        text = "Tim DPUPR sudah meninjau lokasi; perbaikan dijadwalkan minggu depan."
        _act(session, settings, complaint, "respond", note=text)

        actions = upstream_actions(session, complaint.id)
        assert [(a["action"], a["status"]) for a in actions] == [("respond", "menunggu")]
        assert sync_state("lapor", actions) == "menunggu sinkron ke SP4N-LAPOR!"

        # The reporter edits the report upstream before our follow-up went out: LAPOR! still says
        # "Didisposisikan", and that must not revert the follow-up recorded here (nor add noise).
        store.edit(kind="content", ids=[report.tracking_id])
        assert sync_instance("lapor1", engine=engine).updated == 1
        complaint = _complaint(session, report.tracking_id)
        assert complaint.status == Status.in_progress
        assert not [e for e in _history(session, complaint) if "Konflik" in (e.note or "")]

        result = dispatch_writebacks(engine, settings)
        assert (result.sent, result.refused, result.failed) == (1, 0, 0)
        payload = store.payload(store.reports[report.tracking_id])
        assert payload["status"] == "Proses"
        posted = [f for f in payload["followups"] if f["content"] == text]
        assert len(posted) == 1

        history = _history(session, complaint)
        ours = [e for e in history if e.note == text]
        assert len(ours) == 1 and ours[0].external_id == f"lapor:{posted[0]['id']}" and ours[0].actor == ACTOR
        assert any((e.note or "").startswith("Dikonfirmasi SP4N-LAPOR!") for e in history)
        assert upstream_actions(session, complaint.id)[0]["status"] == "terkirim"

        second = sync_instance("lapor1", engine=engine)
        assert second.status == "ok" and second.updated == 1
        complaint = _complaint(session, report.tracking_id)
        assert complaint.status == Status.in_progress
        assert [e.note for e in _history(session, complaint)].count(text) == 1  # recognised, not added twice
        assert sync_state("lapor", upstream_actions(session, complaint.id)) == "tersinkron dengan SP4N-LAPOR!"


def test_a_refusal_shows_failed_with_the_reason_and_puts_the_status_back(session, engine, settings):
    with lapor_upstream(total=80) as (app, url):
        _synced(session, engine, url)
        store = app.state.store
        report = _report_with(store, "Proses")
        complaint = _complaint(session, report.tracking_id)
        assert complaint.status == Status.in_progress
        _act(session, settings, complaint, "postpone", note="Menunggu anggaran perubahan")
        assert _complaint(session, report.tracking_id).status == Status.postponed
        # Meanwhile an admin at LAPOR! closed the report: postponing it is no longer allowed there.
        store.set_report_status(report.tracking_id, "selesai", note="Selesai ditangani")

        result = dispatch_writebacks(engine, settings)
        assert (result.sent, result.refused) == (0, 1)
        row = session.exec(select(Notification).where(Notification.complaint_id == complaint.id)).one()
        session.refresh(row)
        assert row.status == NotificationStatus.failed and "Selesai" in row.last_error

        complaint = _complaint(session, report.tracking_id)
        assert complaint.status == Status.in_progress  # back where it was
        assert complaint.paused_at is None  # and its clock runs again
        refusal = [e for e in _history(session, complaint) if (e.note or "").startswith("Ditolak SP4N-LAPOR!")]
        assert len(refusal) == 1 and refusal[0].to_status == "in_progress" and "Selesai" in refusal[0].note
        actions = upstream_actions(session, complaint.id)
        assert actions[0]["status"] == "gagal" and "Selesai" in actions[0]["error"]
        assert sync_state("lapor", actions).startswith("gagal sinkron ke SP4N-LAPOR!")
        shown = failed_by_channel(session)["lapor"]
        assert shown[0]["tracking_code"] == complaint.tracking_code and "Selesai" in shown[0]["error"]

        # Never retried, even much later.
        assert not dispatch_writebacks(engine, settings, now=utcnow() + timedelta(days=1))
        # The next pull brings LAPOR!'s "Selesai".
        sync_instance("lapor1", engine=engine)
        assert _complaint(session, report.tracking_id).status == Status.resolved


def test_a_refused_first_follow_up_does_not_count_as_the_first_response(session, engine, settings):
    with lapor_upstream(total=80) as (app, url):
        _synced(session, engine, url)
        store = app.state.store
        report = _report_with(store, "Didisposisikan")
        complaint = _complaint(session, report.tracking_id)
        assert complaint.first_response_at is None
        _act(session, settings, complaint, "respond", note="Sudah kami tinjau.")
        assert _complaint(session, report.tracking_id).first_response_at is not None
        store.set_report_status(report.tracking_id, "selesai", note="Ditutup di LAPOR!")

        assert dispatch_writebacks(engine, settings).refused == 1
        complaint = _complaint(session, report.tracking_id)
        assert complaint.first_response_at is None and complaint.followup_working_days is None
        assert complaint.status == Status.dispatched


def test_upstream_moving_on_while_an_action_is_pending_is_a_conflict_in_the_history(session, engine, settings):
    with lapor_upstream(total=80) as (app, url):
        _synced(session, engine, url)
        store = app.state.store
        report = _report_with(store, "Didisposisikan")
        complaint = _complaint(session, report.tracking_id)
        _act(session, settings, complaint, "postpone", note="Menunggu musim kemarau")
        # LAPOR!'s own workflow moves the report on (the agency answered there) before ours went out.
        store.edit(kind="progress", ids=[report.tracking_id])
        assert store.reports[report.tracking_id].status == "Proses"
        sync_instance("lapor1", engine=engine)

        complaint = _complaint(session, report.tracking_id)
        assert complaint.status == Status.in_progress  # LAPOR! owns the status
        conflicts = [e for e in _history(session, complaint) if (e.note or "").startswith("Konflik")]
        assert len(conflicts) == 1
        assert "ditindaklanjuti" in conflicts[0].note and "ditunda" in conflicts[0].note


def test_a_confirmed_action_is_kept_when_upstream_still_shows_the_old_status(session, engine, settings):
    with lapor_upstream(total=80) as (app, url):
        _synced(session, engine, url)
        store = app.state.store
        report = _report_with(store, "Belum Terverifikasi")
        complaint = _complaint(session, report.tracking_id)
        _act(session, settings, complaint, "dispatch", opd_code="DPUPR")
        assert dispatch_writebacks(engine, settings).sent == 1
        assert store.reports[report.tracking_id].status == "Didisposisikan"
        sync_instance("lapor1", engine=engine)
        complaint = _complaint(session, report.tracking_id)
        assert complaint.status == Status.dispatched
        assert not [e for e in _history(session, complaint) if (e.note or "").startswith("Konflik")]

        # LAPOR! serves the report as unverified again although it took the disposition.
        stored = store.reports[report.tracking_id]
        store._touch(stored, lambda r: (setattr(r, "set_status", None),
                                        r.writes.append(r.updated_at + timedelta(seconds=5))))
        sync_instance("lapor1", engine=engine)
        complaint = _complaint(session, report.tracking_id)
        assert complaint.status == Status.dispatched
        conflicts = [e for e in _history(session, complaint) if (e.note or "").startswith("Konflik")]
        assert len(conflicts) == 1 and "sudah dikonfirmasi" in conflicts[0].note
        sync_instance("lapor1", engine=engine)  # the same upstream state again: no second entry
        assert len([e for e in _history(session, complaint) if (e.note or "").startswith("Konflik")]) == 1


def test_retriable_errors_wait_and_a_missing_connector_fails_the_row(session, engine, settings):
    with lapor_upstream(total=30) as (app, url):
        _synced(session, engine, url)
        store = app.state.store
        report = _report_with(store, "Belum Terverifikasi")
        complaint = _complaint(session, report.tracking_id)
        _act(session, settings, complaint, "verify")
        app.state.faults.error_rate = 1.0
        result = dispatch_writebacks(engine, settings)
        assert (result.retried, result.sent) == (1, 0)
        assert upstream_actions(session, complaint.id)[0]["status"] == "menunggu"
        app.state.faults.error_rate = 0.0
        assert dispatch_writebacks(engine, settings, now=utcnow() + timedelta(hours=1)).sent == 1
    # The same on a channel whose connector instance is switched off: the row fails, saying why.
    with Session(engine) as s:
        from models import ConnectorInstance
        instance = s.exec(select(ConnectorInstance)).one()
        instance.enabled = False
        s.add(instance)
        s.commit()
    complaint = _complaint(session, report.tracking_id)
    _act(session, settings, complaint, "dispatch", opd_code="DPUPR")
    assert dispatch_writebacks(engine, settings).failed == 1
    actions = upstream_actions(session, complaint.id)
    assert actions[-1]["status"] == "gagal" and "tidak ada konektor aktif" in actions[-1]["error"]


def test_whatsapp_outbox_leaves_write_backs_alone(session, engine, settings):
    from core.casework.outbox import claim
    with lapor_upstream(total=30) as (app, url):
        _synced(session, engine, url)
        report = _report_with(app.state.store, "Belum Terverifikasi")
        _act(session, settings, _complaint(session, report.tracking_id), "verify")
    assert claim(engine, utcnow(), 10, lease=timedelta(minutes=1)) == []


def test_a_reply_over_the_upstream_cap_is_refused_naming_the_note(session, settings):
    from connectors.google_reviews import GoogleReviewsConnector
    from tests.factories import add_complaint
    seeded(session)
    cap = GoogleReviewsConnector.lifecycle.reply_max_chars
    if not cap:
        pytest.skip("no reply cap declared")
    complaint = add_complaint(session, channel="google_reviews", external_id="accounts/1/locations/2/reviews/3",
                              status=Status.dispatched, opd_code="DPUPR")
    with pytest.raises(ActionInputError) as caught:
        take_action(session, complaint, "respond", ACTOR, calendar_for(settings), settings, note="x" * (cap + 1))
    assert caught.value.field == "note" and "4.096" in caught.value.message
