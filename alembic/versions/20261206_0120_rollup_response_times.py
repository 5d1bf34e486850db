"""complaint_rollup: what /stats/response-times needs, so that it reads the rollup too (issue #23)

At 10 M complaints `/stats/response-times` read the raw table (10-12 s): median and p90 of the follow-up and
resolution working days, and four shares. Working days are whole numbers, so the percentiles come exactly from a
histogram: the delta carries each complaint's `fu_days` and `res_days`, which become the dimensions `fu` and
`res` (key: the value) and, per channel, `fu_channel` / `res_channel` (key: channel|value). The shares become
measures of the rollup and the delta: `on_time` (answered by the response deadline) and `answered` (both of the
complaints not rejected or archived), `in_24h` (answered within 24 hours), `in_3d` (resolved within 3 calendar
days). "Answered within 3 working days" also counts, in its denominator, the complaints still unanswered whose
response deadline has passed: a moment, not a day, so the delta carries `wait_day` (the local day of that
deadline) as the dimensions `wait` / `wait_channel` and readers add the few whose deadline passed since today's
midnight from the raw table, as they do for overdue.

`resolution_working_days` becomes a counted column: the triggers of 0119 are made again with the new columns.
Their rule is 0119's otherwise, written out here in full so that this migration stays what it was when later ones
change the triggers again.

A database holding complaints gets `ready = false`: reads use the raw table until the worker's first reconcile
(within five minutes of its start) or `aduan db reconcile-rollup` rebuilds the rollup with the new measures.

Revision ID: 0120
Revises: 0119
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0120'
down_revision: Union[str, None] = '0119'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COUNTED_BEFORE = ("received_at", "channel", "opd_id", "category_id", "kecamatan", "status", "parent_id",
                  "followup_working_days", "paused_at", "first_response_at", "reopened_at", "reopen_answered_at",
                  "response_due_at", "resolution_due_at", "resolved_at", "reopened_count", "rating")
DIMS_BEFORE = ("day", "channel", "opd_id", "category_id", "kecamatan", "status", "due_day", "resolved_day",
               "rating", "replied")
MEASURES_BEFORE = ("n", "fu_sum", "fu_n", "reopened")
NEW_MEASURES = ("on_time", "answered", "in_24h", "in_3d")
NEW_DIMS = ("fu_days", "res_days", "wait_day")
# What this revision counts, and what it counted before (the downgrade makes those triggers again).
NOW = (COUNTED_BEFORE + ("resolution_working_days",), DIMS_BEFORE + NEW_DIMS, MEASURES_BEFORE + NEW_MEASURES)
BEFORE = (COUNTED_BEFORE, DIMS_BEFORE, MEASURES_BEFORE)
NEW_DIMENSIONS = "('fu', 'fu_channel', 'res', 'res_channel', 'wait', 'wait_channel')"
AWAITING = "('unverified', 'verified', 'dispatched')"
RUNNING = "('unverified', 'verified', 'dispatched', 'in_progress')"
NOT_COUNTED = "('rejected', 'archived')"  # left out of the response-time shares


def upgrade() -> None:
    for table in ("complaint_rollup", "complaint_rollup_delta"):
        for column in NEW_MEASURES:
            op.add_column(table, sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    op.add_column("complaint_rollup_delta", sa.Column("fu_days", sa.Integer(), nullable=True))
    op.add_column("complaint_rollup_delta", sa.Column("res_days", sa.Integer(), nullable=True))
    op.add_column("complaint_rollup_delta", sa.Column("wait_day", sa.Date(), nullable=True))
    _make_triggers(*NOW)
    _rollup_not_built()


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # SQLite checks the triggers naming the delta table while batch mode swaps that table
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS complaint_rollup_{name}")
    else:
        _make_triggers(*BEFORE)
    for table, columns in (("complaint_rollup", NEW_MEASURES), ("complaint_rollup_delta", NEW_MEASURES + NEW_DIMS)):
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
    op.execute(f"DELETE FROM complaint_rollup WHERE dimension IN {NEW_DIMENSIONS}")
    if sqlite:
        _make_triggers(*BEFORE)
    _rollup_not_built()


def _deadlines(r: str) -> tuple[str, str]:
    """The response deadline while awaiting the OPD's answer, the resolution deadline while running."""
    awaiting = (f"(({r}.status IN {AWAITING} AND {r}.first_response_at IS NULL) OR ({r}.status IN {RUNNING} "
                f"AND {r}.reopened_at IS NOT NULL AND {r}.reopen_answered_at IS NULL))")
    return (f"(CASE WHEN {awaiting} THEN {r}.response_due_at END)",
            f"(CASE WHEN {r}.status IN {RUNNING} THEN {r}.resolution_due_at END)")


