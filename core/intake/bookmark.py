"""The pull runner's bookmark: per partition, the highest `cursor_field` committed (core.intake.sync moves it).

A page's highest cursor is taken where the page is read (`page_high`), which for a backfill is a child process
that sends the payloads on as JSON text only (core.intake.read_process)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.intake.contract import Connector, FatalError, Page, dig, parse_timestamp


def cursor_value(value: Any) -> datetime | int:
    """A cursor as the runner compares it: an integer (an IMAP UID, a sequence number) or a timestamp."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return parse_timestamp(value)


def page_high(cursor_field: str | None, page: Page) -> datetime | int | None:
    """The highest cursor on `page` (None: no cursor field, or no records); FatalError names a record without
    a valid one."""
    if not cursor_field:
        return None
    high = None
    for external_id, payload in page.records:
        try:
            value = cursor_value(dig(payload, cursor_field))
        except ValueError:
            raise FatalError(f"record {external_id} tanpa {cursor_field!r} yang valid dari upstream") from None
        if high is None or value > high:
            high = value
    return high


def marks_of(bookmark: dict[str, Any] | None) -> dict[str, datetime | int]:
    """Partition → highest cursor committed. Bookmarks written before the runner kept them itself held
    `updated_since` (LAPOR!) or `locations` (Google reviews); they are read as the same marks."""
    bookmark = bookmark or {}
    stored = bookmark.get("marks")
    if stored is None:
        stored = dict(bookmark.get("locations") or {})
        if bookmark.get("updated_since"):
            stored[""] = bookmark["updated_since"]
    return {partition: cursor_value(value) for partition, value in stored.items()}


class Bookmark:
    """The runner's high-water marks: raised by each landed page, stored when a page settles."""

    def __init__(self, connector: Connector, stored: dict[str, Any] | None):
        self.cursor_field = connector.cursor_field
        self.marks = marks_of(stored)
        self.high = dict(self.marks)

    def see(self, page: Page, high: datetime | int | None = None) -> None:
        """Raise the partition's mark to the page's highest cursor (`high`: taken already by `page_high`)."""
        high = high if high is not None else page_high(self.cursor_field, page)
        if high is not None and (page.partition not in self.high or high > self.high[page.partition]):
            self.high[page.partition] = high

    def settled(self, page: Page) -> dict[str, Any] | None:
        """The bookmark to store with this page, or None when it does not move."""
        if not page.settles or self.high.get(page.partition) == self.marks.get(page.partition):
            return None
        self.marks[page.partition] = self.high[page.partition]
        return {"marks": {partition: mark.isoformat() if isinstance(mark, datetime) else mark
                          for partition, mark in self.marks.items()}}


__all__ = ["Bookmark", "cursor_value", "marks_of", "page_high"]
