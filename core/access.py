"""Who is asking, what they may see, and masking of what they may not.

- viewer: aggregates; complaints with reporter and confidential (rahasia) content masked;
- analyst: every complaint; reporter contact masked;
- opd_admin: only its OPD's complaints (lists, stats, actions); reporter contact masked;
- petugas: only the complaints they entered themselves; reporter contact masked;
- admin: everything, including raw payloads.
Anonymous (anonim) reporters are hidden from everyone but admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import false
from sqlalchemy.sql.elements import ColumnElement

from core.principal import Principal
from models import Complaint, Role

RAHASIA_TITLE = "[Rahasia]"
_RAHASIA_FIELDS = ("body", "location_text", "lat", "lon")


@dataclass(frozen=True)
class Access:
    role: Role
    opd_id: int | None = None
    actor: str = "system"
    ref: str | None = None  # the principal's "user:12" / "key:3"

    @classmethod
    def of(cls, principal: Principal) -> Access:
        return cls(role=principal.role, opd_id=principal.opd_id, actor=principal.name, ref=principal.ref)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    @property
    def sees_rahasia(self) -> bool:
        return self.role is not Role.viewer

    def scope(self) -> list[ColumnElement[bool]]:
        """Rows this key may read at all."""
        if self.role is Role.opd_admin:
            # A key without an OPD sees nothing (never "complaints without an OPD").
            return [Complaint.opd_id == self.opd_id] if self.opd_id is not None else [false()]
        if self.role is Role.petugas:
            return [Complaint.entered_by == self.ref] if self.ref else [false()]
        return []

    def may_read(self, complaint: Complaint) -> bool:
        if self.role is Role.opd_admin:
            return self.opd_id is not None and complaint.opd_id == self.opd_id
        if self.role is Role.petugas:
            return self.ref is not None and complaint.entered_by == self.ref
        return True

    def mask(self, row: dict[str, Any]) -> dict[str, Any]:
        """Mask one complaint (a dict of its public fields) in place and return it."""
        if self.is_admin:
            return row
        hide_name = self.role is Role.viewer or row.get("anonim")
        if hide_name:
            row["reporter_name"] = None
        row["reporter_contact"] = None
        if row.get("rahasia") and not self.sees_rahasia:
            row["title"] = RAHASIA_TITLE
            for name in _RAHASIA_FIELDS:
                if name in row:
                    row[name] = "" if name == "body" else None
        return row
