"""Upstream emulators (LAPOR!, Google reviews, Meta webhooks and Graph API) speaking the wire formats
of docs/wire-formats.md on 127.0.0.1.

`runner.serve(app)` runs any ASGI app in a background thread and yields its base URL.
"""
