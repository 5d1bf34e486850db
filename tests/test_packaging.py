"""Deployment files are parsed, since no Docker engine runs here."""

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_every_service_from_one_image_with_shared_env():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "api", "dashboard", "worker"} <= set(services)
    app_services = [services[name] for name in ("api", "dashboard", "worker", "migrate")]
    assert len({s["image"] for s in app_services}) == 1
    for service in app_services:
        env = service["environment"]
        assert env["ADUAN_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["ADUAN_DATABASE_URL"].split("@")[1].startswith("postgres:5432/")
        assert service["command"][0] == "aduan"
    assert services["worker"]["command"] == ["aduan", "worker"]


def test_console_script_and_connector_entry_point_group_are_declared():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["scripts"]["aduan"] == "core.entry.cli:main"
    assert "aduan.connectors" in meta["project"]["entry-points"]


def test_cli_lists_its_commands():
    out = subprocess.run([str(Path(sys.executable).with_name("aduan")), "--help"], capture_output=True,
                         text=True, timeout=60).stdout
    for command in ("db", "serve", "worker", "sync", "demo"):
        assert command in out
