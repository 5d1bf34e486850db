"""Who the caller is: lets a client (our dashboard) show only what this log-in or key may do."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.auth import CurrentPrincipal
from api.deps import SessionDep
from models import Opd, Role

router = APIRouter(tags=["auth"])


class Me(BaseModel):
    name: str
    role: Role
    opd_code: str | None
    opd_name: str | None = None
    kind: str = "key"  # user | key
    username: str | None = None


@router.get("/me", response_model=Me)
def me(key: CurrentPrincipal, session: SessionDep) -> Me:
    opd = session.get(Opd, key.opd_id) if key.opd_id else None
    return Me(name=key.name, role=key.role, opd_code=opd.code if opd else None, opd_name=opd.name if opd else None,
              kind=key.kind, username=key.username)
