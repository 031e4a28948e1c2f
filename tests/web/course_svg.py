"""Reading the course chart's SVG back in tests: its labels as boxes, its marks by class."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from smart_app.web.charts import Box, text_box

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


@dataclass(frozen=True)
class Label:
    text: str
    cls: str
    box: Box


def labels(root: ET.Element) -> list[Label]:
    """Every ``<text>`` of the chart with the box its x, y, anchor and string take."""
    found = []
    for element in root.iter(f"{SVG}text"):
        text = element.text or ""
        x, y = float(element.get("x", "nan")), float(element.get("y", "nan"))
        box = text_box(x, y, text, element.get("text-anchor", "start"))
        found.append(Label(text, element.get("class", ""), box))
    return found


def canvas(root: ET.Element) -> Box:
    _, _, width, height = (float(v) for v in root.get("viewBox", "").split())
    return Box(0.0, 0.0, width, height)


def overlapping(found: list[Label]) -> list[tuple[Label, Label]]:
    return [(a, b) for i, a in enumerate(found) for b in found[i + 1 :] if a.box.overlaps(b.box)]


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if cls in (e.get("class") or "").split()]
