"""Retriable vs fatal upstream errors, backoff bounds, Retry-After, and the page-token guard."""

from email.utils import format_datetime

import httpx
import pytest

from connectors.base import FatalError, HttpPolicy, RetriableError, TokenPaginator
from connectors.http import Retrier, get_json_once, parse_retry_after
from models.types import utcnow

POLICY = HttpPolicy(attempts=4, backoff_seconds=0.5, backoff_max_seconds=2, retry_after_max_seconds=30)


def upstream(*responses):
    """A client whose upstream answers with `responses` in turn (an exception is raised instead)."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        answer = responses[min(len(calls), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.Client(transport=httpx.MockTransport(handler)), calls


def fetch(client, sleeps):
    retrier = Retrier(POLICY, sleep=sleeps.append)
    return retrier.call(lambda: get_json_once(client, "http://up/x")), retrier


def test_server_errors_timeouts_and_truncated_bodies_are_retried_with_bounded_backoff():
    client, calls = upstream(httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, text='{"a": [1, 2'),
                             httpx.Response(200, json={"a": [1, 2]}))
    sleeps = []
    body, retrier = fetch(client, sleeps)
    assert body == {"a": [1, 2]} and len(calls) == 4 and retrier.retries == 3
    assert all(0 <= s <= POLICY.backoff_max_seconds for s in sleeps)


def test_retry_after_is_honoured_and_capped():
    client, _ = upstream(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={}))
    sleeps = []
    fetch(client, sleeps)
    assert sleeps == [7.0]
    client, _ = upstream(httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, json={}))
    sleeps = []
    fetch(client, sleeps)
    assert sleeps == [POLICY.retry_after_max_seconds]


def test_retry_after_as_http_date():
    from datetime import timedelta

    assert 55 <= parse_retry_after(format_datetime(utcnow() + timedelta(seconds=60), usegmt=True)) <= 60
    assert parse_retry_after("soon") is None


def test_giving_up_after_the_last_attempt():
    client, calls = upstream(httpx.ConnectError("refused"))
    with pytest.raises(RetriableError, match="gagal terhubung"):
        fetch(client, [])
    assert len(calls) == POLICY.attempts


@pytest.mark.parametrize("status", [401, 403, 404, 400])
def test_client_errors_are_fatal_at_once(status):
    client, calls = upstream(httpx.Response(status, json={"error": "no"}))
    with pytest.raises(FatalError, match=f"HTTP {status}"):
        fetch(client, [])
    assert len(calls) == 1


def test_error_messages_never_carry_the_query_string():
    client, _ = upstream(httpx.Response(401))
    with pytest.raises(FatalError) as caught:
        Retrier(POLICY).call(lambda: get_json_once(client, "http://up/x", params={"key": "secret"}))
    assert "secret" not in str(caught.value)


def test_a_repeated_page_token_is_fatal_after_the_pages_before_it():
    bodies = {None: {"n": 1, "next": "a"}, "a": {"n": 2, "next": "b"}, "b": {"n": 3, "next": "a"}}
    pages = TokenPaginator("next").pages(lambda token: bodies[token])
    assert [next(pages)["n"] for _ in range(3)] == [1, 2, 3]
    with pytest.raises(FatalError, match="'a'"):
        next(pages)


def test_nested_token_paths_and_the_last_page():
    bodies = {None: {"meta": {"t": "x"}}, "x": {"meta": {"t": None}}}
    assert len(list(TokenPaginator("meta.t").pages(lambda token: bodies[token]))) == 2


def test_an_instance_overrides_only_the_retry_settings_it_names():
    from connectors.base import Context
    from connectors.lapor import LaporConnector

    settings_policy = HttpPolicy(attempts=9, backoff_seconds=2.0)
    connector = LaporConnector({"base_url": "http://127.0.0.1:9", "token": "t", "http": {"backoff_seconds": 0.1}},
                               Context(http=settings_policy))
    assert (connector.retrier.policy.attempts, connector.retrier.policy.backoff_seconds) == (9, 0.1)


def test_a_page_nested_too_deep_is_refused_not_a_crash():
    deep = "[" * 5000 + "]" * 5000
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200, text=deep)))
    with pytest.raises(RetriableError, match="JSON tidak utuh/tidak valid"):
        get_json_once(client, "http://127.0.0.1:1/page")
