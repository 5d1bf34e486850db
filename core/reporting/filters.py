"""One complaint filter, shared by the list, stats and export endpoints.

`ComplaintFilter` validates what a caller asked for; `resolve()` checks OPD and category codes
against the database and returns a `ResolvedFilter` that turns into SQL `WHERE` clauses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import and_, not_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from core.casework.sla import overdue_clause
from core.intake.channels import CHANNEL_LABELS
from models import Category, Classification, Complaint, Opd, Status


class FilterError(ValueError):
    """A filter value the database does not know; `field` names the query parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# Dates a caller may ask about. Far wider than any complaint's, and narrow enough that a local day, the day
# after it and their UTC equivalents stay inside Python's calendar (years 1–9999) and the databases'.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def supported_moment(value: date | datetime) -> date | datetime:
    """`value` unchanged, or a ValueError (pydantic reports it as is) when it is outside the supported years."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise PydanticCustomError(
            "date_out_of_range", "tanggal di luar rentang yang didukung ({earliest} s.d. {latest})",
            {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()})
    return value


def parse_moment(value: str | date | datetime | None) -> date | datetime | None:
    """An ISO date (`2026-11-01`) or datetime (`2026-11-01T08:00`, with or without offset) within the
    supported years; anything else is a ValueError with a message for the caller."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise PydanticCustomError(
                "date_format", "format tanggal tidak valid; gunakan YYYY-MM-DD atau YYYY-MM-DDTHH:MM") from None
    if not isinstance(value, date):
        raise PydanticCustomError("date_type", "harus berupa tanggal ISO (YYYY-MM-DD atau YYYY-MM-DDTHH:MM)")
    return supported_moment(value)


# The one date type of every route parameter: ISO date or datetime, within the supported years (else a 422).
Moment = Annotated[date | datetime, BeforeValidator(parse_moment)]
Day = Annotated[date, AfterValidator(supported_moment)]


def window_start(value: date | datetime, tz: ZoneInfo) -> datetime:
    """Dates are whole local days; naive datetimes are local time."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)
    return datetime.combine(value, time.min, tzinfo=tz).astimezone(UTC)


def window_end(value: date | datetime, tz: ZoneInfo) -> datetime:
    """Exclusive upper bound: a date includes the whole day."""
    if isinstance(value, datetime):
        return window_start(value, tz) + timedelta(microseconds=1)
    return datetime.combine(value + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)


class ComplaintFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: list[str] = Field(default_factory=list)
    opd: list[str] = Field(default_factory=list)
    category: list[str] = Field(default_factory=list)
    status: list[Status] = Field(default_factory=list)
    classification: list[Classification] = Field(default_factory=list)
    kecamatan: list[str] = Field(default_factory=list)
    desa: list[str] = Field(default_factory=list)
    q: str | None = Field(default=None, max_length=200)
    received_from: Moment | None = None
    received_to: Moment | None = None
    overdue: bool | None = None
    rating_max: int | None = Field(default=None, ge=1, le=5)

    @field_validator("q")
    @classmethod
    def _blank_q(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _ordered_window(self) -> ComplaintFilter:
        if self.received_from and self.received_to:
            utc = ZoneInfo("UTC")
            if window_start(self.received_from, utc) >= window_end(self.received_to, utc):
                raise ValueError("received_to harus sama dengan atau setelah received_from")
        return self

    def resolve(self, session: Session, tz: ZoneInfo) -> ResolvedFilter:
        unknown_channels = unknown_channel_codes(session, self.channel)
        if unknown_channels:
            raise FilterError("channel", f"kanal tidak dikenal: {', '.join(unknown_channels)}")
        opd_ids: list[int] = []
        if self.opd:
            found = dict(session.exec(select(Opd.code, Opd.id).where(Opd.code.in_(self.opd))).all())
            unknown = [code for code in self.opd if code not in found]
            if unknown:
                raise FilterError("opd", f"kode OPD tidak dikenal: {', '.join(unknown)}")
            opd_ids = [found[code] for code in self.opd]
        category_ids: list[int] = []
        if self.category:
            category_ids = category_with_descendants(session, self.category)
        return ResolvedFilter(self, tz, opd_ids, category_ids)


def unknown_channel_codes(session: Session, codes: list[str]) -> list[str]:
    """Codes that are neither a built-in or plugin channel nor seen in the data (one indexed probe each)."""
    if not codes:
        return []
    known = set(CHANNEL_LABELS)
    try:
        from core.intake.registry import available

        known |= {getattr(cls, "channel", None) for cls in available().values()}
    except Exception:  # noqa: BLE001 - a broken plugin must not turn every filtered request into a 500
        pass
    return [code for code in codes if code not in known and session.exec(
        select(Complaint.id).where(Complaint.channel == code).limit(1)).first() is None]


def category_with_descendants(session: Session, codes: list[str]) -> list[int]:
    rows = session.exec(select(Category.id, Category.code, Category.parent_id)).all()
    by_code = {code: cid for cid, code, _ in rows}
    unknown = [code for code in codes if code not in by_code]
    if unknown:
        raise FilterError("category", f"kode kategori tidak dikenal: {', '.join(unknown)}")
    children: dict[int | None, list[int]] = {}
    for cid, _, parent in rows:
        children.setdefault(parent, []).append(cid)
    found, todo = set(), [by_code[code] for code in codes]
    while todo:
        cid = todo.pop()
        if cid not in found:
            found.add(cid)
            todo.extend(children.get(cid, []))
    return sorted(found)


@dataclass
class ResolvedFilter:
    spec: ComplaintFilter
    tz: ZoneInfo
    opd_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)

    def clauses(self, now: datetime, search_rahasia: bool = True) -> list[ColumnElement[bool]]:
        """WHERE clauses; `search_rahasia=False` keeps confidential text out of `q` matches."""
        c, s = Complaint, self.spec
        out: list[ColumnElement[bool]] = []
        if s.channel:
            out.append(c.channel.in_(s.channel))
        if s.opd:
            out.append(c.opd_id.in_(self.opd_ids))
        if s.category:
            out.append(c.category_id.in_(self.category_ids))
        if s.status:
            out.append(c.status.in_(s.status))
        if s.classification:
            out.append(c.classification.in_(s.classification))
        if s.kecamatan:
            out.append(c.kecamatan.in_(s.kecamatan))
        if s.desa:
            out.append(c.desa.in_(s.desa))
        if s.q:
            text = or_(c.title.icontains(s.q, autoescape=True), c.body.icontains(s.q, autoescape=True))
            if not search_rahasia:
                text = and_(not_(c.rahasia), text)
            out.append(or_(c.tracking_code == s.q.upper(), text))
        if s.received_from is not None:
            out.append(c.received_at >= window_start(s.received_from, self.tz))
        if s.received_to is not None:
            out.append(c.received_at < window_end(s.received_to, self.tz))
        if s.overdue is True:
            out.append(overdue_clause(now))
        elif s.overdue is False:
            out.append(not_(overdue_clause(now)))
        if s.rating_max is not None:
            out.append(and_(c.rating.is_not(None), c.rating <= s.rating_max))
        return out

