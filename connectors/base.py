"""What a connector is. Code declares it; the database holds each configured instance.

Three kinds share one contract — turn an upstream payload into a `ComplaintDraft`:
- `PullConnector`: paginated fetch with a cursor/bookmark (LAPOR!, Google reviews);
- `PushConnector`: webhook verify + split into payloads (WhatsApp);
- `FileConnector`: parse an export file into row payloads (112 CAD, bulk manual entry).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel

from core.ingest import ComplaintDraft


class ConnectorError(Exception):
    """Base of errors raised while talking to an upstream."""


class RetriableError(ConnectorError):
    """Timeouts, connection errors, 429 and 5xx: retried with backoff."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(ConnectorError):
    """401/403/404, bad config, a repeated page token: the run stops and records why."""


@dataclass
class Skip:
    """A payload that landed but is not a complaint (a prank call, a 5-star review...)."""

    reason: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Applied:
    """The connector applied the payload itself (a message appended to an existing thread)."""

    outcome: str  # "new" | "updated" | "unchanged"
    note: str = ""


@dataclass
class Page:
    """One page from upstream: payloads keyed by external id plus the bookmark after it."""

    records: list[tuple[str, Any]]
    bookmark: dict[str, Any] | None


class Connector:
    name: ClassVar[str]  # the kind, as registered in the `aduan.connectors` entry-point group
    channel: ClassVar[str]
    Config: ClassVar[type[BaseModel]]
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: BaseModel | Mapping[str, Any]):
        self.config = config if isinstance(config, BaseModel) else self.Config.model_validate(config)

    @classmethod
    def redact(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        return {k: ("***" if k in cls.secret_fields and v else v) for k, v in config.items()}

    def normalise(self, payload: Any) -> ComplaintDraft | Skip:
        raise NotImplementedError

    def normalise_in(self, session, payload: Any, resolver) -> ComplaintDraft | Skip | Applied:
        """Normalise with database context, for payloads that depend on earlier ones (a WhatsApp
        thread, a status callback, a 112 call counter). Most connectors only implement `normalise`."""
        return self.normalise(payload)


class PullConnector(Connector):
    primary_key: ClassVar[str]
    cursor_field: ClassVar[str | None] = None

    def fetch_pages(self, client, bookmark: dict[str, Any] | None) -> Iterator[Page]:
        raise NotImplementedError


class PushConnector(Connector):
    signature_header: ClassVar[str | None] = None  # absent header → 401, wrong signature → 403

    def verify_handshake(self, params: Mapping[str, str]) -> str | None:
        """Answer to a subscription handshake, or None if it must be refused."""
        raise NotImplementedError

    def verify_signature(self, body: bytes, headers: Mapping[str, str]) -> bool:
        raise NotImplementedError

    def split(self, body: bytes) -> Iterable[tuple[str, Any]]:
        """(external id, payload) pairs contained in one delivery."""
        raise NotImplementedError


class FileConnector(Connector):
    def read_rows(self, content: bytes, filename: str) -> Iterable[tuple[str, Any]]:
        raise NotImplementedError
