"""One intake pipeline for every entry path: land → translate → apply, a batch at a time.

- land: every payload is stored as received (core.intake.inbox) before anything else;
- translate: the connector turns each landed payload into data (core.intake.contract), purely;
- apply: core makes the database agree — drafts upserted in one batch, thread messages joined to their
  reporter's complaint, receipts moved onto the outbox, calls tallied, skips recorded — and stamps
  every inbox record with its state.

Pull sync, push webhooks, file import, manual entry and Open311 all call `ingest` (or `process` for
payloads landed earlier: webhook follow-up, replay). The caller commits. A database error in the
batched upsert undoes the batch and redoes it one savepoint per record, so one bad row never takes the
others down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from core.casework.citizen_loop import acknowledge, handle_reply
from core.casework.outbox import apply_receipt
from core.intake import no_revert
from core.intake.amendments import apply_withdrawal, keep_staff_decisions
from core.intake.contract import (
    CallTally,
    ComplaintDraft,
    Connector,
    DeliveryReceipt,
    NormaliseError,
    Result,
    Skip,
    ThreadMessage,
    Withdrawal,
    results,
)
from core.intake.inbox import Landed, hash_items, land_page
from core.intake.ingest import Resolver, upsert_complaint, upsert_many
from core.intake.lifecycles import lifecycle_of
from core.intake.threads import apply_message, lock_reporters, record_media
from core.reference.regions import distance_km
from core.runtime.bulk import update_by_id
from models import ChannelCall, RawRecord, RawState, Region
from models.enums import AWAITING_RESPONSE, Status
from models.types import utcnow

MAPPING_ERRORS = (NormaliseError, ValueError, KeyError, TypeError)
NEAREST_KECAMATAN_KM = 15.0


@dataclass
class Verdict:
    """What became of one landed payload."""

    outcome: str  # new | updated | unchanged | skipped | failed
    error: str | None = None  # why it failed, or why it was skipped
    external_id: str | None = None  # the complaint's, when it is one
    applied: bool = True  # False: the same payload was handled before and was left alone

    @property
    def state(self) -> RawState:
        return {"failed": RawState.failed, "skipped": RawState.skipped}.get(self.outcome, RawState.normalised)


@dataclass
class Drafted:
    """An entry path whose drafts core built itself (manual entry): the payloads land as typed, and
    the draft of each (by external id) is what gets applied."""

    channel: str
    drafts: dict[str, ComplaintDraft]
    resolves_kecamatan = False
    keeps_handled_status = False
    placeholder_titles: frozenset[str] = frozenset()

    def thread_window_minutes(self) -> None:
        return None


@dataclass
class Batch:
    landed: list[Landed]
    verdicts: list[Verdict]  # one per landed payload, in order
    counts: Counter = field(default_factory=Counter)


@dataclass(slots=True)
class Prepared:
    """The part of a batch that needs no database, done before it is written (a pull sync does it on its
    reader thread, while the previous page is being written): each payload as the inbox keeps it with its
    hash, and its translation (an unexpected error is kept and raised where `process` would meet it)."""

    hashed: list[tuple[str, Any, str, str]]  # (external id, payload, hash, JSON text): inbox.hash_items
    translated: list[list[Result] | Verdict | Exception] | None = None


def prepare(connector: Connector | Drafted, items: list[tuple[str, Any]], translate_too: bool = True) -> Prepared:
    hashed = hash_items(items)
    if not translate_too:
        return Prepared(hashed)
    translated: list[list[Result] | Verdict | Exception] = []
    for external_id, payload, *_ in hashed:
        try:
            translated.append(translate(connector, Landed(0, external_id, payload, RawState.pending, True)))
        except Exception as exc:  # noqa: BLE001 - raised again in order by `process`
            translated.append(exc)
    return Prepared(hashed, translated)


def ingest(session: Session, connector: Connector | Drafted, items: list[tuple[str, Any]], resolver: Resolver, *,
           instance_id: int | None = None, actor: str = "system",
           redo: Iterable[RawState] = (RawState.pending,), prepared: Prepared | None = None) -> Batch:
    """Land `(external id, payload)` pairs and apply what is new; a payload handled before (same
    bytes, state not in `redo`) counts as unchanged without being translated again. `prepared`: the
    same items already hashed and translated (`prepare`)."""
    prepared = prepared or prepare(connector, items, translate_too=False)
    # Landed and applied in one transaction: a new payload's first attempt is counted as it lands, and a
    # translation known ahead lands in the state it will most likely end in (stamped over if not).
    states = [_likely_state(t) for t in prepared.translated] if prepared.translated is not None else None
    landed = land_page(session, connector.channel, items, instance_id, attempts=1, hashed=prepared.hashed,
                       states=states)
    redo = set(redo)
    todo = [i for i, record in enumerate(landed) if record.is_new or record.state in redo]
    verdicts = [Verdict("unchanged", applied=False) for _ in landed]
    translated = [prepared.translated[i] for i in todo] if prepared.translated is not None else None
    done = process(session, connector, [landed[i] for i in todo], resolver, actor=actor, translated=translated,
                   counted={landed[i].id for i in todo if landed[i].is_new})
    for i, verdict in zip(todo, done, strict=True):
        verdicts[i] = verdict
    return Batch(landed, verdicts, Counter(v.outcome for v in verdicts))


def process(session: Session, connector: Connector | Drafted, records: list[Landed], resolver: Resolver, *,
            actor: str = "system", translated: list[list[Result] | Verdict | Exception] | None = None,
            counted: set[int] | frozenset[int] = frozenset()) -> list[Verdict]:
    """Translate and apply landed payloads; every record's inbox state is written. Verdicts in order.
    `translated`: the records' translations made ahead; `counted`: ids whose attempt is counted already."""
    if not records:
        return []
    _claim(session, [r for r in records if r.id not in counted])
    if translated is None:
        translated = [translate(connector, record) for record in records]
    for made in translated:
        if isinstance(made, Exception):
            raise made
    verdicts = apply(session, connector, records, translated, resolver, actor=actor)  # type: ignore[arg-type]
    _stamp(session, records, verdicts)
    return verdicts


