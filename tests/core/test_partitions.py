"""Monthly partitions (PostgreSQL): made ahead, idempotent, rows in their month, keys still unique."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.entry.doctor import check_partitions
from core.entry.worker import make_partitions
from core.intake.inbox import land, land_page
from core.runtime.partitions import PARTITIONED, ensure_partitions, missing_months
from models import AuditEntry, Notification, RawRecord
from tests.conftest import backend_name

pg_only = pytest.mark.skipif(backend_name() == "sqlite", reason="partitions are PostgreSQL's")


def _children(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = ANY(CAST(:t AS regclass[]))"), {"t": list(PARTITIONED)}).scalars())


@pytest.fixture
def partitions(engine) -> Iterator[set[str]]:
    """The partitions there before the test; the ones a test adds are dropped after it (the session's database
    is shared and only truncated between tests)."""
    before = _children(engine) if engine.dialect.name == "postgresql" else set()
    yield before
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for name in _children(engine) - before:
                conn.exec_driver_sql(f'DROP TABLE "{name}"')


def _where(engine, table: str, row_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT tableoid::regclass::text FROM {table} WHERE id = :i"), {"i": row_id}).scalar()


def test_sqlite_has_nothing_to_make(engine, settings):
    if backend_name() != "sqlite":
        pytest.skip("the SQLite side")
    assert ensure_partitions(engine, 3).created == []
    assert missing_months(engine) == []
    assert list(check_partitions(engine)) == []
    assert make_partitions(engine, settings) is None


@pg_only
def test_ensure_makes_the_months_ahead_once(engine, partitions):
    first = ensure_partitions(engine, 3, today=date(2031, 5, 17))
    assert sorted(first.created) == sorted(f"{t}_p2031_{m:02d}" for t in PARTITIONED for m in (5, 6, 7, 8))
    assert first.moved_rows == 0
    again = ensure_partitions(engine, 3, today=date(2031, 5, 17))
    assert again.created == [] and str(again) == "partitions: all months present"
    assert missing_months(engine, 1, today=date(2031, 5, 1)) == []
    assert "audit_log_p2032_01" in missing_months(engine, 1, today=date(2031, 12, 3))


@pg_only
def test_rows_land_in_their_month(engine, session, partitions):
    ensure_partitions(engine, 1, today=date(2031, 5, 1))
    row = RawRecord(channel="lapor", external_id="1", payload={"a": 1}, payload_hash="h1",
                    received_at=datetime(2031, 6, 30, 23, 59, tzinfo=UTC))
    later = RawRecord(channel="lapor", external_id="2", payload={"a": 2}, payload_hash="h2",
                      received_at=datetime(2031, 7, 1, 0, 0, tzinfo=UTC))
    session.add_all([row, later])
    session.commit()
    assert _where(engine, "raw_record", row.id) == "raw_record_p2031_06"
    assert _where(engine, "raw_record", later.id) == "raw_record_default"  # no July yet


@pg_only
def test_rows_parked_in_default_move_into_their_new_month_with_their_keys(engine, session, partitions):
    at = datetime(2032, 2, 10, 8, tzinfo=UTC)
    raw = RawRecord(channel="whatsapp", external_id="wamid.9", payload={"t": "x"}, payload_hash="h9", received_at=at)
    note = Notification(idempotency_key="ack:9", recipient="6281", template="t", created_at=at, updated_at=at)
    audit = AuditEntry(at=at, actor="cli:root", action="complaint.transition")
    session.add_all([raw, note, audit])
    session.commit()
    assert _where(engine, "raw_record", raw.id) == "raw_record_default"

    result = ensure_partitions(engine, 0, today=date(2032, 2, 1))
    assert result.moved_rows == 3 and "raw_record_p2032_02" in result.created
    assert _where(engine, "audit_log", audit.id) == "audit_log_p2032_02"  # moved, though append-only
    with pytest.raises(Exception, match="append-only"), engine.begin() as c:
        c.execute(text("DELETE FROM audit_log"))  # and still refusing in both partitions
    assert _where(engine, "raw_record", raw.id) == "raw_record_p2032_02"
    assert _where(engine, "notification", note.id) == "notification_p2032_02"
    # the moved rows are still unique
    with pytest.raises(IntegrityError, match="uq_raw_record_channel_external_id_payload_hash"), engine.begin() as c:
        c.execute(text("INSERT INTO raw_record (channel, external_id, payload, payload_hash, received_at, state, "
                       "attempts) VALUES ('whatsapp', 'wamid.9', '{}', 'h9', now(), 'pending', 0)"))
    with pytest.raises(IntegrityError, match="uq_notification_idempotency_key"), engine.begin() as c:
        c.execute(text("INSERT INTO notification (idempotency_key, recipient, channel, template, status, attempts, "
                       "created_at, updated_at) VALUES ('ack:9', '6281', 'whatsapp', 't', 'pending', 0, now(), now())"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM raw_record_key WHERE raw_record_id = :i"),
                            {"i": raw.id}).scalar() == 1


def test_a_repeated_payload_is_still_landed_once(session, engine):
    first, new = land(session, "lapor", "L-1", {"id": "L-1", "judul": "Jalan rusak"})
    session.commit()
    again, new_again = land(session, "lapor", "L-1", {"id": "L-1", "judul": "Jalan rusak"})
    assert (new, new_again) == (True, False) and again.id == first.id
    page = land_page(session, "lapor", [("L-1", {"id": "L-1", "judul": "Jalan rusak"}), ("L-2", {"id": "L-2"}),
                                        ("L-2", {"id": "L-2"})])
    session.commit()
    assert [p.is_new for p in page] == [False, True, False] and page[0].id == first.id and page[1].id == page[2].id
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM raw_record")).scalar() == 2
    # a row inserted behind the check (a concurrent delivery) is refused by the key, and `land` recovers
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO raw_record (channel, external_id, payload, payload_hash, received_at, state, "
                          "attempts) SELECT channel, external_id, payload, payload_hash, received_at, state, attempts "
                          "FROM raw_record WHERE external_id = 'L-2'"))


@pg_only
def test_keys_and_payload_references_hold_for_a_whole_page_written_at_once(engine, session):
    """The checks run once per statement (migration 0117): a page repeating a key, or a complaint naming a
    payload that is not in the inbox, is refused whole, as the per-row triggers refused it."""
    record, _ = land(session, "lapor", "P-1", {"id": "P-1"})
    session.commit()
    page = "SELECT 'lapor', 'P-' || g, CAST('{}' AS jsonb), 'h', now(), 'pending', 0 FROM generate_series(2, 4) g"
    columns = "(channel, external_id, payload, payload_hash, received_at, state, attempts)"
    with pytest.raises(IntegrityError, match="uq_raw_record_channel_external_id_payload_hash"), engine.begin() as c:
        c.execute(text(f"INSERT INTO raw_record {columns} {page} UNION ALL {page}"))
    with engine.begin() as conn:
        conn.execute(text(f"INSERT INTO raw_record {columns} {page}"))
        assert conn.execute(text("SELECT count(*) FROM raw_record_key")).scalar() == 4
    complaint = ("INSERT INTO complaint (title, body, classification, rahasia, anonim, channel, external_id, "
                 "tracking_code, status, received_at, sla_tier_override, escalation_level, created_at, updated_at, "
                 "raw_record_id) SELECT 'Aduan', '', 'pengaduan', false, false, 'lapor', 'C-' || g, 'C-' || g, "
                 "'unverified', now(), false, 0, now(), now(), {} FROM generate_series(1, 3) g")
    with pytest.raises(IntegrityError, match="fk_complaint_raw_record_id_raw_record"), engine.begin() as conn:
        conn.execute(text(complaint.format(f"CASE WHEN g = 2 THEN 999999 ELSE {record.id} END")))
    with engine.begin() as conn:
        conn.execute(text(complaint.format(record.id)))
        assert conn.execute(text("SELECT count(*) FROM complaint")).scalar() == 3


@pg_only
def test_delete_and_truncate_keep_the_key_tables_in_step(engine, session):
    record, _ = land(session, "lapor", "L-3", {"id": "L-3"})
    session.commit()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM raw_record WHERE id = :i"), {"i": record.id})
    again, new = land(session, "lapor", "L-3", {"id": "L-3"})
    session.commit()
    assert new and again.id != record.id
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE raw_record"))
        assert conn.execute(text("SELECT count(*) FROM raw_record_key")).scalar() == 0


@pg_only
def test_the_worker_job_and_doctor(engine, settings, partitions):
    assert make_partitions(engine, settings) is None  # the migration made them ahead already
    assert [f.level for f in check_partitions(engine)] == ["OK"]
    with engine.begin() as conn:
        for spec in PARTITIONED.values():
            conn.exec_driver_sql(f"ALTER TABLE {spec.table} DETACH PARTITION "
                                 f"{spec.table}_p{datetime.now().astimezone():%Y_%m}")
    try:
        (finding,) = check_partitions(engine)
        assert finding.level == "WARN" and "raw_record_p" in finding.message
    finally:
        with engine.begin() as conn:
            for spec in PARTITIONED.values():
                conn.exec_driver_sql(f"DROP TABLE {spec.table}_p{datetime.now().astimezone():%Y_%m}")
        assert "partitions: made" in make_partitions(engine, settings)
    assert [f.level for f in check_partitions(engine)] == ["OK"]


@pg_only
def test_two_deliveries_racing_still_land_one_row(engine):
    """The key row is written inside the INSERT's own transaction: the second delivery waits on the first's
    key and fails with the IntegrityError `inbox.land` turns into "already there"."""
    import threading

    insert = text("INSERT INTO raw_record (channel, external_id, payload, payload_hash, received_at, state, attempts) "
                  "VALUES ('whatsapp', 'wamid.race', '{}', 'hr', now(), 'pending', 0)")
    outcome: list[str] = []
    with engine.connect() as first:
        first.begin()
        first.execute(insert)

        def second() -> None:
            try:
                with engine.begin() as conn:
                    conn.execute(insert)
                outcome.append("inserted")
            except IntegrityError as exc:
                outcome.append(exc.orig.diag.constraint_name)

        racer = threading.Thread(target=second)
        racer.start()
        racer.join(1.0)
        assert racer.is_alive()  # waiting on the first transaction's key row
        first.commit()
        racer.join(10)
    assert outcome == ["uq_raw_record_channel_external_id_payload_hash"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM raw_record WHERE external_id = 'wamid.race'")).scalar() == 1
