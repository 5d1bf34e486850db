"""Kecamatan names on the wall's map: placed where they collide with no other name, sized with the screen."""

from dashboard import figures
from dashboard.figures import _LABEL_SPOTS, _overlap, _text_width

# Real centroids of the pairs that collided on the 1080p wall, and their neighbours.
KECAMATAN = [("Udanawu", -8.033, 112.067, 12), ("Wonodadi", -8.051, 112.033, 9), ("Srengat", -8.069, 112.069, 30),
             ("Ponggok", -8.093, 112.110, 25), ("Sanankulon", -8.084, 112.127, 28), ("Wlingi", -8.074, 112.325, 20),
             ("Selopuro", -8.095, 112.331, 33), ("Talun", -8.079, 112.281, 22), ("Doko", -8.030, 112.341, 21),
             ("Gandusari", -8.031, 112.289, 26), ("Kanigoro", -8.135, 112.213, 40), ("Garum", -8.070, 112.232, 27)]


def items():
    return [{"key": n, "label": n, "total": t, "overdue": 1, "lat": lat, "lon": lon} for n, lat, lon, t in KECAMATAN]


def label_boxes(fig, size_px, font_px):
    """Screen boxes of the printed names, by the same geometry the placement assumes."""
    trace = fig.data[0]
    x_range, y_range = list(fig.layout.xaxis.range), list(fig.layout.yaxis.range)
    margin = fig.layout.margin.l
    plot_w = size_px[0] - 2 * margin - (30 + 4.6 * fig.layout.font.size)
    plot_h = size_px[1] - 2 * margin
    ppd = min(plot_w / (x_range[1] - x_range[0]), plot_h / (y_range[1] - y_range[0]))
    cx, cy = sum(x_range) / 2, sum(y_range) / 2
    spots = {p: (dx, dy) for p, dx, dy in _LABEL_SPOTS}
    boxes = []
    for x, y, size, text, position in zip(trace.x, trace.y, trace.marker.size, trace.text, trace.textposition,
                                          strict=True):
        if not text:
            continue
        px, py, r, w, h = (x - cx) * ppd, -(y - cy) * ppd, size / 2, _text_width(text, font_px), font_px * 1.2
        dx, dy = spots[position]
        left = px - w / 2 if dx == 0 else (px + r if dx > 0 else px - r - w)
        top = py - h / 2 if dy == 0 else (py + r if dy > 0 else py - r - h)
        boxes.append((text, (left, top, left + w, top + h)))
    return boxes


def test_names_that_would_collide_move_aside_or_are_left_to_the_hover_label():
    for size_px, scale in (((593, 531), 1.0), ((1186, 1062), 2.0)):
        font = round(16 * scale)
        fig = figures.kecamatan_map(items(), font_size=font, size_px=size_px, marker_scale=scale)
        boxes = label_boxes(fig, size_px, font - 1)
        clashes = [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:] if _overlap(box_a, box_b)]
        assert not clashes
        assert len(boxes) >= 9  # most names stay on the map
        assert fig.data[0].textfont.size == font - 1
        # every name is still in the hover label
        assert all(n in h for (n, *_), h in zip(KECAMATAN, fig.data[0].hovertemplate, strict=True))


def test_without_a_screen_size_every_name_is_printed_below_its_bubble():
    fig = figures.kecamatan_map(items())
    assert list(fig.data[0].text) == [k[0] for k in KECAMATAN]
    assert set(fig.data[0].textposition) == {"bottom center"}
