"""112 call-centre CAD exports (docs/wire-formats.md): CSV or XLSX, one row per call.

Dates (`20 Agustus 2021 07:15`) and coordinates (`LatLng(-7.03, 113.77)`) are parsed strictly: a
value that does not fit is an error on that row and column, never a guess. Every valid call is
counted per day and type (a `CallTally`); `normal` and `informasi` calls also become complaints,
`ghost` and `prank` calls do not. `kategori`/`opd` go through mapping tables in the instance config;
core matches `kecamatan` against the kabupaten's regions or, failing that, takes the nearest to `lat_long`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from connectors.base import CallTally, ComplaintDraft, DraftEvent, FileConnector, Lifecycle, NormaliseError, Skip
from core.reference.id_dates import parse_id_datetime
from models.enums import Classification, EventKind, Status

CHANNEL = "call112"
COLUMNS = ("id", "tanggal_terima", "tanggal_selesai", "nama_pelapor", "no_telp_pelapor", "kejadian", "alamat",
           "desa", "kecamatan", "lat_long", "kategori", "opd", "jenis_panggilan", "keterangan")
REQUIRED_COLUMNS = ("id", "tanggal_terima", "jenis_panggilan")
CALL_TYPES = ("normal", "informasi", "ghost", "prank")
NOT_COMPLAINTS = ("ghost", "prank")

_LATLNG = re.compile(r"^LatLng\(\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*\)$")
INDONESIA = ((-11.5, 6.5), (94.5, 141.5))  # lat, lon bounds: catches swapped or zeroed coordinates

DEFAULT_CATEGORY_MAP = {
    "kesehatan": "KESEHATAN", "kebakaran": "KEBAKARAN", "kecelakaan": "TRANSPORTASI",
    "keamanan": "TRANTIB", "ketertiban": "TRANTIB", "bencana": "BENCANA", "banjir": "BENCANA",
    "tanah longsor": "BENCANA", "pohon tumbang": "BENCANA", "infrastruktur": "INFRA", "lainnya": "LAINNYA",
}
DEFAULT_OPD_MAP: dict[str, str | None] = {
    "dinkes": "DINKES", "dinas kesehatan": "DINKES", "psc 119": "DINKES", "damkar": "DAMKAR",
    "pemadam kebakaran": "DAMKAR", "dishub": "DISHUB", "satpol pp": "SATPOLPP", "satpolpp": "SATPOLPP",
    "bpbd": "BPBD", "rsud": "RSUD-NGUDI", "dinsos": "DINSOS", "dpupr": "DPUPR",
    "polres": None,  # not a pemda OPD: the category's default OPD follows up, unless configured
}


class Call112Config(BaseModel):
    folder: str | None = Field(None, description="Watched folder: new *.csv / *.xlsx files are imported")
    url: str | None = Field(None, description="HTTP(S) address serving the latest export")
    token: str | None = Field(None, description="Bearer token for the HTTP source")
    category_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CATEGORY_MAP),
                                         description="kategori (lower case) → category code")
    opd_map: dict[str, str | None] = Field(default_factory=lambda: dict(DEFAULT_OPD_MAP),
                                           description="opd (lower case) → OPD code, or null for none")
    default_category: str | None = Field("LAINNYA", description="Category of an unmapped kategori")


class RowInvalid(NormaliseError):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{column}: {message}" for column, message in problems))
        self.problems = problems


@dataclass
class Call:
    external_id: str
    received_at: datetime
    finished_at: datetime | None
    call_type: str
    lat: float | None
    lon: float | None


def parse_latlng(value: str) -> tuple[float, float]:
    match = _LATLNG.match(value.strip())
    if not match:
        raise ValueError(f"koordinat '{value}' tidak sesuai format LatLng(-7.03, 113.77)")
    lat, lon = float(match.group(1)), float(match.group(2))
    (lat_min, lat_max), (lon_min, lon_max) = INDONESIA
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        raise ValueError(f"koordinat '{value}' di luar wilayah Indonesia (lintang/bujur tertukar?)")
    return lat, lon


class Call112Connector(FileConnector):
    name: ClassVar[str] = "call112"
    channel: ClassVar[str] = CHANNEL
    Config: ClassVar[type[BaseModel]] = Call112Config
    secret_fields: ClassVar[tuple[str, ...]] = ("token",)
    resolves_kecamatan: ClassVar[bool] = True
    primary_key: ClassVar[str] = "id"
    # A re-import of an edited row keeps what staff recorded on a non-emergency (resolved, postponed…);
    # emergencies (ladder_exempt) always take the CAD's status.
    keeps_handled_status: ClassVar[bool] = True
    # Emergencies are the CAD's from call to `tanggal_selesai`; street lights, roads… follow our ladder.
    lifecycle: ClassVar[Lifecycle] = Lifecycle(
        first_response="penanganan di CAD 112 (darurat) atau tindak lanjut OPD", closes="tanggal_selesai di CAD 112 "
        "(darurat) atau OPD menandai selesai",
        ladder_exempt=frozenset({"KEBAKARAN", "KESEHATAN", "BENCANA", "TRANTIB", "TRANSPORTASI"}))

    config: Call112Config

    # --- validation (pure) ---------------------------------------------------------------------
    def parse_call(self, row: dict[str, Any], tz: ZoneInfo | None = None) -> Call:
        """Every problem of the row at once, by column, or the parsed call."""
        tz = tz or self.context.tz
        problems: list[tuple[str, str]] = []
        external_id = str(row.get("id") or "").strip()
        if not external_id:
            problems.append(("id", "wajib diisi"))
        received = finished = None
        try:
            if not str(row.get("tanggal_terima") or "").strip():
                raise ValueError("wajib diisi")
            received = parse_id_datetime(str(row["tanggal_terima"]), tz)
        except ValueError as exc:
            problems.append(("tanggal_terima", str(exc)))
        if str(row.get("tanggal_selesai") or "").strip():
            try:
                finished = parse_id_datetime(str(row["tanggal_selesai"]), tz)
                if received and finished < received:
                    problems.append(("tanggal_selesai", "lebih awal dari tanggal_terima"))
            except ValueError as exc:
                problems.append(("tanggal_selesai", str(exc)))
        call_type = str(row.get("jenis_panggilan") or "").strip().lower()
        if call_type not in CALL_TYPES:
            shown = f"'{row.get('jenis_panggilan')}'" if call_type else "kosong"
            problems.append(("jenis_panggilan", f"{shown}; harus salah satu dari {', '.join(CALL_TYPES)}"))
        lat = lon = None
        if str(row.get("lat_long") or "").strip():
            try:
                lat, lon = parse_latlng(str(row["lat_long"]))
            except ValueError as exc:
                problems.append(("lat_long", str(exc)))
        if problems:
            raise RowInvalid(problems)
        return Call(external_id, received, finished, call_type, lat, lon)

    def problems(self, row: dict[str, Any]) -> list[tuple[str, str]]:
        try:
            self.parse_call(row)
        except RowInvalid as exc:
            return exc.problems
        return []

    def category_code(self, row: dict[str, Any]) -> tuple[str | None, bool]:
        """(category code, mapped?) for the row's kategori."""
        kategori = str(row.get("kategori") or "").strip().lower()
        if kategori in self.config.category_map:
            return self.config.category_map[kategori], True
        return self.config.default_category, not kategori

    def opd_code(self, row: dict[str, Any]) -> tuple[str | None, bool]:
        opd = str(row.get("opd") or "").strip().lower()
        if opd in self.config.opd_map:
            return self.config.opd_map[opd], True
        return None, not opd

    # --- normalisation -------------------------------------------------------------------------
    def normalise(self, payload: Any) -> list[CallTally | ComplaintDraft | Skip]:
        call = self.parse_call(payload)
        tally = CallTally(external_id=call.external_id, call_type=call.call_type, received_at=call.received_at,
                          kecamatan=str(payload.get("kecamatan") or "").strip() or None, lat=call.lat, lon=call.lon)
        if call.call_type in NOT_COMPLAINTS:
            return [tally, Skip(f"panggilan {call.call_type}", {"call_type": call.call_type})]
        return [tally, self._draft(payload, call)]

    def _draft(self, row: dict[str, Any], call: Call) -> ComplaintDraft:
        text = lambda key: str(row.get(key) or "").strip() or None  # noqa: E731
        kejadian = text("kejadian")
        kategori = text("kategori")
        title = (kejadian or f"Panggilan 112: {kategori or 'tanpa kategori'}").splitlines()[0]
        title = title if len(title) <= 120 else title[:120].rsplit(" ", 1)[0] + "…"
        body = "\n".join(p for p in (kejadian, f"Keterangan: {text('keterangan')}" if text("keterangan") else None)
                         if p)
        category, _ = self.category_code(row)
        opd, _ = self.opd_code(row)
        events = []
        status = Status.dispatched
        if call.finished_at:
            status = Status.resolved
            events.append(DraftEvent(external_id="selesai", at=call.finished_at, kind=EventKind.message_out,
                                     actor=text("opd") or "112", is_opd_response=True,
                                     note=text("keterangan") or "Penanganan panggilan 112 selesai"))
        return ComplaintDraft(
            external_id=call.external_id, title=title, body=body, received_at=call.received_at,
            classification=Classification.permintaan_informasi if call.call_type == "informasi"
            else Classification.pengaduan,
            status=status, category_code=category, opd_code=opd, reporter_name=text("nama_pelapor"),
            reporter_contact=text("no_telp_pelapor"), location_text=text("alamat"), desa=text("desa"),
            kecamatan=text("kecamatan"), lat=call.lat, lon=call.lon,
            verified_at=call.received_at, dispatched_at=call.received_at, resolved_at=call.finished_at,
            events=events)
