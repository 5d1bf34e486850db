"""Public, no log-in: a complaint's progress by its tracking code, and the kabupaten's figures.

What may and may never be shown is decided in core.reporting.public (docs/domain.md, "What is public").
Every route here is rate-limited per client address (api.ratelimit, ADUAN_PUBLIC_RATE_PER_MINUTE).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import ReadSessionDep, SettingsDep
from api.filters import field_error
from api.responses import problem
from api.routes.rapor import Rapor
from api.routes.stats import GroupItem, KecamatanItem
from core.reporting import public

router = APIRouter(prefix="/public", tags=["public"])

RATE_LIMITED = {429: problem("too many requests from this address (ADUAN_PUBLIC_RATE_PER_MINUTE); try again "
                             "after Retry-After seconds")}
# Browsers and shared caches may keep an answer this long: a page reload within it costs the API nothing.
CACHE_SECONDS = 30


class TimelineItem(BaseModel):
    at: datetime
    kind: Literal["received", "status", "answer", "verify", "dispatch", "respond", "postpone", "resolve", "reject",
                  "merge", "reopen"] = Field(description="received; status (a step the upstream took); answer (an "
                                                         "upstream's agency reply); or the workflow action")
    label: str = Field(description="the step in Bahasa Indonesia")
    text: str | None = Field(description="the OPD's public answer, the OPD it went to, or a rejection's reason; "
                                         "null when there is nothing to show")
    by: str = Field(description='who, never a name: "OPD", "Admin", "Pelapor", "Sistem" or the channel')


class PublicComplaint(BaseModel):
    tracking_code: str
    status: str
    status_label: str
    channel_label: str
    opd_name: str | None
    category_name: str | None
    kecamatan: str | None
    received_at: datetime
    verified_at: datetime | None
    dispatched_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    response_due_at: datetime | None = Field(description="the OPD's first-response deadline")
    resolution_due_at: datetime | None = Field(description="the completion deadline of its SLA tier")
    title: str | None = Field(description="null while unverified, when rejected or archived, and when rahasia")
    body: str | None = Field(description="null while unverified, when rejected or archived, and when rahasia")
    text_note: str | None = Field(description="why title and body are not shown (a sentence), or null")
    reject_reason_label: str | None
    merged_into: str | None = Field(description="tracking code of the complaint this duplicate was merged into")
    timeline: list[TimelineItem]


class MonthFigures(BaseModel):
    month: str = Field(description="YYYY-MM, local")
    period_start: date
    received: int = Field(description="complaints received in the month (merged duplicates counted once)")
    counted: int = Field(description="of those, the ones a rapor counts (rejected and archived left out)")
    resolved: int = Field(description="of those counted, resolved by now")
    completion_pct: float | None = Field(description="resolved / counted, one decimal: the month's rapor figure")
    avg_followup_days: float | None


class FiguresSummary(BaseModel):
    received: int
    open: int
    resolved: int
    completion_pct: float | None
    avg_followup_days: float | None
    merged_children: int


class PublicFigures(BaseModel):
    generated_at: datetime
    pemda_name: str
    months: int
    period_start: date
    period_end: date
    summary: FiguresSummary
    by_month: list[MonthFigures]
    rapor: Rapor = Field(description="the rapor per OPD of the last complete month: the same as GET /api/v1/rapor "
                                     "for that period")
    by_channel: list[GroupItem]
    by_kecamatan: list[KecamatanItem]


class FiguresCache:
    """The figures are the same for everyone and cost a few aggregate scans: one count per
    ADUAN_PUBLIC_FIGURES_CACHE_SECONDS serves every visitor (one per application, i.e. per API process). A burst
    of visitors after it expires waits for one count, not one each."""

    _created = threading.Lock()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, tuple[float, dict[str, Any]]] = {}

    @classmethod
    def of(cls, request: Request) -> FiguresCache:
        with cls._created:
            if not hasattr(request.app.state, "public_figures"):
                request.app.state.public_figures = cls()
        return request.app.state.public_figures

    def get(self, months: int, ttl: float, count: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if ttl <= 0:
            return count()
        with self._lock:
            hit = self._entries.get(months)
            if hit is not None and time.monotonic() - hit[0] < ttl:
                return hit[1]
            value = count()
            self._entries[months] = (time.monotonic(), value)
            return value


@router.get("/complaints/{tracking_code}", response_model=PublicComplaint,
            responses={404: problem("no complaint has this tracking code"), **RATE_LIMITED})
def complaint_by_code(tracking_code: str, session: ReadSessionDep, settings: SettingsDep,
                      response: Response) -> dict[str, Any]:
    """A complaint's status, OPD, dates and public timeline. Never the reporter, never the text of a complaint
    that is unverified, rejected, archived or rahasia, never the names of staff."""
    code = public.normalise_code(tracking_code)
    if code is None:
        raise field_error("tracking_code", "kode aduan tidak valid: 3–40 karakter berupa huruf, angka, '-' atau '_'",
                          where="path")
    found = public.public_complaint(session, settings, code)
    if found is None:
        raise HTTPException(404, "kode aduan tidak ditemukan")
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return found


@router.get("/figures", response_model=PublicFigures, responses=RATE_LIMITED)
def figures(request: Request, session: ReadSessionDep, settings: SettingsDep, response: Response,
            months: Annotated[int, Query(ge=1, le=public.MAX_MONTHS,
                                         description="Months back, this month included")] = 12) -> dict[str, Any]:
    """The kabupaten's figures: by month, by OPD (the rapor of the last complete month, with predikat), by
    channel and by kecamatan (with the centroid for the map). Counted at most once per
    ADUAN_PUBLIC_FIGURES_CACHE_SECONDS (`generated_at` says when)."""
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return FiguresCache.of(request).get(months, settings.public_figures_cache_seconds,
                                        lambda: public.public_figures(session, settings, months))
