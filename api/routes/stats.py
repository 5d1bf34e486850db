"""Aggregates for the dashboard; every endpoint takes the complaint filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import ReadSessionDep, SettingsDep
from api.filters import AccessDep, FilterDep
from core.reporting.freshness import channel_freshness
from core.reporting.stats import Stats

router = APIRouter(prefix="/stats", tags=["stats"])

DaysParam = Annotated[Literal["working", "calendar"],
                      Query(description="Follow-up days counted as working days (default) or calendar days")]


class GroupItem(BaseModel):
    key: str | None
    label: str
    total: int
    open: int
    resolved: int
    overdue: int
    completion_pct: float | None
    avg_followup_days: float | None


class KecamatanItem(GroupItem):
    lat: float | None
    lon: float | None


class GroupList(BaseModel):
    items: list[GroupItem]


class Buckets(BaseModel):
    selesai: int
    proses: int
    tertunda: int
    belum_ditindaklanjuti: int
    belum_terverifikasi: int


class Summary(BaseModel):
    total: int
    open: int
    overdue: int
    by_status: dict[str, int]
    by_bucket: Buckets
    completion_pct: float | None = Field(description="resolved / (total − rejected − archived), one decimal")
    avg_followup_days: float | None = Field(description="mean days from receipt to first OPD response")
    new_today: int
    new_this_week: int
    new_this_month: int
    latest_received_at: datetime | None
    generated_at: datetime
    days: str
    merged_children: int = Field(0, description="duplicates merged into another complaint: left out of every "
                                                "figure, their group counted once as its parent")


class Period(BaseModel):
    period: str = Field(description="local start of the day / week (Monday) / month, YYYY-MM-DD")
    total: int = Field(description="complaints received in the period")
    resolved: int = Field(description="complaints resolved in the period")


class Timeseries(BaseModel):
    bucket: str
    items: list[Period]


class Distribution(BaseModel):
    median_days: float | None
    p90_days: float | None
    n: int


class ResponseTimes(BaseModel):
    days: str
    first_response: Distribution
    resolution: Distribution
    answered_within_3_working_days_pct: float | None = Field(
        description="answered by the response deadline, of those answered or past it")
    response_deadline_working_days: int
    answered_within_24_hours_pct: float | None
    resolved_within_3_days_pct: float | None


class Ratings(BaseModel):
    distribution: dict[str, int]
    n: int
    reply_rate_pct: float | None
    average: float | None


class KecamatanList(BaseModel):
    items: list[KecamatanItem]


class ChannelAge(BaseModel):
    channel: str
    label: str
    latest_received_at: datetime | None = Field(description="newest complaint of the channel (UTC); null: none yet")
    age_seconds: int | None = Field(description="seconds since `latest_received_at`")
    stale_after_hours: float = Field(description="the channel's ADUAN_CHANNEL_STALE_HOURS")
    stale: bool = Field(description="true when the age is past `stale_after_hours`")


class Freshness(BaseModel):
    generated_at: datetime
    latest_received_at: datetime | None = Field(description="newest complaint of the whole kabupaten (UTC)")
    items: list[ChannelAge]


def _stats(session, settings, filt, access, days="working") -> Stats:
    return Stats(session, filt, access, settings.tz, days)


@router.get("/summary", response_model=Summary)
def summary(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
            days: DaysParam = "working") -> dict[str, Any]:
    """Counts per status and rapor bucket, completion %, average follow-up days, overdue, new today/week/month."""
    return _stats(session, settings, filt, access, days).summary()


@router.get("/by-channel", response_model=GroupList)
def by_channel(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
               days: DaysParam = "working") -> dict[str, Any]:
    return {"items": _stats(session, settings, filt, access, days).by_channel()}


@router.get("/by-opd", response_model=GroupList)
def by_opd(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
           days: DaysParam = "working") -> dict[str, Any]:
    return {"items": _stats(session, settings, filt, access, days).by_opd()}


@router.get("/by-category", response_model=GroupList)
def by_category(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
                days: DaysParam = "working",
                level: Annotated[Literal["top", "leaf"], Query(description="Roll up to top-level categories")]
                = "top") -> dict[str, Any]:
    return {"items": _stats(session, settings, filt, access, days).by_category(level)}


@router.get("/by-kecamatan", response_model=KecamatanList)
def by_kecamatan(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
                 days: DaysParam = "working") -> dict[str, Any]:
    return {"items": _stats(session, settings, filt, access, days).by_kecamatan()}


@router.get("/timeseries", response_model=Timeseries)
def timeseries(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
               bucket: Annotated[Literal["day", "week", "month"], Query()] = "day") -> dict[str, Any]:
    """Complaints received and resolved per local day / week (Monday) / month."""
    return {"bucket": bucket, "items": _stats(session, settings, filt, access).timeseries(bucket)}


@router.get("/response-times", response_model=ResponseTimes)
def response_times(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep,
                   days: DaysParam = "working") -> dict[str, Any]:
    """Median and p90 days to first response and to resolution; share answered within the deadline."""
    return _stats(session, settings, filt, access, days).response_times(settings.response_days)


@router.get("/ratings", response_model=Ratings)
def ratings(session: ReadSessionDep, settings: SettingsDep, access: AccessDep, filt: FilterDep) -> dict[str, Any]:
    """Star-rating distribution (e.g. `channel=google_reviews`), reply rate and average."""
    return _stats(session, settings, filt, access).ratings()


@router.get("/freshness", response_model=Freshness)
def freshness(session: ReadSessionDep, settings: SettingsDep, _access: AccessDep) -> dict[str, Any]:
    """Age of the newest complaint per channel, kabupaten-wide for every role (timestamps only, no counts):
    a stopped feed is a property of the channel, not of the OPD reading it. Ignores the complaint filters."""
    return channel_freshness(session, settings)
