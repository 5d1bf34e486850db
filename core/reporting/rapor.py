"""Rapor per OPD (Kemendagri SP4N-LAPOR! evaluation format), as data, XLSX and PDF.

Buckets follow docs/domain.md: selesai, proses, tertunda, belum ditindaklanjuti, belum terverifikasi;
rejected and archived complaints are excluded from the total. A rapor may be limited to one channel; a rapor
scoped to one OPD (an opd_admin's) ends with that OPD's row, not a kabupaten total.
A merged group of duplicates counts once, as its parent: `merged_children` says how many were left out, and the
XLSX and PDF say so under the table.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from core.identity.access import Access
from core.intake.channels import channel_label
from core.reporting import rollup
from core.reporting.filters import ComplaintFilter, window_end, window_start
from core.reporting.stats import EXCLUDED, MERGED, NOT_MERGED, DayMode, _count_if, followup_value, mean, pct
from core.runtime.settings import Settings
from core.runtime.sheets import put
from models import Complaint, Notification, NotificationStatus, Opd, Status
from models.types import utcnow

COLUMNS = ("total", "resolved", "in_progress", "postponed", "not_followed_up", "unverified")
BUCKET_STATUSES = {
    "resolved": (Status.resolved,),
    "in_progress": (Status.in_progress,),
    "postponed": (Status.postponed,),
    "not_followed_up": (Status.verified, Status.dispatched),
    "unverified": (Status.unverified,),
}
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember")


def predikat(settings: Settings, completion: float | None, avg_days: float | None) -> str | None:
    """First threshold (best first) whose minimum completion and maximum average days are met."""
    if completion is None:
        return None
    for name, min_pct, max_days in settings.predikat_thresholds:
        if completion >= min_pct and avg_days is not None and avg_days <= max_days:
            return name
    return "Kurang"


@dataclass
class RaporRow:
    opd_code: str | None
    opd_name: str
    total: int = 0
    resolved: int = 0
    in_progress: int = 0
    postponed: int = 0
    not_followed_up: int = 0
    unverified: int = 0
    fu_sum: float = 0.0
    fu_n: int = 0
    reopened: int = 0
    asked: int = 0
    sudah: int = 0
    belum: int = 0

    def public(self, settings: Settings) -> dict[str, Any]:
        completion = pct(self.resolved, self.total)
        avg = mean(self.fu_sum, self.fu_n)
        return {"opd_code": self.opd_code, "opd_name": self.opd_name,
                **{name: getattr(self, name) for name in COLUMNS},
                "completion_pct": completion, "avg_followup_days": avg,
                "predikat": predikat(settings, completion, avg), "reopened": self.reopened,
                "satisfaction": {"asked": self.asked, "sudah": self.sudah, "belum": self.belum,
                                 "pct": pct(self.sudah, self.sudah + self.belum)}}


EXTRA = ("reopened", "asked", "sudah", "belum")
QUESTIONS_ASKED = (NotificationStatus.sent, NotificationStatus.delivered, NotificationStatus.read)


def _satisfaction(session: Session, window: Sequence[ColumnElement[bool]]) -> dict[int | None, tuple[int, int, int]]:
    """Per OPD: complaints asked "sudah beres?" (the question went out), answered "sudah", answered "belum".
    Driven by the outbox's question rows (few), so it reads only the complaints that were asked."""
    c, n = Complaint, Notification
    stmt = (select(c.opd_id, func.count(func.distinct(c.id)),
                   func.count(func.distinct(case((c.satisfaction == "sudah", c.id)))),
                   func.count(func.distinct(case((c.satisfaction == "belum", c.id)))))
            .select_from(n).join(c, c.id == n.complaint_id)
            .where(n.idempotency_key.like("beres:%"), n.status.in_(QUESTIONS_ASKED), *window,
                   c.status.not_in(EXCLUDED), NOT_MERGED)
            .group_by(c.opd_id))
    return {opd_id: (int(asked), int(sudah), int(belum)) for opd_id, asked, sudah, belum in session.execute(stmt)}


