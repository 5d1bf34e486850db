"""Import export files through a file connector (112 CAD): every row through the intake pipeline, reported by row.

Re-importing a file is a no-op: rows land only when new (same payload → same inbox record), and a
record already normalised is not touched again. Rows that fail stay in the inbox as `failed` and are
listed by row number and column; they never block the good rows. A watched folder or an HTTP source
remembers the hashes of the files it has imported (in the instance's sync bookmark).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, select

from core.intake import pipeline, registry
from core.intake.contract import Connector, ConnectorError, FatalError
from core.intake.http import Retrier, client_for, get_bytes_once
from core.intake.ingest import Resolver
from core.intake.sync import context, describe_error, http_policy
from core.intake.tabular import TableError, TableLimits, megabytes, read_table
from core.runtime.collector import bulk_allocations
from core.runtime.settings import Settings, get_settings
from models import ConnectorInstance, RawState, SyncState
from models.types import utcnow

COMMIT_EVERY = 500
SUFFIXES = (".csv", ".xlsx")


@dataclass
class RowProblem:
    row: int
    column: str | None
    message: str
    external_id: str | None = None


@dataclass
class ImportReport:
    filename: str
    file_hash: str
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_complaints: int = 0  # counted calls (ghost/prank) that are not complaints
    failed: int = 0
    already_imported: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def export_limits(settings: Settings) -> TableLimits:
    return TableLimits.from_settings(settings, max_bytes=settings.upload_export_max_bytes)


def read_capped(path: Path, max_bytes: int | None = None) -> bytes:
    """A file's bytes, but never more than one byte over the limit: enough for `import_file` to refuse it."""
    limit = max_bytes or get_settings().upload_export_max_bytes
    with path.open("rb") as file:
        return file.read(limit + 1)


def import_file(session: Session, connector: Connector, content: bytes, filename: str,
                instance: ConnectorInstance | None = None) -> ImportReport:
    report = ImportReport(filename=filename, file_hash=file_hash(content))
    settings = get_settings()
    try:
        table = read_table(content, limits=export_limits(settings))
    except TableError as exc:
        report.problems.append(RowProblem(0, None, str(exc)))
        return report
    resolver = Resolver(session, settings)
    unmapped: dict[str, Counter] = {"kategori": Counter(), "opd": Counter()}
    rows = []
    key = connector.primary_key or "id"
    for row in table.rows:
        report.rows += 1
        external_id = str(row.values.get(key) or "").strip()
        if external_id:
            rows.append((row.number, external_id, row.values))
        else:
            report.failed += 1
            report.problems.append(RowProblem(row.number, key, "wajib diisi"))
    with bulk_allocations():  # a 20,000-row CAD export: 6.8-7.2 s of CPU instead of 8.3-9.2 (SQLite)
        for start in range(0, len(rows), COMMIT_EVERY):
            chunk = rows[start:start + COMMIT_EVERY]
            batch = pipeline.ingest(session, connector, [(external_id, values) for _, external_id, values in chunk],
                                    resolver, instance_id=instance.id if instance else None,
                                    redo=(RawState.pending, RawState.failed))
            for (number, external_id, values), verdict in zip(chunk, batch.verdicts, strict=True):
                _count(report, verdict.outcome)
                if verdict.outcome == "failed":
                    problems = (getattr(connector, "problems", lambda _v: [])(values)
                                or [_column_of(verdict.error or "")])
                    report.problems.extend(RowProblem(number, col, msg, external_id) for col, msg in problems)
                elif verdict.applied:
                    _note_unmapped(connector, values, unmapped)
            session.commit()
    report.unmapped = {k: dict(v) for k, v in unmapped.items() if v}
    return report


def _column_of(error: str) -> tuple[str | None, str]:
    """Mapping failures (a mapped code missing from the reference data) name the mapped column."""
    if "category code" in error:
        return "kategori", f"pemetaan kategori ke kode yang tidak ada ({error})"
    if "OPD code" in error:
        return "opd", f"pemetaan OPD ke kode yang tidak ada ({error})"
    return None, error


