"""The disease-course chart: EDSS, relapses, MRI scans and DMTs on one time axis (issue 12, item 3).

One aligned chart in the manner of UCSF's NeuroShare MS dashboard: the EDSS line on the full
0-10 scale (Kurtzke 1983) with the benign threshold (clinical-rules.md, rule C), relapses as
labelled markers above it, each MRI scan with its lesion counts (new/enlarging T2, Gd+) under its
date, one bar lane per DMT, and the activity lookback window shaded (rule A). EDSS measured within
the stability days after a relapse onset is drawn hollow: the rules do not classify on it.
Server-rendered SVG, no JavaScript, printable; the text alternative follows the W3C complex-image
pattern (https://www.w3.org/WAI/tutorials/images/complex/): ``role="img"`` with
``<title>``/``<desc>``, and the page shows ``course_data.course_table`` as a data table. Labels are
placed in lanes or nudged (``charts.py``) so that none overlaps another.
Pure: no Flask, no I/O, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from smart_app.web.charts import (
    FONT_FAMILY,
    FONT_SIZE,
    Box,
    assign_lanes,
    first_free,
    text_box,
    text_width,
)
from smart_app.web.course_data import (
    CourseInput,
    ScanMark,
    course_description,
    edss_text,
    legend_items,
    relapse_when,
)

EDSS_MAX = 10.0
WIDTH = 960
LINE = 14.0  # one line of label text
GAP = 6.0  # the least space between two labels
PLOT_HEIGHT = 190.0
DMT_LANE = 18.0
POINT_RADIUS = 4.0
DESCENT_PX = 3.0  # keeps a label's descenders off the line under it


@dataclass(frozen=True, slots=True)
class _Axis:
    start: date
    end: date
    x0: float
    x1: float

    def x(self, day: date) -> float:
        span = max((self.end - self.start).days, 1)
        return self.x0 + (self.x1 - self.x0) * (day - self.start).days / span


def _time_span(data: CourseInput) -> tuple[date, date]:
    days = [
        data.window_start,
        data.as_of,
        *(m.date for m in data.edss),
        *(r.onset for r in data.relapses),
        *(s.date for s in data.scans),
        *(r.start for r in data.dmt_runs),
        *(r.end for r in data.dmt_runs),
    ]
    start, end = min(days), max(days)
    pad = timedelta(days=max(7, (end - start).days // 50))
    return start - pad, end + pad


class _Svg:
    """Collects SVG elements and every text label's box (the no-overlap promise)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.labels: list[Box] = []

    def text(self, x: float, y: float, text: str, cls: str, anchor: str = "middle") -> None:
        self.labels.append(text_box(x, y, text, anchor))
        self.parts.append(
            f'<text class={quoteattr(cls)} x="{x:.1f}" y="{y:.1f}" '
            f'text-anchor="{anchor}">{escape(text)}</text>'
        )


