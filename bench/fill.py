"""Bulk fills of generated complaints, and the daily rollup built once after them (core/reporting/rollup.py)."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.reporting.rollup import reconcile

TZ = ZoneInfo("Asia/Jakarta")
ROLLUP_TRIGGERS = ("complaint_rollup_delta", "complaint_rollup_insert")  # migrations 0116 and 0117


@contextmanager
def rollup_built_after(engine: Engine):
    """PostgreSQL: the rollup trigger is off during the fill and the rollup is built from the rows after it in
    one pass; SQLite keeps its triggers (they cannot be switched off) and the reconcile folds what they wrote."""
    pg = engine.dialect.name == "postgresql"
    if pg:
        with engine.begin() as conn:
            for trigger in ROLLUP_TRIGGERS:
                conn.execute(text(f"ALTER TABLE complaint DISABLE TRIGGER {trigger}"))
            conn.execute(text("INSERT INTO rollup_state (id, utc_offset_minutes, ready, drifted_days, "
                              "drifted_days_total) VALUES (1, 420, false, 0, 0) "
                              "ON CONFLICT (id) DO UPDATE SET ready = false"))
    try:
        yield
    finally:
        if pg:
            with engine.begin() as conn:
                for trigger in ROLLUP_TRIGGERS:
                    conn.execute(text(f"ALTER TABLE complaint ENABLE TRIGGER {trigger}"))
        started = time.perf_counter()
        result = reconcile(engine, TZ)
        print(f"  rollup {'built' if result.rebuilt else 'checked'} in {time.perf_counter() - started:.1f} s "
              f"({result.rows:,} rows)", file=sys.stderr)
