"""Log-in for people: a password gives a short-lived access token and a refresh token.

Machines keep using API keys (`X-API-Key`); a wall TV uses a display token (see /keys/display)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from api.audit import note
from api.auth import CurrentPrincipal, bearer
from api.deps import SessionDep, SettingsDep
from api.inputs import Input
from api.responses import UNAUTHORIZED
from core.identity import throttle, tokens, users
from core.identity.tokens import TokenError, TokenPair
from models import Opd, Role, User
from models.types import utcnow

router = APIRouter(prefix="/auth", tags=["auth"])

IP_FAILURE_LIMIT = 30  # failed log-ins per address per lock-out window, whatever the usernames


class LoginIn(Input):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserBrief(BaseModel):
    username: str
    name: str
    role: Role
    opd_code: str | None


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_expires_in: int = Field(description="seconds the log-in lasts without a refresh")
    user: UserBrief


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def brief(session, user: User) -> UserBrief:
    opd = session.get(Opd, user.opd_id) if user.opd_id else None
    return UserBrief(username=user.username, name=user.name, role=user.role, opd_code=opd.code if opd else None)


def _token_out(session, user: User, pair: TokenPair) -> TokenOut:
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in,
                    refresh_expires_in=pair.refresh_expires_in, user=brief(session, user))


@router.post("/login", response_model=TokenOut, responses={
    401: {"description": "wrong username or password"}, 403: {"description": "account disabled"},
    423: {"description": "username locked after repeated failures (Retry-After); a name no account has locks "
                         "the same way, so the answer never tells which usernames exist"},
    429: {"description": "too many failures from this address (Retry-After)"}})
def login(body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    ip = _client_ip(request)
    note(request, action=users.LOGIN_ACTION, actor=users.login_actor(body.username), actor_name=body.username[:120])
    window = timedelta(minutes=settings.login_lockout_minutes)
    if ip:  # counted before the check, in the database: attempts racing in other API processes count too
        attempts, window_ends = throttle.hit_address(session, ip, utcnow(), window)
        if attempts > IP_FAILURE_LIMIT:
            note(request, message="address throttled")
            wait = max(1, int((window_ends - utcnow()).total_seconds()))
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "terlalu banyak percobaan masuk gagal dari alamat "
                                "ini; coba lagi nanti", headers={"Retry-After": str(wait)})
    result = users.authenticate(session, settings, body.username, body.password)
    if ip and result.outcome == "ok":
        throttle.refund_address(session, ip)  # only failures count against an address
    if result.user is not None:
        note(request, actor=f"user:{result.user.id}", actor_name=result.user.name, role=str(result.user.role),
             target=f"user:{result.user.id}")
    note(request, message=result.audit_message)
    if result.outcome == "locked":
        wait = max(1, int((result.locked_until - utcnow()).total_seconds()))
        local = result.locked_until.astimezone(settings.tz)
        raise HTTPException(status.HTTP_423_LOCKED, f"akun terkunci karena terlalu banyak kata sandi salah; "
                            f"coba lagi setelah pukul {local:%H.%M} atau hubungi admin",
                            headers={"Retry-After": str(wait)})
    if result.outcome == "inactive":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "akun dinonaktifkan; hubungi admin")
    if result.outcome != "ok":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "nama pengguna atau kata sandi salah",
                            headers={"WWW-Authenticate": "Bearer"})
    pair = tokens.start_session(session, settings, result.user, ip, request.headers.get("user-agent"))
    return _token_out(session, result.user, pair)


@router.post("/refresh", response_model=TokenOut, responses={401: {"description": "log-in ended or expired"}})
def refresh(body: RefreshIn, request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    note(request, action="auth.refresh")
    try:
        user, pair = tokens.refresh(session, settings, body.refresh_token)
    except TokenError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    note(request, actor=f"user:{user.id}", actor_name=user.name, role=str(user.role))
    return _token_out(session, user, pair)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHORIZED)
def logout(request: Request, session: SessionDep, principal: CurrentPrincipal,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
           body: RefreshIn | None = None) -> Response:
    """End this log-in: its access and refresh tokens stop working at once."""
    note(request, action="auth.logout")
    if principal.kind != "user":
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            "keluar hanya untuk pengguna yang masuk; kunci API dicabut, bukan keluar")
    if body is not None:
        tokens.end_session(session, body.refresh_token)
    sid = tokens.session_id_of(credentials.credentials) if credentials else None
    if sid is not None:
        tokens.end_session_by_id(session, sid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT,
             responses={401: {"description": "current password wrong"}, 422: {"description": "new password too weak"}})
def change_password(body: PasswordIn, request: Request, session: SessionDep, settings: SettingsDep,
                    principal: CurrentPrincipal) -> Response:
    """Change your own password. Every log-in of yours ends (log in again with the new one)."""
    note(request, action="auth.password", target=principal.ref)
    if principal.kind != "user":
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "hanya pengguna yang punya kata sandi, bukan kunci API")
    user = session.get(User, principal.id)
    if users.authenticate(session, settings, user.username, body.current_password).outcome != "ok":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "kata sandi saat ini salah")
    try:
        users.update_user(session, user, password=body.new_password)
    except users.UserError as exc:
        raise HTTPException(422, [{"loc": ["body", "new_password"], "msg": str(exc), "type": "value_error"}]) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
