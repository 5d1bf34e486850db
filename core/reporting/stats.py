"""Dashboard aggregates, computed with GROUP BY in the database.

Python only folds the handful of aggregate rows a query returns (one per status, OPD, day...)
into the response shape; it never sees individual complaints.

A merged group counts once: duplicates merged into a parent (`parent_id IS NOT NULL`) are left out of every
figure, and the summary says how many were left out (`merged_children`). The parent's follow-up counts for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from core.casework.sla import overdue_clause
from core.identity.access import Access
from core.intake.channels import channel_label
from core.reporting import rollup
from core.reporting.channel_calls import day_bounds
from core.reporting.filters import ResolvedFilter
from core.runtime.sqlfuncs import day_diff, local_period, unordered
from models import Category, Complaint, Opd, Region, Status
from models.enums import OPEN_STATUSES, RAPOR_BUCKET, RaporBucket
from models.types import utcnow

DayMode = Literal["working", "calendar"]
EXCLUDED = rollup.NOT_COUNTED
# A merged group counts once, as its parent. Nearly every row has no parent: without table statistics SQLite took
# "parent_id IS NULL" for a selective equality and walked ix_complaint_parent_id over the whole table instead of
# the received_at or deadline range beside it (the wall's newest receipt and today's overdue: 0.25-0.4 s at 1 M).
NOT_MERGED = unordered(Complaint.parent_id).is_(None)
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
                 days: DayMode = "working", now: datetime | None = None, use_rollup: bool = True):
        self.session, self.tz, self.days = session, tz, days
        self.filt, self.access = filt, access
        self.now = now or utcnow()
        self.today = self.now.astimezone(tz).date()
        self.selected = access.scope() + filt.clauses(self.now, search_rahasia=access.sees_rahasia)
        self.where = [*self.selected, NOT_MERGED]
        self._rollup_readable: bool | None = None if use_rollup else False  # None: not asked yet

    def _plan(self, group: str | None = None, measures: bool = True) -> rollup.Plan | None:
        """How the daily rollup answers this question, or None to read the raw table (core/reporting/rollup.py)."""
        if self._rollup_readable is False or (measures and self.days != "working"):
            return None
        p = rollup.plan(self.filt, self.access, group)
        if p is not None and self._rollup_readable is None:
            self._rollup_readable = rollup.readable(self.session, self.tz)
        return p if self._rollup_readable else None

    def _rollup_measures(self, p: rollup.Plan, column=None, since: dict[str, date] | None = None,
                         by_day: bool = False) -> tuple[list[tuple[Any, Status, Measures, Any]], dict[Any, int]]:
        """(key, status, measures, row) per rollup group, and per value of `column` the complaints whose
        deadline passed since today's midnight (their overdue is not in the rollup yet)."""
        rows = rollup.measures_by(self.session, p, self.today, since, by_day)
        late = rollup.overdue_since_midnight(self.session, self.where, self.now, self.tz, column)
        out = []
        for row in rows:
            if not row.n:
                continue
            status = Status(row.status)
            m = Measures(total=int(row.n), open=int(row.n) if status in OPEN_STATUSES else 0,
                         resolved=int(row.n) if status is Status.resolved else 0,
                         excluded=int(row.n) if status in EXCLUDED else 0, overdue=int(row.overdue),
                         fu_sum=float(row.fu_sum or 0), fu_n=int(row.fu_n or 0))
            out.append((rollup.key_value(p.dimension, row.key), status, m, row))
        return out, late

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

    # --- summary -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        today = self.today
        days = {"new_today": today, "new_this_week": today - timedelta(days=today.weekday()),
                "new_this_month": today.replace(day=1)}
        p = self._plan()
        per_status, overdue_today = self._summary_rollup(p, days) if p is not None else (self._summary_raw(days), 0)
        overall = Measures(overdue=overdue_today)
        by_status = {s.value: 0 for s in Status}
        by_bucket = {b.value: 0 for b in BUCKET_KEYS}
        new = dict.fromkeys(days, 0)
        latest = None
        for status, m, news, last in per_status:
            overall.add(m)
            by_status[status] += m.total
            bucket = RAPOR_BUCKET[Status(status)]
            if bucket in by_bucket:
                by_bucket[bucket] += m.total
            for name in days:
                new[name] += int(news[name])
            latest = max(filter(None, (latest, last)), default=None)
        if p is not None:
            latest = self._latest_from_rollup(p)
        public = overall.public()
        return {"total": overall.total, "open": overall.open, "overdue": overall.overdue,
                "by_status": by_status, "by_bucket": by_bucket, "completion_pct": public["completion_pct"],
                "avg_followup_days": public["avg_followup_days"], **new,
                "latest_received_at": latest, "generated_at": self.now, "days": self.days,
                "merged_children": self.merged_children()}

    def open_and_overdue(self) -> tuple[int, int]:
        """The summary's open and overdue figures alone (for /metrics, scraped every few seconds)."""
        p = self._plan()
        if p is not None:
            groups, late = self._rollup_measures(p)
            return (sum(m.open for _, _, m, _ in groups),
                    sum(m.overdue for _, _, m, _ in groups) + sum(late.values()))
        row = self._run(*self._measures())[0]
        return int(row.open), int(row.overdue)

    def _summary_raw(self, days: dict[str, date]) -> list[tuple[str, Measures, dict, datetime | None]]:
        status = unordered(Complaint.status)
        rows = self._run(status.label("status"), *self._measures(),
                         *(_count_if(Complaint.received_at >= day_bounds(day, self.tz)).label(name)
                           for name, day in days.items()),
                         func.max(Complaint.received_at).label("latest"), group_by=[status])
        return [(row.status, Measures.of(row), row._mapping, row.latest) for row in rows]

    def _summary_rollup(self, p: rollup.Plan, days: dict[str, date]
                        ) -> tuple[list[tuple[str, Measures, dict, None]], int]:
        """Per status from the rollup, and the complaints that became overdue since today's midnight."""
        groups, late = self._rollup_measures(p, since=days)
        return [(status.value, m, row._mapping, None) for _, status, m, row in groups], sum(late.values())

    def _latest_from_rollup(self, p: rollup.Plan) -> datetime | None:
        """The newest receipt: the rollup names its day, the raw table (through its received_at index) its time."""
        day = rollup.latest_day(self.session, p)
        if day is None:
            return None
        start, end = day_bounds(day, self.tz), day_bounds(day, self.tz, end=True)
        return self.session.execute(select(func.max(Complaint.received_at)).where(
            *self.where, Complaint.received_at >= start, Complaint.received_at < end)).scalar()

    def merged_children(self) -> int:
        """Duplicates merged into another complaint among those selected: counted once, in their parent."""
        return int(self.session.execute(select(func.count()).select_from(Complaint)
                                        .where(*self.selected, MERGED)).scalar_one())

    # --- breakdowns --------------------------------------------------------------------------

    def _grouped(self, column) -> list[tuple[Any, Measures]]:
        dimension = next(name for name, col in rollup.COLUMNS.items() if col is column)
        p = self._plan(dimension)
        if p is not None:
            groups, late = self._rollup_measures(p, column)
            out: dict[Any, Measures] = {}
            for key, _, m, _ in groups:
                out.setdefault(key, Measures()).add(m)
            for key, m in out.items():
                m.overdue += late.get(key, 0)
            return list(out.items())
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
        p = self._plan()
        if p is None:
            return [(str(row.key), Measures.of(row)) for row in self._run(month, *self._measures(), group_by=[month])]
        groups, late = self._rollup_measures(p, month, by_day=True)
        out: dict[str, Measures] = {}
        for _, _, m, row in groups:
            out.setdefault(_period_of(row.day, "month"), Measures()).add(m)
        for key, n in late.items():
            out.setdefault(str(key), Measures()).overdue += n
        return sorted(out.items())

    # --- trends and times --------------------------------------------------------------------

    def timeseries(self, bucket: Literal["day", "week", "month"] = "day") -> list[dict[str, Any]]:
        p = self._plan(measures=False)
        if p is not None and p.dimension in rollup.RESOLUTIONS:  # resolutions: rolled up overall and per channel
            totals, done = self._periods_from_rollup(p, bucket)
        else:
            received = local_period(Complaint.received_at, bucket, self.tz).label("period")
            resolved = local_period(Complaint.resolved_at, bucket, self.tz).label("period")
            totals = self._per_period(received)
            done = self._per_period(resolved, Complaint.status == Status.resolved,
                                    Complaint.resolved_at.is_not(None))
        periods = sorted(set(totals) | set(done))
        if periods:
            periods = _fill_periods(date.fromisoformat(periods[0]), date.fromisoformat(periods[-1]), bucket)
        return [{"period": p, "total": int(totals.get(p, 0)), "resolved": int(done.get(p, 0))} for p in periods]

    def _periods_from_rollup(self, p: rollup.Plan, bucket: str) -> tuple[dict[str, int], dict[str, int]]:
        totals: dict[str, int] = {}
        for row in rollup.measures_by(self.session, p, self.today, by_day=True):
            key = _period_of(row.day, bucket)
            totals[key] = totals.get(key, 0) + int(row.n)
        done: dict[str, int] = {}
        for day, n in rollup.resolved_by_day(self.session, p).items():
            key = _period_of(day, bucket)
            done[key] = done.get(key, 0) + n
        return {k: n for k, n in totals.items() if n}, {k: n for k, n in done.items() if n}

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
        return _spread(rows)

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
        p = self._plan()
        if p is not None and p.dimension in ("all", "channel"):
            return self._response_times_rollup(p, response_days)
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
        return self._times(response_days, (fr_median, fr_p90, fr_n), (rs_median, rs_p90, rs_n), judged.on_time,
                           judged.judged, judged.in_24h, judged.in_3d, judged.resolved)

    def _response_times_rollup(self, p: rollup.Plan, response_days: int) -> dict[str, Any]:
        """The same answer from the rollup's histograms and sums (working days; plan over all or per channel).
        Unanswered complaints are judged once their response deadline has passed: those whose deadline day is
        before today come from the rollup, today's from the raw table (as overdue)."""
        totals = dict.fromkeys(("on_time", "answered", "in_24h", "in_3d", "resolved"), 0)
        for row in rollup.measures_by(self.session, p, self.today):
            for name in ("on_time", "answered", "in_24h", "in_3d"):
                totals[name] += int(row._mapping[name] or 0)
            if row.status == Status.resolved:
                totals["resolved"] += int(row.n or 0)
        followup, resolution = (rollup.histogram(self.session, p, kind) for kind in ("fu", "res"))
        waiting = rollup.waiting_before(self.session, p, self.today) + self._waiting_since_midnight()
        return self._times(response_days, _spread(followup), _spread(resolution), totals["on_time"],
                           totals["answered"] + waiting, totals["in_24h"], totals["in_3d"], totals["resolved"])

    def _waiting_since_midnight(self) -> int:
        c = Complaint
        midnight = day_bounds(self.today, self.tz)
        counted = [status for status in Status if status not in EXCLUDED]  # listed: IN walks (status, response_due_at)
        return int(self.session.execute(select(func.count()).select_from(Complaint).where(
            *self.where, c.status.in_(counted), c.first_response_at.is_(None), c.response_due_at >= midnight,
            c.response_due_at < self.now)).scalar_one())

    def _times(self, response_days: int, first: tuple, resolution: tuple, on_time: int, judged: int, in_24h: int,
               in_3d: int, resolved: int) -> dict[str, Any]:
        (fr_median, fr_p90, fr_n), (rs_median, rs_p90, rs_n) = first, resolution
        return {
            "days": self.days,
            "first_response": {"median_days": fr_median, "p90_days": fr_p90, "n": fr_n},
            "resolution": {"median_days": rs_median, "p90_days": rs_p90, "n": rs_n},
            "answered_within_3_working_days_pct": pct(on_time, judged),
            "response_deadline_working_days": response_days,
            "answered_within_24_hours_pct": pct(in_24h, fr_n),
            "resolved_within_3_days_pct": pct(in_3d, resolved),
        }

    def ratings(self) -> dict[str, Any]:
        p = self._plan(measures=False)
        if p is not None and p.dimension in ("all", "channel"):
            rows = [(stars, n, replied) for stars, (n, replied) in sorted(rollup.ratings(self.session, p).items())]
        else:
            c = Complaint
            rows = self._run(c.rating, func.count(), func.count(c.first_response_at), group_by=[c.rating])
        distribution = {str(star): 0 for star in range(1, 6)}
        rated = replied = weighted = 0
        for rating, n, with_reply in rows:
            if rating is None:
                continue
            distribution[str(rating)] = int(n)
            rated, replied, weighted = rated + n, replied + with_reply, weighted + rating * n
        return {"distribution": distribution, "n": rated, "reply_rate_pct": pct(replied, rated),
                "average": round(weighted / rated, 2) if rated else None}


def _spread(rows: list[tuple[int, int]]) -> tuple[float | None, float | None, int]:
    """Median, p90 (nearest rank) and n of a histogram (value, count), ascending."""
    n = sum(count for _, count in rows)
    return _rank(rows, n, 0.5), _rank(rows, n, 0.9), n


def _rank(rows: list, n: int, p: float) -> float | None:
    if not n:
        return None
    wanted, seen = max(1, -(-int(n * p * 1000) // 1000)), 0  # ceil(n*p) without float noise
    for value, count in rows:
        seen += count
        if seen >= wanted:
            return round(float(value), 1)
    return round(float(rows[-1][0]), 1)


def _period_of(day: date | str, bucket: str) -> str:
    """The ISO first day of the local day/week (Monday)/month holding `day`, as local_period gives it."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    if bucket == "week":
        day -= timedelta(days=day.weekday())
    elif bucket == "month":
        day = day.replace(day=1)
    return day.isoformat()


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
