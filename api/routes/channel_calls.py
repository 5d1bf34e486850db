"""`GET /stats/calls`: contacts counted per day and type (112 normal/informasi/ghost/prank)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import SessionDep, SettingsDep
from api.filters import AccessDep
from core.reporting.channel_calls import calls_per_day
from core.reporting.filters import Moment

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
