"""Dashboard aggregates, computed with GROUP BY in the database.

Python only folds the handful of aggregate rows a query returns (one per status, OPD, day...)
into the response shape; it never sees individual complaints.

A merged group counts once: duplicates merged into a parent (`parent_id IS NOT NULL`) are left out of every
figure, and the summary says how many were left out (`merged_children`). The parent's follow-up counts for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from core.casework.sla import overdue_clause
from core.identity.access import Access
from core.intake.channels import channel_label
from core.reporting.filters import ResolvedFilter
from core.runtime.sqlfuncs import day_diff, local_period, unordered
from models import Category, Complaint, Opd, Region, Status
from models.enums import OPEN_STATUSES, RAPOR_BUCKET, RaporBucket
from models.types import utcnow

DayMode = Literal["working", "calendar"]
EXCLUDED = (Status.rejected, Status.archived)
NOT_MERGED = Complaint.parent_id.is_(None)  # a merged group counts once, as its parent
# Merged into another complaint. "> 0" rather than IS NOT NULL: without table statistics SQLite then reads the
# few children through ix_complaint_parent_id instead of scanning the table.
MERGED = Complaint.parent_id > 0
BUCKET_KEYS = (RaporBucket.resolved, RaporBucket.in_progress, RaporBucket.postponed, RaporBucket.not_followed_up,
               RaporBucket.unverified)


def pct(part: float, whole: float) -> float | None:
    """Percentage with one decimal, rounded half up (28 of 41 → 68.3); None when nothing to count."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def mean(total: float | None, n: int) -> float | None:
    if not n or total is None:
        return None
    return float((Decimal(str(total)) / n).quantize(Decimal("0.1"), ROUND_HALF_UP))


def followup_value(days: DayMode):
    """Days from receipt to first OPD response: stored working days, or calendar days computed in SQL."""
    if days == "working":
        return Complaint.followup_working_days
    return day_diff(Complaint.first_response_at, Complaint.received_at)


def resolution_value(days: DayMode):
    if days == "working":
        return Complaint.resolution_working_days
    return day_diff(Complaint.resolved_at, Complaint.received_at)


