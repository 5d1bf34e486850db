"""Spikes: a day's or a week's count of one category in one kecamatan, or of one topic, well above its own
seasonal baseline.

Method (docs/domain.md, "Topics and spikes"):
- **day**: today's count against the mean count of the same weekday over the previous
  ADUAN_TRENDS_BASELINE_WEEKS weeks (a normal Monday peak is the Monday baseline, not a spike);
- **week**: this calendar week so far (Monday to today) against the same part of each previous week;
- the baseline is floored at ADUAN_TRENDS_MIN_EXPECTED a day; under a Poisson model with that mean, p is the
  probability of at least the observed count (upper tail); it is a spike when p < ADUAN_TRENDS_SPIKE_P and the
  count is at least ADUAN_TRENDS_SPIKE_MIN_COUNT; score = −log10 p ranks them.

Every report counts, merged duplicates included: thirty reports of one flood are the signal even when triage
merged them into one issue. Categories roll up to their top level; a complaint without a category or a
kecamatan counts only in the topics. A spike is one row per subject, window and period (`key`), updated while it
grows, and its Kominfo admins (the active WhatsApp admins of ADUAN_TRENDS_NOTIFY_OPD_CODE) hear of it once,
through the outbox (template `lonjakan_aduan`, idempotency key per spike and number).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from core.casework.letters import tanggal as format_date
from core.casework.outbox import enqueue, normalise_msisdn
from core.runtime.settings import Settings
from core.trends import periods
from core.trends.text import normalise
from core.trends.topics import complaint_text, counted
from models import Category, Complaint, Opd, OpdAdmin, TrendSpike
from models.types import utcnow

SPIKE_TEMPLATE = "lonjakan_aduan"  # approved template: [apa, jumlah, berapa kali biasanya, kapan]
#   "Lonjakan aduan: {{1}}, {{2}} aduan {{4}}, {{3}} biasanya. Lihat halaman Isu di dasbor."
WINDOWS = ("day", "week")
SPIKE_METHOD = ("Poisson upper tail against a seasonal baseline: a day against the same weekday, a week so far "
                "against the same days of the week, over the previous weeks; score = -log10 p")


@dataclass
class Report:
    """One complaint as the spike counts see it."""

    id: int
    day: date
    category_id: int | None  # top level
    kecamatan: str | None
    channel: str
    opd_id: int | None
    text: str = ""


@dataclass
class Found:
    key: str
    kind: str
    label: str
    window: str
    period_start: date
    period_end: date
    count: int
    expected: float
    score: float
    p: float
    reports: list[Report]
    category_id: int | None = None
    kecamatan: str | None = None
    topic_id: int | None = None

    @property
    def ratio(self) -> float:
        return self.count / self.expected if self.expected else 0.0


def upper_tail(count: int, expected: float) -> float:
    """log10 of P(X ≥ count) for X ~ Poisson(expected): ≤ 0; stays finite far into the tail."""
    if count <= 0:
        return 0.0
    from scipy.stats import poisson  # here: scipy.stats costs every API process ~75 MB of memory

    return float(poisson.logsf(count - 1, expected)) / math.log(10)


def load_reports(session: Session, settings: Settings, today: date) -> list[Report]:
    """Every counted complaint from the first baseline week to the end of `today` (local)."""
    tz = settings.tz
    week_start, _ = periods.bounds("week", today)
    first = week_start - timedelta(weeks=settings.trends_baseline_weeks)
    top = top_categories(session)
    c = Complaint
    rows = session.exec(select(c.id, c.received_at, c.category_id, c.kecamatan, c.channel, c.opd_id, c.title, c.body)
                        .where(c.received_at >= periods.utc_start(first, tz),
                               c.received_at < periods.utc_end(today, tz), *counted())).all()
    return [Report(cid, periods.local_day(received, tz), top.get(category), kecamatan, channel, opd_id,
                   complaint_text(title, body))
            for cid, received, category, kecamatan, channel, opd_id, title, body in rows]


def top_categories(session: Session) -> dict[int, int]:
    rows = session.exec(select(Category.id, Category.parent_id)).all()
    parent = dict(rows)

    def top(cid: int) -> int:
        seen = set()
        while parent.get(cid) is not None and cid not in seen:
            seen.add(cid)
            cid = parent[cid]
        return cid

    return {cid: top(cid) for cid in parent}


def detect(groups: dict[tuple, list[Report]], settings: Settings, today: date, first_day: date | None = None
           ) -> list[tuple[tuple, str, int, float, float, list]]:
    """(group, window, count, expected, log10 p, reports) of every group unusually high today or this week.
    Only weeks on or after `first_day` (the oldest complaint held) make the baseline: a new installation has no
    history yet, and a week without data is not a quiet week. Fewer than two such weeks: no spikes."""
    weeks = settings.trends_baseline_weeks
    week_start, _ = periods.bounds("week", today)
    if first_day is not None:
        weeks = min(weeks, (week_start - first_day).days // 7)
    if weeks < 2:
        return []
    elapsed = (today - week_start).days + 1
    out = []
    for group, reports in groups.items():
        per_day = Counter(r.day for r in reports)
        for window in WINDOWS:
            if window == "day":
                current = [r for r in reports if r.day == today]
                past = [per_day.get(today - timedelta(weeks=b), 0) for b in range(1, weeks + 1)]
                floor = settings.trends_min_expected
            else:
                current = [r for r in reports if week_start <= r.day <= today]
                past = [sum(per_day.get(week_start - timedelta(weeks=b) + timedelta(days=d), 0)
                            for d in range(elapsed)) for b in range(1, weeks + 1)]
                floor = settings.trends_min_expected * elapsed
            count = len(current)
            if count < settings.trends_spike_min_count:
                continue
            expected = max(sum(past) / len(past), floor)
            log_p = upper_tail(count, expected)
            if log_p < math.log10(settings.trends_spike_p):
                out.append((group, window, count, expected, log_p, current))
    return out


def find_spikes(session: Session, settings: Settings, today: date, reports: list[Report] | None = None,
                topics: dict[int, tuple[int, list[str]]] | None = None) -> list[Found]:
    """Spikes of category × kecamatan, and of topics when `topics` maps report ids to (topic id, keywords)."""
    reports = load_reports(session, settings, today) if reports is None else reports
    oldest = session.exec(select(func.min(Complaint.received_at)).where(*counted())).one()
    first_day = periods.local_day(oldest, settings.tz) if oldest is not None else today
    names = dict(session.exec(select(Category.id, Category.name)).all())
    by_place: dict[tuple, list[Report]] = defaultdict(list)
    for r in reports:
        if r.category_id is not None and r.kecamatan:
            by_place[(r.category_id, r.kecamatan)].append(r)
    found: list[Found] = []
    for (category_id, kecamatan), window, count, expected, log_p, current in detect(by_place, settings, today,
                                                                                    first_day):
        start, end = _window(window, today)
        found.append(Found(f"category_kecamatan:{category_id}:{kecamatan.lower()}:{window}:{start}",
                           "category_kecamatan", f"{names.get(category_id, '?')} di {kecamatan}", window, start, end,
                           count, expected, -log_p, 10 ** log_p, current, category_id=category_id,
                           kecamatan=kecamatan))
    if topics:
        by_topic: dict[tuple, list[Report]] = defaultdict(list)
        keywords: dict[int, list[str]] = {}
        for r in reports:
            if r.id in topics:
                topic_id, words = topics[r.id]
                keywords[topic_id] = words
                by_topic[(topic_id,)].append(r)
        for (topic_id,), window, count, expected, log_p, current in detect(by_topic, settings, today, first_day):
            start, end = _window(window, today)
            words = keywords[topic_id]
            places = Counter(r.kecamatan for r in current if r.kecamatan)
            place, n = places.most_common(1)[0] if places else (None, 0)
            where = place if place and n * 2 > len(current) else None
            word = distinctive(words, current, by_topic[(topic_id,)])
            name = word + (f" di {where}" if where else f" ({' · '.join(w for w in words[:3] if w != word)})")
            subject = "+".join(sorted(words[:3]))
            found.append(Found(f"topic:{subject}:{window}:{start}"[:300], "topic", name, window, start, end, count,
                               expected, -log_p, 10 ** log_p, current, kecamatan=where, topic_id=topic_id))
    return sorted(found, key=lambda f: -f.score)


def distinctive(words: list[str], current: list[Report], everyone: list[Report]) -> str:
    """The topic word that sets the spike apart from the topic's other complaints: in at least half of the
    spike's and most over-represented there ("banjir", not "air", for a flood inside a water topic)."""
    ids = {r.id for r in current}
    now_texts = [f" {normalise(r.text)} " for r in current]
    before_texts = [f" {normalise(r.text)} " for r in everyone if r.id not in ids]

    def share(word: str, texts: list[str]) -> float:
        return sum(f" {word} " in t for t in texts) / len(texts) if texts else 0.0

    scored = [(share(w, now_texts), share(w, before_texts), w) for w in words]
    kept = [(now + 0.05) / (before + 0.05) for now, before, _ in scored]
    best = max((k, -i) for i, ((now, _, _), k) in enumerate(zip(scored, kept, strict=True)) if now >= 0.5) \
        if any(now >= 0.5 for now, _, _ in scored) else None
    return words[-best[1]] if best else words[0]


