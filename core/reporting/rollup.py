"""The daily rollup (models/rollup.py): which questions it answers, reading it, folding and reconciling it.

Every number on the wall is a sum over days, so `/stats/summary`, the breakdowns and the day series read the
rollup when the question is one it holds: the filter restricts at most one of channel / OPD / category /
kecamatan (and a breakdown groups by that same one), dates are whole local days, and the measures are working
days. Anything else (free text, desa, reporter filters, a datetime window, calendar days, the percentiles, a
petugas' queue) reads the raw table as before. Both paths give the same numbers; tests/core/test_rollup.py
runs random writes through both.

Overdue is a moment, not a day: a complaint is overdue once its running deadline (`due_day`, the local day of
the earlier of the response and resolution deadlines that apply, as core.casework.sla's rule) has passed. The
rollup gives those that passed before today's local midnight; the few that passed since then are counted on the
raw table through the deadline indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Select
from sqlmodel import Session

from core.casework.sla import RUNNING_STATUSES, awaiting_answer_clause, overdue_clause
from core.identity.access import Access
from core.reporting.channel_calls import day_bounds
from core.reporting.filters import ResolvedFilter
from core.runtime.sqlfuncs import day_diff, local_period
from models import Complaint, Role, Status
from models.rollup import (
    DEFAULT_UTC_OFFSET_MINUTES,
    NO_DUE_DAY,
    NO_KEY,
    ComplaintRollup,
    ComplaintRollupDelta,
    RollupState,
)
from models.types import utcnow

Rollup, Delta = ComplaintRollup.__table__, ComplaintRollupDelta.__table__
KEYS = ("dimension", "key", "day", "status", "due_day")
# reopened: times reopened (migration 0119, the rapor); on_time, answered, in_24h, in_3d: /stats/response-times
# (migration 0120).
MEASURES = ("n", "fu_sum", "fu_n", "reopened", "on_time", "answered", "in_24h", "in_3d")
# A breakdown's dimension and the complaint column it stands for.
COLUMNS = {"channel": Complaint.channel, "opd": Complaint.opd_id, "category": Complaint.category_id,
           "kecamatan": Complaint.kecamatan}


def utc_offset_minutes(tz: ZoneInfo) -> int:
    # Indonesian zones have no daylight saving time: today's offset is every day's.
    return int(datetime.now(tz).utcoffset().total_seconds() // 60)


def key_value(dimension: str, key: str):
    """A rollup key back as the complaint column's value."""
    if key == NO_KEY:
        return None
    return int(key) if dimension in ("opd", "category") else key


# --- what a complaint contributes ------------------------------------------------------------------------

def local_day(column, tz: ZoneInfo):
    return local_period(column, "day", tz)


def raw_contributions(tz: ZoneInfo) -> Select:
    """Each counted complaint as a delta row (n = 1): what the triggers of migration 0116 write, in SQLAlchemy."""
    c = Complaint
    counted, answered = c.status.not_in(NOT_COUNTED), c.first_response_at.is_not(None)
    response = case((awaiting_answer_clause(), c.response_due_at))
    resolution = case((c.status.in_(RUNNING_STATUSES), c.resolution_due_at))
    earlier = case((response.is_(None), resolution), (resolution.is_(None), response),
                   (response < resolution, response), else_=resolution)
    due = case((c.paused_at.is_(None), earlier))
    return select(
        local_day(c.received_at, tz).label("day"), c.channel, c.opd_id, c.category_id, c.kecamatan, c.status,
        func.coalesce(local_day(due, tz), NO_DUE_DAY).label("due_day"),
        case((and_(c.status == Status.resolved, c.resolved_at.is_not(None)), local_day(c.resolved_at, tz)))
        .label("resolved_day"),
        c.rating, case((c.first_response_at.is_(None), 0), else_=1).label("replied"),
        literal(1).label("n"), func.coalesce(c.followup_working_days, 0).label("fu_sum"),
        case((c.followup_working_days.is_(None), 0), else_=1).label("fu_n"),
        func.coalesce(c.reopened_count, 0).label("reopened"),
        _flag(counted & answered & (c.first_response_at <= c.response_due_at)).label("on_time"),
        _flag(counted & answered).label("answered"),
        _flag(answered & (day_diff(c.first_response_at, c.received_at) <= 1)).label("in_24h"),
        _flag((c.status == Status.resolved) & (day_diff(c.resolved_at, c.received_at) <= 3)).label("in_3d"),
        c.followup_working_days.label("fu_days"), c.resolution_working_days.label("res_days"),
        case((counted & c.first_response_at.is_(None), local_day(c.response_due_at, tz))).label("wait_day"),
    ).where(c.parent_id.is_(None))


