"""Statuses the routes really answer with are in the OpenAPI document, with the body shape it describes."""

import pytest
import schemathesis

API = "/api/v1"


@pytest.fixture
def documented(client):
    """`documented(response)` fails unless the document lists the response's status, type and body shape."""
    schema = schemathesis.openapi.from_dict(client.app.openapi())

    def check(response) -> None:
        operation = schema.find_operation_by_path(response.request.method, response.request.url.path)
        assert operation is not None, response.request.url
        assert operation.responses.find_by_status_code(response.status_code) is not None, response.status_code
        schema.validate_response(operation, schemathesis.Response.from_any(response))

    return check


# (who, method, URL, JSON body or raw bytes, the status it really gets)
CASES = [
    ("none", "GET", "/me", None, 401),
    ("viewer", "GET", "/users", None, 403),
    ("viewer", "POST", "/opd", {"code": "X", "name": "x"}, 403),
    ("viewer", "GET", "/complaints", None, 403),
    ("viewer", "GET", "/escalation-ladder", None, 403),
    ("admin", "GET", "/users/nobody", None, 404),
    ("admin", "PATCH", "/users/nobody", {"name": "x"}, 404),
    ("admin", "DELETE", "/keys/999999", None, 404),
    ("admin", "POST", "/connectors/nope/sync", None, 404),
    ("admin", "GET", "/complaints/999999", None, 404),
    ("admin", "POST", "/complaints/999999/actions", {"action": "verify"}, 404),
    ("admin", "GET", "/opd/NOPE/overdue", None, 404),
    ("admin", "GET", "/letters/999999.pdf", None, 404),
    ("admin", "PATCH", "/opd/NOPE", {}, 404),
    ("admin", "GET", "/opd/NOPE/admins", None, 404),
    ("admin", "DELETE", "/sla-tiers/nope", None, 404),
    ("admin", "POST", "/opd", {"code": "DPUPR", "name": "Duplikat"}, 409),
    ("admin", "POST", "/sla-tiers", {"code": "cepat", "name": "Duplikat", "resolution_days": 3}, 409),
    ("admin", "DELETE", "/opd/DPUPR", None, 409),
    ("admin", "POST", "/auth/login", b'{"username": "\xff"}', 400),
    ("admin", "POST", "/opd", b'{"code": "\xff"}', 400),
    ("admin", "POST", "/auth/logout", None, 400),
    ("none", "POST", "/webhooks/nope", b"{}", 404),
    ("none", "GET", "/open311/v2/requests/NOPE.json", None, 404),
    ("none", "GET", "/open311/v2/requests.json?status=maybe", None, 400),
    ("none", "POST", "/open311/v2/requests.json", {"service_code": "INFRA-JALAN"}, 403),
]


@pytest.mark.parametrize(("who", "method", "url", "body", "status"), CASES,
                         ids=[f"{c[1]} {c[2]} {c[4]}" for c in CASES])
def test_real_statuses_are_documented(client, key_for, documented, who, method, url, body, status):
    headers = key_for(who) if who != "none" else {}
    url = url if url.startswith("/open311") else API + url
    if url.startswith("/open311") and method == "POST":
        r = client.post(url, data=body)
    elif isinstance(body, bytes):
        r = client.request(method, url, content=body, headers={**headers, "Content-Type": "application/json"})
    else:
        r = client.request(method, url, json=body, headers=headers)
    assert r.status_code == status, r.text
    documented(r)


def test_every_body_taking_operation_documents_the_size_cap_and_unreadable_bodies(client):
    for path, operations in client.app.openapi()["paths"].items():
        for method, operation in operations.items():
            assert "422" in operation["responses"], f"{method} {path}"
            if "requestBody" in operation:
                assert {"400", "413"} <= operation["responses"].keys(), f"{method} {path}"
