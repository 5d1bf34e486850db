"""complaint_rollup: reopened counts and ratings, for the rapor and /stats/ratings from the rollup (issue #23)

The rapor per OPD is the rollup's OPD rows of the period (total, status buckets, follow-up days) plus the times
its complaints were reopened, which the rollup did not hold: at 10 M complaints the rapor read the raw table
(2.2 s). `reopened` (sum of `complaint.reopened_count`) becomes a measure of the rollup and of its delta. Ratings
(2.1 s at 10 M) become the dimension `rating` (key: channel|stars|replied), for which the delta carries each
complaint's `rating` and `replied` (has a first response). `reopened_count` and `rating` become counted
columns: the triggers of 0116 (row, updates and deletes; SQLite: all three) and 0117 (PostgreSQL, insert
statements) are made again with them. The rule is otherwise theirs, written out here in full
so that this migration stays what it was when later ones change the triggers again.

A database holding complaints gets `ready = false`: reads use the raw table until the worker's first reconcile
(within five minutes of its start) or `aduan db reconcile-rollup` rebuilds the rollup with the new measure.

Revision ID: 0119
Revises: 0118
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0119'
down_revision: Union[str, None] = '0118'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COUNTED_BEFORE = ("received_at", "channel", "opd_id", "category_id", "kecamatan", "status", "parent_id",
                  "followup_working_days", "paused_at", "first_response_at", "reopened_at", "reopen_answered_at",
                  "response_due_at", "resolution_due_at", "resolved_at")
DIMS_BEFORE = ("day", "channel", "opd_id", "category_id", "kecamatan", "status", "due_day", "resolved_day")
MEASURES_BEFORE = ("n", "fu_sum", "fu_n")
# What this revision counts, and what it counted before (the downgrade makes those triggers again).
NOW = (COUNTED_BEFORE + ("reopened_count", "rating"), DIMS_BEFORE + ("rating", "replied"),
       MEASURES_BEFORE + ("reopened",))
BEFORE = (COUNTED_BEFORE, DIMS_BEFORE, MEASURES_BEFORE)
AWAITING = "('unverified', 'verified', 'dispatched')"
RUNNING = "('unverified', 'verified', 'dispatched', 'in_progress')"


def upgrade() -> None:
    for table in ("complaint_rollup", "complaint_rollup_delta"):
        op.add_column(table, sa.Column("reopened", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("complaint_rollup_delta", sa.Column("rating", sa.Integer(), nullable=True))
    op.add_column("complaint_rollup_delta", sa.Column("replied", sa.Integer(), nullable=False, server_default="0"))
    _make_triggers(*NOW)
    _rollup_not_built()


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # SQLite checks the triggers naming the delta table while batch mode swaps that table
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS complaint_rollup_{name}")
    else:
        _make_triggers(*BEFORE)
    for table, columns in (("complaint_rollup", ("reopened",)),
                           ("complaint_rollup_delta", ("reopened", "rating", "replied"))):
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
    op.execute("DELETE FROM complaint_rollup WHERE dimension = 'rating'")
    if sqlite:
        _make_triggers(*BEFORE)
    _rollup_not_built()


def _deadlines(r: str) -> tuple[str, str]:
    """The response deadline while awaiting the OPD's answer, the resolution deadline while running."""
    awaiting = (f"(({r}.status IN {AWAITING} AND {r}.first_response_at IS NULL) OR ({r}.status IN {RUNNING} "
                f"AND {r}.reopened_at IS NOT NULL AND {r}.reopen_answered_at IS NULL))")
    return (f"(CASE WHEN {awaiting} THEN {r}.response_due_at END)",
            f"(CASE WHEN {r}.status IN {RUNNING} THEN {r}.resolution_due_at END)")


def _values(r: str, sign: int, local_day, least, dims: Sequence[str], measures: Sequence[str]) -> str:
    """The delta row of complaint `r` (NEW, OLD or a transition table's row), in `dims` + `measures` order."""
    response, resolution = _deadlines(r)
    due = f"(CASE WHEN {r}.paused_at IS NULL THEN {least(response, resolution)} END)"
    resolved = f"(CASE WHEN {r}.status = 'resolved' AND {r}.resolved_at IS NOT NULL THEN {local_day(f'{r}.resolved_at')} END)"
    known = {
        "day": local_day(f"{r}.received_at"), "due_day": f"COALESCE({local_day(due)}, '9999-12-31')",
        "resolved_day": resolved, "replied": f"(CASE WHEN {r}.first_response_at IS NULL THEN 0 ELSE 1 END)",
        "n": str(sign), "fu_sum": f"{sign} * COALESCE({r}.followup_working_days, 0)",
        "fu_n": f"(CASE WHEN {r}.followup_working_days IS NULL THEN 0 ELSE {sign} END)",
        "reopened": f"{sign} * COALESCE({r}.reopened_count, 0)"}
    return ", ".join(known.get(name, f"{r}.{name}") for name in (*dims, *measures))


def _make_triggers(counted: Sequence[str], dims: Sequence[str], measures: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql(counted, dims, measures)
    else:
        _sqlite(counted, dims, measures)


def _postgresql(counted: Sequence[str], dims: Sequence[str], measures: Sequence[str]) -> None:
    columns = ", ".join((*dims, *measures))
    def local_day(ts: str) -> str:
        return f"CAST(({ts} AT TIME ZONE 'UTC') + off AS date)"

    def least(a: str, b: str) -> str:
        return f"LEAST({a}, {b})"

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
            INSERT INTO complaint_rollup_delta ({columns}) VALUES ({_values("OLD", -1, local_day, least, dims, measures)});
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        IF NEW.parent_id IS NULL THEN
            INSERT INTO complaint_rollup_delta ({columns}) VALUES ({_values("NEW", 1, local_day, least, dims, measures)});
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
    FROM (SELECT {_values("r", 1, local_day, least, dims, measures)} FROM inserted r WHERE r.parent_id IS NULL)
         AS v({columns})
    GROUP BY {', '.join(dims)};
    RETURN NULL;
END $$""")


def _sqlite(counted: Sequence[str], dims: Sequence[str], measures: Sequence[str]) -> None:
    columns = ", ".join((*dims, *measures))
    offset = ("(SELECT COALESCE((SELECT printf('%+d minutes', utc_offset_minutes) FROM rollup_state WHERE id = 1), "
              "'+420 minutes'))")

    def local_day(ts: str) -> str:
        return f"date({ts}, {offset})"

    def least(a: str, b: str) -> str:
        return f"(CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} < {b} THEN {a} ELSE {b} END)"

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in counted)
    insert = f"INSERT INTO complaint_rollup_delta ({columns}) SELECT"
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS complaint_rollup_{name}")
    op.execute(f"CREATE TRIGGER complaint_rollup_insert AFTER INSERT ON complaint WHEN NEW.parent_id IS NULL BEGIN "
               f"{insert} {_values('NEW', 1, local_day, least, dims, measures)}; END")
    op.execute(f"CREATE TRIGGER complaint_rollup_delete AFTER DELETE ON complaint WHEN OLD.parent_id IS NULL BEGIN "
               f"{insert} {_values('OLD', -1, local_day, least, dims, measures)}; END")
    op.execute(f"CREATE TRIGGER complaint_rollup_update AFTER UPDATE OF {', '.join(counted)} ON complaint "
               f"WHEN {changed} BEGIN {insert} {_values('OLD', -1, local_day, least, dims, measures)} "
               f"WHERE OLD.parent_id IS NULL; {insert} {_values('NEW', 1, local_day, least, dims, measures)} "
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
