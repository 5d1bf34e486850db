"""statement-level insert triggers on PostgreSQL: one statement per INSERT/COPY instead of one call per row
(issue #23, ingest at COPY speed)

The triggers of 0115 (key tables of raw_record and complaint_event, complaint.raw_record_id's existence check)
and 0116 (rollup deltas) ran PL/pgSQL once per inserted row: a page of 500 complaints cost 500 rollup-delta
INSERTs, each re-reading rollup_state. Inserts now fire one `FOR EACH STATEMENT` trigger that reads the
statement's rows from its transition table (`REFERENCING NEW TABLE`) and writes them in one set: the key rows
in one INSERT … SELECT, the rollup deltas already summed per rollup row, the existence check as one anti-join.
Updates and deletes keep the row triggers (PostgreSQL allows no transition table on `UPDATE OF` a column list).
The rules are unchanged: the SQL each trigger applies is 0115's and 0116's.

SQLite keeps its triggers: nothing changes there.

Revision ID: 0117
Revises: 0116
Create Date: 2026-12-06
"""
import importlib.util
from pathlib import Path
from typing import Sequence, Union

from alembic import op


revision: str = '0117'
down_revision: Union[str, None] = '0116'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _rollup_rules():
    """0116's module, whose column list and SQL rule the statement trigger applies (one definition, no drift)."""
    path = Path(__file__).with_name("20261206_0116_complaint_rollup.py")
    spec = importlib.util.spec_from_file_location("_rollup_0116", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# key table -> (table, timestamp, key columns, condition on a new row for it to have a key row)
KEY_TABLES = {
    "raw_record_key": ("raw_record", "received_at", ("channel", "external_id", "payload_hash"), None),
    "complaint_event_key": ("complaint_event", "at", ("complaint_id", "external_id"), "external_id IS NOT NULL"),
}
RAW_FK = "fk_complaint_raw_record_id_raw_record"


def _x(sql: str) -> None:
    op.get_bind().exec_driver_sql(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for key_table, (table, ts, columns, where) in KEY_TABLES.items():
        names = ", ".join(columns)
        _x(f'DROP TRIGGER "{key_table}_sync" ON "{table}"')
        _x(f'CREATE TRIGGER "{key_table}_sync" AFTER DELETE OR UPDATE OF {names}, {ts} ON "{table}" '
           f'FOR EACH ROW EXECUTE FUNCTION "{key_table}_sync"()')
        _x(f'''CREATE FUNCTION "{key_table}_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO "{key_table}" ({names}, {table}_id, {ts}) SELECT {names}, id, {ts} FROM inserted{
        f" WHERE {where}" if where else ""};
    RETURN NULL;
END $$''')
        _x(f'CREATE TRIGGER "{key_table}_insert" AFTER INSERT ON "{table}" REFERENCING NEW TABLE AS inserted '
           f'FOR EACH STATEMENT EXECUTE FUNCTION "{key_table}_insert"()')

    _x('DROP TRIGGER "complaint_raw_record_id_exists" ON complaint')
    _x('CREATE TRIGGER "complaint_raw_record_id_exists" AFTER UPDATE OF raw_record_id ON complaint '
       'FOR EACH ROW EXECUTE FUNCTION "complaint_raw_record_id_exists"()')
    _x(f'''CREATE FUNCTION "complaint_raw_record_id_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing integer;
BEGIN
    SELECT n.raw_record_id INTO missing FROM inserted n
    WHERE n.raw_record_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM raw_record r WHERE r.id = n.raw_record_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "complaint" violates foreign key constraint "{RAW_FK}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{RAW_FK}', TABLE = 'complaint',
                  DETAIL = format('Key (raw_record_id)=(%s) is not present in table "raw_record".', missing);
    END IF;
    RETURN NULL;
END $$''')
    _x('CREATE TRIGGER "complaint_raw_record_id_inserted" AFTER INSERT ON complaint REFERENCING NEW TABLE AS '
       'inserted FOR EACH STATEMENT EXECUTE FUNCTION "complaint_raw_record_id_inserted"()')

    rules = _rollup_rules()

    def local_day(ts: str) -> str:
        return f"CAST(({ts} AT TIME ZONE 'UTC') + off AS date)"

    def least(a: str, b: str) -> str:
        return f"LEAST({a}, {b})"

    measures = ("n", "fu_sum", "fu_n")
    dims = [c.strip() for c in rules.DELTA_COLUMNS.split(",") if c.strip() not in measures]
    _x("DROP TRIGGER complaint_rollup_delta ON complaint")
    _x(f"CREATE TRIGGER complaint_rollup_delta AFTER DELETE OR UPDATE OF {', '.join(rules.COUNTED)} ON complaint "
       "FOR EACH ROW EXECUTE FUNCTION complaint_rollup_delta()")
    _x(f"""CREATE FUNCTION complaint_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    off interval := make_interval(mins => COALESCE((SELECT utc_offset_minutes FROM rollup_state WHERE id = 1), 420));
BEGIN
    INSERT INTO complaint_rollup_delta ({rules.DELTA_COLUMNS})
    SELECT {', '.join(dims)}, sum(n), sum(fu_sum), sum(fu_n)
    FROM (SELECT {rules._values("r", 1, local_day, least)} FROM inserted r WHERE r.parent_id IS NULL)
         AS v({rules.DELTA_COLUMNS})
    GROUP BY {', '.join(dims)};
    RETURN NULL;
END $$""")
    _x("CREATE TRIGGER complaint_rollup_insert AFTER INSERT ON complaint REFERENCING NEW TABLE AS inserted "
       "FOR EACH STATEMENT EXECUTE FUNCTION complaint_rollup_insert()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    rules = _rollup_rules()
    _x("DROP TRIGGER complaint_rollup_insert ON complaint")
    _x("DROP FUNCTION complaint_rollup_insert()")
    _x("DROP TRIGGER complaint_rollup_delta ON complaint")
    _x(f"CREATE TRIGGER complaint_rollup_delta AFTER INSERT OR DELETE OR UPDATE OF {', '.join(rules.COUNTED)} "
       "ON complaint FOR EACH ROW EXECUTE FUNCTION complaint_rollup_delta()")
    _x('DROP TRIGGER "complaint_raw_record_id_inserted" ON complaint')
    _x('DROP FUNCTION "complaint_raw_record_id_inserted"()')
    _x('DROP TRIGGER "complaint_raw_record_id_exists" ON complaint')
    _x('CREATE TRIGGER "complaint_raw_record_id_exists" AFTER INSERT OR UPDATE OF raw_record_id ON complaint '
       'FOR EACH ROW EXECUTE FUNCTION "complaint_raw_record_id_exists"()')
    for key_table, (table, ts, columns, _where) in KEY_TABLES.items():
        names = ", ".join(columns)
        _x(f'DROP TRIGGER "{key_table}_insert" ON "{table}"')
        _x(f'DROP FUNCTION "{key_table}_insert"()')
        _x(f'DROP TRIGGER "{key_table}_sync" ON "{table}"')
        _x(f'CREATE TRIGGER "{key_table}_sync" AFTER INSERT OR DELETE OR UPDATE OF {names}, {ts} ON "{table}" '
           f'FOR EACH ROW EXECUTE FUNCTION "{key_table}_sync"()')
