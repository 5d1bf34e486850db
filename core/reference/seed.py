"""Reference data of a kabupaten: OPD tree, category tree, SLA tiers, escalation ladder, regions.

Idempotent: running it twice changes nothing. The demo, the tests and fresh installs use it.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from sqlmodel import Session, select

from core.runtime.settings import Settings
from models import Category, EscalationStep, Opd, OpdKind, Region, SlaTier

TIER_NAMES = {"cepat": "Cepat (informasi, sederhana)", "sedang": "Sedang (tanpa cek lapangan)",
              "lama": "Lama (cek lapangan / kebijakan)"}

# The Sampang practice (docs/domain.md): a reminder every working morning from the first working day after
# receipt, letters on working days 2 and 3, escalation after (core/casework/escalation.py).
DEFAULT_LADDER = [
    dict(code="reminder", position=1, working_day=1, action="whatsapp_reminder", recipients="opd_admins",
         template="pengingat_aduan", repeat_daily=True),
    dict(code="teguran_1", position=2, working_day=2, action="letter", recipients="opd_head",
         template="surat_teguran_1"),
    dict(code="teguran_2", position=3, working_day=3, action="letter", recipients="opd_head",
         template="surat_teguran_2"),
    dict(code="eskalasi", position=4, working_day=4, action="escalate", recipients="parent_and_sekda",
         template="eskalasi_sekda"),
]


def _data(name: str, data_dir: Path | None = None):
    source = data_dir / name if data_dir else files("core.reference.data").joinpath(name)
    return json.loads(source.read_text(encoding="utf-8"))


def seed_reference(session: Session, settings: Settings, data_dir: Path | None = None) -> None:
    """`data_dir` holds a kabupaten's own opd.json, categories.json and regions.json (same shapes as
    core/reference/data/); without it, Kabupaten Blitar's are used."""
    _seed_tiers(session, settings)
    _seed_opd(session, data_dir)
    _seed_categories(session, data_dir)
    _seed_ladder(session)
    _seed_regions(session, data_dir)
    session.commit()


def _seed_tiers(session: Session, settings: Settings) -> None:
    have = {t.code for t in session.exec(select(SlaTier)).all()}
    for code, days in settings.sla_tiers.items():
        if code not in have:
            session.add(SlaTier(code=code, name=TIER_NAMES.get(code, code), resolution_days=days))


def _seed_opd(session: Session, data_dir: Path | None = None) -> None:
    by_code = {o.code: o for o in session.exec(select(Opd)).all()}
    for code, name, kind, parent, head_title in _data("opd.json", data_dir):
        if code in by_code:
            continue
        opd = Opd(code=code, name=name, kind=OpdKind(kind), head_title=head_title,
                  parent_id=by_code[parent].id if parent else None)
        session.add(opd)
        session.flush()
        by_code[code] = opd


def _seed_categories(session: Session, data_dir: Path | None = None) -> None:
    opd_ids = {o.code: o.id for o in session.exec(select(Opd)).all()}
    by_code = {c.code: c for c in session.exec(select(Category)).all()}
    for code, name, parent, opd, tier in _data("categories.json", data_dir):
        if code in by_code:
            continue
        cat = Category(code=code, name=name, parent_id=by_code[parent].id if parent else None,
                       default_opd_id=opd_ids.get(opd), sla_tier=tier)
        session.add(cat)
        session.flush()
        by_code[code] = cat


def _seed_ladder(session: Session) -> None:
    if session.exec(select(EscalationStep)).first() is None:
        for step in DEFAULT_LADDER:
            session.add(EscalationStep(**step))


def _seed_regions(session: Session, data_dir: Path | None = None) -> None:
    if session.exec(select(Region)).first() is not None:
        return
    for kecamatan, (lat, lon, desas) in _data("regions.json", data_dir).items():
        kec = Region(kind="kecamatan", name=kecamatan, lat=lat, lon=lon)
        session.add(kec)
        session.flush()
        for i, desa in enumerate(desas):
            # Desa centroids spread a little around the kecamatan's; enough for a map, not a survey.
            session.add(Region(kind="desa", name=desa, parent_id=kec.id,
                               lat=round(lat + 0.01 * (i - 1), 4), lon=round(lon + 0.008 * (1 - i), 4)))


def kecamatan_names() -> list[str]:
    return sorted(_data("regions.json"))


def desa_of() -> dict[str, list[str]]:
    return {k: v[2] for k, v in _data("regions.json").items()}