def course_chart_svg(data: CourseInput, *, chart_id: str = "course-chart") -> str:
    """The chart as one ``<svg>`` string; its height grows with the label lanes it needs."""
    chart_id = re.sub(r"[^A-Za-z0-9_-]", "", chart_id) or "course-chart"  # an id, never markup
    drugs = list(dict.fromkeys(r.drug for r in sorted(data.dmt_runs, key=lambda r: r.start)))
    threshold_label = f"EDSS {edss_text(data.threshold)}"
    left = max(
        text_width("Relapses") + 2 * GAP,
        *(text_width(d) + 2 * GAP for d in drugs),
        text_width("EDSS") + text_width("10") + 3 * GAP,
    )
    right = max(text_width(threshold_label), text_width("benign limit")) + 2 * GAP
    start, end = _time_span(data)
    axis = _Axis(start, end, left, WIDTH - right)
    svg = _Svg()

    # relapse labels, in lanes above the plot (lane 0 nearest to it)
    relapses = sorted(data.relapses, key=lambda r: r.onset)
    relapse_texts = [f"Relapse {relapse_when(r)}" for r in relapses]
    relapse_lanes = assign_lanes(
        [axis.x(r.onset) for r in relapses],
        [text_width(t) for t in relapse_texts],
        low=axis.x0,
        high=WIDTH - GAP,
        gap=GAP,
    )
    relapse_band = LINE * max(1, 1 + max((p.lane for p in relapse_lanes), default=0))
    plot_top = GAP + relapse_band + GAP + 8  # room for the relapse triangles
    plot_bottom = plot_top + PLOT_HEIGHT
    axis_labels = plot_bottom + LINE + 6  # clear of the "0" tick label

    # MRI labels, two lines each, in lanes under the time axis
    scans = sorted(data.scans, key=lambda s: (s.date, s.region))
    scan_lines = [(_scan_line(s), _count_line(s)) for s in scans]
    scan_lanes = assign_lanes(
        [axis.x(s.date) for s in scans],
        [max(text_width(a), text_width(b)) for a, b in scan_lines],
        low=axis.x0,
        high=WIDTH - GAP,
        gap=GAP,
    )
    mri_top = axis_labels + LINE
    mri_lanes = 1 + max((p.lane for p in scan_lanes), default=0)
    mri_bottom = mri_top + 12 + mri_lanes * (2 * LINE + 4)
    dmt_top = mri_bottom + GAP + LINE  # under the band's heading
    dmt_bottom = dmt_top + DMT_LANE * max(1, len(drugs))
    height = dmt_bottom + GAP

    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    svg.parts += [
        f'<svg xmlns="http://www.w3.org/2000/svg" id={quoteattr(chart_id)} class="chart course" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'font-family={quoteattr(FONT_FAMILY)} font-size="{FONT_SIZE:g}">',
        f'<title id="{title_id}">Disease course: EDSS, relapses, MRI and DMT over time</title>',
        f'<desc id="{desc_id}">{escape(course_description(data))}</desc>',
    ]
    y = _EdssScale(plot_top, plot_bottom)
    # the lookback window, shaded behind everything
    wx0, wx1 = axis.x(data.window_start), axis.x(data.as_of)
    svg.parts.append(
        f'<rect class="window" x="{wx0:.1f}" y="{plot_top:.1f}" width="{wx1 - wx0:.1f}" '
        f'height="{dmt_bottom - plot_top:.1f}" '
        f'data-start="{data.window_start.isoformat()}" data-end="{data.as_of.isoformat()}"/>'
    )
    _axes(svg, axis, y, data, threshold_label, axis_labels)

    # relapses: a dashed line through the plot, a triangle on its top edge, the label above
    for relapse, text, place in zip(relapses, relapse_texts, relapse_lanes, strict=True):
        x = axis.x(relapse.onset)
        baseline = plot_top - 8 - GAP - place.lane * LINE - DESCENT_PX
        svg.parts.append(
            f'<g class="relapse" data-date="{relapse.onset.isoformat()}">'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{plot_top:.1f}" y2="{plot_bottom:.1f}"/>'
            f'<path d="M{x - 5:.1f},{plot_top - 8:.1f} L{x + 5:.1f},{plot_top - 8:.1f} '
            f'L{x:.1f},{plot_top:.1f} Z"/>'
        )
        svg.text(place.left, baseline, text, "relapse-label", anchor="start")
        svg.parts.append("</g>")

    if not relapses:
        baseline = plot_top - 8 - GAP - DESCENT_PX
        svg.text(axis.x0, baseline, "none recorded", "muted-label", anchor="start")

    _edss(svg, axis, y, data)

    # MRI: a diamond on the scan's date, its counts under it
    svg.text(GAP, mri_top + 10, "MRI", "band-label", anchor="start")
    if not scans:
        svg.text(axis.x0, mri_top + 10, "none recorded", "muted-label", anchor="start")
    for scan, (first, second), place in zip(scans, scan_lines, scan_lanes, strict=True):
        x = axis.x(scan.date)
        top = mri_top + 12 + place.lane * (2 * LINE + 4)
        svg.parts.append(
            f'<g class="scan" data-date="{scan.date.isoformat()}" '
            f'data-new-t2="{_num(scan.new_t2)}" data-gd="{_num(scan.gd)}">'
            f'<path class="scan-mark" d="M{x:.1f},{mri_top:.1f} L{x + 5:.1f},{mri_top + 5:.1f} '
            f'L{x:.1f},{mri_top + 10:.1f} L{x - 5:.1f},{mri_top + 5:.1f} Z"/>'
        )
        svg.text(place.left, top + LINE - DESCENT_PX, first, "scan-label", anchor="start")
        svg.text(place.left, top + 2 * LINE - DESCENT_PX, second, "scan-counts", anchor="start")
        svg.parts.append("</g>")

    # DMT: one lane per drug, one bar per run
    svg.text(GAP, dmt_top - DESCENT_PX, "DMT", "band-label", anchor="start")
    if not drugs:
        svg.text(axis.x0, dmt_top + 12, "none recorded", "muted-label", anchor="start")
    for lane, drug in enumerate(drugs):
        lane_top = dmt_top + lane * DMT_LANE
        svg.parts.append(f'<g class="dmt-lane" data-drug={quoteattr(drug)}>')
        svg.text(axis.x0 - GAP, lane_top + 12, drug, "dmt-label", anchor="end")
        for run in (r for r in data.dmt_runs if r.drug == drug):
            bx0, bx1 = axis.x(run.start), axis.x(data.as_of if run.current else run.end)
            svg.parts.append(
                f'<rect class="dmt-bar{" current" if run.current else ""}" x="{bx0:.1f}" '
                f'y="{lane_top + 4:.1f}" width="{max(bx1 - bx0, 2):.1f}" height="10" '
                f'data-start="{run.start.isoformat()}" data-end="{run.end.isoformat()}">'
                f"<title>{escape(run.drug)} {run.start.isoformat()} to "
                f"{'now' if run.current else run.end.isoformat()}</title></rect>"
            )
        svg.parts.append("</g>")
    svg.parts.append("</svg>")
    return "".join(svg.parts)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _scan_line(scan: ScanMark) -> str:
    """A scan's first label line: its date, and its region unless it is the usual brain scan."""
    prefix = {"brain": "", "spine": "Spine "}.get(scan.region, "Report ")
    return f"{prefix}{scan.date.isoformat()}"


