"""Topics of a week or a month, computed by the worker (never by a reader) and stored with their complaints.

`compute_topics` fits the model (core.trends.model) on the complaints of the period and of the period before
(so that "before" is counted with the same topics), keeps the topics with at least
ADUAN_TRENDS_MIN_TOPIC_SIZE complaints in the period, and replaces the period's earlier run. Counts, places,
channels and examples are not stored: core.trends.queries takes them in SQL from the stored members, under the
reader's scope and filters.

Which complaints: every classification but social candidates not yet confirmed (`kandidat`), not rejected as
spam; a merged duplicate counts once, as its parent (like the stats).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import version

import numpy as np
from sqlalchemy import and_, delete, insert, not_
from sqlmodel import Session, select

from core.runtime.settings import Settings
from core.trends import periods
from core.trends.model import METHOD, Topics, fit_topics, label
from models import Classification, Complaint, Status, TrendRun, TrendTopic, TrendTopicMember
from models.types import utcnow

log = logging.getLogger(__name__)
TEXT_CHARS = 1000  # of title + body: a long WhatsApp thread says what it is about at the start


def counted() -> list:
    """Complaints the trends count: not unconfirmed social candidates, not spam."""
    c = Complaint
    return [c.classification != Classification.kandidat,
            not_(and_(c.status == Status.rejected, c.reject_reason == "spam"))]


def complaint_text(title: str | None, body: str | None) -> str:
    title, body = title or "", body or ""
    text = title if not body or body.startswith(title) else f"{title}. {body}"
    return text[:TEXT_CHARS]


@dataclass
class TopicRunResult:
    period: str
    start: date
    end: date
    documents: int
    topics: int
    seconds: float
    model: Topics | None = None
    run_id: int | None = None
    topic_ids: list[int] | None = None  # model topic index → stored topic id (None: not kept)

    def __str__(self) -> str:
        return f"{self.period} {self.start}: {self.topics} topics of {self.documents} complaints ({self.seconds:.1f} s)"


def load_texts(session: Session, start: datetime, end: datetime, *, merged: bool = False) -> list[tuple]:
    """(id, text, received_at, rahasia) of the counted complaints received in [start, end)."""
    c = Complaint
    where = [c.received_at >= start, c.received_at < end, *counted()]
    if not merged:
        where.append(c.parent_id.is_(None))
    rows = session.exec(select(c.id, c.title, c.body, c.received_at, c.rahasia).where(*where).order_by(c.id)).all()
    return [(cid, complaint_text(title, body), received, bool(rahasia))
            for cid, title, body, received, rahasia in rows]


def compute_topics(session: Session, settings: Settings, period: periods.Period, day: date,
                   now: datetime | None = None) -> TopicRunResult:
    """Fit and store the topics of the `period` holding local `day`. The caller commits."""
    started = time.monotonic()
    now = now or utcnow()
    tz = settings.tz
    start, end = periods.bounds(period, day)
    prev_start, _ = periods.previous(period, start)
    rows = load_texts(session, periods.utc_start(prev_start, tz), periods.utc_end(end, tz))
    # Confidential complaints never shape a topic's words (its label reaches every role): they are only
    # assigned to the topics the others made.
    public = [i for i, row in enumerate(rows) if not row[3]]
    model = fit_topics([rows[i][1] for i in public], settings.trends_topics)
    assignment, weight = np.full(len(rows), -1), np.zeros(len(rows))
    assignment[public], weight[public] = model.assignment, model.weight
    hidden = [i for i, row in enumerate(rows) if row[3]]
    if hidden:
        assignment[hidden], weight[hidden] = model.assign([rows[i][1] for i in hidden])
    period_from = periods.utc_start(start, tz)
    in_period = np.array([row[2] >= period_from for row in rows], dtype=bool)

    old = session.exec(select(TrendRun).where(TrendRun.period == period, TrendRun.period_start == start)).first()
    if old is not None:
        old_topics = select(TrendTopic.id).where(TrendTopic.run_id == old.id)
        session.exec(delete(TrendTopicMember).where(TrendTopicMember.topic_id.in_(old_topics)))
        session.exec(delete(TrendTopic).where(TrendTopic.run_id == old.id))
        run = old
    else:
        run = TrendRun(period=period, period_start=start, period_end=end)
    run.computed_at, run.method, run.documents = now, METHOD, int(in_period.sum())
    run.info = {**model.info, "scikit_learn": version("scikit-learn")}
    session.add(run)
    session.flush()

    sizes = [int(((assignment == k) & in_period).sum()) for k in range(len(model.keywords))]
    order = sorted((k for k in range(len(model.keywords)) if sizes[k] >= settings.trends_min_topic_size),
                   key=lambda k: (-sizes[k], k))
    topic_ids: list[int | None] = [None] * len(model.keywords)
    for rank, k in enumerate(order, start=1):
        topic = TrendTopic(run_id=run.id, rank=rank, label=label(model.keywords[k])[:200],
                           keywords=model.keywords[k])
        session.add(topic)
        session.flush()
        topic_ids[k] = topic.id
    members = [{"topic_id": topic_ids[k], "complaint_id": cid, "weight": float(w)}
               for (cid, *_), k, w in zip(rows, assignment.tolist(), weight.tolist(), strict=True)
               if k >= 0 and topic_ids[k] is not None]
    for chunk in range(0, len(members), 5000):
        session.exec(insert(TrendTopicMember), params=members[chunk:chunk + 5000])
    result = TopicRunResult(period, start, end, run.documents, len(order), time.monotonic() - started, model,
                            run.id, topic_ids)
    run.info = {**run.info, "seconds": round(result.seconds, 2)}
    session.add(run)
    return result

