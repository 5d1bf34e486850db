"""Upstream emulators speaking the wire formats of DESIGN.md on 127.0.0.1 (tests and demo)."""
