"""Access logs: one JSON line per request, joined to it by its X-Request-ID, no secrets."""

import io
import json
import logging
import uuid

import pytest
from sqlmodel import select

from core.runtime.logs import configure_logging
from models import AuditEntry
from tests.api.conftest import PASSWORD

API = "/api/v1"


@pytest.fixture
def log_lines(settings):
    """Configure logging the way `aduan serve` does, into a buffer; `log_lines()` → parsed lines."""
    root, buffer = logging.getLogger(), io.StringIO()
    level = root.level
    handler = configure_logging(settings, stream=buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def access(lines, route):
    return [line for line in lines if line["logger"] == "aduan.access" and line.get("route") == route]


def test_each_request_logs_one_json_line_with_its_request_id(client, key_for, log_lines):
    headers = key_for("viewer")
    r = client.get(f"{API}/stats/summary", headers=headers)
    assert r.status_code == 200
    request_id = r.headers["X-Request-ID"]
    [line] = access(log_lines(), f"{API}/stats/summary")
    assert line["request_id"] == request_id
    assert line["method"] == "GET" and line["status"] == 200 and line["duration_ms"] >= 0
    assert line["principal"].startswith("key:") and line["level"] == "INFO" and line["time"]
    assert headers["X-API-Key"] not in json.dumps(log_lines())


def test_a_caller_supplied_request_id_is_kept(client, log_lines):
    given = uuid.uuid4().hex
    r = client.get(f"{API}/health", headers={"X-Request-ID": given})
    assert r.headers["X-Request-ID"] == given
    assert [line["request_id"] for line in log_lines() if line.get("path") == f"{API}/health"] in ([], [given])


def test_a_log_in_password_never_reaches_the_log_and_the_audit_entry_shares_the_request_id(
        client, user_for, session, log_lines):
    user = user_for("analyst")
    ok = client.post(f"{API}/auth/login", json={"username": user.username, "password": PASSWORD})
    wrong = client.post(f"{API}/auth/login", json={"username": user.username, "password": PASSWORD + "-salah"})
    assert (ok.status_code, wrong.status_code) == (200, 401)
    text = json.dumps(log_lines())
    assert PASSWORD not in text and ok.json()["access_token"] not in text and ok.json()["refresh_token"] not in text
    assert {line["status"] for line in access(log_lines(), f"{API}/auth/login")} == {200, 401}
    audited = {e.request_id for e in session.exec(select(AuditEntry)).all()}
    assert {ok.headers["X-Request-ID"], wrong.headers["X-Request-ID"]} <= audited


def test_key_and_token_query_parameters_are_masked(client, key_for, log_lines):
    client.get(f"{API}/complaints?token=bocor-sekali&api_key=juga-bocor&channel=lapor", headers=key_for("admin"))
    [line] = access(log_lines(), f"{API}/complaints")
    assert "bocor" not in json.dumps(log_lines())
    assert "channel=lapor" in line["query"] and "token=%2A%2A%2A" in line["query"]
