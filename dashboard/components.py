"""Small reusable layout pieces (cards, alerts, graphs) shared by the pages."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ctx, dcc, html

from dashboard import figures, state
from dashboard.client import ApiError
from dashboard.shaping import Kpi

GRAPH_CONFIG = {"displayModeBar": False, "responsive": True}

NAV_ITEMS = [("Dinding", "/"), ("Kanal", "/kanal"), ("OPD", "/opd"), ("Isu", "/isu"), ("Jelajah", "/jelajah"),
             ("Verifikasi", "/verifikasi"), ("Konektor", "/konektor"), ("Audit", "/audit")]
# Who may open a page (the API refuses the others, so the menu does not offer it): audit is for admins,
# connector health for admins and analysts (GET /connectors), and viewers see aggregates only, so no
# complaint-by-complaint drill-down. Pages not listed are for everyone logged in.
PAGE_ROLES = {"/audit": {"admin"}, "/konektor": {"admin", "analyst"},
              "/jelajah": {"admin", "analyst", "opd_admin", "petugas"}, "/verifikasi": {"admin", "petugas"},
              "/aduan-baru": {"admin", "petugas"}, "/unggah": {"admin", "petugas"}, "/serah-lapor": {"admin"},
              "/penghubung": {"admin"},
              # Topics, spikes and issues: analysts and admins, an OPD admin for its OPD, viewers the summary.
              "/isu": {"admin", "analyst", "opd_admin", "viewer"}}
# The desk's and the Kominfo admin's daily work, under one "Kerja harian" menu (each entry per PAGE_ROLES).
DAILY_ITEMS = [("Aduan baru", "/aduan-baru"), ("Unggah aduan", "/unggah"), ("Serah ke SP4N-LAPOR!", "/serah-lapor"),
               ("Penghubung OPD", "/penghubung")]
ROLE_LABELS = {"admin": "Admin", "analyst": "Analis", "opd_admin": "Admin OPD", "viewer": "Pimpinan (lihat saja)",
               "petugas": "Petugas pelayanan"}


def role_label(role: str | None, opd_code: str | None = None) -> str:
    label = ROLE_LABELS.get(role or "", role or "")
    return f"{label} · {opd_code}" if opd_code else label


def page_allowed(href: str, role: str | None) -> bool:
    """Whether a role's menu offers the page (and the page opens rather than saying 'no access')."""
    allowed = PAGE_ROLES.get(href)
    return allowed is None or role in allowed


def navbar(pemda_name: str, login=None, csrf: str = "") -> html.Header:
    """`login`: the browser's `BrowserLogin` (None before log-in): it picks the menu and the user chip;
    `csrf`: the browser's form token, for the log-out form."""
    role = login.role if login else None
    links = [dbc.NavItem(dbc.NavLink(label, href=href, active="exact" if href == "/" else "partial"))
             for label, href in NAV_ITEMS if page_allowed(href, role)]
    daily = [dbc.DropdownMenuItem(label, href=href, id=f"app-daily{href.replace('/', '-')}")
             for label, href in DAILY_ITEMS if page_allowed(href, role)]
    if daily:
        links.append(dbc.DropdownMenu(daily, label="Kerja harian", nav=True, in_navbar=True, align_end=True,
                                      id="app-daily-menu"))
    if login is not None:
        label = role_label(role, login.opd_code)
        links.append(dbc.NavItem(html.Div([
            html.Div([html.Div(login.data.get("name") or "", className="user-name", id="app-user-name"),
                      html.Div([label, " · ",
                                html.A("ganti sandi", href="/masuk/sandi", className="user-link", id="app-password")]
                               if login.kind == "user" else label,
                               className="user-role", id="app-user-role")],
                     className="text-end"),
            html.Form([dcc.Input(type="hidden", name="csrf", value=csrf),
                       html.Button("Keluar", type="submit", className="btn btn-outline-light btn-sm",
                                   id="app-logout")], action="/keluar", method="post", className="m-0")
            if login.kind == "user" else None,
        ], className="app-user d-flex align-items-center gap-2 ms-lg-3")))
    return html.Header(dbc.Navbar(dbc.Container([
        html.A(html.Div([
            html.Span("AT", className="brand-mark"),
            html.Div([html.Div("Aduan Terpadu", className="brand-title"),
                      html.Div(pemda_name, className="brand-sub")]),
        ], className="d-flex align-items-center gap-2"), href="/", className="navbar-brand text-decoration-none"),
        dbc.NavbarToggler(id="app-navbar-toggler"),
        dbc.Collapse(dbc.Nav(links, navbar=True, className="ms-auto align-items-lg-center"), navbar=True,
                     id="app-navbar-collapse"),
    ], fluid=True), color="dark", dark=True, className="app-navbar py-1"))


