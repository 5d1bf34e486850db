"""core.intake.page_writer: a backfill's pages written one after the other, or on two lanes (PostgreSQL), end in
the same complaints, inbox and counts, with a payload repeated on the next page landed once and a report edited
between pages updated; a page that fails takes the page written beside it down with it, and the bookmark stays
at the last page committed."""

import copy
import uuid

import pytest
from sqlmodel import select

from connectors.emulators.lapor import LaporStore
from connectors.lapor import LaporConnector
from core.intake.bookmark import Bookmark, cursor_value
from core.intake.contract import Context, Page
from core.intake.ingest import Resolver
from core.intake.page_writer import PageWriter, Run, SyncSummary, lease
from core.intake.read_process import _shipped
from core.intake.sync import state_for
from models import ConnectorInstance, EventKind, SyncState
from tests.emulated import Complaint, ComplaintEvent, RawRecord, count
from tests.factories import seeded


@pytest.fixture(params=[1, 2], ids=["one-lane", "two-lanes"])
def lanes(request, engine):
    if request.param > 1 and engine.dialect.name != "postgresql":
        pytest.skip("two lanes write on two connections at once: PostgreSQL only")
    return request.param


def reports(n: int) -> list[dict]:
    store = LaporStore(seed=5, total=n)
    return [store.payload(r) for r in store.reports.values()]


def edited(payload: dict) -> dict:
    changed = copy.deepcopy(payload)
    changed["content"] += "\n\nTambahan: lubangnya makin lebar."
    changed["updated_at"] = "2026-12-01T09:00:00+07:00"
    return changed


class Fragile(LaporConnector):
    """Breaks on a report titled RUSAK the way a bug does (not a mapping error: the whole page stops)."""

    def normalise(self, payload):
        if payload["title"] == "RUSAK":
            raise RuntimeError("bug di konektor")
        return super().normalise(payload)


def highest(payloads) -> str:
    return max(cursor_value(p["updated_at"]) for p in payloads).isoformat()


def write(session, engine, settings, pages: list[list[dict]], lanes: int,
          kind: type[LaporConnector] = LaporConnector) -> tuple[SyncSummary, Exception | None]:
    seeded(session)
    instance = ConnectorInstance(name=f"lapor-{uuid.uuid4().hex[:6]}", kind="lapor",
                                 config={"base_url": "http://127.0.0.1:9", "token": "t"})
    session.add(instance)
    session.commit()
    state = state_for(session, instance)
    owner = uuid.uuid4().hex
    state.last_counts = lease(owner)
    session.add(state)
    session.commit()
    connector = kind(instance.config, Context())
    summary = SyncSummary(name=instance.name)
    writer = PageWriter(Run(connector, state.id, instance.id, owner, summary), session, Resolver(session, settings),
                        engine, settings, lanes=lanes)
    marks = Bookmark(connector, None)
    error = None
    try:
        for payloads in pages:
            page, prepared, high = _shipped(connector, Page([(p["tracking_id"], p) for p in payloads]))
            marks.see(page, high)
            writer.write(page, prepared, marks.settled(page))
        writer.drain()
    except Exception as exc:  # noqa: BLE001 - the test looks at it
        error = exc
    finally:
        writer.close()
    return summary, error


def test_pages_end_the_same_on_one_lane_or_two(session, engine, settings, lanes):
    rs = reports(90)
    pages = [rs[0:30], [*rs[30:60], rs[5], edited(rs[10])], [*rs[60:90], rs[35], edited(rs[40])]]
    summary, error = write(session, engine, settings, pages, lanes)
    assert error is None
    assert (summary.pages, summary.fetched, summary.new, summary.updated, summary.unchanged) == (3, 94, 90, 2, 2)
    assert count(session, Complaint) == 90
    assert count(session, RawRecord) == 92  # the repeats landed once, each edit as a new version
    for tracking_id in (rs[10]["tracking_id"], rs[40]["tracking_id"]):
        complaint = session.exec(select(Complaint).where(Complaint.external_id == tracking_id)).one()
        assert complaint.body.endswith("lubangnya makin lebar.")
        assert count(session, ComplaintEvent, ComplaintEvent.complaint_id == complaint.id,
                     ComplaintEvent.kind == EventKind.updated) == 1
    session.expire_all()
    state = session.exec(select(SyncState)).one()
    assert state.new_total == 90 and state.fetched_total == 94
    assert state.bookmark == {"marks": {"": highest(p for page in pages for p in page)}}


def test_a_failed_page_takes_the_next_down_and_the_bookmark_stays_before_it(session, engine, settings, lanes):
    rs = reports(90)
    broken = [dict(p) for p in rs[30:60]]
    broken[7]["title"] = "RUSAK"
    summary, error = write(session, engine, settings, [rs[0:30], broken, rs[60:90]], lanes, Fragile)
    assert isinstance(error, RuntimeError)
    assert (summary.pages, summary.new) == (1, 30)
    assert count(session, Complaint) == 30 and count(session, RawRecord) == 30  # nothing of pages 2 and 3
    session.expire_all()
    state = session.exec(select(SyncState)).one()
    assert state.new_total == 30
    assert state.bookmark == {"marks": {"": highest(rs[0:30])}}
