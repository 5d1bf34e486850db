"""Every route that takes a body refuses one over its limit with 413, before authentication or parsing."""

from __future__ import annotations

import re

import pytest

from api.body_limit import MULTIPART_OVERHEAD
from api.main import create_app

UPLOAD = "/api/v1/complaints/import"


def routes_with_a_body() -> list[tuple[str, str]]:
    """Every write: the documented bodies, and those a route reads raw (the webhook's signed bytes)."""
    document = create_app().openapi()
    return sorted((method.upper(), path) for path, operations in document["paths"].items()
                  for method in operations if method in ("post", "put", "patch", "delete"))


def test_the_routes_with_a_body_include_uploads_forms_json_and_webhooks():
    paths = {path for _, path in routes_with_a_body()}
    assert {UPLOAD, "/api/v1/complaints", "/api/v1/webhooks/{instance_name}", "/open311/v2/requests.json",
            "/api/v1/auth/login"} <= paths


@pytest.mark.parametrize("method, path", routes_with_a_body())
def test_a_body_over_the_limit_is_413_on_every_route(client, key_for, settings, method, path):
    limit = settings.upload_max_bytes + MULTIPART_OVERHEAD if path == UPLOAD else settings.body_max_bytes
    url = re.sub(r"\{[^}]+\}", "1", path)
    response = client.request(method, url, content=b"{" * (limit + 1), headers={
        **key_for("admin"), "Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["detail"]["errors"] == []
    assert response.json()["detail"]["message"].startswith("Isi permintaan lebih dari")


def test_a_body_at_the_limit_reaches_the_route(client, key_for, settings):
    response = client.post("/api/v1/complaints", content=b" " * (settings.body_max_bytes - 2) + b"{}",
                           headers={**key_for("admin"), "Content-Type": "application/json"})
    assert response.status_code == 422  # the route's own validation, not the size cap
