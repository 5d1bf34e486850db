"""Complaints typed in by a petugas pelayanan: one at a time, or a batch of ≤ 100 rows (CSV/XLSX).

Validation checks every row against the reference data and reports each problem by spreadsheet row
number and template column, in Bahasa Indonesia. Writing happens in one transaction: by default
nothing is written when any row is bad; `partial=True` writes the good rows and reports the rest.
Each entry lands in the inbox as typed (for audit) and goes through the intake pipeline like every channel.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import update
from sqlmodel import Session, select

from core.intake import pipeline
from core.intake.contract import ComplaintDraft
from core.intake.ingest import Resolver, tracking_code
from core.intake.tabular import Table, TableError, TableLimits, TooManyRows, read_table
from core.reference.id_dates import parse_id_datetime
from core.reference.regions import kecamatan_desa
from core.runtime.settings import Settings
from core.runtime.sheets import refuse_unwritable
from models import Category, Classification, Complaint, Opd, RawState

SHEET = "Aduan"
EXAMPLE_MARK = "CONTOH"

# Template column → field of the JSON entry. The template is also the LAPOR! hand-back shape.
COLUMNS: dict[str, str] = {
    "judul": "title", "isi": "body", "tanggal_diterima": "received_at", "kanal": "channel",
    "klasifikasi": "classification", "kategori": "category", "opd_tujuan": "opd", "kecamatan": "kecamatan",
    "desa": "desa", "lokasi": "location_text", "nama_pelapor": "reporter_name",
    "kontak_pelapor": "reporter_contact", "rahasia": "rahasia", "anonim": "anonim",
    "nomor_referensi": "reference",
}
FIELD_COLUMN = {v: k for k, v in COLUMNS.items()}
REQUIRED_COLUMNS = ("judul", "isi")
YES = {"ya", "y", "yes", "true", "1", "benar"}
NO = {"tidak", "t", "no", "false", "0", "salah", ""}
_PHONE = re.compile(r"^\+?[0-9][0-9 .-]{6,18}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CLOCK_SKEW = timedelta(minutes=10)


class ManualComplaintIn(BaseModel):
    """One complaint as typed by a petugas (walk-in, phone, letter)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=5, max_length=300)
    body: str = Field(min_length=1, max_length=20000)
    received_at: datetime | None = Field(None, description="When the citizen complained; default now")
    channel: str = Field("manual", max_length=32)
    classification: Classification = Classification.pengaduan
    category: str | None = Field(None, max_length=64, description="Category code")
    opd: str | None = Field(None, max_length=32, description="OPD code; default: the category's OPD")
    kecamatan: str | None = Field(None, max_length=120)
    desa: str | None = Field(None, max_length=120)
    location_text: str | None = Field(None, max_length=500)
    reporter_name: str | None = Field(None, max_length=200)
    reporter_contact: str | None = Field(None, max_length=200)
    rahasia: bool = False
    anonim: bool = False
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    reference: str | None = Field(None, max_length=120, description="Register number (nomor agenda)")

    @field_validator("*")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        return refuse_unwritable(value)


@dataclass
class Problem:
    row: int | None
    column: str
    message: str


