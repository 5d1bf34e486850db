"""What a connector is. Code declares it; the database holds each configured instance.

Three kinds share one contract — turn an upstream payload into a `ComplaintDraft`:
- `PullConnector`: paginated fetch with a cursor/bookmark (LAPOR!, Google reviews);
- `PushConnector`: webhook verify + split into payloads (WhatsApp);
- `FileConnector`: parse an export file into row payloads (112 CAD, bulk manual entry).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

from connectors.errors import ConnectorError, FatalError, RetriableError
from connectors.http import MAX_JSON_DEPTH, HttpPolicy, Retrier, TokenPaginator, dig, get_json_once, parse_json
from core.intake.ingest import ComplaintDraft

__all__ = ["Connector", "PullConnector", "PushConnector", "FileConnector", "PullConfig", "Page", "Skip",
           "ConnectorError", "RetriableError", "FatalError", "HttpPolicy", "TokenPaginator", "dig",
           "parse_timestamp", "parse_json", "MAX_JSON_DEPTH"]

_FRACTION = re.compile(r"(\.\d{6})\d+")
# Upstream payloads nest about 8 deep; far deeper is an attack on the parser and on every later walk of the data
# (hashing, storing as JSON, normalising), which Python does recursively.


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 / RFC 3339 with an offset or Z (nanoseconds allowed) → aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"waktu tidak valid: {value!r}")
    parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value.strip()))
    if parsed.tzinfo is None:
        raise ValueError(f"waktu tanpa zona waktu: {value!r}")
    return parsed.astimezone(UTC)


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
    expected: int | None = None  # records the whole walk will bring, when upstream says (progress bars)


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


class PullConfig(BaseModel):
    """Base of a pull connector's config: unknown keys are typos, so they are refused."""

    model_config = ConfigDict(extra="forbid")

    http: HttpPolicy | None = None  # overrides the settings' timeouts/retries for this instance


class PullConnector(Connector):
    """Declared like a singer stream: what identifies a record, what orders it, how pages follow.

    `fetch_pages` yields pages; the runner lands and commits each page, then stores its bookmark,
    so a crash between pages loses nothing and a restart resumes from the last committed page.
    """

    primary_key: ClassVar[str]  # payload path of the upstream id
    cursor_field: ClassVar[str | None] = None  # payload path of the replication key (updated time)
    paginator: ClassVar[TokenPaginator]

    def __init__(self, config: BaseModel | Mapping[str, Any], policy: HttpPolicy | None = None):
        super().__init__(config)
        policy = policy or HttpPolicy()
        override = getattr(self.config, "http", None)
        if override is not None:  # only what the instance sets; the rest stays as in settings
            policy = policy.model_copy(update=override.model_dump(exclude_unset=True))
        self.retrier = Retrier(policy)

    def fetch_pages(self, client: httpx.Client, bookmark: dict[str, Any] | None) -> Iterator[Page]:
        raise NotImplementedError

    def get_json(self, client: httpx.Client, url: str, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> Any:
        """GET with bounded retries on retriable errors; fatal ones propagate at once."""
        return self.retrier.call(lambda: get_json_once(client, url, params, headers))

    def external_id(self, payload: Any) -> str:
        value = dig(payload, self.primary_key)
        if value in (None, ""):
            raise FatalError(f"record tanpa {self.primary_key!r} dari upstream")
        return str(value)


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
