"""The demo's people: log-ins for an admin, an OPD admin and the Bupati, plus a display token for the TV.

Passwords are new on every run and printed once, so a demo left running on a reachable address never
has a well-known password; re-running resets them (and ends the old log-ins).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from core.identity.keys import create_display_token, revoke_named
from core.identity.users import create_user, update_user
from models import Opd, OpdAdmin, User

DEMO_OPD = "DPUPR"
DISPLAY_NAME = "TV ruang komando (demo)"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    what: str


def demo_people(session: Session) -> tuple[list[DemoLogin], str]:
    """(log-ins, display token); earlier demo display tokens are revoked."""
    opd = session.exec(select(Opd).where(Opd.code == DEMO_OPD)).one()
    desk = session.exec(select(OpdAdmin).where(OpdAdmin.opd_id == opd.id)).first()
    people = [
        ("admin", "Admin Diskominfo", "admin", None, "admin: semua data, pengguna, konektor"),
        (DEMO_OPD.lower(), desk.name if desk else f"Admin {DEMO_OPD}", "opd_admin", DEMO_OPD,
         f"opd_admin: hanya {opd.name}, bisa mencatat tindak lanjut"),
        ("pimpinan", "Bupati Blitar", "viewer", None, "viewer: ringkasan saja (dinding, rapor)"),
    ]
    logins = []
    for username, name, role, opd_code, what in people:
        password = secrets.token_urlsafe(12)  # 16 characters, no username inside (rules of core.identity.users)
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            create_user(session, username, name, role, password, opd_code)
        else:
            update_user(session, user, role=role, opd_code=opd_code, active=True, password=password)
        logins.append(DemoLogin(username, password, what))
    revoke_named(session, f"Layar: {DISPLAY_NAME}")  # create_display_token's naming
    _, token = create_display_token(session, DISPLAY_NAME, 30)
    return logins, token
