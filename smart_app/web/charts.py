"""Server-rendered, accessible SVG for the EDSS trend (no JavaScript, no CDN, printable).

Accessibility follows the W3C "SVG with role=img" pattern: ``role="img"`` with ``aria-labelledby``
pointing at ``<title>`` and ``<desc>`` (https://www.w3.org/WAI/tutorials/images/complex/); the
dashboard renders the same numbers as a data table next to the chart. The y axis is the full EDSS
scale 0-10 (Kurtzke 1983) so that slopes are comparable between patients; the benign threshold
(EDSS 3.0, docs/clinical-rules.md rule C) is drawn as a reference line. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape, quoteattr

EDSS_MAX = 10.0
BENIGN_EDSS_MAX = 3.0


@dataclass(frozen=True, slots=True)
class EdssPoint:
    """One EDSS measurement; ``stable`` ones (no recent relapse) are drawn filled."""

    date: date
    value: float
    stable: bool


@dataclass(frozen=True, slots=True)
class ChartBox:
    """Canvas size and plot margins in SVG user units."""

    width: int = 640
    height: int = 240
    left: int = 44
    right: int = 16
    top: int = 16
    bottom: int = 36


def _fmt(number: float) -> str:
    return f"{number:.1f}"


def _scale_x(day: date, start: date, end: date, box: ChartBox) -> float:
    span = max((end - start).days, 1)
    plot = box.width - box.left - box.right
    return box.left + plot * (day - start).days / span


def _scale_y(value: float, box: ChartBox) -> float:
    plot = box.height - box.top - box.bottom
    clamped = min(max(value, 0.0), EDSS_MAX)
    return box.top + plot * (1 - clamped / EDSS_MAX)


def chart_description(points: Sequence[EdssPoint], relapses: Sequence[date]) -> str:
    """The ``<desc>`` text: what a sighted reader takes from the chart, in one sentence or two."""
    if not points:
        text = "No EDSS measurement is recorded."
    else:
        ordered = sorted(points, key=lambda p: p.date)
        first, last = ordered[0], ordered[-1]
        low = min(p.value for p in ordered)
        high = max(p.value for p in ordered)
        text = (
            f"{len(ordered)} EDSS measurements from {first.date.isoformat()} to "
            f"{last.date.isoformat()}, ranging {low:.1f} to {high:.1f}; "
            f"latest {last.value:.1f} on {last.date.isoformat()}."
        )
    count = len(relapses)
    if count:
        text += f" {count} relapse{'s' if count != 1 else ''} marked."
    return text


def edss_chart_svg(
    points: Sequence[EdssPoint],
    relapses: Sequence[date],
    *,
    as_of: date,
    chart_id: str = "edss-chart",
    box: ChartBox | None = None,
) -> str:
    """The EDSS trend as an SVG string; x spans the first event to ``as_of``, y is 0-10."""
    frame = box or ChartBox()
    days = [p.date for p in points] + list(relapses)
    start = min(days) if days else as_of
    end = max([*days, as_of])
    if start == end:
        start = date.fromordinal(end.toordinal() - 365)
    chart_id = re.sub(r"[^A-Za-z0-9_-]", "", chart_id) or "edss-chart"  # an id, never markup
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id={quoteattr(chart_id)} class="chart" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" '
        f'viewBox="0 0 {frame.width} {frame.height}" '
        f'width="{frame.width}" height="{frame.height}">',
        f'<title id="{title_id}">EDSS over time</title>',
        f'<desc id="{desc_id}">{escape(chart_description(points, relapses))}</desc>',
    ]
    parts.extend(_axes(start, end, frame))
    parts.extend(_relapse_marks(relapses, start, end, frame))
    parts.extend(_series(points, start, end, frame))
    parts.append("</svg>")
    return "".join(parts)


def _axes(start: date, end: date, box: ChartBox) -> list[str]:
    x0, x1 = box.left, box.width - box.right
    y_bottom = box.height - box.bottom
    out = ['<g class="axis" aria-hidden="true">']
    for tick in range(0, 11, 2):
        y = _scale_y(float(tick), box)
        out.append(f'<line class="grid" x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="tick" x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    yb = _scale_y(BENIGN_EDSS_MAX, box)
    out.append(
        f'<line class="threshold" x1="{x0}" x2="{x1}" y1="{yb:.1f}" y2="{yb:.1f}" '
        'stroke-dasharray="6 4"/>'
    )
    out.append(
        f'<text class="threshold-label" x="{x1}" y="{yb - 4:.1f}" text-anchor="end">EDSS 3.0</text>'
    )
    out.append(f'<line class="axis-line" x1="{x0}" x2="{x0}" y1="{box.top}" y2="{y_bottom}"/>')
    out.append(f'<line class="axis-line" x1="{x0}" x2="{x1}" y1="{y_bottom}" y2="{y_bottom}"/>')
    for year in range(start.year, end.year + 1):
        tick_day = date(year, 1, 1)
        if not start <= tick_day <= end:
            continue
        x = _scale_x(tick_day, start, end, box)
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{y_bottom + 16}" text-anchor="middle">{year}</text>'
        )
    out.append(
        f'<text class="axis-title" x="12" y="{box.top + 4}" '
        f'transform="rotate(-90 12 {box.top + 4})" text-anchor="end">EDSS</text>'
    )
    out.append("</g>")
    return out


def _relapse_marks(relapses: Sequence[date], start: date, end: date, box: ChartBox) -> list[str]:
    out: list[str] = []
    y_bottom = box.height - box.bottom
    for onset in sorted(relapses):
        x = _scale_x(onset, start, end, box)
        out.append(
            f'<g class="relapse" data-date="{onset.isoformat()}">'
            f"<title>Relapse {onset.isoformat()}</title>"
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{box.top}" y2="{y_bottom}" '
            'stroke-dasharray="2 3"/>'
            f'<path d="M{x - 5:.1f},{box.top} L{x + 5:.1f},{box.top} L{x:.1f},{box.top + 8} Z"/>'
            "</g>"
        )
    return out


def _series(points: Sequence[EdssPoint], start: date, end: date, box: ChartBox) -> list[str]:
    ordered = sorted(points, key=lambda p: p.date)
    if not ordered:
        return []
    coords = [(_scale_x(p.date, start, end, box), _scale_y(p.value, box)) for p in ordered]
    out = []
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline class="edss-line" fill="none" points="{path}"/>')
    for point, (x, y) in zip(ordered, coords, strict=True):
        kind = "stable" if point.stable else "unstable"
        out.append(
            f'<circle class="edss-point {kind}" cx="{x:.1f}" cy="{y:.1f}" r="4" '
            f'data-date="{point.date.isoformat()}" data-value="{_fmt(point.value)}">'
            f"<title>EDSS {_fmt(point.value)} on {point.date.isoformat()}"
            f"{'' if point.stable else ' (within 30 days of a relapse)'}</title></circle>"
        )
    return out
