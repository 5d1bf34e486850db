"""LAPOR! payloads (a recorded page of the wire format) → complaints, and config validation."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from connectors.emulators.lapor import PATHS
from connectors.lapor import LaporConnector
from core.entry.cli import app
from core.intake.ingest import NormaliseError
from core.intake.instances import InstanceError, validate_config
from core.intake.sync import sync_instance
from models import Classification, Complaint, ComplaintEvent, EventKind, RawRecord, RawState, Status
from tests.emulated import Faults, add_lapor, count, lapor_upstream
from tests.factories import seeded

PAGE = json.loads((Path(__file__).parent / "fixtures" / "lapor_page.json").read_text())
REPORTS = {r["tracking_id"]: r for r in PAGE["data"]}
CONFIG = {"base_url": "http://127.0.0.1:9", "token": "t"}


def test_a_finished_report_maps_status_category_agency_and_thread():
    draft = LaporConnector(CONFIG).normalise(REPORTS["14200002"])
    assert (draft.external_id, draft.status, draft.classification) == ("14200002", Status.resolved,
                                                                       Classification.pengaduan)
    assert draft.category_code == "KESEHATAN-BPJS"  # "Kesehatan > Jaminan Kesehatan"
    assert draft.opd_code == "DINKES"  # disposed to "Dinas Kesehatan Kabupaten Blitar"
    assert (draft.kecamatan, draft.desa) == ("Wonodadi", REPORTS["14200002"]["location"]["village"])
    assert draft.received_at == datetime(2026, 6, 28, 1, 39, 59, tzinfo=UTC)  # 08:39:59 WIB
    assert draft.verified_at and draft.dispatched_at and draft.resolved_at
    reply, reporter, closing = draft.events
    assert (reply.kind, reply.is_opd_response, reply.actor) == (EventKind.message_out, True,
                                                                "Dinas Kesehatan Kabupaten Blitar")
    assert (reporter.kind, reporter.is_opd_response) == (EventKind.message_in, False)
    assert closing.is_opd_response and closing.at > reply.at


def test_other_statuses_and_flags():
    connector = LaporConnector(CONFIG)
    fresh = connector.normalise(REPORTS["14200391"])
    assert (fresh.status, fresh.anonim, fresh.opd_code, fresh.category_code) == (
        Status.unverified, True, None, "NAKER")
    assert connector.normalise(REPORTS["14200027"]).status == Status.rejected
    postponed = connector.normalise(REPORTS["14200095"])
    assert (postponed.status, postponed.opd_code, postponed.resolved_at) == (Status.postponed, "DINSOS", None)


def test_mappings_are_overridable_in_config():
    report = REPORTS["14200016"]  # "Topik Khusus > Lainnya": not in the default map
    assert LaporConnector(CONFIG).normalise(report).category_code == "LAINNYA"
    strict = LaporConnector({**CONFIG, "fallback_category": None})
    with pytest.raises(NormaliseError, match="Topik Khusus > Lainnya"):
        strict.normalise(report)
    mapped = LaporConnector({**CONFIG, "category_map": {"Topik Khusus > Lainnya": "DESA"},
                             "status_map": {"Selesai": "in_progress"},
                             "agency_map": {"Dinas Komunikasi dan Informatika": "SETDA"}})
    draft = mapped.normalise(report)
    assert (draft.category_code, draft.status, draft.opd_code) == ("DESA", Status.in_progress, "SETDA")


def test_unknown_status_names_the_setting_to_fix():
    with pytest.raises(NormaliseError, match="Dihapus.*status_map"):
        LaporConnector(CONFIG).normalise({**REPORTS["14200002"], "status": "Dihapus"})


def test_config_errors_name_the_field():
    with pytest.raises(InstanceError, match="token: wajib diisi"):
        validate_config("lapor", {"base_url": "http://x"})
    with pytest.raises(InstanceError, match="page_size: .*500"):
        validate_config("lapor", {**CONFIG, "page_size": 1000})
    with pytest.raises(InstanceError, match="tokn: tidak dikenal"):
        validate_config("lapor", {**CONFIG, "tokn": "x"})
    with pytest.raises(InstanceError, match="status_map.Selesai"):
        validate_config("lapor", {**CONFIG, "status_map": {"Selesai": "beres"}})
    with pytest.raises(InstanceError, match="start_from: .*zona waktu"):
        validate_config("lapor", {**CONFIG, "start_from": "2026-01-01T00:00:00"})


def test_unmapped_payloads_wait_in_the_inbox_until_replayed(session, engine):
    seeded(session)
    with lapor_upstream(total=300, seed=5) as (app_, url):
        add_lapor(session, url, fallback_category=None)
        summary = sync_instance("lapor1", engine=engine)
    assert summary.status == "ok" and summary.failed > 0  # the run went on past them
    assert summary.new + summary.failed == 300
    failed = session.exec(select(RawRecord).where(RawRecord.state == RawState.failed)).all()
    assert all("Topik Khusus > Lainnya" in r.error for r in failed)

    add_lapor(session, url, fallback_category=None, category_map={"Topik Khusus > Lainnya": "LAINNYA"}, replace=True)
    result = CliRunner().invoke(app, ["inbox", "replay", "--channel", "lapor"])
    assert result.exit_code == 0, result.output
    assert f"{summary.failed} new" in result.output
    assert count(session, Complaint) == 300
    assert count(session, RawRecord, RawRecord.state == RawState.failed) == 0


def test_the_emulator_honours_updated_since_and_the_token(session, engine):
    seeded(session)
    with lapor_upstream(total=50) as (app_, url):
        add_lapor(session, url)
        assert sync_instance("lapor1", engine=engine).new == 50
        store = app_.state.store
        still_open = [r.tracking_id for r in store.reports.values() if len(r.stage_at) < len(PATHS[r.path])]
        store.add(3)
        store.edit(kind="progress", ids=still_open[:2])  # two of the synced ones move on
        second = sync_instance("lapor1", engine=engine)
    assert (second.new, second.updated) == (3, 2)
    assert second.fetched <= 3 + 2 + 2  # only what changed since the bookmark (plus its boundary)
    assert count(session, Complaint) == 53
    resolved = session.exec(select(Complaint).where(Complaint.status == Status.resolved)).all()
    assert resolved and all(c.received_at < c.first_response_at <= c.resolved_at for c in resolved)
    answered = resolved[0]
    payload = app_.state.store.payload(app_.state.store.reports[answered.external_id])
    history = session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == answered.id)).all()
    assert [e.kind for e in history].count(EventKind.created) == 1
    assert sorted(e.external_id for e in history if e.external_id) == sorted(
        f"lapor:{f['id']}" for f in payload["followups"])


def test_records_edited_upstream_between_syncs_are_updated_not_duplicated(session, engine):
    seeded(session)
    with lapor_upstream(total=60, faults=Faults(edits_per_sync=2)) as (_app, url):
        add_lapor(session, url)
        first = sync_instance("lapor1", engine=engine)
        second = sync_instance("lapor1", engine=engine)
    assert (first.new, second.new, second.updated) == (60, 0, 2)
    assert count(session, Complaint) == 60
    assert count(session, RawRecord) == 62  # both versions of the edited reports stay in the inbox


def test_send_posts_follow_ups_and_status_changes_the_emulator_takes():
    import httpx

    from connectors.base import FatalError, RefusedError, RetriableError, UpstreamAction
    from connectors.emulators.lapor import create_app
    from connectors.emulators.runner import serve

    app_ = create_app(seed=11, total=60)
    store = app_.state.store
    pick = lambda status: next(r for r in sorted(store.reports.values(), key=lambda r: r.tracking_id)  # noqa: E731
                               if r.status == status)
    fresh, disposed = pick("Belum Terverifikasi"), pick("Didisposisikan")
    with serve(app_) as url, httpx.Client() as client:
        connector = LaporConnector({"base_url": url, "token": "rahasia-lapor"})
        before = store.payload(disposed)["updated_at"]
        ack = connector.send(client, UpstreamAction(disposed.tracking_id, "respond", note="Sedang dikerjakan"))
        payload = store.payload(disposed)
        posted = next(f for f in payload["followups"] if f["content"] == "Sedang dikerjakan")
        assert ack.event_external_id == f"lapor:{posted['id']}"
        assert payload["status"] == "Proses" and payload["updated_at"] > before
        # The pull recognises it: the draft's event carries the same id.
        assert ack.event_external_id in {e.external_id for e in connector.normalise(payload).events}

        connector.send(client, UpstreamAction(fresh.tracking_id, "dispatch", opd_name="Dinas Kesehatan"))
        draft = connector.normalise(store.payload(fresh))
        assert (draft.status, draft.opd_code) == (Status.dispatched, "DINKES")
        ack = connector.send(client, UpstreamAction(fresh.tracking_id, "resolve", note="Selesai ditangani"))
        assert ack.event_external_id and connector.normalise(store.payload(fresh)).status == Status.resolved

        with pytest.raises(RefusedError, match="Selesai"):  # already closed there
            connector.send(client, UpstreamAction(fresh.tracking_id, "postpone", note="Tunda"))
        with pytest.raises(RefusedError, match="laporan tidak ditemukan"):
            connector.send(client, UpstreamAction("99999999", "verify"))
        with pytest.raises(FatalError, match="kredensial"):
            LaporConnector({"base_url": url, "token": "salah"}).send(client, UpstreamAction(fresh.tracking_id,
                                                                                           "verify"))
        app_.state.faults.error_rate = 1.0
        with pytest.raises(RetriableError):
            connector.send(client, UpstreamAction(disposed.tracking_id, "respond", note="lagi"))


def test_the_lapor_source_is_kept():
    connector = LaporConnector(CONFIG)
    report = REPORTS["14200002"]
    assert connector.normalise(report).source_channel is None  # the recorded page does not say
    assert connector.normalise({**report, "source": "SMS 1708"}).source_channel == "sms"
    assert connector.normalise({**report, "source": "Twitter"}).source_channel == "media_sosial"
    assert connector.normalise({**report, "source": "web"}).source_channel == "web"


def test_a_page_translated_ahead_lands_normalised_and_a_refused_report_still_ends_failed(session, settings):
    """The sync translates a page before writing it, and a report that becomes a complaint lands already
    normalised (no second write of its inbox row). One the database then refuses (here: a category code the
    kabupaten does not have) must still end failed, with the reason, and its attempt counted once."""
    from core.intake import pipeline
    from core.intake.ingest import Resolver

    seeded(session)
    connector = LaporConnector({**CONFIG, "category_map": {"Kesehatan > Jaminan Kesehatan": "TIDAK-ADA"}})
    items = [(report["tracking_id"], report) for report in PAGE["data"]]
    refused = {tid for tid, report in items if connector.normalise(report).category_code == "TIDAK-ADA"}
    assert refused and len(refused) < len(items)
    batch = pipeline.ingest(session, connector, items, Resolver(session, settings),
                            prepared=pipeline.prepare(connector, items))
    session.commit()
    rows = {r.external_id: r for r in session.exec(select(RawRecord)).all()}
    assert batch.counts["failed"] == len(refused) and batch.counts["new"] == len(items) - len(refused)
    for tid, row in rows.items():
        assert row.attempts == 1 and row.normalised_at is not None
        assert (row.state, "TIDAK-ADA" in (row.error or "")) == (
            (RawState.failed, True) if tid in refused else (RawState.normalised, False)), tid
