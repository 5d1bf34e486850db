"""Verifikasi: the unverified queue, oldest first, one card per complaint (admin and petugas).

Each card shows what the reporter sent (text, channel, place, WhatsApp photos), the SLA clock to the response
deadline, the model's top-3 category and OPD suggestions with their confidence, and possible duplicates from
every channel. One click on a suggestion verifies and dispatches (`dispatch` with opd + category); a card can
also be dispatched by hand, rejected with a reason, or merged into a duplicate; a selection takes bulk actions
(all or nothing). Keyboard shortcuts (assets/verifikasi.js) drive the focused card. Everything goes through the
API, which checks the role and the complaint's state again.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import components, detail, ids, queue, shaping, state
from dashboard.client import ApiError

dash.register_page(__name__, path="/verifikasi", name="Verifikasi", title="Verifikasi aduan — Aduan Terpadu",
                   order=4)

PAGE_SIZE = 10
BODY_MAX = 1200
ACTION_DONE = {"verify": "terverifikasi", "dispatch": "didisposisikan", "reject": "ditolak", "merge": "digabung"}


def _options(items, value_key="code", label_keys=("label", "name")) -> list[dict[str, str]]:
    return [{"label": next((i[k] for k in label_keys if i.get(k)), i.get(value_key)), "value": i.get(value_key)}
            for i in items or [] if i.get(value_key)]


def _category_options(categories) -> list[dict[str, str]]:
    """Sub-categories under their parent's name ("Infrastruktur › Jalan rusak"), the way people look for them."""
    names = {c.get("code"): c.get("name") for c in categories or []}
    return sorted(({"label": f"{names[c['parent_code']]} › {c['name']}" if names.get(c.get("parent_code"))
                    else c.get("name") or c["code"], "value": c["code"]} for c in categories or [] if c.get("code")),
                  key=lambda o: o["label"])


def layout(**_query) -> html.Div:
    login = state.login()
    if login is not None and not components.page_allowed("/verifikasi", login.role):
        return html.Div([components.page_header("Verifikasi aduan"),
                         html.Div(components.no_access(reason="Antrean verifikasi hanya untuk admin dan petugas "
                                                                "pelayanan."), id=ids.VF_NO_ACCESS)],
                        className="container-fluid")
    channels, err = state.reference("channels", lambda c: c.channels())
    reasons, reasons_err = state.reference("reject_reasons", lambda c: c.reject_reasons())
    opd, _ = state.reference("opd", lambda c: c.opd())
    categories, _ = state.reference("categories", lambda c: c.categories())
    help_line = html.Div([html.Span("Pintasan papan ketik:", className="fw-bold me-2"),
                          *[html.Span([html.Kbd(key), f" {what}"], className="me-3 text-nowrap")
                            for key, what in queue.SHORTCUTS]], id=ids.VF_HELP, className="vf-help small mb-2")
    bulk = html.Div([
        dbc.Checkbox(id=ids.VF_SELECT_ALL, label="Pilih semua", value=False, className="me-2 mb-0"),
        html.Span("0 dipilih", id=ids.VF_SELECTED, className="fw-bold me-3 text-nowrap"),
        dbc.Button("Verifikasi", id=ids.VF_BULK_VERIFY, size="sm", color="secondary", outline=True, disabled=True),
        html.Div([dbc.Select(id=ids.VF_BULK_CATEGORY, options=_category_options(categories), size="sm",
                             placeholder="Kategori (opsional)"),
                  dbc.Select(id=ids.VF_BULK_OPD, options=_options(opd), size="sm", placeholder="OPD tujuan"),
                  dbc.Button("Disposisi", id=ids.VF_BULK_DISPATCH, size="sm", color="primary", disabled=True)],
                 className="d-flex gap-1 align-items-center"),
        html.Div([dbc.Select(id=ids.VF_BULK_REASON, options=_options(reasons), size="sm",
                             placeholder="Alasan penolakan"),
                  dbc.Button("Tolak", id=ids.VF_BULK_REJECT, size="sm", color="danger", outline=True, disabled=True)],
                 className="d-flex gap-1 align-items-center"),
    ], className="vf-bulk d-flex flex-wrap gap-3 align-items-center border rounded p-2 mb-2 bg-light")
    return html.Div([
        dcc.Store(id=ids.VF_VERSION, data=0),
        dcc.Store(id=ids.VF_DATA, data={}),
        components.page_header(
            "Verifikasi aduan", "Antrean aduan belum terverifikasi dari semua kanal, terlama di atas. Terima saran, "
                                "disposisikan, tolak dengan alasan, atau gabungkan duplikat.",
            [html.Div(dcc.Dropdown(id=ids.VF_CHANNEL, options=_options(channels), multi=True,
                                   placeholder="Semua kanal"), style={"minWidth": "260px"}),
             html.Div(dbc.Select(id=ids.VF_SORT, options=[{"label": label, "value": value}
                                                          for value, label, *_ in queue.SORTS],
                                 value=queue.OLDEST, className="vf-sort"), style={"minWidth": "300px"},
                      title="Urutan antrean: kandidat dari komentar media sosial bisa diurutkan menurut kemungkinan "
                            "benar aduan"),
             dbc.Button("Muat ulang", id=ids.VF_REFRESH, color="primary", outline=True, className="vf-refresh")]),
        components.error_alert(err or reasons_err, "Data referensi"),
        help_line,
        bulk,
        html.Div(id=ids.VF_RESULT),
        html.Div("…", id=ids.VF_COUNT, className="vf-count mb-2 fs-5 fw-bold text-primary-emphasis"),
        dcc.Loading(html.Div(id=ids.VF_CARDS, className="vf-cards"), type="dot", delay_show=400),
        dbc.Offcanvas(html.Div(id=ids.VF_PANEL_BODY), id=ids.VF_PANEL, title="Aduan induk", placement="end",
                      is_open=False, style={"width": "560px"}),
    ], className="container-fluid vf-page")


