"""Aduan baru: one walk-in (or phone, or letter) complaint typed in at the petugas desk, through POST /complaints.

The API checks every field against the reference data; its 422 answer is shown next to the field it names.
A repeated click sends the same Idempotency-Key, so it never files the complaint twice.
"""

from __future__ import annotations

import json
import uuid

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import components, daily, ids, shaping, state

dash.register_page(__name__, path="/aduan-baru", name="Aduan baru", title="Aduan baru — Aduan Terpadu", order=6)

PATH = "/aduan-baru"
# What each field goes back to after a save or "Kosongkan".
EMPTY = {"title": "", "body": "", "classification": "pengaduan", "category": None, "opd": None, "reference": "",
         "kecamatan": None, "desa": None, "location_text": "", "reporter_name": "", "reporter_contact": "",
         "rahasia": False, "anonim": False, "consent": False}


def _id(name: str) -> dict[str, str]:
    return {"type": ids.AB_FIELD, "field": name}


def _error(name: str) -> html.Div:
    return html.Div(id={"type": ids.AB_ERROR, "field": name}, className="field-error")


def _field(name: str, label: str, control, hint: str | None = None, required: bool = False) -> html.Div:
    return html.Div([
        dbc.Label([label, html.Span(" *", className="text-danger") if required else None], html_for=_key(name),
                  className="fw-semibold mb-1"),
        control,
        html.Div(hint, className="form-text mt-0") if hint else None,
        _error(name),
    ], className="mb-3 daily-field")


def _key(name: str) -> str:
    """The DOM id Dash gives a pattern-matching id (sorted keys, compact JSON): what a label's `for` names."""
    return json.dumps(_id(name), sort_keys=True, separators=(",", ":"))


