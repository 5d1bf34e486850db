"""One complaint in the side panel: facts, text, history, and the follow-up form for whoever may act.

Which buttons appear comes from the API's `allowed_actions` for this log-in (an OPD admin gets tindak
lanjut, tunda and selesai on its own complaints); the API checks again when the form is sent.
"""

from __future__ import annotations

import json
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import components, ids, shaping, state

# action → (button text, colour, success message); in the order they are offered
ACTIONS = {
    "respond": ("Kirim tindak lanjut", "primary", "Tindak lanjut tersimpan."),
    "resolve": ("Tandai selesai", "success", "Aduan ditandai selesai."),
    "postpone": ("Tunda", "warning", "Aduan ditunda."),
    "verify": ("Verifikasi", "secondary", "Aduan terverifikasi."),
    "dispatch": ("Disposisi ke OPD", "secondary", "Aduan didisposisikan."),
    "reject": ("Tolak", "danger", "Aduan ditolak."),
    "reopen": ("Buka kembali", "secondary", "Aduan dibuka kembali."),
}
NOTE_HINT = "Tuliskan tindak lanjut untuk pelapor (wajib untuk 'Kirim tindak lanjut' dan 'Tolak')."


def body(detail: dict[str, Any], notice: Any = None) -> html.Div:
    tz, labels = state.tz(), state.labels()
    facts = html.Dl([item for label, value in shaping.detail_facts(detail, tz, labels)
                     for item in (html.Dt(label, className="col-5"), html.Dd(value, className="col-7"))],
                    className="row facts mb-2")
    raw = detail.get("raw")
    return html.Div([
        notice,
        facts,
        html.P(detail.get("body") or "", className="border-start border-3 ps-2 text-secondary"),
        followup_form(detail.get("allowed_actions") or []),
        html.H6("Riwayat", className="mt-3 mb-2 fw-bold"),
        _timeline(shaping.timeline(detail, tz, labels)),
        html.Details([html.Summary("Data mentah dari sumber (admin)"),
                      html.Pre(json.dumps(raw, ensure_ascii=False, indent=1)[:4000], className="small")],
                     className="mt-3") if raw else None,
    ])


def _timeline(events: list[dict[str, str]]):
    if not events:
        return components.unavailable("Riwayat belum tersedia")
    return html.Ol([html.Li([
        html.Div(ev["when"], className="timeline-when"),
        html.Div([ev["title"], html.Span(f" · {ev['actor']}", className="text-muted fw-normal")
                  if ev["actor"] else None], className="timeline-title"),
        html.Div(ev["note"], className="timeline-note") if ev["note"] else None,
    ], className=f"timeline-item kind-{ev['kind']}") for ev in events], className="timeline", id="jl-timeline")


def followup_form(allowed: list[str]) -> html.Div | None:
    offered = [a for a in ACTIONS if a in allowed]
    if not offered:
        return None
    opd, _ = state.reference("opd", lambda c: c.opd())
    return html.Div([
        html.H6("Tindak lanjut", className="fw-bold mb-2"),
        html.Div(id=ids.JL_ACTION_RESULT),
        dbc.Textarea(id=ids.JL_ACTION_NOTE, placeholder=NOTE_HINT, className="mb-2", maxLength=10_000),
        html.Div(dcc.Dropdown(id=ids.JL_ACTION_OPD, placeholder="OPD tujuan disposisi",
                              options=[{"label": o.get("name") or o.get("code"), "value": o.get("code")}
                                       for o in opd or []]),
                 className="mb-2", style=None if "dispatch" in offered else {"display": "none"}),
        html.Div([dbc.Button(ACTIONS[a][0], id={"type": ids.JL_ACTION, "action": a}, color=ACTIONS[a][1],
                             size="sm", outline=a not in ("respond", "resolve")) for a in offered],
                 className="d-flex flex-wrap gap-2"),
    ], className="followup-form border rounded p-2 mb-2 bg-light")


def act(complaint_id: int, action: str, note: str | None, opd: str | None) -> tuple[Any, Any]:
    """Send one action; answers (new panel body, None) or (None, an alert explaining the refusal)."""
    detail, err = state.fetch(lambda c: c.act(complaint_id, action, (note or "").strip() or None, opd))
    if err is not None:
        reason = err.detail if err.status in (403, 404, 409, 422) and err.detail else err.message
        return None, dbc.Alert(f"{ACTIONS[action][0]} gagal: {reason}", color="danger", className="py-2 mb-2")
    notice = dbc.Alert(ACTIONS[action][2], color="success", className="py-2 mb-2", id="jl-action-ok")
    return body(detail, notice), None
