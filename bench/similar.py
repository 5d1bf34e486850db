"""Latency of GET /complaints/{id}/similar (possible duplicates) at N complaints, over ASGI.

    python -m bench.similar --n 100000                      # a temp SQLite file AND a temp PostgreSQL database
    python -m bench.similar --n 100000 --db-url sqlite:////tmp/similar.db   # one database (kept; reused)

Complaints are bulk-inserted (no ingest path) with texts written from per-category phrase pools, places from
the seeded regions (a share with coordinates, a share of WhatsApp ones without kecamatan or category), spread
over a year in arrival order (or --shuffled), and one in ten a re-report of an earlier complaint through another
channel within days (the duplicates the endpoint exists to find). Then ~200 random complaints are asked for their
possible duplicates through httpx's ASGI transport (the whole app: auth, middleware, JSON); p50/p95 are printed,
next to the same call without HTTP and the SQL prefilter alone, and the share of re-reports whose earlier report
comes back (recall). Temporary databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine, make_url

DUP_MARK = "dup-of:"
YEAR = 365 * 86400
PG_ADMIN = os.environ.get("ADUAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 10_000
CHANNELS = [("lapor", 35), ("whatsapp", 30), ("call112", 15), ("google_reviews", 5), ("manual", 15)]
STATUSES = [("resolved", 55), ("in_progress", 10), ("dispatched", 12), ("verified", 3), ("unverified", 15),
            ("rejected", 5)]
# category code → (subjects, details): a title is "<subject> <place words>", a body mixes details.
PHRASES: dict[str, tuple[list[str], list[str]]] = {
    "INFRA-JALAN": (["Jalan berlubang", "Jalan rusak parah", "Aspal mengelupas", "Jalan bergelombang"],
                    ["lubang besar dan dalam", "sudah ada pengendara motor jatuh", "tergenang air saat hujan",
                     "aspal hancur sepanjang 200 meter", "berbahaya di malam hari", "truk bermuatan lewat tiap hari"]),
    "INFRA-JEMBATAN": (["Jembatan retak", "Jembatan ambrol", "Pagar jembatan hilang"],
                       ["tiang penyangga keropos", "kendaraan roda empat tidak bisa lewat", "retakan makin lebar"]),
    "INFRA-DRAINASE": (["Saluran tersumbat", "Got mampet", "Drainase meluap"],
                       ["air meluap ke jalan", "sampah menyumbat gorong-gorong", "bau tidak sedap",
                        "banjir setiap hujan deras"]),
    "INFRA-PJU": (["Lampu jalan mati", "PJU padam", "Lampu penerangan jalan rusak"],
                  ["gelap gulita di malam hari", "rawan kecelakaan dan begal", "sudah dua minggu mati",
                   "tiang lampu miring"]),
    "ADMINDUK-KTP": (["KTP-el belum jadi", "Blanko KTP habis", "Rekam KTP antre lama"],
                     ["sudah tiga bulan menunggu", "disuruh kembali minggu depan", "butuh untuk melamar kerja"]),
    "ADMINDUK-KK": (["Akta kelahiran belum terbit", "Kartu keluarga salah nama", "Pindah KK dipersulit"],
                    ["berkas sudah lengkap", "petugas minta biaya tambahan", "anak mau masuk sekolah"]),
    "PENDIDIKAN-PPDB": (["PPDB zonasi bermasalah", "Pungutan sekolah", "Seragam wajib beli di sekolah"],
                        ["anak tidak diterima padahal dekat", "diminta uang gedung", "harga seragam mahal"]),
    "KESEHATAN-RS": (["Antrean RSUD lama", "Pasien BPJS ditolak", "Dokter jaga tidak ada"],
                     ["menunggu dari pagi sampai sore", "kamar dibilang penuh", "pelayanan perawat kasar"]),
    "KESEHATAN-PUSKESMAS": (["Puskesmas tutup", "Obat puskesmas kosong", "Pelayanan puskesmas lambat"],
                            ["jam buka tidak sesuai", "disuruh beli obat di luar", "bidan tidak di tempat"]),
    "BANSOS-PKH": (["Bansos tidak tepat sasaran", "PKH belum cair", "BPNT dipotong"],
                   ["warga mampu dapat bantuan", "warga miskin tidak terdata", "pendamping minta potongan"]),
    "TRANTIB-PKL": (["PKL menutup trotoar", "Reklame liar", "Lapak liar di bahu jalan"],
                    ["pejalan kaki terpaksa lewat jalan raya", "baliho roboh menutup jalan", "macet setiap sore"]),
    "TRANSPORTASI-PARKIR": (["Parkir liar", "Juru parkir minta lebih", "Parkir di bahu jalan"],
                            ["tarif parkir tidak sesuai perda", "menyebabkan macet", "tanpa karcis resmi"]),
    "LINGKUNGAN-SAMPAH": (["Sampah menumpuk", "TPS liar", "Sampah tidak diangkut"],
                          ["bau menyengat", "sudah seminggu tidak diangkut", "dibakar warga asapnya mengganggu"]),
    "LINGKUNGAN-POLUSI": (["Limbah pabrik", "Asap pabrik", "Sungai tercemar"],
                          ["air sungai berwarna hitam", "ikan mati", "warga batuk-batuk"]),
    "AIR": (["Air PDAM keruh", "Air PDAM mati", "Tagihan PDAM naik"],
            ["sudah tiga hari tidak mengalir", "air berbau kaporit", "meteran tidak dicek petugas"]),
    "PERIZINAN": (["Izin usaha lama", "Pungli perizinan", "OSS bermasalah"],
                  ["berkas hilang", "diminta uang pelicin", "sudah dua bulan belum terbit"]),
    "PERTANIAN": (["Pupuk subsidi langka", "Irigasi kering", "Harga gabah anjlok"],
                  ["petani kesulitan", "kios pupuk kosong", "sawah tidak teraliri"]),
    "KEBAKARAN": (["Kebakaran rumah", "Kebakaran lahan", "Gudang terbakar"],
                  ["api membesar", "butuh mobil damkar", "asap tebal"]),
    "DESA": (["Dana desa tidak transparan", "Kades jarang di kantor", "Surat desa dipersulit"],
             ["laporan anggaran tidak dipasang", "warga minta kejelasan", "diminta biaya surat pengantar"]),
}
FILLERS = ["Mohon segera ditindaklanjuti.", "Terima kasih.", "Tolong dicek, pak.", "Sudah lapor ke RT tapi belum ada "
           "tindakan.", "Kami warga sangat resah.", "", "", "Foto terlampir."]
LANDMARKS = ["depan pasar", "dekat SDN 1", "depan balai desa", "dekat masjid", "perempatan", "dekat puskesmas",
             "depan kantor kecamatan", "gang 3", "RT 02 RW 05", "dekat makam", "jalan raya", "dekat jembatan"]


# --- data ------------------------------------------------------------------------------------------

def generate(engine: Engine, n: int, seed: int, shuffled: bool = False) -> int:
    from core.intake.ingest import tracking_code
    from core.reference.seed import desa_of
    from models import Category, Complaint, Region

    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Complaint)).scalar_one()
        if have >= n:
            return have
        cats = {code: (id_, opd) for code, id_, opd in conn.execute(
            select(Category.code, Category.id, Category.default_opd_id))}
        centroids = {name: (lat, lon) for name, lat, lon in conn.execute(
            select(Region.name, Region.lat, Region.lon).where(Region.kind == "kecamatan"))}
    rng = random.Random(seed + have)
    places = [(kec, desa) for kec, desas in desa_of().items() for desa in desas]
    codes = [c for c in PHRASES if c in cats]
    channels, ch_w = zip(*CHANNELS, strict=True)
    statuses, st_w = zip(*STATUSES, strict=True)
    now = datetime.now(UTC).replace(microsecond=0)
    table = Complaint.__table__
    recent: list[dict] = []  # earlier complaints a duplicate may re-report
    made, started = have, time.perf_counter()
    while made < n:
        rows = []
        for i in range(made, min(n, made + BATCH)):
            channel = rng.choices(channels, ch_w)[0]
            base = None
            if recent and rng.random() < 0.10:  # a re-report of an earlier complaint, days later
                base = rng.choice(recent[-500:])
                code, (kec, desa), landmark = base["_code"], base["_place"], base["_landmark"]
                received = base["received_at"] + timedelta(hours=rng.randint(1, 24 * 6))
                centre = (base["lat"], base["lon"]) if base["lat"] is not None else None
            else:
                code, (kec, desa), landmark = rng.choice(codes), rng.choice(places), rng.choice(LANDMARKS)
                # Arrival order, as ingest writes them (ids grow with time); --shuffled spreads them at random.
                ago = rng.randint(0, YEAR) if shuffled else YEAR * (n - i) / n + rng.uniform(-3600, 3600)
                received = now - timedelta(seconds=max(0.0, ago))
                clat, clon = centroids.get(kec, (None, None))
                centre = (clat + rng.uniform(-0.02, 0.02), clon + rng.uniform(-0.02, 0.02)) if clat else None
            subjects, details = PHRASES[code]
            status = rng.choices(statuses, st_w)[0]
            cat_id, opd_id = cats[code]
            known_cat = not (channel == "whatsapp" and status == "unverified") and rng.random() < 0.9
            known_kec = not (channel == "whatsapp" and rng.random() < 0.4)
            pin = centre is not None and (channel in ("whatsapp", "call112") or rng.random() < 0.2)
            lat = lon = None
            if pin:
                lat, lon = centre[0] + rng.gauss(0, 0.001), centre[1] + rng.gauss(0, 0.001)
            where = f"{landmark} {desa}"
            title = f"{rng.choice(subjects)} {where}" if rng.random() < 0.8 else rng.choice(subjects)
            body = " ".join([f"{rng.choice(subjects)} di {where}, kecamatan {kec}."]
                            + rng.sample(details, k=min(len(details), rng.randint(1, 3)))
                            + [rng.choice(FILLERS)])
            external_id = f"sim-{i}"
            row = {
                "title": title[:300], "body": body, "classification": "pengaduan",
                "category_id": cat_id if known_cat else None,
                "opd_id": opd_id if status != "unverified" else None, "rahasia": rng.random() < .02,
                "anonim": rng.random() < .05, "reporter_name": f"Warga {i % 997}",
                "reporter_contact": f"{DUP_MARK}{base['external_id']}" if base else None,  # for recall below
                "location_text": where, "desa": desa if known_kec else None, "kecamatan": kec if known_kec else None,
                "lat": lat, "lon": lon, "channel": channel, "external_id": external_id,
                "tracking_code": tracking_code(channel, external_id), "status": status, "received_at": received,
                "sla_tier": "sedang", "sla_tier_override": False, "escalation_level": 0, "paused_working_days": 0,
                "created_at": received, "updated_at": received,
            }
            rows.append(row)
            recent.append({**row, "_code": code, "_place": (kec, desa), "_landmark": landmark})
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
        del recent[:-2000]
        made += len(rows)
        print(f"\r  generated {made:,}/{n:,} ({time.perf_counter() - started:.0f}s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return made


# --- databases -------------------------------------------------------------------------------------

def temp_database(backend: str) -> tuple[str, callable]:
    """A fresh database of that backend and how to drop it."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="aduan-similar-")
        path = Path(folder) / "bench.db"

        def remove():
            for p in Path(folder).glob("*"):
                p.unlink(missing_ok=True)
            Path(folder).rmdir()

        return f"sqlite:///{path}", remove
    from core.runtime.db import make_engine

    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"aduan_similar_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), drop


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    from core.runtime.db import make_engine

    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


