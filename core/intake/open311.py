"""Open311 GeoReport v2 mapping: our categories are services, complaints are service requests.

Public output never carries reporter data, and confidential (rahasia) complaints never appear.
A POSTed request is landed in the inbox as received (`new_payload`), then goes through the intake
pipeline with the `open311` connector (connectors/open311.py) like any channel's payload.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlmodel import Session

from core.identity.access import PUBLIC
from models import Category, Complaint, Opd, Region, Status
from models.enums import OPEN_STATUSES, STATUS_LABEL_ID

CHANNEL = "open311"
CLOSED_STATUSES = (Status.resolved, Status.rejected, Status.archived)
MAX_WINDOW_DAYS = 90
MAX_RESULTS = 1000
NEAREST_KECAMATAN_KM = 25.0


def w3c(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def services(session: Session) -> list[dict[str, Any]]:
    cats = session.execute(select(Category).order_by(Category.code)).scalars().all()
    names = {c.id: c.name for c in cats}
    return [{"service_code": c.code, "service_name": c.name,
             "description": f"{names[c.parent_id]} › {c.name}" if c.parent_id in names else c.name,
             "metadata": False, "type": "realtime", "keywords": c.code.lower().replace("-", ","),
             "group": names.get(c.parent_id, c.name)} for c in cats]


def requests_select() -> Select:
    """Service requests: never confidential ones, never reporter columns."""
    c = Complaint
    return (select(c.tracking_code, c.status, c.body, c.title, c.received_at, c.updated_at, c.resolution_due_at,
                   c.location_text, c.desa, c.kecamatan, c.lat, c.lon, c.rahasia, Category.code.label("service_code"),
                   Category.name.label("service_name"), Opd.name.label("agency"))
            .select_from(c)
            .outerjoin(Category, Category.id == c.category_id)
            .outerjoin(Opd, Opd.id == c.opd_id)
            .where(c.rahasia.is_(False)))


def service_request(row, tz: ZoneInfo) -> dict[str, Any]:
    status = Status(row.status)
    shown = PUBLIC.mask({"status": status, "rahasia": row.rahasia, "title": row.title, "body": row.body,
                         "location_text": row.location_text, "lat": row.lat, "lon": row.lon})
    address = ", ".join(part for part in (shown["location_text"], row.desa and f"Desa {row.desa}",
                                          row.kecamatan and f"Kec. {row.kecamatan}") if part)
    return {
        "service_request_id": row.tracking_code,
        "status": "open" if status in OPEN_STATUSES else "closed",
        "status_notes": STATUS_LABEL_ID.get(status, status.value),
        "service_name": row.service_name,
        "service_code": row.service_code,
        "description": shown["body"] or shown["title"],
        "agency_responsible": row.agency,
        "service_notice": None,
        "requested_datetime": w3c(row.received_at, tz),
        "updated_datetime": w3c(row.updated_at, tz),
        "expected_datetime": w3c(row.resolution_due_at, tz),
        "address": address or None,
        "address_id": None,
        "zipcode": None,
        "lat": shown["lat"],
        "long": shown["lon"],
        "media_url": None,
    }


def nearest_kecamatan(session: Session, lat: float, lon: float) -> str | None:
    best, best_km = None, NEAREST_KECAMATAN_KM
    rows = session.execute(select(Region.name, Region.lat, Region.lon).where(Region.kind == "kecamatan"))
    for name, rlat, rlon in rows:
        if rlat is None or rlon is None:
            continue
        km = math.dist((lat * 111.0, lon * 111.0 * math.cos(math.radians(lat))),
                       (rlat * 111.0, rlon * 111.0 * math.cos(math.radians(lat))))
        if km < best_km:
            best, best_km = name, km
    return best


def new_payload(form: dict[str, str], received_at: datetime, kecamatan: str | None) -> tuple[str, dict[str, Any]]:
    """The inbox payload: the form as posted plus what the server knew when it arrived."""
    external_id = uuid.uuid4().hex
    return external_id, {"id": external_id, "received_at": received_at.isoformat(), "form": form,
                         "kecamatan": kecamatan}
