"""Hostile spreadsheets for the upload tests and bench/hostile_upload.py, built in milliseconds.

The decompression bomb is a real XLSX (openpyxl reads a small one of the same make) whose sheet
inflates to hundreds of MB: its compressed bytes are one deflate block per repeated unit, so it is
built without ever holding or compressing the inflated sheet.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
PACKAGE_RELS = (f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" '
                'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="Aduan" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/worksheet" '
                 'Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
SHEET_TAIL = b"</sheetData></worksheet>"
MB = 2**20


def row(*values: str) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>".encode()


def xlsx(sheet_head: bytes, unit: bytes = b"", times: int = 0, sheet_tail: bytes = SHEET_TAIL) -> bytes:
    """A one-sheet workbook whose sheet is `sheet_head + unit * times + sheet_tail` (never materialised)."""
    members = [(name, *_deflate(text.encode())) for name, text in (
        ("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", PACKAGE_RELS), ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS))]
    members.append(("xl/worksheets/sheet1.xml", *_deflate(sheet_head, unit, times, sheet_tail)))
    return _zip(members)


def decompression_bomb(inflated_mb: int = 300) -> bytes:
    """Header judul/isi, then rows of blank cells (so a reader's row count never grows) to `inflated_mb`."""
    blank_rows = row(" " * 1000) * 1000  # ~1 MB
    return xlsx(SHEET_HEAD + row("judul", "isi"), blank_rows, inflated_mb * MB // len(blank_rows))


def many_members(count: int = 600) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        for i in range(count):
            archive.writestr(f"xl/media/image{i}.xml", "<x/>")
    return out.getvalue()


def slow_sheet(rows: int = 100, columns: int = 4000) -> bytes:
    """An honest, modestly compressed sheet (within every archive limit) that takes a while to read: many
    numeric cells per row. Distinct numbers keep the compression ratio ordinary."""
    lines = [row("judul", "isi")]
    for r in range(rows):
        lines.append(b"<row>" + b"".join(b"<c><v>%d</v></c>" % (r * columns + c) for c in range(columns))
                     + b"</row>")
    return xlsx(SHEET_HEAD + b"".join(lines))


def _deflate(head: bytes, unit: bytes = b"", times: int = 0, tail: bytes = b"") -> tuple[bytes, int, int]:
    """(raw deflate, crc32, inflated size). A full flush makes every copy of `unit` the same block."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH) if times else b""
    last = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    return first + block * times + last, zlib.crc32(tail, crc), len(head) + len(unit) * times + len(tail)


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    out, central = io.BytesIO(), []
    for name, data, crc, size in members:
        offset, encoded = out.tell(), name.encode()
        fields = (20, 0, zipfile.ZIP_DEFLATED, 0, 33, crc, len(data), size, len(encoded))  # 33 = 1980-01-01
        out.write(struct.pack("<4s5H3LHH", b"PK\x03\x04", *fields, 0) + encoded + data)
        central.append(struct.pack("<4sH5H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, offset) + encoded)
    directory = b"".join(central)
    start = out.tell()
    out.write(directory)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), start, 0))
    return out.getvalue()
