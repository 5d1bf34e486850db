"""The dashboard client's types against the API's own OpenAPI document: a field the client reads that the API
does not send, or a field the API always sends that the client does not declare, fails here."""

from __future__ import annotations

import inspect
from typing import Any, is_typeddict

import pytest

from api.main import create_app
from dashboard import client

# TypedDict → (GET path, properties to walk from the response body to the object it types)
CONTRACT: list[tuple[type, str, tuple[str, ...]]] = [
    (client.ChannelInfo, "/api/v1/channels", ()),
    (client.StatusInfo, "/api/v1/statuses", ()),
    (client.Summary, "/api/v1/stats/summary", ()),
    (client.GroupItem, "/api/v1/stats/by-channel", ("items",)),
    (client.GroupItem, "/api/v1/stats/by-opd", ("items",)),
    (client.GroupItem, "/api/v1/stats/by-category", ("items",)),
    (client.KecamatanItem, "/api/v1/stats/by-kecamatan", ("items",)),
    (client.TimePoint, "/api/v1/stats/timeseries", ("items",)),
    (client.Rapor, "/api/v1/rapor", ()),
    (client.RaporRow, "/api/v1/rapor", ("rows",)),
    (client.RaporRow, "/api/v1/rapor", ("total",)),
    (client.Satisfaction, "/api/v1/rapor", ("rows", "satisfaction")),
    (client.ConnectorStatus, "/api/v1/connectors", ()),
    (client.Freshness, "/api/v1/stats/freshness", ()),
    (client.ChannelAge, "/api/v1/stats/freshness", ("items",)),
    (client.SimilarItem, "/api/v1/complaints/{complaint_id}/similar", ("items",)),
    (client.UserInfo, "/api/v1/users", ()),
    (client.HandbackPreview, "/api/v1/lapor-manual/preview", ()),
    (client.PublicComplaint, "/api/v1/public/complaints/{tracking_code}", ()),
    (client.PublicStep, "/api/v1/public/complaints/{tracking_code}", ("timeline",)),
    (client.PublicFigures, "/api/v1/public/figures", ()),
    (client.PublicSummary, "/api/v1/public/figures", ("summary",)),
    (client.PublicMonth, "/api/v1/public/figures", ("by_month",)),
    (client.TrendTopics, "/api/v1/trends/topics", ()),
    (client.TrendTopic, "/api/v1/trends/topics", ("topics",)),
    (client.TopicExample, "/api/v1/trends/topics", ("topics", "examples")),
    (client.TrendChannel, "/api/v1/trends/topics", ("topics", "channels")),
    (client.TrendSpikes, "/api/v1/trends/spikes", ()),
    (client.TrendSpike, "/api/v1/trends/spikes", ("spikes",)),
    (client.TrendIssue, "/api/v1/trends/issues", ("issues",)),
]


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return create_app().openapi()


def _schema(doc: dict[str, Any], path: str, walk: tuple[str, ...]) -> dict[str, Any]:
    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return resolve(schema["items"]) if schema.get("type") == "array" else schema

    schema = resolve(doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"])
    for name in walk:
        schema = resolve(schema["properties"][name])
    return schema


def drift(typed: type, schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(fields the client declares that the API does not send, required API fields the client lacks)."""
    declared = set(typed.__required_keys__) | set(typed.__optional_keys__)
    return declared - set(schema.get("properties", {})), set(schema.get("required", ())) - declared


@pytest.mark.parametrize(("typed", "path", "walk"), CONTRACT,
                         ids=[f"{t.__name__}@{p}{'.' + '.'.join(w) if w else ''}" for t, p, w in CONTRACT])
def test_client_type_matches_the_response_schema(openapi, typed, path, walk):
    unknown, missing = drift(typed, _schema(openapi, path, walk))
    assert not unknown, f"{typed.__name__} declares fields {path} does not send: {sorted(unknown)}"
    assert not missing, f"{typed.__name__} lacks fields {path} always sends: {sorted(missing)}"


def test_every_client_type_is_checked():
    declared = {obj for _, obj in inspect.getmembers(client, is_typeddict) if obj.__module__ == client.__name__}
    assert declared == {typed for typed, _, _ in CONTRACT}


def test_drift_is_seen_both_ways(openapi):
    schema = _schema(openapi, "/api/v1/stats/timeseries", ("items",))

    class Stale(client.TimePoint):
        gone: int

    class Short(dict):
        __required_keys__ = frozenset({"period"})
        __optional_keys__ = frozenset()

    assert drift(Stale, schema) == ({"gone"}, set())
    assert drift(Short, schema) == (set(), {"total", "resolved"})
