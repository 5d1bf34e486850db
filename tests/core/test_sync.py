"""The pull runner against the emulators: nothing lost, nothing duplicated, failures recorded."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from connectors.base import Skip
from connectors.google_reviews import GoogleReviewsConnector
from core.intake.sync import due_instances, sync_instance
from core.runtime.settings import get_settings
from models import ConnectorInstance, EventKind, RawState, SyncState
from models.types import utcnow
from tests.emulated import (
    BAD_DAY,
    Complaint,
    ComplaintEvent,
    Faults,
    RawRecord,
    add_google,
    add_lapor,
    complaints_by_channel,
    count,
    google_upstream,
    lapor_upstream,
)
from tests.factories import seeded

AD = str(Path(sys.executable).with_name("aduan"))


def state_of(session, name):
    session.expire_all()
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).one()
    return session.exec(select(SyncState).where(SyncState.connector_instance_id == instance.id)).one()


def expected_review_complaints(app, config) -> int:
    connector = GoogleReviewsConnector(config)
    store = app.state.store
    return sum(not isinstance(connector.normalise(store.payload(r)), Skip) for r in store.reviews.values())


@pytest.fixture(params=["never", "always"], ids=["reader-thread", "reader-process"])
def reader(request, monkeypatch, settings):
    """Pages read on a thread of the sync's process, or in a child process (what a backfill does)."""
    monkeypatch.setenv("ADUAN_SYNC_READER_PROCESS", request.param)
    get_settings.cache_clear()
    return request.param


def processes_marked(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f"ADUAN_TEST_MARKER={marker}".encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_bad_day_upstreams_end_with_every_record_exactly_once(session, engine, reader):
    seeded(session)
    lapor_faults = Faults(seed=3, **BAD_DAY)
    google_faults = Faults(seed=4, **BAD_DAY)
    with lapor_upstream(total=2000, faults=lapor_faults) as (lapor_app, lapor_url), \
            google_upstream(total=500, faults=google_faults) as (google_app, google_url):
        add_lapor(session, lapor_url)
        google = add_google(session, google_url)

        first_lapor = sync_instance("lapor1", engine=engine)
        first_google = sync_instance("gmaps", engine=engine)
        assert first_lapor.status == "ok", first_lapor.error
        assert first_google.status == "ok", first_google.error
        assert first_lapor.retries > 0 and first_google.retries > 0  # the faults did happen
        for faults in (lapor_faults, google_faults):
            assert (faults.rate_limit_next, faults.slow_next, faults.truncate_next) == (0, 0, 0)

        assert complaints_by_channel(session, "lapor") == (2000, 2000)
        wanted = expected_review_complaints(google_app, google.config)
        assert 0 < wanted < 500
        assert complaints_by_channel(session, "google_reviews") == (wanted, wanted)
        assert count(session, RawRecord, RawRecord.channel == "google_reviews") == 500
        assert count(session, RawRecord, RawRecord.state == RawState.skipped) == 500 - wanted
        assert count(session, RawRecord, RawRecord.state == RawState.failed) == 0
        assert (first_lapor.new, first_google.new, first_google.skipped) == (2000, wanted, 500 - wanted)

        events = count(session, ComplaintEvent)
        again = [sync_instance(name, engine=engine) for name in ("lapor1", "gmaps")]
        assert [(s.status, s.new, s.updated, s.failed) for s in again] == [("ok", 0, 0, 0)] * 2
        assert count(session, ComplaintEvent) == events
        assert complaints_by_channel(session, "lapor") == (2000, 2000)

        lapor_faults.update({"error_rate": 0.0, "rate_limit_rate": 0.0, "slow_rate": 0.0})
        [edited] = lapor_app.state.store.edit(1, "content")
        after_edit = sync_instance("lapor1", engine=engine)
        assert (after_edit.new, after_edit.updated) == (0, 1)
        assert count(session, ComplaintEvent) == events + 1
        complaint = session.exec(select(Complaint).where(Complaint.external_id == edited)).one()
        assert "Tambahan" in complaint.body
        last = session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                            .order_by(ComplaintEvent.id.desc())).first()
        assert last.kind == EventKind.updated


