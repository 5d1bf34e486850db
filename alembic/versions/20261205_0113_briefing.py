"""briefing: the weekly briefing PDF for the Bupati and the Sekda, one per ISO week (issue #22)

Revision ID: 0113
Revises: 0112
Create Date: 2026-12-05
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types
from sqlalchemy.dialects import postgresql


revision: str = '0113'
down_revision: Union[str, None] = '0112'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('briefing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('media_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('uploaded_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_to', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefing')),
    sa.UniqueConstraint('week', name=op.f('uq_briefing_week'))
    )


def downgrade() -> None:
    op.drop_table('briefing')
