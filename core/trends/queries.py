"""What readers see of the trends: stored by the trends job, counted here in SQL under the reader's scope.

Signatures (helper D's briefing and the API call these; keyword arguments, all with defaults but the first two):

    topics_view(session, settings, *, period="week", end=None, access=ANALYST, filt=None, now=None) -> dict
    spikes_view(session, settings, *, window=None, limit=None, since=None, until=None, access=ANALYST,
                filt=None) -> dict
    issues_view(session, settings, *, limit=20, access=ANALYST, filt=None) -> dict

`end`/`since`/`until` are local dates; `access` is core.identity.access.Access (opd_admin: its OPD only;
viewer: topics without examples, masked issue titles); `filt` a core.reporting.filters.ResolvedFilter (the usual
complaint filters). Shapes: /work/notes/trends-contract.md (the API's response models in api/routes/trends.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, literal
from sqlmodel import Session, select

from core.identity.access import Access
from core.intake.channels import channel_label
from core.reporting.filters import ResolvedFilter
from core.runtime.settings import Settings
from core.runtime.sqlfuncs import local_period
from core.trends import periods
from core.trends.model import METHOD
from core.trends.spikes import SPIKE_METHOD
from core.trends.topics import counted
from models import Category, Complaint, Opd, Role, TrendRun, TrendSpike, TrendTopic, TrendTopicMember
from models.types import utcnow

ANALYST = Access(role=Role.analyst, actor="sistem")
TOP = 3  # kecamatan, OPD per topic
EXAMPLES = 3
EXAMPLE_CHARS = 280


def _where(access: Access, filt: ResolvedFilter | None, now: datetime) -> list:
    where = access.scope()
    if filt is not None:
        where += filt.clauses(now, search_rahasia=access.sees_rahasia)
    return where


def _channels(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"channel": ch, "label": channel_label(ch), "count": n}
            for ch, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def topics_view(session: Session, settings: Settings, *, period: periods.Period = "week", end: date | None = None,
                access: Access = ANALYST, filt: ResolvedFilter | None = None, now: datetime | None = None
                ) -> dict[str, Any]:
    now = now or utcnow()
    tz = settings.tz
    end = end or periods.local_day(now, tz)
    start, last = periods.bounds(period, end)
    prev_start, prev_end = periods.previous(period, start)
    out: dict[str, Any] = {"period": period, "start": start.isoformat(), "end": last.isoformat(),
                           "computed_at": None, "method": METHOD, "topics": []}
    run = session.exec(select(TrendRun).where(TrendRun.period == period, TrendRun.period_start == start)).first()
    if run is None:
        return out
    out["computed_at"] = run.computed_at
    topics = {t.id: t for t in session.exec(select(TrendTopic).where(TrendTopic.run_id == run.id)).all()}
    if not topics:
        return out
    c, m = Complaint, TrendTopicMember
    where = [m.topic_id.in_(list(topics)), *_where(access, filt, now)]
    in_period = [c.received_at >= periods.utc_start(start, tz), c.received_at < periods.utc_end(last, tz)]
    in_prev = [c.received_at >= periods.utc_start(prev_start, tz), c.received_at < periods.utc_end(prev_end, tz)]
    def grouped(*columns, extra=()):
        stmt = select(m.topic_id, *columns, func.count()).join(c, c.id == m.complaint_id).where(*where, *extra)
        return session.exec(stmt.group_by(m.topic_id, *columns)).all()

    counts = {tid: n for tid, n in grouped(extra=in_period)}
    previous = {tid: n for tid, n in grouped(extra=in_prev)}
    kec: dict[int, list] = defaultdict(list)
    for tid, name, n in grouped(c.kecamatan, extra=[*in_period, c.kecamatan.is_not(None)]):
        kec[tid].append({"name": name, "count": n})
    opd_names = {oid: (code, name) for oid, code, name in session.exec(select(Opd.id, Opd.code, Opd.name)).all()}
    opds: dict[int, list] = defaultdict(list)
    for tid, oid, n in grouped(c.opd_id, extra=[*in_period, c.opd_id.is_not(None)]):
        code, name = opd_names.get(oid, ("?", "?"))
        opds[tid].append({"code": code, "name": name, "count": n})
    channels: dict[int, dict[str, int]] = defaultdict(dict)
    for tid, ch, n in grouped(c.channel, extra=in_period):
        channels[tid][ch] = n
    day = local_period(c.received_at, "day", tz)
    series: dict[int, dict[str, int]] = defaultdict(dict)
    for tid, d, n in grouped(day, extra=in_period):
        series[tid][str(d)[:10]] = n
    examples = _examples(session, list(counts), where + in_period, access) if access.role is not Role.viewer else {}
    days = [(start + timedelta(days=i)) for i in range((last - start).days + 1)]
    for tid in sorted(counts, key=lambda t: (-counts[t], topics[t].rank)):
        topic, n, before = topics[tid], counts[tid], previous.get(tid, 0)
        out["topics"].append({
            "id": tid, "label": topic.label, "keywords": list(topic.keywords or []), "count": n,
            "previous_count": before, "trend_ratio": round(n / before, 2) if before else None,
            "top_kecamatan": sorted(kec[tid], key=lambda x: (-x["count"], x["name"]))[:TOP],
            "top_opd": sorted(opds[tid], key=lambda x: (-x["count"], x["code"]))[:TOP],
            "channels": _channels(channels[tid]),
            "examples": examples.get(tid, []),
            "series": [{"date": d.isoformat(), "count": series[tid].get(d.isoformat(), 0)} for d in days],
            "complaint_filter": {"q": (topic.keywords or [""])[0]},
        })
    return out


def _examples(session: Session, topic_ids: list[int], where: list, access: Access) -> dict[int, list[dict]]:
    """The strongest members of each topic, text masked as everywhere (Access.mask); confidential (rahasia)
    complaints are never examples except for an admin: a topic summary travels further than a complaint."""
    c, m = Complaint, TrendTopicMember
    out: dict[int, list[dict]] = {}
    extra = [] if access.is_admin else [c.rahasia.is_(False)]
    for tid in topic_ids:
        rows = session.exec(
            select(c.tracking_code, c.title, c.body, c.channel, c.received_at, c.rahasia, c.anonim, c.status)
            .join(m, m.complaint_id == c.id).where(m.topic_id == tid, *where, *extra)
            .order_by(m.weight.desc(), c.id).limit(EXAMPLES)).all()
        items = []
        for code, title, body, channel, received, rahasia, anonim, status in rows:
            row = access.mask({"title": title, "body": body, "rahasia": rahasia, "anonim": anonim, "status": status})
            text = row["title"] or ""
            if row.get("body") and not row["body"].startswith(text):
                text = f"{text}. {row['body']}"
            elif row.get("body"):
                text = row["body"]
            items.append({"tracking_code": code, "text": text[:EXAMPLE_CHARS], "channel": channel,
                          "received_at": received})
        out[tid] = items
    return out


def spikes_view(session: Session, settings: Settings, *, window: str | None = None, limit: int | None = None,
                since: date | None = None, until: date | None = None, access: Access = ANALYST,
                filt: ResolvedFilter | None = None) -> dict[str, Any]:
    """Stored spikes, most unusual first. Without `since`/`until`: those of the current day and week.
    Filters that apply to a spike: kecamatan, category (its top level), channel (one of its channels)."""
    today = periods.local_day(utcnow(), settings.tz)
    stmt = select(TrendSpike)
    if window:
        stmt = stmt.where(TrendSpike.window == window)
    if since is None and until is None:
        since = periods.bounds("week", today)[0]
    if since is not None:
        stmt = stmt.where(TrendSpike.period_end >= since)
    if until is not None:
        stmt = stmt.where(TrendSpike.period_start <= until)
    rows = session.exec(stmt.order_by(TrendSpike.score.desc(), TrendSpike.id)).all()
    categories = {cid: (code, name) for cid, code, name in session.exec(
        select(Category.id, Category.code, Category.name)).all()}
    spec = filt.spec if filt is not None else None
    wanted_categories = set(filt.category_ids) if filt is not None and spec.category else None
    computed = session.exec(select(func.max(TrendRun.computed_at))).one()
    out = []
    for s in rows:
        if access.role is Role.opd_admin and str(access.opd_id) not in (s.opd_counts or {}):
            continue
        if spec is not None:
            if spec.kecamatan and s.kecamatan not in spec.kecamatan:
                continue
            if wanted_categories is not None and s.category_id not in wanted_categories:
                continue
            if spec.channel and not set(spec.channel) & set(s.channels or {}):
                continue
        code, name = categories.get(s.category_id, (None, None))
        out.append({"id": s.id, "kind": s.kind, "label": s.label, "category_code": code, "category_name": name,
                    "kecamatan": s.kecamatan, "topic_id": s.topic_id, "window": s.window,
                    "period_start": s.period_start.isoformat(), "period_end": s.period_end.isoformat(),
                    "count": s.count, "expected": s.expected, "ratio": s.ratio, "score": s.score,
                    "channels": _channels(s.channels or {}), "first_seen_at": s.first_seen_at,
                    "notified_at": s.notified_at})
        if limit is not None and len(out) >= limit:
            break
    return {"computed_at": computed, "method": SPIKE_METHOD, "spikes": out}


def issues_view(session: Session, settings: Settings, *, limit: int = 20, access: Access = ANALYST,
                filt: ResolvedFilter | None = None) -> dict[str, Any]:
    """Merged duplicate groups (triage merge: `parent_id`) as issues: the parent's place, status and OPD, the
    group's count, channels and distinct reporters. Biggest first."""
    now = utcnow()
    c = Complaint
    child = select(c.parent_id.label("pid"), c.id.label("cid"), c.channel.label("channel"),
                   func.coalesce(c.reporter_contact, c.reporter_name, literal("#") + cast(c.id, String))
                   .label("who")).where(c.parent_id.is_not(None), *counted()).subquery()
    parents = select(c.id).where(*_where(access, filt, now), c.parent_id.is_(None), *counted())
    top = session.exec(select(child.c.pid, func.count()).where(child.c.pid.in_(parents))
                       .group_by(child.c.pid).order_by(func.count().desc(), child.c.pid.desc()).limit(limit)).all()
    if not top:
        return {"issues": []}
    ids = [pid for pid, _ in top]
    channel_rows = session.exec(select(child.c.pid, child.c.channel, func.count()).where(child.c.pid.in_(ids))
                                .group_by(child.c.pid, child.c.channel)).all()
    who_rows = session.exec(select(child.c.pid, child.c.who).where(child.c.pid.in_(ids)).distinct()).all()
    parent_rows = {p.id: p for p in session.exec(select(c).where(c.id.in_(ids))).all()}
    opd_codes = dict(session.exec(select(Opd.id, Opd.code)).all())
    channels: dict[int, dict[str, int]] = defaultdict(dict)
    for pid, ch, n in channel_rows:
        channels[pid][ch] = n
    reporters: dict[int, set] = defaultdict(set)
    for pid, who in who_rows:
        reporters[pid].add(who)
    out = []
    for pid, n in top:
        p = parent_rows[pid]
        channels[pid][p.channel] = channels[pid].get(p.channel, 0) + 1
        reporters[pid].add(p.reporter_contact or p.reporter_name or f"#{p.id}")
        masked = access.mask({"title": p.title, "rahasia": p.rahasia, "anonim": p.anonim, "status": p.status,
                              "location_text": p.location_text})
        out.append({"tracking_code": p.tracking_code, "title": masked["title"], "kecamatan": p.kecamatan,
                    "count": n + 1, "channels": _channels(channels[pid]), "reporters": len(reporters[pid]),
                    "status": str(p.status), "opd": opd_codes.get(p.opd_id)})
    return {"issues": out}

