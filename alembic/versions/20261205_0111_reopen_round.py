"""reopen round: a reopened complaint is chased again from the reopen (reopened_at, reopen_answered_at)

Revision ID: 0111
Revises: 0110
Create Date: 2026-12-05
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import models.types


revision: str = '0111'
down_revision: Union[str, None] = '0110'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopened_at', models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reopen_answered_at', models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_column('reopen_answered_at')
        batch_op.drop_column('reopened_at')
