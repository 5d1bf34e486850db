"""API keys: random secrets shown once, stored as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from models import ApiKey, Opd, Role
from models.types import utcnow

PREFIX = "adu_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(session: Session, name: str, role: Role | str, opd_code: str | None = None,
               valid_days: int | None = None) -> tuple[ApiKey, str]:
    role = Role(role)
    opd_id = None
    if opd_code:
        opd = session.exec(select(Opd).where(Opd.code == opd_code)).first()
        if opd is None:
            raise ValueError(f"kode OPD tidak dikenal: {opd_code!r}")
        opd_id = opd.id
    if role is Role.opd_admin and opd_id is None:
        raise ValueError("kunci opd_admin memerlukan OPD (--opd)")
    raw = PREFIX + secrets.token_urlsafe(24)
    expires_at = utcnow() + timedelta(days=valid_days) if valid_days else None
    key = ApiKey(name=name, role=role, opd_id=opd_id, prefix=raw[:10], key_hash=hash_key(raw), expires_at=expires_at)
    session.add(key)
    session.commit()
    session.refresh(key)
    return key, raw


def lookup(session: Session, raw: str) -> ApiKey | None:
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(raw))).first()
    now = utcnow()
    if key is None or key.revoked or (key.expires_at is not None and key.expires_at <= now):
        return None
    # At most one write a minute per key: reads must not queue behind SQLite's single writer.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
        session.add(key)
        session.commit()
    return key


def revoke_named(session: Session, name: str) -> None:
    """Revoke every live key of that name (a fresh one replaces them; a secret is shown only once)."""
    for old in session.exec(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked.is_(False))).all():
        old.revoked = True
        session.add(old)
    session.commit()


def create_display_token(session: Session, name: str, valid_days: int) -> tuple[ApiKey, str]:
    """A long-lived read-only token for a wall TV: a viewer key (aggregates only) that expires."""
    return create_key(session, f"Layar: {name}", Role.viewer, valid_days=valid_days)
