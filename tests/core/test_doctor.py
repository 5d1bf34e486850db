"""`aduan doctor` against real databases and emulated upstreams (all on 127.0.0.1)."""

import socket

import pytest
from typer.testing import CliRunner

from connectors.emulators import meta_graph
from connectors.emulators.runner import serve
from core.entry.cli import app
from core.intake.sync import sync_instance
from core.runtime import migrate
from models import ConnectorInstance
from tests.emulated import add_lapor, lapor_upstream
from tests.factories import seeded

runner = CliRunner()
AUTH_SECRET = "doctor-auth-secret-0123456789-abcdefghij"
WA_TOKEN = "EAAG-doctor-whatsapp-token"
DASH_SECRET = "doctor-dashboard-secret-0123456789-abcdef"
LAPOR_TOKEN = "rahasia-lapor"  # the emulator's default, stored in the instance config


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def configured(settings, session, monkeypatch):
    """A fully configured install: seeded, secrets set, WhatsApp pointing at the Graph emulator."""
    seeded(session)
    with serve(meta_graph.create_app()) as graph_url:
        for name, value in {"AUTH_SECRET": AUTH_SECRET, "WHATSAPP_TOKEN": WA_TOKEN,
                            "WHATSAPP_PHONE_NUMBER_ID": "1234567890", "WHATSAPP_GRAPH_BASE_URL": graph_url,
                            "DASHBOARD_SECRET": DASH_SECRET}.items():
            monkeypatch.setenv(f"ADUAN_{name}", value)
        yield monkeypatch


def doctor() -> tuple[int, list[str]]:
    result = runner.invoke(app, ["doctor"])
    for secret in (AUTH_SECRET, WA_TOKEN, DASH_SECRET, LAPOR_TOKEN, "geheim"):
        assert secret not in result.output
    return result.exit_code, result.output.splitlines()


def levels(lines: list[str], check: str) -> list[str]:
    return [line.split()[0] for line in lines if line.split(" ", 1)[-1].lstrip().startswith(f"{check}:")]


def test_healthy_install_passes(configured, session, engine):
    with lapor_upstream(total=5) as (_, base_url):
        add_lapor(session, base_url)
        assert sync_instance("lapor1", engine=engine).status == "ok"
        code, lines = doctor()
    assert code == 0, lines
    assert not [line for line in lines if line.startswith("FAIL")]
    for check in ("settings", "database", "migrations", "whatsapp", "whatsapp upstream", "connector lapor1",
                  "connector lapor1 upstream", "reference data", "log-in"):
        assert levels(lines, check) == ["OK"], (check, lines)
    assert lines[-1].startswith("0 failed")


def test_unreachable_upstream_and_broken_connectors_fail_with_what_to_fix(configured, session, engine):
    add_lapor(session, f"http://127.0.0.1:{closed_port()}/api", name="lapor-mati")
    assert sync_instance("lapor-mati", engine=engine).status == "error"
    session.add(ConnectorInstance(name="tanpa-url", kind="lapor", config={"token": LAPOR_TOKEN}))
    session.add(ConnectorInstance(name="faks", kind="fax", config={"nomor": "0342"}))
    session.add(ConnectorInstance(name="mati", kind="fax", config={}, enabled=False))
    session.commit()

    code, lines = doctor()
    assert code == 1
    [upstream] = [line for line in lines if line.startswith("FAIL connector lapor-mati upstream:")]
    assert "cannot reach http://127.0.0.1:" in upstream and "/api" not in upstream
    assert levels(lines, "connector lapor-mati") == ["WARN"]  # its last sync failed, and says why
    [invalid] = [line for line in lines if "connector tanpa-url:" in line]
    assert invalid.startswith("FAIL") and "base_url" in invalid and "--replace" in invalid
    [unknown] = [line for line in lines if "connector faks:" in line]
    assert unknown.startswith("FAIL") and "not installed" in unknown
    assert levels(lines, "connector mati") == ["OK"]


def test_schema_behind_head_fails_and_says_run_db_upgrade(configured, db_url):
    migrate.downgrade(db_url, "0106")
    try:
        code, lines = doctor()
    finally:
        migrate.upgrade(db_url)
    assert code == 1
    [line] = [line for line in lines if "migrations:" in line]
    assert line.startswith("FAIL") and "0106" in line and "aduan db upgrade" in line
    assert not [line for line in lines if "connector" in line]  # not checked against a stale schema


def test_empty_and_missing_sqlite_databases(configured, tmp_path):
    empty = tmp_path / "kosong.db"
    empty.touch()
    configured.setenv("ADUAN_DATABASE_URL", f"sqlite:///{empty}")
    code, lines = doctor()
    assert code == 1 and levels(lines, "migrations") == ["FAIL"]
    assert "no schema" in " ".join(lines) and "aduan db upgrade" in " ".join(lines)

    missing = tmp_path / "tidak-ada.db"
    configured.setenv("ADUAN_DATABASE_URL", f"sqlite:///{missing}")
    code, lines = doctor()
    assert code == 1 and levels(lines, "database") == ["FAIL"] and not missing.exists()


def test_unreachable_database_hides_its_password(configured):
    configured.setenv("ADUAN_DATABASE_URL", f"postgresql+psycopg://aduan:geheim@127.0.0.1:{closed_port()}/aduan")
    code, lines = doctor()
    assert code == 1
    [line] = [line for line in lines if "database:" in line]
    assert line.startswith("FAIL") and "***" in line and "ADUAN_DATABASE_URL" in line


def test_settings_problems_fail_without_echoing_secrets(configured):
    configured.delenv("ADUAN_WHATSAPP_TOKEN")
    code, lines = doctor()
    assert code == 1 and levels(lines, "whatsapp")[0] == "FAIL"
    assert "ADUAN_WHATSAPP_TOKEN" in " ".join(lines)

    configured.setenv("ADUAN_AUTH_SECRET", "pendek")
    configured.setenv("ADUAN_DATABASE_URL", "postgresql+psycopg://aduan:geheim@db/aduan")
    code, lines = doctor()
    assert code == 1 and levels(lines, "settings") == ["FAIL"] and "ADUAN_AUTH_SECRET" in lines[0]


def test_reachability_is_only_checked_for_configured_upstreams(settings, session, monkeypatch):
    seeded(session)
    monkeypatch.delenv("ADUAN_WHATSAPP_PHONE_NUMBER_ID", raising=False)
    code, lines = doctor()  # default Graph URL is graph.facebook.com: never contacted without a phone id
    assert code == 0 and not levels(lines, "whatsapp upstream")
    assert levels(lines, "whatsapp") == ["WARN"] and levels(lines, "connectors") == ["WARN"]


def test_an_upstream_answering_404_is_a_warning_not_ok(configured, session):
    from fastapi import FastAPI

    with serve(FastAPI()) as base_url:  # something answers on that host, but nothing at the configured path
        add_lapor(session, f"{base_url}/api-lama", name="lapor-pindah")
        code, lines = doctor()
    [upstream] = [line for line in lines if "connector lapor-pindah upstream:" in line]
    assert upstream.startswith("WARN") and "HTTP 404" in upstream and "path" in upstream
    assert "/api-lama" not in upstream  # paths never reach the output