def _window(window: str, today: date) -> tuple[date, date]:
    return (today, today) if window == "day" else periods.bounds("week", today)


def store_spikes(session: Session, found: Iterable[Found], now: datetime) -> list[TrendSpike]:
    """Insert or update one row per spike. The caller commits."""
    rows = []
    for f in found:
        row = session.exec(select(TrendSpike).where(TrendSpike.key == f.key)).first()
        if row is None:
            row = TrendSpike(key=f.key, kind=f.kind, window=f.window, period_start=f.period_start,
                             period_end=f.period_end, first_seen_at=now)
        row.label, row.category_id, row.kecamatan, row.topic_id = f.label[:300], f.category_id, f.kecamatan, f.topic_id
        row.count, row.expected, row.ratio, row.score = f.count, round(f.expected, 3), round(f.ratio, 2), round(
            f.score, 2)
        row.channels = dict(Counter(r.channel for r in f.reports))
        row.opd_counts = {str(k if k is not None else ""): v for k, v in Counter(r.opd_id for r in f.reports).items()}
        row.last_seen_at = now
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def notify(session: Session, settings: Settings, spikes: Iterable[TrendSpike], now: datetime | None = None) -> int:
    """Tell the Kominfo admins of each spike not told yet, once (outbox, one row per spike and number)."""
    now = now or utcnow()
    opd = session.exec(select(Opd).where(Opd.code == settings.trends_notify_opd_code)).first()
    if opd is None:
        return 0
    admins = session.exec(select(OpdAdmin).where(OpdAdmin.opd_id == opd.id, OpdAdmin.active)
                          .order_by(OpdAdmin.id)).all()
    numbers = list(dict.fromkeys(normalise_msisdn(a.whatsapp) or a.whatsapp for a in admins))
    sent = 0
    for spike in spikes:
        if spike.notified_at is not None or not numbers:
            continue
        when = ("hari ini" if spike.window == "day"
                else f"minggu ini (sejak {format_date(spike.period_start)})")
        params = [spike.label, str(spike.count), f"{decimal(spike.ratio)}× dari", when]
        for number in numbers:
            enqueue(session, key=f"lonjakan:{spike.key}:{number}"[:200], recipient=number, template=SPIKE_TEMPLATE,
                    params=params, now=now, opd_id=opd.id)
            sent += 1
        spike.notified_at = now
        session.add(spike)
    return sent


def decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")
