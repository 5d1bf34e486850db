"""complaint: the channels and their newest complaint by index; resolutions per channel in the rollup (issue #23)

At 10 M complaints the wall waited on three whole-table reads: the channels present (`SELECT DISTINCT channel`,
1.3 s), each channel's newest complaint (`max(received_at) … GROUP BY channel`, 3 s) and each channel's day
series (its resolutions per day were not rolled up per channel, 1.8 s a channel). Now:
- `ix_complaint_channel_received (channel, received_at)` replaces `ix_complaint_channel`: the channels are read by
  skipping through it and the newest complaint of each is one probe (core/intake/channels.py);
- three indexes another one already leads with the same column go (`ix_complaint_status`, served by the
  `ix_complaint_status_*` ones; `ix_complaint_received_at`, by `ix_complaint_received_id`; `ix_complaint_opd_id`,
  by `ix_complaint_opd_status`): three fewer to write on every insert and update of the busiest table;
- the rollup gains the dimension `resolved_channel` (core/reporting/rollup.py). A database holding complaints has
  none of its rows yet, so the rollup is marked not built: reads use the raw table until the worker's first
  reconcile (within five minutes of its start) or `aduan db reconcile-rollup` rebuilds it.

Revision ID: 0118
Revises: 0117
Create Date: 2026-12-06
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0118'
down_revision: Union[str, None] = '0117'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REDUNDANT = {"ix_complaint_status": ["status"], "ix_complaint_received_at": ["received_at"],
             "ix_complaint_opd_id": ["opd_id"]}


def upgrade() -> None:
    op.create_index("ix_complaint_channel_received", "complaint", ["channel", "received_at"], unique=False)
    op.drop_index("ix_complaint_channel", table_name="complaint")
    for name in REDUNDANT:
        op.drop_index(name, table_name="complaint")
    _rollup_not_built()


def downgrade() -> None:
    for name, columns in REDUNDANT.items():
        op.create_index(name, "complaint", columns, unique=False)
    op.create_index("ix_complaint_channel", "complaint", ["channel"], unique=False)
    op.drop_index("ix_complaint_channel_received", table_name="complaint")
    op.execute("DELETE FROM complaint_rollup WHERE dimension = 'resolved_channel'")


def _rollup_not_built() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM complaint LIMIT 1")).first() is None:
        return
    if bind.execute(sa.text("SELECT 1 FROM rollup_state WHERE id = 1")).first() is None:
        op.execute("INSERT INTO rollup_state (id, utc_offset_minutes, ready, drifted_days, drifted_days_total) "
                   "VALUES (1, 420, false, 0, 0)")
    else:
        op.execute("UPDATE rollup_state SET ready = false WHERE id = 1")
