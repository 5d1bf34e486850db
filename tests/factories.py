"""Helpers to build realistic rows for tests (reference data comes from core.seed)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from core.ingest import ComplaintDraft, Resolver, upsert_complaint
from core.seed import seed_reference
from core.settings import get_settings


def seeded(session: Session) -> Session:
    seed_reference(session, get_settings())
    return session


def draft(external_id: str = "1", **kw) -> ComplaintDraft:
    base = dict(external_id=external_id, title="Jalan berlubang di depan pasar",
                body="Mohon segera diperbaiki, sudah memakan korban.",
                received_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC), category_code="INFRA-JALAN",
                kecamatan="Kanigoro", desa="Gogodeso")
    return ComplaintDraft(**{**base, **kw})


def add_complaint(session: Session, channel: str = "lapor", external_id: str = "1", **kw):
    result = upsert_complaint(session, channel, draft(external_id, **kw), Resolver(session, get_settings()))
    session.commit()
    return result.complaint
