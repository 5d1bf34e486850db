"""core.intake.bookmark: the runner's marks move to the highest cursor a page brings, per partition, and only when
the page settles."""

from datetime import UTC, datetime

import pytest

from core.intake.bookmark import Bookmark, marks_of, page_high
from core.intake.contract import FatalError, Page


class Walk:
    cursor_field = "meta.updated"


def test_a_pages_highest_cursor_whatever_its_order():
    page = Page([("a", {"meta": {"updated": "2026-11-02T08:00:00+07:00"}}),
                 ("b", {"meta": {"updated": "2026-11-03T08:00:00+07:00"}}),
                 ("c", {"meta": {"updated": "2026-11-01T08:00:00+07:00"}})])
    assert page_high("meta.updated", page) == datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    assert page_high(None, page) is None and page_high("meta.updated", Page([])) is None


def test_a_record_without_a_valid_cursor_is_named():
    with pytest.raises(FatalError, match="record b tanpa 'meta.updated' yang valid"):
        page_high("meta.updated", Page([("a", {"meta": {"updated": "2026-11-02T08:00:00+07:00"}}),
                                         ("b", {"meta": {}})]))


def test_marks_move_per_partition_when_a_page_settles():
    bookmark = Bookmark(Walk(), {"marks": {"lokasi-1": "2026-11-01T00:00:00+00:00"}})
    walking = Page([("a", {"meta": {"updated": "2026-11-05T00:00:00+00:00"}})], partition="lokasi-2", settles=False)
    bookmark.see(walking)
    assert bookmark.settled(walking) is None  # newest first: not before the walk of the partition ends
    done = Page([("b", {"meta": {"updated": "2026-11-04T00:00:00+00:00"}})], partition="lokasi-2")
    bookmark.see(done, high=page_high(Walk.cursor_field, done))
    assert bookmark.settled(done) == {"marks": {"lokasi-1": "2026-11-01T00:00:00+00:00",
                                                "lokasi-2": "2026-11-05T00:00:00+00:00"}}
    assert bookmark.settled(done) is None  # unmoved since


def test_bookmarks_from_before_the_runner_kept_marks_are_read():
    assert marks_of({"updated_since": "2026-11-01T07:00:00+07:00"}) == {"": datetime(2026, 11, 1, tzinfo=UTC)}
    assert marks_of({"locations": {"x": "2026-11-01T00:00:00Z"}, "marks": None}) == \
        {"x": datetime(2026, 11, 1, tzinfo=UTC)}
    assert marks_of({"marks": {"INBOX#7": 42}}) == {"INBOX#7": 42}
