"""``python -m bench.screenshots``: regenerate docs/course-chart-15y.png, on purpose only.

Renders the disease-course chart of a synthetic 15-year history (no patient data) with the app's
own stylesheet in Debian's Chromium (Playwright), so the picture in docs/ is what the dashboard
draws. Not run by the tests; the layout tests use :func:`fifteen_year_history` as input.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from smart_app.domain import DEFAULT_SETTINGS
from smart_app.domain.dates import add_months
from smart_app.web.course_chart import course_figure_html
from smart_app.web.course_data import (
    CourseInput,
    DmtRun,
    EdssMark,
    RelapseMark,
    ScanMark,
)

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "course-chart-15y.png"
CSS = ROOT / "smart_app" / "web" / "static" / "app.css"
CHROMIUM = "/usr/bin/chromium"
AS_OF = date(2026, 11, 24)


def fifteen_year_history(as_of: date = AS_OF) -> CourseInput:
    """A relapsing course over 15 years: 45 EDSS visits (some right after relapses), six relapses
    (two in one week, one known to the month only), yearly MRIs with counts, three DMT runs."""
    start = date(as_of.year - 15, 3, 2)
    onsets = [
        date(start.year + 1, 5, 10),
        date(start.year + 3, 9, 2),
        date(start.year + 3, 9, 6),
        date(start.year + 7, 2, 14),
        date(start.year + 11, 6, 20),
        date(start.year + 14, 4, 3),
    ]
    relapses = [RelapseMark(d, d, f"Condition/relapse-{i}") for i, d in enumerate(onsets)]
    relapses.append(
        RelapseMark(date(start.year + 9, 10, 1), date(start.year + 9, 10, 31), "Condition/r-p")
    )
    edss: list[EdssMark] = []
    for i in range(45):
        day = start + timedelta(days=i * 122)
        if day > as_of:
            break
        near = any(timedelta(0) <= day - onset <= timedelta(days=30) for onset in onsets)
        value = min(1.0 + 0.5 * (i // 9) + (1.0 if near else 0.0) + 0.5 * (i % 3 == 0), 10.0)
        edss.append(EdssMark(day, value, not near, f"Observation/edss-{i}"))
    for onset in onsets[1:3]:  # visits in the crowded relapse week
        edss.append(EdssMark(onset + timedelta(days=3), 3.5, False, f"Observation/e-{onset}"))
    scans = [
        ScanMark(date(start.year + y, 6, 15), "brain", float(y % 4 == 1), float(y % 5 == 1))
        for y in range(16)
        if date(start.year + y, 6, 15) <= as_of
    ]
    scans += [
        ScanMark(date(start.year + 3, 9, 8), "brain", 3.0, 2.0),
        ScanMark(date(start.year + 3, 9, 8), "spine", 1.0, 1.0),
        ScanMark(date(start.year + 3, 9, 12), "", 2.0, None),
    ]
    runs = [
        DmtRun(
            "interferon beta-1a", date(start.year + 1, 8, 1), date(start.year + 4, 1, 10), False
        ),
        DmtRun("dimethyl fumarate", date(start.year + 4, 2, 1), date(start.year + 8, 3, 1), False),
        DmtRun("natalizumab", date(start.year + 8, 4, 1), as_of, True),
        DmtRun(
            "interferon beta-1a", date(start.year + 8, 3, 2), date(start.year + 8, 3, 20), False
        ),
    ]
    settings = DEFAULT_SETTINGS
    return CourseInput(
        as_of=as_of,
        edss=tuple(sorted(edss, key=lambda m: m.date)),
        relapses=tuple(sorted(relapses, key=lambda r: r.onset)),
        scans=tuple(sorted(scans, key=lambda s: s.date)),
        dmt_runs=tuple(runs),
        window_start=add_months(as_of, -settings.activity_lookback_months),
        threshold=settings.benign_edss_max,
        unstable_days=settings.stable_edss_days_after_relapse,
    )


def chart_page(data: CourseInput) -> str:
    """A standalone HTML page with the chart and its legend, styled by the app's stylesheet."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Disease course</title>'
        f"<style>{CSS.read_text()}</style></head><body><main>"
        f'<section class="panel"><h2>Disease course</h2>{course_figure_html(data)}'
        "</section></main></body></html>"
    )


def main() -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1000, "height": 800}, device_scale_factor=2)
        page.set_content(chart_page(fifteen_year_history()))
        OUTPUT.parent.mkdir(exist_ok=True)
        page.locator("section.panel").screenshot(path=str(OUTPUT))
        browser.close()
    print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
