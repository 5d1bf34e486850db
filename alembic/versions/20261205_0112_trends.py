"""trends: topics of a period with their complaints, and spikes above a seasonal baseline (issue #22)

Revision ID: 0112
Revises: 0111
Create Date: 2026-12-05
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types
from sqlalchemy.dialects import postgresql

revision: str = '0112'
down_revision: Union[str, None] = '0111'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('trend_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('computed_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trend_run')),
    sa.UniqueConstraint('period', 'period_start', name=op.f('uq_trend_run_period_period_start'))
    )
    op.create_table('trend_topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['trend_run.id'], name=op.f('fk_trend_topic_run_id_trend_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trend_topic'))
    )
    with op.batch_alter_table('trend_topic', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trend_topic_run_id'), ['run_id'], unique=False)

    op.create_table('trend_spike',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('kecamatan', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('window', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('ratio', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('channels', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('opd_counts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('first_seen_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notified_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_trend_spike_category_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trend_spike')),
    sa.UniqueConstraint('key', name=op.f('uq_trend_spike_key'))
    )
    with op.batch_alter_table('trend_spike', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trend_spike_period_start'), ['period_start'], unique=False)

    op.create_table('trend_topic_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_trend_topic_member_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['topic_id'], ['trend_topic.id'], name=op.f('fk_trend_topic_member_topic_id_trend_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trend_topic_member')),
    sa.UniqueConstraint('topic_id', 'complaint_id', name=op.f('uq_trend_topic_member_topic_id_complaint_id'))
    )
    with op.batch_alter_table('trend_topic_member', schema=None) as batch_op:
        batch_op.create_index('ix_trend_topic_member_complaint', ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trend_topic_member_topic_id'), ['topic_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('trend_topic_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trend_topic_member_topic_id'))
        batch_op.drop_index('ix_trend_topic_member_complaint')

    op.drop_table('trend_topic_member')
    with op.batch_alter_table('trend_spike', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trend_spike_period_start'))

    op.drop_table('trend_spike')
    with op.batch_alter_table('trend_topic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trend_topic_run_id'))

    op.drop_table('trend_topic')
    op.drop_table('trend_run')