def _per_opd_raw(session: Session, days: DayMode, window: Sequence[ColumnElement[bool]]) -> list[Any]:
    c, fu = Complaint, followup_value(days)
    stmt = (
        select(c.opd_id, func.count().label("total"),
               *(_count_if(c.status.in_(statuses)).label(name) for name, statuses in BUCKET_STATUSES.items()),
               func.sum(fu).label("fu_sum"), func.count(fu).label("fu_n"),
               func.coalesce(func.sum(c.reopened_count), 0).label("reopened"))
        .where(*window, c.status.not_in(EXCLUDED), NOT_MERGED)
        .group_by(c.opd_id)
    )
    return list(session.execute(stmt))


def _per_opd_rollup(session: Session, settings: Settings, period_start: date, period_end: date, days: DayMode,
                    access: Access | None, channel: str | None) -> list[Any] | None:
    """The same rows from the daily rollup's OPD dimension (core/reporting/rollup.py), or None when it cannot
    answer: calendar days, a channel, a caller whose scope is not an OPD (a petugas), a rollup not built."""
    if access is None or days != "working" or channel is not None:
        return None
    filt = ComplaintFilter(received_from=period_start, received_to=period_end).resolve(session, settings.tz)
    p = rollup.plan(filt, access, "opd")
    if p is None or not rollup.readable(session, settings.tz):
        return None
    today = utcnow().astimezone(settings.tz).date()
    per_opd: dict[int | None, dict[str, Any]] = {}
    for row in rollup.measures_by(session, p, today):
        if row.status in EXCLUDED or not (row.n or row.fu_n or row.reopened):
            continue
        opd_id = rollup.key_value("opd", row.key)
        out = per_opd.setdefault(opd_id, {"opd_id": opd_id, **dict.fromkeys(COLUMNS, 0), "fu_sum": 0, "fu_n": 0,
                                          "reopened": 0})
        out["total"] += int(row.n)
        for name, statuses in BUCKET_STATUSES.items():
            if row.status in statuses:
                out[name] += int(row.n)
        out["fu_sum"] += int(row.fu_sum or 0)
        out["fu_n"] += int(row.fu_n or 0)
        out["reopened"] += int(row.reopened or 0)
    return [SimpleNamespace(**values) for values in per_opd.values() if values["total"]]


def build_rapor(session: Session, settings: Settings, period_start: date, period_end: date,
                days: DayMode = "working", scope: Sequence[ColumnElement[bool]] = (), channel: str | None = None,
                scope_opd_id: int | None = None, access: Access | None = None) -> dict[str, Any]:
    """`scope` = the caller's row scope; `scope_opd_id` = the OPD it is limited to (an opd_admin's rapor):
    its total row is then that OPD, not the kabupaten. `channel` limits the rapor to one channel. `access`: the
    caller whose `scope` that is, which lets the daily rollup answer (None: the complaints are read)."""
    if channel is not None:
        scope = [*scope, Complaint.channel == channel]
    c = Complaint
    window = (c.received_at >= window_start(period_start, settings.tz),
              c.received_at < window_end(period_end, settings.tz), *scope)
    per_opd = _per_opd_rollup(session, settings, period_start, period_end, days, access, channel)
    if per_opd is None:
        per_opd = _per_opd_raw(session, days, window)
    answers = _satisfaction(session, window)
    merged = int(session.execute(select(func.count()).select_from(c).where(*window, MERGED)).scalar_one())
    opd = {row.id: row for row in session.execute(select(Opd.id, Opd.code, Opd.name))}
    rows: list[RaporRow] = []
    own = opd.get(scope_opd_id) if scope_opd_id is not None else None
    total = (RaporRow(own.code, own.name) if own else
             RaporRow(None, "Total " + settings.pemda_name.removeprefix("Pemerintah ")))
    for r in per_opd:
        info = opd.get(r.opd_id)
        row = RaporRow(info.code if info else None, info.name if info else "(belum didisposisikan)",
                       *(int(getattr(r, name)) for name in COLUMNS), float(r.fu_sum or 0), int(r.fu_n),
                       int(r.reopened or 0), *answers.get(r.opd_id, (0, 0, 0)))
        rows.append(row)
        for name in (*COLUMNS, "fu_sum", "fu_n", *EXTRA):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    public = [row.public(settings) for row in rows]
    public.sort(key=lambda x: (-(x["completion_pct"] or 0), x["avg_followup_days"] is None,
                               x["avg_followup_days"] or 0, x["opd_name"]))
    return {"period_start": period_start, "period_end": period_end, "days": days, "channel": channel,
            "opd_scoped": own is not None, "rows": public, "total": total.public(settings), "generated_at": utcnow(),
            "merged_children": merged}


