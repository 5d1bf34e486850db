"""The audit log: who did what, when, from where. Append-only (the database refuses UPDATE/DELETE)."""

from __future__ import annotations

import getpass
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import AuditEntry

log = logging.getLogger("aduan.audit")

# Never stored in an entry's detail, whatever a caller passes.
_SECRET_WORDS = ("password", "secret", "token", "key_hash", "refresh")


def _clean(detail: dict[str, Any] | None) -> dict[str, Any] | None:
    if not detail:
        return None
    return {k: ("***" if any(word in k.lower() for word in _SECRET_WORDS) else v) for k, v in detail.items()}


def record(engine: Engine, **fields: Any) -> AuditEntry | None:
    """Write one entry in its own transaction (the audited write has already committed or failed).
    A failure here is logged, never raised: the caller's answer must not change because of it."""
    fields["detail"] = _clean(fields.get("detail"))
    for name, limit in (("actor", 120), ("actor_name", 120), ("target", 120), ("path", 255), ("user_agent", 255)):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name][:limit]
    try:
        with Session(engine, expire_on_commit=False) as session:
            entry = AuditEntry(**fields)
            session.add(entry)
            session.commit()
            return entry
    except Exception:  # noqa: BLE001 - see docstring
        log.exception("audit entry not written", extra={"action": fields.get("action")})
        return None


def record_many(engine: Engine, entries: list[dict[str, Any]]) -> None:
    """Several entries in one transaction (e.g. the demo's staff actions, dated when they happened)."""
    if not entries:
        return
    with Session(engine) as session:
        for fields in entries:
            fields = {**fields, "detail": _clean(fields.get("detail"))}
            for name, limit in (("actor", 120), ("actor_name", 120), ("target", 120)):
                if isinstance(fields.get(name), str):
                    fields[name] = fields[name][:limit]
            session.add(AuditEntry(**fields))
        session.commit()


def record_cli(engine: Engine, action: str, target: str | None = None, detail: dict[str, Any] | None = None,
               outcome: str = "ok") -> AuditEntry | None:
    """An administrative change made on the server's command line."""
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        who = "unknown"
    return record(engine, actor=f"cli:{who}", actor_name=who, role="cli", action=action, target=target,
                  detail=detail, outcome=outcome)


def search(session: Session, *, actor: str | None = None, action: str | None = None, target: str | None = None,
           outcome: str | None = None, since: datetime | None = None, until: datetime | None = None,
           before_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """Newest first; `before_id` pages backwards (keyset)."""
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action.startswith(action) if action.endswith(".") else
                            AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return list(session.exec(query.order_by(AuditEntry.id.desc()).limit(limit)).all())