def _likely_state(translated: list[Result] | Verdict | Exception) -> RawState:
    """A complaint draft ends normalised unless the database refuses it (rare; `_stamp` then corrects it).
    Everything else depends on what the database holds, so it lands pending and is stamped after."""
    if isinstance(translated, list):
        primaries = [r for r in translated if not isinstance(r, CallTally)]
        if primaries and isinstance(primaries[-1], ComplaintDraft):
            return RawState.normalised
    return RawState.pending


def translate(connector: Connector | Drafted, record: Landed) -> list[Result] | Verdict:
    """The connector's data for one payload, or the failed verdict that keeps it in the inbox."""
    if isinstance(connector, Drafted):
        return [connector.drafts[record.external_id]]
    try:
        return results(connector.normalise(record.payload))
    except MAPPING_ERRORS as exc:
        return _failed(exc)


def apply(session: Session, connector: Connector | Drafted, records: list[Landed],
          translated: list[list[Result] | Verdict], resolver: Resolver, *, actor: str = "system") -> list[Verdict]:
    channel = connector.channel
    places = Kecamatan(session) if connector.resolves_kecamatan or _any(translated, CallTally) else None
    verdicts: list[Verdict | None] = [t if isinstance(t, Verdict) else None for t in translated]
    tallies: dict[int, list[CallTally]] = {}
    drafts: list[tuple[int, ComplaintDraft]] = []
    sequential: list[tuple[int, ThreadMessage | DeliveryReceipt]] = []
    primaries = {i: [r for r in t if not isinstance(r, CallTally)] for i, t in enumerate(translated)
                 if not isinstance(t, Verdict)}
    keys = [r.external_id for rs in primaries.values() for r in rs if isinstance(r, ComplaintDraft)]
    keys += [r.unless_known.external_id for rs in primaries.values() for r in rs
             if isinstance(r, Skip) and r.unless_known is not None]
    resolver.prefetch_complaints(channel, keys)
    for i, found in primaries.items():
        tallies[i] = [r for r in translated[i] if isinstance(r, CallTally)]
        primary = found[-1] if found else Skip("hanya dihitung")
        if isinstance(primary, Skip) and primary.unless_known is not None \
                and resolver.existing_complaint(channel, primary.unless_known.external_id) is not None:
            primary = primary.unless_known
        if isinstance(primary, Skip):
            verdicts[i] = Verdict("skipped", primary.reason)
        elif isinstance(primary, ComplaintDraft):
            if places is not None and connector.resolves_kecamatan:
                primary.kecamatan = places.resolve(primary.kecamatan, primary.lat, primary.lon) or primary.kecamatan
            if connector.keeps_handled_status:
                _keep_handled_status(channel, primary, resolver)
            if getattr(connector, "keeps_staff_decisions", False):
                keep_staff_decisions(session, channel, primary, resolver)
            drafts.append((i, primary))
        else:
            sequential.append((i, primary))
    # No silent revert of a write-back action (upstream-owned channels only; one query per page).
    conflicts = no_revert.guard(session, channel, [d for _, d in drafts],
                                {d.external_id: resolver.existing_complaint(channel, d.external_id) for _, d in drafts},
                                resolver.settings) if lifecycle_of(channel, resolver.settings).upstream_owned else {}
    for i, verdict in _upsert(session, channel, records, drafts, resolver, actor):
        verdicts[i] = verdict
    if conflicts:
        no_revert.write(session, [conflicts[d.external_id] for i, d in drafts
                                  if d.external_id in conflicts and verdicts[i].outcome == "updated"], actor)
    # Every reporter's lock up front and in one order, so two batches never wait on each other in a circle.
    lock_reporters(session, channel, {item.reporter for _, item in sequential if isinstance(item, ThreadMessage)})
    for i, item in sequential:
        verdicts[i] = _apply_one(session, connector, records[i], item, resolver, actor)
    _tally(session, channel, [t for i, ts in tallies.items() if verdicts[i].outcome != "failed" for t in ts], places)
    return verdicts  # type: ignore[return-value]


