"""complaint_rollup: daily rollups kept by triggers on complaint (issue #23, province scale)

The triggers append one complaint_rollup_delta row per change of a counted column (-1 old values, +1 new), in
the writer's transaction; core/reporting/rollup.py reads rollup + delta, folds the delta and reconciles. A
database that already holds complaints gets rollup_state.ready = false: the reads stay on the raw table until
the worker's first reconcile has built the rollup (`aduan db reconcile-rollup` does it at once).

The SLA rule the triggers apply (a complaint's running deadline) is core.casework.sla's overdue rule, written
in SQL for each database; tests/core/test_rollup.py holds the two together. A later SQLite migration that
rebuilds `complaint` with batch_alter_table drops these triggers and must make them again.

Revision ID: 0116
Revises: 0115
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision: str = '0116'
down_revision: Union[str, None] = '0115'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('complaint_rollup',
    sa.Column('dimension', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('due_day', sa.Date(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('fu_sum', sa.Integer(), nullable=False),
    sa.Column('fu_n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dimension', 'key', 'day', 'status', 'due_day', name=op.f('pk_complaint_rollup'))
    )
    op.create_table('complaint_rollup_delta',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('opd_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('kecamatan', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('due_day', sa.Date(), nullable=False),
    sa.Column('resolved_day', sa.Date(), nullable=True),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('fu_sum', sa.Integer(), nullable=False),
    sa.Column('fu_n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_rollup_delta'))
    )
    op.create_table('rollup_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('utc_offset_minutes', sa.Integer(), nullable=False),
    sa.Column('ready', sa.Boolean(), nullable=False),
    sa.Column('reconciled_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('drifted_days', sa.Integer(), nullable=False),
    sa.Column('drifted_days_total', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollup_state'))
    )
    op.create_index('ix_complaint_status_resolution_due', 'complaint', ['status', 'resolution_due_at'], unique=False)
    bind = op.get_bind()
    for statement in (_postgresql_triggers() if bind.dialect.name == "postgresql" else _sqlite_triggers()):
        op.execute(statement)
    if bind.execute(sa.text("SELECT 1 FROM complaint LIMIT 1")).first() is not None:
        op.execute("INSERT INTO rollup_state (id, utc_offset_minutes, ready, drifted_days, drifted_days_total) "
                   "VALUES (1, 420, false, 0, 0)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER complaint_rollup_delta ON complaint")
        op.execute("DROP TRIGGER complaint_rollup_truncate ON complaint")
        op.execute("DROP FUNCTION complaint_rollup_delta()")
        op.execute("DROP FUNCTION complaint_rollup_truncate()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER complaint_rollup_{name}")
    op.drop_index('ix_complaint_status_resolution_due', table_name='complaint')

    op.drop_table('rollup_state')
    op.drop_table('complaint_rollup_delta')
    op.drop_table('complaint_rollup')


# Columns whose change can move a complaint between rollup rows.
COUNTED = ("received_at", "channel", "opd_id", "category_id", "kecamatan", "status", "parent_id",
           "followup_working_days", "paused_at", "first_response_at", "reopened_at", "reopen_answered_at",
           "response_due_at", "resolution_due_at", "resolved_at")
DELTA_COLUMNS = "day, channel, opd_id, category_id, kecamatan, status, due_day, resolved_day, n, fu_sum, fu_n"
AWAITING = "('unverified', 'verified', 'dispatched')"
RUNNING = "('unverified', 'verified', 'dispatched', 'in_progress')"


def _deadlines(r: str) -> tuple[str, str]:
    """The response deadline while awaiting the OPD's answer, the resolution deadline while running."""
    awaiting = (f"(({r}.status IN {AWAITING} AND {r}.first_response_at IS NULL) OR ({r}.status IN {RUNNING} "
                f"AND {r}.reopened_at IS NOT NULL AND {r}.reopen_answered_at IS NULL))")
    return (f"(CASE WHEN {awaiting} THEN {r}.response_due_at END)",
            f"(CASE WHEN {r}.status IN {RUNNING} THEN {r}.resolution_due_at END)")


