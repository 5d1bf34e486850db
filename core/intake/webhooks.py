"""Push deliveries: verify, land, acknowledge; apply after landing; replay what a crash left.

The HTTP route only hands bytes and headers to `receive` and schedules `normalise_records`;
everything about the wire format belongs to the connector, everything after landing to the
intake pipeline (core.intake.pipeline).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.intake import inbox, pipeline, registry
from core.intake.contract import Connector
from core.intake.http import MAX_JSON_DEPTH
from core.intake.ingest import Resolver
from core.intake.sync import context, state_for
from core.runtime.settings import get_settings
from models import ConnectorInstance, RawRecord, RawState
from models.types import utcnow


class UnknownInstance(LookupError):
    pass


class BadSignature(Exception):
    def __init__(self, missing: bool):
        super().__init__("tanda tangan tidak ada" if missing else "tanda tangan tidak sah")
        self.missing = missing


class BadDelivery(ValueError):
    pass


@dataclass
class Delivery:
    instance: str
    received: int = 0
    new_ids: list[int] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.received - len(self.new_ids)


def push_connector(session: Session, name: str) -> tuple[ConnectorInstance, Connector]:
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).first()
    if instance is None or not instance.enabled:
        raise UnknownInstance(f"tidak ada konektor webhook aktif bernama {name!r}")
    try:
        cls = registry.get(instance.kind)
    except registry.UnknownConnector as exc:
        raise UnknownInstance(str(exc)) from None
    if not registry.of_kind(cls, "push"):
        raise UnknownInstance(f"konektor {name!r} ({instance.kind}) tidak menerima webhook")
    return instance, cls(instance.config, context(get_settings()))


def handshake(session: Session, name: str, params: dict[str, str]) -> str | None:
    _, connector = push_connector(session, name)
    return connector.verify_handshake(params)


def receive(session: Session, name: str, body: bytes, headers: Any) -> Delivery:
    """Check the signature on the exact bytes, then land every payload in one commit."""
    instance, connector = push_connector(session, name)
    if not connector.verify_signature(body, headers):
        wanted = connector.signature_header
        missing = bool(wanted) and not any(k.lower() == wanted.lower() for k in headers.keys())
        raise BadSignature(missing)
    try:
        pairs = list(connector.split(body))
    except RecursionError:  # a connector that parses without connectors.base.parse_json
        raise BadDelivery("kiriman tidak dapat dibaca: JSON bersarang terlalu dalam "
                          f"(paling banyak {MAX_JSON_DEPTH} tingkat)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadDelivery(f"kiriman tidak dapat dibaca: {exc}") from None
    delivery = Delivery(instance=name, received=len(pairs))
    seen = set()
    for landed in inbox.land_page(session, connector.channel, pairs, instance.id):
        if landed.is_new and landed.id not in seen:
            seen.add(landed.id)
            delivery.new_ids.append(landed.id)
    _count(session, instance, fetched=len(pairs))
    session.commit()
    return delivery


def _count(session: Session, instance: ConnectorInstance, fetched: int = 0, outcomes: Counter | None = None) -> None:
    """A push connector's health on the connector page: deliveries count as runs that succeeded."""
    state = state_for(session, instance)
    now = utcnow()
    state.status, state.last_run_at, state.last_success_at = "ok", now, now
    state.fetched_total += fetched
    if outcomes:
        state.new_total += outcomes.get("new", 0)
        state.updated_total += outcomes.get("updated", 0)
        state.failed_total += outcomes.get("failed", 0)
    session.add(state)


def normalise_records(engine: Engine, name: str, record_ids: list[int]) -> Counter:
    """Apply freshly landed records in arrival order, one batch, one commit."""
    with Session(engine, expire_on_commit=False) as session:
        instance, connector = push_connector(session, name)
        resolver = Resolver(session, get_settings())
        landed = pipeline.pending(session, record_ids)  # replay may have got there first
        counts = Counter(v.outcome for v in pipeline.process(session, connector, landed, resolver))
        _count(session, instance, outcomes=counts)
        session.commit()
    return counts


def replay_pending(session: Session, name: str | None = None, grace_seconds: int | None = None) -> Counter:
    """Normalise webhook records that landed but were never normalised (process died after the 200)."""
    settings = get_settings()
    grace = settings.webhook_replay_grace_seconds if grace_seconds is None else grace_seconds
    query = select(ConnectorInstance).where(ConnectorInstance.enabled)
    if name:
        query = query.where(ConnectorInstance.name == name)
    counts: Counter = Counter()
    resolver = Resolver(session, settings)
    for instance in session.exec(query).all():
        cls = registry.available().get(instance.kind)
        if not registry.of_kind(cls, "push"):
            continue
        connector = cls(instance.config, context(settings))
        record_ids = session.exec(select(RawRecord.id).where(
            RawRecord.connector_instance_id == instance.id, RawRecord.state == RawState.pending,
            RawRecord.received_at <= utcnow() - timedelta(seconds=grace))).all()
        landed = pipeline.pending(session, list(record_ids))
        outcomes = Counter(v.outcome for v in pipeline.process(session, connector, landed, resolver))
        session.commit()
        if outcomes:
            _count(session, instance, outcomes=outcomes)
            session.commit()
        counts += outcomes
    return counts
