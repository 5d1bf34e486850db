"""Monthly range partitions on PostgreSQL (migration 0115, docs/architecture.md "Partitions").

`complaint_event`, `raw_record`, `audit_log` and `notification` are partitioned by month on their timestamp,
`<table>_pYYYY_MM` plus `<table>_default` for anything outside the months made. The worker calls
`ensure_partitions` at start and every 6 hours so that the months ahead exist before rows arrive. SQLite keeps
plain tables: everything here is a no-op there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine


@dataclass(frozen=True)
class KeyTable:
    """A unique key without the timestamp, kept by triggers in its own small table (same constraint name)."""

    name: str
    constraint: str
    columns: tuple[str, ...]
    condition: str | None = None  # SQL on the partitioned table's columns: which rows have a key row


@dataclass(frozen=True)
class Partitioned:
    table: str
    column: str  # the partition key, a timestamptz
    key: KeyTable | None = None


PARTITIONED: dict[str, Partitioned] = {p.table: p for p in (
    Partitioned("raw_record", "received_at", KeyTable(
        "raw_record_key", "uq_raw_record_channel_external_id_payload_hash",
        ("channel", "external_id", "payload_hash"))),
    Partitioned("complaint_event", "at", KeyTable(
        "complaint_event_key", "uq_complaint_event_complaint_id_external_id", ("complaint_id", "external_id"),
        "external_id IS NOT NULL")),
    Partitioned("notification", "created_at", KeyTable(
        "notification_key", "uq_notification_idempotency_key", ("idempotency_key",))),
    Partitioned("audit_log", "at"),
)}
# Plain indexes on the partitioned tables that the models do not declare (they serve what the unique did).
LOOKUP_INDEXES = {"ix_raw_record_dedupe", "ix_notification_idempotency_key"}
# Foreign keys the models declare that PostgreSQL keeps as a trigger (the target is partitioned).
TRIGGER_FOREIGN_KEYS = {"fk_complaint_raw_record_id_raw_record"}
_CHILD = re.compile(rf"^({'|'.join(PARTITIONED)})_(p\d{{4}}_\d{{2}}|default)$")
_KEY_TABLES = {p.key.name for p in PARTITIONED.values() if p.key}


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


def _bound(month: date) -> str:
    return f"'{month.isoformat()} 00:00:00+00'"


def is_partitioned(conn: Connection, table: str) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.execute(text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t)"),
                             {"t": table}).first())


def months_of(conn: Connection, table: str) -> list[date]:
    """The months that have their own partition, oldest first (the DEFAULT partition is not one)."""
    rows = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:t)"), {"t": table}).scalars()
    months = []
    for name in rows:
        match = re.fullmatch(rf"{re.escape(table)}_p(\d{{4}})_(\d{{2}})", name)
        if match:
            months.append(date(int(match[1]), int(match[2]), 1))
    return sorted(months)


def has_default(conn: Connection, table: str) -> bool:
    return conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{table}_default"}).scalar() is not None


def create_month(conn: Connection, spec: Partitioned, month: date) -> int:
    """Make the month's partition; rows of that month already in the DEFAULT partition move into it.
    Returns how many rows moved. Runs in the caller's transaction (it takes the table's lock)."""
    table, column, name = spec.table, spec.column, partition_name(spec.table, month)
    start, end = _bound(month), _bound(add_months(month, 1))
    conn.exec_driver_sql(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
    if conn.execute(text("SELECT to_regclass(:t)"), {"t": name}).scalar() is not None:
        return 0
    where = f"{column} >= {start} AND {column} < {end}"
    moved = 0
    if has_default(conn, table):
        moved = conn.exec_driver_sql(f'SELECT count(*) FROM "{table}_default" WHERE {where}').scalar() or 0
    if not moved:
        conn.exec_driver_sql(f'CREATE TABLE "{name}" PARTITION OF "{table}" FOR VALUES FROM ({start}) TO ({end})')
        return 0
    # PostgreSQL refuses a new partition while the DEFAULT one holds rows of its range: make the month as a
    # table of its own, move the rows over, then attach it. The default partition's own triggers are off for the
    # delete: the rows only change partition, so their key rows stay as they are (same id, same timestamp), and
    # audit_log's append-only refusal is not meant for this. One transaction under an exclusive lock: nobody
    # sees a row missing or a key free in between.
    conn.exec_driver_sql(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    conn.exec_driver_sql(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                         f'INCLUDING STORAGE)')
    conn.exec_driver_sql(f'INSERT INTO "{name}" SELECT * FROM "{table}_default" WHERE {where}')
    conn.exec_driver_sql(f'ALTER TABLE "{table}_default" DISABLE TRIGGER USER')
    conn.exec_driver_sql(f'DELETE FROM "{table}_default" WHERE {where}')
    conn.exec_driver_sql(f'ALTER TABLE "{table}_default" ENABLE TRIGGER USER')
    conn.exec_driver_sql(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM ({start}) TO ({end})')
    return moved


@dataclass
class EnsureResult:
    created: list[str]
    moved_rows: int

    def __str__(self) -> str:
        if not self.created:
            return "partitions: all months present"
        moved = f", {self.moved_rows} rows moved out of the default partition" if self.moved_rows else ""
        return f"partitions: made {', '.join(self.created)}{moved}"


def ensure_partitions(engine: Engine, months_ahead: int = 3, today: date | None = None) -> EnsureResult:
    """Make every missing month from the current one to `months_ahead` past it, for each partitioned table.
    Idempotent; a no-op on SQLite or before migration 0115. One transaction per month made, so a worker that
    races another only waits on the table's lock."""
    result = EnsureResult([], 0)
    if engine.dialect.name != "postgresql":
        return result
    current = month_start(today or datetime.now().astimezone().date())
    for spec in PARTITIONED.values():
        with engine.connect() as conn:
            if not is_partitioned(conn, spec.table):
                continue
            have = set(months_of(conn, spec.table))
        for n in range(months_ahead + 1):
            month = add_months(current, n)
            if month in have:
                continue
            with engine.begin() as conn:
                result.moved_rows += create_month(conn, spec, month)
            result.created.append(partition_name(spec.table, month))
    return result