def _count_line(scan: ScanMark) -> str:
    """The counts under a scan: new T2 and Gd+ ("?" when the report gives none)."""
    t2 = "?" if scan.new_t2 is None else f"{scan.new_t2:g}"
    gd = "?" if scan.gd is None else f"{scan.gd:g}"
    return f"T2 {t2} · Gd+ {gd}"


@dataclass(frozen=True, slots=True)
class _EdssScale:
    top: float
    bottom: float

    def __call__(self, value: float) -> float:
        clamped = min(max(value, 0.0), EDSS_MAX)
        return self.top + (self.bottom - self.top) * (1 - clamped / EDSS_MAX)


def _axes(
    svg: _Svg, axis: _Axis, y: _EdssScale, data: CourseInput, threshold_label: str, below: float
) -> None:
    svg.parts.append('<g class="axis">')
    for tick in range(0, 11, 2):
        ty = y(float(tick))
        svg.parts.append(
            f'<line class="grid" x1="{axis.x0:.1f}" x2="{axis.x1:.1f}" '
            f'y1="{ty:.1f}" y2="{ty:.1f}"/>'
        )
        svg.text(axis.x0 - GAP, ty + 4, str(tick), "tick", anchor="end")
    svg.text(GAP, y(5.0) + 4, "EDSS", "axis-title", anchor="start")
    svg.text(GAP, y.top - 8 - GAP - DESCENT_PX, "Relapses", "band-label", anchor="start")
    yt = y(data.threshold)
    svg.parts.append(
        f'<line class="threshold" x1="{axis.x0:.1f}" x2="{axis.x1:.1f}" '
        f'y1="{yt:.1f}" y2="{yt:.1f}" stroke-dasharray="6 4" '
        f'data-value="{edss_text(data.threshold)}"/>'
    )
    svg.text(axis.x1 + GAP, yt + 4, threshold_label, "threshold-label", anchor="start")
    svg.text(axis.x1 + GAP, yt + 4 + LINE, "benign limit", "threshold-label", anchor="start")
    svg.parts.append(
        f'<line class="axis-line" x1="{axis.x0:.1f}" x2="{axis.x0:.1f}" '
        f'y1="{y.top:.1f}" y2="{y.bottom:.1f}"/>'
        f'<line class="axis-line" x1="{axis.x0:.1f}" x2="{axis.x1:.1f}" '
        f'y1="{y.bottom:.1f}" y2="{y.bottom:.1f}"/>'
    )
    per_year = (axis.x(date(2001, 1, 1)) - axis.x(date(2000, 1, 1))) if axis.end > axis.start else 0
    step = next(
        (s for s in (1, 2, 5, 10, 20, 50) if per_year * s >= text_width("2026") + 2 * GAP), 100
    )
    for year in range(axis.start.year, axis.end.year + 1):
        tick_day = date(year, 1, 1)
        if year % step or not axis.start <= tick_day <= axis.end:
            continue
        x = axis.x(tick_day)
        svg.parts.append(
            f'<line class="year" x1="{x:.1f}" x2="{x:.1f}" y1="{y.bottom:.1f}" '
            f'y2="{y.bottom + 4:.1f}"/>'
        )
        svg.text(x, below, str(year), "tick", anchor="middle")
    svg.parts.append("</g>")


