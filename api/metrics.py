"""`GET /metrics` in the Prometheus text format.

Request counts and latency come from prometheus-fastapi-instrumentator, labelled by route template
(`/api/v1/complaints/{code}`), never by raw path. Everything about the data is read from the database
at scrape time by `DatabaseCollector`, so the numbers are the same whichever API process is scraped
and whatever process (worker, CLI) did the work. Only aggregates: no complaint, reporter or key data.

Each app gets its own registry: the global default one would refuse a second `create_app()`.

Several API processes (`aduan serve --workers N`): PROMETHEUS_MULTIPROC_DIR is set before they start, so
prometheus_client keeps every counter and histogram in a per-process file there; a scrape, answered by whichever
process gets it, sums all the files (`MultiProcessCollector`) and adds the database gauges once.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from core.identity.access import Access
from core.intake.instances import instances_with_state
from core.reporting.filters import ComplaintFilter
from core.reporting.rollup import health as rollup_health
from core.reporting.stats import Stats
from core.runtime.db import get_engine
from core.runtime.replica import get_read_router
from core.runtime.settings import get_settings
from models import Notification, RawRecord, RawState, Role
from models.enums import NotificationStatus

log = logging.getLogger("aduan.metrics")
RECORD_OUTCOMES = ("fetched", "new", "updated", "failed")


class DatabaseCollector(Collector):
    """Connector, outbox, inbox and complaint gauges, a few cheap aggregate queries per scrape."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("aduan_database_up", "1 when the last scrape could read the database")
        try:
            with Session(get_engine()) as session:
                families = [*self._connectors(session), *self._outbox(session), *self._inbox(session),
                            *self._complaints(session), *self._rollup(session)]
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreadable: %s", exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    @staticmethod
    def _connectors(session: Session) -> list[Metric]:
        labels = ["connector", "kind"]
        runs = CounterMetricFamily("aduan_connector_sync_runs", "Finished sync runs", labels=labels)
        errors = CounterMetricFamily("aduan_connector_sync_errors", "Sync runs that ended in an error",
                                     labels=labels)
        records = CounterMetricFamily("aduan_connector_records", "Records pulled by sync runs, by outcome",
                                      labels=[*labels, "outcome"])
        last_ok = GaugeMetricFamily("aduan_connector_last_success_timestamp_seconds",
                                    "Unix time of the last successful sync run", labels=labels)
        enabled = GaugeMetricFamily("aduan_connector_enabled", "1 when the connector instance is enabled",
                                    labels=labels)
        for instance, state in instances_with_state(session):
            key = [instance.name, instance.kind]
            enabled.add_metric(key, int(instance.enabled))
            runs.add_metric(key, state.runs_total if state else 0)
            errors.add_metric(key, state.run_errors_total if state else 0)
            for outcome in RECORD_OUTCOMES:
                records.add_metric([*key, outcome], getattr(state, f"{outcome}_total") if state else 0)
            if state and state.last_success_at:
                last_ok.add_metric(key, state.last_success_at.timestamp())
        return [runs, errors, records, last_ok, enabled]

    @staticmethod
    def _outbox(session: Session) -> list[Metric]:
        depth = GaugeMetricFamily("aduan_outbox_notifications", "Notifications in the outbox, by status",
                                  labels=["status"])
        counts = dict(session.exec(select(Notification.status, func.count()).group_by(Notification.status)).all())
        for status in NotificationStatus:
            depth.add_metric([status.value], counts.get(status, 0))
        return [depth]

    @staticmethod
    def _inbox(session: Session) -> list[Metric]:
        inbox = GaugeMetricFamily("aduan_inbox_records", "Raw records not normalised (yet), by state",
                                  labels=["state"])
        waiting = (RawState.pending, RawState.failed)
        counts = dict(session.exec(select(RawRecord.state, func.count()).where(RawRecord.state.in_(waiting))
                                   .group_by(RawRecord.state)).all())
        for state in waiting:
            inbox.add_metric([state.value], counts.get(state, 0))
        return [inbox]

    @staticmethod
    def _complaints(session: Session) -> list[Metric]:
        # As /stats/summary for an admin: through the daily rollup once it is built (a scan of every
        # complaint at each scrape took seconds at 10 M).
        everyone = Access(Role.admin, actor="metrics")
        tz = get_settings().tz
        open_count, overdue_count = Stats(session, ComplaintFilter().resolve(session, tz), everyone, tz
                                          ).open_and_overdue()
        open_ = GaugeMetricFamily("aduan_complaints_open", "Complaints not yet closed")
        open_.add_metric([], open_count)
        overdue = GaugeMetricFamily("aduan_complaints_overdue",
                                    "Open complaints past their response or resolution deadline")
        overdue.add_metric([], overdue_count)
        return [open_, overdue]


    @staticmethod
    def _rollup(session: Session) -> list[Metric]:
        state = rollup_health(session)
        ready = GaugeMetricFamily("aduan_rollup_ready", "1 when the statistics may read the daily rollup, 0 while "
                                  "it waits for its first build")
        ready.add_metric([], int(state.ready))
        pending = GaugeMetricFamily("aduan_rollup_pending_changes",
                                    "Complaint changes recorded by the triggers and not yet folded into the rollup")
        pending.add_metric([], state.pending)
        drifted = GaugeMetricFamily("aduan_rollup_drifted_days",
                                    "Days the last nightly reconcile found different from the complaints and rebuilt")
        drifted.add_metric([], state.drifted_days)
        total = CounterMetricFamily("aduan_rollup_rebuilt_days", "Days rebuilt by every reconcile so far")
        total.add_metric([], state.drifted_days_total)
        families = [ready, pending, drifted, total]
        if state.reconciled_at is not None:
            last = GaugeMetricFamily("aduan_rollup_reconciled_timestamp_seconds",
                                     "Unix time of the last reconcile of the daily rollup")
            last.add_metric([], state.reconciled_at.timestamp())
            families.append(last)
        return families


