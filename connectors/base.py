"""What a connector is: a declaration (core.intake.contract) plus the helpers of its kind.

Every kind returns data only — drafts, thread messages, receipts, tallies, skips — never touching a
database or settings; core lands, applies and commits (core.intake.pipeline):
- `PullConnector`: paginated fetch; core advances the bookmark from `cursor_field` (LAPOR!, Google reviews);
- `PushConnector`: webhook verify + split into payloads (WhatsApp);
- `FileConnector`: one row of an export file at a time (112 CAD).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

from core.intake.contract import (
    CallTally,
    ComplaintDraft,
    Connector,
    ConnectorError,
    Context,
    DeliveryReceipt,
    DraftEvent,
    FatalError,
    HttpPolicy,
    Lifecycle,
    Marks,
    NormaliseError,
    Page,
    RefusedError,
    RetriableError,
    Skip,
    ThreadMessage,
    Translation,
    UpstreamAck,
    UpstreamAction,
    dig,
    parse_timestamp,
)
from core.intake.http import MAX_JSON_DEPTH, Retrier, TokenPaginator, get_json_once, parse_json, send_json_once

__all__ = ["Connector", "PullConnector", "PushConnector", "FileConnector", "PullConfig", "Page", "Marks", "Skip",
           "ComplaintDraft", "DraftEvent", "ThreadMessage", "DeliveryReceipt", "CallTally", "NormaliseError",
           "Translation", "Context", "ConnectorError", "RetriableError", "FatalError", "HttpPolicy",
           "Lifecycle", "UpstreamAction", "UpstreamAck", "RefusedError",
           "TokenPaginator", "dig", "parse_timestamp", "parse_json", "MAX_JSON_DEPTH", "send_json_once"]



class PullConfig(BaseModel):
    """Base of a pull connector's config: unknown keys are typos, so they are refused."""

    model_config = ConfigDict(extra="forbid")

    http: HttpPolicy | None = None  # overrides the settings' timeouts/retries for this instance


class PullConnector(Connector):
    """Declared like a singer stream: what identifies a record, what orders it, how pages follow.

    `fetch_pages(client, marks)` yields pages; the runner lands and commits each page, then moves the
    bookmark to the highest `cursor_field` committed, so a restart resumes from the last committed page.
    """

    kind = "pull"
    primary_key: ClassVar[str]
    paginator: ClassVar[TokenPaginator]

    def __init__(self, config: BaseModel | Mapping[str, Any], context: Context | None = None):
        super().__init__(config, context)
        policy = self.context.http
        override = getattr(self.config, "http", None)
        if override is not None:  # only what the instance sets; the rest stays as in settings
            policy = policy.model_copy(update=override.model_dump(exclude_unset=True))
        self.retrier = Retrier(policy)

    def fetch_pages(self, client: httpx.Client, marks: Marks) -> Iterator[Page]:
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
    kind = "push"
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
    """Core reads the export (CSV or XLSX, capped, core.intake.tabular) and hands each row to `normalise`
    as `{column: text}`; `primary_key` names the column of the upstream id."""

    kind = "file"
    primary_key: ClassVar[str] = "id"
