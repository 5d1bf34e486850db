"""stats columns and indexes

Working-day counts from receipt to first response / resolution, stored so the rapor and stats
average them in SQL; indexes for the filtered list and stats queries.

Revision ID: 0104
Revises: 0001
Create Date: 2026-11-23
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0104'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_working_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution_working_days', sa.Integer(), nullable=True))
    _backfill()
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_stats', ['received_at', 'status', 'channel', 'opd_id', 'category_id',
                                                     'kecamatan', 'response_due_at', 'resolution_due_at',
                                                     'followup_working_days'], unique=False)
        batch_op.create_index('ix_complaint_status_resolved', ['status', 'resolved_at'], unique=False)


def _backfill() -> None:
    """Existing complaints get their counts computed once with the configured calendar."""
    from core.reference.calendar import default_calendar
    from core.casework.followup import working_days
    from models.types import UTCDateTime

    conn = op.get_bind()
    ts = UTCDateTime()
    complaint = sa.table('complaint', sa.column('id', sa.Integer), sa.column('received_at', ts),
                         sa.column('first_response_at', ts), sa.column('resolved_at', ts),
                         sa.column('followup_working_days', sa.Integer),
                         sa.column('resolution_working_days', sa.Integer))
    rows = conn.execute(sa.select(complaint.c.id, complaint.c.received_at, complaint.c.first_response_at,
                                  complaint.c.resolved_at).where(
        sa.or_(complaint.c.first_response_at.is_not(None), complaint.c.resolved_at.is_not(None)))).all()
    if not rows:
        return
    calendar = default_calendar()
    updates = [{"cid": r.id, "fu": working_days(calendar, r.received_at, r.first_response_at),
                "rs": working_days(calendar, r.received_at, r.resolved_at)} for r in rows]
    conn.execute(complaint.update().where(complaint.c.id == sa.bindparam("cid")).values(
        followup_working_days=sa.bindparam("fu"), resolution_working_days=sa.bindparam("rs")), updates)


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_status_resolved')
        batch_op.drop_index('ix_complaint_stats')
        batch_op.drop_column('resolution_working_days')
        batch_op.drop_column('followup_working_days')
