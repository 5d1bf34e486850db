"""Land, then normalise. Payloads are stored as received before anything else happens."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from connectors.base import Applied, Connector, Skip
from core.ingest import NormaliseError, Outcome, Resolver, upsert_complaint
from models import RawRecord, RawState
from models.types import utcnow


def payload_hash(payload: Any) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def land(session: Session, channel: str, external_id: str, payload: Any,
         instance_id: int | None = None) -> tuple[RawRecord, bool]:
    """Store a payload unless the identical one is already there. Returns (record, is_new)."""
    digest = payload_hash(payload)
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


def land_page(session: Session, channel: str, items: list[tuple[str, Any]],
              instance_id: int | None = None) -> list[tuple[RawRecord, bool]]:
    """`land` for a whole page with one look-up and one batched insert; (record, is_new) per item."""
    hashed = [(external_id, payload, payload_hash(payload)) for external_id, payload in items]
    known: dict[tuple[str, str], RawRecord] = {}
    ids = sorted({external_id for external_id, _, _ in hashed})
    for start in range(0, len(ids), 500):
        rows = session.exec(select(RawRecord).where(RawRecord.channel == channel,
                                                    RawRecord.external_id.in_(ids[start:start + 500])))
        known.update({(r.external_id, r.payload_hash): r for r in rows})
    landed, fresh = [], []
    for external_id, payload, digest in hashed:
        record = known.get((external_id, digest))
        if record is None:
            record = RawRecord(channel=channel, external_id=external_id, payload=payload, payload_hash=digest,
                               connector_instance_id=instance_id)
            known[(external_id, digest)] = record
            fresh.append(record)
            landed.append((record, True))
        else:
            landed.append((record, False))
    if fresh:
        try:
            with session.begin_nested():
                session.add_all(fresh)
                session.flush()
        except IntegrityError:  # a concurrent delivery landed some of them: one at a time then
            return [land(session, channel, external_id, payload, instance_id) for external_id, payload in items]
    return landed


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


__all__ = ["land", "land_page", "normalise", "replay", "payload_hash", "Outcome"]