class FileRejected(ValueError):
    """The upload as a whole is unusable (type, size, sheet, header, formulas, too many rows); `status` is
    the HTTP answer: 415 not a table, 413 too big, 503 no worker free right now, 422 anything else."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class RowResult:
    row: int
    tracking_code: str
    outcome: str  # new | unchanged


@dataclass
class ImportResult:
    rows: int
    valid: int
    written: int = 0
    unchanged: int = 0
    committed: bool = False
    partial: bool = False
    errors: list[Problem] = field(default_factory=list)
    complaints: list[RowResult] = field(default_factory=list)

    @property
    def message(self) -> str:
        bad = len({p.row for p in self.errors})
        if not self.committed:
            return (f"{bad} dari {self.rows} baris bermasalah; tidak ada aduan yang disimpan. "
                    "Perbaiki lalu unggah ulang.")
        done = f"{self.written} aduan baru disimpan" + (f", {self.unchanged} sudah ada sebelumnya" if self.unchanged
                                                        else "")
        return done + (f"; {bad} baris bermasalah dilewati." if bad else ".")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["message"] = self.message
        return data


class Reference:
    """Reference data loaded once per request: codes and names a petugas may type."""

    def __init__(self, session: Session, settings: Settings):
        self.settings = settings
        self.categories = {c.code: c.name for c in session.exec(select(Category)).all()}
        self.category_by_name = {name.lower(): code for code, name in self.categories.items()}
        self.opds = {o.code: o.name for o in session.exec(select(Opd).where(Opd.active)).all()}
        self.opd_by_name = {name.lower(): code for code, name in self.opds.items()}
        self.regions = kecamatan_desa(session)
        self.kecamatan_by_lower = {k.lower(): k for k in self.regions}
        self.channels = list(settings.manual_entry_channels)

    def category(self, value: str) -> str | None:
        code = value.strip()
        if code.upper() in self.categories:
            return code.upper()
        return self.category_by_name.get(code.lower())

    def opd(self, value: str) -> str | None:
        code = value.strip()
        if code.upper() in self.opds:
            return code.upper()
        return self.opd_by_name.get(code.lower())

    def kecamatan(self, value: str) -> str | None:
        name = " ".join(value.split()).lower()
        for prefix in ("kecamatan ", "kec. ", "kec "):
            name = name.removeprefix(prefix)
        return self.kecamatan_by_lower.get(name)


# --- one entry -----------------------------------------------------------------------------------

def check_entry(entry: ManualComplaintIn, ref: Reference, now: datetime) -> tuple[ComplaintDraft | None,
                                                                                   list[tuple[str, str]]]:
    """Database-backed checks shared by the form and the upload; problems are (field, message)."""
    problems: list[tuple[str, str]] = []
    if entry.channel not in ref.channels:
        problems.append(("channel", f"kanal '{entry.channel}' tidak bisa dipakai; pilih: {', '.join(ref.channels)}"))
    received = entry.received_at or now
    if received.tzinfo is None:
        received = received.replace(tzinfo=ref.settings.tz)
    if received > now + CLOCK_SKEW:
        problems.append(("received_at", "tanggal diterima tidak boleh di masa depan"))
    elif received.year < 2000:
        problems.append(("received_at", "tanggal diterima terlalu lampau"))
    category = opd = kecamatan = desa = None
    if entry.category:
        category = ref.category(entry.category)
        if category is None:
            problems.append(("category", f"kategori '{entry.category}' tidak dikenal; pakai kode dari daftar"))
    if entry.opd:
        opd = ref.opd(entry.opd)
        if opd is None:
            problems.append(("opd", f"OPD '{entry.opd}' tidak dikenal; pakai kode dari daftar"))
    if entry.kecamatan:
        kecamatan = ref.kecamatan(entry.kecamatan)
        if kecamatan is None:
            problems.append(("kecamatan", f"kecamatan '{entry.kecamatan}' tidak ada di kabupaten ini"))
    if entry.desa:
        desa, problem = _desa(entry.desa, kecamatan, entry.kecamatan, ref)
        if problem:
            problems.append(("desa", problem))
        elif kecamatan is None and not entry.kecamatan:
            kecamatan = next(k for k, ds in ref.regions.items() if desa in ds)
    contact = entry.reporter_contact
    if contact and not (_PHONE.match(contact) or _EMAIL.match(contact)):
        problems.append(("reporter_contact", "isi nomor telepon/WhatsApp atau alamat email yang valid"))
    if problems:
        return None, problems
    draft = ComplaintDraft(
        external_id="pending", title=entry.title, body=entry.body, received_at=received.astimezone(UTC),
        classification=entry.classification, category_code=category, opd_code=opd, rahasia=entry.rahasia,
        anonim=entry.anonim, reporter_name=entry.reporter_name or None, reporter_contact=contact or None,
        location_text=entry.location_text or None, kecamatan=kecamatan, desa=desa, lat=entry.lat, lon=entry.lon)
    return draft, []


def _desa(value: str, kecamatan: str | None, typed_kecamatan: str | None, ref: Reference) -> tuple[str | None,
                                                                                                  str | None]:
    wanted = " ".join(value.split()).lower()
    if kecamatan:
        match = next((d for d in ref.regions[kecamatan] if d.lower() == wanted), None)
        return (match, None) if match else (None, f"desa '{value}' tidak ada di kecamatan {kecamatan}")
    if typed_kecamatan:
        return None, None  # the kecamatan is already reported
    owners = [(k, d) for k, ds in ref.regions.items() for d in ds if d.lower() == wanted]
    if len(owners) == 1:
        return owners[0][1], None
    if not owners:
        return None, f"desa '{value}' tidak dikenal"
    return None, f"desa '{value}' ada di beberapa kecamatan; isi kolom kecamatan"


def idempotency_external_id(key_id: int | str, idempotency_key: str) -> str:
    return "key:" + hashlib.sha256(f"{key_id}:{idempotency_key}".encode()).hexdigest()[:32]


def create_one(session: Session, entry: ManualComplaintIn, settings: Settings, actor: str,
               external_id: str | None = None, entered_by: str | None = None,
               ) -> tuple[Complaint | None, str, list[tuple[str, str]]]:
    """(complaint, outcome new|existing|conflict|invalid, problems). Commits on success."""
    ref = Reference(session, settings)
    now = datetime.now(UTC)
    existing = None
    if external_id:
        existing = session.exec(select(Complaint).where(Complaint.channel == entry.channel,
                                                        Complaint.external_id == external_id)).first()
        if existing is not None and entry.received_at is None:
            now = existing.received_at  # a repeated click carries no time: compare like for like
    draft, problems = check_entry(entry, ref, now)
    if problems:
        return None, "invalid", problems
    draft.external_id = external_id or f"web:{uuid.uuid4().hex}"
    if existing is not None:
        return existing, ("existing" if existing.content_hash == draft.content_hash() else "conflict"), []
    [verdict] = _write(session, entry.channel, [(draft, entry.model_dump(mode="json"))], settings, actor, entered_by)
    if verdict.outcome == "failed":  # reference data changed between the check and the write
        session.rollback()
        return None, "invalid", [("-", f"gagal menyimpan: {verdict.error}")]
    session.commit()
    complaint = session.exec(select(Complaint).where(Complaint.channel == entry.channel,
                                                     Complaint.external_id == draft.external_id)).one()
    return complaint, "new", []


def _write(session: Session, channel: str, entries: list[tuple[ComplaintDraft, dict]], settings: Settings,
           actor: str, entered_by: str | None = None) -> list[pipeline.Verdict]:
    """Land each entry as typed and apply its checked draft (in the caller's transaction)."""
    drafted = pipeline.Drafted(channel, {draft.external_id: draft for draft, _ in entries})
    batch = pipeline.ingest(session, drafted, [(draft.external_id, typed) for draft, typed in entries],
                            Resolver(session, settings), actor=actor, redo=tuple(RawState))
    new = [v.external_id for v in batch.verdicts if v.outcome == "new"]
    if new and entered_by:
        session.execute(update(Complaint).where(Complaint.channel == channel, Complaint.external_id.in_(new))
                        .values(entered_by=entered_by))
    return batch.verdicts


# --- a batch -------------------------------------------------------------------------------------

def read_batch(content: bytes, settings: Settings) -> Table:
    """The upload as a table, or FileRejected with a message a petugas can act on."""
    limit = settings.manual_import_max_rows
    # One row more than the limit may be read: the template's example row, dropped below.
    limits = TableLimits.from_settings(settings, max_rows=limit + 1)
    try:
        table = read_table(content, sheet=SHEET, limits=limits)
    except TooManyRows:
        raise FileRejected(f"Berkas berisi lebih dari {limit} baris aduan; maksimal {limit} per unggahan "
                           "(batas SP4N-LAPOR!). Bagi menjadi beberapa berkas.") from None
    except TableError as exc:
        raise FileRejected(str(exc), status=exc.http_status) from None
    template_hint = "Gunakan templat dari /api/v1/complaints/import/template.xlsx."
    if table.formulas:
        cells = ", ".join(table.formulas[:10]) + (" …" if len(table.formulas) > 10 else "")
        raise FileRejected(f"Berkas berisi rumus di sel {cells}. Salin lalu tempel sebagai nilai "
                           "(Paste Special › Values) sebelum mengunggah.")
    header = [h for h in table.header if h]
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("kolom wajib tidak ada: " + ", ".join(missing))
        if unknown:
            parts.append("kolom tidak dikenal: " + ", ".join(unknown))
        where = f" (lembar '{table.sheet}')" if table.sheet else ""
        raise FileRejected(f"Judul kolom tidak sesuai templat{where}: {'; '.join(parts)}. {template_hint}")
    table.rows = [r for r in table.rows if r.values.get("nomor_referensi", "").upper() != EXAMPLE_MARK]
    if not table.rows:
        raise FileRejected("Tidak ada baris aduan di berkas (baris contoh tidak dihitung).")
    if len(table.rows) > limit:
        raise FileRejected(f"Berkas berisi {len(table.rows)} baris aduan; maksimal {limit} per unggahan "
                           "(batas SP4N-LAPOR!). Bagi menjadi beberapa berkas.")
    return table


def _entry_from_row(values: dict[str, str], ref: Reference) -> tuple[ManualComplaintIn | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    data: dict[str, Any] = {}
    for column, name in COLUMNS.items():
        value = (values.get(column) or "").strip()
        if column in ("rahasia", "anonim"):
            if value.lower() not in YES | NO:
                problems.append((column, f"isi 'ya' atau 'tidak', bukan '{value}'"))
            data[name] = value.lower() in YES
        elif column == "tanggal_diterima":
            if value:
                try:
                    data[name] = parse_id_datetime(value, ref.settings.tz)
                except ValueError as exc:
                    problems.append((column, f"{exc}; contoh 2026-11-23 09:00 atau 23 November 2026 09:00"))
        elif column == "klasifikasi":
            normalised = "_".join(value.lower().split()) or Classification.pengaduan.value
            if normalised not in Classification.__members__:
                problems.append((column, "pilih pengaduan, aspirasi atau permintaan_informasi"))
            else:
                data[name] = normalised
        elif column == "kanal":
            data[name] = value.lower() or "manual"
        elif value:
            data[name] = value
    for column in REQUIRED_COLUMNS:
        if not (values.get(column) or "").strip():
            problems.append((column, "wajib diisi"))
    if problems:
        return None, problems
    try:
        return ManualComplaintIn(**data), []
    except Exception as exc:  # pydantic ValidationError: lengths and ranges
        return None, [(FIELD_COLUMN.get(str(err["loc"][0]), str(err["loc"][0])), _pesan(err))
                      for err in exc.errors()]


def _pesan(err: dict) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "string_too_short":
        return f"terlalu pendek (minimal {ctx.get('min_length')} karakter)"
    if err["type"] == "string_too_long":
        return f"terlalu panjang (maksimal {ctx.get('max_length')} karakter)"
    if err["type"] == "control_character":
        return err["msg"]
    return "nilai tidak valid"


def row_external_id(values: dict[str, str]) -> str:
    """Re-uploading the same row finds the same complaint: a register number, or the row's content."""
    reference = (values.get("nomor_referensi") or "").strip()
    if reference:
        return f"ref:{reference}"
    blob = "|".join(" ".join((values.get(c) or "").split()).lower()
                    for c in ("judul", "isi", "tanggal_diterima", "nama_pelapor", "kontak_pelapor"))
    return "row:" + hashlib.sha256(blob.encode()).hexdigest()[:32]


def import_batch(session: Session, content: bytes, settings: Settings, actor: str,
                 partial: bool = False, entered_by: str | None = None) -> ImportResult:
    """Validate every row, then write all (or, with `partial`, the good ones) in one transaction."""
    table = read_batch(content, settings)
    ref = Reference(session, settings)
    now = datetime.now(UTC)
    tracking_codes = _tracking_codes(session, table)
    result = ImportResult(rows=len(table.rows), valid=0, partial=partial)
    checked: list[tuple[int, dict, ManualComplaintIn, ComplaintDraft]] = []
    first_row_of: dict[tuple[str, str], int] = {}
    for row in table.rows:
        entry, problems = _entry_from_row(row.values, ref)
        draft = None
        if entry is not None:
            draft, field_problems = check_entry(entry, ref, now)
            problems = [(FIELD_COLUMN.get(f, f), m) for f, m in field_problems]
        reference = (row.values.get("nomor_referensi") or "").strip()
        if reference.upper() in tracking_codes:
            problems.append(("nomor_referensi", f"aduan {reference.upper()} sudah ada di sistem; jangan diimpor ulang"))
        if draft is not None and not problems:
            draft.external_id = row_external_id(row.values)
            key = (entry.channel, draft.external_id)
            if key in first_row_of:
                problems.append(("nomor_referensi" if reference else "judul",
                                 f"baris ini sama dengan baris {first_row_of[key]}"))
            first_row_of.setdefault(key, row.number)
        if problems:
            result.errors.extend(Problem(row.number, column, message) for column, message in problems)
        else:
            checked.append((row.number, row.values, entry, draft))

    existing = _existing(session, [(e.channel, d.external_id) for _, _, e, d in checked])
    good: list[tuple[int, dict, ManualComplaintIn, ComplaintDraft]] = []
    for number, values, entry, draft in checked:
        before = existing.get((entry.channel, draft.external_id))
        if before is not None:
            if entry.received_at is None:  # an undated row: it was received when first uploaded
                draft.received_at = before.received_at
            if before.content_hash != draft.content_hash():
                column = "nomor_referensi" if values.get("nomor_referensi") else "judul"
                message = (f"sudah pernah diimpor sebagai {before.tracking_code} dengan isian berbeda; "
                           "ubah di aplikasi, bukan lewat unggahan")
                result.errors.append(Problem(number, column, message))
                continue
        good.append((number, values, entry, draft))
    result.valid = len(good)
    result.errors.sort(key=lambda p: p.row or 0)
    if result.errors and (not partial or not good):
        return result
    fresh: dict[str, list[tuple[ComplaintDraft, dict]]] = {}
    for number, values, entry, draft in good:
        before = existing.get((entry.channel, draft.external_id))
        if before is not None:
            result.complaints.append(RowResult(number, before.tracking_code, "unchanged"))
            result.unchanged += 1
        else:
            fresh.setdefault(entry.channel, []).append((draft, values))
            result.complaints.append(RowResult(number, tracking_code(entry.channel, draft.external_id), "new"))
            result.written += 1
    failed = [v.error for channel, entries in fresh.items()
              for v in _write(session, channel, entries, settings, actor, entered_by) if v.outcome == "failed"]
    if failed:  # reference data changed under us: nothing of this batch stays
        session.rollback()
        result.written = result.unchanged = 0
        result.complaints = []
        result.errors.append(Problem(None, "-", f"gagal menyimpan: {failed[0]}"))
        return result
    session.commit()
    result.committed = True
    return result


def _existing(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Complaint]:
    found: dict[tuple[str, str], Complaint] = {}
    for channel in {c for c, _ in keys}:
        ids = [e for c, e in keys if c == channel]
        for complaint in session.exec(select(Complaint).where(Complaint.channel == channel,
                                                              Complaint.external_id.in_(ids))).all():
            found[(channel, complaint.external_id)] = complaint
    return found


def _tracking_codes(session: Session, table: Table) -> set[str]:
    references = {(r.values.get("nomor_referensi") or "").strip().upper() for r in table.rows} - {""}
    if not references:
        return set()
    return set(session.exec(select(Complaint.tracking_code).where(Complaint.tracking_code.in_(references))).all())
