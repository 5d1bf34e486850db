"""The README's worked example, examples/kotak_saran, really adds a channel: found through the entry
point its own pyproject declares, configured and synced with the documented commands, over HTTP."""

import copy
import json
import tomllib
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import select
from typer.testing import CliRunner

from connectors import registry
from connectors.emulators.runner import serve
from core.entry.cli import app
from core.intake.sync import sync_instance
from models import Category, Classification, Complaint
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
    assert example_installed == {"kotak_saran": "kotak_saran:KotakSaranConnector"}
    assert "kotak_saran" in registry.available()

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


def test_the_example_config_names_what_is_wrong(example_installed, session):
    seeded(session)
    refused = CliRunner().invoke(app, ["connector", "add", "kotak-saran", "kotak_saran",
                                       "--config", json.dumps({"url": "bukan url", "kategori": "X"})])
    assert refused.exit_code != 0
    assert "url" in refused.output and "kategori" in refused.output
    assert "kotak-saran" not in CliRunner().invoke(app, ["connector", "list"]).output
