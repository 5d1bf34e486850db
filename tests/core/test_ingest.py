from datetime import UTC, datetime

import pytest
from sqlmodel import select

from core.intake.ingest import DraftEvent, NormaliseError, Outcome, Resolver, upsert_complaint
from models import Complaint, ComplaintEvent, EventKind, Opd, Status
from tests.factories import draft, seeded


@pytest.fixture
def resolver(session, settings):
    seeded(session)
    return Resolver(session, settings)


def events(session, complaint_id):
    return session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
                        .order_by(ComplaintEvent.id)).all()


def test_new_then_identical_then_edit(session, resolver):
    first = upsert_complaint(session, "lapor", draft("A1"), resolver)
    session.commit()
    assert first.outcome is Outcome.new
    c = first.complaint
    assert c.tracking_code.startswith("LPR-")
    assert session.get(Opd, c.opd_id).code == "DPUPR"  # category default OPD
    assert c.sla_tier == "lama"
    # received Monday 23 Nov 2026 09:00 WIB → response due end of Thursday 26 Nov
    assert c.response_due_at == datetime(2026, 11, 26, 16, 59, 59, tzinfo=UTC)

    again = upsert_complaint(session, "lapor", draft("A1"), resolver)
    session.commit()
    assert again.outcome is Outcome.unchanged
    assert len(events(session, c.id)) == 1

    edited = upsert_complaint(session, "lapor", draft("A1", title="Jalan berlubang makin parah"), resolver)
    session.commit()
    assert edited.outcome is Outcome.updated
    kinds = [e.kind for e in events(session, c.id)]
    assert kinds == [EventKind.created, EventKind.updated]
    assert session.exec(select(Complaint)).one().title == "Jalan berlubang makin parah"


def test_a_draft_changed_after_its_hash_was_taken_is_stored_as_changed(session, resolver):
    upsert_complaint(session, "lapor", draft("A2"), resolver)
    session.commit()
    edited = draft("A2")
    assert edited.content_hash() == draft("A2").content_hash()  # a backfill takes it ahead, in its reader process
    edited.title = "Jalan berlubang makin parah"  # e.g. core keeping a staff decision
    assert edited.content_hash() == draft("A2", title="Jalan berlubang makin parah").content_hash()
    assert upsert_complaint(session, "lapor", edited, resolver).outcome is Outcome.updated
    session.commit()
    assert session.exec(select(Complaint)).one().title == "Jalan berlubang makin parah"


def test_thread_replies_are_added_once_and_first_reply_is_first_response(session, resolver):
    reply = DraftEvent(external_id="r1", at=datetime(2026, 11, 24, 3, 0, tzinfo=UTC), note="Sudah dicek",
                       is_opd_response=True)
    d = draft("A2", status=Status.in_progress, events=[reply])
    c = upsert_complaint(session, "lapor", d, resolver).complaint
    session.commit()
    assert c.first_response_at == reply.at
    later = DraftEvent(external_id="r2", at=datetime(2026, 11, 25, 3, 0, tzinfo=UTC), note="Selesai",
                       is_opd_response=True)
    upsert_complaint(session, "lapor", draft("A2", status=Status.resolved, events=[reply, later]), resolver)
    session.commit()
    kinds = [e.kind for e in events(session, c.id)]
    assert kinds.count(EventKind.message_out) == 2
    assert EventKind.status in kinds
    assert c.first_response_at == reply.at
    assert c.resolved_at is not None


def test_unknown_codes_are_normalise_errors(session, resolver):
    with pytest.raises(NormaliseError, match="unknown category code 'NOPE'"):
        upsert_complaint(session, "lapor", draft("A3", category_code="NOPE"), resolver)
    with pytest.raises(NormaliseError, match="unknown OPD code 'XX'"):
        upsert_complaint(session, "lapor", draft("A3", opd_code="XX"), resolver)