def layout(**_query) -> html.Div:
    login = state.login()
    if login is not None and not components.page_allowed(PATH, login.role):
        return html.Div([components.page_header("Aduan baru"),
                         components.no_access(reason="Entri aduan hanya untuk petugas pelayanan dan admin.")],
                        className="container-fluid")
    got = {name: state.reference(name, call) for name, call in (
        ("categories", lambda c: c.categories()), ("opd", lambda c: c.opd()),
        ("kecamatan", lambda c: c.kecamatan()))}
    err = next((e for _, e in got.values() if e is not None), None)
    categories, opd, kecamatan = (got[n][0] for n in ("categories", "opd", "kecamatan"))
    dropdown = {"className": "daily-dropdown", "optionHeight": 40}
    complaint = components.panel("Aduan", [
        _field("title", "Judul", dbc.Input(id=_id("title"), maxLength=300, placeholder="mis. Lampu PJU mati di "
                                           "Jl. Merdeka"), "5–300 karakter; ringkas inti aduan.", required=True),
        _field("body", "Isi aduan", dbc.Textarea(id=_id("body"), rows=6, maxLength=20000,
                                                 placeholder="Apa yang terjadi, di mana, sejak kapan."),
               required=True),
        _field("classification", "Klasifikasi", dbc.RadioItems(
            id=_id("classification"), value="pengaduan", inline=True,
            options=[{"label": label, "value": code} for code, label in daily.CLASSIFICATIONS])),
        dbc.Row([
            dbc.Col(_field("category", "Kategori", dcc.Dropdown(
                id=_id("category"), options=daily.category_options(categories), placeholder="Pilih kategori…",
                **dropdown), "Menentukan OPD tujuan dan tenggat penyelesaian."), md=6),
            dbc.Col(_field("opd", "OPD tujuan (opsional)", dcc.Dropdown(
                id=_id("opd"), options=daily.opd_options(opd), placeholder="Otomatis dari kategori",
                **dropdown)), md=6),
        ], className="g-3"),
        dbc.Row([
            dbc.Col(_field("received_at", "Diterima (WIB)", html.Div([
                dcc.DatePickerSingle(id=ids.AB_DATE, display_format="DD/MM/YYYY", month_format="MMMM YYYY",
                                     placeholder="HH/BB/TTTT", first_day_of_week=1, clearable=True,
                                     className="date-id"),
                dbc.Input(id=ids.AB_TIME, placeholder="jam, mis. 09.30", maxLength=5, style={"width": "9rem"}),
            ], className="d-flex gap-2"), "Kosongkan bila diterima sekarang."), md=6),
            dbc.Col(_field("reference", "Nomor agenda / surat (opsional)", dbc.Input(
                id=_id("reference"), maxLength=120, placeholder="mis. 045/123/2026")), md=6),
        ], className="g-3"),
    ])
    reporter = components.panel("Lokasi & pelapor", [
        dbc.Row([
            dbc.Col(_field("kecamatan", "Kecamatan", dcc.Dropdown(
                id=_id("kecamatan"), placeholder="Pilih kecamatan…", **dropdown,
                options=sorted(({"label": k["name"], "value": k["name"]} for k in kecamatan or []),
                               key=lambda o: o["label"]))), md=6),
            dbc.Col(_field("desa", "Desa / kelurahan", dcc.Dropdown(
                id=_id("desa"), placeholder="Pilih kecamatan dulu", options=[], **dropdown)), md=6),
        ], className="g-3"),
        _field("location_text", "Lokasi / alamat", dbc.Input(id=_id("location_text"), maxLength=500,
                                                             placeholder="mis. depan SDN 2, RT 03/RW 01")),
        dbc.Row([
            dbc.Col(_field("reporter_name", "Nama pelapor", dbc.Input(id=_id("reporter_name"), maxLength=200,
                                                                       autoComplete="off")), md=6),
            dbc.Col(_field("reporter_contact", "Telepon / WhatsApp", dbc.Input(
                id=_id("reporter_contact"), maxLength=200, type="tel", placeholder="08…", autoComplete="off")),
                md=6),
        ], className="g-3"),
        html.Div([
            dbc.Switch(id=_id("rahasia"), value=False, label="Rahasia — isi aduan disembunyikan dari tampilan publik"),
            _error("rahasia"),
            dbc.Switch(id=_id("anonim"), value=False,
                       label="Anonim — identitas pelapor hanya terlihat oleh admin Diskominfo"),
            _error("anonim"),
        ], className="mb-3"),
        html.Div([
            dbc.Checkbox(id=_id("consent"), value=False,
                         label="Pelapor sudah diberi tahu dan setuju aduan serta data dirinya dicatat dan "
                               "diteruskan ke OPD yang berwenang."),
            _error("consent"),
        ], className="mb-3 consent-box"),
        html.Div([
            dbc.Button("Simpan aduan", id=ids.AB_SUBMIT, color="primary", className="px-4"),
            dbc.Button("Kosongkan", id=ids.AB_CLEAR, color="secondary", outline=True),
        ], className="d-flex gap-2"),
    ])
    return html.Div([
        dcc.Store(id=ids.AB_KEY, data=uuid.uuid4().hex),
        dcc.Store(id=ids.AB_DESA_OPTIONS, data=kecamatan or []),
        components.page_header("Aduan baru", "Aduan yang datang langsung ke loket, lewat telepon atau surat. "
                                             "Isian bertanda * wajib; kode pelacakan muncul setelah disimpan.",
                               scoped=False),
        components.error_alert(err, "Data referensi"),
        html.Div(_error(daily.GENERAL), className="mb-2"),
        html.Div(id=ids.AB_RESULT),
        dbc.Row([dbc.Col(complaint, xs=12, xl=7, className="mb-3"),
                 dbc.Col(reporter, xs=12, xl=5, className="mb-3")], className="g-3"),
    ], className="container-fluid daily-page")


@callback(Output(_id("desa"), "options"), Output(_id("desa"), "value", allow_duplicate=True),
          Output(_id("desa"), "placeholder"),
          Input(_id("kecamatan"), "value"), State(ids.AB_DESA_OPTIONS, "data"), State(_id("desa"), "value"),
          prevent_initial_call=True)
