"""The trends job (worker every ADUAN_TRENDS_MINUTES, `aduan trends compute`, the end of `aduan demo`):
refit the topics of the current week and month, check today's and this week's counts for spikes, store them
and tell the Kominfo admins of new ones. Readers only read what it stored (core.trends.queries)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.runtime.settings import Settings
from core.trends import periods
from core.trends.spikes import find_spikes, load_reports, notify, store_spikes
from core.trends.topics import TopicRunResult, compute_topics
from models.types import utcnow


@dataclass
class TrendsResult:
    day: date
    runs: list[TopicRunResult] = field(default_factory=list)
    spikes: int = 0
    new_spikes: int = 0
    notifications: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        runs = "; ".join(str(r) for r in self.runs)
        return (f"{runs}; {self.spikes} spikes ({self.new_spikes} new, {self.notifications} notifications) "
                f"in {self.seconds:.1f} s")


def run_trends(session: Session, settings: Settings, now: datetime | None = None) -> TrendsResult:
    """Compute everything for the local day of `now` and commit."""
    started = time.monotonic()
    now = now or utcnow()
    today = periods.local_day(now, settings.tz)
    result = TrendsResult(today)
    for period in periods.PERIODS:
        result.runs.append(compute_topics(session, settings, period, today, now=now))
        session.commit()
    week = result.runs[0]
    reports = load_reports(session, settings, today)
    topics: dict[int, tuple[int, list[str]]] = {}
    if week.model is not None and week.model.keywords:
        assigned, _ = week.model.assign([r.text for r in reports])
        for report, k in zip(reports, assigned.tolist(), strict=True):
            if k >= 0 and week.topic_ids[k] is not None:
                topics[report.id] = (week.topic_ids[k], week.model.keywords[k])
    found = find_spikes(session, settings, today, reports, topics)
    before = {f.key for f in found}
    rows = store_spikes(session, found, now)
    result.spikes = len(rows)
    result.new_spikes = sum(1 for r in rows if r.first_seen_at == now and r.key in before)
    result.notifications = notify(session, settings, rows, now)
    session.commit()
    result.seconds = time.monotonic() - started
    return result


def trends_job(engine: Engine, settings: Settings) -> TrendsResult:
    with Session(engine, expire_on_commit=False) as session:
        return run_trends(session, settings)
