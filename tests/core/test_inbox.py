"""The inbox keeps payloads as received, as far as the databases can hold them."""

import pytest

from core.intake.inbox import land, land_page, payload_hash, storable
from models import RawState
from tests.emulated import RawRecord, count


@pytest.mark.parametrize("payload, kept", [
    ({"a": "x\x00y"}, {"a": "x\ufffdy"}),
    ({"k\x00": ["\x00", 1]}, {"k\ufffd": ["\ufffd", 1]}),
    ({"a": "\\u0000"}, {"a": "\\u0000"}),  # a backslash and "u0000" typed by someone: text, not a NUL
    ({"a": "\\\x00"}, {"a": "\\\ufffd"}),
    ({"a": "bersih", "n": [1, 2.5, None, True]}, {"a": "bersih", "n": [1, 2.5, None, True]}),
])
def test_nul_is_kept_as_the_replacement_character_and_nothing_else_changes(payload, kept):
    stored, digest = storable(payload)
    assert stored == kept and digest == payload_hash(kept)


def test_a_payload_with_nul_lands_once(session):
    first, new = land(session, "whatsapp", "wamid.1", {"text": "Jalan\x00 rusak"})
    session.commit()
    again, new_again = land(session, "whatsapp", "wamid.1", {"text": "Jalan\x00 rusak"})
    assert (new, new_again) == (True, False) and again.id == first.id
    session.expire_all()
    assert again.payload == {"text": "Jalan\ufffd rusak"}


def test_a_page_landed_then_abandoned_leaves_nothing_behind(session):
    # On SQLite the inbox's savepoint used to open the transaction itself, and releasing it committed the page's
    # payloads before the page was applied: a page that then failed left them marked normalised, and the next run
    # took them for handled (complaints lost).
    landed = land_page(session, "lapor", [("1001", {"judul": "Jalan rusak"}), ("1002", {"judul": "Lampu mati"})],
                       states=[RawState.normalised, RawState.normalised])
    assert [r.is_new for r in landed] == [True, True]
    session.rollback()
    assert count(session, RawRecord) == 0
    assert [r.is_new for r in land_page(session, "lapor", [("1001", {"judul": "Jalan rusak"})])] == [True]