def _values(r: str, sign: int, sql: dict, dims: Sequence[str], measures: Sequence[str]) -> str:
    """The delta row of complaint `r` (NEW, OLD or a transition table's row), in `dims` + `measures` order.
    `sql` holds the dialect's local_day(ts), least(a, b) and days(end, start) (fractional calendar days)."""
    local_day, least, days = sql["local_day"], sql["least"], sql["days"]
    response, resolution = _deadlines(r)
    due = f"(CASE WHEN {r}.paused_at IS NULL THEN {least(response, resolution)} END)"
    resolved = f"(CASE WHEN {r}.status = 'resolved' AND {r}.resolved_at IS NOT NULL THEN {local_day(f'{r}.resolved_at')} END)"
    counted, answered = f"{r}.status NOT IN {NOT_COUNTED}", f"{r}.first_response_at IS NOT NULL"

    def when(condition: str) -> str:
        return f"(CASE WHEN {condition} THEN {sign} ELSE 0 END)"

    known = {
        "day": local_day(f"{r}.received_at"), "due_day": f"COALESCE({local_day(due)}, '9999-12-31')",
        "resolved_day": resolved, "replied": f"(CASE WHEN {r}.first_response_at IS NULL THEN 0 ELSE 1 END)",
        "fu_days": f"{r}.followup_working_days", "res_days": f"{r}.resolution_working_days",
        "wait_day": f"(CASE WHEN {counted} AND {r}.first_response_at IS NULL THEN {local_day(f'{r}.response_due_at')} END)",
        "n": str(sign), "fu_sum": f"{sign} * COALESCE({r}.followup_working_days, 0)",
        "fu_n": f"(CASE WHEN {r}.followup_working_days IS NULL THEN 0 ELSE {sign} END)",
        "reopened": f"{sign} * COALESCE({r}.reopened_count, 0)",
        "on_time": when(f"{counted} AND {answered} AND {r}.first_response_at <= {r}.response_due_at"),
        "answered": when(f"{counted} AND {answered}"),
        "in_24h": when(f"{answered} AND {days(f'{r}.first_response_at', f'{r}.received_at')} <= 1"),
        "in_3d": when(f"{r}.status = 'resolved' AND {days(f'{r}.resolved_at', f'{r}.received_at')} <= 3"),
    }
    return ", ".join(known.get(name, f"{r}.{name}") for name in (*dims, *measures))