def offer_desa(kecamatan, regions, desa):
    options = daily.desa_options(regions, kecamatan)
    keep = desa if desa in {o["value"] for o in options} else None
    return options, keep, "Pilih desa…" if options else "Pilih kecamatan dulu"


def _field_order() -> list[str]:
    return [item["id"]["field"] for item in ctx.states_list[0]]


@callback(Output(ids.AB_RESULT, "children"),
          Output({"type": ids.AB_ERROR, "field": ALL}, "children"),
          Output({"type": ids.AB_FIELD, "field": ALL}, "value"),
          Output(ids.AB_KEY, "data"), Output(ids.AB_DATE, "date"), Output(ids.AB_TIME, "value"),
          Input(ids.AB_SUBMIT, "n_clicks"),
          State({"type": ids.AB_FIELD, "field": ALL}, "value"), State(ids.AB_DATE, "date"), State(ids.AB_TIME, "value"),
          State(ids.AB_KEY, "data"),
          running=[(Output(ids.AB_SUBMIT, "disabled"), True, False)], prevent_initial_call=True)
def submit(_clicks, values, day, clock, key):
    fields = _field_order()
    error_slots = [item["id"]["field"] for item in ctx.outputs_list[1]]
    form = dict(zip(fields, values, strict=True))

    def with_errors(errors: dict[str, str], alert=None):
        return (alert, [errors.get(name) for name in error_slots], [no_update] * len(fields), no_update, no_update,
                no_update)

    form["received_at"], when_error = daily.received_at(day, clock)
    local = {"consent": daily.CONSENT_MISSING} if not form.get("consent") else {}
    if when_error:
        local["received_at"] = when_error
    if local:
        return with_errors(local, dbc.Alert("Aduan belum disimpan: lengkapi isian yang ditandai.", color="warning",
                                            className="py-2", id="ab-invalid"))
    created, err = state.fetch(lambda c: c.create_complaint(daily.entry_body(form), key))
    if err is not None:
        if err.status == 422:
            errors = daily.field_errors(err.payload)
            return with_errors(errors, dbc.Alert("Aduan belum disimpan: periksa isian yang ditandai merah.",
                                                 color="danger", className="py-2", id="ab-invalid"))
        reason = err.detail if err.status in (403, 409) and err.detail else err.message
        return with_errors({}, dbc.Alert(["Aduan belum disimpan: ", reason], color="danger", className="py-2"))
    return (_saved(created), [None] * len(error_slots), [EMPTY.get(name) for name in fields],
            uuid.uuid4().hex, None, "")


def _saved(created: dict) -> dbc.Alert:
    code = created.get("tracking_code") or "–"
    due = shaping.local_time(created.get("response_due_at"), state.tz()) if created.get("response_due_at") else None
    return dbc.Alert([
        html.Div([html.Strong("Aduan tersimpan. "), "Kode pelacakan: ",
                  html.Span(code, className="tracking-code", id="ab-tracking-code")], className="fs-5"),
        html.Div(["Sampaikan kode ini kepada pelapor.",
                  f" Batas tanggapan: {due} WIB." if due else None], className="mt-1"),
        html.A("Buka aduan di Jelajah →", href=daily.complaint_link(code), className="alert-link", id="ab-link"),
    ], color="success", id="ab-saved", className="mb-3")


@callback(Output({"type": ids.AB_FIELD, "field": ALL}, "value", allow_duplicate=True),
          Output({"type": ids.AB_ERROR, "field": ALL}, "children", allow_duplicate=True),
          Output(ids.AB_RESULT, "children", allow_duplicate=True),
          Output(ids.AB_DATE, "date", allow_duplicate=True), Output(ids.AB_TIME, "value", allow_duplicate=True),
          Input(ids.AB_CLEAR, "n_clicks"), State({"type": ids.AB_FIELD, "field": ALL}, "id"),
          State({"type": ids.AB_ERROR, "field": ALL}, "id"), prevent_initial_call=True)
def clear(_clicks, fields, errors):
    return [EMPTY.get(f["field"]) for f in fields], [None] * len(errors), None, None, ""