def test_recategorisation_recomputes_due_dates(session, resolver):
    c = upsert_complaint(session, "lapor", draft("A4"), resolver).complaint
    session.commit()
    long_due = c.resolution_due_at
    upsert_complaint(session, "lapor", draft("A4", category_code="ADMINDUK-KTP"), resolver)
    session.commit()
    assert c.sla_tier == "cepat"
    assert c.resolution_due_at < long_due
    assert session.get(Opd, c.opd_id).code == "DISDUKCAPIL"


def test_batch_path_stores_working_days_to_first_response(session, resolver):
    from core.intake.ingest import upsert_many

    # Received Thursday 27 Mar 2025 16:00 WIB; Idul Fitri holidays until Mon 7 Apr; answered Wed 9 Apr.
    reply = DraftEvent(external_id="r1", at=datetime(2025, 4, 9, 2, 0, tzinfo=UTC), is_opd_response=True)
    d = draft("B1", received_at=datetime(2025, 3, 27, 9, 0, tzinfo=UTC), status=Status.in_progress,
              events=[reply])
    assert upsert_many(session, "lapor", [(d, None)], resolver) == [Outcome.new]
    session.commit()
    c = session.exec(select(Complaint).where(Complaint.external_id == "B1")).one()
    assert c.first_response_at == reply.at
    assert c.followup_working_days == 2


@pytest.mark.parametrize("batched", [False, True], ids=["one", "page"])
def test_upstream_verify_and_dispatch_steps_join_the_history(session, resolver, batched):
    from core.intake.ingest import upsert_many

    verified, dispatched = datetime(2026, 11, 23, 4, 0, tzinfo=UTC), datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    d = draft("V1", status=Status.dispatched, verified_at=verified, dispatched_at=dispatched)
    if batched:
        upsert_many(session, "lapor", [(d, None)], resolver)
    else:
        upsert_complaint(session, "lapor", d, resolver)
    session.commit()
    c = session.exec(select(Complaint).where(Complaint.external_id == "V1")).one()
    history = [(e.kind, e.to_status, e.at.replace(tzinfo=UTC), e.actor, e.note) for e in events(session, c.id)]
    assert history[0][4] == "Diterima dari kanal SP4N-LAPOR!"
    assert history[1:] == [
        (EventKind.status, Status.verified, verified, "SP4N-LAPOR!", "Diverifikasi di SP4N-LAPOR!"),
        (EventKind.status, Status.dispatched, dispatched, "SP4N-LAPOR!", "Didisposisikan ke OPD di SP4N-LAPOR!")]


def test_a_page_meeting_a_complaint_another_writer_inserted_meanwhile_writes_none_of_it(session, resolver, engine):
    """The page's set-based insert finds a key taken since the page was read: it fails as a whole (the
    pipeline then redoes the page one record at a time), so nothing is half-written or duplicated."""
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import Session as OtherSession

    from core.intake.ingest import upsert_many

    page = [(draft(f"P{n}"), None) for n in (1, 2, 3)]
    resolver.prefetch_complaints("lapor", ["P1", "P2", "P3"])
    session.commit()
    with OtherSession(engine) as other:
        upsert_complaint(other, "lapor", draft("P2"), Resolver(other, resolver.settings))
        other.commit()

    with pytest.raises(IntegrityError), session.begin_nested():
        upsert_many(session, "lapor", page, resolver)
    session.commit()
    assert session.exec(select(Complaint.external_id)).all() == ["P2"]
    assert len(session.exec(select(ComplaintEvent)).all()) == 1

    again = upsert_many(session, "lapor", page, Resolver(session, resolver.settings))
    session.commit()
    assert again == [Outcome.new, Outcome.unchanged, Outcome.new]
    assert sorted(session.exec(select(Complaint.external_id)).all()) == ["P1", "P2", "P3"]
    assert len(session.exec(select(ComplaintEvent)).all()) == 3
