"""core.intake.sync's page commit over a backfill's pages as the reader process hands them over (payloads as JSON
text): a payload repeated on the next page lands once, a report edited between pages is updated, a known report
on consecutive pages gets each reply once, and a page that fails leaves nothing behind while the bookmark stays
at the last page committed."""

import copy
import uuid

from sqlmodel import select

from connectors.emulators.lapor import LaporStore
from connectors.lapor import LaporConnector
from core.intake.bookmark import Bookmark, cursor_value
from core.intake.contract import Context, Page
from core.intake.ingest import Resolver
from core.intake.read_process import _shipped
from core.intake.sync import SyncSummary, _commit_page, _lease, state_for
from models import ConnectorInstance, EventKind, SyncState
from tests.emulated import Complaint, ComplaintEvent, RawRecord, count
from tests.factories import seeded


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


def write(session, settings, pages: list[list[dict]],
          kind: type[LaporConnector] = LaporConnector) -> tuple[SyncSummary, Exception | None]:
    """A run over `pages` as the runner commits them; the error that stopped it, if one did."""
    seeded(session)
    instance = ConnectorInstance(name=f"lapor-{uuid.uuid4().hex[:6]}", kind="lapor",
                                 config={"base_url": "http://127.0.0.1:9", "token": "t"})
    session.add(instance)
    session.commit()
    state = state_for(session, instance)
    owner = uuid.uuid4().hex
    state.last_counts = _lease(owner)
    session.add(state)
    session.commit()
    connector = kind(instance.config, Context())
    summary, resolver, marks = SyncSummary(name=instance.name), Resolver(session, settings), Bookmark(connector, None)
    for payloads in pages:
        page, prepared, high = _shipped(connector, Page([(p["tracking_id"], p) for p in payloads]))
        try:
            _commit_page(session, state.id, instance.id, connector, resolver, page, marks, summary, owner, prepared,
                         high)
        except Exception as exc:  # noqa: BLE001 - the runner stops here and rolls back; the test looks at it
            session.rollback()
            return summary, exc
    return summary, None


def test_repeats_land_once_and_edits_update(session, settings):
    rs = reports(90)
    pages = [rs[0:30], [*rs[30:60], rs[5], edited(rs[10])], [*rs[60:90], rs[35], edited(rs[40])]]
    summary, error = write(session, settings, pages)
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


def replied(payload: dict, n: int) -> dict:
    """The report with agency reply number `n` added (and updated accordingly)."""
    changed = copy.deepcopy(payload)
    at = f"2026-12-0{n}T10:00:00+07:00"
    changed["followups"].append({"id": f"{payload['tracking_id']}-balasan-{n}", "author_type": "instansi",
                                 "author": "Dinas PUPR", "content": f"Tindak lanjut ke-{n}.", "created_at": at})
    changed["updated_at"] = at
    return changed


def test_a_known_report_on_consecutive_pages_gets_each_reply_once(session, settings):
    rs = reports(90)
    assert write(session, settings, [rs[0:30]])[1] is None  # an earlier run: these exist already
    first, second = replied(rs[3], 1), replied(replied(rs[3], 1), 2)
    summary, error = write(session, settings, [[*rs[30:60], first], [*rs[60:90], second]])
    assert error is None and (summary.new, summary.updated) == (60, 2)
    complaint = session.exec(select(Complaint).where(Complaint.external_id == rs[3]["tracking_id"])).one()
    replies = session.exec(select(ComplaintEvent.external_id).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.external_id.like("%balasan%"))).all()
    assert sorted(replies) == [f"lapor:{rs[3]['tracking_id']}-balasan-{n}" for n in (1, 2)]


def test_a_failed_page_leaves_nothing_and_the_bookmark_stays_before_it(session, settings):
    rs = reports(90)
    broken = [dict(p) for p in rs[30:60]]
    broken[7]["title"] = "RUSAK"
    summary, error = write(session, settings, [rs[0:30], broken, rs[60:90]], Fragile)
    assert isinstance(error, RuntimeError)
    assert (summary.pages, summary.new) == (1, 30)
    assert count(session, Complaint) == 30 and count(session, RawRecord) == 30  # nothing of page 2
    session.expire_all()
    state = session.exec(select(SyncState)).one()
    assert state.new_total == 30
    assert state.bookmark == {"marks": {"": highest(rs[0:30])}}
