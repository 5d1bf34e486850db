"""Penghubung OPD: the 40–60 OPD liaisons (users with role opd_admin) — add one, disable or enable, reset a
forgotten password, and see who has not logged in for 30 days. Admins only; everything through /api/v1/users
(each change lands in the audit log)."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import components, daily, ids, state

dash.register_page(__name__, path="/penghubung", name="Penghubung OPD", title="Penghubung OPD — Aduan Terpadu",
                   order=9)

PATH = "/penghubung"
COLUMNS = [
    {"field": "name", "headerName": "Nama", "flex": 1, "minWidth": 200},
    {"field": "username", "headerName": "Nama pengguna", "width": 190},
    {"field": "opd", "headerName": "OPD", "flex": 1, "minWidth": 260},
    {"field": "state", "headerName": "Status", "width": 120, "cellStyle": {"styleConditions": [
        {"condition": "params.value !== 'aktif'", "style": {"color": "#9b2a1f", "fontWeight": 700}}]}},
    {"field": "last_login", "headerName": "Masuk terakhir (WIB)", "width": 190,
     "comparator": {"function": "(a, b, na, nb) => (na.data.last_login_sort || '').localeCompare("
                                "nb.data.last_login_sort || '')"}},
    {"field": "idle", "headerName": "Perhatian", "width": 210, "cellStyle": {"color": "#7a5b00", "fontWeight": 700}},
]


def layout(**_query) -> html.Div:
    login = state.login()
    if login is not None and not components.page_allowed(PATH, login.role):
        return html.Div([components.page_header("Penghubung OPD"),
                         components.no_access(reason="Pengelolaan penghubung OPD hanya untuk admin.")],
                        className="container-fluid")
    opd, err = state.reference("opd", lambda c: c.opd())
    add_form = components.panel("Tambah penghubung", [
        dbc.Label("Nama lengkap", html_for=ids.LS_NEW_NAME),
        dbc.Input(id=ids.LS_NEW_NAME, maxLength=120, className="mb-2", autoComplete="off"),
        dbc.Label("Nama pengguna", html_for=ids.LS_NEW_USERNAME),
        dbc.Input(id=ids.LS_NEW_USERNAME, maxLength=64, className="mb-2", autoComplete="off",
                  placeholder="mis. sari.dpupr (huruf kecil, angka, titik)"),
        dbc.Label("OPD", html_for=ids.LS_NEW_OPD),
        dcc.Dropdown(id=ids.LS_NEW_OPD, options=daily.opd_options(opd), placeholder="Pilih OPD…", className="mb-2"),
        dbc.Label("Kata sandi awal", html_for=ids.LS_NEW_PASSWORD),
        dbc.Input(id=ids.LS_NEW_PASSWORD, type="password", className="mb-1", autoComplete="new-password",
                  placeholder="kosongkan: dibuat otomatis"),
        html.Div("Minimal 10 karakter. Bila dikosongkan, sistem membuatnya dan menampilkannya sekali.",
                 className="form-text mb-2"),
        dbc.Button("Tambah penghubung", id=ids.LS_ADD, color="primary"),
    ], className="mb-3")
    selected = components.panel("Penghubung terpilih", [
        html.Div("Klik satu baris di tabel.", id=ids.LS_SELECTED, className="mb-2"),
        html.Div(dbc.Button("Nonaktifkan", id=ids.LS_TOGGLE, color="danger", outline=True, disabled=True),
                 className="mb-3"),
        dbc.Label("Kata sandi baru", html_for=ids.LS_RESET_PASSWORD),
        dbc.Input(id=ids.LS_RESET_PASSWORD, type="password", className="mb-2", autoComplete="new-password",
                  placeholder="kosongkan: dibuat otomatis"),
        dbc.Button("Reset kata sandi", id=ids.LS_RESET, color="warning", disabled=True),
        html.Div("Reset membuka kunci akun dan mengakhiri semua sesi masuk penghubung ini.",
                 className="form-text"),
    ], className="mb-3")
    return html.Div([
        dcc.Store(id=ids.LS_VERSION, data=0),
        components.page_header("Penghubung OPD", "Admin OPD yang menerima pengingat dan mencatat tindak lanjut; "
                                                 f"yang belum masuk {daily.IDLE_DAYS} hari disorot kuning",
                               [dbc.Switch(id=ids.LS_IDLE_ONLY, value=False,
                                           label=f"Hanya yang belum masuk ≥ {daily.IDLE_DAYS} hari",
                                           className="mb-0"),
                                dbc.Button("Muat ulang", id=ids.LS_REFRESH, color="secondary", outline=True,
                                           size="sm")]),
        components.error_alert(err, "Data referensi"),
        html.Div(id=ids.LS_RESULT),
        html.Div("…", id=ids.LS_COUNT, className="mb-2 fw-bold text-primary-emphasis"),
        dbc.Row([
            dbc.Col(dag.AgGrid(
                id=ids.LS_GRID, columnDefs=COLUMNS, rowData=[], className="ag-theme-alpine",
                getRowId="params.data.username",
                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                getRowStyle={"styleConditions": [{"condition": "params.data && params.data.idle_flag",
                                                  "style": {"backgroundColor": "#fbf0d6"}}]},
                dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                  "enableClickSelection": True},
                                 "localeText": components.grid_locale("Belum ada penghubung OPD")},
                style={"height": "640px", "width": "100%"}), xs=12, xl=8, className="mb-3"),
            dbc.Col([html.Div(selected), html.Div(add_form)], xs=12, xl=4),  # divs: each card its own height
        ], className="g-3"),
    ], className="container-fluid daily-page")


@callback(Output(ids.LS_GRID, "rowData"), Output(ids.LS_COUNT, "children"), Output(ids.LS_RESULT, "children"),
          Output(ids.LS_GRID, "selectedRows"),
          Input(ids.LS_IDLE_ONLY, "value"), Input(ids.LS_REFRESH, "n_clicks"), Input(ids.LS_VERSION, "data"),
          State(ids.LS_GRID, "selectedRows"))
def show_liaisons(idle_only, _refresh, _version, selected):
    got = state.fetch_many({"users": lambda c: c.users("opd_admin"), "opd": lambda c: c.opd()})
    users, err = got["users"]
    if err is not None:
        return [], "–", components.error_alert(err, "Daftar penghubung"), []
    opd, _ = got["opd"]
    everyone = daily.liaison_rows(users or [], opd, state.now(), state.tz())
    rows = [r for r in everyone if r["idle_flag"]] if idle_only else everyone
    # The selection follows the person (with their new state) as long as they are still listed.
    chosen = {r.get("username") for r in selected or []}
    return rows, daily.liaison_counts(everyone), no_update, [r for r in rows if r["username"] in chosen]


@callback(Output(ids.LS_SELECTED, "children"), Output(ids.LS_TOGGLE, "children"), Output(ids.LS_TOGGLE, "color"),
          Output(ids.LS_TOGGLE, "disabled"), Output(ids.LS_RESET, "disabled"),
          Input(ids.LS_GRID, "selectedRows"))
def show_selected(rows):
    if not rows:
        return "Klik satu baris di tabel.", "Nonaktifkan", "danger", True, True
    row = rows[0]
    who = html.Div([html.Strong(row.get("name")), html.Span(f" ({row.get('username')})", className="text-muted"),
                    html.Div(f"{row.get('opd')} · {row.get('state')} · masuk terakhir: {row.get('last_login')}",
                             className="small")], id="ls-selected-user")
    active = bool(row.get("active"))
    return who, "Nonaktifkan" if active else "Aktifkan kembali", "danger" if active else "success", False, False


def _done(text, password: str | None = None, username: str | None = None) -> dbc.Alert:
    body = [html.Div(text)]
    if password:
        body.append(html.Div([
            "Kata sandi sementara untuk ", html.Strong(username), ": ",
            html.Code(password, id=ids.LS_ONE_TIME, className="one-time-password"),
            html.Div("Hanya ditampilkan sekali ini. Sampaikan langsung kepada yang bersangkutan, lalu minta ia "
                     "menggantinya lewat menu \"ganti sandi\" setelah masuk.", className="small mt-1"),
        ], className="mt-2"))
    return dbc.Alert(body, color="success", id="ls-ok", dismissable=True)


def _failed(what: str, err) -> dbc.Alert:
    reason = err.detail if err.status in (404, 409, 422) and err.detail else err.message
    return dbc.Alert(f"{what} gagal: {reason}", color="danger", id="ls-failed", dismissable=True)


@callback(Output(ids.LS_RESULT, "children", allow_duplicate=True), Output(ids.LS_VERSION, "data"),
          Output(ids.LS_RESET_PASSWORD, "value"),
          Input(ids.LS_TOGGLE, "n_clicks"), Input(ids.LS_RESET, "n_clicks"),
          State(ids.LS_GRID, "selectedRows"), State(ids.LS_RESET_PASSWORD, "value"), State(ids.LS_VERSION, "data"),
          prevent_initial_call=True)
def change_selected(_toggle, _reset, rows, password, version):
    if not rows:
        return no_update, no_update, no_update
    row = rows[0]
    username = row["username"]
    if ctx.triggered_id == ids.LS_TOGGLE:
        enable = not row.get("active")
        _, err = state.fetch(lambda c: c.update_user(username, {"active": enable}))
        if err is not None:
            return _failed("Perubahan status", err), no_update, no_update
        text = f"{row.get('name')} diaktifkan kembali." if enable else \
            f"{row.get('name')} dinonaktifkan; semua sesi masuknya berakhir."
        return _done(text), (version or 0) + 1, no_update
    answer, err = state.fetch(lambda c: c.reset_password(username, (password or "").strip() or None))
    if err is not None:
        return _failed("Reset kata sandi", err), no_update, no_update
    if answer.get("generated"):
        return (_done(f"Kata sandi {row.get('name')} direset.", answer.get("password"), username),
                (version or 0) + 1, "")
    return _done(f"Kata sandi {row.get('name')} diganti dengan yang Anda isi."), (version or 0) + 1, ""


@callback(Output(ids.LS_RESULT, "children", allow_duplicate=True), Output(ids.LS_VERSION, "data", allow_duplicate=True),
          Output(ids.LS_NEW_NAME, "value"), Output(ids.LS_NEW_USERNAME, "value"), Output(ids.LS_NEW_OPD, "value"),
          Output(ids.LS_NEW_PASSWORD, "value"),
          Input(ids.LS_ADD, "n_clicks"),
          State(ids.LS_NEW_NAME, "value"), State(ids.LS_NEW_USERNAME, "value"), State(ids.LS_NEW_OPD, "value"),
          State(ids.LS_NEW_PASSWORD, "value"), State(ids.LS_VERSION, "data"),
          running=[(Output(ids.LS_ADD, "disabled"), True, False)], prevent_initial_call=True)
def add(_clicks, name, username, opd, password, version):
    keep = [no_update] * 4
    missing = [label for label, value in (("nama lengkap", name), ("nama pengguna", username), ("OPD", opd))
               if not (value or "").strip()]
    if missing:
        return dbc.Alert("Isi dulu: " + ", ".join(missing) + ".", color="warning", id="ls-failed"), no_update, *keep
    body = {"username": username.strip(), "name": name.strip(), "role": "opd_admin", "opd": opd}
    if (password or "").strip():
        body["password"] = password
    created, err = state.fetch(lambda c: c.create_user(body))
    if err is not None:
        return _failed("Tambah penghubung", err), no_update, *keep
    text = (f"{created.get('name')} ({created.get('username')}) ditambahkan sebagai penghubung "
            f"{created.get('opd_code')}.")
    return _done(text, created.get("password"), created.get("username")), (version or 0) + 1, "", "", None, ""