def merged_text(rapor: dict[str, Any]) -> str | None:
    """The footnote of a rapor with merged duplicates: they are counted once, in their parent."""
    n = rapor.get("merged_children") or 0
    return f"{n:,}".replace(",", ".") + " aduan duplikat digabung, dihitung sekali." if n else None


# --- documents -------------------------------------------------------------------------------

HEADERS = ("No", "Kode OPD", "Nama OPD", "Total", "Selesai", "Proses", "Tertunda", "Belum Ditindaklanjuti",
           "Belum Terverifikasi", "Penyelesaian (%)", "Rata-rata Tindak Lanjut (hari)", "Predikat",
           "Dibuka Kembali", "Kepuasan (%)")


# The PDF is a landscape page: shorter words for the two last columns, the share only (the XLSX has the counts).
PDF_HEADERS = (*HEADERS[:-2], "Buka Lagi", "Puas (%)")


def satisfaction_text(row: dict[str, Any]) -> str:
    """"80,0 (4/5)": share of the reporters' answers that said "sudah", of how many answered; "-" when none did."""
    sat = row.get("satisfaction") or {}
    answered = (sat.get("sudah") or 0) + (sat.get("belum") or 0)
    if not answered:
        return "-"
    return f"{sat['pct']:.1f}".replace(".", ",") + f" ({sat['sudah']}/{answered})"


SATISFACTION_NOTE = ("Puas (%): bagian jawaban \"1 Sudah\" dari pelapor yang menjawab pertanyaan \"sudah beres?\" "
                     "setelah aduan selesai (jawaban \"2 Belum\" membuka kembali aduan); buka lagi: berapa kali "
                     "aduan dibuka kembali, oleh pelapor atau petugas.")


def tanggal(day: date) -> str:
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def period_text(rapor: dict[str, Any]) -> str:
    text = f"Periode {tanggal(rapor['period_start'])} s.d. {tanggal(rapor['period_end'])}"
    if rapor.get("channel"):
        text += f" · kanal {channel_label(rapor['channel'])}"
    return text


def generated_text(rapor: dict[str, Any], settings: Settings) -> str:
    local: datetime = rapor["generated_at"].astimezone(settings.tz)
    zone = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(settings.timezone, "")
    return f"Dibuat pada {tanggal(local.date())} pukul {local:%H.%M} {zone}".rstrip()


def days_text(rapor: dict[str, Any]) -> str:
    return "hari kerja" if rapor["days"] == "working" else "hari kalender"


def table_rows(rapor: dict[str, Any], short: bool = False) -> list[list[Any]]:
    def cells(row: dict[str, Any]) -> list[Any]:
        satisfied = (row.get("satisfaction") or {}).get("pct") if short else satisfaction_text(row)
        return [row["opd_code"] or "", row["opd_name"], *(row[name] for name in COLUMNS),
                row["completion_pct"], row["avg_followup_days"], row["predikat"] or "-", row.get("reopened", 0),
                "-" if satisfied is None else satisfied]

    out = [[i, *cells(row)] for i, row in enumerate(rapor["rows"], start=1)]
    if rapor.get("opd_scoped"):  # the OPD's own row is the last row; a second "total" would only repeat it
        return out or [[1, *cells(rapor["total"])]]
    out.append(["", *cells({**rapor["total"], "opd_code": ""})])
    return out


