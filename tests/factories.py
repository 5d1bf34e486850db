"""Helpers to build realistic rows for tests (reference data comes from core.reference.seed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from core.intake.ingest import ComplaintDraft, DraftEvent, Resolver, upsert_complaint
from core.reference.seed import seed_reference
from core.runtime.settings import get_settings
from models import Status


def seeded(session: Session) -> Session:
    seed_reference(session, get_settings())
    return session


def draft(external_id: str = "1", **kw) -> ComplaintDraft:
    base = dict(external_id=external_id, title="Jalan berlubang di depan pasar",
                body="Mohon segera diperbaiki, sudah memakan korban.",
                received_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC), category_code="INFRA-JALAN",
                kecamatan="Kanigoro", desa="Gogodeso")
    return ComplaintDraft(**{**base, **kw})


def add_complaint(session: Session, channel: str = "lapor", external_id: str = "1", **kw):
    result = upsert_complaint(session, channel, draft(external_id, **kw), Resolver(session, get_settings()))
    session.commit()
    return result.complaint


# Monday 2 November 2026, 09:00 WIB: no holiday in the following weeks.
MONDAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def response(at: datetime, note: str = "Sedang ditindaklanjuti oleh OPD") -> list[DraftEvent]:
    """A thread entry that counts as the OPD's first response."""
    return [DraftEvent(external_id=f"resp-{at.isoformat()}", at=at, is_opd_response=True, note=note)]


def rapor_fixture(session: Session, opd_code: str = "DINKES", resolved: int = 28, in_progress: int = 3,
                  dispatched: int = 9, unverified: int = 1, received_at: datetime = MONDAY,
                  prefix: str = "r", postponed: int = 0, channel: str = "lapor") -> list:
    """Complaints in one OPD in the given statuses. Responses come 2 working days after receipt
    (Monday → Wednesday), so the average follow-up is exactly 2.0 working days."""
    replied_at = received_at + timedelta(days=2)
    made, n = [], 0
    plan = [(Status.resolved, resolved), (Status.in_progress, in_progress), (Status.postponed, postponed),
            (Status.dispatched, dispatched), (Status.unverified, unverified)]
    for status, count in plan:
        for _ in range(count):
            n += 1
            extra = {}
            if status in (Status.resolved, Status.in_progress, Status.postponed):
                extra["events"] = response(replied_at)
            if status is Status.resolved:
                extra["resolved_at"] = replied_at + timedelta(days=1)
            made.append(add_complaint(session, channel, f"{prefix}{n}", status=status, opd_code=opd_code,
                                      category_code="KESEHATAN", received_at=received_at, **extra))
    return made


def overdue_mix(session: Session, now: datetime, opd_code: str = "DPUPR") -> dict[str, tuple[int, str | None]]:
    """One OPD's complaints in every state the overdue rule tells apart: name → (id, missed deadline or None)."""
    past, future = now - timedelta(days=3), now + timedelta(days=3)
    cases = {
        "awaiting, late": (Status.dispatched, None, None, past, future, "response"),
        "unverified, late": (Status.unverified, None, None, past, future, "response"),
        # LAPOR! owns the status: the agency has replied there but the report still reads "dispatched".
        "responded, status not moved yet": (Status.dispatched, past, None, past, future, None),
        "responded, resolution late": (Status.in_progress, past, None, past, past, "resolution"),
        "postponed, both late": (Status.postponed, None, past, past, past, None),
        # Resumed upstream; the sweep has not yet restarted the clock (and moved the deadlines).
        "resumed, clock not restarted": (Status.dispatched, None, past, past, past, None),
        "resolved, both late": (Status.resolved, past, None, past, past, None),
        "rejected, both late": (Status.rejected, None, None, past, past, None),
        "awaiting, in time": (Status.dispatched, None, None, future, future, None),
        "no deadlines": (Status.verified, None, None, None, None, None),
    }
    made = {}
    for n, (name, (status, responded, paused, response_due, resolution_due, kind)) in enumerate(cases.items()):
        complaint = add_complaint(session, external_id=f"mix-{opd_code}-{n}", status=status, opd_code=opd_code,
                                  received_at=now - timedelta(days=30))
        complaint.first_response_at, complaint.paused_at = responded, paused
        complaint.response_due_at, complaint.resolution_due_at = response_due, resolution_due
        session.add(complaint)
        made[name] = (complaint.id, kind)
    session.commit()
    return made
