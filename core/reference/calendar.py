"""Indonesian working days: Mon–Fri minus national holidays, cuti bersama and regional dates.

All arithmetic happens in the pemda's local timezone (Asia/Jakarta by default); inputs and
outputs are timezone-aware datetimes, naive values are taken as UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from core.runtime.settings import Settings, get_settings


def _as_aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@lru_cache(maxsize=8)
def _national(years: tuple[int, ...]) -> holidays.HolidayBase:
    return holidays.Indonesia(years=years, categories=("public", "government"))


class WorkingCalendar:
    def __init__(self, tz: str | ZoneInfo = "Asia/Jakarta", extra_holidays: Iterable[date] = ()):
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.extra = frozenset(extra_holidays)
        # Sweeps and stats ask the same few hundred date pairs for every one of many complaints.
        self._dates_between = lru_cache(maxsize=1 << 16)(self._count_working_days)

    def holiday_name(self, day: date) -> str | None:
        if day in self.extra:
            return "Libur daerah"
        return _national((day.year,)).get(day)

    def is_working_day(self, day: date | datetime) -> bool:
        if isinstance(day, datetime):
            day = _as_aware(day).astimezone(self.tz).date()
        return day.weekday() < 5 and self.holiday_name(day) is None

    def next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline `days` working days after `start`: the end of that working day, local time.

        Counting starts on the first working day after the day of receipt, so a complaint
        received on Saturday evening with 3 days is due at the end of Wednesday, and one
        received on Monday at the end of Thursday.
        """
        day = _as_aware(start).astimezone(self.tz).date()
        for _ in range(max(days, 0)):
            day = self.next_working_day(day)
        end = datetime.combine(day, time(23, 59, 59), tzinfo=self.tz)
        return end.astimezone(UTC)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after `start`'s local date up to and including `end`'s (0 on the same day).

        This is also "which working day of handling is it": 1 on the first working day after receipt.
        """
        return self._dates_between(_as_aware(start).astimezone(self.tz).date(),
                                   _as_aware(end).astimezone(self.tz).date())

    def _count_working_days(self, a: date, b: date) -> int:
        count, day = 0, a
        while day < b:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def local_date(self, moment: datetime) -> date:
        return _as_aware(moment).astimezone(self.tz).date()


def calendar_for(settings: Settings) -> WorkingCalendar:
    """The working calendar of these settings: their timezone and regional holidays (one per distinct pair)."""
    return _calendar(settings.timezone, tuple(sorted(settings.regional_holidays)))


@lru_cache(maxsize=16)
def _calendar(tz: str, regional_holidays: tuple[date, ...]) -> WorkingCalendar:
    return WorkingCalendar(tz, regional_holidays)


def default_calendar() -> WorkingCalendar:
    return calendar_for(get_settings())
