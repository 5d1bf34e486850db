"""Rapor per OPD for a period, as JSON, XLSX and PDF."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from api.deps import ReadSessionDep, SettingsDep
from api.filters import AccessDep, field_error
from core.identity.access import Access
from core.intake.channels import known_channels
from core.reporting.filters import Day
from core.reporting.rapor import build_rapor, rapor_pdf, rapor_xlsx
from models import Role
from models.types import utcnow

router = APIRouter(tags=["rapor"])


class Satisfaction(BaseModel):
    asked: int = Field(description='complaints whose reporter was asked "sudah beres?" after completion')
    sudah: int = Field(description='answered "1 Sudah"')
    belum: int = Field(description='answered "2 Belum" (the complaint was reopened)')
    pct: float | None = Field(description="sudah / (sudah + belum), one decimal; null when nobody answered")


class RaporRow(BaseModel):
    opd_code: str | None
    opd_name: str
    total: int = Field(description="complaints received in the period, rejected/archived excluded")
    resolved: int
    in_progress: int = Field(description="proses: being handled")
    postponed: int = Field(description="tertunda: handling postponed (its own column, not part of proses)")
    not_followed_up: int
    unverified: int
    completion_pct: float | None
    avg_followup_days: float | None
    predikat: str | None
    reopened: int = Field(0, description="times the complaints were reopened (by the reporter's \"belum\" or staff)")
    satisfaction: Satisfaction = Field(default_factory=lambda: Satisfaction(asked=0, sudah=0, belum=0, pct=None))


class Rapor(BaseModel):
    period_start: date
    period_end: date
    days: str
    channel: str | None = Field(description="the one channel counted, or null for all channels")
    opd_scoped: bool = Field(description="true when the rapor is one OPD's (opd_admin): `total` is then that OPD")
    rows: list[RaporRow]
    total: RaporRow
    generated_at: datetime
    merged_children: int = Field(0, description="duplicates merged into another complaint in the period: left out, "
                                                "their group counted once as its parent")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rapor(session, settings, access: Access, period_start: date | None, period_end: date | None,
           days: str, channel: str | None) -> dict[str, Any]:
    today = utcnow().astimezone(settings.tz).date()
    start = period_start or (period_end or today).replace(day=1)
    end = period_end or today
    if end < start:
        raise field_error("period_end", "period_end harus sama dengan atau setelah period_start")
    if channel is not None and channel not in {c["code"] for c in known_channels(session)}:
        raise field_error("channel", f"kanal tidak dikenal: {channel!r}")
    opd_id = access.opd_id if access.role is Role.opd_admin else None
    return build_rapor(session, settings, start, end, days, scope=access.scope(), channel=channel,
                       scope_opd_id=opd_id, access=access)


Start = Annotated[Day | None, Query(description="Awal periode (default: awal bulan ini)")]
End = Annotated[Day | None, Query(description="Akhir periode, inklusif (default: hari ini)")]
Days = Annotated[Literal["working", "calendar"], Query(description="Rata-rata dalam hari kerja atau kalender")]
Channel = Annotated[str | None, Query(description="Hanya aduan dari kanal ini (kode kanal, lihat /channels)",
                                      max_length=32)]


@router.get("/rapor", response_model=Rapor)
def rapor(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, period_start: Start = None,
          period_end: End = None, days: Days = "working", channel: Channel = None) -> dict[str, Any]:
    """One row per OPD plus the total row; predikat from `ADUAN_PREDIKAT_THRESHOLDS`."""
    return _rapor(session, settings, access, period_start, period_end, days, channel)


def _filename(data: dict[str, Any], ext: str) -> dict[str, str]:
    kanal = f"-{data['channel']}" if data.get("channel") else ""
    name = f"rapor-{data['period_start']:%Y%m%d}-{data['period_end']:%Y%m%d}{kanal}.{ext}"
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get("/rapor.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def rapor_as_xlsx(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, period_start: Start = None,
                  period_end: End = None, days: Days = "working", channel: Channel = None) -> Response:
    data = _rapor(session, settings, access, period_start, period_end, days, channel)
    return Response(rapor_xlsx(data, settings), media_type=XLSX, headers=_filename(data, "xlsx"))


@router.get("/rapor.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def rapor_as_pdf(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, period_start: Start = None,
                 period_end: End = None, days: Days = "working", channel: Channel = None) -> Response:
    data = _rapor(session, settings, access, period_start, period_end, days, channel)
    return Response(rapor_pdf(data, settings), media_type="application/pdf", headers=_filename(data, "pdf"))
