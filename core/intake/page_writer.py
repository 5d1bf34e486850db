"""A pull's pages written in order, each in one transaction with its bookmark (core.intake.sync reads them).

One after the other, a page's statements wait for PostgreSQL and PostgreSQL waits for the next page's rows: at
1 M reports the writer's CPU and the server's took turns for the whole run. A backfill on PostgreSQL therefore
writes on two lanes (core.intake.lanes), each with its own connection: page N+1 lands and is staged while page
N upserts its complaints, writes their history and commits. What keeps that exactly-once and deadlock-free:

- page N+1's inbox look-up also takes page N's landed payloads from memory (they are not committed yet), so a
  payload on both pages lands once;
- page N+1 starts its complaint upsert only after page N's has ended, so a lock page N+1 waits for (a rollup
  row, a report on both pages) is held by a transaction that never waits for page N+1. A report on both pages
  meets page N's uncommitted key, waits for its commit, and takes the batch's one-at-a-time path;
- the bookmark moves in page order, and page N+1 updates the sync state and commits only once page N has
  committed; if page N failed, page N+1 rolls back and the run stops at the last committed page.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.intake import pipeline
from core.intake.contract import Connector, FatalError, Page
from core.intake.inbox import Landed
from core.intake.ingest import Resolver
from core.intake.lanes import Baton, Lanes
from core.runtime.settings import Settings
from models import RawState, SyncState
from models.types import utcnow

COUNTS = ("fetched", "new", "updated", "unchanged", "failed", "skipped")


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


def lease(owner: str) -> dict:
    return {"owner": owner, "host": socket.gethostname(), "pid": os.getpid(), "heartbeat": utcnow().isoformat()}


@dataclass
class Run:
    """What every page of one run is written with."""

    connector: Connector
    state_id: int
    instance_id: int
    owner: str
    summary: SyncSummary


Lane = tuple[Session, Resolver]
Keys = dict[tuple[str, str], tuple[int, RawState]]


class PageWriter:
    """`write` a page (with the bookmark it settles, or None) and get back how many pages finished since; `drain`
    at the end. With `lanes` > 1 (PostgreSQL only) pages are written on that many connections, as above."""

    def __init__(self, run: Run, session: Session, resolver: Resolver, engine: Engine, settings: Settings,
                 lanes: int = 1):
        self.run = run
        self.lanes: Lanes[Lane, None] | None = None
        self.lane: Lane = (session, resolver)
        if lanes > 1:
            sessions = [Session(engine, expire_on_commit=False) for _ in range(lanes)]
            self.lanes = Lanes([(s, Resolver(s, settings)) for s in sessions], ("landed", "applied", "committed"))

    def write(self, page: Page, prepared: pipeline.Prepared | None, moved: dict[str, Any] | None) -> int:
        if self.lanes is None:
            _commit(self.run, self.lane, page, prepared, moved, None)
            return 1
        return len(self.lanes.submit(lambda lane, baton: _commit(self.run, lane, page, prepared, moved, baton)))

    def drain(self) -> int:
        return len(self.lanes.drain()) if self.lanes is not None else 0

    def close(self) -> None:
        if self.lanes is not None:
            self.lanes.close()  # after the jobs in flight have ended (committed, or rolled back)
            for session, _resolver in self.lanes.resources:
                session.close()


def _commit(run: Run, lane: Lane, page: Page, prepared: pipeline.Prepared | None, moved: dict[str, Any] | None,
            baton: Baton | None) -> None:
    session = lane[0]
    try:
        counts = _write(run, lane, page, prepared, baton)
        if baton is not None:
            baton.wait_previous("committed")  # marked when that job ends
        _settle(run, session, page, counts, moved)
    except BaseException:
        session.rollback()
        session.expunge_all()
        raise


def _write(run: Run, lane: Lane, page: Page, prepared: pipeline.Prepared | None, baton: Baton | None) -> dict:
    session, resolver = lane
    also_known: Mapping | None = None
    after_land = None
    if baton is not None:
        also_known = baton.wait_previous("landed")

        def after_land(landed: list[Landed]) -> None:
            baton.mark("landed", _keys(landed, prepared))
            settled = baton.wait_previous("applied") or {}
            for record, key in zip(landed, _digests(landed, prepared), strict=True):
                if not record.is_new and key in settled:  # landed by the page before: in the state it ended in
                    record.state = settled[key][1]

    batch = pipeline.ingest(session, run.connector, page.records, resolver, instance_id=run.instance_id,
                            prepared=prepared, also_known=also_known, after_land=after_land)
    if baton is not None:
        baton.mark("applied", {key: (record.id, verdict.state if verdict.applied else record.state)
                               for record, verdict, key in zip(batch.landed, batch.verdicts,
                                                                _digests(batch.landed, prepared), strict=True)})
    counts = dict.fromkeys(COUNTS, 0)
    counts.update({k: v for k, v in batch.counts.items() if k in counts})
    counts["fetched"] = len(page.records)
    return counts


def _digests(landed: list[Landed], prepared: pipeline.Prepared | None) -> list[tuple[str, str]]:
    """Each landed record's inbox key, `(external id, payload hash)`."""
    hashed = prepared.hashed if prepared is not None else []
    return [(record.external_id, digest) for record, (_id, _payload, digest, _blob) in zip(landed, hashed, strict=True)]


def _keys(landed: list[Landed], prepared: pipeline.Prepared | None) -> Keys:
    """The page's inbox records as the next page's look-up would find them once this page commits."""
    return {key: (record.id, record.state) for record, key in zip(landed, _digests(landed, prepared), strict=True)}


def _settle(run: Run, session: Session, page: Page, counts: dict, moved: dict[str, Any] | None) -> None:
    state = session.get(SyncState, run.state_id)
    if (state.last_counts or {}).get("owner") != run.owner:
        raise FatalError("sinkronisasi ini dianggap mati dan diambil alih proses lain; dihentikan")
    if moved is not None:
        state.bookmark = moved
    state.fetched_total += counts["fetched"]
    state.new_total += counts["new"]
    state.updated_total += counts["updated"]
    state.failed_total += counts["failed"]
    summary = run.summary
    for name, n in counts.items():
        setattr(summary, name, getattr(summary, name) + n)
    summary.pages += 1
    if page.expected is not None:
        summary.expected = page.expected
    state.last_counts = {**lease(run.owner), **{k: getattr(summary, k) for k in (*COUNTS, "pages")}}
    session.add(state)
    if session.get_bind().dialect.name == "postgresql":
        # The page and its bookmark commit together, so a crash can lose only the last pages with their
        # bookmark, and the next run reads them again from the upstream: no need to wait for the disk. The
        # run's last write (sync's `_finish`) waits, and makes every page before it durable too.
        session.connection().exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    session.commit()
    session.expunge_all()  # keep memory flat over long runs


__all__ = ["COUNTS", "PageWriter", "Run", "SyncSummary", "lease"]
