"""Accounts of pemda staff, managed by admins. A user is never deleted (the audit log and complaint
histories name them); disabling ends every log-in of theirs at once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from api.audit import note
from api.auth import AdminPrincipal
from api.deps import SessionDep
from api.inputs import Input
from api.responses import CONFLICT, NOT_FOUND
from core.identity import users
from models import Opd, Role, User

router = APIRouter(prefix="/users", tags=["users"])


class UserOut(BaseModel):
    id: int
    username: str
    name: str
    role: Role
    opd_code: str | None
    active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime


class UserIn(Input):
    username: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    role: Role
    opd: str | None = Field(None, description="OPD code; required for opd_admin, optional for petugas")
    password: str | None = Field(None, min_length=1, max_length=256,
                                 description="omit to have one generated (answered once, as `password`)")


class UserCreated(UserOut):
    password: str | None = Field(None, description="only when generated (no password sent): shown this once")


class PasswordReset(Input):
    password: str | None = Field(None, min_length=1, max_length=256, description="omit to have one generated")


class PasswordResetOut(BaseModel):
    username: str
    generated: bool
    password: str | None = Field(None, description="the generated password, shown this once")


class UserPatch(Input):
    name: str | None = Field(None, min_length=1, max_length=120)
    role: Role | None = None
    opd: str | None = Field(None, description="OPD code; empty string removes the OPD")
    active: bool | None = None
    password: str | None = Field(None, min_length=1, max_length=256, description="set a new password")


def _out(session: Session, user: User) -> dict[str, Any]:
    opd = session.get(Opd, user.opd_id) if user.opd_id else None
    return UserOut(id=user.id, username=user.username, name=user.name, role=user.role,
                   opd_code=opd.code if opd else None, active=user.active, locked_until=user.locked_until,
                   last_login_at=user.last_login_at, created_at=user.created_at).model_dump()


def _user_error(exc: users.UserError) -> HTTPException:
    code = status.HTTP_409_CONFLICT if "sudah dipakai" in str(exc) else 422
    return HTTPException(code, [{"loc": ["body", exc.field], "msg": str(exc), "type": "value_error"}])


def _new_password(username: str) -> str:
    """A generated password that passes the rules (it never contains the username)."""
    while True:
        password = users.generate_password()
        try:
            users.check_password_rules(password, username)
        except users.UserError:
            continue
        return password


def _get(session: Session, username: str) -> User:
    user = users.by_username(session, username)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"pengguna {username} tidak ditemukan")
    return user


@router.get("", response_model=list[UserOut])
def list_users(session: SessionDep, _: AdminPrincipal,
               role: Annotated[Role | None, Query(description="only this role (opd_admin: the OPD liaisons)")] = None,
               ) -> list[dict[str, Any]]:
    query = select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    return [_out(session, u) for u in session.exec(query).all()]


@router.post("", response_model=UserCreated, response_model_exclude_unset=True, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "username taken"}, 422: {"description": "a field is invalid"}})
def create_user(body: UserIn, request: Request, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    """Without `password` one is generated and answered once (hand it over; it is never shown again)."""
    generated = _new_password(body.username.strip().lower()) if body.password is None else None
    note(request, action="user.create", detail={"username": body.username, "role": body.role.value, "opd": body.opd,
                                                "password": "generated" if generated else "given"})
    try:
        user = users.create_user(session, body.username, body.name, body.role, generated or body.password, body.opd)
    except users.UserError as exc:
        raise _user_error(exc) from None
    note(request, target=f"user:{user.id}")
    return {**_out(session, user), "password": generated} if generated else _out(session, user)


@router.get("/{username}", response_model=UserOut, responses=NOT_FOUND)
def get_user(username: str, session: SessionDep, _: AdminPrincipal) -> dict[str, Any]:
    return _out(session, _get(session, username))


@router.patch("/{username}", response_model=UserOut, responses={**NOT_FOUND, **CONFLICT})
def update_user(username: str, body: UserPatch, request: Request, session: SessionDep,
                admin: AdminPrincipal) -> dict[str, Any]:
    """Change name, role, OPD, active or password. A role/OPD change, disabling or a new password ends
    the user's open log-ins."""
    user = _get(session, username)
    changed = body.model_dump(exclude_unset=True)
    if "password" in changed:
        changed["password"] = "changed"
    note(request, action="user.update", target=f"user:{user.id}", detail=changed)
    demotes_self = body.active is False or (body.role is not None and body.role != Role.admin)
    if admin.kind == "user" and admin.id == user.id and demotes_self:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            "admin tidak dapat menonaktifkan atau menurunkan perannya sendiri")
    try:
        users.update_user(session, user, name=body.name, role=body.role, opd_code=body.opd or None,
                          clear_opd=body.opd == "", active=body.active, password=body.password)
    except users.UserError as exc:
        session.rollback()
        raise _user_error(exc) from None
    return _out(session, user)


@router.post("/{username}/password", response_model=PasswordResetOut, responses={**NOT_FOUND, 422: {
    "description": "the given password breaks the rules (named in detail[].loc)"}})
def reset_password(username: str, request: Request, session: SessionDep, _: AdminPrincipal,
                   body: PasswordReset | None = None) -> dict[str, Any]:
    """Reset a forgotten password: set the given one, or (no body / no `password`) generate one and answer it
    this once. Unlocks the account and ends the user's open log-ins; the audit log records who, never the password."""
    user = _get(session, username)
    given = body.password if body is not None else None
    generated = _new_password(user.username) if given is None else None
    note(request, action="user.password_reset", target=f"user:{user.id}",
         detail={"password": "generated" if generated else "given"})
    try:
        users.update_user(session, user, password=generated or given)
    except users.UserError as exc:
        session.rollback()
        raise _user_error(exc) from None
    return {"username": user.username, "generated": generated is not None, "password": generated}