def _flag(condition):
    return case((condition, 1), else_=0)


def _key(dimension: str, s):
    if dimension == "all":
        return literal("")
    if dimension == "channel":
        return s.channel
    if dimension in ("opd", "category"):
        return func.coalesce(cast(s.opd_id if dimension == "opd" else s.category_id, String), NO_KEY)
    if dimension == "kecamatan":
        return func.coalesce(s.kecamatan, NO_KEY)
    if dimension == "resolved_channel":
        return s.channel + CHANNEL_DAY + cast(s.resolved_day, String)
    if dimension == "rating":
        return s.channel + CHANNEL_DAY + cast(s.rating, String) + CHANNEL_DAY + cast(s.replied, String)
    if dimension in HISTOGRAMS:
        value = cast(s[ONLY_SOME[dimension]], String)
        return s.channel + CHANNEL_DAY + value if dimension.endswith("_channel") else value
    return cast(s.resolved_day, String)


# "resolved": resolutions per local day (key: the day); "resolved_channel": the same per channel (key: channel|day);
# "rating": rated complaints (key: channel|stars|replied). The histograms of /stats/response-times (migration
# 0120): "fu" and "res" per follow-up / resolution working days, "wait" per local day of an unanswered counted
# complaint's response deadline (key: the value; their "_channel" forms: channel|value). These count complaints
# only (n).
HISTOGRAMS = {"fu": "fu_days", "fu_channel": "fu_days", "res": "res_days", "res_channel": "res_days",
              "wait": "wait_day", "wait_channel": "wait_day"}
DIMENSIONS = ("all", "channel", "opd", "category", "kecamatan", "resolved", "resolved_channel", "rating",
              *HISTOGRAMS)
# The plan dimensions whose resolutions are rolled up: "resolved" overall, "resolved_channel" per channel.
RESOLUTIONS = frozenset({"all", "channel"})
# Dimension → the delta column a complaint must have (not null) to be counted in it.
ONLY_SOME = {"resolved": "resolved_day", "resolved_channel": "resolved_day", "rating": "rating", **HISTOGRAMS}
CHANNEL_DAY = "|"
NOT_COUNTED = (Status.rejected, Status.archived)  # left out of the response-time shares (on time, judged)


def expand(source, dimensions: Sequence[str] = DIMENSIONS):
    """Delta-shaped rows (a subquery or CTE) as rollup-shaped rows of each dimension."""
    return union_all(*expand_parts(source, dimensions))


def expand_parts(source, dimensions: Sequence[str] = DIMENSIONS) -> list[Select]:
    """`expand` as one SELECT per dimension, to join a flat UNION ALL (SQLite refuses a nested one)."""
    s = source.c
    parts = []
    for dimension in dimensions:
        only = ONLY_SOME.get(dimension)
        part = select(literal(dimension).label("dimension"), _key(dimension, s).label("key"), s.day, s.status,
                      (literal(NO_DUE_DAY) if only else s.due_day).label("due_day"), s.n,
                      *((literal(0) if only else s[m]).label(m) for m in MEASURES[1:]))
        parts.append(part.where(s[only].is_not(None)) if only else part)
    return parts


def grouped(rows) -> Select:
    u = rows.subquery()
    return (select(*(u.c[k] for k in KEYS), *(func.sum(u.c[m]).label(m) for m in MEASURES))
            .where(true()).group_by(*(u.c[k] for k in KEYS)))


# --- state -----------------------------------------------------------------------------------------------

def readable(session: Session, tz: ZoneInfo) -> bool:
    """The rollup is built and counts days in this zone (no row: a fresh or emptied database, Jakarta)."""
    row = session.execute(select(RollupState.ready, RollupState.utc_offset_minutes)
                          .where(RollupState.id == 1)).first()
    ready, offset = (row.ready, row.utc_offset_minutes) if row else (True, DEFAULT_UTC_OFFSET_MINUTES)
    return bool(ready) and offset == utc_offset_minutes(tz)


# --- which questions it answers --------------------------------------------------------------------------

@dataclass
class Plan:
    dimension: str
    keys: list[str] | None = None
    statuses: list[str] | None = None
    first_day: date | None = None
    last_day: date | None = None  # inclusive


