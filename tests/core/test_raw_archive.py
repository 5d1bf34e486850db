"""`aduan db archive-raw`: old raw_record months go to checked .jsonl.gz files, then their partitions go."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from core.entry.cli import app
from core.intake.inbox import land
from core.runtime.raw_archive import ArchiveRefused, archive_raw
from models import RawRecord
from tests.conftest import backend_name

runner = CliRunner()
TODAY = date(2026, 12, 6)
OLD = [datetime(2021, 1, 31, 23, 59, tzinfo=UTC), datetime(2021, 1, 2, tzinfo=UTC), datetime(2024, 11, 30, tzinfo=UTC)]
KEPT = [datetime(2024, 12, 1, tzinfo=UTC), datetime(2026, 12, 1, 3, tzinfo=UTC)]


def _children(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'raw_record'::regclass")).scalars())


def test_refused_on_sqlite(engine, settings, tmp_path):
    out = tmp_path / "arsip"
    if backend_name() != "sqlite":
        pytest.skip("the SQLite side")
    with pytest.raises(ArchiveRefused, match="PostgreSQL"):
        archive_raw(engine, 24, out)
    result = runner.invoke(app, ["db", "archive-raw", "--dir", str(out)])
    assert result.exit_code == 2 and "needs PostgreSQL" in result.output
    assert not out.exists()


@pytest.mark.skipif(backend_name() == "sqlite", reason="partitions are PostgreSQL's")
def test_old_months_are_written_checked_and_dropped_once(engine, session, tmp_path):
    rows = [RawRecord(channel="lapor", external_id=f"r{i}", payload={"i": i, "teks": "Jalan rusak ☂"},
                      payload_hash=f"h{i}", received_at=at) for i, at in enumerate(OLD + KEPT)]
    session.add_all(rows)
    session.commit()
    before = _children(engine)
    # 2021-01 and 2024-11 are in the DEFAULT partition (the test database starts at this month)
    result = archive_raw(engine, 24, tmp_path, today=TODAY)
    text_out = str(result)
    assert "raw_record_p2021_01: made, 2 rows moved" in text_out
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["raw_record_2021_01.jsonl.gz", "raw_record_2024_11.jsonl.gz"]
    with gzip.open(tmp_path / "raw_record_2021_01.jsonl.gz", "rt", encoding="utf-8") as fh:
        archived = [json.loads(line) for line in fh]
    assert sorted(r["id"] for r in archived) == sorted(r.id for r in rows[:2])
    assert archived[0]["payload"]["teks"] == "Jalan rusak ☂" and archived[0]["channel"] == "lapor"
    assert result.archived == {str(tmp_path / "raw_record_2021_01.jsonl.gz"): 2,
                               str(tmp_path / "raw_record_2024_11.jsonl.gz"): 1}
    # only the old months went: the partitions, their rows and their key rows
    assert _children(engine) == before
    with engine.connect() as conn:
        left = set(conn.execute(text("SELECT external_id FROM raw_record")).scalars())
        keys = set(conn.execute(text("SELECT external_id FROM raw_record_key")).scalars())
    assert left == keys == {"r3", "r4"}

    again = archive_raw(engine, 24, tmp_path, today=TODAY)
    assert str(again) == "nothing to archive: no raw_record month before 2024-12" and again.archived == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == files
    # a payload redelivered after its month was archived lands again (ingest stays idempotent downstream)
    record, new = land(session, "lapor", "r0", {"i": 0})
    assert new and record.id


@pytest.mark.skipif(backend_name() == "sqlite", reason="partitions are PostgreSQL's")
def test_a_file_left_by_a_stopped_run_is_checked_not_trusted(engine, session, tmp_path, settings):
    session.add(RawRecord(channel="lapor", external_id="x", payload={}, payload_hash="hx", received_at=OLD[2]))
    session.commit()
    stale = tmp_path / "raw_record_2024_11.jsonl.gz"
    with gzip.open(stale, "wt") as fh:
        fh.write('{"id": 424242}\n')
    result = runner.invoke(app, ["db", "archive-raw", "--dir", str(tmp_path), "--after-months", "24"])
    assert result.exit_code == 0, result.output
    assert "raw_record_2024_11.2.jsonl.gz" in result.output
    with gzip.open(stale, "rt") as fh:
        assert fh.read() == '{"id": 424242}\n'  # kept as it was
    assert runner.invoke(app, ["db", "archive-raw", "--dir", str(tmp_path)]).output.startswith("nothing to archive")
