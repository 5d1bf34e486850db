"""partitions: complaint_event, raw_record, audit_log and notification range-partitioned by month on PostgreSQL
(issue #23)

On SQLite this is a no-op: the tables stay as they are.

On PostgreSQL each table is rebuilt as `PARTITION BY RANGE (<timestamp>)`, rows kept:
- the old table is renamed, the new one made `LIKE` it (columns, NOT NULL, defaults: the id keeps its own
  sequence, whose owner moves to the new table), monthly partitions `<table>_pYYYY_MM` from the oldest row's
  month to three months past the newer of the newest row and today, plus `<table>_default`; rows are copied
  with one INSERT … SELECT and counted; the old table is dropped, then the primary key (now (id, timestamp):
  PostgreSQL wants the partition key in every unique constraint), the indexes, the outgoing foreign keys and
  the triggers (audit_log's append-only refusal) are made again;
- a unique key without the timestamp moves to a small key table kept by triggers (`raw_record_key`,
  `notification_key`, `complaint_event_key`). Its unique constraint keeps the old name, so a repeat still fails
  the INSERT with an IntegrityError naming `uq_…`, exactly as before. The key row is written by an AFTER
  INSERT row trigger, deleted by AFTER DELETE, rewritten when a key column or the timestamp changes, and the
  key table is truncated with its table (AFTER TRUNCATE). The look-ups the code does by those columns keep a
  plain index on the partitioned table (`ix_raw_record_dedupe`, `ix_notification_idempotency_key`);
- `complaint.raw_record_id` can no longer be a FOREIGN KEY (it would have to carry raw_record's timestamp,
  and archived months are dropped on purpose, see `aduan db archive-raw`): a row trigger on complaint checks
  instead that a new or changed raw_record_id exists, with SQLSTATE 23503 like the foreign key did.

Downgrade makes plain tables again with the old keys, names and rows (the foreign key comes back NOT VALID
when archived payloads are missing).

Revision ID: 0115
Revises: 0114
Create Date: 2026-12-05
"""
from datetime import date, datetime, timezone
from typing import Sequence, Union

from alembic import op
from sqlalchemy import text


revision: str = '0115'
down_revision: Union[str, None] = '0114'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MONTHS_AHEAD = 3
OLD = "__unpartitioned"

# table -> (partition key, key table spec or None)
# key table spec: (key table, unique constraint name, key columns, condition on NEW for a key row)
TABLES = {
    "raw_record": ("received_at", ("raw_record_key", "uq_raw_record_channel_external_id_payload_hash",
                                   ("channel", "external_id", "payload_hash"), None)),
    "complaint_event": ("at", ("complaint_event_key", "uq_complaint_event_complaint_id_external_id",
                               ("complaint_id", "external_id"), "external_id IS NOT NULL")),
    "notification": ("created_at", ("notification_key", "uq_notification_idempotency_key",
                                    ("idempotency_key",), None)),
    "audit_log": ("at", None),
}
# plain indexes for the look-ups the unique index used to serve
LOOKUP_INDEXES = {
    "raw_record": ("ix_raw_record_dedupe", ("channel", "external_id", "payload_hash")),
    "notification": ("ix_notification_idempotency_key", ("idempotency_key",)),
    "complaint_event": None,  # ix_complaint_event_complaint_id serves (complaint_id, external_id)
    "audit_log": None,
}
RAW_FK = ("complaint", "fk_complaint_raw_record_id_raw_record", "raw_record_id", "raw_record")


def _month(d: date) -> date:
    return date(d.year, d.month, 1)


