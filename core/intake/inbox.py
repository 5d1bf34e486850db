"""Land, then normalise. Payloads are stored as received before anything else happens."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from connectors.base import Applied, Connector, Skip
from core.intake.ingest import NormaliseError, Outcome, Resolver, upsert_complaint, upsert_many
from models import RawRecord, RawState
from models.types import utcnow

# PostgreSQL can hold U+0000 neither in JSONB nor in text (a 500, and the upstream's retries fail the same way
# for ever). The inbox keeps it as U+FFFD on every database, so both hold the same payload and hash.
_ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def storable(payload: Any) -> tuple[Any, str]:
    """The payload as the inbox keeps it, and its hash."""
    blob = _canonical(payload)
    if "\\u0000" in blob:
        payload = json.loads(_ESCAPED_NUL.sub(r"\1\\ufffd", blob))
        blob = _canonical(payload)
    return payload, hashlib.sha256(blob.encode()).hexdigest()


def _canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


def payload_hash(payload: Any) -> str:
    return storable(payload)[1]


def land(session: Session, channel: str, external_id: str, payload: Any,
         instance_id: int | None = None) -> tuple[RawRecord, bool]:
    """Store a payload unless the identical one is already there. Returns (record, is_new)."""
    payload, digest = storable(payload)
    existing = session.exec(select(RawRecord).where(
        RawRecord.channel == channel, RawRecord.external_id == external_id, RawRecord.payload_hash == digest
    )).first()
    if existing is not None:
        return existing, False
    record = RawRecord(channel=channel, external_id=external_id, payload=payload, payload_hash=digest,
                       connector_instance_id=instance_id)
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:  # a concurrent delivery landed it first
        existing = session.exec(select(RawRecord).where(
            RawRecord.channel == channel, RawRecord.external_id == external_id,
            RawRecord.payload_hash == digest)).one()
        return existing, False
    return record, True


@dataclass(slots=True)
class Landed:
    """A landed payload as the batch path sees it (no ORM object per row)."""

    id: int
    external_id: str
    payload: Any
    state: RawState
    is_new: bool


def land_page(session: Session, channel: str, items: list[tuple[str, Any]],
              instance_id: int | None = None) -> list[Landed]:
    """`land` for a whole page with one look-up and one batched INSERT; a `Landed` per item, in order."""
    hashed = [(external_id, *storable(payload)) for external_id, payload in items]
    table = RawRecord.__table__
    ids = sorted({external_id for external_id, _, _ in hashed})

    def stored() -> dict[tuple[str, str], tuple[int, RawState]]:
        found = {}
        for start in range(0, len(ids), 500):
            rows = session.connection().execute(
                select(table.c.id, table.c.external_id, table.c.payload_hash, table.c.state)
                .where(table.c.channel == channel, table.c.external_id.in_(ids[start:start + 500])))
            found.update({(r.external_id, r.payload_hash): (r.id, RawState(r.state)) for r in rows})
        return found

    known = stored()
    fresh: dict[tuple[str, str], dict] = {}
    now = utcnow()
    for external_id, payload, digest in hashed:
        if (external_id, digest) not in known and (external_id, digest) not in fresh:
            fresh[(external_id, digest)] = dict(channel=channel, external_id=external_id, payload=payload,
                                                payload_hash=digest, connector_instance_id=instance_id,
                                                received_at=now, state=RawState.pending, attempts=0)
    if fresh:
        try:
            with session.begin_nested():
                # No RETURNING, as in `upsert_many`: a pipelined executemany, then the ids by key.
                session.connection().execute(insert(table), list(fresh.values()))
            new_ids = {key: record_id for key, (record_id, _state) in stored().items() if key in fresh}
        except IntegrityError:  # a concurrent delivery landed some of them: one at a time then
            landed = [land(session, channel, external_id, payload, instance_id) for external_id, payload in items]
            return [Landed(r.id, r.external_id, r.payload, r.state, is_new) for r, is_new in landed]
    out = []
    for external_id, payload, digest in hashed:
        key = (external_id, digest)
        if key in fresh:
            out.append(Landed(new_ids[key], external_id, payload, RawState.pending, True))
            del fresh[key]  # a repeat of the same payload on this page is not new
        else:
            record_id, state = known.get(key) or (new_ids[key], RawState.pending)
            out.append(Landed(record_id, external_id, payload, state, False))
    return out


def normalise(session: Session, record: RawRecord, connector: Connector, resolver: Resolver) -> str:
    """Normalise one landed record; failures stay in the inbox with their error. Returns the outcome."""
    record.attempts += 1
    try:
        with session.begin_nested():
            result = connector.normalise_in(session, record.payload, resolver)
            if isinstance(result, Skip):
                record.state, record.error = RawState.skipped, result.reason
                outcome = "skipped"
            elif isinstance(result, Applied):
                record.state, record.error = RawState.normalised, None
                outcome = result.outcome
            else:
                upserted = upsert_complaint(session, connector.channel, result, resolver,
                                            raw_record_id=record.id)
                record.state, record.error = RawState.normalised, None
                outcome = upserted.outcome.value
    except (NormaliseError, ValueError, KeyError, TypeError) as exc:
        record.state, record.error = RawState.failed, f"{exc.__class__.__name__}: {exc}"[:2000]
        outcome = "failed"
    record.normalised_at = utcnow()
    session.add(record)
    return outcome


def normalise_page(session: Session, records: list[Landed], connector: Connector,
                   resolver: Resolver) -> list[str]:
    """`normalise` for a page of landed payloads with batched writes; outcomes in order.

    Mapping failures are isolated per record as in `normalise`. Should the batch hit a database
    error, it is undone and the page is redone one savepoint per record, so one bad row never
    takes the others down.
    """
    if type(connector).normalise_in is not Connector.normalise_in:
        # Connectors that need database context (threads, counters) go one record at a time.
        outcomes = []
        for landed in records:
            outcomes.append(normalise(session, session.get(RawRecord, landed.id), connector, resolver))
            session.flush()
        return outcomes
    verdicts: list[tuple[str, RawState, str | None]] = [("", RawState.pending, None)] * len(records)
    drafts = []
    for i, record in enumerate(records):
        try:
            result = connector.normalise(record.payload)
        except (NormaliseError, ValueError, KeyError, TypeError) as exc:
            verdicts[i] = ("failed", RawState.failed, f"{exc.__class__.__name__}: {exc}"[:2000])
            continue
        if isinstance(result, Skip):
            verdicts[i] = ("skipped", RawState.skipped, result.reason)
        else:
            drafts.append((i, result))
    try:
        with session.begin_nested():
            results = upsert_many(session, connector.channel, [(d, records[i].id) for i, d in drafts], resolver)
    except SQLAlchemyError:
        results = None
    if results is None:  # the batch hit a database error: redo its drafts one savepoint each
        for i, _draft in drafts:
            record = session.get(RawRecord, records[i].id)
            outcome = normalise(session, record, connector, resolver)
            session.flush()
            verdicts[i] = (outcome, None, None)  # normalise wrote the record itself
    else:
        for (i, _draft), result in zip(drafts, results, strict=True):
            if isinstance(result, NormaliseError):
                verdicts[i] = ("failed", RawState.failed, f"NormaliseError: {result}"[:2000])
            else:
                verdicts[i] = (result.value, RawState.normalised, None)
    table = RawRecord.__table__
    updates = [{"rid": record.id, "new_state": state, "new_error": error}
               for record, (_outcome, state, error) in zip(records, verdicts, strict=True) if state is not None]
    if updates:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("rid"))
            .values(state=bindparam("new_state"), error=bindparam("new_error"), attempts=table.c.attempts + 1,
                    normalised_at=utcnow()), updates)
    return [outcome for outcome, _state, _error in verdicts]


def replay(session: Session, connector_for, resolver: Resolver, states=(RawState.failed, RawState.pending),
           channel: str | None = None, batch: int = 500) -> Counter:
    """Re-normalise inbox records (after a mapping fix). `connector_for(record)` picks the connector."""
    counts: Counter = Counter()
    last_id = 0
    while True:
        query = select(RawRecord).where(RawRecord.state.in_(list(states)), RawRecord.id > last_id)
        if channel:
            query = query.where(RawRecord.channel == channel)
        records = session.exec(query.order_by(RawRecord.id).limit(batch)).all()
        if not records:
            return counts
        for record in records:
            counts[normalise(session, record, connector_for(record), resolver)] += 1
            last_id = record.id
        session.commit()


__all__ = ["land", "land_page", "normalise", "normalise_page", "replay", "payload_hash", "Outcome"]
