"""Land, then normalise: payloads are stored as received before anything else happens
(the first step of core.intake.pipeline)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.runtime.bulk import Preformatted, copies, insert_rows, next_ids
from core.runtime.sqlfuncs import one_of
from models import RawRecord, RawState
from models.types import utcnow

# PostgreSQL can hold U+0000 neither in JSONB nor in text (a 500, and the upstream's retries fail the same way
# for ever). The inbox keeps it as U+FFFD on every database, so both hold the same payload and hash.
_ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def storable(payload: Any) -> tuple[Any, str]:
    """The payload as the inbox keeps it, and its hash."""
    payload, digest, _blob = stored_form(payload)
    return payload, digest


def stored_form(payload: Any) -> tuple[Any, str, str]:
    """The payload as the inbox keeps it, its hash and its canonical JSON text."""
    blob = _canonical(payload)
    if "\\u0000" in blob:
        payload = json.loads(_ESCAPED_NUL.sub(r"\1\\ufffd", blob))
        blob = _canonical(payload)
    return payload, hashlib.sha256(blob.encode()).hexdigest(), blob


def _canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


def hash_items(items: list[tuple[str, Any]]) -> list[tuple[str, Any, str, str]]:
    """`(external id, payload)` pairs as `land_page` takes them ready: `(external id, payload, hash, JSON text)`."""
    return [(external_id, *stored_form(payload)) for external_id, payload in items]


def _decoded(payload: Any, blob: str) -> Any:
    return payload if payload is not None else json.loads(blob)


def payload_hash(payload: Any) -> str:
    return storable(payload)[1]


def land(session: Session, channel: str, external_id: str, payload: Any,
         instance_id: int | None = None, attempts: int = 0) -> tuple[RawRecord, bool]:
    """Store a payload unless the identical one is already there. Returns (record, is_new)."""
    payload, digest = storable(payload)
    existing = session.exec(select(RawRecord).where(
        RawRecord.channel == channel, RawRecord.external_id == external_id, RawRecord.payload_hash == digest
    )).first()
    if existing is not None:
        return existing, False
    record = RawRecord(channel=channel, external_id=external_id, payload=payload, payload_hash=digest,
                       connector_instance_id=instance_id, attempts=attempts)
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:  # a concurrent delivery landed it first
        existing = session.exec(select(RawRecord).where(
            RawRecord.channel == channel, RawRecord.external_id == external_id,
            RawRecord.payload_hash == digest)).one()
        return existing, False
    return record, True


COLUMNS = ("channel", "external_id", "payload", "payload_hash", "connector_instance_id", "received_at", "state",
           "attempts", "normalised_at")


@dataclass(slots=True)
class Landed:
    """A landed payload as the batch path sees it (no ORM object per row)."""

    id: int
    external_id: str
    payload: Any  # None when only its JSON text came from a reader process (its translation came with it)
    state: RawState
    is_new: bool


def land_page(session: Session, channel: str, items: list[tuple[str, Any]], instance_id: int | None = None, *,
              attempts: int = 0, hashed: list[tuple[str, Any, str, str]] | None = None,
              states: list[RawState] | None = None) -> list[Landed]:
    """`land` for a whole page with one look-up and one COPY (or batched INSERT); a `Landed` per item, in order.
    `attempts`: what a new record's count starts at (1 when it is applied in the same transaction);
    `hashed`: the items already passed through `stored_form`, as `(external id, payload, hash, JSON text)`, the
    payload None where only its JSON text came along (a reader process's page: decoded here only if needed);
    `states`: per item, the state a new record lands in (default pending; normalised ones get their time)."""
    hashed = hashed if hashed is not None else hash_items(items)
    table = RawRecord.__table__
    ids = sorted({external_id for external_id, *_ in hashed})

    def stored() -> dict[tuple[str, str], tuple[int, RawState]]:
        found = {}
        for start in range(0, len(ids), 500):
            conn = session.connection()
            rows = conn.execute(
                select(table.c.id, table.c.external_id, table.c.payload_hash, table.c.state)
                .where(table.c.channel == channel,
                       one_of(table.c.external_id, ids[start:start + 500], conn.dialect.name)))
            found.update({(r.external_id, r.payload_hash): (r.id, RawState(r.state)) for r in rows})
        return found

    known = stored()
    fresh: dict[tuple[str, str], dict] = {}
    now = utcnow()
    copying = copies(session.connection())
    for i, (external_id, payload, digest, blob) in enumerate(hashed):
        if (external_id, digest) not in known and (external_id, digest) not in fresh:
            state = states[i] if states is not None else RawState.pending
            fresh[(external_id, digest)] = dict(
                channel=channel, external_id=external_id,
                payload=Preformatted(blob) if copying else _decoded(payload, blob),
                payload_hash=digest,
                connector_instance_id=instance_id, received_at=now, state=state, attempts=attempts,
                normalised_at=None if state == RawState.pending else now)
    new_ids: dict[tuple[str, str], int] = {}
    if fresh:
        try:
            with session.begin_nested():
                conn = session.connection()
                rows = list(fresh.values())
                # No RETURNING (COPY has none): ids drawn from the sequence first where it can be, else read back.
                drawn = next_ids(conn, table, len(rows))
                if drawn is not None:
                    for row, record_id in zip(rows, drawn, strict=True):
                        row["id"] = record_id
                insert_rows(conn, table, rows, (*COLUMNS, "id") if drawn is not None else COLUMNS)
            if drawn is not None:
                new_ids = {key: row["id"] for key, row in fresh.items()}
            else:
                new_ids = {key: record_id for key, (record_id, _state) in stored().items() if key in fresh}
        except IntegrityError:  # a concurrent delivery landed some of them: one at a time then (pending)
            landed = [land(session, channel, external_id, _decoded(payload, blob), instance_id, attempts)
                      for external_id, payload, _digest, blob in hashed]
            return [Landed(r.id, r.external_id, r.payload, RawState(r.state), is_new) for r, is_new in landed]
    out, seen = [], set()
    for external_id, payload, digest, _blob in hashed:
        key = (external_id, digest)
        if key in fresh:
            out.append(Landed(new_ids[key], external_id, payload, fresh[key]["state"], key not in seen))
            seen.add(key)  # a repeat of the same payload on this page is not new
        else:
            record_id, state = known[key]
            out.append(Landed(record_id, external_id, payload, state, False))
    return out


__all__ = ["hash_items", "land", "land_page", "Landed", "payload_hash", "storable", "stored_form"]