def rapor_xlsx(rapor: dict[str, Any], settings: Settings) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    wb = Workbook()
    ws = wb.active
    ws.title = "Rapor"
    width = len(HEADERS)
    lines = [(settings.pemda_name.upper(), 14), ("RAPOR PENGELOLAAN PENGADUAN MASYARAKAT PER OPD", 12),
             (period_text(rapor) + f" — rata-rata dalam {days_text(rapor)}", 10)]
    for i, (text, size) in enumerate(lines, start=1):
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
        put(ws, i, 1, text).font = Font(bold=True, size=size)
        ws.cell(i, 1).alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_row = len(lines) + 2
    for col, text in enumerate(HEADERS, start=1):
        cell = ws.cell(header_row, col, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    body = table_rows(rapor)
    for r, values in enumerate(body, start=header_row + 1):
        for col, value in enumerate(values, start=1):
            cell = put(ws, r, col, value)
            cell.border = border
            if r == header_row + len(body) and not rapor.get("opd_scoped"):
                cell.font = Font(bold=True)
    put(ws, header_row + len(body) + 2, 1, generated_text(rapor, settings)).font = Font(italic=True, size=9)
    if merged_text(rapor):
        put(ws, header_row + len(body) + 3, 1, merged_text(rapor)).font = Font(italic=True, size=9)
    for col, w in enumerate((5, 16, 44, 8, 9, 9, 10, 13, 13, 13, 14, 13, 10, 16), start=1):
        ws.column_dimensions[ws.cell(header_row, col).column_letter].width = w
    ws.row_dimensions[header_row].height = 32
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _pdf_widths(pdf, rows: list[list[Any]]) -> list[float]:
    """Every column but the OPD name as wide as its widest value or header word, so neither codes
    (RSUD-SRENGAT, KEC-SUTOJAYAN) nor header words wrap mid-word; the name takes the rest of the page."""
    def widest(texts, style: str) -> float:
        pdf.set_font(pdf.doc_font, style, 8)
        return max((pdf.get_string_width(pdf.text_of(t)) for t in texts), default=0.0) + 2 * pdf.c_margin + 1

    widths = []
    for col, header in enumerate(PDF_HEADERS):
        values = [f"{v:.1f}" if isinstance(v, float) else v for v in (row[col] for row in rows)]
        widths.append(max(widest(header.split(), "B"), widest(values, "B"), 9.0))
    widths[2] = 0.0
    widths[2] = max(40.0, pdf.epw - sum(widths) - 0.01)  # a hair under the page: float sums may overshoot it
    return widths


def rapor_pdf(rapor: dict[str, Any], settings: Settings) -> bytes:
    from core.casework.pdfdoc import OfficialPdf

    pdf = OfficialPdf(settings, orientation="L")
    pdf.add_page()
    pdf.kop()
    pdf.title_block("RAPOR PENGELOLAAN PENGADUAN MASYARAKAT PER OPD",
                    period_text(rapor) + f" (rata-rata tindak lanjut dalam {days_text(rapor)})")
    rows = table_rows(rapor, short=True)
    widths = _pdf_widths(pdf, rows)
    aligns = ("C", "L", "L", "R", "R", "R", "R", "R", "R", "R", "R", "C", "R", "R")
    pdf.table(PDF_HEADERS, rows, widths, aligns, bold_last=not rapor.get("opd_scoped"))
    pdf.ln(4)
    pdf.small(generated_text(rapor, settings))
    if merged_text(rapor):
        pdf.small(merged_text(rapor))
    thresholds = "; ".join(f"{name}: ≥ {p:g} % dan ≤ {d:g} hari" for name, p, d in settings.predikat_thresholds)
    pdf.small(f"Predikat — {thresholds}; selain itu Kurang.")
    pdf.small(SATISFACTION_NOTE)
    return bytes(pdf.output())