def _values(r: str, sign: int, local_day, least) -> str:
    response, resolution = _deadlines(r)
    due = f"(CASE WHEN {r}.paused_at IS NULL THEN {least(response, resolution)} END)"
    return ", ".join((
        local_day(f"{r}.received_at"), f"{r}.channel", f"{r}.opd_id", f"{r}.category_id", f"{r}.kecamatan",
        f"{r}.status", f"COALESCE({local_day(due)}, '9999-12-31')",
        f"(CASE WHEN {r}.status = 'resolved' AND {r}.resolved_at IS NOT NULL THEN {local_day(f'{r}.resolved_at')} END)",
        str(sign), f"{sign} * COALESCE({r}.followup_working_days, 0)",
        f"(CASE WHEN {r}.followup_working_days IS NULL THEN 0 ELSE {sign} END)"))


def _postgresql_triggers() -> list[str]:
    def local_day(ts: str) -> str:
        return f"CAST(({ts} AT TIME ZONE 'UTC') + off AS date)"

    def least(a: str, b: str) -> str:
        return f"LEAST({a}, {b})"

    old = ", ".join(f"OLD.{c}" for c in COUNTED)
    new = ", ".join(f"NEW.{c}" for c in COUNTED)
    return [f"""
CREATE FUNCTION complaint_rollup_delta() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    off interval := make_interval(mins => COALESCE((SELECT utc_offset_minutes FROM rollup_state WHERE id = 1), 420));
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF ROW({old}) IS NOT DISTINCT FROM ROW({new}) THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF OLD.parent_id IS NULL THEN
            INSERT INTO complaint_rollup_delta ({DELTA_COLUMNS}) VALUES ({_values("OLD", -1, local_day, least)});
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF NEW.parent_id IS NULL THEN
            INSERT INTO complaint_rollup_delta ({DELTA_COLUMNS}) VALUES ({_values("NEW", 1, local_day, least)});
        END IF;
    END IF;
    RETURN NULL;
END $$""",
            f"CREATE TRIGGER complaint_rollup_delta AFTER INSERT OR DELETE OR UPDATE OF {', '.join(COUNTED)} "
            "ON complaint FOR EACH ROW EXECUTE FUNCTION complaint_rollup_delta()",
            """
CREATE FUNCTION complaint_rollup_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM complaint_rollup;
    DELETE FROM complaint_rollup_delta;
    RETURN NULL;
END $$""",
            "CREATE TRIGGER complaint_rollup_truncate AFTER TRUNCATE ON complaint "
            "FOR EACH STATEMENT EXECUTE FUNCTION complaint_rollup_truncate()"]


def _sqlite_triggers() -> list[str]:
    offset = ("(SELECT COALESCE((SELECT printf('%+d minutes', utc_offset_minutes) FROM rollup_state WHERE id = 1), "
              "'+420 minutes'))")

    def local_day(ts: str) -> str:
        return f"date({ts}, {offset})"

    def least(a: str, b: str) -> str:
        return f"(CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} < {b} THEN {a} ELSE {b} END)"

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COUNTED)
    insert = f"INSERT INTO complaint_rollup_delta ({DELTA_COLUMNS}) SELECT"
    return [
        f"CREATE TRIGGER complaint_rollup_insert AFTER INSERT ON complaint WHEN NEW.parent_id IS NULL BEGIN "
        f"{insert} {_values('NEW', 1, local_day, least)}; END",
        f"CREATE TRIGGER complaint_rollup_delete AFTER DELETE ON complaint WHEN OLD.parent_id IS NULL BEGIN "
        f"{insert} {_values('OLD', -1, local_day, least)}; END",
        f"CREATE TRIGGER complaint_rollup_update AFTER UPDATE OF {', '.join(COUNTED)} ON complaint WHEN {changed} "
        f"BEGIN {insert} {_values('OLD', -1, local_day, least)} WHERE OLD.parent_id IS NULL; "
        f"{insert} {_values('NEW', 1, local_day, least)} WHERE NEW.parent_id IS NULL; END",
    ]
