"""Daily rollups of the complaints, so that the wall and `/stats/*` cost grows with days, not rows (issue #23).

A row of `complaint_rollup` counts the complaints (merged children left out, as every figure leaves them out)
received on one local `day`, in one `status`, whose running SLA deadline falls on `due_day`, for one key of one
`dimension`: `all` (key ''), `channel`, `opd` (opd id), `category` (category id), `kecamatan`, `resolved`
(key: the local day of resolution, resolved complaints only), `resolved_channel` (channel|day), `rating`
(channel|stars|replied, rated complaints only), or the histograms behind `/stats/response-times`: `fu` and
`res` (key: the follow-up / resolution working days), `wait` (key: the local day an unanswered complaint's
response deadline falls on) and their per-channel forms `fu_channel`, `res_channel`, `wait_channel`
(channel|value). `NO_KEY` stands for a missing OPD, category or
kecamatan, `NO_DUE_DAY` for "no running deadline" (closed, postponed, paused).

Database triggers on `complaint` (migrations 0116, 0117, 0119, 0120) append one `complaint_rollup_delta` row per change
(-1 for the old values, +1 for the new), in the same transaction as the write; they never update a shared row, so
concurrent writers do not wait on each other. Readers sum rollup and delta, so every answer is exact; the
worker folds the delta into the rollup every minute and reconciles the rollup with the raw rows every night
(core/reporting/rollup.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models.types import UTCDateTime

NO_KEY = "∅"
NO_DUE_DAY = date(9999, 12, 31)
DEFAULT_UTC_OFFSET_MINUTES = 420  # Asia/Jakarta, what the triggers use while rollup_state has no row


class ComplaintRollup(SQLModel, table=True):
    __tablename__ = "complaint_rollup"

    dimension: str = Field(primary_key=True, max_length=16)
    key: str = Field(primary_key=True, max_length=120)
    day: date = Field(primary_key=True)
    status: str = Field(primary_key=True, max_length=16)
    due_day: date = Field(primary_key=True)
    n: int = 0
    fu_sum: int = 0  # follow-up working days, summed over the complaints that have them
    fu_n: int = 0
    reopened: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # times reopened (the rapor)
    # /stats/response-times (migration 0120): answered by the response deadline, answered at all (both of the
    # complaints not rejected or archived), answered within 24 hours, resolved within 3 calendar days.
    on_time: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    answered: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    in_24h: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    in_3d: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ComplaintRollupDelta(SQLModel, table=True):
    """One complaint's contribution, added (+1) or taken back (-1), not yet folded into the rollup."""

    __tablename__ = "complaint_rollup_delta"

    id: int | None = Field(default=None, primary_key=True)
    day: date
    channel: str = Field(max_length=32)
    opd_id: int | None = None
    category_id: int | None = None
    kecamatan: str | None = Field(default=None, max_length=120)
    status: str = Field(max_length=16)
    due_day: date
    resolved_day: date | None = None
    rating: int | None = None  # the reporter's stars (reviews), for the `rating` dimension
    replied: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # 1: has a first response
    fu_days: int | None = None  # follow-up working days, for the `fu` histograms
    res_days: int | None = None  # resolution working days, for the `res` histograms
    wait_day: date | None = None  # unanswered, counted: the local day of its response deadline (`wait`)
    n: int
    fu_sum: int
    fu_n: int
    reopened: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    on_time: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    answered: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    in_24h: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    in_3d: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RollupState(SQLModel, table=True):
    """One row: the UTC offset the triggers turn timestamps into local days with, whether the rollup may be read
    (false while a database that already held complaints waits for its first build), and the last reconcile."""

    __tablename__ = "rollup_state"

    id: int = Field(default=1, primary_key=True)
    utc_offset_minutes: int = DEFAULT_UTC_OFFSET_MINUTES
    ready: bool = True
    reconciled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    drifted_days: int = 0  # days the last reconcile found wrong and rebuilt
    drifted_days_total: int = 0
