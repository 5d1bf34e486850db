"""Per-day counts of channel contacts (112 calls by type), grouped in SQL by the local day; handling time
of the calls handled upstream to the end (112 emergencies)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Interval, func, or_, type_coerce
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.intake.contract import Lifecycle
from core.intake.lifecycles import ladder_exempt
from models import Category, ChannelCall, Complaint, Status


def local_day(column, engine: Engine, tz: ZoneInfo):
    """SQL expression: the calendar day of a UTC timestamp column in `tz`, as 'YYYY-MM-DD'."""
    if engine.dialect.name == "postgresql":
        return func.to_char(func.timezone(tz.key, column), "YYYY-MM-DD")
    # SQLite stores naive UTC; Indonesian zones have no DST, so a fixed offset is exact.
    minutes = int(datetime.now(tz).utcoffset().total_seconds() // 60)
    return func.strftime("%Y-%m-%d", column, f"{minutes:+d} minutes")


def day_bounds(value: date | datetime | None, tz: ZoneInfo, end: bool = False) -> datetime | None:
    """A date means the whole local day (an end date is inclusive); naive datetimes are local."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    moment = datetime.combine(value + timedelta(days=1) if end else value, time.min, tzinfo=tz)
    return moment


def calls_per_day(session: Session, tz: ZoneInfo, channels: list[str] | None = None,
                  received_from: date | datetime | None = None, received_to: date | datetime | None = None,
                  call_types: list[str] | None = None, kecamatan: list[str] | None = None,
                  scope: list | None = None) -> dict:
    engine = session.get_bind()
    day = local_day(ChannelCall.received_at, engine, tz).label("day")
    query = (select(day, ChannelCall.call_type, func.count().label("n")).where(*(scope or []))
             .group_by(day, ChannelCall.call_type))
    if channels:
        query = query.where(ChannelCall.channel.in_(channels))
    if call_types:
        query = query.where(ChannelCall.call_type.in_(call_types))
    if kecamatan:
        query = query.where(ChannelCall.kecamatan.in_(kecamatan))
    start = day_bounds(received_from, tz)
    stop = day_bounds(received_to, tz, end=True)
    if start is not None:
        query = query.where(ChannelCall.received_at >= start)
    if stop is not None:
        query = query.where(ChannelCall.received_at < stop if isinstance(received_to, date)
                            and not isinstance(received_to, datetime) else ChannelCall.received_at <= stop)
    rows = session.exec(query.order_by(day, ChannelCall.call_type)).all()
    items = [{"day": d, "call_type": t, "count": n} for d, t, n in rows]
    totals: dict[str, int] = {}
    for item in items:
        totals[item["call_type"]] = totals.get(item["call_type"], 0) + item["count"]
    return {"items": items, "totals": totals}


# --- handling time of the calls a channel's upstream handles to the end (112 emergencies) ---------


def handling_minutes(session: Session, where: list, lifecycles: dict[str, Lifecycle]) -> dict:
    """Minutes from receipt to finish (median, p90, nearest rank) per category, over the resolved complaints
    `where` selects whose (channel, category) is handled upstream to the end (`Lifecycle.ladder_exempt`)."""
    parent_of = dict(session.execute(select(Category.id, Category.parent_id)).all())
    names = {row.id: (row.code, row.name) for row in session.execute(select(Category.id, Category.code, Category.name))}
    clauses = []
    for channel, lifecycle in lifecycles.items():
        if "*" in lifecycle.ladder_exempt:
            clauses.append(Complaint.channel == channel)
            continue
        exempt = [cid for cid, (code, _) in names.items()
                  if ladder_exempt(lifecycle, code, names.get(parent_of.get(cid), (None,))[0])]
        if exempt:
            clauses.append((Complaint.channel == channel) & Complaint.category_id.in_(exempt))
    per_category: dict[int | None, Counter[float]] = {}
    if clauses:
        selected = [*where, or_(*clauses), Complaint.status == Status.resolved, Complaint.resolved_at.is_not(None)]
        per_category = _seconds_counted(session, selected)
    items = [{"category_code": names.get(cid, (None, None))[0], "category_name": names.get(cid, (None, None))[1]
              or "(tanpa kategori)", **_summary(seconds)} for cid, seconds in per_category.items()]
    items.sort(key=lambda i: (-i["n"], i["category_name"]))
    return {"items": items, "total": _summary(sum(per_category.values(), Counter()))}


def _seconds_counted(session: Session, selected: list) -> dict[int | None, Counter[float]]:
    """Per category, how many of the selected complaints took each number of seconds (clamped at 0). On
    PostgreSQL the database counts them, from an index-only scan of ix_complaint_handling: CAD times are
    whole minutes, so a period's calls take a few thousand different durations (10,156 for 265,066 calls
    at 10 M complaints; the rows themselves took 1.87 s to come to Python). SQLite sends the rows."""
    counted: dict[int | None, Counter[float]] = {}
    if session.get_bind().dialect.name == "postgresql":
        took = type_coerce(Complaint.resolved_at - Complaint.received_at, Interval).label("took")
        rows = session.execute(select(Complaint.category_id, took, func.count())
                               .where(*selected).group_by(Complaint.category_id, took))
    else:
        rows = ((cid, resolved - received, 1) for cid, received, resolved in session.execute(
            select(Complaint.category_id, Complaint.received_at, Complaint.resolved_at).where(*selected)))
    for category_id, delta, n in rows:
        counted.setdefault(category_id, Counter())[max(delta.total_seconds(), 0)] += n
    return counted


def _summary(seconds: Counter[float]) -> dict:
    n = seconds.total()
    ordered = sorted(seconds.items())
    return {"n": n, "median_minutes": _nearest_rank(ordered, n, 0.5), "p90_minutes": _nearest_rank(ordered, n, 0.9)}


def _nearest_rank(ordered: list[tuple[float, int]], n: int, p: float) -> float | None:
    """Nearest-rank percentile (as PostgreSQL's percentile_disc and core.reporting.stats) of `n` values given
    as (seconds, how many) in order, in minutes to one decimal."""
    if not n:
        return None
    rank = max(1, -(-int(n * p * 1000) // 1000))  # ceil(n*p) without float noise
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return round(value / 60, 1)
    raise AssertionError("a rank within n is always reached")