def test_killed_sync_resumes_without_loss_or_duplicate(session, engine, db_url, tmp_path, reader):
    seeded(session)
    with lapor_upstream(total=800, faults=Faults(slow_rate=1.0, slow_seconds=0.2)) as (_app, url):
        add_lapor(session, url, page_size=50)
        marker = f"sync-{uuid.uuid4().hex}"  # inherited by its reader process, if it has one
        env = {**os.environ, "ADUAN_DATABASE_URL": db_url, "ADUAN_TEST_MARKER": marker}
        proc = subprocess.Popen([AD, "sync", "lapor1"], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while count(session, Complaint) < 150:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the sync never got going"
            time.sleep(0.05)
        running = processes_marked(marker)
        assert proc.pid in running and (len(running) > 1) == (reader == "always")  # its reader (and tracker)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while processes_marked(marker):  # a reader process notices and ends: no orphan keeps reading
            assert time.monotonic() < deadline, f"left running: {processes_marked(marker)}"
            time.sleep(0.1)
        partial = count(session, Complaint)
        assert 150 <= partial < 800
        assert state_of(session, "lapor1").status == "running"  # it died without a word

        resumed = sync_instance("lapor1", engine=engine)
        assert resumed.status == "ok", resumed.error
        assert resumed.new == 800 - partial
        assert complaints_by_channel(session, "lapor") == (800, 800)
        assert count(session, RawRecord) == 800
        assert state_of(session, "lapor1").status == "ok"


def test_a_later_success_clears_the_error(session, engine):
    with lapor_upstream(total=30) as (_app, url):
        add_lapor(session, url, token="salah")
        assert sync_instance("lapor1", engine=engine).status == "error"
        instance = session.exec(select(ConnectorInstance)).one()
        instance.config = {**instance.config, "token": "rahasia-lapor"}
        session.add(instance)
        session.commit()
        seeded(session)
        assert sync_instance("lapor1", engine=engine).status == "ok"
    state = state_of(session, "lapor1")
    assert (state.status, state.last_error) == ("ok", None)
    assert state.last_success_at is not None and state.new_total == 30


def test_invalid_stored_config_is_recorded_with_the_field(session, engine):
    session.add(ConnectorInstance(name="rusak", kind="lapor", config={"base_url": "bukan url"}))
    session.commit()
    summary = sync_instance("rusak", engine=engine)
    assert summary.status == "error"
    assert "base_url" in summary.error and "token: wajib diisi" in summary.error
    assert state_of(session, "rusak").last_error == summary.error


def test_a_live_run_is_not_doubled_but_a_dead_one_is_taken_over(session, engine):
    seeded(session)
    with lapor_upstream(total=10) as (_app, url):
        instance = add_lapor(session, url)
        state = SyncState(connector_instance_id=instance.id, status="running", last_run_at=utcnow(),
                          last_counts={"owner": "x", "host": socket.gethostname(), "pid": os.getpid(),
                                       "heartbeat": utcnow().isoformat()})
        session.add(state)
        session.commit()
        busy = sync_instance("lapor1", engine=engine)
        assert busy.status == "busy" and count(session, Complaint) == 0

        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout.strip()
        state.last_counts = {**state.last_counts, "pid": int(dead)}
        session.add(state)
        session.commit()
        assert sync_instance("lapor1", engine=engine).status == "ok"
        assert count(session, Complaint) == 10


def test_due_instances_follow_schedule_and_enabled(session, engine):
    with lapor_upstream(total=5) as (_app, url):
        add_lapor(session, url, name="a")
        add_lapor(session, url, name="b")
        add_lapor(session, url, name="c")
        instances = {i.name: i for i in session.exec(select(ConnectorInstance)).all()}
        instances["b"].enabled = False
        instances["c"].schedule_seconds = None
        session.add_all(instances.values())
        session.commit()
        now = utcnow()
        assert due_instances(session, now) == ["a"]
        seeded(session)
        sync_instance("a", engine=engine)
        later = state_of(session, "a").last_run_at
        assert due_instances(session, later + timedelta(seconds=899)) == []
        assert due_instances(session, later + timedelta(seconds=900)) == ["a"]
