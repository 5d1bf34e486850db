"""Per-day counts of channel contacts (112 calls by type), grouped in SQL by the local day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import ChannelCall


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
