"""The audit log, for admins: read-only here (no PUT/PATCH/DELETE route exists; the database refuses them too)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.auth import AdminPrincipal
from api.deps import SessionDep, SettingsDep
from api.filters import local_moment
from core.identity import audit
from models.types import DbId

router = APIRouter(tags=["users"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_name: str | None
    role: str | None
    action: str
    target: str | None
    outcome: str
    status_code: int | None
    method: str | None
    path: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    detail: dict[str, Any] | None
    message: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    next_before_id: int | None


@router.get("/audit", response_model=AuditPage)
def audit_log(
    session: SessionDep, settings: SettingsDep, _: AdminPrincipal,
    actor: Annotated[str | None, Query(description="user:12, key:3, cli:root, username:budi", max_length=120)] = None,
    action: Annotated[str | None, Query(description="exact, or a prefix ending in '.', e.g. 'auth.'",
                                        max_length=64)] = None,
    target: Annotated[str | None, Query(description="e.g. complaints:42, user:7", max_length=120)] = None,
    outcome: Literal["ok", "denied", "failed", "error"] | None = None,
    since: Annotated[str | None, Query(description="ISO date or datetime (local)")] = None,
    until: Annotated[str | None, Query(description="ISO date (inclusive) or datetime (local)")] = None,
    before_id: Annotated[DbId | None, Query(description="next_before_id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    items = audit.search(session, actor=actor, action=action, target=target, outcome=outcome,
                         since=local_moment(since, "since", settings.tz),
                         until=local_moment(until, "until", settings.tz, end=True),
                         before_id=before_id, limit=limit)
    return AuditPage(items=[AuditOut.model_validate(e, from_attributes=True) for e in items],
                     next_before_id=items[-1].id if len(items) == limit else None)
