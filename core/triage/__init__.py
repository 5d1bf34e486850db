"""Triage: category and OPD suggestions learned from the kabupaten's own history, and duplicate candidates."""