# --- the queue ---------------------------------------------------------------------------------------


@callback(Output(ids.VF_CARDS, "children"), Output(ids.VF_COUNT, "children"), Output(ids.VF_DATA, "data"),
          Output(ids.VF_SELECT_ALL, "value"),
          Input(ids.VF_VERSION, "data"), Input(ids.VF_REFRESH, "n_clicks"), Input(ids.VF_CHANNEL, "value"),
          Input(ids.VF_SORT, "value"))
def show_queue(_version, _refresh, channels, order=None):
    params, sort = queue.queue_query(channels, order)
    got = state.fetch_many({"page": lambda c: c.complaints(params, limit=PAGE_SIZE, sort=sort),
                            "summary": lambda c: c.summary(params)})
    page, err = got["page"]
    if err:
        return components.list_unavailable(err, "antrean verifikasi") if err.status == 403 else \
            components.error_alert(err, "Antrean"), "–", {}, False
    summary = got["summary"][0] or {}
    items = page.items
    calls: dict[str, Any] = {}
    for item in items:
        cid = item["id"]
        calls[f"d{cid}"] = lambda c, cid=cid: c.complaint(cid)
        calls[f"s{cid}"] = lambda c, cid=cid: c.similar(cid)
    found = state.fetch_many(calls) if calls else {}
    categories, _ = state.reference("categories", lambda c: c.categories())
    opd, _ = state.reference("opd", lambda c: c.opd())
    reasons, _ = state.reference("reject_reasons", lambda c: c.reject_reasons())
    options = {"categories": _category_options(categories), "opd": _options(opd), "reasons": _options(reasons)}
    now, tz, labels = state.now(), state.tz(), state.labels()
    cards, data = [], {}
    for item in items:
        cid = item["id"]
        complaint, d_err = found[f"d{cid}"]
        if d_err:
            cards.append(components.error_alert(d_err, item.get("tracking_code") or str(cid)))
            continue
        similar, s_err = found[f"s{cid}"]
        pairs = queue.suggestion_pairs(complaint.get("suggestions"), categories)
        allowed = complaint.get("allowed_actions") or []
        data[str(cid)] = {"code": complaint.get("tracking_code"), "pairs": pairs, "child": "merge" in allowed}
        cards.append(card(complaint, similar or [], s_err, pairs, options, now, tz, labels))
    if not cards:
        return components.unavailable("Antrean kosong: semua aduan sudah diverifikasi."), _count(summary, 0), {}, False
    return cards, _count(summary, len(cards)), data, False


