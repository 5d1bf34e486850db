"""Streamed complaint exports (CSV with BOM, XLSX) in constant memory.

Rows come from the database in batches (`yield_per`; a server-side cursor on PostgreSQL) and
leave as soon as they are formatted, so a million-row export costs the same memory as ten.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from core.identity.access import Access
from core.intake.channels import channel_label
from core.reporting.complaints import complaint_select, filtered
from core.reporting.filters import ResolvedFilter
from core.runtime.sheets import sheet_row
from models import Complaint
from models.enums import STATUS_LABEL_ID, Status
from models.types import utcnow

BATCH = 2000
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit minus the header
BOM = "\ufeff"
CLASSIFICATION_LABEL = {"pengaduan": "Pengaduan", "aspirasi": "Aspirasi",
                        "permintaan_informasi": "Permintaan Informasi"}

# (Indonesian header, field of the complaint row)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("ID", "id"), ("Kode Pelacakan", "tracking_code"), ("Kanal", "channel"), ("ID Sumber", "external_id"),
    ("Tanggal Diterima", "received_at"), ("Judul", "title"), ("Isi Pengaduan", "body"),
    ("Klasifikasi", "classification"), ("Kode Kategori", "category_code"), ("Kategori", "category_name"),
    ("Kode OPD", "opd_code"), ("OPD Tujuan", "opd_name"), ("Status", "status"), ("Rahasia", "rahasia"),
    ("Anonim", "anonim"), ("Nama Pelapor", "reporter_name"), ("Kontak Pelapor", "reporter_contact"),
    ("Lokasi", "location_text"), ("Desa/Kelurahan", "desa"), ("Kecamatan", "kecamatan"), ("Lintang", "lat"),
    ("Bujur", "lon"), ("Rating", "rating"), ("Tanggal Verifikasi", "verified_at"),
    ("Tanggal Disposisi", "dispatched_at"), ("Tanggapan Pertama", "first_response_at"),
    ("Tanggal Selesai", "resolved_at"), ("Batas Tanggapan", "response_due_at"),
    ("Batas Penyelesaian", "resolution_due_at"), ("Terlambat", "overdue"),
)
HEADERS = [header for header, _ in COLUMNS]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def count_rows(engine: Engine, filt: ResolvedFilter, access: Access) -> int:
    now = utcnow()
    stmt = filtered(select(func.count()).select_from(Complaint), filt, access, now)
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def iter_rows(engine: Engine, filt: ResolvedFilter, access: Access, tz: ZoneInfo) -> Iterator[list[Any]]:
    """Formatted, masked rows in id order; the connection lives as long as the iteration."""
    now = utcnow()
    stmt = filtered(complaint_select(now), filt, access, now).order_by(Complaint.id)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        for batch in result.partitions():
            for row in batch:
                data = dict(row._mapping)
                data["overdue"] = bool(data["overdue"])
                yield _format(access.mask(data), tz)


def _format(data: dict[str, Any], tz: ZoneInfo) -> list[Any]:
    out = []
    for _, name in COLUMNS:
        value = data.get(name)
        if isinstance(value, datetime):
            value = value.astimezone(tz).replace(microsecond=0)  # the CSV writes its zone; XLSX cells cannot
        elif isinstance(value, bool):
            value = "Ya" if value else "Tidak"
        elif name == "status" and value:
            value = STATUS_LABEL_ID.get(Status(value), value)
        elif name == "classification" and value:
            value = CLASSIFICATION_LABEL.get(value, value)
        elif name == "channel" and value:
            value = channel_label(value)  # "SP4N-LAPOR!", as the dashboard names it
        out.append(value)
    return out


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")  # 2026-11-23 09:00:00+07:00: local time with its zone
    return value


def iter_csv(rows: Iterator[list[Any]], delimiter: str = ",") -> Iterator[bytes]:
    """UTF-8 with BOM (Excel opens it as UTF-8), one chunk per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(HEADERS)
    for i, row in enumerate(rows, start=1):
        writer.writerow([_csv_safe(v) for v in row])
        if i % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(rows: Iterator[list[Any]], path: str) -> None:
    """Write-only workbook: openpyxl streams rows to disk with inline strings."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Pengaduan")
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:  # Excel cells have no time zone: local time, as the pemda reads it
        ws.append(sheet_row(ws, [v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row]))
    wb.save(path)


def xlsx_tempfile(rows: Iterator[list[Any]]) -> str:
    fd, path = tempfile.mkstemp(prefix="aduan-export-", suffix=".xlsx")
    os.close(fd)
    try:
        write_xlsx(rows, path)
    except BaseException:
        os.unlink(path)
        raise
    return path