# --- measuring -------------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(db_url: str, n: int, samples: int, seed: int, shuffled: bool = False) -> None:
    import httpx
    from sqlmodel import Session

    from api.main import create_app
    from core.identity.access import Access
    from core.identity.keys import create_key
    from core.reference.seed import seed_reference
    from core.runtime import db, migrate
    from core.runtime.settings import get_settings
    from core.triage import similar as sim
    from models import Category, Complaint, Role

    os.environ["ADUAN_DATABASE_URL"] = db_url
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    settings = get_settings()
    ensure_database(db_url)
    migrate.upgrade(db_url)
    engine = db.get_engine()
    with Session(engine) as session:
        seed_reference(session, settings)
    t0 = time.perf_counter()
    total = generate(engine, n, seed, shuffled)
    loaded = time.perf_counter() - t0
    with Session(engine) as session:
        _, key = create_key(session, f"bench-{uuid.uuid4().hex[:6]}", "admin")
        ids = list(session.execute(select(Complaint.id)).scalars())
    rng = random.Random(seed)
    chosen = rng.sample(ids, min(samples + 10, len(ids)))
    warm, picked = chosen[:10], chosen[10:]
    access = Access(role=Role.admin, actor="bench")

    async def over_asgi() -> tuple[list[float], list[int]]:
        transport = httpx.ASGITransport(app=create_app())
        times, counts = [], []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"X-API-Key": key}
            for complaint_id in warm:  # warm-up: imports, query plans, connections
                (await client.get(f"/api/v1/complaints/{complaint_id}/similar", headers=headers)).raise_for_status()
            sim._token_cache.clear()  # each phase starts without the words of earlier requests
            for complaint_id in picked:
                start = time.perf_counter()
                response = await client.get(f"/api/v1/complaints/{complaint_id}/similar", headers=headers)
                times.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
                counts.append(len(response.json()["items"]))
        return times, counts

    api_ms, counts = asyncio.run(over_asgi())
    core_ms, cpu_ms, sql_ms, cands = [], [], [], []
    sim._token_cache.clear()
    with Session(engine) as session:
        categories = {c.id: c for c in session.execute(select(Category)).scalars()}
        for complaint_id in picked:
            start, cpu = time.perf_counter(), time.process_time()
            sim.similar_for(session, complaint_id, access, settings)
            core_ms.append((time.perf_counter() - start) * 1000)
            cpu_ms.append((time.process_time() - cpu) * 1000)
            me = sim._row(session.execute(select(*sim._COLUMNS).where(Complaint.id == complaint_id)).one())
            start = time.perf_counter()
            rows = sim._candidates(session, me, access, timedelta(days=settings.similar_window_days),
                                   settings.similar_distance_m, categories, settings.similar_max_candidates)
            sql_ms.append((time.perf_counter() - start) * 1000)
            cands.append(len(rows))
        recall, asked = recall_at(session, access, settings, rng, sim, Complaint)
    engine.dispose()
    db.get_engine.cache_clear()

    order = "random time order" if shuffled else "arrival order"
    print(f"{engine.dialect.name}, {total:,} complaints ({order}, loaded in {loaded:.1f} s), "
          f"{len(picked)} random complaints, "
          f"window ±{settings.similar_window_days} days, at most {settings.similar_max_candidates} candidates")
    print(f"{'':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, values in (("GET /similar over ASGI", api_ms), ("similar_for (no HTTP)", core_ms),
                          ("  its CPU time in this process", cpu_ms), ("SQL prefilter alone", sql_ms)):
        print(f"{label:<36} {pct(values, 50):>8.1f} {pct(values, 95):>8.1f} {max(values):>8.1f}")
    print(f"candidates compared: median {statistics.median(cands):.0f}, max {max(cands)}; "
          f"items answered: mean {statistics.mean(counts):.2f}, "
          f"with any {sum(1 for c in counts if c) / len(counts):.0%}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other work on the machine slows every figure but the CPU time)")
    print(f"recall: for {asked} random re-reports, the earlier report of the same issue among the items in "
          f"{recall:.0%}")