def missing_months(engine: Engine, months_ahead: int = 1, today: date | None = None) -> list[str]:
    """Partitions of the current month up to `months_ahead` that do not exist (empty on SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    current = month_start(today or datetime.now().astimezone().date())
    missing = []
    with engine.connect() as conn:
        for spec in PARTITIONED.values():
            if not is_partitioned(conn, spec.table):
                continue
            have = set(months_of(conn, spec.table))
            missing += [partition_name(spec.table, add_months(current, n)) for n in range(months_ahead + 1)
                        if add_months(current, n) not in have]
    return missing


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object`: leave out what partitioning adds on PostgreSQL (partitions, key tables, the
    look-up indexes) and the unique constraints and foreign key it moved elsewhere, so autogenerate and the
    models-vs-migrations test compare only what the models describe."""
    if type_ == "table":
        return not (reflected and (name in _KEY_TABLES or _CHILD.match(name or "")))
    if type_ == "index" and reflected and name in LOOKUP_INDEXES:
        return False
    table = getattr(getattr(obj, "table", None), "name", None) or getattr(getattr(obj, "parent", None), "name", None)
    if type_ == "unique_constraint" and compare_to is None and not reflected and table in PARTITIONED:
        key = PARTITIONED[table].key
        return not (key and name == key.constraint)
    if type_ == "foreign_key_constraint" and compare_to is None and not reflected and name in TRIGGER_FOREIGN_KEYS:
        return False
    return True


__all__ = ["PARTITIONED", "KeyTable", "Partitioned", "EnsureResult", "ensure_partitions", "missing_months",
           "create_month", "months_of", "partition_name", "month_start", "add_months", "include_object",
           "is_partitioned"]
