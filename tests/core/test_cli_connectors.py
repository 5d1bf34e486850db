"""`aduan connector add/list`, `aduan sync`: what an operator types and reads."""

import json
import re

from typer.testing import CliRunner

from connectors.emulators import lapor
from core.entry.cli import app
from tests.emulated import FAST_HTTP, Complaint, count, lapor_upstream
from tests.factories import seeded

runner = CliRunner()


def test_add_validates_by_field_and_never_prints_the_secret(settings, session):
    bad = runner.invoke(app, ["connector", "add", "lapor-blitar", "lapor", "--config", '{"base_url": "ftp://x"}'])
    assert bad.exit_code == 2
    assert "base_url" in bad.output and "token: wajib diisi" in bad.output
    assert runner.invoke(app, ["connector", "add", "x", "lapor", "--config", "{not json"]).exit_code == 2
    unknown = runner.invoke(app, ["connector", "add", "x", "fax", "--config", "{}"])
    assert unknown.exit_code == 2 and "tidak dikenal" in unknown.output and "lapor" in unknown.output

    config = json.dumps({"base_url": "http://127.0.0.1:9", "token": "sangat-rahasia"})
    ok = runner.invoke(app, ["connector", "add", "lapor-blitar", "lapor", "--config", config, "--schedule", "600"])
    assert ok.exit_code == 0, ok.output
    assert "sangat-rahasia" not in ok.output and '"token": "***"' in ok.output
    again = runner.invoke(app, ["connector", "add", "lapor-blitar", "lapor", "--config", config])
    assert again.exit_code == 2 and "--replace" in again.output

    listed = runner.invoke(app, ["connector", "list"])
    assert listed.exit_code == 0
    assert "lapor-blitar" in listed.output and "setiap 600 dtk" in listed.output and "status never" in listed.output
    assert "sangat-rahasia" not in listed.output


def test_sync_prints_the_summary_and_fails_loudly(settings, session, tmp_path):
    seeded(session)
    with lapor_upstream(total=25) as (_app, url):
        config = tmp_path / "lapor.json"
        config.write_text(json.dumps(lapor.connector_config(url, http=FAST_HTTP)))
        assert runner.invoke(app, ["connector", "add", "lapor1", "lapor", "--config", f"@{config}"]).exit_code == 0
        result = runner.invoke(app, ["sync", "lapor1"])
        assert result.exit_code == 0, result.output
        assert "lapor1: ok — 25 diambil, 25 baru, 0 diperbarui" in result.output
        assert re.search(r"percobaan ulang, \d+,\d dtk", result.output), result.output  # decimal comma
        assert count(session, Complaint) == 25

        assert runner.invoke(app, ["sync", "--all"]).exit_code == 0
        assert runner.invoke(app, ["sync"]).exit_code == 2
        missing = runner.invoke(app, ["sync", "nope"])
        assert missing.exit_code == 2 and "tidak ada" in missing.output

        config.write_text(json.dumps(lapor.connector_config(url, token="salah", http=FAST_HTTP)))
        runner.invoke(app, ["connector", "add", "lapor1", "lapor", "--config", f"@{config}", "--replace"])
        failed = runner.invoke(app, ["sync", "lapor1"])
    assert failed.exit_code == 1
    assert "galat: kredensial ditolak upstream (HTTP 401" in failed.output


def test_disable_takes_an_instance_out_of_sync_all(settings, session):
    config = json.dumps({"base_url": "http://127.0.0.1:9", "token": "t"})
    runner.invoke(app, ["connector", "add", "a", "lapor", "--config", config])
    assert runner.invoke(app, ["connector", "disable", "a"]).exit_code == 0
    result = runner.invoke(app, ["sync", "--all"])
    assert result.exit_code == 0 and "tidak ada konektor pull yang aktif" in result.output
    assert runner.invoke(app, ["connector", "enable", "nope"]).exit_code == 2


def test_connector_kinds_keeps_each_kind_on_one_line_in_80_columns():
    result = runner.invoke(app, ["connector", "kinds"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "google_reviews  kanal google_reviews  connectors.google_reviews.GoogleReviewsConnector" in lines
    assert all(line.split()[1] == "kanal" for line in lines)  # no row broken onto a second line
