"""`aduan db archive-raw`: raw payloads of old months leave the database for gzipped JSON-lines files
(PostgreSQL, monthly partitions of migration 0115; docs/architecture.md "Partitions").

For each month of `raw_record` older than ADUAN_RAW_ARCHIVE_AFTER_MONTHS whole months:
1. rows of that month still in the DEFAULT partition get their own partition first (`create_month`);
2. the partition is written to `<dir>/raw_record_YYYY_MM.jsonl.gz`, one `row_to_json` per line, ordered by id,
   through a temporary file that is renamed when complete;
3. the file is read back: its row count and the sum of its ids must equal the partition's;
4. only then, in one transaction under the table's lock (and after counting once more), the month's key rows
   (`raw_record_key`) are deleted and the partition is detached and dropped.

Running it again does nothing for months already done. A month whose file is there from a run that stopped
before the drop is checked against the partition and, when it matches, dropped without writing it again; a
file that does not match is kept and the month is written next to it (`raw_record_YYYY_MM.2.jsonl.gz`).

What it costs: a payload redelivered after its month was archived is landed again (its key row is gone);
ingest is idempotent on (channel, external id), so no complaint is duplicated. `complaint.raw_record_id` of
complaints from archived months points at a row that is now in the archive file.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from core.runtime.partitions import (
    PARTITIONED,
    add_months,
    create_month,
    is_partitioned,
    month_start,
    months_of,
    partition_name,
)

TABLE = "raw_record"


class ArchiveRefused(RuntimeError):
    """The database cannot be archived this way (SQLite, or not migrated to 0115)."""


@dataclass
class ArchiveResult:
    lines: list[str] = field(default_factory=list)
    archived: dict[str, int] = field(default_factory=dict)  # file -> rows

    def __str__(self) -> str:
        return "\n".join(self.lines)


def _bound(month: date) -> str:
    return f"'{month.isoformat()} 00:00:00+00'"


def _file_facts(path: Path) -> tuple[int, int]:
    """(rows, sum of ids) of an archive file, reading every line as JSON."""
    rows = total = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows += 1
                total += int(json.loads(line)["id"])
    return rows, total


def _write(engine: Engine, name: str, path: Path) -> None:
    tmp = path.with_name(path.name + ".part")
    with engine.connect() as conn, gzip.open(tmp, "wt", encoding="utf-8") as fh:
        rows = conn.execution_options(stream_results=True, yield_per=2000).exec_driver_sql(
            f'SELECT row_to_json(p)::text FROM "{name}" p ORDER BY id')
        for (line,) in rows:
            fh.write(line)
            fh.write("\n")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def archive_raw(engine: Engine, after_months: int, directory: str | Path, today: date | None = None) -> ArchiveResult:
    if engine.dialect.name != "postgresql":
        raise ArchiveRefused("archive-raw needs PostgreSQL: on SQLite raw_record is one table without monthly "
                             "partitions, so there is no month to detach")
    spec = PARTITIONED[TABLE]
    with engine.connect() as conn:
        if not is_partitioned(conn, TABLE):
            raise ArchiveRefused("raw_record is not partitioned yet: run `aduan db upgrade` first")
    current = month_start(today or datetime.now().astimezone().date())
    cutoff = add_months(current, -after_months)
    result = ArchiveResult()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    with engine.begin() as conn:  # old rows parked in the DEFAULT partition get their month first
        old = conn.exec_driver_sql(
            f"SELECT DISTINCT date_trunc('month', {spec.column} AT TIME ZONE 'UTC')::date FROM \"{TABLE}_default\" "
            f"WHERE {spec.column} < {_bound(cutoff)}").scalars().all()
        for month in sorted(old):
            moved = create_month(conn, spec, month)
            result.lines.append(f"{partition_name(TABLE, month)}: made, {moved} rows moved out of the default "
                                "partition")

    with engine.connect() as conn:
        months = [m for m in months_of(conn, TABLE) if m < cutoff]
    if not months:
        result.lines.append(f"nothing to archive: no raw_record month before {cutoff:%Y-%m}")
        return result
    for month in months:
        name = partition_name(TABLE, month)
        with engine.connect() as conn:
            rows, total = conn.exec_driver_sql(f'SELECT count(*), coalesce(sum(id), 0) FROM "{name}"').one()
        path = directory / f"{TABLE}_{month:%Y_%m}.jsonl.gz"
        n = 1
        while path.exists() and _file_facts(path) != (rows, total):
            n += 1
            path = directory / f"{TABLE}_{month:%Y_%m}.{n}.jsonl.gz"
        if not path.exists():
            _write(engine, name, path)
        facts = _file_facts(path)
        if facts != (rows, total):
            raise RuntimeError(f"{path}: read back {facts[0]} rows (id sum {facts[1]}), the partition has {rows} "
                               f"(id sum {total}); {name} kept")
        with engine.begin() as conn:
            conn.exec_driver_sql(f'LOCK TABLE "{TABLE}" IN ACCESS EXCLUSIVE MODE')
            again = tuple(conn.exec_driver_sql(f'SELECT count(*), coalesce(sum(id), 0) FROM "{name}"').one())
            if again != (rows, total):
                raise RuntimeError(f"{name} changed while it was archived ({again[0]} rows now); run again")
            if spec.key:
                conn.exec_driver_sql(f'DELETE FROM "{spec.key.name}" WHERE {spec.column} >= {_bound(month)} '
                                     f'AND {spec.column} < {_bound(add_months(month, 1))}')
            conn.exec_driver_sql(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}"')
            conn.exec_driver_sql(f'DROP TABLE "{name}"')
        result.archived[str(path)] = rows
        result.lines.append(f"{name}: {rows} rows written to {path}, read back and checked; partition dropped")
    return result


__all__ = ["archive_raw", "ArchiveRefused", "ArchiveResult"]
