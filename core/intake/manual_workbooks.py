"""Workbooks in the manual-entry template shape: the blank template with dropdown lists, and the
LAPOR! hand-back export (complaints from other channels, ≤ 100 rows per batch)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from core.intake.manual_entry import COLUMNS, EXAMPLE_MARK, SHEET, Reference
from core.runtime.settings import Settings
from core.runtime.sheets import put
from models import Classification

HINTS = {
    "judul": "Wajib. Ringkasan aduan, 5–300 karakter.",
    "isi": "Wajib. Isi aduan selengkapnya.",
    "tanggal_diterima": "Opsional (kosong = saat diunggah). Contoh: 2026-11-23 09:00 atau 23 November 2026 09:00.",
    "kanal": "Pilih dari daftar. Kosong = manual (datang langsung/telepon/surat).",
    "klasifikasi": "pengaduan, aspirasi atau permintaan_informasi. Kosong = pengaduan.",
    "kategori": "Kode kategori dari lembar Daftar.",
    "opd_tujuan": "Kode OPD dari lembar Daftar. Kosong = OPD bawaan kategori.",
    "kecamatan": "Nama kecamatan dari daftar.",
    "desa": "Nama desa/kelurahan di kecamatan tersebut.",
    "lokasi": "Alamat atau patokan lokasi.",
    "nama_pelapor": "Nama pelapor.",
    "kontak_pelapor": "Nomor HP/WhatsApp atau email pelapor.",
    "rahasia": "ya/tidak. Ya = isi aduan tidak tampil di publik.",
    "anonim": "ya/tidak. Ya = identitas pelapor hanya terlihat admin instansi.",
    "nomor_referensi": "Opsional: nomor agenda/registrasi. Mengunggah ulang nomor yang sama tidak menggandakan aduan.",
}
EXAMPLE = {
    "judul": "Jalan berlubang di depan SDN Gogodeso 1", "isi": "Lubang besar di tengah jalan, sudah dua "
    "pengendara motor jatuh minggu ini. Mohon segera diperbaiki.", "tanggal_diterima": "2026-11-23 09:00",
    "kanal": "manual", "klasifikasi": "pengaduan", "kategori": "INFRA-JALAN", "opd_tujuan": "DPUPR",
    "kecamatan": "Kanigoro", "desa": "Gogodeso", "lokasi": "Jl. Raya Gogodeso, depan SDN 1",
    "nama_pelapor": "Siti Aminah", "kontak_pelapor": "081234567890", "rahasia": "tidak", "anonim": "tidak",
    "nomor_referensi": EXAMPLE_MARK,
}
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
EXAMPLE_FONT = Font(italic=True, color="808080")
WIDTHS = {"judul": 40, "isi": 60, "tanggal_diterima": 18, "lokasi": 30, "nama_pelapor": 22, "kontak_pelapor": 18,
          "nomor_referensi": 20}


def _header(ws: Worksheet, with_hints: bool) -> None:
    ws.append(list(COLUMNS))
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        if with_hints:
            cell.comment = Comment(HINTS[column], "Aduan Terpadu")
        ws.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column, 16)
    ws.freeze_panes = "A2"


def template_workbook(session: Session, settings: Settings) -> bytes:
    ref = Reference(session, settings)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    _header(ws, with_hints=True)
    ws.append([EXAMPLE[c] for c in COLUMNS])
    for cell in ws[2]:
        cell.font = EXAMPLE_FONT

    lists = wb.create_sheet("Daftar")
    columns = [
        ("kanal", ref.channels), ("klasifikasi", [c.value for c in Classification]),
        ("kategori", sorted(ref.categories)), ("nama_kategori", [ref.categories[c] for c in sorted(ref.categories)]),
        ("opd_tujuan", sorted(ref.opds)), ("nama_opd", [ref.opds[c] for c in sorted(ref.opds)]),
        ("kecamatan", sorted(ref.regions)), ("ya_tidak", ["ya", "tidak"]),
    ]
    last_row = settings.manual_import_max_rows + 2  # header + example + the batch
    for index, (name, values) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=name).font = Font(bold=True)
        for r, value in enumerate(values, start=2):
            put(lists, r, index, value)
        lists.column_dimensions[letter].width = 45 if name.startswith("nama_") else 20
        targets = ["rahasia", "anonim"] if name == "ya_tidak" else [name] if name in COLUMNS else []
        for target in targets:
            source = f"{quote_sheetname(lists.title)}!${letter}$2:${letter}${len(values) + 1}"
            rule = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                                  errorTitle="Nilai tidak ada di daftar",
                                  error=f"Pilih {target} dari daftar (lembar Daftar).")
            column_letter = get_column_letter(list(COLUMNS).index(target) + 1)
            rule.add(f"{column_letter}2:{column_letter}{last_row}")
            ws.add_data_validation(rule)

    guide = wb.create_sheet("Petunjuk")
    for line in [
        "Petunjuk pengisian templat aduan",
        f"1. Isi lembar '{SHEET}' mulai baris 3; baris 2 adalah contoh dan tidak ikut diimpor.",
        f"2. Maksimal {settings.manual_import_max_rows} aduan per unggahan (batas SP4N-LAPOR!).",
        "3. Kolom judul dan isi wajib diisi; kolom lain opsional. Arahkan kursor ke judul kolom untuk penjelasan.",
        "4. Kategori, OPD, kecamatan, kanal dan klasifikasi dipilih dari daftar (lembar Daftar).",
        "5. Jangan memakai rumus; jangan mengubah, menambah atau menghapus judul kolom.",
        "6. Semua baris diperiksa dulu. Bila ada baris bermasalah, tidak ada yang disimpan kecuali dipilih "
        "'simpan yang valid saja'.",
    ]:
        guide.append([line])
    guide.column_dimensions["A"].width = 110
    guide["A1"].font = Font(bold=True, size=13)
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
