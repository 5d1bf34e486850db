"""Migration 0104 backfills the stored working-day counts of complaints that already exist."""

from datetime import UTC, datetime

from sqlalchemy import text

from core.runtime import migrate
from core.runtime.db import make_engine


def test_upgrade_backfills_working_days(db_url):
    migrate.downgrade(db_url, "0001")
    engine = make_engine(db_url)
    sqlite = engine.dialect.name == "sqlite"

    def ts(moment: datetime):
        return moment.replace(tzinfo=None).isoformat(" ") if sqlite else moment

    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO complaint (title, body, classification, rahasia, anonim, channel, external_id, "
            "tracking_code, status, received_at, first_response_at, resolved_at, sla_tier_override, "
            "escalation_level, created_at, updated_at) VALUES ('t', '', 'pengaduan', false, false, 'lapor', '1', "
            "'LPR-1', 'resolved', :received, :first, :resolved, false, 0, :received, :received)"),
            {"received": ts(datetime(2026, 11, 2, 2, tzinfo=UTC)),  # Monday
             "first": ts(datetime(2026, 11, 4, 2, tzinfo=UTC)),  # Wednesday: 2 working days
             "resolved": ts(datetime(2026, 11, 9, 2, tzinfo=UTC))})  # next Monday: 5 working days
    migrate.upgrade(db_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT followup_working_days, resolution_working_days FROM complaint")).one()
    engine.dispose()
    assert tuple(row) == (2, 5)
