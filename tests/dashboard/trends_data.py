"""Demo-like data for the Isu page and the wall's spike line: the browser tests' month and a half of complaints,
a flood planted today in Kanigoro across WhatsApp, LAPOR! and 112, a drainage issue merged from three reports, and
the worker's trends job run over it (topics and spikes stored as the dashboard reads them)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session

from core.runtime.settings import get_settings
from core.trends.job import run_trends
from models import Status
from tests.dashboard.demo_data import seed_demo
from tests.factories import add_complaint

FLOOD = "Bencana dan kedaruratan di Kanigoro"
FLOOD_TEXTS = ["Banjir setinggi lutut di permukiman, gorong-gorong tersumbat",
               "Air banjir masuk rumah warga, saluran tidak mengalir",
               "Banjir di jalan desa, motor tidak bisa lewat",
               "Banjir lagi sejak subuh, air sungai meluap ke rumah",
               "Rumah kami kebanjiran, mohon bantuan perahu dan makanan"]


def seed_trends(session: Session, now: datetime, n: int = 220) -> None:
    seed_demo(session, now, n=n)
    settings = get_settings()
    midnight = datetime.combine(now.astimezone(settings.tz).date(), time(0, 1), tzinfo=settings.tz)
    for i, channel in enumerate(["whatsapp"] * 12 + ["lapor"] * 10 + ["call112"] * 8):
        received = max(now - timedelta(minutes=5 + 3 * i), midnight + timedelta(minutes=i))
        add_complaint(session, channel, external_id=f"banjir-{i}", title=FLOOD_TEXTS[i % 5],
                      body="Air belum surut." if i % 2 else "Warga mengungsi ke balai desa.", received_at=received,
                      category_code="BENCANA", kecamatan="Kanigoro", desa="Gogodeso", status=Status.verified)
    parent = add_complaint(session, "whatsapp", external_id="gorong-0", title="Gorong-gorong Jalan Kenanga tersumbat",
                           body="Saluran tersumbat sampah, air meluap.", received_at=now - timedelta(days=2),
                           category_code="INFRA-DRAINASE", kecamatan="Talun", desa=None, status=Status.dispatched)
    for k, channel in enumerate(("lapor", "call112", "manual"), start=1):
        child = add_complaint(session, channel, external_id=f"gorong-{k}", title="Saluran tersumbat di Jalan Kenanga",
                              body="Air meluap ke jalan.", received_at=now - timedelta(days=2, hours=k),
                              category_code="INFRA-DRAINASE", kecamatan="Talun", desa=None,
                              reporter_name=f"Warga {k}", status=Status.verified)
        child.parent_id = parent.id
        session.add(child)
    session.commit()
    run_trends(session, settings, now=now)