def _edss(svg: _Svg, axis: _Axis, y: _EdssScale, data: CourseInput) -> None:
    """The EDSS line and its points; each value is labelled where a free spot is found near it."""
    ordered = sorted(data.edss, key=lambda m: m.date)
    coords = [(axis.x(m.date), y(m.value)) for m in ordered]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{py:.1f}" for x, py in coords)
        svg.parts.append(f'<polyline class="edss-line" fill="none" points="{path}"/>')
    r = POINT_RADIUS + 1
    points = [Box(x - r, py - r, x + r, py + r) for x, py in coords]
    area = Box(axis.x0, y.top, axis.x1, y.bottom)
    threshold = Box(axis.x0, y(data.threshold) - 1, axis.x1, y(data.threshold) + 1)  # kept legible
    for mark, (x, py) in zip(ordered, coords, strict=True):
        kind = "stable" if mark.stable else "unstable"
        text = edss_text(mark.value)
        baselines = [py - r - 3 - lift for lift in (0.0, LINE, 2 * LINE)]
        baselines += [py + r + FONT_SIZE + drop for drop in (0.0, LINE, 2 * LINE)]
        candidates = [text_box(x, b, text, "middle") for b in baselines]
        found = first_free(candidates, [*svg.labels, *points, threshold], area, gap=2.0)
        svg.parts.append(
            f'<circle class="edss-point {kind}" cx="{x:.1f}" cy="{py:.1f}" r="{POINT_RADIUS:g}" '
            f'data-date="{mark.date.isoformat()}" data-value="{text}">'
            f"<title>EDSS {text} on {mark.date.isoformat()}"
            f"{'' if mark.stable else f' (within {data.unstable_days} days of a relapse onset)'}"
            "</title></circle>"
        )
        if found >= 0:
            svg.text(x, baselines[found], text, "edss-label")


_SWATCHES = {
    "stable": '<circle cx="11" cy="6" r="4"/>',
    "unstable": '<circle cx="11" cy="6" r="4"/>',
    "threshold": '<line x1="0" x2="22" y1="6" y2="6" stroke-dasharray="6 4"/>',
    "relapse": '<path d="M6,1 L16,1 L11,10 Z"/>',
    "scan": '<path d="M11,1 L16,6 L11,11 L6,6 Z"/>',
    "dmt": '<rect x="0" y="2" width="22" height="8"/>',
    "window": '<rect x="0" y="0" width="22" height="12"/>',
}


def course_figure_html(data: CourseInput, *, chart_id: str = "course-chart") -> str:
    """The chart and its legend in one ``<figure>`` (the legend is HTML, so it reflows)."""
    items = "".join(
        f'<li data-swatch="{swatch}"><svg class="swatch swatch-{swatch}" width="22" height="12" '
        f'viewBox="0 0 22 12" aria-hidden="true" focusable="false">{_SWATCHES[swatch]}</svg> '
        f"{escape(text)}</li>"
        for swatch, text in legend_items(data)
    )
    return (
        '<figure class="course-figure">'
        f'<div class="chart-scroll">{course_chart_svg(data, chart_id=chart_id)}</div>'
        f'<figcaption><ul class="chart-legend" id="{chart_id}-legend" aria-label="Chart legend">'
        f"{items}</ul></figcaption></figure>"
    )