def recall_at(session, access, settings, rng, sim, complaint) -> tuple[float, int]:
    """Share of generated re-reports whose issue (the report they repeat, or another repeat of it) is found."""
    marked = dict(session.execute(select(complaint.external_id, complaint.reporter_contact)).all())
    ids = dict(session.execute(select(complaint.external_id, complaint.id)).all())

    def root(external_id: str) -> str:
        while (marked.get(external_id) or "").startswith(DUP_MARK):
            external_id = marked[external_id].removeprefix(DUP_MARK)
        return external_id

    groups: dict[str, set[int]] = {}
    for external_id in marked:
        groups.setdefault(root(external_id), set()).add(ids[external_id])
    repeats = [e for e, mark in marked.items() if (mark or "").startswith(DUP_MARK)]
    asked = rng.sample(repeats, min(200, len(repeats)))
    hits = 0
    for external_id in asked:
        items = sim.similar_for(session, ids[external_id], access, settings)
        hits += bool({item["id"] for item in items} & (groups[root(external_id)] - {ids[external_id]}))
    return hits / max(1, len(asked)), len(asked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="complaints in the database")
    parser.add_argument("--db-url", help="one database (created if missing, reused); default: temp SQLite and "
                                         "temp PostgreSQL, both dropped afterwards")
    parser.add_argument("--samples", type=int, default=200, help="random complaints asked for duplicates")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shuffled", action="store_true",
                        help="insert in random time order (worst case for the window's locality on disk)")
    args = parser.parse_args()
    if args.db_url:
        measure(args.db_url, args.n, args.samples, args.seed, args.shuffled)
        return
    for backend in ("sqlite", "postgresql"):
        url, drop = temp_database(backend)
        try:
            measure(url, args.n, args.samples, args.seed, args.shuffled)
        finally:
            drop()
        print()


if __name__ == "__main__":
    main()
