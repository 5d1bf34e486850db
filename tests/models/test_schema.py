from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from models import Complaint, Opd, Status


def _complaint(**kw) -> Complaint:
    base = dict(channel="lapor", external_id="1", tracking_code="LPR-1", title="Jalan rusak",
                received_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    return Complaint(**{**base, **kw})


def test_channel_and_external_id_are_unique_together(session):
    session.add(_complaint())
    session.commit()
    session.add(_complaint(tracking_code="LPR-2"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(_complaint(channel="whatsapp", tracking_code="WA-1"))
    session.commit()


def test_times_are_stored_in_utc_and_come_back_aware(session):
    wib = timezone(timedelta(hours=7))
    session.add(_complaint(received_at=datetime(2026, 11, 23, 8, 0, tzinfo=wib)))
    session.commit()
    session.expire_all()
    row = session.exec(select(Complaint)).one()
    assert row.received_at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert row.received_at.utcoffset() == timedelta(0)
    assert row.status == Status.unverified


def test_opd_parent_foreign_key_is_enforced(session):
    session.add(Opd(code="DINKES", name="Dinas Kesehatan", parent_id=999))
    with pytest.raises(IntegrityError):
        session.commit()