def _count(summary: dict[str, Any], shown: int) -> str:
    total, overdue = summary.get("total"), summary.get("overdue")
    text = f"{shaping.fmt_int(total)} aduan menunggu verifikasi · {shaping.fmt_int(overdue)} lewat tenggat"
    return text + (f" · {shown} terlama ditampilkan" if total and shown < total else "")


def card(complaint: dict[str, Any], similar: list[dict[str, Any]], similar_err: ApiError | None,
         pairs: list[dict[str, Any]], options: dict[str, list], now, tz, labels) -> dbc.Card:
    cid = complaint["id"]
    clock, tone = queue.sla_clock(complaint.get("response_due_at"), now)
    allowed = set(complaint.get("allowed_actions") or [])
    text = complaint.get("body") or ""
    header = html.Div([
        dbc.Checkbox(id={"type": ids.VF_SELECT, "id": cid}, value=False, className="vf-select me-1 mb-0"),
        html.Span(complaint.get("tracking_code"), className="vf-code fw-bold"),
        dbc.Badge(labels.channel(complaint.get("channel")), color="light", text_color="dark",
                  className=f"vf-channel border channel-{complaint.get('channel')}"),
        html.Span(f"diterima {shaping.local_time(complaint.get('received_at'), tz)} WIB", className="text-muted small"),
        _likely(complaint),
        html.Span(clock, className=f"vf-clock ms-auto tone-{tone}", title="Sisa waktu sampai batas tanggapan "
                  f"{shaping.local_time(complaint.get('response_due_at'), tz)} WIB",
                  **{"data-due": complaint.get("response_due_at") or ""}),
    ], className="d-flex align-items-center gap-2 flex-wrap")
    what = html.Div([
        html.H5(complaint.get("title") or "(tanpa judul)", className="vf-title mb-1"),
        html.Div([html.Span("Lokasi: ", className="text-muted fw-normal"), queue.place(complaint)],
                 className="vf-place small mb-1"),
        html.Div(f"Pelapor: {complaint.get('reporter_name')}", className="small text-muted mb-1")
        if complaint.get("reporter_name") else None,
        html.P(text[:BODY_MAX] + ("…" if len(text) > BODY_MAX else ""), className="vf-body mb-2"),
        _photos(complaint),
    ])
    decide = html.Div([
        _suggestions(complaint, pairs, "dispatch" in allowed),
        _manual_dispatch(cid, pairs, options, "dispatch" in allowed),
        _duplicates(cid, similar, similar_err, labels, tz, now, "merge" in allowed),
        _reject(cid, options, "reject" in allowed),
    ])
    return dbc.Card(dbc.CardBody([header, dbc.Row([dbc.Col(what, xs=12, lg=6), dbc.Col(decide, xs=12, lg=6)],
                                                   className="g-3 mt-1")]),
                    id={"type": ids.VF_CARD, "id": cid}, className=f"vf-card mb-3 tone-{tone}")


def _likely(complaint: dict[str, Any]) -> html.Span | None:
    """A social candidate's "kemungkinan aduan 82 %" (core.triage.candidates via the API)."""
    badge = queue.candidate_badge(complaint)
    if badge is None:
        return None
    text, tone = badge
    return html.Span(text, className=f"vf-likely tone-{tone}", title="Kandidat dari komentar/pesan media sosial: "
                     "perkiraan model seberapa mungkin ini benar aduan (bukan pujian, pertanyaan, atau obrolan)")


def _photos(complaint: dict[str, Any]) -> html.Div | None:
    shown = queue.photos(complaint)
    if not shown:
        return None
    return html.Div([
        html.A(html.Img(src=p["src"], alt=p["caption"] or "foto pelapor", className="vf-thumb"),
               href=p["src"], target="_blank", title=p["caption"] or "Foto pelapor")
        if p["thumbnail"] else html.Div(queue.photo_state_text(p), className="small text-muted vf-photo-state")
        for p in shown], className="vf-photos d-flex flex-wrap gap-2")


