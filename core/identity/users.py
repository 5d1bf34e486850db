"""People who log in: accounts, argon2 password hashes, and the lock-out after repeated failures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from core.identity import throttle
from core.runtime.settings import Settings
from models import Opd, Role, User
from models.types import utcnow

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this when the username is unknown keeps the answer time the same: no user enumeration.
_DUMMY_HASH = _hasher.hash("no such user, constant-time answer")


class UserError(ValueError):
    """A request about a user that can't be carried out; `field` names the offending input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# Read aloud or typed from a phone screen: no 0/O, 1/l/I look-alikes; groups of four split by hyphens.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def generate_password(groups: int = 4) -> str:
    """A one-time password an admin hands over (16 random characters ≈ 80 bits, e.g. `k7qm-x2rd-…`)."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(groups))


def check_password_rules(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password", f"kata sandi minimal {MIN_PASSWORD_LENGTH} karakter")
    if username.lower() in password.lower():
        raise UserError("password", "kata sandi tidak boleh memuat nama pengguna")


def opd_id_for(session: Session, role: Role, opd_code: str | None) -> int | None:
    opd_id = None
    if opd_code:
        opd = session.exec(select(Opd).where(Opd.code == opd_code)).first()
        if opd is None:
            raise UserError("opd", f"kode OPD tidak dikenal: {opd_code}")
        opd_id = opd.id
    if role is Role.opd_admin and opd_id is None:
        raise UserError("opd", "peran opd_admin memerlukan OPD")
    return opd_id


def create_user(session: Session, username: str, name: str, role: Role | str, password: str,
                opd_code: str | None = None) -> User:
    role = Role(role)
    username = username.strip().lower()
    if not username or not all(ch.isalnum() or ch in "._-" for ch in username):
        raise UserError("username", "nama pengguna hanya huruf, angka, titik, garis bawah dan tanda hubung")
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise UserError("username", f"nama pengguna {username} sudah dipakai")
    check_password_rules(password, username)
    user = User(username=username, name=name.strip(), role=role, opd_id=opd_id_for(session, role, opd_code),
                password_hash=hash_password(password))
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def update_user(session: Session, user: User, *, name: str | None = None, role: Role | str | None = None,
                opd_code: str | None = None, clear_opd: bool = False, active: bool | None = None,
                password: str | None = None) -> User:
    """Change a user; anything that changes what they may do ends the sessions they have open."""
    revoke = False
    if name is not None:
        user.name = name.strip()
    if role is not None or opd_code is not None or clear_opd:
        new_role = Role(role) if role is not None else Role(user.role)
        new_opd = opd_id_for(session, new_role, opd_code) if opd_code is not None else (
            None if clear_opd else user.opd_id)
        if new_role is Role.opd_admin and new_opd is None:
            raise UserError("opd", "peran opd_admin memerlukan OPD")
        revoke |= (new_role, new_opd) != (Role(user.role), user.opd_id)
        user.role, user.opd_id = new_role, new_opd
    if active is not None and active != user.active:
        user.active = active
        revoke |= not active
        if active:
            user.failed_logins, user.locked_until = 0, None
    if password is not None:
        check_password_rules(password, user.username)
        user.password_hash = hash_password(password)
        user.failed_logins, user.locked_until = 0, None
        revoke = True
    if revoke:
        user.token_version += 1
    user.updated_at = utcnow()
    session.add(user)
    session.commit()
    session.refresh(user)
    if revoke:
        from core.identity.tokens import end_sessions

        end_sessions(session, user.id)
    return user


def by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


LOGIN_ACTION = "auth.login"
_LOCKED_UNTIL = "locked until "


def login_actor(username: str) -> str:
    """The audit log's actor for a log-in attempt under a name no account has."""
    return f"username:{username.strip().lower()}"[:120]


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    outcome: str  # ok | bad_credentials | locked | inactive
    locked_until: datetime | None = None

    @property
    def audit_message(self) -> str:
        """The message of the attempt's audit entry; a lock-out keeps its end there (see `_no_such_account`)."""
        if self.outcome == "locked":
            return _LOCKED_UNTIL + self.locked_until.isoformat()
        return self.outcome


def authenticate(session: Session, settings: Settings, username: str, password: str) -> LoginResult:
    """Check a password. Failures count towards a lock-out; a locked account answers `locked` even to
    the right password, so guessing on doesn't help. The counts change by atomic statements
    (core.identity.throttle): attempts racing in several API processes lock after exactly the configured number."""
    user = by_username(session, username)
    if user is None:
        return _no_such_account(session, settings, username, password)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(user, "locked", user.locked_until)
    lockout = timedelta(minutes=settings.login_lockout_minutes)
    if not _verify(user.password_hash, password):
        locked_until = throttle.record_account_failure(session, user.id, now, settings.login_max_failures, lockout)
        session.refresh(user)
        if locked_until is not None:
            return LoginResult(user, "locked", locked_until)
        return LoginResult(user, "bad_credentials")
    if not user.active:
        return LoginResult(user, "inactive")
    values = {"last_login_at": now}
    if _hasher.check_needs_rehash(user.password_hash):
        values["password_hash"] = hash_password(password)
    cleared = throttle.clear_account_failures(session, user.id, now, **values)
    session.refresh(user)
    if not cleared:  # locked by failures that raced this attempt
        return LoginResult(user, "locked", user.locked_until)
    return LoginResult(user, "ok")


def _no_such_account(session: Session, settings: Settings, username: str, password: str) -> LoginResult:
    """Answer as an account would, locking the name after as many failures and for as long, so no answer
    tells which usernames exist. Counted in `login_throttle` (core.identity.throttle): no user is created."""
    now = utcnow()
    locked_until = throttle.name_locked_until(session, username, now)
    if locked_until is not None:
        return LoginResult(None, "locked", locked_until)
    _verify(_DUMMY_HASH, password)  # the same time as checking a real password
    locked_until = throttle.record_name_failure(session, username, now, settings.login_max_failures,
                                                timedelta(minutes=settings.login_lockout_minutes))
    if locked_until is not None:
        return LoginResult(None, "locked", locked_until)
    return LoginResult(None, "bad_credentials")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
