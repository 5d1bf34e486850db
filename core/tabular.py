"""Read an uploaded or exported table (CSV or XLSX) into numbered rows, with clear file-level errors.

Row numbers are the ones a person sees in a spreadsheet: the header is row 1. The file type is
recognised from its bytes, not its name, so a renamed PDF is refused rather than misread.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc


class TableError(ValueError):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""


class UnsupportedFileType(TableError):
    """Not a CSV or XLSX at all."""


@dataclass
class SourceRow:
    number: int
    values: dict[str, Any]


@dataclass
class Table:
    kind: str  # csv | xlsx
    header: list[str]
    rows: list[SourceRow]
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)  # cell references holding formulas


def column_key(name: Any) -> str:
    return "_".join(str(name or "").strip().lower().split())


def sniff_kind(content: bytes) -> str:
    if content.startswith(XLSX_MAGIC):
        return "xlsx"
    if content.startswith(OLE_MAGIC):
        raise UnsupportedFileType("Berkas Excel lama (.xls) tidak didukung; simpan ulang sebagai .xlsx atau CSV.")
    if content.startswith(b"%PDF"):
        raise UnsupportedFileType("Berkas PDF tidak bisa diimpor; unggah CSV atau XLSX.")
    if b"\x00" in content[:4096]:
        raise UnsupportedFileType("Jenis berkas tidak dikenali; unggah CSV atau XLSX.")
    return "csv"


def read_table(content: bytes, sheet: str | None = None, single_sheet_ok: bool = True) -> Table:
    """Parse CSV or XLSX. `sheet` names the worksheet to read; a workbook with just one sheet is
    accepted under any name when `single_sheet_ok`."""
    if not content.strip():
        raise TableError("Berkas kosong.")
    kind = sniff_kind(content)
    return _read_xlsx(content, sheet, single_sheet_ok) if kind == "xlsx" else _read_csv(content)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("Berkas CSV tidak bisa dibaca (bukan UTF-8).")  # pragma: no cover - cp1252 decodes all


def _read_csv(content: bytes) -> Table:
    text = _decode(content)
    first_line = text.splitlines()[0] if text else ""
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        raw = list(reader)
    except csv.Error as exc:
        raise TableError(f"Berkas CSV rusak: {exc}") from None
    header = [column_key(h) for h in raw[0]] if raw else []
    rows, formulas = [], []
    for index, cells in enumerate(raw[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        for col, cell in enumerate(cells, start=1):
            if cell.lstrip().startswith("="):
                formulas.append(f"{get_column_letter(col)}{index}")
        rows.append(SourceRow(index, _row_dict(header, cells)))
    return Table("csv", header, rows, formulas=formulas)


def _read_xlsx(content: bytes, sheet: str | None, single_sheet_ok: bool) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnsupportedFileType(f"Berkas bukan XLSX yang valid ({exc.__class__.__name__}).") from None
    try:
        names = list(workbook.sheetnames)
        if sheet is None:
            ws = workbook.worksheets[0]
        elif sheet in names:
            ws = workbook[sheet]
        elif single_sheet_ok and len(names) == 1:
            ws = workbook.worksheets[0]
        else:
            raise TableError(f"Lembar '{sheet}' tidak ditemukan; lembar yang ada: {', '.join(names)}.")
        header: list[str] = []
        rows, formulas = [], []
        for r, cells in enumerate(ws.iter_rows(), start=1):
            values = []
            for c, cell in enumerate(cells, start=1):
                if cell.data_type == "f":
                    formulas.append(f"{get_column_letter(c)}{r}")
                values.append(_cell_text(cell.value))
            if r == 1:
                header = [column_key(v) for v in values]
                while header and not header[-1]:
                    header.pop()
                continue
            if not any(v.strip() for v in values):
                continue
            rows.append(SourceRow(r, _row_dict(header, values)))
        return Table("xlsx", header, rows, sheet=ws.title, sheets=names, formulas=formulas)
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    """Cells become text as a person would read them; real dates become ISO strings."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _row_dict(header: list[str], cells: list[str]) -> dict[str, str]:
    row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
    extra = [c for c in cells[len(header):] if c.strip()]
    if extra:
        row["_extra"] = "|".join(extra)
    return row
