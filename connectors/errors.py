"""Error types of a connector run: retriable ones are retried with backoff, fatal ones stop the run."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of errors raised while talking to an upstream."""


class RetriableError(ConnectorError):
    """Timeouts, connection errors, 429, 5xx, a truncated body: retried with backoff."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(ConnectorError):
    """401/403/404, bad config, a repeated page token: the run stops and records why."""
