"""One complaint in the side panel: facts, text, history, and the follow-up form for whoever may act.

Which buttons appear comes from the API's `allowed_actions` for this log-in (an OPD admin gets tindak
lanjut, tunda and selesai on its own complaints); the API checks again when the form is sent.
On a channel whose upstream publishes the reply (Google reviews) the note box says so, shows the upstream's
cap with a counter, and the panel shows whether the reply has reached the upstream (`upstream_actions`).
"""

from __future__ import annotations

import json
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, clientside_callback, dcc, html

from dashboard import components, ids, queue, shaping, state

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
NOTE_HINT = "Tuliskan tindak lanjut untuk pelapor (wajib untuk 'Kirim tindak lanjut')."
# channel → (box label, placeholder, reply button, upstream, cap) where a reply is published upstream
REPLY_BOXES = {
    "google_reviews": ("Balas ulasan (publik, tampil di Google Maps)",
                       "Balasan ini tampil di bawah ulasan di Google Maps. Tutup aduan dengan 'Tandai selesai'.",
                       "Kirim balasan", "Google", 4096),
}
SYNC_TONES = {"menunggu": "warning", "terkirim": "success", "gagal": "danger"}
ACTION_WORDS = {"respond": "balasan / tindak lanjut", "resolve": "selesai", "postpone": "tunda",
                "verify": "verifikasi", "dispatch": "disposisi", "reject": "tolak"}


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


# The counter follows the box as one types, in the browser (no round trip per key).
clientside_callback(
    "(value, max) => `${(value || '').length.toLocaleString('id-ID')} / ${(max || 0).toLocaleString('id-ID')}"
    " karakter`",
    Output(ids.JL_ACTION_COUNT, "children"), Input(ids.JL_ACTION_NOTE, "value"), State(ids.JL_ACTION_NOTE, "maxLength"),
    prevent_initial_call=True)


