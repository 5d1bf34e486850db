"""The pull runner: one connector instance, one shared HTTP client, page by page.

Each page goes through the intake pipeline (land → translate → apply) and is committed together with
the bookmark, which the runner moves itself: per partition, to the highest `cursor_field` committed
(on pages that settle). A crash anywhere loses nothing and a restart resumes after the last committed
page. Retriable errors are retried inside the connector (bounded); whatever still escapes stops the
run and is recorded in `SyncState` (status=error, last_error) for the connector page and /health.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from core.intake import pipeline, registry
from core.intake.bookmark import Bookmark
from core.intake.contract import (
    Connector,
    ConnectorError,
    Context,
    FatalError,
    HttpPolicy,
    Page,
    RetriableError,
)
from core.intake.http import client_for
from core.intake.ingest import Resolver
from core.intake.read_ahead import read_ahead
from core.intake.read_process import ProcessReader, can_read_in_process
from core.runtime.collector import bulk_allocations
from core.runtime.db import get_engine
from core.runtime.settings import Settings, get_settings
from models import ConnectorInstance, SyncState
from models.types import utcnow

log = logging.getLogger("aduan.sync")
COUNTS = ("fetched", "new", "updated", "unchanged", "failed", "skipped")


class UnknownInstance(LookupError):
    """No connector instance has that name."""


class NotPullable(ValueError):
    """The instance's connector is not pulled (a webhook or a file import)."""


@dataclass
class SyncSummary:
    name: str
    status: str = "ok"  # ok | error | busy
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    pages: int = 0
    retries: int = 0
    expected: int | None = None
    duration_s: float = 0.0
    error: str | None = None
    started_at: datetime = field(default_factory=utcnow)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        return data


ProgressFn = Callable[[SyncSummary], None]


def http_policy(settings: Settings) -> HttpPolicy:
    return HttpPolicy(timeout_seconds=settings.sync_timeout_seconds, attempts=settings.sync_retry_attempts,
                      backoff_seconds=settings.sync_backoff_seconds,
                      backoff_max_seconds=settings.sync_backoff_max_seconds,
                      retry_after_max_seconds=settings.sync_retry_after_max_seconds)


