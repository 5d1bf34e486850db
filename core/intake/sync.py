"""The pull runner: one connector instance, one shared HTTP client, page by page.

Each page is landed in the inbox, normalised and committed together with the new bookmark, so a
crash anywhere loses nothing and a restart resumes after the last committed page. Retriable errors
are retried inside the connector (bounded); whatever still escapes stops the run and is recorded
in `SyncState` (status=error, last_error) for the connector page and /health.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import httpx
from pydantic import ValidationError
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from connectors import registry
from connectors.base import Connector, ConnectorError, FatalError, HttpPolicy, PullConnector, RetriableError
from core.intake.inbox import land_page, normalise_page
from core.intake.ingest import Resolver
from core.runtime.db import get_engine
from core.runtime.settings import Settings, get_settings
from models import ConnectorInstance, RawState, SyncState
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


def build_connector(instance: ConnectorInstance, settings: Settings | None = None) -> Connector:
    """The instance's connector with its validated config; FatalError names what is wrong."""
    try:
        cls = registry.get(instance.kind)
    except registry.UnknownConnector as exc:
        raise FatalError(f"jenis konektor {instance.kind!r} tidak terpasang ({exc.args[0]})") from None
    try:
        if issubclass(cls, PullConnector):
            return cls(instance.config, http_policy(settings or get_settings()))
        return cls(instance.config)
    except ValidationError as exc:
        raise FatalError(f"konfigurasi {instance.name!r} tidak valid: {config_problems(exc)}") from None


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
                 page, summary: SyncSummary, owner: str) -> None:
    counts = dict.fromkeys(COUNTS, 0)
    counts["fetched"] = len(page.records)
    resolver.prefetch_complaints(connector.channel, [external_id for external_id, _ in page.records])
    todo = []
    for landed in land_page(session, connector.channel, page.records, instance_id):
        if landed.is_new or landed.state == RawState.pending:
            todo.append(landed)
        else:
            counts["unchanged"] += 1  # this exact payload was handled before
    for outcome in normalise_page(session, todo, connector, resolver):
        counts[outcome] += 1
    state = session.get(SyncState, state_id)
    if (state.last_counts or {}).get("owner") != owner:
        raise FatalError("sinkronisasi ini dianggap mati dan diambil alih proses lain; dihentikan")
    if page.bookmark is not None:
        state.bookmark = page.bookmark
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


def _describe(exc: BaseException, policy: HttpPolicy) -> str:
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
        if cls is not None and not issubclass(cls, PullConnector):
            raise NotPullable(f"{name!r} ({instance.kind}) is not a pull connector")
        state = state_for(session, instance)
        owner = _acquire(session, state, settings)
        if owner is None:
            summary.status, summary.error = "busy", "sinkronisasi lain untuk konektor ini sedang berjalan"
            return summary
        state_id, instance_id, bookmark = state.id, instance.id, state.bookmark
        connector: PullConnector | None = None
        own_client = client is None
        try:
            connector = build_connector(instance, settings)
            if own_client:
                client = httpx.Client(timeout=connector.retrier.policy.timeout(),
                                      headers={"User-Agent": "aduan-terpadu/1 (+sinkronisasi)"})
            log.info("sync %s: start from bookmark %s", name, bookmark)
            resolver = Resolver(session, settings)
            stats_at = _STATS_FIRST_AT
            for page in connector.fetch_pages(client, bookmark):
                _commit_page(session, state_id, instance_id, connector, resolver, page, summary, owner)
                if summary.fetched >= stats_at:
                    _refresh_lookup_stats(session)
                    stats_at = 2 * summary.fetched
                if progress:
                    progress(summary)
        except BaseException as exc:  # recorded for the operator; the bookmark stays at the last good page
            policy = connector.retrier.policy if connector else http_policy(settings)
            summary.status, summary.error = "error", _describe(exc, policy)
            if not isinstance(exc, Exception):
                summary.error = f"dihentikan ({exc.__class__.__name__})"
                raise
            if not isinstance(exc, ConnectorError):
                log.exception("sync %s failed", name)
        finally:
            if connector is not None:
                summary.retries = connector.retrier.retries
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
    return [i for i in instances if i.kind not in kinds or issubclass(kinds[i.kind], PullConnector)]


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


def sync_all(*, engine: Engine | None = None, client: httpx.Client | None = None,
             progress: ProgressFn | None = None) -> list[SyncSummary]:
    """Every enabled pull instance, one after the other (scheduled or not)."""
    with Session(engine or get_engine()) as session:
        names = [i.name for i in enabled_pull_instances(session)]
    return [sync_instance(name, engine=engine, client=client, progress=progress) for name in names]
