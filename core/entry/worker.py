"""`aduan worker`: the monthly partitions (PostgreSQL), connector syncs, the SLA sweep, the notification outbox,
reporters' media downloads, the nightly retrain of the triage suggestions, the Monday briefing, and the daily
rollup's fold (every minute) and nightly reconcile, each on its schedule.

SIGTERM/SIGINT ask it to stop: the running job finishes (the outbox stops between two messages
and gives unsent claims back), then the process exits 0. On SQLite one worker runs at a time
(a lock file next to the database); on PostgreSQL any number may run, kept apart by SKIP LOCKED
(outbox), an advisory lock (sweep) and unique keys (ladder records, notifications).
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from core.casework.escalation import run_sweep
from core.casework.outbox import GraphSender, dispatch_due
from core.intake import registry
from core.intake.media import fetch_pending as fetch_pending_media
from core.intake.writeback import dispatch_writebacks
from core.reporting.rollup import NightlyReconcile, fold_pending
from core.runtime.db import make_engine, session_scope
from core.runtime.logs import configure_logging
from core.runtime.partitions import ensure_partitions
from core.runtime.settings import Settings, get_settings
from models import ConnectorInstance
from models.types import utcnow

log = logging.getLogger("aduan.worker")


class WorkerAlreadyRunning(RuntimeError):
    """Another worker holds the SQLite database."""


@dataclass
class Job:
    name: str
    interval: float
    run: Callable[[], object]
    next_at: float = 0.0


@contextmanager
def single_worker(settings: Settings) -> Iterator[None]:
    """On SQLite, hold an exclusive lock file next to the database for the worker's lifetime."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    path = Path(url.database).resolve().with_name(Path(url.database).name + ".worker.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise WorkerAlreadyRunning(
                f"another aduan worker (pid {holder}) is already running on {url.database}; SQLite allows one "
                f"worker: stop it first, or use PostgreSQL to run several (lock file {path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def run_worker(once: bool = False, settings: Settings | None = None, stop: threading.Event | None = None) -> None:
    settings = settings or get_settings()
    if not logging.getLogger().handlers:  # embedded (tests, demo): the host process owns logging
        configure_logging(settings)
    stop = stop or threading.Event()
    with single_worker(settings):
        engine = make_engine(settings.database_url)
        sender = GraphSender(settings)
        restore = _install_signal_handlers(stop)
        try:
            jobs = [  # each runs once at start, in this order; partitions first, before rows arrive
                Job("partitions", PARTITIONS_SECONDS, lambda: make_partitions(engine, settings)),
                Job("sync", settings.sync_poll_seconds, lambda: run_due_syncs(engine, stop)),
                Job("sla_sweep", settings.sla_sweep_minutes * 60, lambda: run_sweep(engine, settings)),
                Job("outbox", settings.outbox_poll_seconds,
                    lambda: dispatch_due(engine, settings, sender=sender, should_stop=stop.is_set)),
                Job("writeback", settings.outbox_poll_seconds,
                    lambda: dispatch_writebacks(engine, settings, should_stop=stop.is_set)),
                Job("media", settings.outbox_poll_seconds,
                    lambda: fetch_pending_media(engine, settings, should_stop=stop.is_set)),
                Job("triage_retrain", RETRAIN_CHECK_SECONDS, NightlyRetrain(engine, settings)),
                Job("candidate_retrain", CANDIDATE_RETRAIN_SECONDS, lambda: retrain_candidates(engine, settings)),
                Job("trends", settings.trends_minutes * 60, lambda: run_trends_job(engine, settings)),
                Job("briefing", BRIEFING_CHECK_SECONDS, weekly_briefing(engine, settings, sender)),
                Job("login_throttle", THROTTLE_PRUNE_SECONDS, lambda: prune_login_throttle(engine, settings)),
                Job("rollup_fold", settings.rollup_fold_seconds, lambda: fold_rollup(engine)),
                Job("rollup_reconcile", ROLLUP_CHECK_SECONDS,
                    NightlyReconcile(engine, settings.tz, settings.rollup_reconcile_hour)),
            ]
            log.info("worker started (%s): sweep every %s min, outbox every %s s%s", engine.dialect.name,
                     settings.sla_sweep_minutes, settings.outbox_poll_seconds, ", once" if once else "")
            _loop(jobs, stop, once)
        finally:
            restore()
            sender.close()
            engine.dispose()
    log.info("worker stopped")


def _loop(jobs: list[Job], stop: threading.Event, once: bool) -> None:
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                break
            if job.next_at <= time.monotonic():
                _run_job(job)
                job.next_at = time.monotonic() + job.interval
        if once:
            return
        wait = min(job.next_at for job in jobs) - time.monotonic()
        stop.wait(min(max(wait, 0.05), 1.0))


