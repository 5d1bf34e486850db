from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.reference.calendar import WorkingCalendar

WIB = ZoneInfo("Asia/Jakarta")
cal = WorkingCalendar("Asia/Jakarta")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=WIB).astimezone(UTC)


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        # Idul Fitri 1446 H: Nyepi cuti bersama 28 Mar, Eid 31 Mar–1 Apr, cuti bersama 2–4 and 7 Apr 2025.
        (wib(2025, 3, 27, 16, 0), 3, date(2025, 4, 10)),
        (wib(2025, 3, 27, 16, 0), 1, date(2025, 4, 8)),
        # Christmas 2025: 25 Dec holiday, 26 Dec cuti bersama.
        (wib(2025, 12, 24, 10, 0), 3, date(2025, 12, 31)),
        # New Year: 1 Jan 2026 holiday, then a weekend.
        (wib(2025, 12, 30, 9, 0), 3, date(2026, 1, 5)),
        # Saturday evening receipt: counting starts Monday, so due Wednesday.
        (wib(2026, 11, 21, 19, 0), 3, date(2026, 11, 25)),
        # Monday receipt: Tuesday is day 1, due Thursday.
        (wib(2026, 11, 23, 8, 0), 3, date(2026, 11, 26)),
        # Completion tiers run across Idul Fitri 2026 (cuti bersama 18, 20, 23, 24 Mar).
        (wib(2026, 3, 16, 9, 0), 5, date(2026, 3, 30)),
    ],
)
def test_add_working_days_around_holidays(received, days, due):
    assert cal.add_working_days(received, days) == end_of(due)


def test_late_evening_utc_is_next_day_in_jakarta():
    # 18:30 UTC Thursday is 01:30 Friday in Jakarta; Friday 2025-03-28 is cuti bersama.
    received = datetime(2025, 3, 27, 18, 30, tzinfo=UTC)
    assert cal.local_date(received) == date(2025, 3, 28)
    assert cal.add_working_days(received, 1) == end_of(date(2025, 4, 8))


def test_is_working_day_excludes_cuti_bersama_and_weekends():
    assert not cal.is_working_day(date(2025, 12, 26))  # Christmas cuti bersama
    assert not cal.is_working_day(date(2026, 3, 23))  # Idul Fitri cuti bersama
    assert not cal.is_working_day(date(2026, 11, 22))  # Sunday
    assert cal.is_working_day(date(2026, 11, 23))
    assert cal.holiday_name(date(2025, 12, 25))


def test_regional_holiday_shifts_deadline():
    regional = WorkingCalendar("Asia/Jakarta", [date(2026, 11, 24)])
    assert regional.add_working_days(wib(2026, 11, 23, 8, 0), 3) == end_of(date(2026, 11, 27))
    assert regional.holiday_name(date(2026, 11, 24)) == "Libur daerah"


def test_working_days_between_counts_day_of_handling():
    received = wib(2025, 3, 27, 16, 0)
    assert cal.working_days_between(received, wib(2025, 3, 27, 23, 0)) == 0
    assert cal.working_days_between(received, wib(2025, 4, 7, 9, 0)) == 0  # all holidays
    assert cal.working_days_between(received, wib(2025, 4, 8, 9, 0)) == 1
    assert cal.working_days_between(received, wib(2025, 4, 10, 9, 0)) == 3
    assert cal.working_days_between(wib(2025, 4, 10), received) == 0


def test_one_calendar_per_timezone_and_regional_holidays():
    from core.reference.calendar import calendar_for
    from core.runtime.settings import load_settings

    base = load_settings(database_url="sqlite://", timezone="Asia/Makassar",
                         regional_holidays=[date(2026, 11, 24)])
    same = load_settings(database_url="sqlite://", timezone="Asia/Makassar",
                         regional_holidays=[date(2026, 11, 24)])
    calendar = calendar_for(base)
    assert calendar is calendar_for(same)
    assert str(calendar.tz) == "Asia/Makassar" and not calendar.is_working_day(date(2026, 11, 24))
    assert calendar_for(load_settings(database_url="sqlite://", timezone="Asia/Makassar")) is not calendar
