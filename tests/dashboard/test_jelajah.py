"""The Jelajah grid's rows, callback level: each person pages through their own rows, even at the same time."""

from __future__ import annotations

import flask
import httpx

from dashboard import browser_session, state

# What each person's token may read (an OPD admin sees fewer rows than an analyst), newest first.
ROWS = {"Bearer analis": list(range(150, 0, -1)), "Bearer opd": list(range(150, 0, -2))}


def keyset_api(request: httpx.Request) -> httpx.Response:
    """A cursor API like ours: the cursor is the last id seen, the next page continues below it."""
    if request.url.path.endswith("/channels"):
        return httpx.Response(200, json=[{"code": "lapor", "label": "SP4N-LAPOR!"}])
    if request.url.path.endswith("/statuses"):
        return httpx.Response(200, json=[{"code": "dispatched", "label": "Didisposisikan",
                                          "bucket": "belum_ditindaklanjuti", "tone": "red"}])
    rows = ROWS[request.headers["Authorization"]]
    cursor, limit = request.url.params.get("cursor"), int(request.url.params["limit"])
    after = [i for i in rows if cursor is None or i < int(cursor)][:limit + 1]
    page = after[:limit]
    items = [{"id": i, "tracking_code": f"LPR-{i}", "channel": "lapor", "status": "dispatched"} for i in page]
    return httpx.Response(200, json={"items": items, "next_cursor": str(page[-1]) if len(after) > limit else None})


def person(token: str) -> dict:
    """A browser's session cookie after logging in (no browser id yet: it is made on first use)."""
    return {browser_session.SESSION_KEY: {"kind": "display", "access_token": token, "role": "analyst"}}


def grid_block(app, cookie: dict, start: int, end: int) -> list[int]:
    from dashboard.pages import jelajah

    with app.server.test_request_context("/_dash-update-component", method="POST"):
        flask.session.update(cookie)
        answer = jelajah.serve_rows({"startRow": start, "endRow": end, "sortModel": []}, {})
        cookie.update(flask.session)  # what the response's cookie carries back to that browser
    return [row["id"] for row in answer["rowData"]]


def test_two_people_paging_at_once_each_get_their_own_rows(dash_app):
    state.configure(state.settings(), transport=httpx.MockTransport(keyset_api))
    analyst, opd_admin = person("analis"), person("opd")
    seen: dict[str, list[int]] = {"Bearer analis": [], "Bearer opd": []}
    for start in (0, 50, 100):  # interleaved: each asks for the next block right after the other
        for token, cookie in (("Bearer analis", analyst), ("Bearer opd", opd_admin)):
            seen[token] += grid_block(dash_app, cookie, start, start + 50)
    assert seen == ROWS  # every row once, in order: nobody walks from another person's cursor
    assert analyst[browser_session.BROWSER_ID_KEY] != opd_admin[browser_session.BROWSER_ID_KEY]
