"""Rows for the trends tests: complaints added in bulk (the ORM, one commit), dated in local time."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models import Category, Complaint, Opd, Status

WIB = ZoneInfo("Asia/Jakarta")
_serial = itertools.count(1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=WIB)


def ids(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    categories = dict(session.exec(select(Category.code, Category.id)).all())
    opds = dict(session.exec(select(Opd.code, Opd.id)).all())
    return categories, opds


def add(session: Session, n: int, day: date, *, title: str = "Jalan berlubang", body: str = "",
        category: str | None = None, opd: str | None = None, kecamatan: str | None = "Wlingi",
        channel: str = "lapor", rahasia: bool = False, status: Status = Status.verified, hour: int = 9,
        **kw) -> list[Complaint]:
    categories, opds = ids(session)
    rows = []
    for i in range(n):
        serial = next(_serial)
        row = Complaint(channel=channel, external_id=f"t{serial}", tracking_code=f"TRN-{serial:06d}", title=title,
                        body=body, category_id=categories[category] if category else None,
                        opd_id=opds[opd] if opd else None, kecamatan=kecamatan, rahasia=rahasia, status=status,
                        received_at=at(day, hour + (i % 8)), **kw)
        session.add(row)
        rows.append(row)
    session.commit()
    return rows
