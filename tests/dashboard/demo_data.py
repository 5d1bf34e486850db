"""A realistic month and a half of complaints for the browser tests, through the real ingest path."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlmodel import Session

from core.intake.inbox import land
from core.intake.ingest import DraftEvent
from core.reference.seed import desa_of
from models import ChannelCall, ConnectorInstance, RawState, Status, SyncState
from tests.factories import add_complaint, seeded

TOPICS = [
    ("INFRA-JALAN", "Jalan berlubang di {desa}", "Lubang besar di jalan desa, sudah ada pengendara jatuh."),
    ("INFRA-PJU", "Lampu PJU mati di {desa}", "Lampu penerangan jalan mati sejak seminggu, rawan kejahatan."),
    ("INFRA-DRAINASE", "Saluran air tersumbat di {desa}", "Saat hujan air meluap ke rumah warga."),
    ("ADMINDUK-KTP", "KTP-el belum jadi", "Sudah rekam tiga bulan lalu, belum dicetak."),
    ("KESEHATAN-PUSKESMAS", "Antrean puskesmas {kec} lama", "Menunggu lebih dari tiga jam untuk diperiksa."),
    ("KESEHATAN-RS", "Pelayanan IGD kurang ramah", "Petugas jaga malam tidak ramah kepada keluarga pasien."),
    ("BANSOS-PKH", "Bantuan PKH belum cair", "Nama terdaftar tetapi bantuan belum diterima."),
    ("LINGKUNGAN-SAMPAH", "Sampah menumpuk di {desa}", "TPS penuh dan tidak diangkut seminggu."),
    ("TRANTIB-PKL", "PKL menutup trotoar", "Pedagang berjualan di trotoar depan pasar."),
    ("PENDIDIKAN-PPDB", "Pungutan PPDB", "Sekolah meminta uang seragam di luar ketentuan."),
    ("AIR", "Air PDAM tidak mengalir", "Sudah tiga hari air tidak mengalir di {desa}."),
]
CHANNEL_WEIGHTS = {"lapor": 5, "whatsapp": 4, "call112": 2, "google_reviews": 2, "manual": 2}
STATUS_WEIGHTS = {Status.unverified: 2, Status.verified: 1, Status.dispatched: 3, Status.in_progress: 3,
                  Status.postponed: 1, Status.resolved: 8, Status.rejected: 1}


def seed_demo(session: Session, now: datetime, n: int = 220, newest_minutes_ago: int = 10,
              seed: int = 20261123) -> None:
    """`n` complaints spread over 45 days, the newest `newest_minutes_ago` minutes before `now`."""
    seeded(session)
    rng = random.Random(seed)
    desas = desa_of()
    kecamatan = sorted(desas)
    channels = list(CHANNEL_WEIGHTS)
    statuses = list(STATUS_WEIGHTS)
    for i in range(n):
        channel = rng.choices(channels, list(CHANNEL_WEIGHTS.values()))[0]
        status = rng.choices(statuses, list(STATUS_WEIGHTS.values()))[0]
        category, title, body = rng.choice(TOPICS)
        kec = rng.choice(kecamatan[: 12 + i % 10])  # some kecamatan busier than others
        desa = rng.choice(desas[kec])
        age = timedelta(minutes=newest_minutes_ago + (rng.randint(20, 45 * 24 * 60) if i else 0))
        received = now - age
        resolved_at = received + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 12))
        if status == Status.resolved and resolved_at > now:
            status = Status.in_progress
        events = []
        if status in (Status.in_progress, Status.postponed, Status.resolved):
            answered = min(received + timedelta(hours=rng.randint(2, 24 * 9)), resolved_at, now)
            events.append(DraftEvent(external_id=f"r{i}", at=answered, actor="admin OPD",
                                     note="Aduan sudah kami terima dan sedang ditindaklanjuti.", is_opd_response=True))
        rating = rng.choice([1, 1, 2, 2, 3]) if channel == "google_reviews" else None
        add_complaint(session, channel, external_id=f"{channel}-{i}", title=title.format(desa=desa, kec=kec),
                      body=body.format(desa=desa), received_at=received, category_code=category, kecamatan=kec,
                      desa=desa, status=status, events=events, rating=rating,
                      resolved_at=resolved_at if status == Status.resolved else None)
    for day in range(30):
        for call_type, weight in (("ghost", 6), ("prank", 3), ("informasi", 2)):
            for k in range(rng.randint(0, weight)):
                session.add(ChannelCall(channel="call112", external_id=f"call-{day}-{call_type}-{k}",
                                        call_type=call_type, received_at=now - timedelta(days=day, hours=k)))
    for name, kind in (("lapor-blitar", "lapor"), ("whatsapp-pemkab", "whatsapp"), ("call112-cad", "call112"),
                       ("gmaps-layanan", "google_reviews")):
        instance = ConnectorInstance(name=name, kind=kind, config={}, enabled=True)
        session.add(instance)
        session.flush()
        session.add(SyncState(connector_instance_id=instance.id, status="ok", last_run_at=now - timedelta(minutes=4),
                              last_success_at=now - timedelta(minutes=4), fetched_total=rng.randint(200, 900),
                              new_total=rng.randint(50, 200), updated_total=rng.randint(10, 80)))
        if kind == "whatsapp":  # two messages the mapping cannot place yet: they wait in the inbox
            for k in range(2):
                record, _ = land(session, "whatsapp", f"wamid.unplaced-{k}", {"text": {"body": "?"}}, instance.id)
                record.state, record.error = RawState.failed, "unknown message type 'sticker'"
    session.commit()
