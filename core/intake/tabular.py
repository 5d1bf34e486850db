"""Read an uploaded or exported table (CSV or XLSX) into numbered rows, with clear file-level errors.

Row numbers are the ones a person sees in a spreadsheet: the header is row 1. The file type is
recognised from its bytes, not its name, so a renamed PDF is refused rather than misread.

Files come from strangers, so every read is bounded (`TableLimits`): file size, rows, cells and CSV
field length; an XLSX archive is checked from its zip directory before anything is inflated, then
parsed in a short-lived worker process (niced, memory- and CPU-limited, killed at a wall-clock
limit, a few at a time), so a hostile sheet can hold neither the event loop nor the GIL.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import pickle
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

if TYPE_CHECKING:
    from core.runtime.settings import Settings

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc
RATIO_GRACE_BYTES = 2**20  # small members may compress oddly well; only big ones can be bombs
SNIFF_CHARS = 65_536
# A request waiting for a busy worker holds one of the API's threads: better a quick 503 than a
# queue of uploads that starves every other route.
SLOT_WAIT_SECONDS = 2.0
logger = logging.getLogger(__name__)
TOO_COMPLEX = "Berkas XLSX terlalu besar atau rumit untuk dibaca; simpan ulang hanya lembar yang perlu, atau pakai CSV."


class TableError(ValueError):
    """The file as a whole cannot be read; the message is for the person who uploaded it."""

    http_status = 422


class UnsupportedFileType(TableError):
    """Not a CSV or XLSX at all."""

    http_status = 415


class TableTooLarge(TableError):
    """The file itself is over the size limit."""

    http_status = 413


class TooManyRows(TableError):
    """More data rows than the caller allows; `limit` lets it phrase its own message."""

    def __init__(self, limit: int):
        super().__init__(f"Berkas berisi lebih dari {number(limit)} baris data.")
        self.limit = limit

    def __reduce__(self):  # crosses the pipe from the worker process
        return type(self), (self.limit,)


class TableBusy(TableError):
    """Every XLSX worker is busy, or the server is stopping: try again shortly."""

    http_status = 503


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int
    max_rows: int
    max_cells: int
    max_field_chars: int
    max_members: int
    max_member_bytes: int
    max_total_bytes: int
    max_ratio: float
    parse_seconds: float
    parse_workers: int
    parse_memory_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings, *, max_bytes: int | None = None,
                      max_rows: int | None = None) -> TableLimits:
        return cls(max_bytes=max_bytes or settings.upload_max_bytes, max_rows=max_rows or settings.upload_max_rows,
                   max_cells=settings.upload_max_cells, max_field_chars=settings.upload_max_field_chars,
                   max_members=settings.upload_xlsx_max_members,
                   max_member_bytes=settings.upload_xlsx_max_member_bytes,
                   max_total_bytes=settings.upload_xlsx_max_total_bytes, max_ratio=settings.upload_xlsx_max_ratio,
                   parse_seconds=settings.upload_parse_seconds, parse_workers=settings.upload_parse_workers,
                   parse_memory_bytes=settings.upload_parse_memory_mb * 2**20)


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


def megabytes(size: float) -> str:
    return f"{size / 2**20:.0f} MB" if size >= 2**20 else f"{size / 1024:.0f} KB"


def number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


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


def read_table(content: bytes, sheet: str | None = None, single_sheet_ok: bool = True,
               limits: TableLimits | None = None) -> Table:
    """Parse CSV or XLSX. `sheet` names the worksheet to read; a workbook with just one sheet is
    accepted under any name when `single_sheet_ok`. Without `limits`, the settings' upload limits apply."""
    if limits is None:
        from core.runtime.settings import get_settings

        limits = TableLimits.from_settings(get_settings())
    if len(content) > limits.max_bytes:
        raise TableTooLarge(f"Berkas lebih dari {megabytes(limits.max_bytes)}.")
    if not content.strip():
        raise TableError("Berkas kosong.")
    kind = sniff_kind(content)
    if kind == "csv":
        return _read_csv(content, limits)
    check_archive(content, limits)
    return _read_xlsx_isolated(content, sheet, single_sheet_ok, limits)


