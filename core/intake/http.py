"""Talking to an upstream over HTTP: error classification, bounded retries, page tokens, capped JSON.

Core opens one client per run (`client_for`); pull connectors and the file importer use the same
classification (`get_json_once`, `get_bytes_once`) and retry policy (`Retrier`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from core.intake.contract import FatalError, HttpPolicy, RefusedError, RetriableError, TooLargeError, dig

USER_AGENT = "aduan-terpadu/1 (+sinkronisasi)"
DOWNLOAD_CHUNK = 64 * 1024


def timeout(policy: HttpPolicy) -> httpx.Timeout:
    return httpx.Timeout(policy.timeout_seconds, connect=min(policy.timeout_seconds, 10.0))


def client_for(policy: HttpPolicy) -> httpx.Client:
    """The one client of a run."""
    return httpx.Client(timeout=timeout(policy), headers={"User-Agent": USER_AGENT})


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` is delay-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _describe(response: httpx.Response) -> str:
    snippet = response.text[:200].replace("\n", " ") if response.content else ""
    where = f"{response.request.method} {response.request.url.copy_with(query=None)}"
    return f"HTTP {response.status_code} dari {where}" + (f": {snippet}" if snippet else "")


def _classify(response: httpx.Response) -> None:
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


def get_json_once(client: httpx.Client, url: str, params: Mapping[str, Any] | None = None,
                  headers: Mapping[str, str] | None = None, refuse: tuple[int, ...] = ()) -> Any:
    """One GET, with every failure turned into a RetriableError or a FatalError (a RefusedError for the
    `refuse` statuses: this record cannot be had, the others can)."""
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.TimeoutException as exc:
        raise RetriableError(f"batas waktu habis ({exc.__class__.__name__}) pada GET {url}") from exc
    except httpx.TransportError as exc:
        raise RetriableError(f"gagal terhubung ({exc.__class__.__name__}) pada GET {url}: {exc}") from exc
    if response.status_code in refuse:
        raise RefusedError("ditolak upstream (" + _describe(response) + ")")
    _classify(response)
    try:
        return parse_json(response.content)
    except ValueError as exc:  # truncated or garbled body: the next try usually gets it whole
        raise RetriableError(f"JSON tidak utuh/tidak valid dari GET {url} ({len(response.content)} byte)") from exc


def send_json_once(client: httpx.Client, method: str, url: str, body: Any,
                   headers: Mapping[str, str] | None = None, refuse: tuple[int, ...] = (409, 422),
                   message_path: str = "message") -> Any:
    """One write (POST/PUT…) of a write-back: `refuse` statuses raise RefusedError with the upstream's own
    reason (at `message_path` of its JSON body, else the body's text); the rest is classified as a GET is.
    Returns the parsed JSON body (None when it is empty or unreadable: the write was taken)."""
    try:
        response = client.request(method, url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise RetriableError(f"batas waktu habis ({exc.__class__.__name__}) pada {method} {url}") from exc
    except httpx.TransportError as exc:
        raise RetriableError(f"gagal terhubung ({exc.__class__.__name__}) pada {method} {url}: {exc}") from exc
    if response.status_code in refuse:
        try:
            reason = dig(parse_json(response.content), message_path)
        except ValueError:
            reason = None
        raise RefusedError(str(reason or response.text[:500] or f"HTTP {response.status_code}"))
    _classify(response)
    try:
        return parse_json(response.content) if response.content else None
    except ValueError:
        return None


def get_bytes_once(client: httpx.Client, url: str, headers: Mapping[str, str] | None, max_bytes: int,
                   too_large: str, refuse: tuple[int, ...] = ()) -> bytes:
    """One streamed GET of a file, abandoned as soon as it is over `max_bytes` (declared or not):
    TooLargeError (a FatalError). `refuse` statuses raise RefusedError, as in `get_json_once`."""
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                response.read()
            if response.status_code in refuse:
                raise RefusedError("ditolak upstream (" + _describe(response) + ")")
            _classify(response)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise TooLargeError(too_large)
            chunks, size = [], 0
            for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLargeError(too_large)
                chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise RetriableError(f"batas waktu habis ({exc.__class__.__name__}) pada GET {url}") from exc
    except httpx.TransportError as exc:
        raise RetriableError(f"gagal terhubung ({exc.__class__.__name__}) pada GET {url}: {exc}") from exc
    return b"".join(chunks)


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
    """Level by level, without recursion, keeping only the containers of each level (decoded JSON holds plain
    dicts and lists: `type(...) in` is a third of the time `isinstance` took on a 500-report page)."""
    level, depth = [data] if type(data) in (dict, list) else [], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [child for v in level for child in (v.values() if type(v) is dict else v)
                 if type(child) in (dict, list)]
    return False
