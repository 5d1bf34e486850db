from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlmodel import select

from core.identity.access import Access
from core.reporting.filters import ComplaintFilter
from core.reporting.stats import Stats
from models import Opd, Role
from tests.factories import MONDAY, add_complaint, rapor_fixture, response, seeded

TZ = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 27, 5, tzinfo=UTC)  # Friday 12:00 WIB
ADMIN = Access(Role.admin)


def stats(session, access=ADMIN, days="working", **filters):
    filt = ComplaintFilter(**filters).resolve(session, TZ)
    return Stats(session, filt, access, TZ, days, now=NOW)


@pytest.fixture
def data(session):
    seeded(session)
    rapor_fixture(session, "DINKES")  # 41 on Monday 2 Nov
    add_complaint(session, "whatsapp", "wa1", status="rejected", opd_code="DINKES", received_at=MONDAY)
    add_complaint(session, "whatsapp", "wa2", kecamatan="Wlingi", category_code="INFRA-DRAINASE",
                  received_at=datetime(2026, 11, 27, 1, tzinfo=UTC))  # today, local
    add_complaint(session, "google_reviews", "g1", rating=1, category_code="KESEHATAN-RS", kecamatan=None,
                  received_at=datetime(2026, 11, 24, 1, tzinfo=UTC), events=response(datetime(2026, 11, 24, 9,
                                                                                             tzinfo=UTC)))
    add_complaint(session, "google_reviews", "g2", rating=2, category_code="KESEHATAN-RS", kecamatan=None,
                  received_at=datetime(2026, 11, 24, 1, tzinfo=UTC))
    return session


def test_summary_counts_buckets_completion_and_news(data):
    s = stats(data).summary()
    assert s["total"] == 45
    assert s["by_status"]["resolved"] == 28 and s["by_status"]["rejected"] == 1
    # g1/g2/wa2 are unverified (g1 has a reply on Google but nobody verified it yet).
    assert s["by_bucket"] == {"selesai": 28, "proses": 3, "tertunda": 0, "belum_ditindaklanjuti": 9,
                           "belum_terverifikasi": 4}
    assert s["completion_pct"] == pytest.approx(round(28 / 44 * 100, 1))  # rejected excluded
    assert s["open"] == 3 + 9 + 4
    assert s["new_today"] == 1 and s["new_this_week"] == 3 and s["new_this_month"] == 45
    assert s["latest_received_at"] == datetime(2026, 11, 27, 1, tzinfo=UTC)
    # From 2 Nov: 9 dispatched + 1 unverified are past the 3-working-day response deadline and
    # 3 in progress past the 14-working-day resolution deadline (tier "sedang").
    assert s["overdue"] == 13


def test_breakdowns_by_channel_opd_category_and_kecamatan(data):
    s = stats(data)
    channels = {i["key"]: i for i in s.by_channel()}
    assert channels["lapor"]["total"] == 41 and channels["lapor"]["label"] == "SP4N-LAPOR!"
    assert channels["lapor"]["completion_pct"] == 68.3 and channels["lapor"]["avg_followup_days"] == 2.0
    opd = {i["key"]: i for i in s.by_opd()}
    assert opd["DINKES"]["total"] == 42 and opd["DINKES"]["completion_pct"] == 68.3
    assert opd["RSUD-NGUDI"]["label"].startswith("RSUD")
    top = {i["key"]: i["total"] for i in s.by_category()}
    assert top == {"KESEHATAN": 41 + 2, "INFRA": 2}  # wa1 keeps the factory's INFRA-JALAN
    leaf = {i["key"]: i["total"] for i in s.by_category("leaf")}
    assert leaf["KESEHATAN-RS"] == 2 and leaf["INFRA-DRAINASE"] == 1
    kec = {i["key"]: i for i in s.by_kecamatan()}
    assert kec["Wlingi"]["lat"] is not None and kec[None]["label"] == "(tanpa kecamatan)"


def test_filters_narrow_every_aggregate(data):
    assert stats(data, opd=["DINKES"]).summary()["total"] == 42
    assert stats(data, category=["KESEHATAN"]).summary()["total"] == 43  # parent includes children
    assert stats(data, channel=["google_reviews"], rating_max=1).summary()["total"] == 1
    assert stats(data, overdue=True).summary()["total"] == 13
    assert stats(data, overdue=False).summary()["total"] == 45 - 13
    assert stats(data, received_from="2026-11-24", received_to="2026-11-24").summary()["total"] == 2
    assert stats(data, status=["dispatched", "unverified"]).summary()["open"] == 13


def test_opd_admin_sees_only_its_opd(data):
    dinkes = data.exec(select(Opd).where(Opd.code == "DINKES")).one()
    s = stats(data, access=Access(Role.opd_admin, dinkes.id)).summary()
    assert s["total"] == 42


def test_viewer_search_never_matches_confidential_text(data):
    add_complaint(data, external_id="secret", rahasia=True, body="korupsi dana desa")
    assert stats(data, q="korupsi").summary()["total"] == 1
    assert stats(data, access=Access(Role.viewer), q="korupsi").summary()["total"] == 0


def test_timeseries_in_local_days_with_gaps_filled(data):
    days = stats(data, channel=["whatsapp", "google_reviews"]).timeseries("day")
    assert days[0] == {"period": "2026-11-02", "total": 1, "resolved": 0}
    assert [d["period"] for d in days][:3] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    assert days[-1]["period"] == "2026-11-27"
    add_complaint(data, external_id="late", received_at=datetime(2026, 11, 29, 17, 30, tzinfo=UTC))
    weeks = stats(data).timeseries("week")
    assert weeks[-1]["period"] == "2026-11-30"  # 00:30 WIB on Monday 30 Nov
    assert weeks[0] == {"period": "2026-11-02", "total": 42, "resolved": 28}
    assert stats(data).timeseries("month") == [{"period": "2026-11-01", "total": 46, "resolved": 28}]


def test_response_times_and_ratings(data):
    rt = stats(data).response_times(3)
    assert rt["first_response"] == {"median_days": 2.0, "p90_days": 2.0, "n": 32}
    assert rt["resolution"]["n"] == 28 and rt["resolution"]["median_days"] == 3.0
    assert rt["answered_within_3_working_days_pct"] == pytest.approx(round(32 / (32 + 10) * 100, 1))
    cal = stats(data, days="calendar").response_times(3)
    assert cal["first_response"]["p90_days"] == 2.0
    ratings = stats(data, channel=["google_reviews"]).ratings()
    assert ratings["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0}
    assert ratings["reply_rate_pct"] == 50.0 and ratings["average"] == 1.5


def test_aggregates_come_from_sql_group_by_not_rows(data, engine):
    seen = []

    @event.listens_for(engine, "before_cursor_execute")
    def grab(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    s = stats(data)
    s.summary(), s.by_channel(), s.by_opd(), s.by_category(), s.by_kecamatan(), s.timeseries("week")
    s.response_times(3), s.ratings()
    event.remove(engine, "before_cursor_execute", grab)
    on_complaints = [sql for sql in seen if "FROM complaint" in sql]
    assert on_complaints
    for sql in on_complaints:
        assert "GROUP BY" in sql or any(f in sql.lower() for f in ("count(", "sum(", "max(")), sql


def test_empty_database_gives_nulls_not_errors(session):
    seeded(session)
    s = stats(session).summary()
    assert s["total"] == 0 and s["completion_pct"] is None and s["avg_followup_days"] is None
    assert stats(session).timeseries("day") == []
    assert stats(session).response_times(3)["first_response"]["median_days"] is None
