"""The demo's planted trends (issue #22), loaded through the real connectors like the rest:

- **a flood week in Kanigoro**: in the day before the demo's "now", 30 reports of flooding (a blocked culvert,
  water in houses) from Kanigoro's three desa: 12 on WhatsApp (webhook, each with a pin), 10 on SP4N-LAPOR! (the
  emulator's planted reports, pulled), 8 calls in a 112 CAD export dropped in the import folder;
- **a recurring theme**: cloudy or cut-off PDAM water in Talun, three WhatsApp reports every week for eight
  weeks: a topic every week, never a spike.

Then the trends job runs once (`aduan trends compute`), so the Isu page shows what the data says.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connectors.call112 import COLUMNS
from connectors.emulators import meta_webhooks
from connectors.emulators.call112_export import Export, indonesian
from core.runtime.settings import Settings

SEED = 2026_22
FLOOD_KECAMATAN = "Kanigoro"
FLOOD_DESA = ("Kanigoro", "Gogodeso", "Sawentar")
FLOOD_CENTRE = (-8.1347, 112.2128)
FLOOD_WHATSAPP = [
    "Banjir lagi di {desa} min, air masuk rumah warga setinggi lutut. Gorong-gorong depan balai desa tersumbat",
    "Tolong pak, RT 02 {desa} kebanjiran sejak subuh, saluran air buntu sampah",
    "jln ke pasar {desa} tergenang banjir 40 cm, motor gk bisa lewat. gorong2 mampet",
    "Banjir di Desa {desa} blm surut, anak2 gk bisa sekolah. mohon dikeruk saluran nya 🙏",
    "Air luapan selokan masuk rumah di {desa}, gorong-gorong tersumbat lumpur dan sampah",
    "min banjir di dusun kami {desa}, sudah 2 hari air tdk surut krn gorong2 buntu",
]
FLOOD_LAPOR = [
    ("Banjir akibat gorong-gorong tersumbat di Desa {desa}",
     "Sejak hujan deras kemarin rumah warga di Desa {desa} Kecamatan Kanigoro terendam banjir setinggi lutut. "
     "Gorong-gorong di bawah jalan desa tersumbat sampah dan lumpur sehingga air tidak mengalir."),
    ("Permukiman {desa} terendam banjir",
     "Air meluap dari saluran yang buntu dan menggenangi permukiman Desa {desa}. Mohon gorong-gorong segera "
     "dibersihkan."),
]
FLOOD_112 = ["Banjir setinggi lutut di permukiman {desa}, gorong-gorong tersumbat",
             "Warga terjebak banjir di rumah, air terus naik di {desa}"]
WATER_WHATSAPP = [
    "Air PDAM di {desa} keruh lagi min, warna coklat dan bau",
    "PDAM mati lagi di {desa} sejak pagi, air tdk mengalir sama sekali",
    "min air pdam keruh dan kecil alirannya di {desa}, sudah bayar tagihan tp air gk lancar",
]
WATER_DESA = ("Talun", "Jeblog", "Bendosewu")


def flood_times(anchor: datetime, n: int, rng: random.Random) -> list[datetime]:
    """`n` moments in the 20 hours before the anchor, the same on every run."""
    return sorted(anchor - timedelta(minutes=rng.uniform(10, 20 * 60)) for _ in range(n))


def lapor_planted(anchor: datetime) -> list[dict]:
    """The LAPOR! emulator's planted flood reports (create_app(planted=...))."""
    rng = random.Random(SEED)
    out = []
    for i, at in enumerate(flood_times(anchor, 10, rng)):
        desa = FLOOD_DESA[i % len(FLOOD_DESA)]
        title, content = FLOOD_LAPOR[i % len(FLOOD_LAPOR)]
        out.append({"at": at, "topic": "Penanggulangan Bencana", "kecamatan": FLOOD_KECAMATAN, "desa": desa,
                    "title": title.format(desa=desa), "content": content.format(desa=desa)})
    return out


def write_flood_112(folder: Path, anchor: datetime) -> None:
    """The call centre's extra export of the flood night (8 calls), in the same CAD columns as the monthly ones."""
    path = folder / f"ekspor-112-banjir-{anchor:%Y-%m-%d}.csv"
    if path.exists():
        return
    rng = random.Random(SEED + 1)
    lat, lon = FLOOD_CENTRE
    export = Export(rows=[])
    for i, at in enumerate(flood_times(anchor, 8, rng)):
        local = at.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=7)  # the CAD writes local time (WIB)
        desa = FLOOD_DESA[i % len(FLOOD_DESA)]
        row = dict.fromkeys(COLUMNS, "")
        row.update(id=f"112BJR{anchor:%y%m%d}{i + 1:03d}", tanggal_terima=indonesian(local, rng),
                   no_telp_pelapor="08" + "".join(str(rng.randint(0, 9)) for _ in range(10)),
                   jenis_panggilan="normal", nama_pelapor=f"Warga {desa} {i + 1}",
                   kejadian=FLOOD_112[i % len(FLOOD_112)].format(desa=desa), alamat=f"Desa {desa}", desa=desa,
                   kecamatan=FLOOD_KECAMATAN, kategori="bencana", opd="BPBD",
                   lat_long=f"LatLng({lat + rng.uniform(-0.01, 0.01):.5f}, {lon + rng.uniform(-0.01, 0.01):.5f})")
        export.rows.append(row)
    path.write_bytes(export.csv_bytes())