# Reads sent to the primary although a replica is configured (api/read_source.py). A module-level metric, so
# with PROMETHEUS_MULTIPROC_DIR set prometheus_client keeps it in the per-process files like the request counters.
READ_FALLBACKS = Counter("aduan_read_replica_fallbacks", "Read-only requests answered from the primary because "
                         "the read replica was too far behind or unreachable", labelnames=["reason"], registry=None)


def count_read_fallback(reason: str) -> None:
    READ_FALLBACKS.labels(reason=reason).inc()


class ReplicaCollector(Collector):
    """The read replica's lag as last measured by the scraped process (measured again when older than
    ADUAN_READ_REPLICA_CHECK_SECONDS); nothing when no replica is configured."""

    def collect(self) -> Iterator[Metric]:
        router = get_read_router()
        if router is None:
            return
        state = router.state()
        up = GaugeMetricFamily("aduan_read_replica_up", "1 when the read replica answered its last lag check")
        up.add_metric([], int(state.reachable))
        in_use = GaugeMetricFamily("aduan_read_replica_in_use",
                                   "1 when read-only requests go to the replica, 0 when they fall back to the primary")
        in_use.add_metric([], int(state.fresh_enough(router.max_lag_seconds)))
        yield up
        yield in_use
        if state.lag_seconds is not None:
            lag = GaugeMetricFamily("aduan_read_replica_lag_seconds",
                                    "Upper bound of how far the read replica's data is behind the primary")
            lag.add_metric([], state.lag_seconds)
            yield lag
        if state.behind_bytes is not None:
            behind = GaugeMetricFamily("aduan_read_replica_behind_bytes",
                                       "WAL bytes the primary had written that the replica had not replayed")
            behind.add_metric([], state.behind_bytes)
            yield behind


def _require_token(request: Request) -> None:
    expected = get_settings().metrics_token
    if expected is None:
        return
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not secrets.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise HTTPException(401, "token metrik tidak ada atau salah", headers={"WWW-Authenticate": "Bearer"})


def install_metrics(app: FastAPI) -> None:
    if not get_settings().metrics_enabled:
        return
    registry = CollectorRegistry()
    database = DatabaseCollector()
    registry.register(database)
    replica = ReplicaCollector()
    registry.register(replica)
    registry.register(READ_FALLBACKS)
    instrumentator = Instrumentator(registry=registry, excluded_handlers=["/metrics"],
                                    should_group_untemplated=True)
    instrumentator.instrument(app, metric_namespace="aduan")

    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(_require_token)])
    def metrics() -> Response:
        scraped = registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # every API process's files, and the database once
            scraped = CollectorRegistry()
            multiprocess.MultiProcessCollector(scraped)
            scraped.register(database)
            scraped.register(replica)  # READ_FALLBACKS is in the files already
        return Response(generate_latest(scraped), media_type=CONTENT_TYPE_LATEST)