# --- CSV -----------------------------------------------------------------------------------------

def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("Berkas CSV tidak bisa dibaca (bukan UTF-8).")  # pragma: no cover - cp1252 decodes all


def _read_csv(content: bytes, limits: TableLimits) -> Table:
    text = _decode(content)
    first_line = next(iter(text[:SNIFF_CHARS].splitlines()), "")
    delimiter = max((",", ";", "\t"), key=first_line.count)
    csv.field_size_limit(limits.max_field_chars)  # module-wide, but every reader here uses the same setting
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    rows, formulas, cells_read = [], [], 0
    try:
        for index, cells in enumerate(reader, start=1):
            cells_read = _count_cells(cells_read, len(cells), limits)
            if index == 1:
                header = [column_key(h) for h in cells]
                continue
            if not any(c.strip() for c in cells):
                continue
            for col, cell in enumerate(cells, start=1):
                if cell.lstrip().startswith("="):
                    formulas.append(f"{get_column_letter(col)}{index}")
            rows.append(SourceRow(index, _row_dict(header, cells)))
            if len(rows) > limits.max_rows:
                raise TooManyRows(limits.max_rows)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise TableError(f"Berkas CSV berisi sel lebih dari {number(limits.max_field_chars)} karakter "
                             f"(baris {reader.line_num}).") from None
        raise TableError(f"Berkas CSV rusak: {exc}") from None
    return Table("csv", header, rows, formulas=formulas)


def _count_cells(so_far: int, cells: int, limits: TableLimits) -> int:
    total = so_far + max(cells, 1)  # an empty row still costs a step
    if total > limits.max_cells:
        raise TableError(f"Berkas berisi lebih dari {number(limits.max_cells)} sel; bagi menjadi beberapa berkas.")
    return total


# --- XLSX: the archive check ---------------------------------------------------------------------