def _count_if(condition) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class Measures:
    total: int = 0
    open: int = 0
    resolved: int = 0
    excluded: int = 0
    overdue: int = 0
    fu_sum: float = 0.0
    fu_n: int = 0

    def add(self, other: Measures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @classmethod
    def of(cls, row) -> Measures:
        m = row._mapping
        return cls(int(m["total"]), int(m["open"]), int(m["resolved"]), int(m["excluded"]), int(m["overdue"]),
                   float(m["fu_sum"] or 0), int(m["fu_n"]))

    def public(self) -> dict[str, Any]:
        return {"total": self.total, "open": self.open, "resolved": self.resolved, "overdue": self.overdue,
                "completion_pct": pct(self.resolved, self.total - self.excluded),
                "avg_followup_days": mean(self.fu_sum, self.fu_n)}


class Stats:
    """Aggregates over the complaints a filter selects, as seen by one API key."""

    def __init__(self, session: Session, filt: ResolvedFilter, access: Access, tz: ZoneInfo,
                 days: DayMode = "working", now: datetime | None = None):
        self.session, self.tz, self.days = session, tz, days
        self.now = now or utcnow()
        self.selected = access.scope() + filt.clauses(self.now, search_rahasia=access.sees_rahasia)
        self.where = [*self.selected, NOT_MERGED]

    def _measures(self) -> list[ColumnElement]:
        c, fu = Complaint, followup_value(self.days)
        return [
            func.count().label("total"),
            _count_if(c.status.in_(OPEN_STATUSES)).label("open"),
            _count_if(c.status == Status.resolved).label("resolved"),
            _count_if(c.status.in_(EXCLUDED)).label("excluded"),
            _count_if(overdue_clause(self.now)).label("overdue"),
            func.sum(fu).label("fu_sum"),
            func.count(fu).label("fu_n"),
        ]

    def _run(self, *columns, group_by: Sequence = ()):
        stmt = select(*columns).select_from(Complaint).where(*self.where)
        if group_by:
            stmt = stmt.group_by(*group_by)
        return self.session.execute(stmt).all()

    def _local_midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.tz)

    # --- summary -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        today = self.now.astimezone(self.tz).date()
        since = {"new_today": self._local_midnight(today),
                 "new_this_week": self._local_midnight(today - timedelta(days=today.weekday())),
                 "new_this_month": self._local_midnight(today.replace(day=1))}
        status = unordered(Complaint.status)
        rows = self._run(status.label("status"), *self._measures(),
                         *(_count_if(Complaint.received_at >= start).label(name) for name, start in since.items()),
                         func.max(Complaint.received_at).label("latest"), group_by=[status])
        overall = Measures()
        by_status = {s.value: 0 for s in Status}
        by_bucket = {b.value: 0 for b in BUCKET_KEYS}
        new = dict.fromkeys(since, 0)
        latest = None
        for row in rows:
            m = Measures.of(row)
            overall.add(m)
            by_status[row.status] = m.total
            bucket = RAPOR_BUCKET[Status(row.status)]
            if bucket in by_bucket:
                by_bucket[bucket] += m.total
            for name in since:
                new[name] += int(row._mapping[name])
            latest = max(filter(None, (latest, row.latest)), default=None)
        public = overall.public()
        return {"total": overall.total, "open": overall.open, "overdue": overall.overdue,
                "by_status": by_status, "by_bucket": by_bucket, "completion_pct": public["completion_pct"],
                "avg_followup_days": public["avg_followup_days"], **new,
                "latest_received_at": latest, "generated_at": self.now, "days": self.days,
                "merged_children": self.merged_children()}

    def merged_children(self) -> int:
        """Duplicates merged into another complaint among those selected: counted once, in their parent."""
        return int(self.session.execute(select(func.count()).select_from(Complaint)
                                        .where(*self.selected, MERGED)).scalar_one())

    # --- breakdowns --------------------------------------------------------------------------

    def _grouped(self, column) -> list[tuple[Any, Measures]]:
        key = unordered(column)
        return [(row.key, Measures.of(row)) for row in self._run(key.label("key"), *self._measures(), group_by=[key])]

    @staticmethod
    def _items(groups: dict[Any, Measures], labels: dict[Any, str], missing: str) -> list[dict[str, Any]]:
        items = [{"key": key, "label": labels.get(key, missing if key is None else str(key)), **m.public()}
                 for key, m in groups.items()]
        return sorted(items, key=lambda item: (-item["total"], item["label"]))

    def by_channel(self) -> list[dict[str, Any]]:
        groups = dict(self._grouped(Complaint.channel))
        return self._items(groups, {key: channel_label(key) for key in groups}, "(tanpa kanal)")

    def by_opd(self) -> list[dict[str, Any]]:
        groups = self._grouped(Complaint.opd_id)
        opd = {row.id: (row.code, row.name) for row in self.session.execute(select(Opd.id, Opd.code, Opd.name))}
        keyed = {opd[oid][0] if oid in opd else None: m for oid, m in groups}
        labels = {code: name for code, name in opd.values()}
        return self._items(keyed, labels, "(belum ada OPD)")

    def by_category(self, level: Literal["top", "leaf"] = "top") -> list[dict[str, Any]]:
        cats = {row.id: row for row in self.session.execute(select(Category.id, Category.code, Category.name,
                                                                    Category.parent_id))}

        def target(cid: int | None) -> int | None:
            if level == "top":
                while cid in cats and cats[cid].parent_id is not None:
                    cid = cats[cid].parent_id
            return cid

        folded: dict[str | None, Measures] = {}
        for cid, m in self._grouped(Complaint.category_id):
            tid = target(cid)
            key = cats[tid].code if tid in cats else None
            folded.setdefault(key, Measures()).add(m)
        labels = {row.code: row.name for row in cats.values()}
        return self._items(folded, labels, "(tanpa kategori)")

    def by_kecamatan(self) -> list[dict[str, Any]]:
        groups = dict(self._grouped(Complaint.kecamatan))
        regions = {row.name: row for row in self.session.execute(
            select(Region.name, Region.lat, Region.lon).where(Region.kind == "kecamatan"))}
        items = self._items(groups, {}, "(tanpa kecamatan)")
        for item in items:
            region = regions.get(item["key"])
            item["lat"], item["lon"] = (region.lat, region.lon) if region else (None, None)
        return items

    def by_received_month(self) -> list[tuple[str, Measures]]:
        """The measures of each local month's complaints by receipt (key: the month's first day, ISO): that
        month's cohort, counted as its rapor counts it (the public figures, core.reporting.public)."""
        month = local_period(Complaint.received_at, "month", self.tz).label("key")
        return [(str(row.key), Measures.of(row)) for row in self._run(month, *self._measures(), group_by=[month])]

    # --- trends and times --------------------------------------------------------------------

    def timeseries(self, bucket: Literal["day", "week", "month"] = "day") -> list[dict[str, Any]]:
        received = local_period(Complaint.received_at, bucket, self.tz).label("period")
        resolved = local_period(Complaint.resolved_at, bucket, self.tz).label("period")
        totals = self._per_period(received)
        done = self._per_period(resolved, Complaint.status == Status.resolved, Complaint.resolved_at.is_not(None))
        periods = sorted(set(totals) | set(done))
        if periods:
            periods = _fill_periods(date.fromisoformat(periods[0]), date.fromisoformat(periods[-1]), bucket)
        return [{"period": p, "total": int(totals.get(p, 0)), "resolved": int(done.get(p, 0))} for p in periods]

    def _per_period(self, period, *where) -> dict[str, int]:
        """Complaints per period, merged children subtracted rather than filtered out: the count then reads only
        the (received_at | status, resolved_at) index, and the children through theirs (SQLite: 3x faster)."""
        def count(counted, *clauses) -> list:
            return self.session.execute(select(period, counted).select_from(Complaint)
                                        .where(*self.selected, *clauses).group_by(period)).all()

        out = {str(p): int(n) for p, n in count(func.count(), *where)}
        # The children's conditions counted, not filtered on, so that only MERGED picks the index.
        for p, n in count(_count_if(and_(*where)) if where else func.count(), MERGED):
            out[str(p)] = out.get(str(p), 0) - int(n)
        return {p: n for p, n in out.items() if n}

    def _distribution(self, value) -> tuple[float | None, float | None, int]:
        """Median and p90 (nearest rank) from a GROUP BY histogram of the value."""
        if self.days == "calendar":
            # Hour resolution keeps the histogram small; literals so GROUP BY matches the select on PostgreSQL.
            value = func.round(value * literal_column("24")) / literal_column("24.0")
        rows = self.session.execute(
            select(value.label("v"), func.count()).select_from(Complaint)
            .where(*self.where, value.is_not(None)).group_by(value).order_by(value)
        ).all()
        n = sum(count for _, count in rows)
        return _rank(rows, n, 0.5), _rank(rows, n, 0.9), n

    def _percentiles(self, *values) -> list[tuple[float | None, float | None, int]]:
        """PostgreSQL: nearest-rank percentiles (percentile_disc) of several values in one scan."""
        columns = []
        for value in values:
            columns += [func.percentile_disc(0.5).within_group(value), func.percentile_disc(0.9).within_group(value),
                        func.count(value)]
        row = self._run(*columns)[0]
        out = []
        for i in range(0, len(columns), 3):
            median, p90, n = row[i], row[i + 1], int(row[i + 2])
            out.append((None if median is None else round(float(median), 1),
                        None if p90 is None else round(float(p90), 1), n))
        return out

    def response_times(self, response_days: int) -> dict[str, Any]:
        c = Complaint
        if self.session.get_bind().dialect.name == "postgresql":
            (fr_median, fr_p90, fr_n), (rs_median, rs_p90, rs_n) = self._percentiles(
                followup_value(self.days), resolution_value(self.days))
        else:  # SQLite has no percentile aggregates: a GROUP BY histogram per value
            fr_median, fr_p90, fr_n = self._distribution(followup_value(self.days))
            rs_median, rs_p90, rs_n = self._distribution(resolution_value(self.days))
        answered = c.first_response_at.is_not(None)
        countable = c.status.not_in(EXCLUDED)
        judged = (self._run(
            _count_if(countable & answered & (c.first_response_at <= c.response_due_at)).label("on_time"),
            _count_if(countable & (answered | (c.response_due_at < self.now))).label("judged"),
            _count_if(answered & (day_diff(c.first_response_at, c.received_at) <= 1)).label("in_24h"),
            _count_if(c.status == Status.resolved).label("resolved"),
            _count_if((c.status == Status.resolved) & (day_diff(c.resolved_at, c.received_at) <= 3)).label("in_3d"),
        ))[0]
        return {
            "days": self.days,
            "first_response": {"median_days": fr_median, "p90_days": fr_p90, "n": fr_n},
            "resolution": {"median_days": rs_median, "p90_days": rs_p90, "n": rs_n},
            "answered_within_3_working_days_pct": pct(judged.on_time, judged.judged),
            "response_deadline_working_days": response_days,
            "answered_within_24_hours_pct": pct(judged.in_24h, fr_n),
            "resolved_within_3_days_pct": pct(judged.in_3d, judged.resolved),
        }

    def ratings(self) -> dict[str, Any]:
        c = Complaint
        rows = self._run(c.rating, func.count(), func.count(c.first_response_at),
                         group_by=[c.rating])
        distribution = {str(star): 0 for star in range(1, 6)}
        rated = replied = weighted = 0
        for rating, n, with_reply in rows:
            if rating is None:
                continue
            distribution[str(rating)] = int(n)
            rated, replied, weighted = rated + n, replied + with_reply, weighted + rating * n
        return {"distribution": distribution, "n": rated, "reply_rate_pct": pct(replied, rated),
                "average": round(weighted / rated, 2) if rated else None}


def _rank(rows: list, n: int, p: float) -> float | None:
    if not n:
        return None
    wanted, seen = max(1, -(-int(n * p * 1000) // 1000)), 0  # ceil(n*p) without float noise
    for value, count in rows:
        seen += count
        if seen >= wanted:
            return round(float(value), 1)
    return round(float(rows[-1][0]), 1)


def _fill_periods(first: date, last: date, bucket: str) -> list[str]:
    out, day = [], first
    while day <= last:
        out.append(day.isoformat())
        if bucket == "day":
            day += timedelta(days=1)
        elif bucket == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out
