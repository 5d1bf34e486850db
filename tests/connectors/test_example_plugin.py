"""The README's worked example, examples/kotak_saran, really adds a channel: found through the entry
points its own pyproject declares, configured with the documented commands, and fed both ways — pulled
over HTTP and pushed to the webhook route — by connectors that never touch the database; the
complaints are then read back through the API."""

import ast
import copy
import hashlib
import hmac
import json
import tomllib
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from api.main import create_app
from connectors.emulators.runner import serve
from core.entry.cli import app
from core.identity.keys import create_key
from core.intake import registry
from core.intake.sync import sync_instance
from models import Category, Classification, Complaint, RawRecord, RawState
from tests.factories import seeded

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kotak_saran"


@pytest.fixture
def example_installed(tmp_path, monkeypatch):
    """What `pip install -e examples/kotak_saran` leaves behind: the module importable and a
    dist-info whose entry points are the ones the example's pyproject.toml declares."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    declared = project["entry-points"]["aduan.connectors"]
    dist = tmp_path / "aduan_kotak_saran-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    (dist / "entry_points.txt").write_text(
        "[aduan.connectors]\n" + "".join(f"{name} = {target}\n" for name, target in declared.items()))
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.refresh()
    yield declared
    monkeypatch.undo()
    registry.refresh()


@pytest.fixture
def suggestion_box():
    """The upstream: the example's sample.json served over HTTP; `entries` can grow."""
    entries = copy.deepcopy(json.loads((EXAMPLE / "sample.json").read_text()))
    upstream = FastAPI()
    upstream.get("/kotak-saran.json")(lambda: entries)
    with serve(upstream) as base_url:
        yield f"{base_url}/kotak-saran.json", entries


def test_the_example_plugin_adds_a_channel_end_to_end(example_installed, suggestion_box, session, engine):
    seeded(session)
    url, entries = suggestion_box
    assert example_installed == {"kotak_saran": "kotak_saran:KotakSaranConnector",
                                 "kotak_saran_push": "kotak_saran:KotakSaranPushConnector"}
    assert {"kotak_saran", "kotak_saran_push"} <= set(registry.available())

    runner = CliRunner()
    added = runner.invoke(app, ["connector", "add", "kotak-saran", "kotak_saran",
                                "--config", json.dumps({"url": url})])
    assert added.exit_code == 0, added.output

    first = sync_instance("kotak-saran", engine=engine)
    assert (first.status, first.fetched, first.new, first.skipped) == ("ok", 3, 2, 1), first.error

    rows = session.exec(select(Complaint).where(Complaint.channel == "kotak_saran")
                        .order_by(Complaint.external_id)).all()
    assert [c.external_id for c in rows] == ["101", "102"]  # the empty slip (103) is not a complaint
    ktp, lampu = rows
    assert ktp.title.startswith("Antrean perekaman KTP-el") and ktp.reporter_name == "Sri Wahyuni"
    assert lampu.anonim and lampu.kecamatan == "Wlingi" and lampu.location_text == "Kantor Kecamatan Wlingi"
    assert {c.classification for c in rows} == {Classification.aspirasi}
    lainnya = session.exec(select(Category).where(Category.code == "LAINNYA")).one()
    assert {c.category_id for c in rows} == {lainnya.id}
    assert ktp.tracking_code.startswith("KOTA-") and ktp.response_due_at is not None

    entries.append({"id": 104, "kotak": "RSUD Srengat", "waktu": "2026-11-19T10:00:00+07:00",
                    "isi": "Ruang tunggu poli anak panas, kipas angin rusak.", "kecamatan": "Srengat"})
    synced = runner.invoke(app, ["sync", "kotak-saran"])
    assert synced.exit_code == 0, synced.output
    assert "1 baru" in synced.output and "3 tetap" in synced.output  # nothing duplicated
    session.expire_all()
    ids = session.exec(select(Complaint.external_id).where(Complaint.channel == "kotak_saran")).all()
    assert sorted(ids) == ["101", "102", "104"]


def test_the_example_only_imports_the_contract():
    """What makes it a plugin of the new contract: no database, no settings, no intake machinery."""
    tree = ast.parse((EXAMPLE / "kotak_saran.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported == {"hashlib", "hmac", "pydantic", "connectors.base", "models.enums"}
    source = (EXAMPLE / "kotak_saran.py").read_text()
    assert source in (EXAMPLE.parents[1] / "connectors" / "README.md").read_text()  # the README shows this very code
    assert len(source.splitlines()) < 150


def test_the_example_adds_a_channel_by_push_and_pull_seen_through_the_api(example_installed, suggestion_box,
                                                                         settings, session):
    seeded(session)
    url, _entries = suggestion_box
    runner = CliRunner()
    for name, kind, config in (("kotak-saran", "kotak_saran", {"url": url}),
                               ("kotak-tablet", "kotak_saran_push", {"secret": "rahasia-kotak"})):
        added = runner.invoke(app, ["connector", "add", name, kind, "--config", json.dumps(config)])
        assert added.exit_code == 0, added.output
    assert "rahasia-kotak" not in runner.invoke(app, ["connector", "list"]).output

    pulled = runner.invoke(app, ["sync", "kotak-saran"])
    assert pulled.exit_code == 0 and "2 baru" in pulled.output, pulled.output

    slip = {"id": 201, "kotak": "Puskesmas Garum", "waktu": "2026-11-20T08:30:00+07:00",
            "isi": "Antrean obat lama, mohon ditambah petugas apotek.", "kecamatan": "Garum"}
    body = json.dumps(slip).encode()
    signature = "sha256=" + hmac.new(b"rahasia-kotak", body, hashlib.sha256).hexdigest()
    _, raw_key = create_key(session, "test-admin", "admin", None)
    with TestClient(create_app()) as client:
        forged = client.post("/api/v1/webhooks/kotak-tablet", content=body,
                             headers={"X-Kotak-Signature": "sha256=" + "0" * 64})
        assert forged.status_code == 403
        pushed = client.post("/api/v1/webhooks/kotak-tablet", content=body, headers={"X-Kotak-Signature": signature})
        assert pushed.status_code == 200 and pushed.json() == {"received": 1, "new": 1, "duplicates": 0}
        again = client.post("/api/v1/webhooks/kotak-tablet", content=body, headers={"X-Kotak-Signature": signature})
        assert again.json() == {"received": 1, "new": 0, "duplicates": 1}
        listed = client.get("/api/v1/complaints?channel=kotak_saran", headers={"X-API-Key": raw_key})
    assert listed.status_code == 200, listed.text
    items = {item["external_id"]: item for item in listed.json()["items"]}
    assert sorted(items) == ["101", "102", "201"]  # pulled and pushed, one channel, nothing twice
    assert items["201"]["title"].startswith("Antrean obat lama") and items["201"]["kecamatan"] == "Garum"
    session.expire_all()
    landed = session.exec(select(RawRecord).where(RawRecord.channel == "kotak_saran")).all()
    assert {r.state for r in landed} == {RawState.normalised, RawState.skipped}  # the empty slip 103 is skipped


def test_the_example_config_names_what_is_wrong(example_installed, session):
    seeded(session)
    refused = CliRunner().invoke(app, ["connector", "add", "kotak-saran", "kotak_saran",
                                       "--config", json.dumps({"url": "bukan url", "kategori": "X"})])
    assert refused.exit_code != 0
    assert "url" in refused.output and "kategori" in refused.output
    assert "kotak-saran" not in CliRunner().invoke(app, ["connector", "list"]).output
