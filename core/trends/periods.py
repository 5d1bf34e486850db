"""Calendar periods of the trends: a week runs Monday to Sunday, a month from its first day; local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["week", "month"]
PERIODS: tuple[Period, ...] = ("week", "month")


def bounds(period: Period, day: date) -> tuple[date, date]:
    """First and last (inclusive) local day of the period holding `day`."""
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)


def previous(period: Period, start: date) -> tuple[date, date]:
    return bounds(period, start - timedelta(days=1))


def utc_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def utc_end(day: date, tz: ZoneInfo) -> datetime:
    """Exclusive: the start of the next local day."""
    return utc_start(day + timedelta(days=1), tz)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()
