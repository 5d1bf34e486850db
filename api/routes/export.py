"""Streamed complaint exports with the list filters (CSV with BOM, XLSX)."""

from __future__ import annotations

import os
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from api.deps import ReadEngineDep, SettingsDep
from api.filters import FilterDep, RecordAccessDep, field_error
from core.reporting.export import XLSX_MAX_ROWS, count_rows, iter_csv, iter_rows, xlsx_tempfile
from models.types import utcnow

router = APIRouter(prefix="/export", tags=["export"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _name(settings, ext: str) -> str:
    return f"pengaduan-{utcnow().astimezone(settings.tz):%Y%m%d-%H%M}.{ext}"


@router.get("/complaints.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}}})
def export_csv(engine: ReadEngineDep, settings: SettingsDep, access: RecordAccessDep, filt: FilterDep,
               delimiter: Annotated[Literal[",", ";"], Query(description="';' for Excel in Indonesian locale")]
               = ",") -> StreamingResponse:
    """UTF-8 with BOM, Indonesian headers, masked as the key's role requires; streamed row batches."""
    rows = iter_rows(engine, filt, access, settings.tz)
    return StreamingResponse(
        iter_csv(rows, delimiter), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_name(settings, "csv")}"'},
    )


@router.get("/complaints.xlsx", response_class=FileResponse, responses={200: {"content": {XLSX: {}}}})
def export_xlsx(engine: ReadEngineDep, settings: SettingsDep, access: RecordAccessDep, filt: FilterDep) -> FileResponse:
    """Written row by row to a temporary file (openpyxl write-only), then streamed and deleted."""
    if count_rows(engine, filt, access) > XLSX_MAX_ROWS:
        raise field_error("format", f"lebih dari {XLSX_MAX_ROWS} baris tidak muat di XLSX; gunakan CSV")
    path = xlsx_tempfile(iter_rows(engine, filt, access, settings.tz))
    return FileResponse(path, media_type=XLSX, filename=_name(settings, "xlsx"),
                        background=BackgroundTask(os.unlink, path))
