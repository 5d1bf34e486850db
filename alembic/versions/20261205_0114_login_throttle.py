"""login_throttle: log-in failure counters shared by every API process (issue #23, several processes)

Revision ID: 0114
Revises: 0113
Create Date: 2026-12-05
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import models.types


revision: str = '0114'
down_revision: Union[str, None] = '0113'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('login_throttle',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('window_start', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    op.create_index(op.f('ix_login_throttle_updated_at'), 'login_throttle', ['updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_login_throttle_updated_at'), table_name='login_throttle')
    op.drop_table('login_throttle')
