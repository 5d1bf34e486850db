from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from core.reporting.filters import (
    EARLIEST_DAY,
    LATEST_DAY,
    ComplaintFilter,
    FilterError,
    parse_moment,
    window_end,
    window_start,
)
from tests.factories import seeded

TZ = ZoneInfo("Asia/Jakarta")


def test_dates_are_whole_local_days_and_datetimes_local_unless_zoned():
    assert window_start(date(2026, 11, 1), TZ) == datetime(2026, 10, 31, 17, tzinfo=UTC)
    assert window_end(date(2026, 11, 30), TZ) == datetime(2026, 11, 30, 17, tzinfo=UTC)
    f = ComplaintFilter(received_from="2026-11-01T08:00", received_to="2026-11-01T10:00Z")
    assert window_start(f.received_from, TZ) == datetime(2026, 11, 1, 1, tzinfo=UTC)
    assert window_start(f.received_to, TZ) == datetime(2026, 11, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("field, value", [("received_from", "01/11/2026"), ("received_to", "2026-13-01"),
                                          ("rating_max", 9), ("status", ["done"])])
def test_bad_values_name_their_field(field, value):
    with pytest.raises(ValidationError) as err:
        ComplaintFilter(**{field: value})
    assert err.value.errors()[0]["loc"][0] == field


def test_window_must_be_ordered():
    with pytest.raises(ValidationError, match="received_to"):
        ComplaintFilter(received_from="2026-11-02", received_to="2026-11-01")
    ComplaintFilter(received_from="2026-11-01", received_to="2026-11-01")  # one whole day is fine


def test_unknown_codes_name_the_field_and_categories_include_children(session):
    seeded(session)
    with pytest.raises(FilterError) as err:
        ComplaintFilter(opd=["DINKES", "NOPE"]).resolve(session, TZ)
    assert err.value.field == "opd" and "NOPE" in err.value.message
    with pytest.raises(FilterError) as err:
        ComplaintFilter(category=["XX"]).resolve(session, TZ)
    assert err.value.field == "category"
    resolved = ComplaintFilter(category=["INFRA"]).resolve(session, TZ)
    assert len(resolved.category_ids) == 6  # INFRA + 5 subcategories


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59", date(1899, 12, 31),
                                   datetime(3000, 1, 1, tzinfo=UTC)])
def test_dates_outside_the_supported_years_name_their_field(value):
    with pytest.raises(ValidationError) as err:
        ComplaintFilter(received_to=value)
    (error,) = err.value.errors()
    assert error["loc"] == ("received_to",) and error["type"] == "date_out_of_range"
    assert error["msg"] == "tanggal di luar rentang yang didukung (1900-01-01 s.d. 2999-12-31)"


def test_the_supported_years_convert_to_utc_at_both_ends():
    assert parse_moment("1900-01-01") == EARLIEST_DAY and parse_moment("2999-12-31") == LATEST_DAY
    assert window_start(EARLIEST_DAY, ZoneInfo("Etc/GMT-14")).year == 1899
    assert window_end(LATEST_DAY, ZoneInfo("Etc/GMT+12")).year == 3000