def _make_triggers(counted: Sequence[str], dims: Sequence[str], measures: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql(counted, dims, measures)
    else:
        _sqlite(counted, dims, measures)


def _postgresql(counted: Sequence[str], dims: Sequence[str], measures: Sequence[str]) -> None:
    columns = ", ".join((*dims, *measures))
    sql = {"local_day": lambda ts: f"CAST(({ts} AT TIME ZONE 'UTC') + off AS date)",
           "least": lambda a, b: f"LEAST({a}, {b})",
           "days": lambda end, start: f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"}  # as sqlfuncs.day_diff

    offset = ("off interval := make_interval(mins => COALESCE((SELECT utc_offset_minutes FROM rollup_state "
              "WHERE id = 1), 420));")
    old = ", ".join(f"OLD.{c}" for c in counted)
    new = ", ".join(f"NEW.{c}" for c in counted)
    op.execute(f"""
CREATE OR REPLACE FUNCTION complaint_rollup_delta() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    {offset}
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF ROW({old}) IS NOT DISTINCT FROM ROW({new}) THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF OLD.parent_id IS NULL THEN
            INSERT INTO complaint_rollup_delta ({columns}) VALUES ({_values("OLD", -1, sql, dims, measures)});
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF NEW.parent_id IS NULL THEN
            INSERT INTO complaint_rollup_delta ({columns}) VALUES ({_values("NEW", 1, sql, dims, measures)});
        END IF;
    END IF;
    RETURN NULL;
END $$""")
    op.execute("DROP TRIGGER complaint_rollup_delta ON complaint")
    op.execute(f"CREATE TRIGGER complaint_rollup_delta AFTER DELETE OR UPDATE OF {', '.join(counted)} ON complaint "
               "FOR EACH ROW EXECUTE FUNCTION complaint_rollup_delta()")
    sums = ", ".join(f"sum({m})" for m in measures)
    op.execute(f"""
CREATE OR REPLACE FUNCTION complaint_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    {offset}
BEGIN
    INSERT INTO complaint_rollup_delta ({columns})
    SELECT {', '.join(dims)}, {sums}
    FROM (SELECT {_values("r", 1, sql, dims, measures)} FROM inserted r WHERE r.parent_id IS NULL)
         AS v({columns})
    GROUP BY {', '.join(dims)};
    RETURN NULL;
END $$""")


def _sqlite(counted: Sequence[str], dims: Sequence[str], measures: Sequence[str]) -> None:
    columns = ", ".join((*dims, *measures))
    offset = ("(SELECT COALESCE((SELECT printf('%+d minutes', utc_offset_minutes) FROM rollup_state WHERE id = 1), "
              "'+420 minutes'))")

    sql = {"local_day": lambda ts: f"date({ts}, {offset})",
           "least": lambda a, b: f"(CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} < {b} THEN {a} "
                                 f"ELSE {b} END)",
           "days": lambda end, start: f"(julianday({end}) - julianday({start}))"}  # as sqlfuncs.day_diff

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in counted)
    insert = f"INSERT INTO complaint_rollup_delta ({columns}) SELECT"
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS complaint_rollup_{name}")
    op.execute(f"CREATE TRIGGER complaint_rollup_insert AFTER INSERT ON complaint WHEN NEW.parent_id IS NULL BEGIN "
               f"{insert} {_values('NEW', 1, sql, dims, measures)}; END")
    op.execute(f"CREATE TRIGGER complaint_rollup_delete AFTER DELETE ON complaint WHEN OLD.parent_id IS NULL BEGIN "
               f"{insert} {_values('OLD', -1, sql, dims, measures)}; END")
    op.execute(f"CREATE TRIGGER complaint_rollup_update AFTER UPDATE OF {', '.join(counted)} ON complaint "
               f"WHEN {changed} BEGIN {insert} {_values('OLD', -1, sql, dims, measures)} "
               f"WHERE OLD.parent_id IS NULL; {insert} {_values('NEW', 1, sql, dims, measures)} "
               f"WHERE NEW.parent_id IS NULL; END")


def _rollup_not_built() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM complaint LIMIT 1")).first() is None:
        return
    if bind.execute(sa.text("SELECT 1 FROM rollup_state WHERE id = 1")).first() is None:
        op.execute("INSERT INTO rollup_state (id, utc_offset_minutes, ready, drifted_days, drifted_days_total) "
                   "VALUES (1, 420, false, 0, 0)")
    else:
        op.execute("UPDATE rollup_state SET ready = false WHERE id = 1")
