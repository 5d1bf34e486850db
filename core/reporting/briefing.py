"""The weekly briefing for the Bupati and the Sekda: one PDF of at most two pages.

What it holds, for one ISO week (Monday–Sunday, local time):
- the week's figures against the week before (`Stats` over the complaints received in each week, and the
  complaints completed in each week whenever they came in), per channel too;
- the three biggest spikes of the week (core.trends: the caller passes `spikes_view(...)["spikes"]` in, since
  core.trends sits above this room);
- the five slowest OPDs: the rapor (`build_rapor`) of the four weeks that end with the briefing's week, ranked by
  average follow-up time;
- the issues closed: duplicate groups (a parent with merged reports) completed in the week, one line each with its
  reports and channels.

It is printed with the letters' kop surat and Indonesian dates (core.casework.pdfdoc, core.casework.letters). The
worker makes it every Monday from `ADUAN_BRIEFING_HOUR` for the week that just ended, stores it (`Briefing`, one
row per week, like a letter's PDF) and sends it to `ADUAN_BRIEFING_RECIPIENTS` as the document of the
`ADUAN_BRIEFING_TEMPLATE` WhatsApp template through the outbox, once per week and number.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from core.casework.letters import MONTHS_ID, tanggal
from core.casework.outbox import GraphSender, enqueue, normalise_msisdn
from core.identity.access import Access
from core.intake.channels import channel_label
from core.reporting.filters import ComplaintFilter, window_end, window_start
from core.reporting.rapor import build_rapor, generated_text
from core.reporting.stats import NOT_MERGED, Stats, pct
from core.runtime.settings import Settings
from models import Briefing, Complaint, Notification, Opd, Role, Status
from models.types import utcnow

log = logging.getLogger(__name__)

SYSTEM = Access(role=Role.admin, actor="sistem")  # the worker's and the CLI's briefing: the whole kabupaten
WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")
SLOW_WEEKS = 4  # the slowest OPDs are ranked on the rapor of the four weeks ending with the briefing's week
SLOWEST = 5
SPIKES = 3
CLOSED_LINES = 8  # issues closed listed by name (the rest counted): the briefing stays within two pages
MEDIA_TYPE = "application/pdf"


# --- the week --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """An ISO week, Monday to Sunday."""

    start: date

    @classmethod
    def parse(cls, text: str) -> Week:
        """`2026-W49` → that week; a ValueError with a sentence for the caller otherwise."""
        match = WEEK_PATTERN.match((text or "").strip())
        if not match:
            raise ValueError("format minggu tidak valid; gunakan YYYY-Www, misalnya 2026-W49")
        if not 1901 <= int(match[1]) <= 2998:  # its weeks, and the four before it, stay within supported dates
            raise ValueError(f"tahun {match[1]} di luar rentang yang didukung (1901–2998)")
        try:
            return cls(date.fromisocalendar(int(match[1]), int(match[2]), 1))
        except ValueError:
            raise ValueError(f"minggu {text.strip()} tidak ada dalam kalender ISO") from None

    @classmethod
    def containing(cls, day: date) -> Week:
        return cls(day - timedelta(days=day.weekday()))

    @classmethod
    def last_complete(cls, now: datetime, settings: Settings) -> Week:
        """The week before the one `now` (local time) falls in."""
        return cls.containing(now.astimezone(settings.tz).date()).previous

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def code(self) -> str:
        year, number, _ = self.start.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def previous(self) -> Week:
        return Week(self.start - timedelta(days=7))

    @property
    def next(self) -> Week:
        return Week(self.start + timedelta(days=7))


def span_text(first: date, last: date) -> str:
    """"23–29 November 2026", "30 November – 6 Desember 2026", "28 Desember 2026 – 3 Januari 2027"."""
    if first.year != last.year:
        return f"{tanggal(first)} – {tanggal(last)}"
    if first.month != last.month:
        return f"{first.day} {MONTHS_ID[first.month - 1]} – {tanggal(last)}"
    return f"{first.day}–{tanggal(last)}"


def week_text(week: Week) -> str:
    return span_text(week.start, week.end)


MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def short_span(first: date, last: date) -> str:
    """"3 Des 2026", "30 Nov – 6 Des 2026": for table cells."""
    def short(day: date, year: bool = True) -> str:
        return f"{day.day} {MONTHS_SHORT[day.month - 1]}" + (f" {day.year}" if year else "")

    return short(first) if first == last else f"{short(first, first.year != last.year)} – {short(last)}"


# --- the figures -----------------------------------------------------------------------------------


def _stats(session: Session, settings: Settings, access: Access, first: date, last: date, now: datetime) -> Stats:
    spec = ComplaintFilter(received_from=first, received_to=last)
    return Stats(session, spec.resolve(session, settings.tz), access, settings.tz, now=now)


def _completed(session: Session, settings: Settings, access: Access, week: Week) -> int:
    """Complaints completed in the week, whenever they came in (a merged group once)."""
    c = Complaint
    return int(session.execute(
        select(func.count()).select_from(c).where(
            *access.scope(), NOT_MERGED, c.status == Status.resolved,
            c.resolved_at >= window_start(week.start, settings.tz), c.resolved_at < window_end(week.end, settings.tz))
    ).scalar_one())


def week_figures(session: Session, settings: Settings, access: Access, week: Week, now: datetime) -> dict[str, Any]:
    stats = _stats(session, settings, access, week.start, week.end, now)
    summary = stats.summary()
    times = stats.response_times(settings.response_days)
    return {
        "week": week.code, "received": summary["total"], "completed": _completed(session, settings, access, week),
        "open": summary["open"], "overdue": summary["overdue"], "completion_pct": summary["completion_pct"],
        "avg_followup_days": summary["avg_followup_days"],
        "on_time_pct": times["answered_within_3_working_days_pct"],
        "merged_children": summary["merged_children"],
        "by_channel": {item["key"]: {"label": item["label"], "total": item["total"]} for item in stats.by_channel()},
    }


def slowest_opds(session: Session, settings: Settings, access: Access, week: Week) -> dict[str, Any]:
    """The rapor of the four weeks ending with `week`, its OPDs ranked by average follow-up (longest first; equal
    ones: more not yet followed up first). OPDs with nothing answered yet but waiting complaints come first:
    they are slower than any average."""
    first = week.end - timedelta(days=7 * SLOW_WEEKS - 1)
    rapor = build_rapor(session, settings, first, week.end, "working", scope=access.scope(),
                        scope_opd_id=access.opd_id if access.role is Role.opd_admin else None, access=access)
    rows = [r for r in rapor["rows"] if r["opd_code"] and r["total"]]

    def rank(row: dict[str, Any]) -> tuple:
        avg = row["avg_followup_days"]
        waiting = row["not_followed_up"] + row["unverified"]
        return (not (avg is None and waiting), avg is None, -(avg or 0), -waiting, row["opd_name"])

    return {"period_start": first, "period_end": week.end, "rows": sorted(rows, key=rank)[:SLOWEST]}


def closed_issues(session: Session, settings: Settings, access: Access, week: Week) -> dict[str, Any]:
    """Duplicate groups completed in the week: the parent and its merged reports, biggest first."""
    c = Complaint
    in_week = (c.status == Status.resolved, c.resolved_at >= window_start(week.start, settings.tz),
               c.resolved_at < window_end(week.end, settings.tz))
    child = aliased(Complaint)
    parents = select(c.id).where(*access.scope(), NOT_MERGED, *in_week,
                                 c.id.in_(select(child.parent_id).where(child.parent_id > 0)))
    ids = list(session.execute(parents).scalars())
    if not ids:
        return {"total": 0, "reports": 0, "items": []}
    channels: dict[int, dict[str, int]] = {}
    for parent_id, channel, n in session.execute(
            select(child.parent_id, child.channel, func.count()).where(child.parent_id.in_(ids))
            .group_by(child.parent_id, child.channel)):
        channels.setdefault(parent_id, {})[channel] = int(n)
    rows = session.execute(select(c.id, c.tracking_code, c.title, c.rahasia, c.kecamatan, c.channel, Opd.name)
                           .select_from(c).outerjoin(Opd, Opd.id == c.opd_id).where(c.id.in_(ids))).all()
    issues = []
    for row in rows:
        mix = dict(channels.get(row.id, {}))
        mix[row.channel] = mix.get(row.channel, 0) + 1
        issues.append({
            "tracking_code": row.tracking_code,
            "title": "(dirahasiakan)" if row.rahasia else row.title,  # as in the letters: it leaves the system
            "kecamatan": row.kecamatan, "opd": row.name, "reports": sum(mix.values()),
            "channels": [{"channel": code, "label": channel_label(code), "count": n}
                         for code, n in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))],
        })
    issues.sort(key=lambda i: (-i["reports"], i["tracking_code"]))
    return {"total": len(issues), "reports": sum(i["reports"] for i in issues), "items": issues}


@dataclass
class BriefingData:
    week: Week
    made_on: date  # the local day it is made (the worker's: the Monday after the week)
    generated_at: datetime
    this: dict[str, Any]
    before: dict[str, Any]
    spikes: list[dict[str, Any]]
    slowest: dict[str, Any]
    closed: dict[str, Any]
    scope_note: str | None = None


def top_spikes(spikes: list[dict[str, Any]] | None, n: int = SPIKES) -> list[dict[str, Any]]:
    """The `n` most unusual spikes, one per label (a day's spike and its week's are the same news)."""
    out: list[dict[str, Any]] = []
    for spike in spikes or []:
        if all(spike.get("label") != seen.get("label") for seen in out):
            out.append(spike)
        if len(out) == n:
            break
    return out


def build_briefing(session: Session, settings: Settings, week: Week, *, spikes: list[dict[str, Any]],
                   access: Access = SYSTEM, now: datetime | None = None) -> BriefingData:
    """The briefing's data. `spikes`: `core.trends.queries.spikes_view(session, settings, since=week.start,
    until=week.end, limit=..., access=...)["spikes"]` (most unusual first); the first three labels are shown."""
    now = now or utcnow()
    today = now.astimezone(settings.tz).date()
    scope_note = None
    if access.role is Role.opd_admin and access.opd_id is not None:
        opd = session.get(Opd, access.opd_id)
        scope_note = f"Hanya aduan {opd.name if opd else 'OPD Anda'}."
    return BriefingData(
        week=week, made_on=today, generated_at=now,
        this=week_figures(session, settings, access, week, now),
        before=week_figures(session, settings, access, week.previous, now),
        spikes=top_spikes(spikes),
        slowest=slowest_opds(session, settings, access, week),
        closed=closed_issues(session, settings, access, week),
        scope_note=scope_note,
    )


# --- words and numbers -----------------------------------------------------------------------------


def num(n: int | float | None) -> str:
    return "-" if n is None else f"{int(n):,}".replace(",", ".")


def dec(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.1f}".replace(".", ",") + suffix


def times(ratio: float | None) -> str:
    """4.0 → "4×", 3.46 → "3,5×", 12.3 → "12×"."""
    if ratio is None:
        return "-"
    if ratio >= 10 or abs(ratio - round(ratio)) < 0.05:
        return f"{round(ratio)}×"
    return f"{ratio:.1f}".replace(".", ",") + "×"


def change(now: int | float | None, before: int | float | None, unit: str = "") -> str:
    """"+12 (+15,0 %)" for counts, "+2,1" for shares and days (`unit` " poin" / " hari")."""
    if now is None or before is None:
        return "-"
    diff = now - before
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    if isinstance(now, int) and isinstance(before, int) and not unit:
        share = pct(abs(diff), before)
        rel = f" ({sign}{dec(share)} %)" if share is not None and diff else ""
        return f"{sign}{num(abs(diff))}{rel}"
    return f"{sign}{dec(abs(diff))}{unit}"


def relative(now: int, before: int) -> str:
    """"+5,3 %", "−15,6 %", "±0 %"; "baru" when there was nothing before."""
    if not before:
        return "baru" if now else "±0 %"
    share = pct(abs(now - before), before)
    return f"{'+' if now > before else '−' if now < before else '±'}{dec(share)} %"


def compared(now: int, before: int) -> str:
    """"5 lebih banyak dari minggu lalu (+5,3 %)"."""
    if now == before:
        return "sama dengan minggu lalu"
    more = "lebih banyak" if now > before else "lebih sedikit"
    return f"{num(abs(now - before))} {more} dari minggu lalu ({relative(now, before)})"


def channels_text(channels: list[dict[str, Any]], limit: int = 4) -> str:
    shown = [f"{c.get('label') or channel_label(c.get('channel'))} {num(c.get('count'))}" for c in channels[:limit]]
    rest = len(channels) - limit
    return ", ".join(shown) + (f", +{rest} kanal" if rest > 0 else "")


def spike_line(spike: dict[str, Any]) -> str:
    """"banjir di Kanigoro, 31 aduan, 4× biasanya" (the wall's words)."""
    return f"{spike.get('label')}, {num(spike.get('count'))} aduan, {times(spike.get('ratio'))} biasanya"


def summary_text(data: BriefingData) -> str:
    this, before = data.this, data.before
    parts = [f"Minggu ini masuk {num(this['received'])} aduan, {compared(this['received'], before['received'])}, "
             f"dan {num(this['completed'])} aduan diselesaikan."]
    if data.spikes:
        top = data.spikes[0]
        via = ", ".join(c.get("label") or c.get("channel") for c in (top.get("channels") or [])[:3])
        parts.append(f"Lonjakan terbesar: {spike_line(top)}" + (f", lewat {via}." if via else "."))
    else:
        parts.append("Tidak ada lonjakan yang menonjol.")
    if data.closed["total"]:
        parts.append(f"{num(data.closed['total'])} isu ({num(data.closed['reports'])} laporan) selesai ditangani.")
    return " ".join(parts)


def template_params(data: BriefingData) -> list[str]:
    """The WhatsApp template's body: {{1}} the week, {{2}} its dates, {{3}} the figures, {{4}} the top spike."""
    this, before = data.this, data.before
    figures = (f"{num(this['received'])} aduan masuk ({relative(this['received'], before['received'])} dari minggu "
               f"lalu), {num(this['completed'])} selesai")
    top = spike_line(data.spikes[0]) if data.spikes else "tidak ada lonjakan"
    return [data.week.code, week_text(data.week), figures, top]


# --- the PDF ---------------------------------------------------------------------------------------


def filename(week: Week) -> str:
    return f"ringkasan-mingguan-{week.code}.pdf"


def render_briefing_pdf(data: BriefingData, settings: Settings) -> bytes:
    from core.casework.pdfdoc import OfficialPdf

    pdf = OfficialPdf(settings)
    pdf.set_title(f"Ringkasan Mingguan Pengaduan {data.week.code}")
    pdf.add_page()
    pdf.kop()
    pdf.set_font(pdf.doc_font, "", 9)
    pdf.cell(0, 5, pdf.text_of(f"{settings.letter_place}, {tanggal(data.made_on)}"), align="R",
             new_x="LMARGIN", new_y="NEXT")
    pdf.title_block("RINGKASAN MINGGUAN PENGADUAN MASYARAKAT",
                    f"Minggu {data.week.code}: {week_text(data.week)}")
    pdf.set_font(pdf.doc_font, "", 9.5)
    pdf.multi_cell(0, 5, pdf.text_of(summary_text(data)), new_x="LMARGIN", new_y="NEXT")
    if data.scope_note:
        pdf.small(data.scope_note)
    _section(pdf, "1. Angka minggu ini dibanding minggu lalu")
    _figures_table(pdf, data)
    _section(pdf, "2. Tiga lonjakan terbesar")
    _spikes_table(pdf, data)
    span = span_text(data.slowest["period_start"], data.slowest["period_end"])
    _section(pdf, f"3. Lima OPD paling lambat (rapor {span})")
    _slowest_table(pdf, data)
    _section(pdf, "4. Isu yang selesai minggu ini")
    _closed_table(pdf, data)
    pdf.ln(3)
    pdf.small(generated_text({"generated_at": data.generated_at}, settings) + " oleh Aduan Terpadu. Aduan masuk "
              "dihitung per tanggal diterima; duplikat yang digabung dihitung sekali. Tepat waktu: ditanggapi OPD "
              f"dalam {settings.response_days} hari kerja. Lonjakan: jumlah aduan satu kategori dan kecamatan "
              "(atau satu topik) jauh di atas biasanya; isu: aduan yang sama dari beberapa pelapor dan kanal.")
    return bytes(pdf.output())


def _section(pdf, title: str) -> None:
    if pdf.get_y() > pdf.page_break_trigger - 30:  # a heading never ends a page alone
        pdf.add_page()
    pdf.ln(2.5)
    pdf.set_font(pdf.doc_font, "B", 10.5)
    pdf.cell(0, 6.5, pdf.text_of(title), new_x="LMARGIN", new_y="NEXT")


def _figures_table(pdf, data: BriefingData) -> None:
    this, before = data.this, data.before
    rows = [
        ["Aduan masuk", num(this["received"]), num(before["received"]), change(this["received"], before["received"])],
        ["Aduan diselesaikan", num(this["completed"]), num(before["completed"]),
         change(this["completed"], before["completed"])],
        ["Masih terbuka (dari aduan masuk)", num(this["open"]), num(before["open"]),
         change(this["open"], before["open"])],
        ["Lewat tenggat saat ini", num(this["overdue"]), num(before["overdue"]),
         change(this["overdue"], before["overdue"])],
        ["Ditanggapi tepat waktu", dec(this["on_time_pct"], " %"), dec(before["on_time_pct"], " %"),
         change(this["on_time_pct"], before["on_time_pct"], " poin")],
        ["Rata-rata tindak lanjut (hari kerja)", dec(this["avg_followup_days"]), dec(before["avg_followup_days"]),
         change(this["avg_followup_days"], before["avg_followup_days"], " hari")],
    ]
    codes = sorted(set(this["by_channel"]) | set(before["by_channel"]),
                   key=lambda k: (-(this["by_channel"].get(k) or {}).get("total", 0), str(k)))
    for code in codes:
        label = ((this["by_channel"].get(code) or before["by_channel"].get(code) or {}).get("label")
                 or channel_label(code))
        now_n = (this["by_channel"].get(code) or {}).get("total", 0)
        before_n = (before["by_channel"].get(code) or {}).get("total", 0)
        rows.append([f"   lewat {label}", num(now_n), num(before_n), change(now_n, before_n)])
    pdf.small(f"Minggu ini: {week_text(data.week)}; minggu lalu: {week_text(data.week.previous)}.")
    pdf.ln(1)
    pdf.table(("Ukuran", "Minggu ini", "Minggu lalu", "Perubahan"), rows, (78, 34, 34, 40), ("L", "R", "R", "R"))


def _spikes_table(pdf, data: BriefingData) -> None:
    if not data.spikes:
        pdf.small("Tidak ada lonjakan yang tercatat dalam minggu ini.")
        return
    rows = []
    for i, s in enumerate(data.spikes, 1):
        window = "Hari" if s.get("window") == "day" else "Minggu"
        when = str(s.get("period_start") or "")[:10]
        if when:
            first, last = date.fromisoformat(when), date.fromisoformat(str(s.get("period_end") or when)[:10])
            when = short_span(first, last)
        rows.append([i, s.get("label") or "-", f"{window}: {when}", num(s.get("count")),
                     dec(s.get("expected")), times(s.get("ratio")), channels_text(s.get("channels") or [], 3)])
    pdf.table(("No", "Lonjakan", "Periode", "Aduan", "Biasanya", "Rasio", "Kanal"), rows,
              (8, 48, 38, 14, 17, 14, 47), ("C", "L", "L", "R", "R", "R", "L"))


def _slowest_table(pdf, data: BriefingData) -> None:
    rows = [[i, r["opd_name"], num(r["total"]), num(r["resolved"]), num(r["not_followed_up"] + r["unverified"]),
             dec(r["completion_pct"], " %"), dec(r["avg_followup_days"]), r["predikat"] or "-"]
            for i, r in enumerate(data.slowest["rows"], 1)]
    if not rows:
        pdf.small("Belum ada aduan yang didisposisikan ke OPD dalam periode ini.")
        return
    pdf.table(("No", "OPD", "Aduan", "Selesai", "Belum ditanggapi", "% selesai", "Rata-rata tindak lanjut",
               "Predikat"), rows, (8, 66, 14, 15, 22, 17, 26, 18), ("C", "L", "R", "R", "R", "R", "R", "C"))


def _closed_table(pdf, data: BriefingData) -> None:
    closed = data.closed
    if not closed["total"]:
        pdf.small("Tidak ada isu (aduan dengan duplikat yang digabung) yang selesai dalam minggu ini.")
        return
    items = closed["items"][:CLOSED_LINES]
    rows = [[i, f"{it['title']} ({it['tracking_code']})", it["kecamatan"] or "-", num(it["reports"]),
             channels_text(it["channels"], 3), it["opd"] or "-"] for i, it in enumerate(items, 1)]
    pdf.table(("No", "Isu", "Kecamatan", "Laporan", "Kanal", "OPD"), rows, (8, 64, 24, 15, 40, 35),
              ("C", "L", "L", "R", "L", "L"))
    rest = closed["total"] - len(items)
    if rest > 0:
        pdf.small(f"… dan {num(rest)} isu lain yang juga selesai.")


# --- stored and sent (the worker's Monday job) ------------------------------------------------------


def store_briefing(session: Session, settings: Settings, week: Week, spikes: list[dict[str, Any]],
                   now: datetime) -> Briefing:
    """The week's stored briefing, made (and flushed) when there is none yet; the caller commits."""
    found = session.execute(select(Briefing).where(Briefing.week == week.code)).scalars().first()
    if found is not None:
        return found
    data = build_briefing(session, settings, week, spikes=spikes, now=now)
    row = Briefing(week=week.code, period_start=week.start, period_end=week.end, created_at=now,
                   pdf=render_briefing_pdf(data, settings), params=template_params(data))
    session.add(row)
    session.flush()
    return row


def recipients(settings: Settings) -> list[str]:
    out: list[str] = []
    for raw in settings.briefing_recipients:
        number = normalise_msisdn(raw) or raw
        if number not in out:
            out.append(number)
    return out


def send_briefing(session: Session, settings: Settings, row: Briefing, sender: GraphSender, now: datetime) -> int:
    """Queue the briefing for every configured recipient (one outbox row per week and number, never two): its PDF
    is uploaded to WhatsApp once (`POST /{phone-number-id}/media`) and the template carries the media id as its
    document header. Returns the rows queued now; 0 when all were queued before, nobody is configured, or sending
    is not configured yet (then the next pass tries again). The caller commits."""
    numbers = recipients(settings)
    if not numbers:
        return 0
    keys = {number: f"briefing:{row.week}:{number}" for number in numbers}
    have = set(session.execute(select(Notification.idempotency_key)
                               .where(Notification.idempotency_key.in_(list(keys.values())))).scalars())
    todo = [number for number in numbers if keys[number] not in have]
    if not todo:
        return 0
    if not sender.configured:
        return 0
    if row.media_id is None:
        row.media_id = sender.upload_media(row.pdf, MEDIA_TYPE, filename(Week.parse(row.week)))
        row.uploaded_at = now
        session.add(row)
    document = {"id": row.media_id, "filename": filename(Week.parse(row.week))}
    for number in todo:
        enqueue(session, key=keys[number], recipient=number, template=settings.briefing_template, now=now,
                params={"kind": "briefing", "template": settings.briefing_template, "params": list(row.params or []),
                        "document": document, "session": None, "buttons": [], "always": False})
    row.sent_to = len(numbers)
    session.add(row)
    return len(todo)


def due_week(now: datetime, settings: Settings) -> Week | None:
    """The week whose briefing is due at `now`: the week that ended, from Monday `ADUAN_BRIEFING_HOUR` local."""
    local = now.astimezone(settings.tz)
    monday = local.date() - timedelta(days=local.weekday())
    if local.date() == monday and local.hour < settings.briefing_hour:
        return None
    return Week(monday).previous

