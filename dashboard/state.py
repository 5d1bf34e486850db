"""Process-wide dashboard configuration: settings and the API client, set once by `create_dash`."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import flask
import httpx

from core.runtime.settings import Settings
from dashboard import browser_session
from dashboard.client import ApiClient, ApiError
from dashboard.shaping import Labels

T = TypeVar("T")

_settings: Settings | None = None
_client: ApiClient | None = None
_cache: dict[str, tuple[float, Any]] = {}
REFERENCE_TTL = 300.0


def configure(settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
    global _settings, _client
    _settings = settings
    _client = ApiClient(settings.dashboard_api_url, timeout=settings.dashboard_timeout_seconds,
                        transport=transport)
    _cache.clear()


def settings() -> Settings:
    if _settings is None:
        raise RuntimeError("dashboard not configured: call create_dash(settings) first")
    return _settings


def client() -> ApiClient:
    """The API client speaking for this request's browser (its log-in, or nobody yet)."""
    if _client is None:
        raise RuntimeError("dashboard not configured: call create_dash(settings) first")
    return _client.as_caller(browser_session.credentials())


def public_client() -> ApiClient:
    """The API client for the public page: nobody's credentials, even when staff are logged in (the public page
    shows what anyone sees), but the browser's address, so the API's rate limit counts this person."""
    if _client is None:
        raise RuntimeError("dashboard not configured: call create_dash(settings) first")
    origin = browser_session.origin_headers() if flask.has_request_context() else {}
    return _client.as_caller(browser_session.Anonymous(origin))


def login() -> browser_session.BrowserLogin | None:
    """Who is looking (role, OPD): only to shape the page; the API decides what data they get."""
    return browser_session.current()


def browser_id() -> str:
    """Whose browser this request comes from, for what the dashboard keeps per person (grid cursors)."""
    return browser_session.browser_id() or "-"


def tz() -> ZoneInfo:
    return settings().tz


def now() -> datetime:
    return datetime.now(UTC)


def fetch(call: Callable[[ApiClient], T], api: ApiClient | None = None) -> tuple[T | None, ApiError | None]:
    """Run one API call; an `ApiError` comes back as a value so callbacks never raise."""
    try:
        return call(api or client()), None
    except ApiError as exc:
        return None, exc


def fetch_many(calls: dict[str, Callable[[ApiClient], Any]]) -> dict[str, tuple[Any, ApiError | None]]:
    """Several independent API calls at once (the API answers them in parallel); same results as `fetch`."""
    if len(calls) <= 1:
        return {name: fetch(call) for name, call in calls.items()}
    api = client()  # resolved here: the worker threads have no Flask request (and so no log-in) of their own
    with ThreadPoolExecutor(max_workers=min(8, len(calls))) as pool:
        futures = {name: pool.submit(fetch, call, api) for name, call in calls.items()}
        return {name: future.result() for name, future in futures.items()}


def reference(name: str, call: Callable[[ApiClient], T]) -> tuple[T | None, ApiError | None]:
    """Reference lists (channels, statuses, OPD, categories, kecamatan) change rarely: cached a few minutes."""
    hit = _cache.get(name)
    if hit and time.monotonic() - hit[0] < REFERENCE_TTL:
        return hit[1], None
    data, err = fetch(call)
    if err is None:
        _cache[name] = (time.monotonic(), data)
    return data, err


def labels() -> Labels:
    """Channel and status labels as the API serves them (raw codes while it cannot be asked)."""
    channels, _ = reference("channels", lambda c: c.channels())
    statuses, _ = reference("statuses", lambda c: c.statuses())
    return Labels.from_api(channels, statuses)
