"""Reporters' photos on the dashboard: `/media/<complaint>/<media id>` fetches the bytes from the API with the
person's own log-in (the API decides whether they may see them) and hands them to the browser.

An `<img>` cannot send the API's bearer token, so the dashboard relays it, as it relays CSV/XLSX downloads.
Only what the API serves inline (images, video, audio, PDF) is shown inline here; the rest downloads.
"""

from __future__ import annotations

import re

import flask

from dashboard import state

PATH = "/media/<int:complaint_id>/<media_id>"
MEDIA_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def url(complaint_id: int, media_id: str) -> str:
    return f"/media/{complaint_id}/{media_id}"


def install(server: flask.Flask) -> None:
    server.add_url_rule(PATH, "media", relay, methods=["GET"])


def relay(complaint_id: int, media_id: str):
    if not MEDIA_ID.match(media_id):
        return flask.Response("media tidak ditemukan", status=404, mimetype="text/plain")
    got, err = state.fetch(lambda c: c.media(complaint_id, media_id))
    if err is not None:
        status = err.status if err.status in (401, 403, 404) else 502
        return flask.Response(err.message, status=status, mimetype="text/plain",
                              headers={"Cache-Control": "no-store"})
    content, headers = got
    mime = headers.get("content-type") or "application/octet-stream"
    disposition = headers.get("content-disposition") or "attachment"
    response = flask.Response(content, mimetype=None, content_type=mime)
    response.headers.update({"Content-Disposition": disposition, "Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff",
                             "Content-Security-Policy": "default-src 'none'; sandbox"})
    if headers.get("etag"):
        response.headers["ETag"] = headers["etag"]
    return response