def plan(filt: ResolvedFilter, access: Access, group: str | None = None) -> Plan | None:
    """How the rollup answers this filter and access (grouped by `group`), or None when it cannot."""
    s = filt.spec
    if s.classification or s.desa or s.q or s.overdue is not None or s.rating_max is not None:
        return None
    if any(isinstance(v, datetime) for v in (s.received_from, s.received_to)):
        return None
    if access.acted is not None or access.role is Role.petugas:
        return None
    restricted: dict[str, set[str]] = {}
    if s.channel:
        restricted["channel"] = set(s.channel)
    if s.opd:
        restricted["opd"] = {str(i) for i in filt.opd_ids}
    if s.category:
        restricted["category"] = {str(i) for i in filt.category_ids}
    if s.kecamatan:
        restricted["kecamatan"] = set(s.kecamatan)
    if access.role is Role.opd_admin:
        own = {str(access.opd_id)} if access.opd_id is not None else set()
        restricted["opd"] = restricted.get("opd", own) & own
    if len(restricted) > 1 or (group is not None and restricted and group not in restricted):
        return None
    dimension = group or next(iter(restricted), "all")
    keys = restricted.get(dimension)
    return Plan(dimension, sorted(keys) if keys is not None else None,
                [str(st) for st in s.status] or None, s.received_from, s.received_to)


# --- reading ---------------------------------------------------------------------------------------------

def _source(p: Plan, dimension: str | None = None):
    """Rollup rows of the plan's dimension plus the delta not folded yet, restricted as the plan says."""
    dimension = dimension or p.dimension
    folded = select(*(Rollup.c[k] for k in KEYS), *(Rollup.c[m] for m in MEASURES)).where(
        Rollup.c.dimension == dimension)
    u = union_all(folded, *expand_parts(Delta, [dimension])).subquery()
    where = []
    if p.keys is not None and dimension == p.dimension:
        where.append(u.c.key.in_(p.keys))
    if p.statuses is not None:
        where.append(u.c.status.in_(p.statuses))
    if p.first_day is not None:
        where.append(u.c.day >= p.first_day)
    if p.last_day is not None:
        where.append(u.c.day <= p.last_day)
    return u, where


def measures_by(session: Session, p: Plan, today: date, since: dict[str, date] | None = None,
                by_day: bool = False) -> list:
    """Per (key, status[, day]): n, overdue before today, the other measures, and n received since each date."""
    u, where = _source(p)
    since = since or {}
    keys = [u.c.key, u.c.status] + ([u.c.day] if by_day else [])
    stmt = select(*keys, func.sum(u.c.n).label("n"),
                  func.coalesce(func.sum(case((u.c.due_day < today, u.c.n), else_=0)), 0).label("overdue"),
                  *(func.sum(u.c[m]).label(m) for m in MEASURES[1:]),
                  *(func.coalesce(func.sum(case((u.c.day >= start, u.c.n), else_=0)), 0).label(name)
                    for name, start in since.items())).where(*where).group_by(*keys)
    return session.execute(stmt).all()


def resolved_by_day(session: Session, p: Plan) -> dict[str, int]:
    """Resolved complaints (received within the plan's days, of its channels) per local day of resolution.
    The plan's dimension must be one of `RESOLUTIONS`."""
    return _per_value(session, p, "resolved")


def ratings(session: Session, p: Plan) -> dict[int, tuple[int, int]]:
    """Rated complaints (received within the plan's days, of its channels if it names some) per stars: how many,
    and how many of them have a reply. The plan's dimension must be "all" or "channel"."""
    out: dict[int, tuple[int, int]] = {}
    for key, n in _per_key(session, p, "rating"):
        _channel, stars, replied = key.rsplit(CHANNEL_DAY, 2)
        rated, answered = out.get(int(stars), (0, 0))
        out[int(stars)] = (rated + int(n or 0), answered + (int(n or 0) if replied == "1" else 0))
    return out


def histogram(session: Session, p: Plan, kind: str) -> list[tuple[int, int]]:
    """Complaints (received within the plan's days, of its channels if it names some) per follow-up ("fu") or
    resolution ("res") working days, ascending. The plan's dimension must be "all" or "channel"."""
    counts = _per_value(session, p, kind)
    return sorted((int(value), n) for value, n in counts.items())


def waiting_before(session: Session, p: Plan, today: date) -> int:
    """Counted complaints still unanswered whose response deadline fell before `today` (local days). The plan's
    dimension must be "all" or "channel"."""
    return sum(n for day, n in _per_value(session, p, "wait").items() if date.fromisoformat(day) < today)