def _any(translated: list[list[Result] | Verdict], kind: type) -> bool:
    return any(isinstance(r, kind) for t in translated if not isinstance(t, Verdict) for r in t)


def _failed(exc: BaseException) -> Verdict:
    return Verdict("failed", f"{exc.__class__.__name__}: {exc}"[:2000])


def _keep_handled_status(channel: str, draft: ComplaintDraft, resolver: Resolver) -> None:
    """Once staff moved a complaint past waiting (resolved, postponed…), an upstream edit keeps that status.
    A complaint its upstream handles to the end (ladder-exempt, e.g. a 112 emergency: no response deadline)
    always takes the upstream's, before and after the edit."""
    existing = resolver.existing_complaint(channel, draft.external_id)
    if existing is not None and draft.content_hash() != existing.content_hash \
            and existing.status not in AWAITING_RESPONSE and existing.response_due_at is not None \
            and not resolver.draft_exempt(channel, draft):
        draft.status = Status(existing.status)


def _upsert(session: Session, channel: str, records: list[Landed], drafts: list[tuple[int, ComplaintDraft]],
            resolver: Resolver, actor: str) -> list[tuple[int, Verdict]]:
    if not drafts:
        return []
    try:
        with session.begin_nested():
            outcomes = upsert_many(session, channel, [(d, records[i].id) for i, d in drafts], resolver, actor=actor)
    except SQLAlchemyError:  # the batch hit a database error: redo its drafts one savepoint each
        resolver.prefetch_complaints(channel, [d.external_id for _, d in drafts])
        return [(i, _upsert_one(session, channel, records[i], draft, resolver, actor)) for i, draft in drafts]
    return [(i, _failed(o) if isinstance(o, NormaliseError) else Verdict(o.value, None, d.external_id))
            for (i, d), o in zip(drafts, outcomes, strict=True)]


def _upsert_one(session: Session, channel: str, record: Landed, draft: ComplaintDraft, resolver: Resolver,
                actor: str) -> Verdict:
    try:
        with session.begin_nested():
            result = upsert_complaint(session, channel, draft, resolver, raw_record_id=record.id, actor=actor)
            session.flush()
    except (*MAPPING_ERRORS, SQLAlchemyError) as exc:
        resolver.forget(channel, draft.external_id)
        return _failed(exc)
    return Verdict(result.outcome.value, None, draft.external_id)


def _apply_one(session: Session, connector: Connector, record: Landed, item: ThreadMessage | DeliveryReceipt,
               resolver: Resolver, actor: str) -> Verdict:
    if isinstance(item, DeliveryReceipt):
        return Verdict("skipped", apply_receipt(session, item.provider_id, item.status, item.at, item.error,
                                                item.reference))
    if isinstance(item, Withdrawal):
        try:
            with session.begin_nested():
                outcome, reason = apply_withdrawal(session, connector.channel, item, actor)
                session.flush()
        except (*MAPPING_ERRORS, SQLAlchemyError) as exc:
            return _failed(exc)
        return Verdict(outcome, reason, None)
    try:  # BERHENTI / MULAI and answers to "sudah beres?" are not complaints (core.casework.citizen_loop)
        with session.begin_nested():
            replied = handle_reply(session, connector.channel, item.reporter, item.text, item.reply_id,
                                   item.message_id, item.at, resolver.settings)
            session.flush()
    except (*MAPPING_ERRORS, SQLAlchemyError) as exc:
        return _failed(exc)
    if replied is not None:
        return Verdict(replied[0], replied[1], None)
    minutes = connector.thread_window_minutes()
    window = timedelta(minutes=resolver.settings.whatsapp_thread_window_minutes if minutes is None else minutes)
    try:
        with session.begin_nested():
            found = apply_message(session, connector.channel, item, window, connector.placeholder_titles)
            session.flush()
    except (*MAPPING_ERRORS, SQLAlchemyError) as exc:
        return _failed(exc)
    if isinstance(found, str):
        return Verdict(found, None, None)
    verdict = _upsert_one(session, connector.channel, record, found, resolver, actor)
    if verdict.outcome == "new":
        opened = resolver.existing_complaint(connector.channel, found.external_id)
        if opened is not None:
            if item.media_id:  # a thread opened by a photo: keep it for the media worker
                record_media(session, opened.id, item)
            acknowledge(session, opened, resolver.settings, item.at)  # its code, link and date (WhatsApp)
    return verdict