def _suggestions(complaint: dict[str, Any], pairs: list[dict[str, Any]], may_dispatch: bool) -> html.Div:
    suggestions = complaint.get("suggestions")
    chips = []
    for label, key in (("Kategori", "categories"), ("OPD", "opds")):
        found = (suggestions or {}).get(key) or []
        if found:
            chips.append(html.Div([html.Span(f"{label}: ", className="small fw-bold"),
                                   *[html.Span(f"{s.get('name') or s.get('code')} {queue.percent(s.get('score'))}",
                                               className=f"vf-chip{' vf-chip-top' if i == 0 else ''}")
                                     for i, s in enumerate(found[:3])]], className="mb-1"))
    buttons = [dbc.Button([html.Kbd(str(p["n"]), className="me-1"), queue.pair_label(p)],
                          id={"type": ids.VF_ACCEPT, "id": complaint["id"], "n": p["n"]}, size="sm",
                          color="success", outline=p["n"] != 1, className=f"vf-accept vf-accept-{p['n']} text-start",
                          title="Verifikasi dan disposisikan dengan saran ini")
               for p in pairs] if may_dispatch else []
    return html.Div([
        html.Div([html.Span("Saran", className="fw-bold me-2"),
                  html.Span(queue.model_note(suggestions), className="small text-muted vf-model")]),
        *chips,
        html.Div(buttons, className="d-grid gap-1 mt-1") if buttons else None,
    ], className="vf-suggestions border rounded p-2 mb-2")


def _manual_dispatch(cid: int, pairs: list[dict[str, Any]], options: dict[str, list], may: bool) -> html.Div | None:
    if not may:
        return None
    top = pairs[0] if pairs else {}
    return html.Div([
        dbc.Select(id={"type": ids.VF_CATEGORY, "id": cid}, options=options["categories"], size="sm",
                   value=top.get("category_code"), placeholder="Kategori", className="vf-category"),
        dbc.Select(id={"type": ids.VF_OPD, "id": cid}, options=options["opd"], size="sm",
                   value=top.get("opd_code"), placeholder="OPD tujuan", className="vf-opd"),
        dbc.Button("Disposisi", id={"type": ids.VF_DISPATCH, "id": cid}, size="sm", color="primary", outline=True,
                   className="vf-dispatch text-nowrap"),
    ], className="d-flex gap-1 mb-2")


def _duplicates(cid: int, similar: list[dict[str, Any]], err: ApiError | None, labels, tz, now,
                may_be_child: bool) -> html.Div:
    if err:
        return html.Div(f"Duplikat tidak dapat dicari: {err.message}", className="small text-muted mb-2")
    rows = queue.duplicate_rows(similar, labels, tz, now)
    if not rows:
        return html.Div("Tidak ada kemungkinan duplikat.", className="small text-muted mb-2 vf-no-duplicates")
    choices = [{"value": r["id"], "label": html.Span([
        html.Span(r["code"], className="fw-bold"), f" · {r['channel']} · {r['status']} · {r['received']} · ",
        html.Span(f"mirip {r['score']}", className="fw-bold"), html.Div(r["title"], className="small"),
        html.Div(r["reasons"], className="small text-muted")], className="vf-duplicate-label")} for r in rows]
    return html.Div([
        html.Div("Kemungkinan duplikat", className="fw-bold small mb-1"),
        dcc.RadioItems(id={"type": ids.VF_DUPLICATE, "id": cid}, options=choices, value=rows[0]["id"],
                       className="vf-duplicates small", inputClassName="me-2", labelClassName="d-flex mb-1"),
        dbc.Button([html.Kbd("g", className="me-1"),
                    "Gabungkan ke duplikat terpilih" if may_be_child else "Gabungkan duplikat terpilih ke aduan ini"],
                   id={"type": ids.VF_MERGE, "id": cid}, size="sm", color="warning", outline=True,
                   className="vf-merge mt-1"),
    ], className="border rounded p-2 mb-2")


def _reject(cid: int, options: dict[str, list], may: bool) -> html.Div | None:
    if not may:
        return None
    return html.Div([
        dbc.Select(id={"type": ids.VF_REASON, "id": cid}, options=options["reasons"], size="sm",
                   placeholder="Alasan penolakan…", className="vf-reason"),
        dbc.Button([html.Kbd("t", className="me-1"), "Tolak"], id={"type": ids.VF_REJECT, "id": cid}, size="sm",
                   color="danger", outline=True, className="vf-reject text-nowrap"),
    ], className="d-flex gap-1")


# --- actions on one card --------------------------------------------------------------------------------


