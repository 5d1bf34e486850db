"""Escalation letters (surat teguran, surat eskalasi) as PDF, signed by the Sekretaris Daerah."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlmodel import Session, func, select

from core.casework.sla import days_overdue, handling_day
from core.reference.calendar import WorkingCalendar
from core.runtime.settings import Settings
from models import Complaint, Letter, Opd

log = logging.getLogger(__name__)

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember")

SUBJECTS = {
    "teguran_1": "Teguran Pertama atas Pengaduan Masyarakat yang Belum Ditindaklanjuti",
    "teguran_2": "Teguran Kedua atas Pengaduan Masyarakat yang Belum Ditindaklanjuti",
    "eskalasi": "Eskalasi Pengaduan Masyarakat yang Melewati Batas Waktu Tindak Lanjut",
}


def tanggal(day: date) -> str:
    """A date the Indonesian way: 23 November 2026."""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


@dataclass
class LetterLine:
    tracking_code: str
    title: str
    received: date
    due: date | None
    handling_day: int
    days_overdue: int


@dataclass
class LetterContent:
    number: str
    kind: str
    subject: str
    day: date
    opd_name: str  # whose complaints are listed
    addressee: str  # "Kepala Dinas PUPR"
    lines: list[LetterLine]
    response_days: int = 3
    cc: list[str] = field(default_factory=list)
    escalation: bool = False


def _latin1(text: str) -> str:
    # The PDF core fonts are Latin-1; fold accents and drop what cannot be shown (emoji...).
    folded = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return plain.encode("latin-1", "ignore").decode("latin-1")


def _body_text(content: LetterContent) -> str:
    n, opd, days = len(content.lines), content.opd_name, content.response_days
    rule = f"tindak lanjut pertama wajib diberikan paling lambat {days} hari kerja sejak pengaduan diterima"
    if content.escalation:
        return (f"Bersama ini kami sampaikan bahwa {n} pengaduan masyarakat pada {opd} telah melewati batas "
                f"waktu tindak lanjut, padahal {rule}. Mohon Saudara selaku atasan langsung memberikan arahan "
                f"agar pengaduan berikut segera ditindaklanjuti:")
    opening = ("Menindaklanjuti teguran sebelumnya, hari ini merupakan batas akhir tindak lanjut. "
               if content.kind == "teguran_2" else "")
    return (f"{opening}Berdasarkan pemantauan Aduan Terpadu per tanggal {tanggal(content.day)}, terdapat {n} "
            f"pengaduan masyarakat pada {opd} yang belum mendapat tindak lanjut, sedangkan {rule}. "
            f"Sehubungan dengan hal tersebut, Saudara diminta segera menindaklanjuti pengaduan berikut:")


def render_letter_pdf(content: LetterContent, settings: Settings) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 15, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    _kop(pdf, settings)

    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 6, _latin1(f"{settings.letter_place}, {tanggal(content.day)}"), align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for label, value in (("Nomor", content.number), ("Sifat", "Penting"), ("Lampiran", "-"),
                         ("Perihal", content.subject)):
        pdf.cell(25, 6, label)
        pdf.multi_cell(0, 6, _latin1(f": {value}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.multi_cell(0, 6, _latin1(f"Yth. {content.addressee}\ndi Tempat"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.multi_cell(0, 6, _latin1(_body_text(content)), align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _complaint_table(pdf, content.lines)
    pdf.ln(3)
    pdf.multi_cell(0, 6, "Demikian untuk menjadi perhatian dan dilaksanakan sebagaimana mestinya.",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _signature(pdf, settings)
    if content.cc:
        pdf.ln(4)
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 5, "Tembusan:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for i, name in enumerate(content.cc, 1):
            pdf.cell(0, 5, _latin1(f"{i}. Yth. {name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _kop(pdf: FPDF, settings: Settings) -> None:
    logo = settings.pemda_logo_path
    if logo:
        if Path(logo).is_file():
            pdf.image(logo, x=20, y=12, h=24)
        else:
            log.warning("kop surat: logo %s not found, letter printed without it", logo)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, _latin1(settings.pemda_name.upper()), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 8, "SEKRETARIAT DAERAH", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 5, _latin1(settings.pemda_address or ""), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = max(pdf.get_y(), 37) + 2
    pdf.set_line_width(0.8)
    pdf.line(20, y, 190, y)
    pdf.set_line_width(0.2)
    pdf.line(20, y + 1.2, 190, y + 1.2)
    pdf.set_y(y + 5)


COLUMNS = (("No", 8, "C"), ("Kode Aduan", 34, "L"), ("Perihal", 58, "L"), ("Diterima", 19, "C"),
           ("Tenggat", 19, "C"), ("Hari ke-", 14, "C"), ("Terlambat", 18, "C"))
ROW_HEIGHT = 5.5
TABLE_WIDTH = sum(width for _, width, _ in COLUMNS)


def _complaint_table(pdf: FPDF, lines: list[LetterLine]) -> None:
    # Drawn with text() and line(): cell() measures and lays out every value (~0.3 ms a cell), a rectangle per
    # cell costs as much again, and an escalation letter after a long outage lists thousands of complaints.
    # The body's grid is a line under each row and the column rules once per page.
    pdf.set_font("Helvetica", size=8.5)
    top = pdf.get_y()
    y = _table_header(pdf, top)
    for i, line in enumerate(lines, 1):
        if y + ROW_HEIGHT > pdf.page_break_trigger:
            _column_rules(pdf, top, y)
            pdf.add_page()
            top = pdf.get_y()
            y = _table_header(pdf, top)
        values = (str(i), line.tracking_code, _latin1(line.title), f"{line.received:%d/%m/%Y}",
                  f"{line.due:%d/%m/%Y}" if line.due else "-", str(line.handling_day), str(line.days_overdue))
        _row_text(pdf, y, ROW_HEIGHT, values)
        y += ROW_HEIGHT
        pdf.line(pdf.l_margin, y, pdf.l_margin + TABLE_WIDTH, y)
    _column_rules(pdf, top, y)
    pdf.set_y(y)
    pdf.set_font("Helvetica", size=11)


def _row_text(pdf: FPDF, y: float, height: float, values) -> None:
    x = pdf.l_margin
    for (_, width, align), value in zip(COLUMNS, values, strict=True):
        text = _fit(pdf, value, width)
        offset = pdf.c_margin if align == "L" else (width - _width(pdf, text)) / 2
        pdf.text(x + offset, y + height / 2 + 1.1, text)
        x += width


def _column_rules(pdf: FPDF, top: float, bottom: float) -> None:
    x = pdf.l_margin
    for _, width, _ in COLUMNS:
        pdf.line(x, top, x, bottom)
        x += width
    pdf.line(x, top, x, bottom)


def _table_header(pdf: FPDF, y: float) -> float:
    pdf.set_font("Helvetica", "B", 8.5)
    pdf.set_fill_color(230, 230, 230)
    x = pdf.l_margin
    for _, width, _ in COLUMNS:
        pdf.rect(x, y, width, ROW_HEIGHT + 1, style="DF")
        x += width
    _row_text(pdf, y, ROW_HEIGHT + 1, [label for label, _, _ in COLUMNS])
    pdf.set_font("Helvetica", size=8.5)
    return y + ROW_HEIGHT + 1


def _width(pdf: FPDF, text: str) -> float:
    # The core font's own metrics: get_string_width() runs fpdf2's text shaping, the table's main cost.
    widths = pdf.current_font.cw
    return sum(widths.get(ch, 500) for ch in text) * pdf.font_size / 1000


def _fit(pdf: FPDF, text: str, width: float) -> str:
    room = width - 2 * pdf.c_margin
    if _width(pdf, text) <= room:
        return text
    while text and _width(pdf, text + "...") > room:
        text = text[:-1]
    return text.rstrip() + "..."


def _signature(pdf: FPDF, settings: Settings) -> None:
    pdf.ln(8)
    x = 115
    pdf.set_x(x)
    pdf.multi_cell(75, 6, "SEKRETARIS DAERAH", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(18)
    pdf.set_x(x)
    pdf.set_font("Helvetica", "BU", 11)
    pdf.multi_cell(75, 6, _latin1(settings.sekda_name or "...................................."), align="C",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=11)
    pdf.set_x(x)
    pdf.multi_cell(75, 6, _latin1(f"NIP. {settings.sekda_nip or '..............................'}"), align="C",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def next_letter_number(session: Session, settings: Settings, opd_code: str, day: date,
                       calendar: WorkingCalendar) -> str:
    """Next number of the local year; numbers are unique, so a taken one is skipped."""
    year_start = datetime.combine(date(day.year, 1, 1), time(0), tzinfo=calendar.tz).astimezone(UTC)
    seq = session.exec(select(func.count()).select_from(Letter).where(Letter.created_at >= year_start)).one() + 1
    while True:
        number = settings.letter_number_format.format(seq=seq, opd_code=opd_code, year=day.year)
        if session.exec(select(Letter.id).where(Letter.number == number)).first() is None:
            return number
        seq += 1


def create_letter(session: Session, settings: Settings, calendar: WorkingCalendar, *, kind: str, opd: Opd,
                  addressed_to: Opd, complaints: list[Complaint], now: datetime, cc: list[str] = (),
                  escalation: bool = False) -> Letter:
    """Number, render and store a letter about `opd`'s `complaints`, addressed to `addressed_to`'s head."""
    day = calendar.local_date(now)
    number = next_letter_number(session, settings, opd.code, day, calendar)
    lines = [
        LetterLine(tracking_code=c.tracking_code, title="(dirahasiakan)" if c.rahasia else c.title,
                   received=calendar.local_date(c.received_at),
                   due=calendar.local_date(c.response_due_at) if c.response_due_at else None,
                   handling_day=handling_day(c, now, calendar),
                   days_overdue=days_overdue(c.response_due_at, now, calendar))
        for c in sorted(complaints, key=lambda c: (c.received_at, c.id))
    ]
    subject = SUBJECTS.get(kind) or (SUBJECTS["eskalasi"] if escalation else SUBJECTS["teguran_1"].replace(
        "Teguran Pertama", "Teguran"))
    content = LetterContent(number=number, kind=kind, subject=subject, day=day, opd_name=opd.name,
                            addressee=addressed_to.head_title or f"Kepala {addressed_to.name}", lines=lines,
                            response_days=settings.response_days, cc=list(cc), escalation=escalation)
    letter = Letter(number=number, kind=kind, opd_id=opd.id, addressed_to_opd_id=addressed_to.id,
                    complaint_ids=[c.id for c in complaints], subject=subject, created_at=now,
                    pdf=render_letter_pdf(content, settings))
    session.add(letter)
    session.flush()
    return letter