def _per_value(session: Session, p: Plan, kind: str) -> dict[str, int]:
    """Complaints per value of a dimension kept kabupaten-wide as `kind` and per channel as `kind`_channel
    (key: channel|value), for the plan's channels if it names some."""
    out: dict[str, int] = {}
    for key, n in _per_key(session, p, kind + ("_channel" if p.dimension == "channel" else "")):
        value = key.rpartition(CHANNEL_DAY)[2]
        out[value] = out.get(value, 0) + int(n or 0)
    return {value: n for value, n in out.items() if n}


def _per_key(session: Session, p: Plan, dimension: str) -> list:
    """(key, complaints) of a dimension within the plan's days, statuses and (on a channel|… key) channels."""
    u, where = _source(p, dimension)
    return session.execute(select(u.c.key, func.sum(u.c.n)).where(*where, *_of_channels(u, p))
                           .group_by(u.c.key)).all()


def _of_channels(u, p: Plan) -> list:
    """The plan's channels, on a dimension keyed channel|…: a condition on the key's prefix (none without)."""
    if p.dimension != "channel" or p.keys is None:
        return []
    return [or_(false(), *(u.c.key.startswith(key + CHANNEL_DAY, autoescape=True) for key in p.keys))]


def latest_day(session: Session, p: Plan) -> date | None:
    u, where = _source(p)
    day = session.execute(select(u.c.day).where(*where).group_by(u.c.day).having(func.sum(u.c.n) > 0)
                          .order_by(u.c.day.desc()).limit(1)).scalar()
    return date.fromisoformat(day) if isinstance(day, str) else day


def overdue_since_midnight(session: Session, where: list, now: datetime, tz: ZoneInfo, column=None) -> dict:
    """Complaints whose deadline passed between today's local midnight and `now` (the rollup counts the rest),
    per value of `column` (one key, None, without)."""
    c = Complaint
    midnight = day_bounds(now.astimezone(tz).date(), tz)
    # Implied by the overdue rule (a complaint awaiting an answer is running), spelt out for the indexes.
    passed_today = or_(and_(c.status.in_(RUNNING_STATUSES), c.response_due_at >= midnight, c.response_due_at < now),
                       and_(c.status.in_(RUNNING_STATUSES), c.resolution_due_at >= midnight,
                            c.resolution_due_at < now))
    key = column if column is not None else literal(None)
    rows = session.execute(select(key, func.count()).select_from(Complaint).where(
        *where, passed_today, overdue_clause(now), ~overdue_clause(midnight)).group_by(key)).all()
    return {k: int(n) for k, n in rows}


# --- folding and reconciling -----------------------------------------------------------------------------

def _upsert(dialect: str, rows: Select):
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = maker(Rollup).from_select(list(KEYS) + list(MEASURES), rows)
    return stmt.on_conflict_do_update(index_elements=list(KEYS), set_={
        m: Rollup.c[m] + stmt.excluded[m] for m in MEASURES})


def fold(conn: Connection) -> int:
    """Move the delta into the rollup; answers the delta rows moved. Readers see either side, never both."""
    if conn.dialect.name == "postgresql":
        # One statement: exactly the rows it deleted are the rows it adds (an id bound would race commits).
        moved = delete(Delta).returning(*Delta.c).cte("moved")
        added = _upsert("postgresql", grouped(expand(moved))).cte("added")
        return conn.execute(select(func.count()).select_from(moved).add_cte(added)).scalar_one()
    # SQLite has one writer: after the insert holds the write lock no delta row can commit before the delete.
    last = conn.execute(select(func.max(Delta.c.id))).scalar()
    if last is None:
        return 0
    pending = select(Delta).where(Delta.c.id <= last).subquery()
    conn.execute(_upsert("sqlite", grouped(expand(pending))))
    return conn.execute(delete(Delta).where(Delta.c.id <= last)).rowcount


def fold_pending(engine: Engine) -> int:
    with engine.begin() as conn:
        return fold(conn)


@dataclass
class Reconciled:
    drifted_days: int
    rows: int
    rebuilt: bool  # the zone changed, or the rollup had not been built