def deliver_planted_whatsapp(anchor: datetime, secret: str, graph=None) -> int:
    """The flood's 12 WhatsApp reporters (text + pin) and eight weeks of the Talun water theme, signed, to our
    real webhook route. Returns the deliveries posted."""
    from fastapi.testclient import TestClient

    from api.main import create_app

    rng = random.Random(SEED + 2)
    url = "/api/v1/webhooks/whatsapp"
    posts = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client_cm = TestClient(create_app())
    with client_cm as client:
        def send(wa_id: str, name: str, message: dict) -> None:
            nonlocal posts
            body = meta_webhooks.delivery([meta_webhooks.change([message], contacts=[(name, wa_id)])])
            meta_webhooks.deliver(url, secret, body, client=client, graph=graph)
            posts += 1

        for i, at in enumerate(flood_times(anchor, 12, rng)):
            desa = FLOOD_DESA[i % len(FLOOD_DESA)]
            wa_id, name = f"62813226{i:05d}", f"Warga {desa} {i + 1}"
            send(wa_id, name, meta_webhooks.text_message(
                wa_id, FLOOD_WHATSAPP[i % len(FLOOD_WHATSAPP)].format(desa=desa), at, meta_webhooks.new_wamid(rng)))
            lat, lon = FLOOD_CENTRE
            send(wa_id, name, meta_webhooks.location_message(
                wa_id, round(lat + rng.uniform(-0.01, 0.01), 6), round(lon + rng.uniform(-0.01, 0.01), 6),
                at + timedelta(minutes=1), f"Desa {desa}", "Kec. Kanigoro, Kabupaten Blitar",
                meta_webhooks.new_wamid(rng)))
        lat, lon = -8.0880, 112.3300  # Talun
        for week in range(8, 0, -1):
            for j in range(3):
                at = anchor - timedelta(weeks=week) + timedelta(days=j * 2, hours=rng.uniform(-6, 6))
                desa = WATER_DESA[(week + j) % len(WATER_DESA)]
                wa_id, name = f"62813227{week:02d}{j:03d}", f"Pelanggan PDAM {desa}"
                send(wa_id, name, meta_webhooks.text_message(
                    wa_id, WATER_WHATSAPP[(week + j) % len(WATER_WHATSAPP)].format(desa=desa), at,
                    meta_webhooks.new_wamid(rng)))
                send(wa_id, name, meta_webhooks.location_message(
                    wa_id, round(lat + rng.uniform(-0.01, 0.01), 6), round(lon + rng.uniform(-0.01, 0.01), 6),
                    at + timedelta(minutes=1), f"Desa {desa}", "Kec. Talun, Kabupaten Blitar",
                    meta_webhooks.new_wamid(rng)))
    return posts


def merge_flood_duplicates(settings: Settings, anchor: datetime, say: Callable[[str], None]) -> None:
    """The admin merges the flood's WhatsApp reports into the LAPOR! report of the same desa (triage merge), so
    the Isu page shows the flood as a few issues across channels. A rerun finds them merged."""
    from sqlmodel import Session, select

    from core.casework.workflow import Action, ActionConflictError, ActionInputError, TransitionError
    from core.intake.writeback import take_action
    from core.reference.calendar import calendar_for
    from core.runtime.db import get_engine
    from models import Complaint, Status

    calendar = calendar_for(settings)
    since = anchor - timedelta(days=1)
    merged = 0
    with Session(get_engine(), expire_on_commit=False) as session:
        flood = session.exec(select(Complaint).where(
            Complaint.kecamatan == FLOOD_KECAMATAN, Complaint.received_at >= since,
            Complaint.received_at <= anchor, Complaint.parent_id.is_(None)).order_by(Complaint.received_at)).all()
        flood = [c for c in flood if "banjir" in f"{c.title} {c.body}".lower()]
        parents = {}
        for c in flood:
            for desa in FLOOD_DESA:
                if c.channel == "lapor" and desa in c.title and c.status not in (Status.rejected, Status.archived):
                    parents.setdefault(desa, c)
        for c in flood:
            desa = next((d for d in FLOOD_DESA if d in c.title), None)
            parent = parents.get(desa)
            if c.channel != "whatsapp" or parent is None:
                continue
            try:
                take_action(session, c, Action.merge, "Admin Diskominfo", calendar, settings, into=parent.id)
                session.commit()
                merged += 1
            except (TransitionError, ActionInputError, ActionConflictError):
                session.rollback()
    if merged:
        say(f"flood duplicates: {merged} WhatsApp reports merged into the LAPOR! report of their desa")


def compute_trends(settings: Settings, say: Callable[[str], None]) -> None:
    """`aduan trends compute` once, and what it found."""
    from sqlmodel import Session

    from core.casework.outbox import GraphSender, dispatch_due
    from core.runtime.db import get_engine
    from core.trends.job import run_trends
    from core.trends.queries import spikes_view, topics_view
    from models.types import utcnow

    with Session(get_engine(), expire_on_commit=False) as session:
        result = run_trends(session, settings)
        say(f"trends: {result}")
        if result.notifications:  # the Kominfo admins hear of the new spikes (Meta emulator)
            sent = dispatch_due(get_engine(), settings, now=utcnow(), sender=GraphSender(settings))
            say(f"spike notifications (lonjakan_aduan) to the Diskominfo admins: {sent}")
        topics = topics_view(session, settings, period="week")["topics"]
        say("topics this week: " + "; ".join(f"{t['label']} ({t['count']})" for t in topics[:5]))
        spikes = spikes_view(session, settings, limit=5)["spikes"]
        say("spikes: " + ("; ".join(f"{s['label']} ({s['window']}: {s['count']}, {s['ratio']:.1f}× usual)"
                                     for s in spikes) or "none"))