def _tally(session: Session, channel: str, tallies: list[CallTally], places: Kecamatan | None) -> None:
    """One ChannelCall per call, updated only when the export says something new about it."""
    if not tallies:
        return
    known = {}
    ids = sorted({t.external_id for t in tallies})
    for start in range(0, len(ids), 500):
        known.update({row.external_id: row for row in session.exec(select(ChannelCall).where(
            ChannelCall.channel == channel, ChannelCall.external_id.in_(ids[start:start + 500])))})
    for tally in tallies:
        kecamatan = places.resolve(tally.kecamatan, tally.lat, tally.lon) if places else tally.kecamatan
        row = known.get(tally.external_id)
        if row is None:
            row = known[tally.external_id] = ChannelCall(channel=channel, external_id=tally.external_id)
        elif (row.call_type, row.received_at, row.kecamatan) == (tally.call_type, tally.received_at, kecamatan):
            continue
        row.call_type, row.received_at, row.kecamatan = tally.call_type, tally.received_at, kecamatan
        session.add(row)
    session.flush()


def _claim(session: Session, records: list[Landed]) -> None:
    """Count the attempt first: on SQLite this write opens the transaction, so the reads that follow
    cannot leave it holding a stale snapshot that may no longer become a writer."""
    if not records:
        return
    table = RawRecord.__table__
    ids = [r.id for r in records]
    for start in range(0, len(ids), 500):
        session.connection().execute(update(table).where(table.c.id.in_(ids[start:start + 500]))
                                     .values(attempts=table.c.attempts + 1))


def _stamp(session: Session, records: list[Landed], verdicts: list[Verdict]) -> None:
    """Write each record's state; one landed by this batch already in the state it ended in is left alone."""
    update_by_id(session.connection(), RawRecord.__table__,
                 [{"id": r.id, "state": v.state, "error": v.error if v.outcome in ("failed", "skipped") else None}
                  for r, v in zip(records, verdicts, strict=True)
                  if not (r.is_new and r.state == v.state == RawState.normalised)],
                 constant={"normalised_at": utcnow()})


class Kecamatan:
    """The kabupaten's kecamatan, loaded once per batch: a typed name, or else the nearest to a pin."""

    def __init__(self, session: Session):
        rows = session.exec(select(Region).where(Region.kind == "kecamatan")).all()
        self.by_name = {r.name.lower(): r.name for r in rows}
        self.centres = [(r.name, r.lat, r.lon) for r in rows if r.lat is not None and r.lon is not None]

    def named(self, text: str | None) -> str | None:
        name = " ".join(str(text or "").split()).lower()
        return self.by_name.get(name.removeprefix("kecamatan ").removeprefix("kec. ")) if name else None

    def nearest(self, lat: float, lon: float) -> str | None:
        best = min(((distance_km(lat, lon, rlat, rlon), name) for name, rlat, rlon in self.centres), default=None)
        return best[1] if best and best[0] <= NEAREST_KECAMATAN_KM else None

    def resolve(self, text: str | None, lat: float | None, lon: float | None) -> str | None:
        return self.named(text) or (self.nearest(lat, lon) if lat is not None and lon is not None else None)


def replay(session: Session, connector_for: Callable[[RawRecord], Connector], resolver: Resolver,
           states=(RawState.failed, RawState.pending), channel: str | None = None, batch: int = 500) -> Counter:
    """Re-apply inbox records (after a mapping fix), a batch per connector. `connector_for(record)` picks it."""
    counts: Counter = Counter()
    last_id = 0
    while True:
        query = select(RawRecord).where(RawRecord.state.in_(list(states)), RawRecord.id > last_id)
        if channel:
            query = query.where(RawRecord.channel == channel)
        rows = session.exec(query.order_by(RawRecord.id).limit(batch)).all()
        if not rows:
            return counts
        groups: dict[int, tuple[Connector, list[Landed]]] = {}
        for row in rows:
            connector = connector_for(row)
            groups.setdefault(id(connector), (connector, []))[1].append(
                Landed(row.id, row.external_id, row.payload, RawState(row.state), False))
        last_id = rows[-1].id
        for connector, landed in groups.values():
            counts.update(v.outcome for v in process(session, connector, landed, resolver))
        session.commit()


def pending(session: Session, record_ids: list[int]) -> list[Landed]:
    """Landed payloads still waiting to be applied, in arrival order."""
    rows = session.exec(select(RawRecord).where(RawRecord.id.in_(sorted(record_ids)),
                                                RawRecord.state == RawState.pending).order_by(RawRecord.id)).all()
    return [Landed(r.id, r.external_id, r.payload, RawState(r.state), False) for r in rows]