def _count(report: ImportReport, outcome: str) -> None:
    if outcome == "skipped":
        report.not_complaints += 1
    elif outcome in ("new", "updated", "unchanged", "failed"):
        setattr(report, outcome, getattr(report, outcome) + 1)


def _note_unmapped(connector: Connector, values: dict, unmapped: dict[str, Counter]) -> None:
    for column, lookup in (("kategori", "category_code"), ("opd", "opd_code")):
        if hasattr(connector, lookup) and not getattr(connector, lookup)(values)[1]:
            unmapped[column][str(values.get(column)).strip()] += 1


# --- configured instances: watched folder or HTTP source -----------------------------------------

def file_connector(session: Session, name: str) -> tuple[ConnectorInstance, Connector]:
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).first()
    if instance is None:
        raise LookupError(f"no connector instance named {name!r}")
    cls = registry.get(instance.kind)
    if not registry.of_kind(cls, "file"):
        raise LookupError(f"connector {name!r} ({instance.kind}) does not import files")
    return instance, cls(instance.config, context(get_settings()))


def _state(session: Session, instance: ConnectorInstance) -> SyncState:
    state = session.exec(select(SyncState).where(SyncState.connector_instance_id == instance.id)).first()
    return state or SyncState(connector_instance_id=instance.id, bookmark={"files": {}})


def sync_instance(session: Session, name: str, client: httpx.Client | None = None) -> list[ImportReport]:
    """Import what is new at the instance's source; files already imported (by hash) are skipped."""
    instance, connector = file_connector(session, name)
    config = connector.config
    state = _state(session, instance)
    seen: dict[str, Any] = dict((state.bookmark or {}).get("files") or {})
    state.last_run_at = utcnow()
    reports: list[ImportReport] = []
    policy = http_policy(get_settings())
    try:
        for filename, content in _source_files(config, client, Retrier(policy)):
            digest = file_hash(content)
            if digest in seen:
                continue
            report = import_file(session, connector, content, filename, instance)
            reports.append(report)
            seen[digest] = {"name": filename, "imported_at": utcnow().isoformat(), "rows": report.rows,
                            "failed": report.failed}
            state.fetched_total += report.rows
            state.new_total += report.new
            state.updated_total += report.updated
            state.failed_total += report.failed
    except (ConnectorError, OSError) as exc:
        state.status, state.last_error, state.last_error_at = "error", describe_error(exc, policy)[:2000], utcnow()
    else:
        state.status, state.last_success_at, state.last_error = "ok", utcnow(), None
    state.bookmark = {"files": seen}
    state.last_counts = {"files": len(reports), "rows": sum(r.rows for r in reports),
                         "new": sum(r.new for r in reports), "failed": sum(r.failed for r in reports)}
    session.add(state)
    session.commit()
    return reports


def _source_files(config, client: httpx.Client | None, retrier: Retrier):
    folder = getattr(config, "folder", None)
    url = getattr(config, "url", None)
    if not folder and not url:
        raise FatalError("instance has neither 'folder' nor 'url' configured")
    if folder:
        root = Path(folder)
        if not root.is_dir():
            raise FatalError(f"folder {folder!r} does not exist")
        for path in sorted(p for p in root.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file()):
            yield path.name, read_capped(path)
    if url:
        yield _fetch(url, getattr(config, "token", None), client, retrier)


def _fetch(url: str, token: str | None, client: httpx.Client | None, retrier: Retrier) -> tuple[str, bytes]:
    """The export at `url` through the run's client and retry policy, read no further than the byte cap."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    max_bytes = get_settings().upload_export_max_bytes
    too_large = f"{url}: export lebih dari {megabytes(max_bytes)} (ADUAN_UPLOAD_EXPORT_MAX_BYTES); tidak diunduh"
    own = client is None
    client = client or client_for(retrier.policy)
    try:
        content = retrier.call(lambda: get_bytes_once(client, url, headers, max_bytes, too_large))
    finally:
        if own:
            client.close()
    return (httpx.URL(url).path.rsplit("/", 1)[-1] or "export"), content
