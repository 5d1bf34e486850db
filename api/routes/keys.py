"""API keys for machines and display tokens for wall TVs, managed by admins. A secret is shown once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from api.audit import note
from api.auth import AdminPrincipal
from api.deps import SessionDep, SettingsDep
from api.inputs import Input
from api.responses import NOT_FOUND
from core.identity.keys import create_display_token, create_key
from models import ApiKey, Opd, Role
from models.types import DbId

router = APIRouter(prefix="/keys", tags=["users"])


class KeyOut(BaseModel):
    id: int
    name: str
    role: Role
    opd_code: str | None
    prefix: str
    revoked: bool
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class KeyCreated(KeyOut):
    secret: str = Field(description="shown only now; send it as X-API-Key (or as a bearer token)")


class KeyIn(Input):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    opd: str | None = Field(None, description="OPD code (required for opd_admin)")
    valid_days: int | None = Field(None, ge=1, le=3650, description="unset = until revoked")


class DisplayIn(Input):
    name: str = Field(min_length=1, max_length=80, description="where the screen hangs, e.g. 'TV Pendopo'")
    valid_days: int | None = Field(None, ge=1, le=3650, description="unset = ADUAN_DISPLAY_TOKEN_DAYS")


def _out(session: Session, key: ApiKey) -> dict[str, Any]:
    opd = session.get(Opd, key.opd_id) if key.opd_id else None
    return KeyOut(id=key.id, name=key.name, role=key.role, opd_code=opd.code if opd else None, prefix=key.prefix,
                  revoked=key.revoked, created_at=key.created_at, last_used_at=key.last_used_at,
                  expires_at=key.expires_at).model_dump()


@router.get("", response_model=list[KeyOut])
def list_keys(session: SessionDep, _: AdminPrincipal) -> list[dict[str, Any]]:
    return [_out(session, k) for k in session.exec(select(ApiKey).order_by(ApiKey.id)).all()]


@router.post("", response_model=KeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(body: KeyIn, request: Request, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    note(request, action="key.create", detail={"name": body.name, "role": body.role.value, "opd": body.opd})
    try:
        key, raw = create_key(session, body.name, body.role, body.opd, body.valid_days)
    except ValueError as exc:
        raise HTTPException(422, [{"loc": ["body", "opd"], "msg": str(exc), "type": "value_error"}]) from None
    note(request, target=f"key:{key.id}")
    return {**_out(session, key), "secret": raw}


@router.post("/display", response_model=KeyCreated, status_code=status.HTTP_201_CREATED)
def create_display(body: DisplayIn, request: Request, session: SessionDep, settings: SettingsDep,
                   _: AdminPrincipal) -> dict[str, Any]:
    """A read-only (viewer) token that expires, for the wall display on a TV: open the dashboard at
    `/masuk/layar?token=<secret>` once on that screen."""
    note(request, action="key.create_display", detail={"name": body.name})
    key, raw = create_display_token(session, body.name, body.valid_days or settings.display_token_days)
    note(request, target=f"key:{key.id}")
    return {**_out(session, key), "secret": raw}


@router.delete("/{key_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def revoke_key(key_id: DbId, request: Request, session: SessionDep, _: AdminPrincipal) -> Response:
    note(request, action="key.revoke", target=f"key:{key_id}")
    key = session.get(ApiKey, key_id)
    if key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"kunci {key_id} tidak ditemukan")
    key.revoked = True
    session.add(key)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
