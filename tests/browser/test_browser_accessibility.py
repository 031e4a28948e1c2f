"""Accessibility in Chromium (issue 12, item 6), the disease-course chart as drawn (item 3) and
the favicon (item 5).

axe-core comes from npm (package-lock.json, ``make install``) and is loaded from node_modules into
each page with Playwright's ``add_script_tag(path=...)``, never from a CDN; the app's CSP forbids
injected scripts, so the test context bypasses CSP for that one script. Pages: the dashboard of
three scenarios, an evidence page and the error pages. Keyboard-only use must reach the write
button with Tab. The chart's labels are measured with the browser's own ``getBBox()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from bench.screenshots import chart_page, fifteen_year_history
from smart_app.web.course_chart import course_chart_svg
from smart_app.web.course_data import CourseInput
from tests.browser.browser_stack import Stack
from tests.browser.journeys import open_dashboard, sign_in_to_worklist, write_plan_from_dashboard
from tests.web.course_svg import labels, parse

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")  # the bar for every page (issue 12)
EVERY_IMPACT = ("minor", "moderate", *BLOCKING)  # the bar for the app's own templates


@pytest.fixture
def a11y_page(browser: Browser) -> Iterator[Page]:
    """A page that may inject axe-core (CSP bypassed for the test's own script only)."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make install` (npm ci)")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe-core's violations of the given impacts on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


@pytest.mark.parametrize(
    "scenario", ["benign-strict", "activity-mri-new-t2", "natalizumab-jcv-positive"]
)
def test_dashboard_has_no_serious_axe_violation(
    a11y_page: Page, stack: Stack, scenario: str
) -> None:
    open_dashboard(a11y_page, stack, scenario)
    a11y_page.locator("#course-data > summary").click()  # the data table, opened, is checked too
    expect(a11y_page.locator("#course-table")).to_be_visible()
    assert axe_violations(a11y_page, EVERY_IMPACT) == []


def test_dashboard_on_a_phone_has_no_serious_axe_violation(a11y_page: Page, stack: Stack) -> None:
    a11y_page.set_viewport_size({"width": 390, "height": 844})
    open_dashboard(a11y_page, stack, "natalizumab-jcv-positive")
    assert axe_violations(a11y_page) == []
    chart = a11y_page.locator("svg#course-chart").bounding_box()
    assert chart is not None
    assert chart["width"] <= 390, "the chart scales down to the screen"


def test_evidence_page_has_no_serious_axe_violation(a11y_page: Page, stack: Stack) -> None:
    open_dashboard(a11y_page, stack, "activity-mri-new-t2")
    a11y_page.locator("#recommendations a.ref").first.click()
    expect(a11y_page.locator("[data-testid=evidence]")).to_be_visible()
    assert axe_violations(a11y_page, EVERY_IMPACT) == []


def test_worklist_has_no_serious_axe_violation(a11y_page: Page, worklist_stack: Stack) -> None:
    write_plan_from_dashboard(a11y_page, worklist_stack, "natalizumab-jcv-positive")
    sign_in_to_worklist(a11y_page, worklist_stack)
    assert axe_violations(a11y_page, EVERY_IMPACT) == []
    a11y_page.check("#filter-active")
    a11y_page.locator("#apply-filters").click()
    expect(a11y_page.locator("#worklist-count")).to_be_visible()
    assert axe_violations(a11y_page, EVERY_IMPACT) == []


@pytest.mark.parametrize(
    ("path", "status", "impacts"),
    [  # error.html: held to every impact
        ("/launch?iss=http%3A%2F%2F127.0.0.1%3A9%2Funknown&launch=x", 400, EVERY_IMPACT),
        ("/launch?launch=x", 400, EVERY_IMPACT),  # an EHR launch without its iss
        ("/callback?state=not-a-launch", 400, EVERY_IMPACT),  # expired or forged sign-in
        ("/app/no-such-launch", 404, BLOCKING),  # Flask's own 404 page
    ],
)
def test_error_pages_have_no_serious_axe_violation(
    a11y_page: Page, stack: Stack, path: str, status: int, impacts: tuple[str, ...]
) -> None:
    response = a11y_page.goto(f"{stack.app}{path}")
    assert response is not None
    assert response.status == status
    assert axe_violations(a11y_page, impacts) == []


def test_keyboard_alone_reaches_the_write_button(page: Page, stack: Stack) -> None:
    open_dashboard(page, stack, "activity-mri-new-t2")
    button = page.locator("#write-button")
    expect(button).to_be_visible()
    page.locator("body").click(position={"x": 1, "y": 1})  # start from the top of the page
    reached = False
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.id") == (
            "write-button"
        ):
            reached = True
            break
    assert reached, "Tab never reached the write button"
    expect(button).to_be_focused()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused button shows a focus ring"


def test_chart_has_a_text_alternative(page: Page, stack: Stack) -> None:
    open_dashboard(page, stack, "activity-mri-new-t2")
    chart = page.get_by_role("img", name="Disease course: EDSS, relapses, MRI and DMT over time")
    expect(chart).to_be_visible()
    description = page.evaluate("() => document.querySelector('#course-chart-desc').textContent")
    assert "EDSS measurements" in description
    assert "lookback window" in description
    page.locator("#course-data > summary").click()
    rows = page.locator("#course-table tbody tr")
    assert rows.count() > 0
    expect(page.locator("#course-table caption")).to_contain_text("Disease course")


def real_label_boxes(page: Page) -> list[dict[str, Any]]:
    boxes: list[dict[str, Any]] = page.evaluate(
        """() => [...document.querySelectorAll('svg#course-chart text')].map(t => {
            const b = t.getBBox();
            return {text: t.textContent, x: b.x, y: b.y, width: b.width, height: b.height};
        })"""
    )
    return boxes


def assert_real_layout(page: Page, data: CourseInput | None) -> None:
    """No two labels overlap as Chromium draws them, and the server's estimate is an upper
    bound of every real width (so the server-side no-overlap proof holds in the browser)."""
    real = real_label_boxes(page)
    assert real
    for i, a in enumerate(real):
        for b in real[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, f"{a['text']!r} overlaps {b['text']!r}"
    if data is not None:
        estimated = labels(parse(course_chart_svg(data)))
        assert [e.text for e in estimated] == [r["text"] for r in real]
        for e, r in zip(estimated, real, strict=True):
            assert r["width"] <= e.box.right - e.box.left + 0.5, e.text
            # within the estimate, give or take a glyph's side bearing
            assert e.box.left - 1.5 <= r["x"], e.text
            assert r["x"] + r["width"] <= e.box.right + 1.5, e.text


def test_fifteen_year_chart_as_drawn_by_chromium(page: Page) -> None:
    data = fifteen_year_history()
    page.set_content(chart_page(data))
    assert_real_layout(page, data)


def test_dashboard_chart_as_drawn_by_chromium(page: Page, stack: Stack) -> None:
    open_dashboard(page, stack, "natalizumab-jcv-positive")
    assert_real_layout(page, None)


def test_favicon_is_served(page: Page, stack: Stack) -> None:
    missing: list[str] = []

    def watch(response: Response) -> None:
        if response.status == 404:
            missing.append(response.url)

    page.on("response", watch)
    open_dashboard(page, stack, "benign-strict")
    icon = page.context.request.get(f"{stack.app}/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"].startswith("image/")
    assert icon.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    linked = page.evaluate(
        "() => [...document.querySelectorAll('link[rel=icon]')].map(l => l.href)"
    )
    assert f"{stack.app}/favicon.ico" in linked
    for href in linked:
        assert page.context.request.get(href).status == 200
    assert missing == []
