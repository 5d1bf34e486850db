"""Aduan Terpadu's core, in rooms by capability; imports run downward only (tests/test_layers.py):

runtime (settings, database, logs) <- reference (calendar, regions, seed) <- identity (who may do what)
<- casework (SLA, workflow, escalation, outbox) <- intake (connector contract, inbox, pipeline)
<- reporting (queries, stats, rapor, exports); entry/ (CLI, serve, worker, demo, doctor) sits on top of
everything, api/ and dashboard/ included.
"""

# Every ORM write of a complaint stamps its working-day counts, whichever room writes it.
from core.casework import followup as _followup  # noqa: F401
