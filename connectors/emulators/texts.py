"""Plausible complaint texts of a kabupaten, per LAPOR! topic, and review texts per rating.

Each topic carries the LAPOR! category path the upstream would use and the OPD (our reference
code) a report about it is usually disposed to. Placeholders: {desa}, {kecamatan}, {jalan}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def reference(name: str) -> Any:
    """The kabupaten's reference data (core/data): OPD names, kecamatan with desa and centroids."""
    return json.loads(files("core.reference.data").joinpath(name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Topic:
    parent: str
    child: str | None
    opd: str
    weight: int
    cases: tuple[tuple[str, str], ...]  # (title, body)


TOPICS: tuple[Topic, ...] = (
    Topic("Infrastruktur", "Jalan", "DPUPR", 14, (
        ("Jalan rusak parah di Desa {desa}",
         "Jalan di {jalan} Desa {desa} Kecamatan {kecamatan} berlubang besar dan tergenang saat hujan. "
         "Sudah beberapa pengendara motor jatuh. Mohon segera diperbaiki."),
        ("Jalan poros {desa} ke {kecamatan} rusak",
         "Kondisi jalan penghubung {desa} ke pusat Kecamatan {kecamatan} rusak sepanjang kurang lebih "
         "500 meter. Anak sekolah kesulitan lewat. Mohon perhatian Dinas PUPR."),
        ("Aspal {jalan} mengelupas",
         "Aspal di {jalan} baru diperbaiki tahun lalu tetapi sudah mengelupas dan berlubang lagi. Mohon "
         "dicek kualitas pekerjaannya."))),
    Topic("Infrastruktur", "Jembatan", "DPUPR", 3, (
        ("Jembatan di Desa {desa} retak",
         "Jembatan kecil di Desa {desa} Kecamatan {kecamatan} retak di bagian tengah dan bergoyang saat "
         "dilewati truk. Warga khawatir ambruk."),
        ("Pagar jembatan {jalan} roboh",
         "Pagar pengaman jembatan di {jalan} roboh tertabrak dan belum diganti. Sangat berbahaya untuk "
         "pengendara malam hari."))),
    Topic("Infrastruktur", "Drainase dan Saluran Air", "DPUPR", 5, (
        ("Saluran air tersumbat di {jalan}",
         "Saluran drainase di {jalan} Desa {desa} tersumbat sampah dan lumpur sehingga air meluap ke "
         "jalan. Mohon dinormalisasi."),
        ("Banjir setiap hujan di Desa {desa}",
         "Setiap hujan deras rumah warga di Desa {desa} Kecamatan {kecamatan} kebanjiran karena gorong-gorong "
         "terlalu kecil. Mohon dibangun saluran yang memadai."))),
    Topic("Infrastruktur", "Penerangan Jalan Umum", "DISHUB", 5, (
        ("Lampu PJU mati di {jalan}",
         "Lampu penerangan jalan umum di {jalan} Kecamatan {kecamatan} sudah mati lebih dari dua minggu. "
         "Malam hari sangat gelap dan rawan kejahatan."),)),
    Topic("Kependudukan", "KTP Elektronik", "DISDUKCAPIL", 9, (
        ("KTP-el belum dicetak sejak tiga bulan",
         "Saya sudah rekam KTP-el di Kecamatan {kecamatan} sejak tiga bulan lalu tetapi sampai sekarang "
         "belum dicetak dengan alasan blangko habis. Mohon kejelasan."),
        ("Antrean perekaman KTP-el dibatasi",
         "Pelayanan perekaman KTP-el di Dispendukcapil antre sejak subuh dan dibatasi 50 orang per hari. "
         "Mohon ditambah petugas."))),
    Topic("Kependudukan", "Kartu Keluarga dan Akta", "DISDUKCAPIL", 5, (
        ("Pengurusan akta kelahiran lama",
         "Permohonan akta kelahiran anak saya sudah diajukan lewat Desa {desa} sebulan lalu belum selesai. "
         "Mohon info prosesnya sampai di mana."),
        ("Data KK tidak sinkron dengan KTP",
         "Nama di Kartu Keluarga berbeda dengan KTP-el sehingga saya tidak bisa mendaftar BPJS. Sudah dua "
         "kali ke kantor kecamatan {kecamatan} belum dibetulkan."))),
    Topic("Pendidikan", "PPDB", "DISDIK", 4, (
        ("Zonasi PPDB tidak sesuai jarak",
         "Anak saya tinggal di Desa {desa} kurang dari 1 km dari sekolah tetapi tidak diterima jalur "
         "zonasi, sementara yang lebih jauh diterima. Mohon transparansi."),)),
    Topic("Pendidikan", "Sarana dan Prasarana Sekolah", "DISDIK", 3, (
        ("Atap ruang kelas SD di {desa} bocor",
         "Atap dua ruang kelas SDN {desa} bocor dan plafon hampir jatuh. Murid terpaksa belajar di "
         "teras. Mohon segera ditangani."),)),
    Topic("Kesehatan", "Rumah Sakit", "RSUD-NGUDI", 5, (
        ("Antrean poli RSUD sangat lama",
         "Saya mengantar orang tua berobat ke poli penyakit dalam RSUD, menunggu dari jam 7 sampai jam 13 "
         "baru dipanggil. Mohon sistem antrean diperbaiki."),
        ("Pasien BPJS diminta bayar obat",
         "Keluarga kami pasien rawat inap BPJS tetapi diminta membeli obat sendiri di apotek luar. Mohon "
         "penjelasan."))),
    Topic("Kesehatan", "Puskesmas", "DINKES", 4, (
        ("Puskesmas {kecamatan} tutup lebih awal",
         "Puskesmas {kecamatan} sudah tidak melayani pukul 11 padahal jadwal sampai pukul 14. Warga dari "
         "Desa {desa} yang datang jauh-jauh terpaksa pulang."),)),
    Topic("Kesehatan", "Jaminan Kesehatan", "DINKES", 3, (
        ("Kartu KIS tiba-tiba nonaktif",
         "Kartu KIS PBI keluarga kami di Desa {desa} dinonaktifkan tanpa pemberitahuan saat mau berobat. "
         "Mohon diaktifkan kembali."),)),
    Topic("Sosial", "Bantuan Sosial", "DINSOS", 6, (
        ("Bansos PKH tidak tepat sasaran di {desa}",
         "Di Desa {desa} ada penerima PKH yang rumahnya bagus dan punya mobil, sementara tetangga kami "
         "lansia miskin tidak dapat. Mohon pendataan ulang."),
        ("BPNT tidak cair tiga bulan",
         "Bantuan BPNT ibu saya di Desa {desa} tidak cair sudah tiga bulan, saldo kartu kosong. Mohon dicek."))),
    Topic("Ketenteraman dan Ketertiban Umum", "Pedagang Kaki Lima", "SATPOLPP", 3, (
        ("PKL memakan badan jalan di {jalan}",
         "Pedagang kaki lima di {jalan} berjualan sampai ke badan jalan sehingga macet setiap sore. "
         "Mohon ditertibkan."),)),
    Topic("Perhubungan", "Parkir", "DISHUB", 3, (
        ("Juru parkir pasar {kecamatan} tanpa karcis",
         "Di pasar {kecamatan} juru parkir menarik Rp5.000 untuk motor tanpa karcis resmi. Mohon "
         "ditertibkan."),)),
    Topic("Lingkungan Hidup dan Kehutanan", "Persampahan", "DLH", 6, (
        ("Sampah menumpuk di TPS {desa}",
         "TPS di Desa {desa} Kecamatan {kecamatan} sudah penuh dan sampah meluber ke jalan, bau "
         "menyengat. Truk pengangkut tidak datang seminggu."),)),
    Topic("Lingkungan Hidup dan Kehutanan", "Pencemaran", "DLH", 2, (
        ("Limbah mencemari sungai di {desa}",
         "Sungai di Desa {desa} berubah warna hitam dan berbau sejak ada usaha pengolahan di hulu. Ikan "
         "banyak yang mati."),)),
    Topic("Air Minum", None, "PDAM", 4, (
        ("Air PDAM mati tiga hari di {desa}",
         "Air PDAM di wilayah Desa {desa} tidak mengalir sudah tiga hari tanpa pemberitahuan. Mohon "
         "segera diperbaiki."),
        ("Tagihan PDAM naik tidak wajar",
         "Tagihan PDAM rumah saya di {jalan} naik tiga kali lipat padahal pemakaian biasa. Mohon meteran "
         "dicek."))),
    Topic("Ketenagakerjaan", None, "DISNAKER", 2, (
        ("Gaji di bawah UMK",
         "Saya bekerja di perusahaan di Kecamatan {kecamatan} dengan gaji jauh di bawah UMK Kabupaten "
         "Blitar dan tanpa BPJS Ketenagakerjaan."),)),
    Topic("Kepegawaian", None, "BKPSDM", 1, (
        ("Pegawai kecamatan sering tidak di kantor",
         "Beberapa pegawai Kantor Kecamatan {kecamatan} sering tidak ada di tempat pada jam kerja "
         "sehingga pelayanan terhambat."),)),
    Topic("Perizinan", None, "DPMPTSP", 2, (
        ("Izin PBG tidak selesai-selesai",
         "Pengajuan PBG rumah saya di Desa {desa} sudah dua bulan belum terbit dan tidak ada kabar. "
         "Mohon kejelasan."),)),
    Topic("Pertanian", None, "DISPERTA", 3, (
        ("Pupuk bersubsidi langka di {kecamatan}",
         "Petani di Desa {desa} kesulitan mendapat pupuk bersubsidi di kios resmi padahal sudah terdaftar "
         "di e-RDKK."),)),
    Topic("Penanggulangan Bencana", None, "BPBD", 2, (
        ("Tanah longsor menutup jalan di {desa}",
         "Tebing di Desa {desa} longsor dan menutup separuh jalan. Mohon segera ditangani sebelum hujan "
         "berikutnya."),
        ("Pohon tumbang belum dievakuasi",
         "Pohon besar tumbang di {jalan} sejak kemarin dan belum dipotong, lalu lintas terganggu."))),
    Topic("Pajak dan Retribusi", None, "BAPENDA", 2, (
        ("SPPT PBB belum dibagikan",
         "SPPT PBB tahun ini di Desa {desa} belum dibagikan padahal jatuh tempo sudah dekat."),)),
    Topic("Pemerintahan Desa", None, "DPMD", 3, (
        ("Dana desa {desa} tidak transparan",
         "Penggunaan dana desa di Desa {desa} tidak pernah diumumkan ke warga. Mohon dilakukan "
         "pemeriksaan."),)),
    Topic("Topik Khusus", "Lainnya", "DISKOMINFO", 2, (
        ("Sinyal internet di {desa} sangat lemah",
         "Warga Desa {desa} Kecamatan {kecamatan} kesulitan sinyal internet untuk sekolah daring dan "
         "layanan online. Mohon difasilitasi."),)),
)

STREETS = ("Jl. Raya {kecamatan}", "Jl. Merdeka", "Jl. Diponegoro", "Jl. Ahmad Yani", "Jl. Kartini",
           "Jl. Veteran", "Jl. Anggrek", "Jl. Melati", "Jl. Sudanco Supriyadi", "Jl. Raya {desa}")

AGENCY_REPLIES = (
    "Terima kasih atas laporan Saudara. Laporan sudah kami terima dan akan ditindaklanjuti dengan "
    "pengecekan lapangan oleh petugas.",
    "Selamat siang. Laporan telah kami koordinasikan dengan UPT terkait dan dijadwalkan penanganan minggu ini.",
    "Mohon maaf atas ketidaknyamanannya. Tim kami sudah turun ke lokasi dan sedang menyiapkan penanganan.",
)
AGENCY_CLOSINGS = (
    "Penanganan telah selesai dilaksanakan. Terima kasih atas partisipasi Saudara.",
    "Permasalahan sudah diselesaikan oleh petugas di lapangan, dokumentasi terlampir.",
)
REPORTER_REPLIES = ("Terima kasih, mohon segera ya.", "Sampai hari ini belum ada petugas yang datang.",
                    "Sudah dicek, terima kasih atas responnya.")
CONTENT_ADDENDA = ("Tambahan: kondisinya makin parah setelah hujan semalam.",
                   "Tambahan: sudah ada warga yang menjadi korban, mohon diprioritaskan.")

REVIEW_TEXTS: dict[int, tuple[str, ...]] = {
    1: ("Pelayanan sangat lambat, antre dari pagi sampai siang belum dipanggil. Petugas juga ketus.",
        "Parkir semrawut dan mahal, toilet kotor tidak ada air. Tolong dibenahi.",
        "Sudah datang jauh-jauh ternyata sistem offline, disuruh kembali besok tanpa kepastian.",
        "Petugas loket main HP terus, antrean tidak jalan. Mengecewakan."),
    2: ("Ruang tunggu panas dan penuh, informasi jadwal tidak jelas.",
        "Prosesnya berbelit-belit, harus bolak-balik fotokopi berkas.",
        "Dokter datang terlambat dua jam, pasien menunggu tanpa kepastian."),
    3: ("Lumayan, tapi antrean masih lama.", "Pelayanan standar, tempat cukup bersih."),
    4: ("Pelayanan cukup cepat dan petugas ramah.", "Sudah ada antrean online, lebih tertib dari dulu."),
    5: ("Pelayanan cepat, petugas ramah dan membantu. Terima kasih!", "Mantap, sekarang jauh lebih baik.",
        "Bersih, nyaman, prosesnya cepat."),
}
OWNER_REPLIES = ("Terima kasih atas masukannya. Mohon maaf atas ketidaknyamanan Bapak/Ibu, akan segera kami "
                 "evaluasi.",
                 "Terima kasih atas ulasannya. Keluhan sudah kami sampaikan ke unit terkait untuk perbaikan.",
                 "Terima kasih, semoga kami dapat terus memberikan pelayanan terbaik.")