def _run_job(job: Job) -> None:
    started = time.monotonic()
    try:
        outcome = job.run()
    except Exception:  # a failing job (database down, bug in a connector) must not stop the others
        log.exception("job %s failed", job.name)
        return
    if outcome:
        log.info("job %s: %s (%.1f s)", job.name, outcome, time.monotonic() - started)


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def request_stop(signum, _frame):
        log.info("%s received: finishing the current job, then stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    return lambda: [signal.signal(sig, handler) for sig, handler in previous.items()]


THROTTLE_PRUNE_SECONDS = 3600.0
PARTITIONS_SECONDS = 6 * 3600.0


def make_partitions(engine: Engine, settings: Settings) -> str | None:
    """PostgreSQL: the monthly partitions up to ADUAN_PARTITION_MONTHS_AHEAD exist (a no-op on SQLite)."""
    result = ensure_partitions(engine, settings.partition_months_ahead)
    return str(result) if result.created else None



def prune_login_throttle(engine: Engine, settings: Settings) -> str | None:
    """Forget log-in failure counters (core.identity.throttle) older than a lock-out, once their lock is over."""
    from datetime import timedelta

    from core.identity.throttle import prune

    with Session(engine) as session:
        gone = prune(session, utcnow(), timedelta(minutes=settings.login_lockout_minutes))
    return f"{gone} old log-in counters removed" if gone else None


RETRAIN_CHECK_SECONDS = 600.0
CANDIDATE_RETRAIN_SECONDS = 3600.0  # the candidate ranker (core.triage.candidates) learns the desk's decisions hourly


def run_trends_job(engine: Engine, settings: Settings):
    """Topics of the week and month, spikes of the day and week (core.trends.job)."""
    from core.trends.job import trends_job

    return trends_job(engine, settings)


BRIEFING_CHECK_SECONDS = 300.0  # the weekly briefing is due from Monday ADUAN_BRIEFING_HOUR: checked every 5 minutes


def weekly_briefing(engine: Engine, settings: Settings, sender: GraphSender) -> Callable[[], object]:
    """The Monday briefing for the Bupati and the Sekda, made and queued once per week (core.entry.briefing)."""
    from core.entry.briefing import WeeklyBriefing

    return WeeklyBriefing(engine, settings, sender)


ROLLUP_CHECK_SECONDS = 300.0  # the nightly reconcile is due from ADUAN_ROLLUP_RECONCILE_HOUR: checked every 5 minutes


def fold_rollup(engine: Engine) -> str | None:
    moved = fold_pending(engine)
    return f"{moved} rollup changes folded" if moved else None


def retrain_candidates(engine: Engine, settings: Settings) -> str | None:
    from core.triage.candidates import retrain_job

    return retrain_job(engine, settings)


class NightlyRetrain:
    """Retrain the category/OPD suggestions once a local day, from ADUAN_TRIAGE_RETRAIN_HOUR (the night), when
    labels changed since the newest version; at once when there is no model yet and there are enough labels.
    A version trained by hand (`aduan triage train`) after today's hour counts as tonight's."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine, self.settings = engine, settings
        self.done_on: date | None = None

    def __call__(self, now: datetime | None = None) -> str | None:
        from core.triage.model import newest, train

        tz = self.settings.tz
        local = (now or utcnow()).astimezone(tz)
        today_from = local.replace(hour=self.settings.triage_retrain_hour, minute=0, second=0, microsecond=0)
        with Session(self.engine, expire_on_commit=False) as session:
            header = newest(session)
            if header is not None:
                if local < today_from or self.done_on == local.date():
                    return None
                if header.trained_at >= today_from:
                    self.done_on = local.date()
                    return None
            result = train(session, self.settings, only_if_new=header is not None, now=now)
        if header is not None or result.version is not None:
            self.done_on = local.date()
        if result.version is None:
            return None if header is None else f"not retrained: {result.skipped}"
        return f"model version {result.version} from {result.examples} labelled complaints"


def run_due_syncs(engine: Engine, stop: threading.Event) -> int | None:
    """Pull instances whose schedule is due, new files at file sources, webhook records left pending."""
    from core.intake import file_import, webhooks
    from core.intake.sync import due_instances, sync_instance

    with Session(engine) as session:
        names = due_instances(session, utcnow())
    synced = 0
    for name in names:
        if stop.is_set():
            return synced or None
        summary = sync_instance(name, engine=engine)
        synced += 1
        if summary.status == "error":
            log.warning("sync of %s failed: %s", name, summary.error)
    with session_scope(engine) as session:
        for name in file_instances(session):
            try:
                file_import.sync_instance(session, name)
                session.commit()
            except Exception:  # one broken source must not stop the others
                session.rollback()
                log.exception("import from file source %s failed", name)
        webhooks.replay_pending(session)
    return synced or None


def file_instances(session: Session) -> list[str]:
    instances = session.exec(select(ConnectorInstance).where(ConnectorInstance.enabled)).all()
    available = registry.available()
    return [i.name for i in instances
            if registry.of_kind(available.get(i.kind), "file")]
