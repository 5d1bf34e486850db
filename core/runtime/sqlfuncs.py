"""The few SQL expressions that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Float, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

BUCKETS = ("day", "week", "month")


class day_diff(FunctionElement):
    """(end - start) in fractional calendar days."""

    type = Float()
    inherit_cache = True
    name = "day_diff"


@compiles(day_diff, "sqlite")
def _day_diff_sqlite(element, compiler, **kw):
    end, start = list(element.clauses)
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


@compiles(day_diff, "postgresql")
def _day_diff_pg(element, compiler, **kw):
    end, start = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 86400.0)"


class local_period(FunctionElement):
    """Start of the local day/week (Monday)/month of a UTC timestamp ('YYYY-MM-DD' text on SQLite,
    a DATE on PostgreSQL: `str()` of either is the ISO date).

    Built as `local_period(column, bucket=..., tz=...)`; bucket and zone are rendered as literals
    because they come from code and settings, never from a request.
    """

    type = String()
    inherit_cache = False
    name = "local_period"

    def __init__(self, column, bucket: str, tz: ZoneInfo):
        if bucket not in BUCKETS:
            raise ValueError(f"unknown bucket {bucket!r}")
        self.bucket, self.tz = bucket, tz
        super().__init__(column)


@compiles(local_period, "sqlite")
def _local_period_sqlite(element, compiler, **kw):
    col = compiler.process(list(element.clauses)[0], **kw)
    # Indonesian zones have no DST, so the current offset is the offset.
    minutes = int(datetime.now(element.tz).utcoffset().total_seconds() // 60)
    shift = f"'{minutes:+d} minutes'"
    if element.bucket == "day":
        return f"date({col}, {shift})"
    if element.bucket == "week":
        return f"date({col}, {shift}, '-6 days', 'weekday 1')"
    return f"strftime('%Y-%m-01', {col}, {shift})"


@compiles(local_period, "postgresql")
def _local_period_pg(element, compiler, **kw):
    col = compiler.process(list(element.clauses)[0], **kw)
    zone = str(element.tz.key).replace("'", "")
    # A date, not to_char text: formatting every row costs PostgreSQL more than the grouping.
    return f"CAST(date_trunc('{element.bucket}', {col} AT TIME ZONE '{zone}') AS DATE)"


class unordered(FunctionElement):
    """A GROUP BY key that the planner must not read in index order.

    SQLite otherwise walks a single-column index (channel, kecamatan...) and fetches every table
    row in that order, which is several times slower than scanning the narrow covering stats index
    and sorting the few groups. `+x` is SQLite's no-op that hides the index; elsewhere it is `x`.
    """

    inherit_cache = True
    name = "unordered"

    def __init__(self, column):
        self.type = column.type
        super().__init__(column)


@compiles(unordered)
def _unordered_default(element, compiler, **kw):
    return compiler.process(list(element.clauses)[0], **kw)


@compiles(unordered, "sqlite")
def _unordered_sqlite(element, compiler, **kw):
    return f"+{compiler.process(list(element.clauses)[0], **kw)}"


def one_of(column, values: list, dialect: str):
    """`column IN (values)`. On PostgreSQL `column = ANY(array)`: one parameter instead of one per value, so a
    page's look-up by 500 keys is not a 500-placeholder statement for the driver to rewrite every time."""
    if dialect == "postgresql":
        return column == any_(bindparam("one_of", values, type_=ARRAY(column.type), unique=True))
    return column.in_(values)