def check_archive(content: bytes, limits: TableLimits) -> None:
    """Refuse a decompression bomb from the zip directory alone, before any member is inflated.
    (zipfile never inflates a member beyond the size its directory entry declares.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UnsupportedFileType(f"Berkas bukan XLSX yang valid ({exc.__class__.__name__}).") from None
    if len(members) > limits.max_members:
        raise TableError(f"Berkas XLSX berisi {len(members)} bagian (maksimal {limits.max_members}); "
                         "ini bukan lembar kerja biasa.")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > limits.max_member_bytes:
            raise TableError(f"Isi berkas XLSX terlalu besar setelah diekstrak ({member.filename}: "
                             f"{megabytes(member.file_size)}, maksimal {megabytes(limits.max_member_bytes)}); "
                             "kemungkinan bom dekompresi.")
        if total > limits.max_total_bytes:
            raise TableError(f"Isi berkas XLSX terlalu besar setelah diekstrak (lebih dari "
                             f"{megabytes(limits.max_total_bytes)}); kemungkinan bom dekompresi.")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_GRACE_BYTES and ratio > limits.max_ratio:
            raise TableError(f"Berkas XLSX dimampatkan secara tidak wajar ({member.filename}: rasio {ratio:.0f}:1, "
                             f"maksimal {limits.max_ratio:.0f}:1); kemungkinan bom dekompresi.")


# --- XLSX: parsing in a worker process -----------------------------------------------------------

WORKER_COMMAND = "import core.intake.tabular as t; t.serve_worker()"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


@lru_cache
def _slots(workers: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(workers)


def stop_parsers() -> None:
    """Server shutdown: kill every XLSX worker now and start no new one; their requests answer 503 at once."""
    with _live_lock:
        _stopping.set()
        for process in _live:
            process.kill()


def _read_xlsx_isolated(content: bytes, sheet: str | None, single_sheet_ok: bool, limits: TableLimits) -> Table:
    slots = _slots(limits.parse_workers)
    if not slots.acquire(timeout=min(limits.parse_seconds, SLOT_WAIT_SECONDS)):
        raise TableBusy("Server sedang membaca unggahan lain; coba lagi sebentar lagi.")
    try:
        return _run_worker(pickle.dumps((content, sheet, single_sheet_ok, limits)), limits.parse_seconds)
    finally:
        slots.release()


def _run_worker(request: bytes, seconds: float) -> Table:
    """A fresh interpreter per file (~0.1 s): nothing of the API process is shared, and killing it is safe."""
    stopping = TableBusy("Server sedang berhenti; unggah ulang sebentar lagi.")
    with _live_lock:
        if _stopping.is_set():
            raise stopping
        try:
            process = subprocess.Popen([sys.executable, "-c", WORKER_COMMAND], cwd=PACKAGE_ROOT,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            logger.error("cannot start the XLSX worker: %s", exc)
            raise TableBusy("Pembaca berkas XLSX tidak bisa dijalankan saat ini; coba lagi sebentar lagi.") from None
        _live.add(process)
    try:
        out, err = process.communicate(request, timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise TableError(f"Berkas XLSX tidak selesai dibaca dalam {seconds:g} detik; "
                         "simpan ulang hanya lembar yang perlu, atau pakai CSV.") from None
    finally:
        with _live_lock:
            _live.discard(process)
    if process.returncode != 0 and _stopping.is_set():
        raise stopping
    if process.returncode != 0 or not out:  # over its CPU limit (SIGXCPU), or killed by the OOM killer
        logger.warning("XLSX worker ended with %s: %s", process.returncode, err[-2000:].decode(errors="replace"))
        raise TableError(TOO_COMPLEX)
    try:
        outcome = pickle.loads(out)  # our own worker's answer
    except Exception:  # noqa: BLE001 - a garbled answer is an unreadable file, not a server error
        logger.warning("XLSX worker answered garbage: %s", err[-2000:].decode(errors="replace"))
        raise TableError(TOO_COMPLEX) from None
    if isinstance(outcome, TableError):
        raise outcome
    return outcome


def serve_worker() -> None:
    """The worker's side: one pickled request on stdin, one pickled Table or TableError on stdout."""
    content, sheet, single_sheet_ok, limits = pickle.loads(sys.stdin.buffer.read())
    _confine(limits)
    try:
        outcome: Table | TableError = _read_xlsx(content, sheet, single_sheet_ok, limits)
    except TableError as exc:
        outcome = exc.with_traceback(None)
    except MemoryError:
        outcome = TableError(TOO_COMPLEX)
    except Exception as exc:  # noqa: BLE001 - whatever a hostile file makes the parser raise is the file's fault
        outcome = TableError(f"Berkas XLSX rusak ({exc.__class__.__name__}); simpan ulang dari Excel.")
    sys.stdout.buffer.write(pickle.dumps(outcome))


def _confine(limits: TableLimits) -> None:
    """Limits of the worker itself, should its parent be gone: CPU seconds, memory, low priority."""
    import resource

    os.nice(10)
    for kind, value in ((resource.RLIMIT_CPU, math.ceil(limits.parse_seconds) + 1),
                        (resource.RLIMIT_AS, limits.parse_memory_bytes), (resource.RLIMIT_CORE, 0)):
        hard = resource.getrlimit(kind)[1]
        resource.setrlimit(kind, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))


def _read_xlsx(content: bytes, sheet: str | None, single_sheet_ok: bool, limits: TableLimits) -> Table:
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
        ws.reset_dimensions()  # a declared A1:XFD1048576 would otherwise pad every row to 16,384 cells
        header: list[str] = []
        rows, formulas, cells_read = [], [], 0
        for r, cells in enumerate(ws.iter_rows(), start=1):
            cells_read = _count_cells(cells_read, len(cells), limits)
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
            if len(rows) > limits.max_rows:
                raise TooManyRows(limits.max_rows)
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