def config_problems(exc: ValidationError) -> str:
    """'field.sub: message; …' in the operator's language for the common cases."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "config"
        message = {"missing": "wajib diisi", "extra_forbidden": "tidak dikenal"}.get(
            err["type"], err["msg"].removeprefix("Value error, "))
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def context(settings: Settings) -> Context:
    """What a connector is told when it is built (it never reads settings itself)."""
    return Context(tz=settings.tz, http=http_policy(settings))


def build_connector(instance: ConnectorInstance, settings: Settings | None = None,
                    defaults: dict[str, Any] | None = None) -> Connector:
    """The instance's connector with its validated config; FatalError names what is wrong. `defaults` fill
    the config fields the instance leaves empty (e.g. the Graph URL and token from settings)."""
    try:
        cls = registry.get(instance.kind)
    except registry.UnknownConnector as exc:
        raise FatalError(f"jenis konektor {instance.kind!r} tidak terpasang ({exc.args[0]})") from None
    config = instance.config or {}
    if defaults:
        fields = getattr(cls.Config, "model_fields", {})
        config = {**{k: v for k, v in defaults.items() if k in fields and v is not None},
                  **{k: v for k, v in config.items() if v is not None}}
    try:
        return cls(config, context(settings or get_settings()))
    except ValidationError as exc:
        raise FatalError(f"konfigurasi {instance.name!r} tidak valid: {config_problems(exc)}") from None


class ChannelConnectors:
    """Per channel, the first enabled instance whose connector `can` do the job, built once per pass (a
    FatalError is kept and raised again): for the worker jobs that act on rows of many channels."""

    def __init__(self, engine: Engine, settings: Settings, *, can: Callable[[type], bool] = lambda cls: True,
                 defaults: dict[str, Any] | None = None, lacking: str = ""):
        self.engine, self.settings, self.can, self.defaults, self.lacking = engine, settings, can, defaults, lacking
        self._built: dict[str, Connector | FatalError] = {}

    def __call__(self, channel: str) -> Connector:
        if channel not in self._built:
            self._built[channel] = self._build(channel)
        found = self._built[channel]
        if isinstance(found, FatalError):
            raise found
        return found

    def _build(self, channel: str) -> Connector | FatalError:
        kinds = registry.available()
        with Session(self.engine) as session:
            instances = session.exec(select(ConnectorInstance).where(ConnectorInstance.enabled)
                                     .order_by(ConnectorInstance.name)).all()
        for instance in instances:
            cls = kinds.get(instance.kind)
            if cls is not None and getattr(cls, "channel", None) == channel and self.can(cls):
                try:
                    return build_connector(instance, self.settings, self.defaults)
                except FatalError as exc:
                    return exc
        return FatalError(f"tidak ada konektor aktif untuk kanal {channel!r}{self.lacking}")


def state_for(session: Session, instance: ConnectorInstance) -> SyncState:
    state = session.exec(select(SyncState).where(SyncState.connector_instance_id == instance.id)).first()
    if state is None:
        try:
            with session.begin_nested():
                state = SyncState(connector_instance_id=instance.id)
                session.add(state)
        except IntegrityError:  # created concurrently
            state = session.exec(select(SyncState).where(SyncState.connector_instance_id == instance.id)).one()
        session.commit()
    return state


def _lease(owner: str) -> dict:
    return {"owner": owner, "host": socket.gethostname(), "pid": os.getpid(), "heartbeat": utcnow().isoformat()}


def _lease_is_stale(state: SyncState, settings: Settings, now: datetime) -> bool:
    lease = state.last_counts or {}
    if lease.get("host") == socket.gethostname() and isinstance(lease.get("pid"), int):
        try:
            os.kill(lease["pid"], 0)
        except ProcessLookupError:
            return True  # the run died on this machine (killed, crashed)
        except PermissionError:
            pass
    beat = lease.get("heartbeat")
    last = datetime.fromisoformat(beat) if beat else state.last_run_at
    return last is None or now - last > timedelta(seconds=settings.sync_lease_seconds)


def is_running(state: SyncState | None, settings: Settings, now: datetime) -> bool:
    return state is not None and state.status == "running" and not _lease_is_stale(state, settings, now)


def _acquire(session: Session, state: SyncState, settings: Settings) -> str | None:
    """Compare-and-set the state to running; None when another live run holds it."""
    now = utcnow()
    if is_running(state, settings, now):
        return None
    owner = uuid.uuid4().hex
    result = session.connection().execute(
        update(SyncState)
        .where(SyncState.id == state.id, SyncState.status == state.status,
               SyncState.last_run_at.is_not_distinct_from(state.last_run_at))
        .values(status="running", last_run_at=now, last_counts=_lease(owner)))
    session.commit()
    session.expire_all()  # the ORM copy of the state predates the update above
    return owner if result.rowcount == 1 else None


def _commit_page(session: Session, state_id: int, instance_id: int, connector: Connector, resolver: Resolver,
                 page: Page, bookmark: Bookmark, summary: SyncSummary, owner: str,
                 prepared: pipeline.Prepared | None = None, high: datetime | int | None = None) -> None:
    bookmark.see(page, high)
    batch = pipeline.ingest(session, connector, page.records, resolver, instance_id=instance_id, prepared=prepared)
    counts = dict.fromkeys(COUNTS, 0)
    counts.update({k: v for k, v in batch.counts.items() if k in counts})
    counts["fetched"] = len(page.records)
    state = session.get(SyncState, state_id)
    if (state.last_counts or {}).get("owner") != owner:
        raise FatalError("sinkronisasi ini dianggap mati dan diambil alih proses lain; dihentikan")
    moved = bookmark.settled(page)
    if moved is not None:
        state.bookmark = moved
    state.fetched_total += counts["fetched"]
    state.new_total += counts["new"]
    state.updated_total += counts["updated"]
    state.failed_total += counts["failed"]
    for name, n in counts.items():
        setattr(summary, name, getattr(summary, name) + n)
    summary.pages += 1
    if page.expected is not None:
        summary.expected = page.expected
    state.last_counts = {**_lease(owner), **{k: getattr(summary, k) for k in (*COUNTS, "pages")}}
    session.add(state)
    if session.get_bind().dialect.name == "postgresql":
        # The page and its bookmark commit together, so a crash can lose only the last pages with their
        # bookmark, and the next run reads them again from the upstream: no need to wait for the disk. The
        # run's last write (`_finish`) waits, and makes every page before it durable too.
        session.connection().exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    session.commit()
    session.expunge_all()  # keep memory flat over long runs


# The per-page look-ups find rows by (channel, external_id). Without statistics PostgreSQL takes
# `channel = x` for selective and reads the channel's every row on each page, so a bulk sync into
# young tables goes quadratic (autovacuum's ANALYZE lags behind a load, or is off). Refreshing just
# those columns is cheap; doing it whenever the run has doubled keeps it to a handful per run.
_LOOKUP_STATS = "ANALYZE raw_record (channel, external_id), complaint (channel, external_id)"
_STATS_FIRST_AT = 1000


def _refresh_lookup_stats(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    try:
        session.connection().execute(text(_LOOKUP_STATS))
        session.commit()
    except SQLAlchemyError as exc:  # only a speed-up: the pages are committed already
        session.rollback()
        log.warning("could not refresh planner statistics: %s", exc)


def _reads_in_process(connector: Connector, bookmark: dict[str, Any] | None, settings: Settings) -> bool:
    """A backfill (no bookmark yet) is long enough to repay a child process's start (1-2 s of imports); an
    incremental run of a few pages is not."""
    wanted = settings.sync_reader_process == "always" or (settings.sync_reader_process == "backfill" and not bookmark)
    return wanted and can_read_in_process(connector)


def _finish(session: Session, state_id: int, owner: str, summary: SyncSummary) -> None:
    session.rollback()
    session.expire_all()
    state = session.get(SyncState, state_id)
    if state is None or (state.last_counts or {}).get("owner") != owner:
        log.warning("sync %s: lease was taken over; not recording this run's outcome", summary.name)
        return
    now = utcnow()
    state.status = "error" if summary.error else "ok"
    state.runs_total += 1
    state.run_errors_total += bool(summary.error)
    if summary.error:
        state.last_error, state.last_error_at = summary.error[:4000], now
    else:
        state.last_success_at, state.last_error = now, None
    state.last_counts = {k: v for k, v in summary.as_dict().items() if k != "name"}
    session.add(state)
    session.commit()


def describe_error(exc: BaseException, policy: HttpPolicy) -> str:
    if isinstance(exc, RetriableError):
        return f"upstream tetap gagal setelah {policy.attempts} percobaan: {exc}"
    if isinstance(exc, ConnectorError):
        return str(exc)
    return f"{exc.__class__.__name__}: {exc}"


def sync_instance(name: str, *, engine: Engine | None = None, client: httpx.Client | None = None,
                  progress: ProgressFn | None = None, settings: Settings | None = None) -> SyncSummary:
    """Pull one instance. Never raises for upstream or config trouble: it is in the summary and
    in SyncState. Raises UnknownInstance / NotPullable for a wrong name or kind."""
    engine = engine or get_engine()
    settings = settings or get_settings()
    summary = SyncSummary(name=name)
    clock = time.monotonic()
    with Session(engine, expire_on_commit=False) as session:
        instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).first()
        if instance is None:
            raise UnknownInstance(name)
        cls = registry.available().get(instance.kind)
        if cls is not None and not registry.of_kind(cls, "pull"):
            raise NotPullable(f"{name!r} ({instance.kind}) is not a pull connector")
        state = state_for(session, instance)
        owner = _acquire(session, state, settings)
        if owner is None:
            summary.status, summary.error = "busy", "sinkronisasi lain untuk konektor ini sedang berjalan"
            return summary
        state_id, instance_id, bookmark = state.id, instance.id, state.bookmark
        connector: Any = None
        reader: ProcessReader | None = None
        own_client = client is None
        try:
            connector = build_connector(instance, settings)
            if own_client:
                client = client_for(connector.retrier.policy)
            log.info("sync %s: start from bookmark %s", name, bookmark)
            marks = Bookmark(connector, bookmark)
            resolver = Resolver(session, settings)
            stats_at = _STATS_FIRST_AT
            # Each page is read, hashed and translated ahead (a child process, or a thread) while the one before
            # is written.
            if own_client and _reads_in_process(connector, bookmark, settings):
                reader = ProcessReader(connector, marks.marks)
                ahead = reader.pages()
            else:
                ahead = read_ahead(connector.fetch_pages(client, dict(marks.marks)),
                                   then=lambda page: (page, pipeline.prepare(connector, page.records), None))
            with bulk_allocations(), closing(ahead) as pages:
                for page, prepared, high in pages:
                    _commit_page(session, state_id, instance_id, connector, resolver, page, marks, summary, owner,
                                 prepared, high)
                    if summary.fetched >= stats_at:
                        _refresh_lookup_stats(session)
                        stats_at = 2 * summary.fetched
                    if progress:
                        progress(summary)
        except BaseException as exc:  # recorded for the operator; the bookmark stays at the last good page
            policy = connector.retrier.policy if connector else http_policy(settings)
            summary.status, summary.error = "error", describe_error(exc, policy)
            if not isinstance(exc, Exception):
                summary.error = f"dihentikan ({exc.__class__.__name__})"
                raise
            if not isinstance(exc, ConnectorError):
                log.exception("sync %s failed", name)
        finally:
            if connector is not None:
                summary.retries = connector.retrier.retries + (reader.retries if reader else 0)
            if own_client and client is not None:
                client.close()
            summary.duration_s = round(time.monotonic() - clock, 3)
            _finish(session, state_id, owner, summary)
    log.info("sync %s: %s", name, summary.as_dict())
    return summary


def enabled_pull_instances(session: Session) -> list[ConnectorInstance]:
    instances = session.exec(select(ConnectorInstance).where(ConnectorInstance.enabled == True)  # noqa: E712
                             .order_by(ConnectorInstance.name)).all()
    kinds = registry.available()
    # Unknown kinds stay in: their run records "not installed", which the operator must see.
    return [i for i in instances if i.kind not in kinds or registry.of_kind(kinds[i.kind], "pull")]


def due_instances(session: Session, now: datetime) -> list[str]:
    """Enabled pull instances whose schedule has elapsed since their last run (never run = due)."""
    settings = get_settings()
    due = []
    for instance in enabled_pull_instances(session):
        if instance.schedule_seconds is None:
            continue
        state = session.exec(select(SyncState).where(SyncState.connector_instance_id == instance.id)).first()
        if is_running(state, settings, now):
            continue
        last = state.last_run_at if state else None
        if last is None or now - last >= timedelta(seconds=instance.schedule_seconds):
            due.append(instance.name)
    return due
