"""Kecamatan/desa look-ups against the seeded Region table."""

from __future__ import annotations

import math

from sqlmodel import Session, select

from models import Region

_EARTH_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(math.sqrt(a))


def nearest_kecamatan(session: Session, lat: float, lon: float, max_km: float = 15.0) -> str | None:
    """The kecamatan whose centroid is nearest, if within `max_km` (a shared pin outside the
    kabupaten gets no kecamatan rather than a wrong one)."""
    best: tuple[float, str] | None = None
    for region in session.exec(select(Region).where(Region.kind == "kecamatan")).all():
        if region.lat is None or region.lon is None:
            continue
        d = distance_km(lat, lon, region.lat, region.lon)
        if best is None or d < best[0]:
            best = (d, region.name)
    return best[1] if best and best[0] <= max_km else None


def kecamatan_desa(session: Session) -> dict[str, list[str]]:
    """{kecamatan: [desa, ...]} from the database (the source of truth once seeded)."""
    kecamatan = {r.id: r.name for r in session.exec(select(Region).where(Region.kind == "kecamatan")).all()}
    result: dict[str, list[str]] = {name: [] for name in kecamatan.values()}
    for desa in session.exec(select(Region).where(Region.kind == "desa").order_by(Region.name)).all():
        if desa.parent_id in kecamatan:
            result[kecamatan[desa.parent_id]].append(desa.name)
    return dict(sorted(result.items()))
