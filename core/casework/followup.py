"""Working days from receipt to first response and to resolution, stored on the complaint.

Counting working days needs the holiday calendar, which SQL does not have; storing the count
when the timestamps are written keeps every average a plain SQL `AVG`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event

from core.reference.calendar import WorkingCalendar, default_calendar
from models import Complaint


def working_days(calendar: WorkingCalendar, start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return calendar.working_days_between(start, end) if end >= start else 0


def stamp_working_days(complaint, calendar: WorkingCalendar | None = None) -> None:
    calendar = calendar or default_calendar()
    complaint.followup_working_days = working_days(calendar, complaint.received_at, complaint.first_response_at)
    complaint.resolution_working_days = working_days(calendar, complaint.received_at, complaint.resolved_at)


@event.listens_for(Complaint, "before_insert")
@event.listens_for(Complaint, "before_update")
def _stamp_on_write(_mapper, _connection, target: Complaint) -> None:
    # Every ORM write path (connectors, manual entry, workflow actions) passes here.
    stamp_working_days(target)