def _next(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _bound(d: date) -> str:
    return f"'{d.isoformat()} 00:00:00+00'"


def _all(sql: str, **params):
    return op.get_bind().execute(text(sql), params).all()


def _x(sql: str) -> None:
    op.get_bind().exec_driver_sql(sql)


def _make_partitions(table: str, ts: str, first: date, last: date) -> None:
    month = _month(first)
    while month <= last:
        _x(f'CREATE TABLE "{table}_p{month:%Y_%m}" PARTITION OF "{table}" '
           f"FOR VALUES FROM ({_bound(month)}) TO ({_bound(_next(month))})")
        month = _next(month)
    _x(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')


def _definitions(table: str) -> dict:
    oid = f"'\"{table}\"'::regclass"
    return {
        "indexes": [(r[0], r[1]) for r in _all(
            f"SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            f"WHERE i.indrelid = {oid} AND NOT EXISTS "
            f"(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = {oid})")],
        "fks": [(r[0], r[1]) for r in _all(
            f"SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = {oid} AND contype = 'f' "
            f"AND conparentid = 0")],
        "triggers": [(r[0], r[1]) for r in _all(
            f"SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = {oid} AND NOT tgisinternal")],
        "sequence": _all(f"SELECT pg_get_serial_sequence('\"{table}\"', 'id')")[0][0],
        "count": _all(f'SELECT count(*) FROM "{table}"')[0][0],
    }


def _plain(definition: str) -> str:
    """An index definition read from a partitioned table (`ON ONLY`), made again on its replacement."""
    return definition.replace(" ON ONLY ", " ON ")


def _rebuild(table: str, partitioned: bool) -> None:
    """Replace `table` with a partitioned (or, going down, plain) copy holding the same rows."""
    ts, key = TABLES[table]
    moved = f"{table}{OLD}"
    _x(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    before = _definitions(table)
    if not partitioned and key:
        key_table = key[0]
        _x(f'DROP TRIGGER IF EXISTS "{key_table}_sync" ON "{table}"')
        _x(f'DROP TRIGGER IF EXISTS "{key_table}_truncate" ON "{table}"')
        before["triggers"] = [t for t in before["triggers"] if not t[0].startswith(key_table)]
    lookup = LOOKUP_INDEXES[table]
    if not partitioned and lookup:
        before["indexes"] = [i for i in before["indexes"] if i[0] != lookup[0]]
    _x(f'ALTER TABLE "{table}" RENAME TO "{moved}"')
    tail = f" PARTITION BY RANGE ({ts})" if partitioned else ""
    _x(f'CREATE TABLE "{table}" (LIKE "{moved}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE){tail}')
    if partitioned:
        lo, hi = _all(f'SELECT min({ts}), max({ts}) FROM "{moved}"')[0]
        today = datetime.now(timezone.utc).date()
        first = _month(lo.astimezone(timezone.utc).date()) if lo else _month(today)
        last = _month(max(hi.astimezone(timezone.utc).date(), today) if hi else today)
        for _ in range(MONTHS_AHEAD):
            last = _next(last)
        _make_partitions(table, ts, first, last)
    if before["sequence"]:
        _x(f'ALTER SEQUENCE {before["sequence"]} OWNED BY "{table}".id')
    _x(f'INSERT INTO "{table}" SELECT * FROM "{moved}"')
    after = _all(f'SELECT count(*) FROM "{table}"')[0][0]
    if after != before["count"]:
        raise RuntimeError(f"{table}: {before['count']} rows before, {after} after the copy")
    _x(f'DROP TABLE "{moved}"')
    pk = f'"pk_{table}" PRIMARY KEY (id, {ts})' if partitioned else f'"pk_{table}" PRIMARY KEY (id)'
    _x(f'ALTER TABLE "{table}" ADD CONSTRAINT {pk}')
    for _name, definition in before["indexes"]:
        _x(_plain(definition))
    for name, definition in before["fks"]:
        _x(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    for _name, definition in before["triggers"]:
        _x(_plain(definition))
    if key:
        key_table, constraint, columns, _where = key
        if partitioned:
            _key_table(table, ts, key)
        else:
            _x(f'DROP TABLE "{key_table}"')
            _x(f'DROP FUNCTION "{key_table}_sync"()')
            _x(f'DROP FUNCTION "{key_table}_truncate"()')
            _x(f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" UNIQUE ({", ".join(columns)})')
    if lookup and partitioned:
        _x(f'CREATE INDEX "{lookup[0]}" ON "{table}" ({", ".join(lookup[1])})')
    _x(f'ANALYZE "{table}"')


def _key_table(table: str, ts: str, key: tuple) -> None:
    key_table, constraint, columns, where = key
    types = dict(_all(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped", t=f'"{table}"'))
    cols = ", ".join(f"{c} {types[c]} NOT NULL" for c in columns)
    _x(f'CREATE TABLE "{key_table}" ({cols}, {table}_id integer NOT NULL, {ts} timestamp with time zone NOT NULL, '
       f'CONSTRAINT "pk_{key_table}" PRIMARY KEY ({table}_id), '
       f'CONSTRAINT "{constraint}" UNIQUE ({", ".join(columns)}))')
    _x(f'CREATE INDEX "ix_{key_table}_{ts}" ON "{key_table}" ({ts})')
    names = ", ".join(columns)
    condition = f" WHERE {where}" if where else ""
    _x(f'INSERT INTO "{key_table}" ({names}, {table}_id, {ts}) SELECT {names}, id, {ts} FROM "{table}"{condition}')
    new_cond = f"({where.replace(columns[-1], 'NEW.' + columns[-1])})" if where else "TRUE"
    values = ", ".join(f"NEW.{c}" for c in columns)
    _x(f'''CREATE FUNCTION "{key_table}_sync"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM "{key_table}" WHERE {table}_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND {new_cond} THEN
        INSERT INTO "{key_table}" ({names}, {table}_id, {ts}) VALUES ({values}, NEW.id, NEW.{ts});
    END IF;
    RETURN NULL;
END $$''')
    _x(f'CREATE TRIGGER "{key_table}_sync" AFTER INSERT OR DELETE OR UPDATE OF {names}, {ts} ON "{table}" '
       f'FOR EACH ROW EXECUTE FUNCTION "{key_table}_sync"()')
    _x(f'''CREATE FUNCTION "{key_table}_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE "{key_table}";
    RETURN NULL;
END $$''')
    _x(f'CREATE TRIGGER "{key_table}_truncate" AFTER TRUNCATE ON "{table}" '
       f'FOR EACH STATEMENT EXECUTE FUNCTION "{key_table}_truncate"()')


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    owner, fk, column, target = RAW_FK
    _x(f'ALTER TABLE "{owner}" DROP CONSTRAINT IF EXISTS "{fk}"')
    for table in TABLES:
        _rebuild(table, partitioned=True)
    _x(f'''CREATE FUNCTION "{owner}_{column}_exists"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.{column} IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.{column} IS DISTINCT FROM OLD.{column})
       AND NOT EXISTS (SELECT 1 FROM "{target}" WHERE id = NEW.{column}) THEN
        RAISE EXCEPTION 'insert or update on table "{owner}" violates foreign key constraint "{fk}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{fk}', TABLE = '{owner}',
                  DETAIL = format('Key ({column})=(%s) is not present in table "{target}".', NEW.{column});
    END IF;
    RETURN NULL;
END $$''')
    _x(f'CREATE TRIGGER "{owner}_{column}_exists" AFTER INSERT OR UPDATE OF {column} ON "{owner}" '
       f'FOR EACH ROW EXECUTE FUNCTION "{owner}_{column}_exists"()')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    owner, fk, column, target = RAW_FK
    _x(f'DROP TRIGGER IF EXISTS "{owner}_{column}_exists" ON "{owner}"')
    _x(f'DROP FUNCTION IF EXISTS "{owner}_{column}_exists"()')
    for table in TABLES:
        _rebuild(table, partitioned=False)
    dangling = _all(f'SELECT count(*) FROM "{owner}" o WHERE o.{column} IS NOT NULL AND NOT EXISTS '
                    f'(SELECT 1 FROM "{target}" t WHERE t.id = o.{column})')[0][0]
    _x(f'ALTER TABLE "{owner}" ADD CONSTRAINT "{fk}" FOREIGN KEY ({column}) REFERENCES "{target}" (id)'
       + (" NOT VALID" if dangling else ""))
