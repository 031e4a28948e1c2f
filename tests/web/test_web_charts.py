"""The EDSS SVG builder: accessible, scaled 0-10, relapses marked, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from smart_app.web.charts import ChartBox, EdssPoint, chart_description, edss_chart_svg

SVG = "{http://www.w3.org/2000/svg}"
AS_OF = date(2026, 11, 24)
POINTS = [
    EdssPoint(date(2016, 1, 10), 1.0, True),
    EdssPoint(date(2020, 6, 1), 2.5, False),
    EdssPoint(date(2024, 3, 5), 2.0, True),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def test_svg_is_accessible_image() -> None:
    root = parse(edss_chart_svg(POINTS, [date(2020, 5, 20)], as_of=AS_OF))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "edss-chart-title edss-chart-desc"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "EDSS over time"
    assert desc is not None
    assert desc.text is not None
    assert "3 EDSS measurements from 2016-01-10 to 2024-03-05" in desc.text
    assert "latest 2.0 on 2024-03-05" in desc.text
    assert "1 relapse marked" in desc.text


def test_y_axis_spans_0_to_10_and_values_are_placed_on_it() -> None:
    box = ChartBox()
    root = parse(edss_chart_svg(POINTS, [], as_of=AS_OF, box=box))
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks[:6] == ["0", "2", "4", "6", "8", "10"]
    circles = list(root.iter(f"{SVG}circle"))
    assert [c.get("data-value") for c in circles] == ["1.0", "2.5", "2.0"]
    plot = box.height - box.top - box.bottom
    y_one = float(circles[0].get("cy", "0"))
    assert abs(y_one - (box.top + plot * 0.9)) < 0.1  # EDSS 1.0 is 10% up the axis
    assert "unstable" in (circles[1].get("class") or "")
    xs = [float(c.get("cx", "0")) for c in circles]
    assert xs == sorted(xs)
    assert xs[0] == box.left


def test_relapses_are_marked_at_their_dates() -> None:
    root = parse(edss_chart_svg(POINTS, [date(2020, 5, 20), date(2018, 2, 1)], as_of=AS_OF))
    marks = [g for g in root.iter(f"{SVG}g") if g.get("class") == "relapse"]
    assert [g.get("data-date") for g in marks] == ["2018-02-01", "2020-05-20"]


def test_empty_series_still_renders_axes() -> None:
    root = parse(edss_chart_svg([], [], as_of=AS_OF))
    assert list(root.iter(f"{SVG}circle")) == []
    assert chart_description([], []) == "No EDSS measurement is recorded."


def test_chart_id_is_escaped() -> None:
    svg = edss_chart_svg(POINTS, [], as_of=AS_OF, chart_id='x"><script>')
    assert "<script>" not in svg
    parse(svg)
