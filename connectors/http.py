"""Talking to an upstream over HTTP: error classification, bounded retries, page tokens."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from connectors.errors import FatalError, RetriableError
from models.types import utcnow


class HttpPolicy(BaseModel):
    """Timeouts and retry bounds of one run; defaults come from settings, a config may override."""

    model_config = ConfigDict(extra="forbid")

    timeout_seconds: float = Field(30.0, gt=0)
    attempts: int = Field(6, ge=1, le=50, description="tries per request, first one included")
    backoff_seconds: float = Field(1.0, ge=0, description="base of the exponential backoff (full jitter)")
    backoff_max_seconds: float = Field(60.0, ge=0)
    retry_after_max_seconds: float = Field(300.0, ge=0, description="cap on an upstream's Retry-After")

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout_seconds, connect=min(self.timeout_seconds, 10.0))


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` is delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - utcnow()).total_seconds())
    except (TypeError, ValueError):
        return None


def _describe(response: httpx.Response) -> str:
    snippet = response.text[:200].replace("\n", " ") if response.content else ""
    where = f"{response.request.method} {response.request.url.copy_with(query=None)}"
    return f"HTTP {response.status_code} dari {where}" + (f": {snippet}" if snippet else "")


def get_json_once(client: httpx.Client, url: str, params: Mapping[str, Any] | None = None,
                  headers: Mapping[str, str] | None = None) -> Any:
    """One GET, with every failure turned into a RetriableError or a FatalError."""
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.TimeoutException as exc:
        raise RetriableError(f"batas waktu habis ({exc.__class__.__name__}) pada GET {url}") from exc
    except httpx.TransportError as exc:
        raise RetriableError(f"gagal terhubung ({exc.__class__.__name__}) pada GET {url}: {exc}") from exc
    status = response.status_code
    if status == 429:
        raise RetriableError("dibatasi upstream (" + _describe(response) + ")",
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500:
        raise RetriableError("gangguan upstream (" + _describe(response) + ")",
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        raise FatalError("kredensial ditolak upstream (" + _describe(response)
                         + "); periksa token pada konfigurasi konektor")
    if status == 404:
        raise FatalError("alamat tidak ditemukan di upstream (" + _describe(response)
                         + "); periksa base_url dan lokasi pada konfigurasi konektor")
    if status >= 400:
        raise FatalError("permintaan ditolak upstream (" + _describe(response) + ")")
    try:
        return parse_json(response.content)
    except ValueError as exc:  # truncated or garbled body: the next try usually gets it whole
        raise RetriableError(f"JSON tidak utuh/tidak valid dari GET {url} ({len(response.content)} byte)") from exc


@dataclass
class Retrier:
    """Bounded retries with exponential backoff and full jitter, honouring Retry-After."""

    policy: HttpPolicy
    sleep: Callable[[float], None] = time.sleep
    retries: int = 0
    last_error: str | None = None

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=self.policy.backoff_seconds,
                                          max=self.policy.backoff_max_seconds)(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return max(min(retry_after, self.policy.retry_after_max_seconds), backoff)
        return backoff

    def _count(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        self.last_error = str(exc)

    def call(self, fn: Callable[[], Any]) -> Any:
        retrying = Retrying(retry=retry_if_exception_type(RetriableError),
                            stop=stop_after_attempt(self.policy.attempts), wait=self._wait,
                            sleep=self.sleep, before_sleep=self._count, reraise=True)
        return retrying(fn)


def dig(data: Any, path: str) -> Any:
    """`dig(body, "pagination.next_page_token")`: None when any step is missing."""
    for part in path.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


@dataclass(frozen=True)
class TokenPaginator:
    """Follows the next-page token found at `token_path` and refuses to go round in circles."""

    token_path: str

    def pages(self, fetch: Callable[[str | None], Any]) -> Iterator[Any]:
        """Yield each response body; `fetch(token)` gets one page (token None = first page)."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            body = fetch(token)
            yield body
            following = dig(body, self.token_path)
            if not following:
                return
            if following in seen:
                raise FatalError(f"upstream mengulang page token {following!r}; sinkronisasi dihentikan "
                                 "agar tidak berputar tanpa akhir")
            seen.add(following)
            token = following


MAX_JSON_DEPTH = 64


def parse_json(body: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON from outside with arrays and objects nested at most `max_depth` deep, or a ValueError saying why."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"body is not JSON: {exc}") from None
    if _deeper_than(data, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Level by level, without recursion."""
    level, depth = [data], 0
    while level := [v for v in level if isinstance(v, dict | list)]:
        depth += 1
        if depth > limit:
            return True
        level = [child for v in level for child in (v.values() if isinstance(v, dict) else v)]
    return False
