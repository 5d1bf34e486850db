"""Hostile CSV/XLSX files: refused quickly, clearly and without inflating them, by core.intake.tabular."""

from __future__ import annotations

import dataclasses
import io
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.intake import tabular
from core.intake.tabular import TableBusy, TableError, TableLimits, TableTooLarge, TooManyRows, read_table
from core.runtime.settings import Settings
from tests import hostile_files
from tests.hostile_files import MAIN, SHEET_HEAD, row, xlsx


def limits(**changes) -> TableLimits:
    return dataclasses.replace(TableLimits.from_settings(Settings(_env_file=None)), **changes)


def worker_pids() -> list[str]:
    """This process's children that are XLSX workers (a killed worker must not linger)."""
    pids = []
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                if b"serve_worker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(pid)
            except OSError:
                continue
    return pids


def test_the_bomb_builder_makes_a_real_inflating_workbook():
    small = hostile_files.decompression_bomb(inflated_mb=3)
    sheet = load_workbook(io.BytesIO(small), read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows()) == 1 + 3000  # header + blank rows, ~3 MB of XML from a few KB


@pytest.mark.timeout(60)  # before the archive check this read ran for minutes
def test_a_sheet_inflating_to_300_mb_is_refused_from_the_zip_directory_without_inflating():
    bomb = hostile_files.decompression_bomb(inflated_mb=300)
    assert len(bomb) < 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(TableError, match="bom dekompresi") as refused:
            read_table(bomb, limits=limits())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # nothing was inflated
    assert refused.value.http_status == 422
    assert "xl/worksheets/sheet1.xml: 300 MB, maksimal 50 MB" in str(refused.value)


def test_a_member_under_the_size_caps_but_compressed_like_a_bomb_is_refused_by_its_ratio():
    with pytest.raises(TableError, match=r"rasio \d+:1, maksimal 100:1"):
        read_table(hostile_files.decompression_bomb(inflated_mb=20), limits=limits())


def test_the_total_inflated_size_of_all_members_is_capped():
    with pytest.raises(TableError, match="lebih dari 10 MB"):
        read_table(hostile_files.decompression_bomb(inflated_mb=20),
                   limits=limits(max_total_bytes=10 * 2**20, max_ratio=1000))


def test_an_archive_of_600_members_is_refused():
    with pytest.raises(TableError, match="601 bagian \\(maksimal 500\\)"):
        read_table(hostile_files.many_members(600), limits=limits())


@pytest.mark.timeout(60)
def test_a_slow_sheet_within_the_archive_limits_is_stopped_at_the_time_limit_and_its_worker_killed():
    slow = hostile_files.slow_sheet(rows=100, columns=2000)  # ~200,000 honest cells, ~1 s to read
    with pytest.raises(TableError, match="tidak selesai dibaca dalam 0.2 detik"):
        read_table(slow, limits=limits(parse_seconds=0.2))
    assert worker_pids() == []


def test_a_declared_sheet_size_of_16384_columns_does_not_pad_every_row():
    head = f'<worksheet xmlns="{MAIN}"><dimension ref="A1:XFD1048576"/><sheetData>'.encode()
    content = xlsx(head + row("judul", "isi") + row("Jalan rusak", "Berlubang") * 300)
    table = read_table(content, limits=limits(max_cells=10_000))  # padded, 300 rows would be 4.9 million cells
    assert len(table.rows) == 300 and table.rows[0].values == {"judul": "Jalan rusak", "isi": "Berlubang"}


def test_xlsx_rows_and_cells_are_capped():
    many_rows = xlsx(SHEET_HEAD + row("judul", "isi") + row("a", "b") * 300)
    with pytest.raises(TooManyRows) as refused:
        read_table(many_rows, limits=limits(max_rows=100))
    assert refused.value.limit == 100 and "lebih dari 100 baris" in str(refused.value)
    blank_rows = xlsx(SHEET_HEAD + row("judul", "isi"), row(" ", " ", " ", " "), 2000)
    with pytest.raises(TableError, match="lebih dari 5.000 sel"):
        read_table(blank_rows, limits=limits(max_cells=5000))


def test_broken_xml_inside_a_valid_archive_is_a_clear_error_not_a_crash():
    with pytest.raises(TableError, match="Berkas XLSX rusak") as refused:
        read_table(xlsx(SHEET_HEAD + b"<row><c><v>1</v></c>", sheet_tail=b""), limits=limits())
    assert refused.value.http_status == 422


def test_csv_size_rows_cells_and_field_length_are_capped():
    with pytest.raises(TableTooLarge, match="Berkas lebih dari 5 MB") as too_big:
        read_table(b"judul,isi\n" + b"a,b\n" * (5 * 2**20 // 4), limits=limits())
    assert too_big.value.http_status == 413
    with pytest.raises(TooManyRows):
        read_table(b"judul,isi\n" + b"a,b\n" * 101, limits=limits(max_rows=100))
    with pytest.raises(TableError, match="lebih dari 1.000 sel"):
        read_table(b"judul,isi\n" + b"\n" * 5000, limits=limits(max_cells=1000))
    with pytest.raises(TableError, match="sel lebih dari 32.767 karakter \\(baris 2\\)"):
        read_table(b"judul,isi\n" + b'a,"' + b"x" * 40_000 + b'"\n', limits=limits())
    assert len(read_table(b"judul,isi\n" + b"a,b\n" * 100, limits=limits(max_rows=100)).rows) == 100


def test_when_every_worker_is_busy_a_new_xlsx_waits_at_most_the_time_limit():
    content = xlsx(SHEET_HEAD + row("judul", "isi") + row("a", "b"))
    slot = tabular._slots(1)
    slot.acquire()
    try:
        with pytest.raises(TableBusy, match="coba lagi") as busy:
            read_table(content, limits=limits(parse_workers=1, parse_seconds=0.2))
    finally:
        slot.release()
    assert busy.value.http_status == 503
    assert len(read_table(content, limits=limits(parse_workers=1)).rows) == 1


@pytest.mark.timeout(60)
def test_stopping_the_server_kills_a_parse_in_progress_at_once(monkeypatch):
    monkeypatch.setattr(tabular, "_stopping", threading.Event())  # this process goes on parsing after the test
    slow = hostile_files.slow_sheet(rows=100, columns=4000)
    outcome: list[BaseException] = []

    def upload():
        try:
            read_table(slow, limits=limits(parse_seconds=30))
        except TableError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=upload)
    reader.start()
    deadline = time.monotonic() + 10
    while not worker_pids() and time.monotonic() < deadline:
        time.sleep(0.02)
    tabular.stop_parsers()
    reader.join(timeout=5)
    assert not reader.is_alive()  # stopped, not left to run to its 30-second limit
    assert isinstance(outcome[0], TableBusy) and "sedang berhenti" in str(outcome[0])
    assert worker_pids() == []
    with pytest.raises(TableBusy, match="sedang berhenti"):  # and no new worker starts
        read_table(slow, limits=limits())
