"""triage: merge parent, reject reason, hand-back mark, media, models

Revision ID: 0109
Revises: 0108
Create Date: 2026-12-05
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types
from sqlalchemy.dialects import postgresql

revision: str = '0109'
down_revision: Union[str, None] = '0108'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('triage_model',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('trained_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_model')),
    sa.UniqueConstraint('version', name=op.f('uq_triage_model_version'))
    )
    op.create_table('complaint_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('mime_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('caption', sa.Text(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fetched_at', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_media_complaint_id_complaint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_media')),
    sa.UniqueConstraint('complaint_id', 'media_id', name=op.f('uq_complaint_media_complaint_id_media_id'))
    )
    with op.batch_alter_table('complaint_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_media_complaint_id'), ['complaint_id'], unique=False)

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reject_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('handed_back_at', models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_complaint_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_complaint_parent_id_complaint'), 'complaint', ['parent_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaint_parent_id_complaint'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_complaint_parent_id'))
        batch_op.drop_column('handed_back_at')
        batch_op.drop_column('reject_reason')
        batch_op.drop_column('parent_id')

    with op.batch_alter_table('complaint_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_media_complaint_id'))

    op.drop_table('complaint_media')
    op.drop_table('triage_model')
