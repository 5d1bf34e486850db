"""citizen loop: BERHENTI opt-outs, the reporter's "sudah beres?" answer, reopen count

Revision ID: 0110
Revises: 0109
Create Date: 2026-12-05
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision: str = '0110'
down_revision: Union[str, None] = '0109'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('contact_optout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('opted_out_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_optout')),
    sa.UniqueConstraint('channel', 'address', name=op.f('uq_contact_optout_channel_address'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('satisfaction', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_at', models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reopened_count', sa.Integer(), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('reopened_count')
        batch_op.drop_column('satisfaction_at')
        batch_op.drop_column('satisfaction')

    op.drop_table('contact_optout')
