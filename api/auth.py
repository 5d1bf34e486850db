"""Who is calling, and may they: a person's bearer access token (POST /auth/login), a machine's
`X-API-Key`, or a wall TV's display token (an API key sent as a bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.deps import SessionDep, SettingsDep
from core.identity.keys import PREFIX as KEY_PREFIX
from core.identity.keys import lookup
from core.identity.principal import Principal
from core.identity.tokens import TokenError, user_for_access_token
from models import Role

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key from `aduan keys create`")
bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login (or a display token)")


def unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def current_principal(request: Request, session: SessionDep, settings: SettingsDep,
                      raw_key: Annotated[str | None, Security(api_key_header)],
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Principal:
    if raw_key or (credentials and credentials.credentials.startswith(KEY_PREFIX)):
        key = lookup(session, raw_key or credentials.credentials)
        if key is None:
            raise unauthorized("kunci API tidak sah, kedaluwarsa atau sudah dicabut")
        principal = Principal.of_key(key)
    elif credentials:
        try:
            principal = Principal.of_user(user_for_access_token(session, settings, credentials.credentials))
        except TokenError as exc:
            raise unauthorized(str(exc)) from None
    else:
        raise unauthorized("belum masuk: kirim Authorization: Bearer <token dari POST /api/v1/auth/login> "
                           "atau X-API-Key")
    request.state.principal = principal  # for the audit log
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


# Who may file complaints (manual entry, upload, Open311 POST): the petugas desk, analysts, an OPD's own desk.
INTAKE_ROLES = (Role.petugas, Role.analyst, Role.opd_admin)


def has_role(principal: Principal, roles: tuple[Role, ...]) -> bool:
    """One of `roles`, or admin (who may do everything)."""
    return principal.role == Role.admin or principal.role in roles


def require_roles(*roles: Role):
    """Dependency factory: the caller must have one of `roles` (admin always passes)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not has_role(principal, roles):
            allowed = ", ".join(r.value for r in roles)
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"peran {principal.role} tidak boleh melakukan ini (perlu: {allowed})")
        return principal

    return check


AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.admin))]
# Individual complaints, letters and overdue lists: not for viewers (aggregates only) nor petugas (intake).
CaseworkPrincipal = Annotated[Principal, Depends(require_roles(Role.analyst, Role.opd_admin))]
