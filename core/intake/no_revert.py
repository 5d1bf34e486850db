"""An upstream update never silently reverts a write-back action (core.intake.writeback).

For a channel whose status the upstream owns, each draft of a page is checked against the complaint's
latest write-back (from status S0 to S1), all fetched in one query per page. With U the upstream's status:
- pending and U == S0: the upstream has not seen it yet; S1 stays, nothing is written;
- confirmed and U == S0 (while the complaint is still at S1): S1 stays and the conflict goes in the history;
- pending and U neither S0 nor S1: the upstream moved on independently; U is taken (the upstream owns the
  status) and the conflict goes in the history, naming both.
Later upstream progress after a confirmation (U ≠ S0) is applied normally.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from core.intake.contract import ComplaintDraft
from core.intake.lifecycles import lifecycle_of
from models import Complaint, ComplaintEvent, EventKind, Notification, NotificationStatus, Status
from models.enums import STATUS_LABEL_ID

TEMPLATE_PREFIX = "upstream:"
PENDING = (NotificationStatus.pending, NotificationStatus.sending)
CONFIRMED = (NotificationStatus.sent, NotificationStatus.delivered, NotificationStatus.read)


@dataclass
class Conflict:
    complaint_id: int
    note: str
    data: dict


def _label(status: str | None) -> str:
    try:
        return STATUS_LABEL_ID[Status(status)].lower()
    except ValueError:
        return str(status)


def latest_writebacks(session: Session, complaint_ids: list[int]) -> dict[int, Notification]:
    """Each complaint's latest write-back that is pending or confirmed (failed ones no longer count)."""
    latest: dict[int, Notification] = {}
    ids = sorted(set(complaint_ids))
    for start in range(0, len(ids), 500):
        rows = session.exec(select(Notification).where(
            Notification.complaint_id.in_(ids[start:start + 500]),
            Notification.template.startswith(TEMPLATE_PREFIX),
            Notification.status.in_([*PENDING, *CONFIRMED])).order_by(Notification.id)).all()
        latest.update({row.complaint_id: row for row in rows})
    return latest


def guard(session: Session, channel: str, drafts: list[ComplaintDraft], existing: dict[str, Complaint | None],
          settings=None) -> dict[str, Conflict]:
    """Adjust the drafts' statuses in place; returns the conflicts to write, by external id, for the
    drafts that will change the complaint (the caller writes them once the upsert is known not unchanged)."""
    lifecycle = lifecycle_of(channel, settings)
    if not lifecycle.upstream_owned or not drafts:
        return {}
    complaints = {d.external_id: existing.get(d.external_id) for d in drafts}
    latest = latest_writebacks(session, [c.id for c in complaints.values() if c is not None and c.id])
    if not latest:
        return {}
    owner = lifecycle.status_owner
    conflicts: dict[str, Conflict] = {}
    for draft in drafts:
        complaint = complaints.get(draft.external_id)
        row = latest.get(complaint.id) if complaint is not None else None
        if row is None:
            continue
        params = row.params or {}
        s0, s1, upstream = params.get("from_status"), params.get("to_status"), draft.status.value
        action = params.get("action")
        pending = row.status in PENDING
        if upstream == s1 or s0 == s1:
            continue
        data = {"writeback": row.id, "action": action, "upstream_status": upstream, "local_status": s1}
        if upstream == s0 and (pending or complaint.status == s1):
            _keep(draft, complaint, params)
            if not pending:
                conflicts[draft.external_id] = Conflict(complaint.id, (
                    f"Konflik dengan {owner}: {owner} masih menunjukkan status '{_label(s0)}', padahal aksi "
                    f"'{action}' (→ '{_label(s1)}') sudah dikonfirmasi; status '{_label(s1)}' dipertahankan"), data)
        elif pending and upstream != s0:
            conflicts[draft.external_id] = Conflict(complaint.id, (
                f"Konflik dengan {owner}: status di {owner} berubah sendiri menjadi '{_label(upstream)}' saat aksi "
                f"'{action}' (→ '{_label(s1)}') belum terkirim; status {owner} yang dipakai"), data)
    return conflicts


def _keep(draft: ComplaintDraft, complaint: Complaint, params: dict) -> None:
    draft.status = Status(complaint.status)
    if params.get("action") == "dispatch" and params.get("opd_code"):
        draft.opd_code = params["opd_code"]  # the disposition is not upstream yet either


def write(session: Session, conflicts: list[Conflict], actor: str) -> None:
    for conflict in conflicts:
        session.add(ComplaintEvent(complaint_id=conflict.complaint_id, kind=EventKind.note, actor=actor,
                                   note=conflict.note, data={"conflict": conflict.data}))
