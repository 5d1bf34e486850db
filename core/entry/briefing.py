"""The weekly briefing's glue above core.reporting and core.trends: the week's spikes, and the worker's Monday job.

The job (`WeeklyBriefing`, every `BRIEFING_CHECK_SECONDS` in `aduan worker`): from Monday `ADUAN_BRIEFING_HOUR`
local time, the briefing of the week that just ended is made and stored once (`Briefing`, unique per week), then
queued once per recipient (outbox keys `briefing:<week>:<number>`). Later passes find both and do nothing; a pass
that could not upload the PDF to WhatsApp (Graph down, sending not configured yet) leaves the queueing to the next.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.casework.outbox import GraphSender, SendError
from core.identity.access import Access
from core.reporting.briefing import SYSTEM, Week, due_week, send_briefing, store_briefing
from core.runtime.settings import Settings
from core.trends.queries import spikes_view
from models.types import utcnow

log = logging.getLogger(__name__)

BRIEFING_CHECK_SECONDS = 300.0
SPIKES_ASKED = 12  # a day's and its week's spike of one place share a label: ask for more, keep three labels


def week_spikes(session: Session, settings: Settings, week: Week, access: Access = SYSTEM) -> list[dict[str, Any]]:
    """The spikes whose period touches the week, most unusual first (core.trends)."""
    return spikes_view(session, settings, since=week.start, until=week.end, limit=SPIKES_ASKED,
                       access=access)["spikes"]


class WeeklyBriefing:
    def __init__(self, engine: Engine, settings: Settings, sender: GraphSender):
        self.engine, self.settings, self.sender = engine, settings, sender

    def __call__(self, now: datetime | None = None) -> str | None:
        now = now or utcnow()
        week = due_week(now, self.settings)
        if week is None:
            return None
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                row = store_briefing(session, self.settings, week, week_spikes(session, self.settings, week), now)
                made = row.created_at == now
                session.commit()
                queued = send_briefing(session, self.settings, row, self.sender, now)
                session.commit()
            except IntegrityError:  # another worker (PostgreSQL) made or queued it at the same moment
                session.rollback()
                return None
            except SendError as exc:
                session.rollback()
                log.warning("briefing %s: upload to WhatsApp failed (%s); tried again on the next pass",
                            week.code, exc.reason)
                return None
        if not made and not queued:
            return None
        queued_text = f", queued to {queued} recipient{'' if queued == 1 else 's'}" if queued else ""
        return f"briefing {week.code}" + (" made" if made else "") + queued_text
