"""Reads from a PostgreSQL streaming replica (ADUAN_READ_DATABASE_URL), while it is fresh enough.

The read-only API routes (stats, rapor, export, the complaint list and detail, the public pages, trends) take
their session from `ReadRouter.choose()`: the replica while its lag is at most
ADUAN_READ_REPLICA_MAX_LAG_SECONDS, else the primary. Writes, log-in and everything that reads its own writes
always use the primary (`core.runtime.db.get_engine`).

Lag is measured, at most once per ADUAN_READ_REPLICA_CHECK_SECONDS per process, as an upper bound on how old
the replica's data may be:

- caught up (lag 0) when the replica has replayed all the WAL the primary had inserted just before the check
  (`pg_last_wal_replay_lsn() >= pg_current_wal_insert_lsn()` of the primary: the insert position, since with
  synchronous_commit=off a commit is visible before its WAL is written); when the primary's position cannot be
  read, when everything received has been replayed (`pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()`);
- when it reaches that position within CATCH_UP_WAIT_SECONDS, the time since the check began (a commit that
  landed just before the check does not make a streaming replica look behind);
- otherwise the smaller of `now() - pg_last_xact_replay_timestamp()` (the primary's commit time of the last
  transaction replayed) and the time since this process last saw the replica caught up. An idle primary
  therefore never looks "behind" because its last commit was long ago.

A replica that cannot be reached (or that is not in recovery and not the primary's copy at all) is treated as
unavailable until the next check; a connection that fails while a request opens it marks it so at once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from core.runtime.db import get_engine, make_engine
from core.runtime.settings import Settings, get_settings

log = logging.getLogger("aduan.replica")

REPLICA = "replica"
PRIMARY = "primary"
# Seconds a connection attempt to the replica may take before it counts as unreachable (unless the URL says).
CONNECT_TIMEOUT_SECONDS = 3

# How long a check waits for a replica that is just behind to replay what the primary had when the check began.
CATCH_UP_WAIT_SECONDS = 0.1
_REPLAYED_SQL = text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)")
_REPLICA_SQL = text("""
SELECT pg_is_in_recovery() AS in_recovery,
       pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AS replayed_all_received,
       CASE WHEN CAST(:primary_lsn AS text) IS NULL THEN NULL
            ELSE pg_wal_lsn_diff(CAST(:primary_lsn AS pg_lsn), pg_last_wal_replay_lsn()) END AS behind_bytes,
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) AS since_last_replay
""")


@dataclass(frozen=True)
class ReplicaState:
    """One measurement. `lag_seconds` is None when the replica could not be measured (unreachable)."""

    checked_at: float  # time.monotonic()
    reachable: bool
    lag_seconds: float | None
    behind_bytes: float | None = None
    error: str | None = None
    standby: bool = True  # False: the server is not in recovery (not a replica at all)

    def fresh_enough(self, max_lag: float) -> bool:
        return self.reachable and self.lag_seconds is not None and self.lag_seconds <= max_lag

    @property
    def reason(self) -> str:
        """Why reads would go to the primary: "unreachable" or "lag"."""
        return "unreachable" if not self.reachable or self.lag_seconds is None else "lag"


class ReadRouter:
    """Chooses the engine of a read-only request and keeps the last replica measurement (per process)."""

    def __init__(self, replica: Engine, max_lag_seconds: float, check_seconds: float, primary: Engine | None = None):
        self.replica = replica
        self.primary = primary  # None: the application's engine (core.runtime.db.get_engine)
        self.max_lag_seconds = max_lag_seconds
        self.check_seconds = check_seconds
        self._state: ReplicaState | None = None
        self._last_caught_up: float | None = None
        self._measuring = threading.Lock()
        self._was_fresh: bool | None = None

    # -- measuring --------------------------------------------------------------------------------

    def state(self, *, force: bool = False) -> ReplicaState:
        """The last measurement, measured again when older than the check interval. While one thread
        measures, the others keep using the previous measurement rather than wait for it."""
        current = self._state
        if not force and current is not None and time.monotonic() - current.checked_at < self.check_seconds:
            return current
        if not self._measuring.acquire(blocking=current is None or force):
            return current  # type: ignore[return-value]  # another thread is measuring
        try:
            current = self._state
            if force or current is None or time.monotonic() - current.checked_at >= self.check_seconds:
                self._set(self.measure())
            return self._state  # type: ignore[return-value]
        finally:
            self._measuring.release()

    def measure(self) -> ReplicaState:
        started = time.monotonic()
        primary_lsn = _primary_lsn(self.primary or get_engine())
        try:
            with self.replica.connect() as conn:
                row = conn.execute(_REPLICA_SQL, {"primary_lsn": primary_lsn}).mappings().one()
        except SQLAlchemyError as exc:
            return ReplicaState(time.monotonic(), reachable=False, lag_seconds=None,
                                error=exc.__class__.__name__)
        now = time.monotonic()
        if not row["in_recovery"]:
            # Not a standby (the primary itself, e.g. in development): nothing can be behind.
            return ReplicaState(now, reachable=True, lag_seconds=0.0, behind_bytes=0.0, standby=False)
        behind = None if row["behind_bytes"] is None else float(row["behind_bytes"])
        caught_up = behind <= 0 if behind is not None else bool(row["replayed_all_received"])
        if caught_up:
            self._last_caught_up = started
            return ReplicaState(now, reachable=True, lag_seconds=0.0, behind_bytes=max(behind or 0.0, 0.0))
        if primary_lsn is not None and self._replays_soon(primary_lsn):
            # Everything the primary had before `started` is there now: that bounds the staleness.
            self._last_caught_up = started
            now = time.monotonic()
            return ReplicaState(now, reachable=True, lag_seconds=now - started, behind_bytes=behind)
        bounds = []
        if row["since_last_replay"] is not None:
            bounds.append(max(float(row["since_last_replay"]), 0.0) + time.monotonic() - now)
        now = time.monotonic()
        if self._last_caught_up is not None:
            bounds.append(now - self._last_caught_up)
        return ReplicaState(now, reachable=True, lag_seconds=min(bounds) if bounds else math.inf,
                            behind_bytes=behind)

    def _replays_soon(self, lsn: str) -> bool:
        """Whether the replica replays up to `lsn` within CATCH_UP_WAIT_SECONDS: a write committed just before
        the check is no reason to call a streaming replica behind by the hours since the commit before it."""
        deadline = time.monotonic() + CATCH_UP_WAIT_SECONDS
        try:
            with self.replica.connect() as conn:
                while time.monotonic() < deadline:
                    if conn.execute(_REPLAYED_SQL, {"lsn": lsn}).scalar():
                        return True
                    time.sleep(0.005)
        except SQLAlchemyError:
            return False
        return False

    def mark_unreachable(self, error: str) -> None:
        """A request could not open a connection to the replica: primary until the next check."""
        self._set(ReplicaState(time.monotonic(), reachable=False, lag_seconds=None, error=error))

    def _set(self, state: ReplicaState) -> None:
        self._state = state
        fresh = state.fresh_enough(self.max_lag_seconds)
        if fresh != self._was_fresh:
            if fresh:
                log.info("read replica in use (lag %.3f s)", state.lag_seconds)
            elif state.reachable:
                log.warning("read replica %.1f s behind (> %s s): reads go to the primary",
                            state.lag_seconds, self.max_lag_seconds)
            else:
                log.warning("read replica unreachable (%s): reads go to the primary", state.error)
        self._was_fresh = fresh

    # -- choosing ---------------------------------------------------------------------------------

    def choose(self) -> tuple[Engine, str, str | None]:
        """(engine, "replica" | "primary", why the primary: "lag" | "unreachable" | None)."""
        state = self.state()
        if state.fresh_enough(self.max_lag_seconds):
            return self.replica, REPLICA, None
        return get_engine(), PRIMARY, state.reason

    def dispose(self) -> None:
        self.replica.dispose()


def _primary_lsn(primary: Engine) -> str | None:
    try:
        with primary.connect() as conn:
            return conn.execute(text("SELECT CAST(pg_current_wal_insert_lsn() AS text)")).scalar()
    except SQLAlchemyError:
        return None


def replica_engine(settings: Settings) -> Engine:
    url = make_url(settings.read_database_url)
    connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return make_engine(settings.read_database_url, pool_size=settings.db_pool_size,
                       max_overflow=settings.db_max_overflow, pool_timeout=settings.db_pool_timeout_seconds,
                       connect_args=connect_args)


_routers: dict[tuple[str, float, float], ReadRouter] = {}
_routers_lock = threading.Lock()


def get_read_router() -> ReadRouter | None:
    """This process's router for the configured replica; None when ADUAN_READ_DATABASE_URL is unset."""
    settings = get_settings()
    if not settings.read_database_url:
        return None
    key = (settings.read_database_url, settings.read_replica_max_lag_seconds, settings.read_replica_check_seconds)
    with _routers_lock:
        router = _routers.get(key)
        if router is None:
            router = _routers[key] = ReadRouter(replica_engine(settings), *key[1:])
        return router


def reset_read_routers() -> None:
    """Forget every router and close its connections (tests; a settings reload)."""
    with _routers_lock:
        for router in _routers.values():
            router.dispose()
        _routers.clear()
