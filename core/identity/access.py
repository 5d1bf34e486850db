"""The one access policy: who may read what, which rows, and masking of what they may not see.

Every route that returns complaint data asks this module, never the role directly:

- aggregates (stats, rapor, call tallies): every role; opd_admin only its OPD, petugas only the rows it reads
  (below; call tallies belong to neither);
- records (lists, detail, CSV/XLSX exports, the LAPOR! hand-back): admin (unmasked, raw payloads), analyst
  (all), opd_admin (its OPD), petugas (the unverified queue of every channel, plus what it entered); reporter
  contact masked for all but admin; viewer none;
- casework (escalations, overdue lists, letters): admin, analyst, opd_admin (its OPD); petugas and viewer none;
- workflow actions (`ACTIONS_BY_ROLE`), on the rows a role reads: admin all; opd_admin the follow-up (respond,
  postpone, resolve); petugas the triage (verify, dispatch, categorize, reject, merge); analyst and viewer none.
  The answer to an action shows the complaint even when the action took it out of the caller's rows
  (`Access.acted_on`: a petugas who dispatches a queued complaint sees the result once).

Anonymous (anonim) reporters are hidden from everyone but admins; confidential (rahasia) content is hidden
from viewers wherever a complaint's text could reach them. The public (Open311, status pages) is a viewer that
also never reads the text of a complaint that is not verified, or was rejected or archived: `PUBLIC.mask`,
`text_is_public`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import false, or_
from sqlalchemy.sql.elements import ColumnElement

from core.identity.principal import Principal
from models import Complaint, Role, Status

RAHASIA_TITLE = "[Rahasia]"


class Reads(StrEnum):
    aggregates = "aggregates"
    records = "records"
    casework = "casework"


READERS: dict[Reads, frozenset[Role]] = {
    Reads.aggregates: frozenset(Role),
    Reads.records: frozenset({Role.admin, Role.analyst, Role.opd_admin, Role.petugas}),
    Reads.casework: frozenset({Role.admin, Role.analyst, Role.opd_admin}),
}
# Workflow actions (core.casework.workflow.Action values) each role may take on the complaints it reads; admin: all.
ACTIONS_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.opd_admin: frozenset({"respond", "postpone", "resolve"}),
    Role.petugas: frozenset({"verify", "dispatch", "categorize", "reject", "merge"}),
}
_RAHASIA_FIELDS = ("body", "location_text", "lat", "lon")


def may_act(role: Role, action: str) -> bool:
    return role is Role.admin or action in ACTIONS_BY_ROLE.get(role, frozenset())
_UNVERIFIED_TEXT = ("title", "body", "location_text")  # what a citizen typed, until someone checked it
# Statuses in which the public may read a complaint's own words: a person (here or upstream) checked it and it
# stands. Never while it waits (unverified), never once it was rejected (spam, not substantive, a merged
# duplicate) or archived unhandled; rahasia never (see `mask`).
PUBLIC_TEXT_STATUSES = frozenset({Status.verified, Status.dispatched, Status.in_progress, Status.postponed,
                                  Status.resolved})


def text_is_public(status: Status | str | None, rahasia: bool | None) -> bool:
    """Whether anyone, without a key (Open311, the /publik page), may read the complaint's title and text."""
    return not rahasia and status in PUBLIC_TEXT_STATUSES


@dataclass(frozen=True)
class Access:
    role: Role
    opd_id: int | None = None
    actor: str = "system"
    ref: str | None = None  # the principal's "user:12" / "key:3"
    public: bool = False  # anyone, without a key: see PUBLIC
    acted: int | None = None  # the complaint this caller just acted on (see `acted_on`)

    @classmethod
    def of(cls, principal: Principal) -> Access:
        return cls(role=principal.role, opd_id=principal.opd_id, actor=principal.name, ref=principal.ref)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def sees_rahasia(self) -> bool:
        return self.role is not Role.viewer

    def hides_reporter(self, anonim: bool | None) -> bool:
        """Whether the reporter's name (and their messages' author) is hidden; contact is hidden from all but admin."""
        return not self.is_admin and (self.role is Role.viewer or bool(anonim))

    def hides_content(self, rahasia: bool | None) -> bool:
        """Whether a confidential complaint's text, place and messages are hidden."""
        return bool(rahasia) and not self.sees_rahasia

    def may(self, reads: Reads) -> bool:
        return self.role in READERS[reads]

    def acted_on(self, complaint_id: int) -> Access:
        """The same access that also reads the complaint it just acted on, for the answer to that action
        (a petugas' dispatch takes a complaint out of the unverified queue it reads)."""
        return Access(self.role, self.opd_id, self.actor, self.ref, self.public, complaint_id)

    def scope(self) -> list[ColumnElement[bool]]:
        """Complaint rows this key may read at all (also through joins: escalation records, hand-back)."""
        if self.role is Role.opd_admin:
            # A key without an OPD sees nothing (never "complaints without an OPD").
            rows = Complaint.opd_id == self.opd_id if self.opd_id is not None else false()
        elif self.role is Role.petugas:
            # The triage queue (unverified, every channel) and what it typed in itself.
            queue = Complaint.status == Status.unverified
            rows = or_(queue, Complaint.entered_by == self.ref) if self.ref else queue
        else:
            return []
        return [or_(rows, Complaint.id == self.acted)] if self.acted is not None else [rows]

    def opd_scope(self, opd_column) -> list[ColumnElement[bool]]:
        """Rows of a table keyed by OPD rather than by complaint (letters)."""
        if self.role is Role.opd_admin:
            return [opd_column == self.opd_id] if self.opd_id is not None else [false()]
        if self.role is Role.petugas:
            return [false()]
        return []

    def tally_scope(self) -> list[ColumnElement[bool]]:
        """Channel contacts that are not complaints (112 ghost/prank calls) belong to no OPD and no petugas."""
        return [false()] if self.role in (Role.opd_admin, Role.petugas) else []

    def may_read(self, complaint: Complaint) -> bool:
        if self.acted is not None and complaint.id == self.acted:
            return True
        if self.role is Role.opd_admin:
            return self.opd_id is not None and complaint.opd_id == self.opd_id
        if self.role is Role.petugas:
            return complaint.status == Status.unverified or (self.ref is not None and complaint.entered_by == self.ref)
        return True

    def may_act(self, action: str) -> bool:
        return may_act(self.role, action)

    def mask(self, row: dict[str, Any]) -> dict[str, Any]:
        """Mask one complaint (a dict of its public fields) in place and return it."""
        if self.is_admin:
            return row
        if self.hides_reporter(row.get("anonim")):
            row["reporter_name"] = None
        row["reporter_contact"] = None
        if self.hides_content(row.get("rahasia")):
            row["title"] = RAHASIA_TITLE
            for name in _RAHASIA_FIELDS:
                if name in row:
                    row[name] = "" if name == "body" else None
        elif self.public and not text_is_public(row.get("status"), row.get("rahasia")):
            for name in _UNVERIFIED_TEXT:
                if name in row:
                    row[name] = None
        return row


PUBLIC = Access(role=Role.viewer, actor="publik", public=True)
