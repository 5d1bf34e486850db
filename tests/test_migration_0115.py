"""Migration 0115 partitions four tables by month on PostgreSQL without losing a row, and takes it back."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.intake.inbox import land
from core.runtime import migrate
from core.runtime.db import make_engine
from tests.conftest import backend_name
from tests.factories import add_complaint, seeded

TABLES = ("raw_record", "complaint_event", "notification", "audit_log")
MONTHS = [datetime(2019, 3, 9, 5, tzinfo=UTC), datetime(2025, 6, 30, 23, 59, tzinfo=UTC),
          datetime(2026, 11, 1, 0, 0, tzinfo=UTC), datetime(2026, 12, 5, 12, tzinfo=UTC)]


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def _partitioned(engine, table: str) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t)"),
                                 {"t": table}).first())


def _constraints(engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t)"),
                                {"t": table}).scalars())


def test_sqlite_keeps_plain_tables(db_url):
    if backend_name() != "sqlite":
        pytest.skip("the SQLite side of 0115")
    engine = make_engine(db_url)
    uniques = {u["name"] for u in inspect(engine).get_unique_constraints("raw_record")}
    assert "uq_raw_record_channel_external_id_payload_hash" in uniques
    assert not any(name.startswith("raw_record_p") for name in inspect(engine).get_table_names())
    engine.dispose()


@pytest.mark.skipif(backend_name() == "sqlite", reason="partitions are PostgreSQL's")
def test_upgrade_partitions_existing_rows_and_downgrade_keeps_them(settings, db_url):
    migrate.downgrade(db_url, "0114")
    engine = make_engine(db_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            seeded(session)
            for i, at in enumerate(MONTHS):
                add_complaint(session, external_id=f"m{i}", received_at=at)
        with engine.begin() as conn:
            for i, at in enumerate(MONTHS):
                conn.execute(text(
                    "INSERT INTO raw_record (channel, external_id, payload, payload_hash, received_at, state, "
                    "attempts) VALUES ('lapor', :e, '{\"a\": 1}', :h, :at, 'pending', 0)"),
                    {"e": f"m{i}", "h": f"h{i}", "at": at})
                conn.execute(text(
                    "INSERT INTO notification (idempotency_key, recipient, channel, template, status, attempts, "
                    "created_at, updated_at) VALUES (:k, '6281', 'whatsapp', 't', 'sent', 1, :at, :at)"),
                    {"k": f"ack:{i}", "at": at})
                conn.execute(text("INSERT INTO audit_log (at, actor, action, outcome) VALUES (:at, 'cli', 'x', 'ok')"),
                             {"at": at})
                conn.execute(text(
                    "INSERT INTO complaint_event (kind, actor, complaint_id, at, external_id) "
                    "SELECT 'message_in', 'warga', id, :at, 'wamid.x' FROM complaint WHERE external_id = :e"),
                    {"at": at, "e": f"m{i}"})
        before = _counts(engine)
        with engine.connect() as conn:
            max_raw = conn.execute(text("SELECT max(id) FROM raw_record")).scalar()

        migrate.upgrade(db_url)

        assert _counts(engine) == before
        assert all(_partitioned(engine, t) for t in TABLES)
        with engine.connect() as conn:
            children = set(conn.execute(text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'raw_record'::regclass")).scalars())
            in_2019 = conn.execute(text("SELECT count(*) FROM raw_record_p2019_03")).scalar()
            pk = conn.execute(text("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                   "WHERE conname = 'pk_raw_record'")).scalar()
        # every month from the oldest row to three past the newest exists, plus DEFAULT
        assert {"raw_record_p2019_03", "raw_record_p2023_01", "raw_record_p2026_12", "raw_record_p2027_03",
                "raw_record_default"} <= children
        assert in_2019 == 1 and pk == "PRIMARY KEY (id, received_at)"
        assert "audit_log_append_only" in {t["name"] for t in _triggers(engine, "audit_log")}

        # the dedupe key still refuses a repeat, under its old name, in any month
        with pytest.raises(IntegrityError, match="uq_raw_record_channel_external_id_payload_hash"), \
                engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO raw_record (channel, external_id, payload, payload_hash, received_at, state, attempts) "
                "VALUES ('lapor', 'm0', '{}', 'h0', now(), 'pending', 0)"))
        with pytest.raises(IntegrityError, match="uq_notification_idempotency_key"), engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO notification (idempotency_key, recipient, channel, template, status, attempts, "
                "created_at, updated_at) VALUES ('ack:0', '6281', 'whatsapp', 't', 'pending', 0, now(), now())"))
        with pytest.raises(IntegrityError, match="uq_complaint_event_complaint_id_external_id"), \
                engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO complaint_event (kind, actor, complaint_id, at, external_id) "
                "SELECT 'message_in', 'warga', id, now(), 'wamid.x' FROM complaint WHERE external_id = 'm1'"))
        with pytest.raises(IntegrityError, match="fk_complaint_raw_record_id_raw_record"), engine.begin() as conn:
            conn.execute(text("UPDATE complaint SET raw_record_id = 999999 WHERE external_id = 'm1'"))
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
        with Session(engine) as session:
            record, new = land(session, "lapor", "m-new", {"a": 2})
            session.commit()
            again, new_again = land(session, "lapor", "m-new", {"a": 2})
            assert (new, new_again) == (True, False) and again.id == record.id > max_raw  # the sequence goes on

        after_upgrade = _counts(engine)
        migrate.downgrade(db_url, "0114")
        assert _counts(engine) == after_upgrade
        assert not any(_partitioned(engine, t) for t in TABLES)
        assert "uq_raw_record_channel_external_id_payload_hash" in _constraints(engine, "raw_record")
        assert "uq_notification_idempotency_key" in _constraints(engine, "notification")
        assert "fk_complaint_raw_record_id_raw_record" in _constraints(engine, "complaint")
        assert "pk_raw_record" in _constraints(engine, "raw_record")
        assert "raw_record_key" not in inspect(engine).get_table_names()
        assert "audit_log_append_only" in {t["name"] for t in _triggers(engine, "audit_log")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_class WHERE relname LIKE 'raw_record_p%'")).scalar() == 0
    finally:
        migrate.upgrade(db_url)
        engine.dispose()


def _triggers(engine, table: str) -> list[dict]:
    with engine.connect() as conn:
        return [{"name": n} for n in conn.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(:t) AND NOT tgisinternal"),
            {"t": table}).scalars()]
