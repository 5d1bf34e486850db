"""A complaint's media (WhatsApp photos…): the bytes, read with the same access as the complaint itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import SessionDep
from api.filters import RecordAccessDep
from api.responses import NOT_FOUND
from core.intake.media import FETCHED, MEDIA_ID_PATTERN, file_name, safe_type, served_inline, stored_media
from models import Complaint
from models.types import DbId

router = APIRouter(tags=["complaints"])


class MediaOut(BaseModel):
    media_id: str
    kind: str = Field(description="image | video | audio | document | sticker")
    mime_type: str | None
    caption: str | None
    state: str = Field(description="pending (belum diunduh) | fetched (tersimpan) | failed (gagal, lihat error)")
    size: int | None = None
    error: str | None = Field(None, description="Mengapa unduhan gagal (state failed)")
    url: str = Field(description="Alamat isi berkas di API ini (akses sama dengan aduannya)")


MediaId = Annotated[str, Path(pattern=MEDIA_ID_PATTERN, description="Id media dari kanal (WhatsApp media id)")]


@router.get("/complaints/{complaint_id:int}/media/{media_id}", response_class=Response,
            responses={**NOT_FOUND, 200: {"description": "Isi berkas, dengan jenisnya",
                                          "content": {"image/*": {}, "application/octet-stream": {}}}})
def media_content(complaint_id: DbId, media_id: MediaId, session: SessionDep, access: RecordAccessDep) -> Response:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None or not access.may_read(complaint):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "pengaduan tidak ditemukan")
    if access.hides_content(complaint.rahasia):  # a confidential complaint's photos are its content
        raise HTTPException(status.HTTP_404_NOT_FOUND, "media tidak ditemukan")
    row = stored_media(session, complaint_id, media_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "media tidak ditemukan")
    if row.state != FETCHED or row.content is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            "media gagal diunduh dari kanal" if row.state == "failed" else "media belum diunduh")
    mime = safe_type(row.mime_type)
    disposition = "inline" if served_inline(mime) else "attachment"
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
               "Content-Disposition": f'{disposition}; filename="{file_name(media_id, mime)}"',
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    if row.sha256:
        headers["ETag"] = f'"{row.sha256}"'
    return Response(row.content, media_type=mime, headers=headers)
