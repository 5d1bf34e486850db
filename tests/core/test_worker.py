
"""`aduan worker`: one pass does sweep + send; SIGTERM stops cleanly; SQLite allows one worker."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState, create_app
from connectors.emulators.runner import serve
from core.entry.worker import WorkerAlreadyRunning, run_due_syncs, run_worker, single_worker
from core.intake.ingest import Resolver, upsert_complaint
from models import EscalationRecord, Letter, Notification, NotificationStatus, Opd, OpdAdmin
from models.types import utcnow
from tests.conftest import backend_name
from tests.emulated import add_lapor, complaints_by_channel, lapor_upstream
from tests.factories import draft, seeded

AD = str(Path(sys.executable).with_name("aduan"))


@pytest.fixture
def meta():
    state = MetaGraphState(token="tok")
    with serve(create_app(state)) as base_url:
        state.base_url = base_url
        yield state


def test_one_pass_sweeps_the_ladder_and_sends_through_the_outbox(session, settings, meta, caplog):
    seeded(session)
    setda = session.exec(select(Opd).where(Opd.code == "SETDA")).one()
    session.add(OpdAdmin(opd_id=setda.id, name="Admin Setda", whatsapp="081234567100"))
    session.commit()
    # A month old and never answered: whatever today is, it is past working day 3.
    upsert_complaint(session, "lapor", draft("W1", received_at=utcnow() - timedelta(days=30)),
                     Resolver(session, settings))
    session.commit()
    wa = settings.model_copy(update=dict(whatsapp_graph_base_url=meta.base_url,
                                         whatsapp_phone_number_id=PHONE_NUMBER_ID,
                                         whatsapp_token=SecretStr("tok")))
    with caplog.at_level(logging.INFO, logger="aduan.worker"):
        run_worker(once=True, settings=wa)
    assert [letter.kind for letter in session.exec(select(Letter)).all()] == ["eskalasi"]
    assert session.exec(select(EscalationRecord.step_code).where(EscalationRecord.step_code == "eskalasi")).one()
    sent = meta.snapshot()["messages"]
    assert [m["to"] for m in sent] == ["6281234567100"] and sent[0]["template"] == "eskalasi_sekda"
    session.expire_all()
    assert {n.status for n in session.exec(select(Notification)).all()} == {NotificationStatus.sent}


def test_due_connector_syncs_pull_from_upstream_once_per_schedule(session, engine):
    seeded(session)
    with lapor_upstream(total=30) as (_app, base_url):
        add_lapor(session, base_url, name="lapor-blitar")
        session.commit()
        assert run_due_syncs(engine, threading.Event()) == 1
        assert complaints_by_channel(session, "lapor") == (30, 30)
        assert run_due_syncs(engine, threading.Event()) is None  # not due again until its schedule


def _worker(db_url, *args):
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url, "ADUAN_OUTBOX_POLL_SECONDS": "0.2",
           "ADUAN_SYNC_POLL_SECONDS": "0.2"}
    return subprocess.Popen([AD, "worker", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def test_sigterm_finishes_the_current_job_and_exits_zero(db_url, session):
    seeded(session)
    proc = _worker(db_url)
    deadline = time.monotonic() + 30
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "worker started" in line or time.monotonic() > deadline:
            break
    time.sleep(0.5)  # let it loop through its jobs a few times
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    text = "".join(lines) + out
    assert proc.returncode == 0, text
    assert "SIGTERM received" in text and "worker stopped" in text
    assert "Traceback" not in text


@pytest.mark.skipif(backend_name() != "sqlite", reason="the single-worker rule is SQLite's")
def test_sqlite_refuses_a_second_worker_with_a_clear_message(db_url, settings):
    with single_worker(settings):
        proc = _worker(db_url, "--once")
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 1
        assert "already running" in out and "SQLite allows one worker" in out
        assert "Traceback" not in out
        with pytest.raises(WorkerAlreadyRunning):
            with single_worker(settings):
                pass
    with single_worker(settings):  # released when the first one ends
        pass
