"""The one overdue rule: the SQL clause and the per-row function pick the same complaints."""

from __future__ import annotations

from sqlalchemy import not_
from sqlmodel import select

from core.casework.sla import missed_deadline, overdue_clause, overdue_kind
from models import Complaint
from models.types import utcnow
from tests.factories import overdue_mix, seeded


def test_sql_and_per_row_overdue_agree_on_every_case(session):
    seeded(session)
    now = utcnow()
    cases = overdue_mix(session, now)
    expected = {complaint_id for complaint_id, kind in cases.values() if kind}

    in_sql = set(session.exec(select(Complaint.id).where(overdue_clause(now))).all())
    not_in_sql = set(session.exec(select(Complaint.id).where(not_(overdue_clause(now)))).all())
    rows = {c.id: c for c in session.exec(select(Complaint)).all()}
    assert in_sql == {i for i, c in rows.items() if overdue_kind(c, now)} == expected
    assert not_in_sql == set(rows) - expected  # never NULL: "not overdue" is exactly the rest
    for name, (complaint_id, kind) in cases.items():
        complaint = rows[complaint_id]
        assert overdue_kind(complaint, now) == kind, name
        due = {"response": complaint.response_due_at, "resolution": complaint.resolution_due_at}.get(kind)
        assert missed_deadline(complaint, now) == due, name
