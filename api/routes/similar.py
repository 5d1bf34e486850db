"""Possible duplicates of a complaint, from every channel (core/triage/similar.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from api.deps import SessionDep, SettingsDep
from api.filters import RecordAccessDep
from api.responses import NOT_FOUND
from core.triage.similar import MAX_LIMIT, similar_for
from models.types import DbId

router = APIRouter(tags=["complaints"])


class SimilarItem(BaseModel):
    id: int
    code: str = Field(description="Kode pelacakan")
    channel: str
    score: float = Field(description="0-1: kemiripan teks, tempat dan kategori")
    reasons: list[str] = Field(description='Alasan, mis. "teks mirip 0,82", "desa sama: Gogodeso", "jarak 120 m"')
    title: str
    status: str
    received_at: datetime


class SimilarPage(BaseModel):
    items: list[SimilarItem]


@router.get("/complaints/{complaint_id:int}/similar", response_model=SimilarPage, responses=NOT_FOUND)
def similar(
    complaint_id: DbId,
    session: SessionDep,
    settings: SettingsDep,
    access: RecordAccessDep,
    window_days: Annotated[int | None, Query(ge=1, le=90, description="Hari sebelum dan sesudah diterima "
                                                                      "(bawaan ADUAN_SIMILAR_WINDOW_DAYS)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 5,
) -> dict[str, Any]:
    """Complaints from any channel that may be the same issue, best first, each with its reasons."""
    items = similar_for(session, complaint_id, access, settings, window_days=window_days, limit=limit)
    if items is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "pengaduan tidak ditemukan")
    return {"items": items}
