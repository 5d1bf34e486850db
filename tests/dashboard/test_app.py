"""The Dash app in-process (no browser): pages registered, assets local, callbacks never raise on API trouble."""

from __future__ import annotations

import re
from pathlib import Path

import dash
import httpx
import pytest

import dashboard
from dashboard import state

BY_OPD = {"items": [{"key": f"OPD{i}", "label": f"Dinas {i}", "total": 10, "open": 2, "resolved": 8, "overdue": i,
                     "completion_pct": 80.0, "avg_followup_days": float(i)} for i in range(8)]}


@pytest.fixture
def app(dash_app):
    return dash_app


def use_api(handler) -> None:
    state.configure(state.settings(), transport=httpx.MockTransport(handler))


def test_every_page_is_registered(app):
    paths = {page["path_template"] or page["path"] for page in dash.page_registry.values()}
    assert {"/", "/kanal", "/opd", "/opd/<code>", "/jelajah", "/konektor", "/audit"} <= paths


@pytest.mark.parametrize("logged_in", [False, True], ids=["login-page", "index"])
def test_pages_load_only_local_assets(app, logged_in):
    browser = app.server.test_client()
    if logged_in:
        with browser.session_transaction() as cookie:
            cookie["login"] = {"kind": "display", "access_token": "adu_x", "name": "TV", "role": "viewer"}
    html = browser.get("/", follow_redirects=True).get_data(as_text=True)
    assert "00_bootstrap-5.3.8.min.css" in html
    assert ("Kata sandi" in html) is not logged_in
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(not u.startswith(("http:", "https:", "//")) for u in urls), urls
    assert app.config.serve_locally


def test_plotly_is_the_small_local_bundle_of_the_installed_version_and_draws_every_chart(app):
    """The wall at 10 M: the full plotly.js (3.5 MB) took the browser about a second to read before any chart.
    The pages load the basic bundle from assets instead; it must be the version plotly.py was made for, and
    know every trace type the dashboard draws."""
    import plotly

    assets = Path(dashboard.__file__).parent / "assets"
    (bundle,) = assets.glob("*plotly-basic-*.min.js")
    full = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:200]
    version = re.search(r"plotly\.js v(\S+)", full).group(1)
    assert bundle.name.endswith(f"-{version}.min.js") and f"v{version}" in bundle.read_text()[:200]
    browser = app.server.test_client()
    with browser.session_transaction() as cookie:
        cookie["login"] = {"kind": "display", "access_token": "adu_x", "name": "TV", "role": "viewer"}
    assert bundle.name in browser.get("/", follow_redirects=True).get_data(as_text=True)
    source = "\n".join(p.read_text() for p in Path(dashboard.__file__).parent.rglob("*.py"))
    drawn = set(re.findall(r"go\.(\w+)\(", source)) - {"Figure"} | {
        name.title() for name in re.findall(r"fig\.add_(\w+)\(", source) if name != "annotation"}
    assert drawn <= {"Scatter", "Bar", "Pie"}, drawn  # the basic bundle's traces


def test_wall_callbacks_turn_an_unreachable_api_into_indonesian_text(app):
    from dashboard.pages import dinding

    def refused(request):
        raise httpx.ConnectError("refused", request=request)

    use_api(refused)
    _kpis, as_of, stale, error = dinding.refresh_headline(0)
    assert as_of.startswith("Data per ")
    assert "tidak dapat dimuat" in str(stale) and "API tidak dapat dihubungi" in str(error)
    assert "tidak dapat dihubungi" in str(dinding.refresh_slow_opd(0))
    assert dinding.refresh_map(0).layout.annotations[0].text.startswith("API tidak dapat dihubungi")


def test_wall_lists_the_five_slowest_opd(app):
    from dashboard.pages import dinding

    use_api(lambda request: httpx.Response(200, json=BY_OPD))
    names = [item.children[0].children for item in dinding.refresh_slow_opd(0).children]
    assert names == ["Dinas 7", "Dinas 6", "Dinas 5", "Dinas 4", "Dinas 3"]


def test_missing_endpoint_shows_data_not_available(app):
    from dashboard.pages import konektor

    use_api(lambda request: httpx.Response(404, json={"detail": "Not Found"}))
    assert "Data belum tersedia" in str(konektor.show_connectors(0, None))


def test_opd_page_shows_escalation_history_and_overdue_list(app):
    from dashboard.pages import opd_detail

    answers = {
        "/api/v1/channels": [{"code": "lapor", "label": "SP4N-LAPOR!"}],
        "/api/v1/statuses": [{"code": "dispatched", "label": "Didisposisikan", "bucket": "belum_ditindaklanjuti",
                              "tone": "red"}],
        "/api/v1/opd": [{"code": "DPUPR", "name": "Dinas Pekerjaan Umum dan Penataan Ruang"}],
        "/api/v1/stats/summary": {"total": 41, "open": 13, "overdue": 2, "completion_pct": 68.3,
                                  "avg_followup_days": 15.6, "new_this_month": 9},
        "/api/v1/complaints": {"items": [{"id": 5, "tracking_code": "LPR-ABC", "title": "Jalan rusak",
                                          "channel": "lapor", "status": "dispatched", "overdue": True,
                                          "received_at": "2026-11-02T01:00:00Z"}], "next_cursor": None},
        "/api/v1/escalations": {"items": [{"complaint_id": 5, "tracking_code": "LPR-ABC", "step_code": "teguran_1",
                                           "level": 1, "opd_code": "DPUPR", "fired_at": "2026-11-05T01:00:00Z",
                                           "letter_id": 3}]},
        "/api/v1/stats/timeseries": {"bucket": "week", "items": [{"period": "2026-11-02", "total": 4,
                                                                  "resolved": 1}]},
        "/api/v1/rapor": {"rows": [{"opd_code": "DPUPR", "reopened": 2,
                                    "satisfaction": {"asked": 9, "sudah": 6, "belum": 2, "pct": 75.0}}]},
    }
    seen = []

    def handler(request):
        seen.append(request.url)
        return httpx.Response(200, json=answers[request.url.path])

    use_api(handler)
    page = str(opd_detail.layout(code="DPUPR"))
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in page and "68,3 %" in page
    assert "Surat teguran 1" in page and "05/11/2026 08.00" in page
    assert "LPR-ABC" in page and "SP4N-LAPOR!" in page and "Didisposisikan" in page
    assert "Kepuasan pelapor" in page and "75,0 %" in page and "6 dari 8 menjawab" in page  # "sudah beres?"
    assert "Dibuka kembali" in page
    overdue_query = next(u for u in seen if u.path.endswith("/complaints"))
    assert overdue_query.params["opd"] == "DPUPR" and overdue_query.params["overdue"] == "true"
