"""Figures are built from API-shaped data with graph_objects (no pandas), and clicks carry filter keys."""

from __future__ import annotations

import json
from urllib.parse import unquote

from dashboard import figures
from tests.dashboard.api_labels import LABELS


def test_horizontal_bars_carry_keys_for_cross_filtering():
    fig = figures.hbar([{"key": "INFRA-JALAN", "label": "Jalan rusak", "total": 9},
                        {"key": "KES", "label": "Kesehatan", "total": 4}], selected=("KES",))
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert list(bar.customdata) == ["KES", "INFRA-JALAN"]  # largest drawn on top
    assert list(bar.marker.color)[0] != list(bar.marker.color)[1]  # the selected bar stands out


def test_empty_input_gives_a_friendly_placeholder():
    for fig in (figures.hbar([]), figures.trend([]), figures.kecamatan_map([]), figures.status_donut({}, LABELS),
                figures.calls({}), figures.ratings([("1 ★", 0)])):
        assert fig.layout.annotations[0].text == "Data belum tersedia"


def test_map_needs_no_tiles_and_places_kecamatan_at_their_coordinates():
    fig = figures.kecamatan_map([{"key": "Kanigoro", "label": "Kanigoro", "total": 10, "overdue": 5,
                                  "lat": -8.13, "lon": 112.22},
                                 {"key": "Talun", "label": "Talun", "total": 2, "overdue": 0, "lat": -8.09,
                                  "lon": 112.29},
                                 {"key": "?", "total": 3, "lat": None, "lon": None}])
    trace = fig.data[0]
    assert trace.type == "scatter"  # plain axes: no mapbox/geo tiles to download
    assert list(trace.x) == [112.22, 112.29] and list(trace.customdata) == ["Kanigoro", "Talun"]
    assert trace.marker.size[0] > trace.marker.size[1]
    assert "mapbox" not in json.dumps(fig.to_plotly_json()["layout"])


def test_trend_has_received_bars_and_resolved_line_by_day():
    fig = figures.trend([{"period": "2026-11-22", "total": 5, "resolved": 2},
                         {"period": "2026-11-23", "total": 3, "resolved": 4}], clickable=True)
    assert [t.type for t in fig.data] == ["bar", "scatter"]
    assert list(fig.data[0].customdata) == ["2026-11-22", "2026-11-23"]
    assert fig.layout.clickmode == "event"


def test_status_views_use_workflow_colours():
    fig = figures.status_bars({"resolved": 3, "unverified": 2}, LABELS, selected=("resolved",))
    assert list(fig.data[0].customdata) == ["resolved", "unverified"]
    donut = figures.status_donut({"resolved": 3, "unverified": 2}, LABELS)
    assert list(donut.data[0].labels) == ["Belum diverifikasi", "Selesai"]


def test_calls_are_stacked_by_type():
    fig = figures.calls({"ghost": {"2026-11-22": 2}, "prank": {"2026-11-23": 1}})
    assert fig.layout.barmode == "stack"
    assert {t.name for t in fig.data} == {"Ghost call", "Prank call"}
    assert list(fig.data[0].y) == [2, 0]


def test_figures_serialise_to_json():
    json.dumps(figures.ratings([("1 ★", 2), ("5 ★", 7)]).to_plotly_json(), default=str)


def test_a_sparkline_is_an_svg_scaled_to_its_peak():
    svg = unquote(figures.sparkline([0, 5, 10]).removeprefix("data:image/svg+xml;charset=utf-8,"))
    assert svg.startswith("<svg") and 'points="0.00,30.00 50.00,16.00 100.00,2.00"' in svg
    assert "<polyline" not in unquote(figures.sparkline([]))  # no data: an empty picture, not an error


def test_percentages_read_like_every_other_percentage():
    donut = figures.status_donut({"resolved": 41, "unverified": 59}, LABELS)
    assert list(donut.data[0].text) == ["59,0 %", "41,0 %"] and donut.data[0].textinfo == "text"
    bubbles = figures.kecamatan_map([{"key": "Wlingi", "lat": -8.08, "lon": 112.3, "total": 10, "overdue": 5}])
    assert list(bubbles.data[0].marker.colorbar.ticktext) == ["0,0 %", "25,0 %", "50,0 %"]


def test_bar_labels_are_never_turned():
    bars = [figures.hbar([{"key": "a", "label": "A", "total": 3}]),
            figures.status_bars({"resolved": 3}, LABELS), figures.ratings([("1 ★", 2), ("5 ★", 7)])]
    assert all(fig.data[0].textangle == 0 for fig in bars)
    assert figures.ratings([("1 ★", 2)]).layout.xaxis.tickangle == 0
    assert figures.calls({"ghost": {"2026-11-22": 2}}).layout.xaxis.tickangle == 0
    assert figures.trend([{"period": "2026-11-22", "total": 5, "resolved": 2}]).layout.xaxis.tickangle == 0


def test_a_short_span_of_days_gets_one_tick_a_day():
    two_days = figures.topic_lines([{"label": "banjir", "points": [{"date": "2026-12-07", "count": 1},
                                                                   {"date": "2026-12-08", "count": 4}]}])
    assert list(two_days.layout.xaxis.tickvals) == ["2026-12-07", "2026-12-08"]
    month = figures.trend([{"period": f"2026-11-{d:02d}", "total": d, "resolved": 0} for d in range(1, 31)])
    assert month.layout.xaxis.tickvals is None  # plotly's own spacing: 30 labels would not fit
