"""Chart basics (the EDSS part of the course chart): accessible, scaled 0-10, relapses marked,
escaped; and the geometry every label relies on (text boxes, lanes, nudging)."""

from __future__ import annotations

from datetime import date

from smart_app.web.charts import Box, assign_lanes, first_free, text_box, text_width
from smart_app.web.course_chart import course_chart_svg
from smart_app.web.course_data import (
    CourseInput,
    EdssMark,
    RelapseMark,
    course_description,
)
from tests.web.course_svg import SVG, by_class, parse

AS_OF = date(2026, 11, 24)
POINTS = (
    EdssMark(date(2016, 1, 10), 1.0, True),
    EdssMark(date(2020, 6, 1), 2.5, False),
    EdssMark(date(2024, 3, 5), 2.0, True),
)


def course(points: tuple[EdssMark, ...] = POINTS, relapses: tuple[date, ...] = ()) -> CourseInput:
    return CourseInput(
        as_of=AS_OF,
        edss=points,
        relapses=tuple(RelapseMark(d, d) for d in relapses),
        scans=(),
        dmt_runs=(),
        window_start=date(2025, 11, 24),
        threshold=3.0,
        unstable_days=30,
    )


def test_svg_is_accessible_image() -> None:
    root = parse(course_chart_svg(course(relapses=(date(2020, 5, 20),))))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "course-chart-title course-chart-desc"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Disease course: EDSS, relapses, MRI and DMT over time"
    assert desc is not None
    assert desc.text is not None
    assert "3 EDSS measurements from 2016-01-10 to 2024-03-05" in desc.text
    assert "latest 2.0 on 2024-03-05" in desc.text
    assert "1 relapse, latest 2020-05-20" in desc.text


def test_y_axis_spans_0_to_10_and_values_are_placed_on_it() -> None:
    root = parse(course_chart_svg(course()))
    ticks = [t.text for t in by_class(root, "text", "tick")]
    assert ticks[:6] == ["0", "2", "4", "6", "8", "10"]
    circles = by_class(root, "circle", "edss-point")
    assert [c.get("data-value") for c in circles] == ["1.0", "2.5", "2.0"]
    grid = {float(g.get("y1", "0")) for g in by_class(root, "line", "grid")}
    zero, ten = max(grid), min(grid)
    y_one = float(circles[0].get("cy", "0"))
    assert abs(y_one - (zero - (zero - ten) * 0.1)) < 0.1  # EDSS 1.0 is 10% up the axis
    assert "unstable" in (circles[1].get("class") or "")
    xs = [float(c.get("cx", "0")) for c in circles]
    assert xs == sorted(xs)


def test_relapses_are_marked_at_their_dates() -> None:
    root = parse(course_chart_svg(course(relapses=(date(2020, 5, 20), date(2018, 2, 1)))))
    marks = by_class(root, "g", "relapse")
    assert [g.get("data-date") for g in marks] == ["2018-02-01", "2020-05-20"]


def test_empty_series_still_renders_axes() -> None:
    root = parse(course_chart_svg(course(points=())))
    assert list(root.iter(f"{SVG}circle")) == []
    assert [t.text for t in by_class(root, "text", "tick")][:6] == ["0", "2", "4", "6", "8", "10"]
    assert course_description(course(points=())).startswith("No EDSS measurement is recorded.")


def test_chart_id_is_escaped() -> None:
    svg = course_chart_svg(course(), chart_id='x"><script>')
    assert "<script>" not in svg
    parse(svg)


def test_text_box_follows_the_anchor() -> None:
    width = text_width("EDSS 3.0")
    start, middle, end = (text_box(100, 50, "EDSS 3.0", a) for a in ("start", "middle", "end"))
    assert (start.left, start.right) == (100, 100 + width)
    assert (middle.left, middle.right) == (100 - width / 2, 100 + width / 2)
    assert (end.left, end.right) == (100 - width, 100)
    assert start.top < 50 < start.bottom  # the baseline is inside the box (descenders)
    assert text_width("MMMM") > text_width("iiii")


def test_lanes_never_put_two_overlapping_labels_in_one_lane() -> None:
    centres = [100.0, 102.0, 104.0, 300.0, 301.0, 900.0]
    widths = [80.0] * len(centres)
    placed = assign_lanes(centres, widths, low=0.0, high=950.0, gap=6.0)
    assert [p.lane for p in placed] == [0, 1, 2, 0, 1, 0]
    for i, a in enumerate(placed):
        for j, b in enumerate(placed[i + 1 :], start=i + 1):
            if a.lane == b.lane:
                assert a.left + widths[i] + 6 <= b.left or b.left + widths[j] + 6 <= a.left
    edge = assign_lanes([945.0, 2.0], [80.0, 80.0], low=10.0, high=950.0, gap=6.0)
    assert edge[0].left == 870.0  # clamped inside the right end
    assert edge[1].left == 10.0  # and the left end


def test_nudging_takes_the_first_free_spot_inside_the_area() -> None:
    area = Box(0, 0, 100, 100)
    taken = [Box(10, 10, 30, 20)]
    candidates = [Box(15, 12, 25, 18), Box(-5, 30, 5, 40), Box(40, 40, 50, 50)]
    assert first_free(candidates, taken, area, gap=2.0) == 2
    assert first_free(candidates[:2], taken, area, gap=2.0) == -1
