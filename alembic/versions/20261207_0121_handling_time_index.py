"""complaint: the 112 handling time read from an index alone (issue #23)

`/stats/calls/handling-time` (minutes from receipt to finish of the 112 emergencies, median and p90 per
category) read every resolved call of its window from the table: 621 ms for the Kanal page's 30 days and 1.87 s
for all time at 10 M complaints, one channel's rows being scattered over the table's pages.
`ix_complaint_handling (channel, status, category_id, received_at, resolved_at)` holds all it reads: the
resolved calls of each emergency category are one range of it, read without the table on both databases.
Building it holds writes to `complaint` for as long as the build takes (about a minute at 10 M rows).

Revision ID: 0121
Revises: 0120
Create Date: 2026-12-07
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0121'
down_revision: Union[str, None] = '0120'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_complaint_handling", "complaint",
                    ["channel", "status", "category_id", "received_at", "resolved_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_complaint_handling", table_name="complaint")
