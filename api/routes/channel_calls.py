"""`GET /stats/calls`: contacts counted per day and type (112 normal/informasi/ghost/prank);
`GET /stats/calls/handling-time`: minutes from receipt to finish of the emergencies handled in the CAD."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import SessionDep, SettingsDep
from api.filters import AccessDep, FilterDep
from core.intake.lifecycles import lifecycle_of
from core.reporting.channel_calls import calls_per_day, handling_minutes
from core.reporting.filters import Moment
from models.types import utcnow

router = APIRouter(tags=["stats"])


class CallCount(BaseModel):
    day: str
    call_type: str
    count: int


class CallStats(BaseModel):
    items: list[CallCount]
    totals: dict[str, int]


@router.get("/stats/calls", response_model=CallStats)
def call_stats(session: SessionDep, settings: SettingsDep, access: AccessDep,
               channel: Annotated[list[str] | None, Query()] = None,
               call_type: Annotated[list[str] | None, Query()] = None,
               kecamatan: Annotated[list[str] | None, Query()] = None,
               received_from: Moment | None = None,
               received_to: Moment | None = None) -> CallStats:
    """Counts per local day (Asia/Jakarta) and call type; `received_to` as a date is inclusive."""
    return CallStats(**calls_per_day(session, settings.tz, channel or ["call112"], received_from, received_to,
                                     call_type, kecamatan, scope=access.tally_scope()))


class HandlingTime(BaseModel):
    n: int = Field(description="emergency complaints resolved (received in the period)")
    median_minutes: float | None
    p90_minutes: float | None = Field(description="90th percentile (nearest rank), minutes")


class CategoryHandlingTime(HandlingTime):
    category_code: str | None
    category_name: str


class HandlingTimes(BaseModel):
    items: list[CategoryHandlingTime] = Field(description="per category, most calls first")
    total: HandlingTime


@router.get("/stats/calls/handling-time", response_model=HandlingTimes)
def call_handling_time(session: SessionDep, settings: SettingsDep, access: AccessDep,
                       filt: FilterDep) -> HandlingTimes:
    """Minutes from receipt to finish (`tanggal_selesai`), median and p90 per category, of the resolved
    complaints the filter selects (default `channel=call112`) whose category the channel's upstream handles to
    the end (its `ladder_exempt` categories, `ADUAN_LADDER_EXEMPT`: the 112 emergencies)."""
    channels = filt.spec.channel or ["call112"]
    where = access.scope() + filt.clauses(utcnow(), search_rahasia=access.sees_rahasia)
    return HandlingTimes(**handling_minutes(session, where, {c: lifecycle_of(c, settings) for c in channels}))
