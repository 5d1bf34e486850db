"""The daily rollup stays equal to the raw rows through any sequence of writes, and the statistics read from it
equal those read from the raw table; the nightly reconcile finds and rebuilds a day that drifted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, union_all, update
from sqlmodel import Session

from core.identity.access import Access
from core.reporting import rollup
from core.reporting.filters import ComplaintFilter
from core.reporting.rapor import build_rapor
from core.reporting.stats import Stats
from core.runtime.settings import get_settings
from models import Category, Complaint, ComplaintRollup, Opd, Role, RollupState, Status
from tests.factories import seeded

TZ = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 27, 5, tzinfo=UTC)  # Friday 12:00 WIB
ADMIN = Access(Role.admin)

# Moments on the hour around NOW: local midnights, today before and after NOW, weeks and a month back.
moments = st.integers(-35 * 24, 2 * 24).map(lambda h: NOW + timedelta(hours=h))
maybe_moment = st.none() | moments
FIELDS = {
    "channel": st.sampled_from(["lapor", "whatsapp", "google_reviews"]),
    "opd": st.sampled_from([None, "DPUPR", "DINKES"]),
    "category": st.sampled_from([None, "INFRA-DRAINASE", "INFRA-JALAN", "ADMINDUK-KTP"]),
    "kecamatan": st.sampled_from([None, "Wlingi", "Kanigoro"]),
    "status": st.sampled_from(list(Status)),
    "received_at": moments,
    "response_due_at": maybe_moment, "resolution_due_at": maybe_moment, "first_response_at": maybe_moment,
    "paused_at": st.none() | st.none() | moments, "reopened_at": st.none() | st.none() | moments,
    "reopen_answered_at": maybe_moment, "resolved_at": maybe_moment,
    "followup_working_days": st.none() | st.integers(0, 9),
    "resolution_working_days": st.none() | st.integers(0, 12),
    "reopened_count": st.integers(0, 2),
    "rating": st.none() | st.integers(1, 5),
}
whole = st.fixed_dictionaries(FIELDS)
partial = st.fixed_dictionaries({}, optional=FIELDS).filter(bool)
pick = st.integers(0, 1_000)
operations = st.one_of(
    st.tuples(st.just("add"), whole),
    st.tuples(st.just("add"), st.lists(whole, min_size=2, max_size=4)),  # one INSERT of several rows (a page)
    st.tuples(st.just("change"), pick, partial),
    st.tuples(st.just("merge"), pick, pick),
    st.tuples(st.just("unmerge"), pick),
    st.tuples(st.just("delete"), pick),
    st.just(("fold",)),
    st.just(("reconcile",)),
)


class World:
    def __init__(self, session: Session, engine):
        self.session, self.engine, self.made = session, engine, 0
        self.opd = {code: oid for oid, code in session.execute(select(Opd.id, Opd.code))}
        self.category = {code: cid for cid, code in session.execute(select(Category.id, Category.code))}

    def clear(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(Complaint).values(parent_id=None))
            for table in ("complaint", "complaint_rollup", "complaint_rollup_delta", "rollup_state"):
                conn.execute(text(f"DELETE FROM {table}"))
        self.session.expire_all()

    def ids(self) -> list[int]:
        return list(self.session.execute(select(Complaint.id).order_by(Complaint.id)).scalars())

    def _set(self, complaint: Complaint, fields: dict) -> None:
        for name, value in fields.items():
            if name == "opd":
                complaint.opd_id = self.opd[value] if value else None
            elif name == "category":
                complaint.category_id = self.category[value] if value else None
            else:
                setattr(complaint, name, value)

    def apply(self, op: tuple) -> None:
        kind, ids = op[0], self.ids()
        if kind == "add":
            for fields in op[1] if isinstance(op[1], list) else [op[1]]:
                self.made += 1
                complaint = Complaint(title="Aduan", body="", channel="lapor", external_id=f"h{self.made}",
                                      tracking_code=f"H-{self.made:06d}", received_at=NOW)
                self._set(complaint, fields)
                self.session.add(complaint)
        elif kind == "fold":
            rollup.fold_pending(self.engine)
        elif kind == "reconcile":
            assert rollup.reconcile(self.engine, TZ).drifted_days == 0
        elif ids:
            target = self.session.get(Complaint, ids[op[1] % len(ids)])
            if kind == "change":
                self._set(target, op[2])
            elif kind == "merge":
                parent = ids[op[2] % len(ids)]
                childless = target.id not in set(self.session.execute(select(Complaint.parent_id)).scalars())
                if parent != target.id and childless:
                    target.parent_id = parent
            elif kind == "unmerge":
                target.parent_id = None
            elif kind == "delete":
                for child in self.session.execute(select(Complaint).where(Complaint.parent_id == target.id)).scalars():
                    child.parent_id = None
                self.session.flush()
                self.session.delete(target)
        self.session.commit()


def rows(session: Session, source) -> set[tuple]:
    """Rollup-shaped rows with a count, days as ISO text (SQLite gives text, PostgreSQL dates)."""
    return {tuple(str(v) if isinstance(v, date) else v for v in row)
            for row in session.execute(rollup.grouped(source)).all() if any(row[-len(rollup.MEASURES):])}


def assert_rollup_equals_raw(session: Session) -> None:
    kept = select(*(ComplaintRollup.__table__.c[k] for k in rollup.KEYS + rollup.MEASURES))
    assert rows(session, union_all(kept, *rollup.expand_parts(rollup.Delta))) == rows(
        session, rollup.expand(rollup.raw_contributions(TZ).subquery()))


QUESTIONS = [
    (ADMIN, {}), (ADMIN, {"opd": ["DPUPR"]}), (ADMIN, {"channel": ["lapor", "whatsapp"]}),
    (ADMIN, {"channel": ["whatsapp"]}), (ADMIN, {"kecamatan": ["Wlingi"]}), (ADMIN, {"category": ["INFRA"]}),
    (ADMIN, {"received_from": "2026-11-09", "received_to": "2026-11-26"}),
    (ADMIN, {"status": ["dispatched", "in_progress", "resolved"]}), ("opd_admin", {}),
]


def figures(session: Session, world: World, access, filters: dict, use_rollup: bool) -> dict:
    if access == "opd_admin":
        access = Access(Role.opd_admin, opd_id=world.opd["DPUPR"])
    s = Stats(session, ComplaintFilter(**filters).resolve(session, TZ), access, TZ, now=NOW, use_rollup=use_rollup)
    summary = s.summary()
    summary.pop("generated_at")
    return {"summary": summary, "ratings": s.ratings(), "times": s.response_times(3), "channel": s.by_channel(),
            "opd": s.by_opd(), "category": s.by_category(), "leaf": s.by_category("leaf"),
            "kecamatan": s.by_kecamatan(), "month": s.by_received_month(),
            **{bucket: s.timeseries(bucket) for bucket in ("day", "week", "month")}}


@pytest.fixture
def world(session, engine):
    seeded(session)
    return World(session, engine)


@settings(max_examples=25, deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operations, min_size=1, max_size=14))
def test_rollup_equals_the_raw_aggregate_after_every_write(world, session, ops):
    world.clear()
    for op in ops:
        world.apply(op)
        assert_rollup_equals_raw(session)
    for access, filters in QUESTIONS:
        assert figures(session, world, access, filters, True) == figures(session, world, access, filters, False), (
            access, filters)
    for access in (ADMIN, Access(Role.opd_admin, opd_id=world.opd["DPUPR"])):
        assert rapor_of(session, access, True) == rapor_of(session, access, False), access


def rapor_of(session: Session, access: Access, use_rollup: bool) -> dict:
    rapor = build_rapor(session, get_settings(), date(2026, 10, 20), date(2026, 11, 29), scope=access.scope(),
                        scope_opd_id=access.opd_id, access=access if use_rollup else None)
    rapor.pop("generated_at")
    return rapor


def test_the_wall_questions_read_the_rollup_and_the_rest_the_raw_table(world, session):
    def plan(access=ADMIN, group=None, **filters):
        s = Stats(session, ComplaintFilter(**filters).resolve(session, TZ), access, TZ, now=NOW)
        return s._plan(group)

    assert plan().dimension == "all"
    assert plan(received_from="2026-11-01", received_to="2026-11-30", group="channel").dimension == "channel"
    assert plan(opd=["DPUPR"]).keys == [str(world.opd["DPUPR"])]
    assert plan(Access(Role.opd_admin, opd_id=world.opd["DINKES"]), group="opd").keys == [str(world.opd["DINKES"])]
    for unanswerable in (dict(q="jalan"), dict(desa=["Kemloko"]), dict(received_from="2026-11-01T08:00"),
                         dict(opd=["DPUPR"], channel=["lapor"]), dict(opd=["DPUPR"], group="channel"),
                         dict(access=Access(Role.petugas, ref="p")), dict(overdue=True), dict(rating_max=2)):
        assert plan(**unanswerable) is None, unanswerable


def test_reconcile_rebuilds_a_day_that_drifted_and_says_so(world, session, engine):
    for op in [("add", {**{k: None for k in FIELDS}, "channel": "lapor", "status": Status.dispatched,
                        "received_at": NOW - timedelta(days=3), "opd": "DPUPR"})] * 3:
        world.apply(op)
    assert rollup.reconcile(engine, TZ).drifted_days == 0
    with engine.begin() as conn:  # a row goes wrong behind the triggers' back
        conn.execute(update(ComplaintRollup).where(ComplaintRollup.dimension == "opd").values(n=7))
    result = rollup.reconcile(engine, TZ)
    assert result.drifted_days == 1 and not result.rebuilt
    assert_rollup_equals_raw(session)
    state = session.get(RollupState, 1)
    session.refresh(state)
    assert (state.drifted_days, state.drifted_days_total, state.ready) == (1, 1, True)


def test_a_database_with_complaints_before_the_rollup_reads_raw_until_its_first_build(world, session, engine):
    world.apply(("add", {**{k: None for k in FIELDS}, "channel": "lapor", "status": Status.resolved,
                         "received_at": NOW - timedelta(days=1)}))
    with engine.begin() as conn:  # as migration 0116 leaves a database that held complaints
        conn.execute(text("DELETE FROM complaint_rollup_delta"))
        conn.execute(text("INSERT INTO rollup_state (id, utc_offset_minutes, ready, drifted_days, drifted_days_total)"
                          " VALUES (1, 420, false, 0, 0)"))
    filt = ComplaintFilter().resolve(session, TZ)
    assert Stats(session, filt, ADMIN, TZ, now=NOW)._plan() is None
    assert Stats(session, filt, ADMIN, TZ, now=NOW).summary()["total"] == 1
    assert rollup.reconcile(engine, TZ).rebuilt
    assert Stats(session, filt, ADMIN, TZ, now=NOW)._plan() is not None
    assert_rollup_equals_raw(session)


def test_another_zone_is_read_raw_until_the_rollup_is_rebuilt_in_it(world, session, engine):
    makassar = ZoneInfo("Asia/Makassar")
    world.apply(("add", {**{k: None for k in FIELDS}, "channel": "lapor", "status": Status.unverified,
                         "received_at": datetime(2026, 11, 26, 16, 30, tzinfo=UTC)}))  # 23:30 WIB, 00:30 WITA
    filt = ComplaintFilter().resolve(session, makassar)
    assert Stats(session, filt, ADMIN, makassar, now=NOW)._plan() is None
    assert rollup.reconcile(engine, makassar).rebuilt
    assert Stats(session, filt, ADMIN, makassar, now=NOW)._plan() is not None
    assert Stats(session, filt, ADMIN, makassar, now=NOW).timeseries()[0]["period"] == "2026-11-27"
    world.apply(("change", 0, {"received_at": datetime(2026, 11, 26, 15, 30, tzinfo=UTC)}))  # 23:30 WITA
    assert Stats(session, filt, ADMIN, makassar, now=NOW).timeseries()[0]["period"] == "2026-11-26"


def test_the_worker_folds_every_minute_and_reconciles_once_a_night(world, session, engine):
    from core.entry.worker import fold_rollup

    world.apply(("add", {**{k: None for k in FIELDS}, "channel": "lapor", "status": Status.unverified,
                         "received_at": NOW - timedelta(days=1)}))
    assert fold_rollup(engine) == "1 rollup changes folded" and fold_rollup(engine) is None
    nightly = rollup.NightlyReconcile(engine, TZ, hour=3)
    night = datetime(2026, 11, 28, 2, tzinfo=TZ)
    assert nightly(night) is None  # built already (a fresh database), and not yet three o'clock
    assert nightly(night.replace(hour=3, minute=5)) == "rollup checked: 5 rows, 0 days rebuilt"
    assert nightly(night.replace(hour=23)) is None  # once a night
    with engine.begin() as conn:
        conn.execute(update(RollupState).where(RollupState.id == 1).values(ready=False))
    assert nightly(night.replace(hour=23)).startswith("rollup built")  # not built: at once, whatever the hour
