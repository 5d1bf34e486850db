"""API-key authentication and role checks (`X-API-Key` header)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Security, status
from fastapi.security import APIKeyHeader

from api.deps import SessionDep
from core.keys import lookup
from models import ApiKey, Role

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key from `aduan keys create`")


def current_key(session: SessionDep, raw: Annotated[str | None, Security(api_key_header)]) -> ApiKey:
    if not raw:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-API-Key header")
    key = lookup(session, raw)
    if key is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked API key")
    return key


CurrentKey = Annotated[ApiKey, Depends(current_key)]


def require_roles(*roles: Role):
    """Dependency factory: the key must have one of `roles` (admin always passes)."""

    def check(key: CurrentKey) -> ApiKey:
        if key.role != Role.admin and key.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {key.role} may not do this (needs: {allowed})")
        return key

    return check


AdminKey = Annotated[ApiKey, Depends(require_roles(Role.admin))]
