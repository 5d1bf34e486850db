"""Helpers for tests that sync against the upstream emulators."""

from __future__ import annotations

from contextlib import contextmanager

from sqlmodel import Session, func, select

from connectors.emulators import google_reviews, lapor
from connectors.emulators.faults import Faults
from connectors.emulators.runner import serve
from core.intake.instances import save_instance
from models import Complaint, ComplaintEvent, RawRecord

# Retries fast enough for a test, bounded generously enough that 20 % faults never exhaust them.
FAST_HTTP = {"timeout_seconds": 1.0, "attempts": 15, "backoff_seconds": 0.002, "backoff_max_seconds": 0.02,
             "retry_after_max_seconds": 0.02}
# 20 % server errors plus, for certain, at least one 429, one timeout and one truncated page.
BAD_DAY = dict(error_rate=0.2, rate_limit_rate=0.05, rate_limit_next=1, retry_after=1, slow_rate=0.03,
               slow_next=1, slow_seconds=1.3, truncate_next=1)


@contextmanager
def lapor_upstream(total: int = 200, seed: int = 11, faults: Faults | None = None, **kw):
    app = lapor.create_app(seed=seed, total=total, faults=faults, **kw)
    with serve(app) as base_url:
        yield app, base_url


@contextmanager
def google_upstream(total: int = 100, seed: int = 11, faults: Faults | None = None, **kw):
    app = google_reviews.create_app(seed=seed, total=total, faults=faults, **kw)
    with serve(app) as base_url:
        yield app, base_url


def add_lapor(session: Session, base_url: str, name: str = "lapor1", replace: bool = False, **extra):
    config = lapor.connector_config(base_url, **{"http": FAST_HTTP, **extra})
    return save_instance(session, name, "lapor", config, replace=replace)


def add_google(session: Session, base_url: str, name: str = "gmaps", replace: bool = False, **extra):
    config = google_reviews.connector_config(base_url, **{"http": FAST_HTTP, **extra})
    return save_instance(session, name, "google_reviews", config, replace=replace)


def count(session: Session, model, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def complaints_by_channel(session: Session, channel: str) -> tuple[int, int]:
    """(rows, distinct external ids) of one channel: equal when nothing is duplicated."""
    session.expire_all()
    rows = session.exec(select(func.count()).select_from(Complaint).where(Complaint.channel == channel)).one()
    distinct = session.exec(select(func.count(func.distinct(Complaint.external_id)))
                            .where(Complaint.channel == channel)).one()
    return rows, distinct


__all__ = ["FAST_HTTP", "BAD_DAY", "lapor_upstream", "google_upstream", "add_lapor", "add_google", "count",
           "complaints_by_channel", "Complaint", "ComplaintEvent", "RawRecord", "Faults"]
