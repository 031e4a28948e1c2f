"""Chart geometry shared by the server-rendered SVG: text extents and label placement.

Labels must never overlap (issue 12: "the EDSS 3.0 label overlaps points"), and the server has no
browser to measure text, so widths are estimated from per-character advance widths that are at
least those of DejaVu Sans / Verdana (the chart's declared fonts) at the same size. The browser
test measures the real boxes with ``getBBox()`` and checks the estimate. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FONT_FAMILY = "'DejaVu Sans', Verdana, sans-serif"
FONT_SIZE = 11.0
#: ascent/descent of DejaVu Sans and Verdana as fractions of the font size (rounded up)
ASCENT = 0.95
DESCENT = 0.25

_NARROW = set("ijlft.,'! ")  # at most 0.42 em in both fonts
_WIDE = set("mwMW+=<>≤≥%")  # up to 1.08 em (Verdana's "%")
_UPPER = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def char_width(char: str) -> float:
    """Advance width of one character in ems, rounded up from DejaVu Sans / Verdana metrics."""
    if char in _WIDE:
        return 1.08
    if char in _NARROW:
        return 0.42
    if char in _UPPER:
        return 0.8
    return 0.66  # digits, lowercase, dashes and the rest


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Estimated width of ``text`` in user units (an upper bound for the declared fonts)."""
    return sum(char_width(c) for c in text) * size


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in SVG user units (y grows downwards)."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        """True when the two boxes (each grown by ``gap``/2) share any area."""
        return not (
            self.right + gap <= other.left
            or other.right + gap <= self.left
            or self.bottom + gap <= other.top
            or other.bottom + gap <= self.top
        )

    def inside(self, other: Box) -> bool:
        return (
            self.left >= other.left
            and self.right <= other.right
            and self.top >= other.top
            and self.bottom <= other.bottom
        )


def text_box(x: float, baseline: float, text: str, anchor: str, size: float = FONT_SIZE) -> Box:
    """The box a ``<text x y text-anchor>`` occupies (``anchor`` = start | middle | end)."""
    width = text_width(text, size)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return Box(left, baseline - ASCENT * size, left + width, baseline + DESCENT * size)


@dataclass(frozen=True, slots=True)
class LanePlacement:
    """Where a label landed: its lane (0 = nearest the axis) and its left edge."""

    lane: int
    left: float


def assign_lanes(
    centres: Sequence[float], widths: Sequence[float], *, low: float, high: float, gap: float
) -> list[LanePlacement]:
    """Greedy interval lanes: each label is centred on its x, clamped into ``low..high``, and put
    in the first lane where it clears the previous label by ``gap``.

    Labels are visited by clamped left edge, so greedy first-fit never overlaps two labels of one
    lane (interval scheduling); the number of lanes grows only where dates crowd.
    """
    lefts = [
        min(max(c - w / 2, low), max(high - w, low)) for c, w in zip(centres, widths, strict=True)
    ]
    order = sorted(range(len(lefts)), key=lambda i: (lefts[i], i))
    lane_ends: list[float] = []
    result: list[LanePlacement | None] = [None] * len(lefts)
    for i in order:
        for lane, end in enumerate(lane_ends):
            if end + gap <= lefts[i]:
                lane_ends[lane] = lefts[i] + widths[i]
                result[i] = LanePlacement(lane, lefts[i])
                break
        else:
            lane_ends.append(lefts[i] + widths[i])
            result[i] = LanePlacement(len(lane_ends) - 1, lefts[i])
    return [placement for placement in result if placement is not None]


def first_free(candidates: Sequence[Box], taken: Sequence[Box], area: Box, gap: float) -> int:
    """Index of the first candidate inside ``area`` that clears every taken box, or -1 (nudging)."""
    for index, box in enumerate(candidates):
        if box.inside(area) and not any(box.overlaps(other, gap) for other in taken):
            return index
    return -1