def body(detail: dict[str, Any], notice: Any = None, actions: bool = True) -> html.Div:
    """`actions=False`: the panel without the follow-up form (shown outside Jelajah, e.g. after a merge)."""
    tz, labels = state.tz(), state.labels()
    facts = html.Dl([item for label, value in shaping.detail_facts(detail, tz, labels)
                     for item in (html.Dt(label, className="col-5"), html.Dd(value, className="col-7"))],
                    className="row facts mb-2")
    raw = detail.get("raw")
    return html.Div([
        notice,
        facts,
        html.P(detail.get("body") or "", className="border-start border-3 ps-2 text-secondary"),
        handed_back(detail),
        photos(detail),
        reporters(detail),
        sync_status(detail),
        followup_form(detail.get("allowed_actions") or [], detail.get("channel")) if actions else None,
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


def photos(detail: dict[str, Any]) -> html.Div | None:
    """The reporter's photos (WhatsApp), relayed by the dashboard with this person's log-in; None without any."""
    shown = queue.photos(detail)
    if not shown:
        return None
    return html.Div([
        html.A(html.Img(src=p["src"], alt=p["caption"] or "foto pelapor", className="vf-thumb"), href=p["src"],
               target="_blank", title=p["caption"] or "") if p["thumbnail"]
        else html.Div(queue.photo_state_text(p), className="small text-muted")
        for p in shown], className="d-flex flex-wrap gap-2 mb-2 detail-photos")


def reporters(detail: dict[str, Any]) -> html.Div | None:
    """Everyone who reported this issue: its own reporter and those of the duplicates merged into it."""
    people = [r for r in detail.get("reporters") or [] if isinstance(r, dict)]
    parent = detail.get("parent_code") or detail.get("parent_id")
    if len(people) < 2 and not parent:
        return None
    labels = state.labels()
    return html.Div([
        html.Div(f"Digabung sebagai duplikat dari {parent}", className="small fw-bold mb-1") if parent else None,
        html.H6(f"Pelapor ({len(people)})", className="fw-bold mb-1") if len(people) >= 2 else None,
        html.Ul([html.Li([html.Span(r.get("name") or "(anonim)", className="fw-bold"),
                          f" · {labels.channel(r.get('channel'))} · {r.get('tracking_code') or ''}"])
                 for r in people], className="mb-0 small", id="detail-reporters") if len(people) >= 2 else None,
    ], className="border rounded p-2 mb-2")


def handed_back(detail: dict[str, Any]) -> dbc.Alert | None:
    """Entered into SP4N-LAPOR! through the hand-back download (GET /export/lapor-manual.xlsx), and when."""
    if not detail.get("handed_back_at"):
        return None
    when = shaping.local_time(detail["handed_back_at"], state.tz())
    return dbc.Alert(f"Sudah diserahkan ke SP4N-LAPOR! pada {when} WIB", color="info", className="py-1 px-2 mb-2 small",
                     id="jl-handed-back")


def sync_status(detail: dict[str, Any]) -> html.Div | None:
    """Whether actions sent upstream (a Google reply, a LAPOR! follow-up) have arrived; None when there are none."""
    actions = [a for a in detail.get("upstream_actions") or [] if isinstance(a, dict)]
    summary = detail.get("sync_state")
    if not actions and not summary:
        return None
    box = REPLY_BOXES.get(detail.get("channel") or "")
    upstream = box[3] if box else state.labels().channel(detail.get("channel"), "hulu")
    tz = state.tz()
    items = []
    for a in actions:
        shown = str(a.get("status") or "")
        words = {"menunggu": f"menunggu sinkron ke {upstream}", "terkirim": f"terkirim ke {upstream}",
                 "gagal": f"gagal dikirim ke {upstream}"}.get(shown, shown or "–")
        when = shaping.local_time(a.get("at"), tz) if a.get("at") else None
        items.append(html.Li([
            dbc.Badge(words, color=SYNC_TONES.get(shown, "secondary"), className="me-2"),
            ACTION_WORDS.get(str(a.get("action")), str(a.get("action") or "")),
            html.Span(f" · {when} WIB", className="text-muted") if when else None,
            html.Div(a.get("error"), className="small text-danger") if a.get("error") else None,
        ], className="mb-1"))
    return html.Div([
        html.Div(summary, className="small fw-bold mb-1") if summary and not items else None,
        html.Ul(items, className="list-unstyled mb-0") if items else None,
    ], id=ids.JL_SYNC, className="border rounded p-2 mb-2")


def followup_form(allowed: list[str], channel: str | None = None) -> html.Div | None:
    offered = [a for a in ACTIONS if a in allowed]
    if not offered:
        return None
    opd, _ = state.reference("opd", lambda c: c.opd())
    reasons, _ = state.reference("reject-reasons", lambda c: c.reject_reasons()) if "reject" in offered else ([], None)
    box = REPLY_BOXES.get(channel or "") if "respond" in offered else None
    if box:
        label, hint, _button, _upstream, cap = box
        note = [html.Label(label, htmlFor=ids.JL_ACTION_NOTE, className="form-label small fw-bold mb-1"),
                dbc.Textarea(id=ids.JL_ACTION_NOTE, placeholder=hint, className="mb-1", maxLength=cap),
                html.Div([f"Maksimal {_thousands(cap)} karakter · ",
                          html.Span(f"0 / {_thousands(cap)} karakter", id=ids.JL_ACTION_COUNT)],
                         className="small text-muted mb-2")]
    else:
        note = [dbc.Textarea(id=ids.JL_ACTION_NOTE, placeholder=NOTE_HINT, className="mb-2", maxLength=10_000)]
    return html.Div([
        html.H6("Tindak lanjut", className="fw-bold mb-2"),
        html.Div(id=ids.JL_ACTION_RESULT),
        *note,
        html.Div(dcc.Dropdown(id=ids.JL_ACTION_OPD, placeholder="OPD tujuan disposisi",
                              options=[{"label": o.get("name") or o.get("code"), "value": o.get("code")}
                                       for o in opd or []]),
                 className="mb-2", style=None if "dispatch" in offered else {"display": "none"}),
        html.Div(dcc.Dropdown(id=ids.JL_ACTION_REASON, placeholder="Alasan penolakan",
                              options=[{"label": r.get("label") or r.get("code"), "value": r.get("code")}
                                       for r in reasons or []]),
                 className="mb-2", style=None if "reject" in offered else {"display": "none"}),
        html.Div([dbc.Button(box[2] if box and a == "respond" else ACTIONS[a][0],
                             id={"type": ids.JL_ACTION, "action": a}, color=ACTIONS[a][1],
                             size="sm", outline=a not in ("respond", "resolve")) for a in offered],
                 className="d-flex flex-wrap gap-2"),
    ], className="followup-form border rounded p-2 mb-2 bg-light")


def act(complaint_id: int, action: str, note: str | None, opd: str | None,
        reason: str | None = None) -> tuple[Any, Any]:
    """Send one action; answers (new panel body, None) or (None, an alert explaining the refusal)."""
    detail, err = state.fetch(lambda c: c.act(complaint_id, action, (note or "").strip() or None, opd,
                                              reason=reason if action == "reject" else None))
    if err is not None:
        reason = err.detail if err.status in (403, 404, 409, 422) and err.detail else err.message
        return None, dbc.Alert(f"{ACTIONS[action][0]} gagal: {reason}", color="danger", className="py-2 mb-2")
    box = REPLY_BOXES.get(detail.get("channel") or "")
    done = f"Balasan tersimpan; dikirim ke {box[3]}." if box and action == "respond" else ACTIONS[action][2]
    notice = dbc.Alert(done, color="success", className="py-2 mb-2", id="jl-action-ok")
    return body(detail, notice), None