def reconcile(engine: Engine, tz: ZoneInfo) -> Reconciled:
    """Compare the rollup with the raw rows, rebuild every day that differs, record it (shown in /metrics).

    The first run on a database that held complaints before migration 0116 (ready = false) builds it whole;
    so does a change of zone."""
    offset = utc_offset_minutes(tz)
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        # First a write: on SQLite it takes the write lock, so nothing commits between reading and rewriting.
        state = conn.execute(select(RollupState).where(RollupState.id == 1)).first()
        if state is None:  # the triggers have counted in Jakarta days from the start
            conn.execute(insert(RollupState.__table__).values(id=1, utc_offset_minutes=offset, ready=False,
                                                              drifted_days=0, drifted_days_total=0))
            rebuilt = offset != DEFAULT_UTC_OFFSET_MINUTES
        else:
            rebuilt = not state.ready or state.utc_offset_minutes != offset
            conn.execute(update(RollupState.__table__).where(RollupState.id == 1)
                         .values(utc_offset_minutes=offset, ready=False))
        if rebuilt:
            conn.execute(delete(Rollup))
            conn.execute(delete(Delta))
        else:
            fold(conn)
        conn.execute(text("DROP TABLE IF EXISTS rollup_expected"))
        expected = grouped(expand(raw_contributions(tz).subquery()))
        compiled = expected.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        conn.execute(text(f"CREATE TEMPORARY TABLE rollup_expected AS {compiled}"))
        columns = ", ".join(KEYS + MEASURES)
        counted_rows = "(" + " OR ".join(f"{m} <> 0" for m in MEASURES) + ")"
        actual = f"SELECT {columns} FROM complaint_rollup WHERE {counted_rows}"
        wanted = f"SELECT {columns} FROM rollup_expected WHERE {counted_rows}"
        conn.execute(text("DROP TABLE IF EXISTS rollup_drifted"))
        conn.execute(text(f"CREATE TEMPORARY TABLE rollup_drifted AS SELECT DISTINCT day FROM "
                          f"(SELECT * FROM ({wanted} EXCEPT {actual}) a UNION ALL "
                          f"SELECT * FROM ({actual} EXCEPT {wanted}) b) d"))
        drifted = conn.execute(text("SELECT count(*) FROM rollup_drifted")).scalar_one()
        if drifted:
            conn.execute(text("DELETE FROM complaint_rollup WHERE day IN (SELECT day FROM rollup_drifted)"))
            conn.execute(text(f"INSERT INTO complaint_rollup ({columns}) {wanted} "
                              f"AND day IN (SELECT day FROM rollup_drifted)"))
        conn.execute(text("DELETE FROM complaint_rollup WHERE " + " AND ".join(f"{m} = 0" for m in MEASURES)))
        rows = conn.execute(select(func.count()).select_from(Rollup)).scalar_one()
        conn.execute(text("DROP TABLE rollup_expected"))
        conn.execute(text("DROP TABLE rollup_drifted"))
        counted = 0 if rebuilt else drifted
        conn.execute(update(RollupState.__table__).where(RollupState.id == 1).values(
            ready=True, reconciled_at=utcnow(), drifted_days=counted,
            drifted_days_total=RollupState.drifted_days_total + counted))
    return Reconciled(counted, rows, rebuilt)


@dataclass
class Health:
    ready: bool
    pending: int  # delta rows not folded yet
    reconciled_at: datetime | None
    drifted_days: int
    drifted_days_total: int


def health(session: Session) -> Health:
    state = session.execute(select(RollupState).where(RollupState.id == 1)).scalars().first()
    pending = session.execute(select(func.count()).select_from(Delta)).scalar_one()
    if state is None:
        return Health(True, pending, None, 0, 0)
    return Health(state.ready, pending, state.reconciled_at, state.drifted_days, state.drifted_days_total)


class NightlyReconcile:
    """The worker's job: at once while the rollup is not built (or counts days in another zone), then once a
    local day from `hour`."""

    def __init__(self, engine: Engine, tz: ZoneInfo, hour: int):
        self.engine, self.tz, self.hour = engine, tz, hour

    def __call__(self, now: datetime | None = None) -> str | None:
        local = (now or utcnow()).astimezone(self.tz)
        with Session(self.engine) as session:
            state = session.execute(select(RollupState).where(RollupState.id == 1)).scalars().first()
        built = state is None or (state.ready and state.utc_offset_minutes == utc_offset_minutes(self.tz))
        last = state.reconciled_at.astimezone(self.tz) if state is not None and state.reconciled_at else None
        since = local.replace(hour=self.hour, minute=0, second=0, microsecond=0)
        if built and (local < since or (last is not None and last >= since)):
            return None
        result = reconcile(self.engine, self.tz)
        return (f"rollup {'built' if result.rebuilt else 'checked'}: {result.rows} rows, "
                f"{result.drifted_days} days rebuilt")