def real_click(clicks: list | None) -> bool:
    """For pattern-matching buttons: a re-rendered list recreates them, and only a real click carries a number."""
    return bool(ctx.triggered_id and any(clicks or []) and ctx.triggered[0].get("value"))


def no_access(what: str = "rincian aduan", reason: str | None = None) -> dbc.Alert:
    """`reason` replaces the viewer's wording ('only summaries') for pages closed to other roles too."""
    return dbc.Alert([html.Strong("Tidak ada akses. "),
                      reason or f"Peran Anda hanya dapat melihat ringkasan, bukan {what}."],
                     color="secondary", className="no-access")


def panel(title: str, body: Any, subtitle: str | None = None, className: str = "", **kw) -> dbc.Card:
    header = [html.Span(title, className="panel-title")]
    if subtitle:
        header.append(html.Span(subtitle, className="panel-subtitle"))
    return dbc.Card([dbc.CardHeader(header, className="panel-header"), dbc.CardBody(body, className="panel-body")],
                    className=f"panel h-100 {className}", **kw)


def graph(id_: str, height: int | None = None, figure=None, **kw) -> dcc.Graph:
    style = {"height": f"{height}px"} if height else {"height": "100%"}
    return dcc.Graph(id=id_, figure=figure or figures.empty("Memuat…"), config=GRAPH_CONFIG, style=style, **kw)


def kpi_card(kpi: Kpi, size: str = "lg") -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.Div(kpi.label, className="kpi-label"),
        html.Div(kpi.value, className=f"kpi-value kpi-{size}"),
        html.Div(kpi.hint, className="kpi-hint"),
    ]), className=f"kpi-card kpi-tone-{kpi.tone} h-100")


def kpi_row(kpis: list[Kpi], size: str = "lg") -> dbc.Row:
    return dbc.Row([dbc.Col(kpi_card(k, size), xs=6, md=4, xl=True) for k in kpis], className="g-3 mb-3")


def error_alert(err: ApiError | None, what: str = "") -> dbc.Alert | None:
    if err is None:
        return None
    prefix = f"{what}: " if what else ""
    relogin = html.A(" Masuk kembali", href="/masuk", className="alert-link") if err.status == 401 else None
    return dbc.Alert([html.Strong(prefix), err.message, relogin], color="warning" if err.unavailable else "danger",
                     className="py-2 mb-3 api-error")


def unavailable(message: str = "Data belum tersedia") -> html.Div:
    return html.Div(message, className="text-muted fst-italic py-3 text-center data-unavailable")


def list_unavailable(err: ApiError, what: str = "daftar aduan"):
    """A list the API refused to this role (viewers: aggregates only) says so; other failures say why."""
    return no_access(what) if err.status == 403 else unavailable(err.message)


def scope_badge() -> dbc.Badge | None:
    """Says when the API narrows everything to this log-in's share (an OPD, or a petugas's own entries)."""
    login = state.login()
    if login is None:
        return None
    if login.opd_code:
        return dbc.Badge(f"Hanya data OPD {login.opd_code}", color="info", className="scope-badge ms-2")
    if login.role == "petugas":
        # The API gives a petugas the unverified queue of every channel plus what they typed in themselves.
        return dbc.Badge("Antrean verifikasi dan aduan yang Anda catat", color="info", className="scope-badge ms-2")
    return None


def page_header(title: str, subtitle: str | None = None, actions: Any = None, scoped: bool = True) -> html.Div:
    """`scoped=False`: a page that shows no data (a form), so no badge saying whose data it is."""
    return html.Div([
        html.Div([html.H1([title, scope_badge() if scoped else None], className="page-title"),
                  html.P(subtitle, className="page-subtitle") if subtitle else None]),
        html.Div(actions, className="d-flex gap-2 align-items-center flex-wrap") if actions else None,
    ], className="page-header d-flex justify-content-between align-items-end flex-wrap gap-2 mb-3")


def status_badge(code: str | None, label: str) -> dbc.Badge:
    return dbc.Badge(label, className=f"status-badge status-{code or 'none'}")


# AG Grid's own texts in Bahasa Indonesia (pagination, overlays).
GRID_LOCALE = {"page": "Halaman", "of": "dari", "to": "–", "more": "lainnya", "next": "Berikutnya",
               "last": "Terakhir", "first": "Pertama", "previous": "Sebelumnya", "loadingOoo": "Memuat…",
               "noRowsToShow": "Tidak ada data", "pageSizeSelectorLabel": "Baris per halaman:",
               "firstPage": "Halaman pertama", "lastPage": "Halaman terakhir", "nextPage": "Halaman berikutnya",
               "previousPage": "Halaman sebelumnya"}


def grid_locale(no_rows: str) -> dict[str, str]:
    return {**GRID_LOCALE, "noRowsToShow": no_rows}
