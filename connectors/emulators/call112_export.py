"""Generate realistic 112 CAD exports (CSV/XLSX) from a seed, optionally with malformed rows.

    python -m connectors.emulators.call112_export out.csv --rows 1000 --seed 3 --bad 5
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files

from openpyxl import Workbook

from connectors.call112 import COLUMNS

BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember"]
BULAN_SINGKAT = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
CALL_MIX = [("normal", 55), ("informasi", 10), ("ghost", 20), ("prank", 15)]
INCIDENTS = {
    "kesehatan": (["Dinkes", "PSC 119"], ["Warga pingsan di pinggir jalan dekat {desa}, butuh ambulans",
                                          "Ibu hamil akan melahirkan, minta dijemput ambulans di {desa}",
                                          "Lansia sesak napas di rumah, keluarga minta bantuan medis"]),
    "kebakaran": (["Damkar"], ["Kebakaran rumah warga di {desa}, api membesar",
                               "Kebakaran lahan tebu di {desa}, asap tebal ke permukiman",
                               "Korsleting listrik di toko dekat pasar {desa}"]),
    "kecelakaan": (["Dishub", "Polres"], ["Kecelakaan motor dan truk di jalan raya {desa}, ada korban luka",
                                          "Tabrakan beruntun di jalur {kec}, lalu lintas macet"]),
    "keamanan": (["Polres", "Satpol PP"], ["Keributan antarpemuda di lapangan {desa}",
                                           "Warga melaporkan orang mencurigakan di sekitar {desa}"]),
    "bencana": (["BPBD"], ["Pohon tumbang menutup jalan di {desa}", "Banjir setinggi lutut di permukiman {desa}",
                           "Tanah longsor di tebing dekat rumah warga {desa}"]),
}
# Not emergencies: the CAD forwards them to the OPD, and they follow our escalation ladder (docs/domain.md).
NON_EMERGENCY = {
    "infrastruktur": (["DPUPR", "Dishub"], ["Lampu penerangan jalan mati sepanjang jalan {desa}, gelap total",
                                            "Jalan berlubang besar di jalur {kec}, sudah ada pengendara jatuh"]),
}
NON_EMERGENCY_SHARE = 0.08
MALFORMED = [
    ("tanggal_terima", "31 Juni 2021 10:00"),
    ("tanggal_terima", "2021/08/20 07:15"),
    ("tanggal_terima", "20 Augustus 2021 07:15"),
    ("lat_long", "LatLng(112.21, -8.13)"),
    ("lat_long", "-8.13, 112.21"),
    ("tanggal_selesai", "kemarin sore"),
]


@dataclass
class Export:
    rows: list[dict[str, str]]
    bad_rows: dict[int, str] = field(default_factory=dict)  # spreadsheet row number → broken column

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return out.getvalue().encode()

    def xlsx_bytes(self) -> bytes:
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Laporan 112"
        sheet.append(list(COLUMNS))
        for row in self.rows:
            sheet.append([row[c] for c in COLUMNS])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    def count(self, call_type: str) -> int:
        return sum(1 for i, r in enumerate(self.rows, start=2) if r["jenis_panggilan"] == call_type
                   and i not in self.bad_rows)


def indonesian(moment: datetime, rng: random.Random) -> str:
    month = (BULAN_SINGKAT if rng.random() < 0.3 else BULAN)[moment.month - 1]
    return f"{moment.day} {month} {moment.year} {moment:%H:%M}"


def generate(rows: int = 1000, seed: int = 3, start: datetime | None = None, bad: int = 0) -> Export:
    """`rows` calls over the days after `start` (local time); `bad` of them get one malformed value."""
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    regions = json.loads(files("core.reference.data").joinpath("regions.json").read_text(encoding="utf-8"))
    moment = start or datetime(2021, 8, 1, 0, 5)
    kinds, weights = zip(*CALL_MIX, strict=True)
    export = Export(rows=[])
    for n in range(1, rows + 1):
        moment += timedelta(minutes=rng.randint(5, 90))
        call_type = rng.choices(kinds, weights)[0]
        kec = rng.choice(sorted(regions))
        lat, lon, desas = regions[kec]
        desa = rng.choice(desas)
        row = dict.fromkeys(COLUMNS, "")
        row.update(id=f"112{seed:03d}{n:06d}", tanggal_terima=indonesian(moment, rng),
                   no_telp_pelapor="08" + "".join(str(rng.randint(0, 9)) for _ in range(10)),
                   jenis_panggilan=call_type)
        if call_type in ("normal", "informasi"):
            kinds_of = NON_EMERGENCY if call_type == "normal" and rng.random() < NON_EMERGENCY_SHARE else INCIDENTS
            kategori = rng.choice(sorted(kinds_of))
            opds, texts = kinds_of[kategori]
            row.update(nama_pelapor=fake.name(), kejadian=rng.choice(texts).format(desa=desa, kec=kec),
                       alamat=fake.street_address(), desa=desa, kecamatan=kec, kategori=kategori,
                       opd=rng.choice(opds),
                       lat_long=f"LatLng({lat + rng.uniform(-0.02, 0.02):.5f}, {lon + rng.uniform(-0.02, 0.02):.5f})")
            if call_type == "informasi":
                row.update(kejadian=f"Menanyakan nomor darurat dan prosedur layanan {kategori}", opd="",
                           keterangan="Informasi diberikan melalui telepon")
            if rng.random() < 0.8:
                row["tanggal_selesai"] = indonesian(moment + timedelta(minutes=rng.randint(15, 240)), rng)
                row["keterangan"] = row["keterangan"] or "Ditangani petugas, situasi terkendali"
        else:
            row["keterangan"] = "Panggilan tanpa suara" if call_type == "ghost" else "Panggilan iseng"
        export.rows.append(row)
    for i, index in enumerate(rng.sample(range(len(export.rows)), min(bad, len(export.rows)))):
        column, value = MALFORMED[i % len(MALFORMED)]
        export.rows[index][column] = value
        export.bad_rows[index + 2] = column
    return export


def main() -> None:  # pragma: no cover - manual demo entry
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Write a generated 112 CAD export")
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--bad", type=int, default=0)
    args = parser.parse_args()
    export = generate(args.rows, args.seed, bad=args.bad)
    data = export.xlsx_bytes() if args.path.suffix.lower() == ".xlsx" else export.csv_bytes()
    args.path.write_bytes(data)
    print(f"{args.path}: {len(export.rows)} rows, malformed rows: {sorted(export.bad_rows)}")


if __name__ == "__main__":  # pragma: no cover
    main()
