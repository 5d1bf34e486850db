"""YouTube comments (issue #21): candidates from a pemda channel's comment threads, replies as messages, edits,
pagination through 429/5xx/cut bodies, the daily quota as a wait (not a failure), exactly once, kill -9."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from connectors.base import Skip
from connectors.emulators import youtube as emulator
from connectors.emulators.runner import serve
from connectors.youtube import QuotaExceeded, YouTubeConnector, next_quota_reset
from core.casework.workflow import Action, apply_action
from core.intake.instances import InstanceError, save_instance, validate_config
from core.intake.sync import sync_instance
from core.reference.calendar import calendar_for
from core.runtime.settings import get_settings
from models import ConnectorInstance, EventKind, RawRecord, Status, SyncState
from models.enums import Classification
from tests.emulated import FAST_HTTP, Complaint, ComplaintEvent, complaints_by_channel, count
from tests.factories import seeded

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "youtube_comment_threads.json").read_text())
PAGE = FIXTURE["page"]
THREADS = {t["id"]: t for t in PAGE["items"]}
CHANNEL = emulator.CHANNEL_ID
CONFIG = {"base_url": "http://127.0.0.1:9", "api_key": "AIza-x",
          "channels": [{"id": CHANNEL, "label": "Pemkab Blitar TV"}]}
AD = str(Path(sys.executable).with_name("aduan"))
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


@contextmanager
def youtube_upstream(total: int = 120, seed: int = 5, faults=None, **kw):
    app = emulator.create_app(seed=seed, total=total, faults=faults, now=NOW, **kw)
    with serve(app) as base_url:
        yield app, base_url


def add_youtube(session, base_url: str, name: str = "yt", **extra):
    config = emulator.connector_config(base_url, **{"http": FAST_HTTP, "page_size": 25, **extra})
    return save_instance(session, name, "youtube", config, replace=True)


def state_of(session, name="yt") -> SyncState:
    session.expire_all()
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).one()
    return session.exec(select(SyncState).where(SyncState.connector_instance_id == instance.id)).one()


def by_external_id(session, external_id) -> Complaint:
    session.expire_all()
    return session.exec(select(Complaint).where(Complaint.channel == "youtube",
                                                Complaint.external_id == external_id)).one()


def events_of(session, complaint_id, kind=None):
    stmt = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
    if kind is not None:
        stmt = stmt.where(ComplaintEvent.kind == kind)
    return session.exec(stmt.order_by(ComplaintEvent.at, ComplaintEvent.id)).all()


# --- normalising real-shaped payloads ----------------------------------------------------------------------------


def test_a_comment_thread_is_a_candidate_with_its_replies_as_messages():
    [first] = [t for t in PAGE["items"] if t["id"].startswith("UgzK3")]
    draft = YouTubeConnector(CONFIG).normalise(first)
    top = first["snippet"]["topLevelComment"]["snippet"]
    assert draft.classification == Classification.kandidat and draft.source_channel == "komentar"
    assert draft.external_id == first["id"] and draft.body == top["textOriginal"]
    assert draft.title.startswith("Pak Bupati, lampu PJU di Jl. Raya Wlingi") and len(draft.title) <= 121
    assert draft.received_at == datetime(2026, 11, 20, 12, 41, 7, tzinfo=UTC)  # publishedAt, not the edit
    assert draft.reporter_name == "@bayusetiawan4821" and not draft.anonim
    video, neighbour, own, edited = draft.events
    assert (video.kind, video.note) == (EventKind.note, "Komentar YouTube: https://www.youtube.com/watch?"
                                                        f"v=q3VbX0sLk2M&lc={first['id']}")
    assert (neighbour.kind, neighbour.actor, neighbour.is_opd_response) == (EventKind.message_in, "@srirahayu311",
                                                                            False)
    assert (own.kind, own.actor, own.is_opd_response) == (EventKind.message_out, "Pemkab Blitar TV", True)
    assert own.note.startswith("Terima kasih atas laporannya")
    assert edited.kind == EventKind.message_in and edited.note == "(diedit) Lokasinya dekat balai desa Beru."
    assert edited.external_id.endswith("@2026-11-21T03:20:00Z")  # an edit is a new message, the first stays
    assert len({e.external_id for e in draft.events}) == 4


def test_own_comments_html_text_and_unknown_channels():
    connector = YouTubeConnector(CONFIG)
    own = next(t for t in PAGE["items"] if t["snippet"]["topLevelComment"]["snippet"]["authorChannelId"]["value"]
               == CHANNEL)
    assert isinstance(connector.normalise(own), Skip)
    html_only = next(t for t in PAGE["items"] if "textOriginal" not in t["snippet"]["topLevelComment"]["snippet"])
    draft = connector.normalise(html_only)
    assert draft.body == ("Min, air PDAM di Desa Sumberjati & sekitarnya tidak mengalir sudah tiga hari.\n"
                          "Mohon segera diperbaiki.")
    other = {**html_only, "snippet": {**html_only["snippet"], "channelId": "UC" + "x" * 22}}
    other["snippet"]["topLevelComment"] = {**html_only["snippet"]["topLevelComment"], "snippet": {
        **html_only["snippet"]["topLevelComment"]["snippet"], "channelId": "UC" + "x" * 22}}
    with pytest.raises(ValueError, match="tidak ada di konfigurasi"):
        connector.normalise(other)


def test_config_is_checked():
    with pytest.raises(InstanceError, match="channels.0.id"):
        validate_config("youtube", {**CONFIG, "channels": [{"id": "pemkabblitar"}]})
    with pytest.raises(InstanceError, match="api_key"):
        validate_config("youtube", {k: v for k, v in CONFIG.items() if k != "api_key"})
    with pytest.raises(InstanceError, match="page_size"):
        validate_config("youtube", {**CONFIG, "page_size": 101})
    with pytest.raises(InstanceError, match="lebih dari sekali"):
        validate_config("youtube", {**CONFIG, "channels": CONFIG["channels"] * 2})
    assert YouTubeConnector.redact(CONFIG)["api_key"] == "***"


def test_the_quota_resets_at_midnight_pacific_time():
    # 25 Nov 2026, 03:00 UTC = 24 Nov 19:00 PST → the reset is 25 Nov 00:00 PST = 08:00 UTC.
    assert next_quota_reset(NOW) == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    # In summer (PDT, UTC-7) midnight is 07:00 UTC; just after it, the next reset is a day later.
    assert next_quota_reset(datetime(2026, 7, 1, 7, 0, 1, tzinfo=UTC)) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    # The day the clocks go back (1 Nov 2026): midnight of 2 Nov is 08:00 UTC.
    assert next_quota_reset(datetime(2026, 11, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


# --- against the emulator ----------------------------------------------------------------------------------------


def test_pages_through_429_server_errors_and_cut_bodies_then_lands_each_thread_once(session, engine):
    seeded(session)
    faults = emulator.YouTubeFaults(seed=3, error_rate=0.2, rate_limit_next=2, retry_after=1, truncate_next=2,
                                    rate_limit_rate=0.05)
    with youtube_upstream(total=150, faults=faults) as (app, url):
        add_youtube(session, url)
        first = sync_instance("yt", engine=engine)
        assert first.status == "ok", first.error
        assert first.retries >= 4 and (faults.rate_limit_next, faults.truncate_next) == (0, 0)
        store = app.state.store
        assert first.fetched == 150 and first.new == 150 and first.pages >= 6
        assert complaints_by_channel(session, "youtube") == (150, 150)
        kandidat = count(session, Complaint, Complaint.classification == Classification.kandidat)
        assert kandidat == 150
        assert state_of(session).bookmark == {"marks": {CHANNEL: emulator.rfc3339(store.truth()[-1].published)
                                                        .replace("Z", "+00:00")}}
        # Every reply of every thread, the lively ones (more than commentThreads carries) included.
        replies = sum(len(t.replies) for t in store.threads.values())
        lively = [t for t in store.threads.values() if len(t.replies) > emulator.REPLIES_IN_THREAD]
        assert lively, "the seed has threads with more replies than a page carries"
        messages = count(session, ComplaintEvent, ComplaintEvent.kind.in_((EventKind.message_in,
                                                                           EventKind.message_out)))
        assert messages == replies


def test_a_spent_quota_stops_at_once_keeps_the_bookmark_and_waits_for_the_pacific_reset(session, engine):
    seeded(session)
    faults = emulator.YouTubeFaults(seed=1)
    with youtube_upstream(total=200, faults=faults) as (app, url):
        add_youtube(session, url)
        faults.quota_units = 4  # a few calls today (threads, and replies of a lively thread), then quotaExceeded
        stopped = sync_instance("yt", engine=engine)
        assert stopped.status == "error" and stopped.retries == 0  # not retried within the run
        assert "kuota harian YouTube Data API habis" in stopped.error and "quotaExceeded" in stopped.error
        assert 0 < stopped.pages < 8 and stopped.new == 25 * stopped.pages  # pages before it are committed
        state = state_of(session)
        assert state.bookmark is None  # the walk did not finish: nothing settled, nothing skipped later
        assert "bookmark tetap" in state.last_error

        # What the connector raises: retriable, after YouTube's reset (midnight Pacific), not before.
        connector = YouTubeConnector(emulator.connector_config(url, http=FAST_HTTP))
        with httpx.Client() as client, pytest.raises(QuotaExceeded) as raised:
            list(connector.fetch_pages(client, {}))
        reset = next_quota_reset(datetime.now(UTC))
        assert reset - timedelta(minutes=1) <= datetime.now(UTC) + timedelta(seconds=raised.value.retry_after) \
            <= reset + timedelta(minutes=10)

        faults.update({"quota_units": None})  # the next day
        resumed = sync_instance("yt", engine=engine)
        assert resumed.status == "ok", resumed.error
        assert (resumed.new, resumed.updated) == (200 - stopped.new, 0)
        assert complaints_by_channel(session, "youtube") == (200, 200)
        assert state_of(session).bookmark is not None and state_of(session).last_error is None

        faults.update({"quota_next": 1})  # a quota error on a later run leaves the settled mark as it was
        mark = state_of(session).bookmark
        assert sync_instance("yt", engine=engine).status == "error"
        assert state_of(session).bookmark == mark


def test_a_bad_key_or_channel_stops_the_run_with_the_reason(session, engine):
    with youtube_upstream(total=10) as (_app, url):
        add_youtube(session, url, api_key="AIza-salah")
        summary = sync_instance("yt", engine=engine)
        assert summary.status == "error" and summary.retries == 0 and "kunci API ditolak YouTube" in summary.error
        add_youtube(session, url, channel="UC" + "a" * 22)
        summary = sync_instance("yt", engine=engine)
        assert "HTTP 404 channelNotFound" in summary.error and "id kanal" in summary.error


def test_two_syncs_land_each_thread_once_even_as_likes_tick(session, engine):
    seeded(session)
    with youtube_upstream(total=90) as (app, url):
        add_youtube(session, url, lookback_days=0)
        first = sync_instance("yt", engine=engine)
        events, raws = count(session, ComplaintEvent), count(session, RawRecord)
        again = sync_instance("yt", engine=engine)
        assert app.state.store.walks == 2  # like counts moved between the two walks
    assert (again.status, again.new, again.updated, again.failed) == ("ok", 0, 0, 0)
    assert again.pages == 1 < first.pages  # caught up at the mark: the older pages are not read again
    assert count(session, RawRecord) == raws == 90 and count(session, ComplaintEvent) == events
    assert complaints_by_channel(session, "youtube") == (90, 90)


def test_an_edit_updates_the_comment_and_keeps_what_the_desk_decided(session, engine):
    seeded(session)
    settings = get_settings()
    with youtube_upstream(total=60) as (app, url):
        add_youtube(session, url)
        sync_instance("yt", engine=engine)
        store = app.state.store
        accepted, waiting = [t for t in store.truth() if t.complaint][-2:]
        complaint = by_external_id(session, accepted.id)
        apply_action(session, complaint, Action.dispatch, "Admin Diskominfo", calendar_for(settings),
                     opd_code=accepted.opd, settings=settings)
        session.commit()
        assert complaint.classification == Classification.pengaduan  # accepted by the desk

        store.edit(ids=[accepted.id, waiting.id], kind="comment")
        edited = sync_instance("yt", engine=engine)
    assert (edited.new, edited.updated) == (0, 2)
    assert complaints_by_channel(session, "youtube") == (60, 60)
    complaint = by_external_id(session, accepted.id)
    assert "(edit:" in complaint.body and complaint.body == store.threads[accepted.id].text
    assert (complaint.status, complaint.classification) == (Status.dispatched, Classification.pengaduan)
    assert by_external_id(session, waiting.id).classification == Classification.kandidat
    last = events_of(session, complaint.id)[-1]
    assert last.kind == EventKind.updated and "body" in last.note
    assert complaint.received_at == accepted.published


def test_new_replies_are_messages_and_the_channels_reply_is_the_first_response(session, engine):
    seeded(session)
    with youtube_upstream(total=60) as (app, url):
        add_youtube(session, url)
        sync_instance("yt", engine=engine)
        store = app.state.store
        quiet = next(t for t in reversed(store.truth()) if t.complaint and not t.replies)
        complaint = by_external_id(session, quiet.id)
        assert complaint.first_response_at is None and events_of(session, complaint.id, EventKind.message_in) == []

        store.edit(ids=[quiet.id], kind="reply")
        store.edit(ids=[quiet.id], kind="own_reply")
        replied = sync_instance("yt", engine=engine)
        assert (replied.new, replied.updated) == (0, 1)
        again = sync_instance("yt", engine=engine)
    assert (again.new, again.updated) == (0, 0)
    neighbour, own = store.threads[quiet.id].replies
    [message_in] = events_of(session, complaint.id, EventKind.message_in)
    [message_out] = events_of(session, complaint.id, EventKind.message_out)
    assert (message_in.note, message_in.actor) == (neighbour.text, neighbour.author)
    assert (message_out.note, message_out.actor) == (own.text, "Pemkab Blitar TV")
    session.refresh(complaint)
    assert complaint.first_response_at == own.published


def test_killed_sync_resumes_without_loss_or_duplicate(session, engine, db_url, tmp_path):
    seeded(session)
    total = 400
    faults = emulator.YouTubeFaults(slow_rate=1.0, slow_seconds=0.15)
    with youtube_upstream(total=total, faults=faults) as (_app, url):
        add_youtube(session, url, page_size=20)
        env = {**os.environ, "ADUAN_DATABASE_URL": db_url}
        proc = subprocess.Popen([AD, "sync", "yt"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while count(session, Complaint) < 60:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the sync never got going"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stderr.close()
        partial = count(session, Complaint)
        assert 60 <= partial < total
        state = state_of(session)
        assert state.status == "running" and state.bookmark is None  # died mid-walk: nothing settled

        faults.update({"slow_rate": 0.0})
        resumed = sync_instance("yt", engine=engine)
    assert resumed.status == "ok", resumed.error
    assert resumed.new == total - partial
    assert complaints_by_channel(session, "youtube") == (total, total)
    assert count(session, RawRecord, RawRecord.channel == "youtube") == total
    assert state_of(session).status == "ok" and state_of(session).bookmark is not None


def test_youtube_is_a_plugin_core_knows_only_through_its_entry_point(session):
    from importlib.metadata import entry_points

    from core.intake.channels import known_channels
    from core.intake.lifecycles import lifecycle_of

    points = {ep.name: ep.value for ep in entry_points(group="aduan.connectors")}
    assert points["youtube"] == "connectors.youtube:YouTubeConnector"
    root = Path(__file__).resolve().parents[2]
    plugin = re.compile(r"^\s*(from|import)\s+connectors\.youtube\b", re.M)
    offenders = [str(p.relative_to(root)) for package in ("core", "api", "dashboard", "models")
                 for p in (root / package).rglob("*.py") if plugin.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
    seeded(session)
    assert {c["code"]: c["label"] for c in known_channels(session)}["youtube"] == "YouTube"
    assert not lifecycle_of("youtube").upstream_owned


def test_the_emulator_speaks_the_data_api_and_its_errors():
    with youtube_upstream(total=40) as (app, url):
        api = f"{url}/youtube/v3/commentThreads"
        base = {"part": "snippet,replies", "allThreadsRelatedToChannelId": CHANNEL, "order": "time",
                "maxResults": 15, "textFormat": "plainText", "key": emulator.API_KEY}
        first = httpx.get(api, params=base).json()
        assert first["kind"] == "youtube#commentThreadListResponse" and len(first["items"]) == 15
        thread = first["items"][0]
        assert thread["kind"] == "youtube#commentThread" and thread["id"] == thread["snippet"]["topLevelComment"]["id"]
        top = thread["snippet"]["topLevelComment"]["snippet"]
        assert set(top) >= {"textDisplay", "textOriginal", "authorDisplayName", "authorChannelId", "likeCount",
                            "publishedAt", "updatedAt", "videoId", "channelId"}
        times = [t["snippet"]["topLevelComment"]["snippet"]["publishedAt"] for t in first["items"]]
        assert times == sorted(times, reverse=True)  # order=time: newest first
        second = httpx.get(api, params={**base, "pageToken": first["nextPageToken"]}).json()
        assert second["items"][0]["snippet"]["topLevelComment"]["snippet"]["publishedAt"] <= times[-1]

        def error(params, resource="commentThreads"):
            r = httpx.get(f"{url}/youtube/v3/{resource}", params=params)
            return r.status_code, r.json()["error"]["errors"][0]["reason"]

        assert error({k: v for k, v in base.items() if k != "key"}) == (403, "forbidden")
        assert error({**base, "key": "salah"}) == (400, "badRequest")
        assert error({**base, "maxResults": 101}) == (400, "invalidParameter")
        assert error({**base, "pageToken": "!!"}) == (400, "invalidPageToken")
        assert error({**base, "allThreadsRelatedToChannelId": "UC" + "b" * 22}) == (404, "channelNotFound")
        app.state.faults.update({"quota_next": 1})
        r = httpx.get(api, params=base)
        assert r.status_code == 403 and r.json()["error"]["errors"][0] == {
            "message": emulator.QUOTA_MESSAGE, "domain": "youtube.quota", "reason": "quotaExceeded"}
        app.state.faults.update({"rate_limit_next": 1, "retry_after": 2})
        r = httpx.get(api, params=base)
        assert r.status_code == 429 and r.headers["Retry-After"] == "2"

        lively = next(t for t in app.state.store.threads.values() if len(t.replies) > emulator.REPLIES_IN_THREAD)
        carried = app.state.store.payload(lively)["replies"]["comments"]
        assert len(carried) == emulator.REPLIES_IN_THREAD
        replies = httpx.get(f"{url}/youtube/v3/comments", params={"part": "snippet", "parentId": lively.id,
                                                                  "maxResults": 3, "key": emulator.API_KEY}).json()
        assert len(replies["items"]) == 3 and replies["nextPageToken"]
        assert all(c["snippet"]["parentId"] == lively.id for c in replies["items"])
        assert error({"part": "snippet", "parentId": "tidak-ada", "key": emulator.API_KEY}, "comments") == (
            404, "commentNotFound")
