"""The weekly briefing for the Bupati and the Sekda, as PDF on demand (the worker sends it every Monday)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import SessionDep, SettingsDep
from api.filters import access_for, field_error
from core.identity.access import Access
from core.reporting.briefing import Week, build_briefing, filename, render_briefing_pdf
from core.trends.queries import spikes_view
from models import Role
from models.types import utcnow

router = APIRouter(tags=["rapor"])

SPIKES_ASKED = 12  # a day's and its week's spike of one place share a label: ask for more, the briefing keeps three

WeekQuery = Annotated[str | None, Query(description="Minggu ISO, misalnya 2026-W49 (bawaan: minggu lengkap terakhir)",
                                        max_length=16, examples=["2026-W49"])]


@router.get("/briefing.pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def briefing_pdf(session: SessionDep, settings: SettingsDep,
                 access: Annotated[Access, Depends(access_for(Role.admin, Role.analyst))],
                 week: WeekQuery = None) -> Response:
    """Ringkasan mingguan (paling banyak dua halaman): angka minggu itu dibanding minggu sebelumnya, tiga lonjakan
    terbesar, lima OPD paling lambat, isu yang selesai. Untuk analis dan admin."""
    now = utcnow()
    try:
        chosen = Week.parse(week) if week is not None else Week.last_complete(now, settings)
    except ValueError as exc:
        raise field_error("week", str(exc)) from None
    if chosen.start > now.astimezone(settings.tz).date():
        raise field_error("week", f"minggu {chosen.code} belum dimulai")
    spikes = spikes_view(session, settings, since=chosen.start, until=chosen.end, limit=SPIKES_ASKED,
                         access=access)["spikes"]
    data = build_briefing(session, settings, chosen, spikes=spikes, access=access, now=now)
    return Response(render_briefing_pdf(data, settings), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename(chosen)}"'})
