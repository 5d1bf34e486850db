"""Topics, spikes and issues (issue #22): what the worker's trends job stored, under the caller's scope.

Every role reads them (aggregates); an opd_admin sees its own OPD's complaints only, a viewer gets topics
without example complaints. They take the usual complaint filters.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ReadSessionDep, SettingsDep
from api.filters import AccessDep, FilterDep
from core.reporting.filters import Day
from core.trends.queries import issues_view, spikes_view, topics_view

router = APIRouter(prefix="/trends", tags=["trends"])


class NameCount(BaseModel):
    name: str
    count: int


class OpdCount(BaseModel):
    code: str
    name: str
    count: int


class ChannelCount(BaseModel):
    channel: str
    label: str = Field(description="Nama kanal untuk tampilan")
    count: int


class Example(BaseModel):
    tracking_code: str
    text: str = Field(description="Judul dan isi, disamarkan seperti di tempat lain; aduan rahasia tidak pernah "
                                  "menjadi contoh (kecuali untuk admin)")
    channel: str
    received_at: datetime


class DayCount(BaseModel):
    date: date
    count: int


class ComplaintQuery(BaseModel):
    q: str = Field(description="Kata kunci untuk Jelajah (GET /complaints?q=…)")


class Topic(BaseModel):
    id: int
    label: str = Field(description="3 kata kunci teratas, dipisah ' · '")
    keywords: list[str] = Field(description="Kata kunci teratas (hingga 5), terkuat dahulu")
    count: int = Field(description="Aduan periode ini dalam topik (sesuai cakupan dan filter pemanggil)")
    previous_count: int = Field(description="Aduan periode sebelumnya dalam topik yang sama")
    trend_ratio: float | None = Field(description="count / previous_count; null bila periode sebelumnya 0")
    top_kecamatan: list[NameCount]
    top_opd: list[OpdCount]
    channels: list[ChannelCount]
    examples: list[Example] = Field(description="Kosong untuk peran viewer")
    series: list[DayCount] = Field(description="Aduan per hari lokal dalam periode")
    complaint_filter: ComplaintQuery


class Topics(BaseModel):
    period: Literal["week", "month"]
    start: date
    end: date
    computed_at: datetime | None = Field(description="Kapan topik periode ini dihitung worker; null: belum")
    method: str
    topics: list[Topic]


class Spike(BaseModel):
    id: int
    kind: Literal["category_kecamatan", "topic"]
    label: str = Field(description="mis. 'Bencana dan kedaruratan di Kanigoro' atau 'banjir di Kanigoro'")
    category_code: str | None
    category_name: str | None
    kecamatan: str | None
    topic_id: int | None
    window: Literal["day", "week"]
    period_start: date
    period_end: date
    count: int
    expected: float = Field(description="Garis dasar musiman (rata-rata hari/minggu yang sama sebelumnya)")
    ratio: float = Field(description="count / expected")
    score: float = Field(description="-log10 p (uji ekor atas Poisson): makin besar makin tidak biasa")
    channels: list[ChannelCount]
    first_seen_at: datetime
    notified_at: datetime | None = Field(description="Kapan admin Kominfo diberi tahu (sekali per lonjakan)")


class Spikes(BaseModel):
    computed_at: datetime | None
    method: str
    spikes: list[Spike]


class Issue(BaseModel):
    tracking_code: str = Field(description="Kode aduan induk kelompok duplikat")
    title: str
    kecamatan: str | None
    count: int = Field(description="Aduan dalam kelompok (induk + duplikat yang digabung)")
    channels: list[ChannelCount]
    reporters: int = Field(description="Pelapor berbeda")
    status: str
    opd: str | None


class Issues(BaseModel):
    issues: list[Issue]


@router.get("/topics", response_model=Topics)
def topics(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
           period: Annotated[Literal["week", "month"], Query(description="Minggu (Senin–Minggu) atau bulan")] = "week",
           end: Annotated[Day | None, Query(description="Tanggal dalam periode (YYYY-MM-DD); bawaan: hari ini")]
           = None) -> dict[str, Any]:
    """Topics of the week or month holding `end`, counted under the caller's scope and filters."""
    return topics_view(session, settings, period=period, end=end, access=access, filt=filt)


@router.get("/spikes", response_model=Spikes)
def spikes(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
           window: Annotated[Literal["day", "week"] | None, Query(description="Hari atau minggu; bawaan: keduanya")]
           = None,
           limit: Annotated[int | None, Query(ge=1, le=500)] = None) -> dict[str, Any]:
    """Spikes of the current day and week, most unusual first (filters: kecamatan, category, channel)."""
    return spikes_view(session, settings, window=window, limit=limit, access=access, filt=filt)


@router.get("/issues", response_model=Issues)
def issues(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
           limit: Annotated[int, Query(ge=1, le=500)] = 20) -> dict[str, Any]:
    """Merged duplicate groups as issues, biggest first: place, count, channels, reporters."""
    return issues_view(session, settings, limit=limit, access=access, filt=filt)
