"""Upstream emulators (LAPOR!, Google reviews) speaking the wire formats of DESIGN.md on 127.0.0.1.

`runner.serve(app)` runs any ASGI app in a background thread and yields its base URL.
"""