def _value_of(kind: str, cid: int) -> Any:
    """The value of a pattern-matched State of this card (e.g. its reason select)."""
    for group in ctx.states_list:
        if isinstance(group, list):
            for item in group:
                if item["id"].get("type") == kind and item["id"].get("id") == cid:
                    return item.get("value")
    return None


def _refused(code: str, what: str, err: ApiError) -> dbc.Alert:
    reason = err.detail if err.status in (403, 404, 409, 422) and err.detail else err.message
    return dbc.Alert(f"{code}: {what} gagal — {reason}", color="danger", dismissable=True, id="vf-result-error",
                     className="py-2")


def _done(text: str) -> dbc.Alert:
    return dbc.Alert(text, color="success", dismissable=True, id="vf-result-ok", className="py-2")


@callback(Output(ids.VF_RESULT, "children"), Output(ids.VF_VERSION, "data"), Output(ids.VF_PANEL, "is_open"),
          Output(ids.VF_PANEL_BODY, "children"),
          Input({"type": ids.VF_ACCEPT, "id": ALL, "n": ALL}, "n_clicks"),
          Input({"type": ids.VF_DISPATCH, "id": ALL}, "n_clicks"),
          Input({"type": ids.VF_REJECT, "id": ALL}, "n_clicks"),
          Input({"type": ids.VF_MERGE, "id": ALL}, "n_clicks"),
          State({"type": ids.VF_CATEGORY, "id": ALL}, "value"), State({"type": ids.VF_OPD, "id": ALL}, "value"),
          State({"type": ids.VF_REASON, "id": ALL}, "value"), State({"type": ids.VF_DUPLICATE, "id": ALL}, "value"),
          State(ids.VF_DATA, "data"), State(ids.VF_VERSION, "data"), prevent_initial_call=True)
def act_on_card(_accept, _dispatch, _reject, _merge, _cats, _opds, _reasons, _dups, data, version):
    trigger = ctx.triggered_id
    if not trigger or not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update, no_update, no_update, no_update  # a re-rendered card, not a click
    cid, kind = trigger["id"], trigger["type"]
    info = (data or {}).get(str(cid)) or {}
    code = info.get("code") or str(cid)
    bumped = (version or 0) + 1
    if kind == ids.VF_ACCEPT:
        pairs = info.get("pairs") or []
        pair = next((p for p in pairs if p["n"] == trigger["n"]), None)
        if pair is None:
            return no_update, no_update, no_update, no_update
        return _dispatch_one(cid, code, pair.get("category_code"), pair.get("opd_code"), bumped)
    if kind == ids.VF_DISPATCH:
        category, opd = _value_of(ids.VF_CATEGORY, cid), _value_of(ids.VF_OPD, cid)
        if not opd and not category:
            return dbc.Alert(f"{code}: pilih OPD tujuan (atau kategori) dulu.", color="warning", dismissable=True,
                             className="py-2"), no_update, no_update, no_update
        return _dispatch_one(cid, code, category, opd, bumped)
    if kind == ids.VF_REJECT:
        reason = _value_of(ids.VF_REASON, cid)
        if not reason:
            return dbc.Alert(f"{code}: pilih alasan penolakan dulu.", color="warning", dismissable=True,
                             className="py-2", id="vf-result-warning"), no_update, no_update, no_update
        answer, err = state.fetch(lambda c: c.act(cid, "reject", reason=reason))
        if err:
            return _refused(code, "Tolak", err), no_update, no_update, no_update
        label = answer.get("reject_reason_label") or reason
        return _done(f"{code} ditolak: {label}."), bumped, no_update, no_update
    if kind == ids.VF_MERGE:
        duplicate = _value_of(ids.VF_DUPLICATE, cid)
        if not duplicate:
            return no_update, no_update, no_update, no_update
        child, parent = (cid, duplicate) if info.get("child") else (duplicate, cid)
        _, err = state.fetch(lambda c: c.act(child, "merge", into=parent))
        if err:
            return _refused(code, "Gabung", err), no_update, no_update, no_update
        shown, p_err = state.fetch(lambda c: c.complaint(parent))
        panel = components.error_alert(p_err, "Aduan induk") if p_err else detail.body(shown, actions=False)
        parent_code = (shown or {}).get("tracking_code") or str(parent)
        what = f"{code} digabung ke {parent_code}" if child == cid else f"Duplikat digabung ke {code}"
        return _done(f"{what}; satu aduan dengan semua pelapornya."), bumped, True, panel
    return no_update, no_update, no_update, no_update


