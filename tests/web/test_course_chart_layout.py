"""No label of the disease-course chart overlaps another or leaves the canvas (issue 12: "the EDSS
3.0 label overlaps points"): long histories, crowded weeks, and many seeded random courses. Every
``<text>`` is read back from the SVG and measured with the chart's own (upper-bound) metric; the
browser test checks the same with Chromium's real boxes."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bench.screenshots import fifteen_year_history
from smart_app.web.charts import Box
from smart_app.web.course_chart import (
    POINT_RADIUS,
    course_chart_svg,
)
from smart_app.web.course_data import (
    CourseInput,
    DmtRun,
    EdssMark,
    RelapseMark,
    ScanMark,
)
from tests.web.course_svg import by_class, canvas, labels, overlapping, parse

AS_OF = date(2026, 11, 24)
DRUGS = ("interferon beta-1a", "glatiramer acetate", "natalizumab", "ocrelizumab", "fingolimod")


def assert_clean_layout(data: CourseInput) -> None:
    root = parse(course_chart_svg(data))
    found = labels(root)
    assert found, "the chart has labels"
    assert overlapping(found) == []
    frame = canvas(root)
    outside = [label for label in found if not label.box.inside(frame)]
    assert outside == []
    r = POINT_RADIUS
    points = [
        Box(
            float(c.get("cx", "0")) - r,
            float(c.get("cy", "0")) - r,
            float(c.get("cx", "0")) + r,
            float(c.get("cy", "0")) + r,
        )
        for c in by_class(root, "circle", "edss-point")
    ]
    covering = [(label.text, p) for label in found for p in points if label.box.overlaps(p)]
    assert covering == [], "no label covers an EDSS point"
    (line,) = by_class(root, "line", "threshold")
    at = float(line.get("y1", "0"))
    crossing = [
        label.text
        for label in found
        if "edss-label" in label.cls and label.box.top - 1 < at < label.box.bottom + 1
    ]
    assert crossing == [], "no EDSS value is written across the threshold line"


def crowded_week() -> CourseInput:
    """Five relapses, four scans, six EDSS visits and a DMT switch in one week."""
    week = date(2026, 3, 2)
    days = [week + timedelta(days=i) for i in range(6)]
    return CourseInput(
        as_of=AS_OF,
        edss=tuple(EdssMark(d, 2.0 + 0.5 * (i % 2), i % 2 == 0) for i, d in enumerate(days)),
        relapses=tuple(RelapseMark(d, d) for d in days[:5]),
        scans=(
            ScanMark(days[0], "brain", 4.0, 2.0),
            ScanMark(days[0], "spine", 1.0, 0.0),
            ScanMark(days[2], "brain", None, 1.0),
            ScanMark(days[4], "", 12.0, 10.0),
        ),
        dmt_runs=(
            DmtRun("interferon beta-1a", date(2024, 1, 1), days[1], False),
            DmtRun("natalizumab", days[3], AS_OF, True),
        ),
        window_start=date(2025, 11, 24),
        threshold=3.0,
        unstable_days=30,
    )


def random_course(seed: int) -> CourseInput:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    years = rng.choice([1, 3, 8, 15, 25])
    start = AS_OF - timedelta(days=365 * years)

    def day() -> date:
        return start + timedelta(days=rng.randrange((AS_OF - start).days + 1))

    edss = sorted(
        (
            EdssMark(day(), rng.choice([x / 2 for x in range(21)]), rng.random() < 0.8)
            for _ in range(rng.randrange(0, 60))
        ),
        key=lambda m: m.date,
    )
    relapses = sorted(day() for _ in range(rng.randrange(0, 25)))
    scans = [
        ScanMark(
            day(),
            rng.choice(["brain", "spine", ""]),
            rng.choice([None, 0.0, 3.0, 17.0]),
            rng.choice([None, 0.0, 1.0, 12.0]),
        )
        for _ in range(rng.randrange(0, 30))
    ]
    runs = []
    for _ in range(rng.randrange(0, 7)):
        first = day()
        runs.append(
            DmtRun(
                rng.choice(DRUGS),
                first,
                min(first + timedelta(days=400), AS_OF),
                rng.random() < 0.3,
            )
        )
    return CourseInput(
        as_of=AS_OF,
        edss=tuple(edss),
        relapses=tuple(RelapseMark(d, d) for d in relapses),
        scans=tuple(sorted(scans, key=lambda s: s.date)),
        dmt_runs=tuple(runs),
        window_start=date(2025, 11, 24),
        threshold=rng.choice([2.0, 3.0, 4.5, 9.5]),
        unstable_days=30,
    )


def test_fifteen_years_of_history() -> None:
    data = fifteen_year_history(AS_OF)
    assert len(data.edss) >= 40
    assert (data.as_of - min(m.date for m in data.edss)).days >= 15 * 365 - 300
    assert_clean_layout(data)
    root = parse(course_chart_svg(data))
    shown = [label for label in labels(root) if "edss-label" in label.cls]
    assert len(shown) >= 0.8 * len(data.edss), "most EDSS values still get their label"
    assert {
        f"Relapse {r.onset.isoformat()}" for r in data.relapses if r.onset == r.onset_latest
    } <= {label.text for label in labels(root)}, "every relapse keeps its label"


def test_crowded_week() -> None:
    data = crowded_week()
    assert_clean_layout(data)
    root = parse(course_chart_svg(data))
    relapse_labels = by_class(root, "text", "relapse-label")
    assert len(relapse_labels) == 5, "five relapses, five labels"
    assert len({t.get("y") for t in relapse_labels}) == 5, "stacked in five lanes"
    assert len(by_class(root, "text", "scan-counts")) == 4, "every scan keeps its counts"


def test_long_drug_names_widen_the_gutter_not_the_overlap() -> None:
    long_name = "autologous haematopoietic stem cell transplantation"
    data = replace(crowded_week(), dmt_runs=(DmtRun(long_name, date(2020, 1, 1), AS_OF, True),))
    assert_clean_layout(data)


@pytest.mark.parametrize("seed", range(60))
def test_random_courses(seed: int) -> None:
    assert_clean_layout(random_course(seed))
