"""Log-in sessions: a short-lived signed access token (JWT, HS256) plus an opaque refresh token.

The access token names the user, their token version and their session, and each request checks all
three against the database, so disabling a user, changing their role or logging out takes effect at
once, not when the token expires. The refresh token is random, stored hashed, and its session's expiry
slides forward on every use (no rotation: the dashboard's parallel requests may refresh at once).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.runtime.settings import Settings
from models import LoginSession, ServiceState, User
from models.types import DbId, utcnow

ALGORITHM = "HS256"
ISSUER = "aduan-terpadu"
REFRESH_PREFIX = "adr_"
_SECRET_STATE = "auth_secret"
_secrets: dict[str, str] = {}


class TokenError(Exception):
    """The token can't be used; the message says why (expired, forged, revoked…)."""


class AccessClaims(BaseModel):
    """What a request relies on in an access token: the user, the log-in session and the token version."""

    sub: DbId
    sid: DbId
    ver: int


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    token_type: str = "bearer"


def signing_secret(session: Session, settings: Settings) -> str:
    if settings.auth_secret is not None:
        return settings.auth_secret.get_secret_value()
    url = str(session.get_bind().url)
    if url not in _secrets:
        _secrets[url] = _stored_secret(session)
    return _secrets[url]


def _stored_secret(session: Session) -> str:
    state = session.exec(select(ServiceState).where(ServiceState.name == _SECRET_STATE)).first()
    if state is None:
        state = ServiceState(name=_SECRET_STATE, status="ok", data={"secret": secrets.token_urlsafe(48)},
                             detail="signs log-in tokens; set ADUAN_AUTH_SECRET to manage it yourself")
        session.add(state)
        try:
            session.commit()
        except IntegrityError:  # another API process made it first
            session.rollback()
            state = session.exec(select(ServiceState).where(ServiceState.name == _SECRET_STATE)).one()
    return state.data["secret"]


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_session(session: Session, settings: Settings, user: User, ip: str | None = None,
                  user_agent: str | None = None) -> TokenPair:
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    login = LoginSession(user_id=user.id, refresh_hash=_hash(raw),
                         expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
                         ip=ip, user_agent=(user_agent or "")[:255] or None)
    session.add(login)
    session.commit()
    session.refresh(login)
    return _pair(session, settings, user, login, raw)


def refresh(session: Session, settings: Settings, raw_refresh: str) -> tuple[User, TokenPair]:
    login = session.exec(select(LoginSession).where(LoginSession.refresh_hash == _hash(raw_refresh))).first()
    now = utcnow()
    if login is None:
        raise TokenError("refresh token tidak dikenal")
    if login.revoked_at is not None:
        raise TokenError("sesi sudah diakhiri (keluar)")
    if login.expires_at <= now:
        raise TokenError("sesi kedaluwarsa, silakan masuk lagi")
    user = session.get(User, login.user_id)
    if user is None or not user.active:
        raise TokenError("akun tidak aktif")
    login.expires_at = now + timedelta(days=settings.refresh_token_days)
    session.add(login)
    session.commit()
    return user, _pair(session, settings, user, login, raw_refresh)


def _pair(session: Session, settings: Settings, user: User, login: LoginSession, raw_refresh: str) -> TokenPair:
    now = utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {"iss": ISSUER, "sub": str(user.id), "sid": login.id, "ver": user.token_version,
              "role": str(user.role), "iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}
    token = jwt.encode(claims, signing_secret(session, settings), algorithm=ALGORITHM)
    return TokenPair(token, raw_refresh, int(lifetime.total_seconds()),
                     int((login.expires_at - now).total_seconds()))


def user_for_access_token(session: Session, settings: Settings, token: str) -> User:
    """The user an access token stands for, or TokenError."""
    try:
        claims = jwt.decode(token, signing_secret(session, settings), algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "sub", "sid", "ver"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("token kedaluwarsa") from None
    except jwt.InvalidTokenError:
        raise TokenError("token tidak sah") from None
    try:  # a correctly signed token can still carry claims that name no row ("abc", 1.5, 2**70)
        claims = AccessClaims.model_validate(claims)
    except ValidationError:
        raise TokenError("token tidak sah") from None
    user = session.get(User, claims.sub)
    login = session.get(LoginSession, claims.sid)
    if user is None or login is None or login.user_id != user.id:
        raise TokenError("token tidak sah")
    if not user.active:
        raise TokenError("akun tidak aktif")
    if login.revoked_at is not None or claims.ver != user.token_version:
        raise TokenError("sesi sudah diakhiri, silakan masuk lagi")
    return user


def end_session(session: Session, raw_refresh: str) -> bool:
    login = session.exec(select(LoginSession).where(LoginSession.refresh_hash == _hash(raw_refresh))).first()
    if login is None or login.revoked_at is not None:
        return False
    login.revoked_at = utcnow()
    session.add(login)
    session.commit()
    return True


def end_session_by_id(session: Session, session_id: int) -> None:
    login = session.get(LoginSession, session_id)
    if login is not None and login.revoked_at is None:
        login.revoked_at = utcnow()
        session.add(login)
        session.commit()


def end_sessions(session: Session, user_id: int) -> int:
    now = utcnow()
    open_ = session.exec(select(LoginSession).where(LoginSession.user_id == user_id,
                                                    LoginSession.revoked_at.is_(None))).all()
    for login in open_:
        login.revoked_at = now
        session.add(login)
    session.commit()
    return len(open_)


def session_id_of(token: str) -> int | None:
    """The session id in an access token already verified by `user_for_access_token`."""
    try:
        return int(jwt.decode(token, options={"verify_signature": False})["sid"])
    except (jwt.InvalidTokenError, KeyError, TypeError, ValueError):
        return None