def _dispatch_one(cid: int, code: str, category: str | None, opd: str | None, bumped: int):
    answer, err = state.fetch(lambda c: c.act(cid, "dispatch", opd=opd, category=category))
    if err:
        return _refused(code, "Disposisi", err), no_update, no_update, no_update
    where = answer.get("opd_name") or opd or "OPD"
    what = f" · kategori {answer.get('category_name')}" if answer.get("category_name") else ""
    return _done(f"{code} terverifikasi dan didisposisikan ke {where}{what}."), bumped, no_update, no_update


# --- selection and bulk actions -------------------------------------------------------------------------


@callback(Output({"type": ids.VF_SELECT, "id": ALL}, "value"), Input(ids.VF_SELECT_ALL, "value"),
          State({"type": ids.VF_SELECT, "id": ALL}, "value"), prevent_initial_call=True)
def select_all(everything, current):
    return [bool(everything)] * len(current or [])


@callback(Output(ids.VF_SELECTED, "children"), Output(ids.VF_BULK_VERIFY, "disabled"),
          Output(ids.VF_BULK_DISPATCH, "disabled"), Output(ids.VF_BULK_REJECT, "disabled"),
          Input({"type": ids.VF_SELECT, "id": ALL}, "value"))
def count_selection(values):
    n = sum(1 for v in values or [] if v)
    return f"{n} dipilih", n == 0, n == 0, n == 0


def _selected_ids() -> list[int]:
    for group in ctx.states_list:
        if isinstance(group, list) and group and group[0]["id"].get("type") == ids.VF_SELECT:
            return [item["id"]["id"] for item in group if item.get("value")]
    return []


@callback(Output(ids.VF_RESULT, "children", allow_duplicate=True), Output(ids.VF_VERSION, "data", allow_duplicate=True),
          Input(ids.VF_BULK_VERIFY, "n_clicks"), Input(ids.VF_BULK_DISPATCH, "n_clicks"),
          Input(ids.VF_BULK_REJECT, "n_clicks"),
          State({"type": ids.VF_SELECT, "id": ALL}, "value"), State(ids.VF_BULK_CATEGORY, "value"),
          State(ids.VF_BULK_OPD, "value"), State(ids.VF_BULK_REASON, "value"), State(ids.VF_DATA, "data"),
          State(ids.VF_VERSION, "data"), prevent_initial_call=True)
def bulk(_verify, _dispatch, _reject, _selected, category, opd, reason, data, version):
    chosen = _selected_ids()
    if not chosen or not ctx.triggered or not ctx.triggered[0].get("value"):
        return no_update, no_update
    action, fields = {ids.VF_BULK_VERIFY: ("verify", {}),
                      ids.VF_BULK_DISPATCH: ("dispatch", {"opd": opd, "category": category}),
                      ids.VF_BULK_REJECT: ("reject", {"reason": reason})}[ctx.triggered_id]
    if action == "dispatch" and not opd and not category:
        return dbc.Alert("Pilih OPD tujuan (atau kategori) untuk disposisi massal.", color="warning",
                         dismissable=True, className="py-2"), no_update
    if action == "reject" and not reason:
        return dbc.Alert("Pilih alasan penolakan untuk penolakan massal.", color="warning", dismissable=True,
                         className="py-2"), no_update
    results, err = state.fetch(lambda c: c.bulk_act(chosen, action, **fields))
    codes = {int(k): v.get("code") for k, v in (data or {}).items()}
    if err:
        lines = queue.bulk_errors(err.payload, codes)
        head = (err.payload or {}).get("msg") if isinstance(err.payload, dict) else None
        return dbc.Alert([html.Strong(head or err.detail or err.message),
                          html.Ul([html.Li(line) for line in lines], className="mb-0 small") if lines else None],
                         color="danger", dismissable=True, className="py-2", id="vf-bulk-error"), no_update
    return dbc.Alert(f"{len(results or [])} aduan {ACTION_DONE[action]}.", color="success", dismissable=True,
                     className="py-2", id="vf-bulk-ok"), (version or 0) + 1
