"""The dashboard's top line in Chromium (issue 12, item 1): the summary of a benign and of an
active patient, and the write button that stays in view while the page scrolls."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.browser_stack import Stack
from tests.browser.journeys import open_dashboard

pytestmark = pytest.mark.integration

OK_GREEN = "rgb(30, 107, 53)"  # --ok in app.css: the reassuring colour


def test_benign_patient_summary_reads_benign_in_green(page: Page, stack: Stack) -> None:
    open_dashboard(page, stack, "benign-strict")
    summary = page.locator("#summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("data-under-review", "false")
    status = page.locator("#summary-status")
    expect(status).to_have_text("Benign MS (strict)")
    expect(page.locator("#summary-reason")).to_contain_text("EDSS 2.0 (≤ 3.0) after")
    expect(page.locator("#summary-activity")).to_contain_text("No relapse")
    expect(page.locator("#summary-next")).to_be_visible()
    assert status.evaluate("e => getComputedStyle(e).color") == OK_GREEN


def test_active_patient_summary_is_under_review_and_not_green(page: Page, stack: Stack) -> None:
    open_dashboard(page, stack, "activity-mri-new-t2")
    expect(page.locator("#summary")).to_have_attribute("data-under-review", "true")
    status = page.locator("#summary-status")
    expect(status).to_have_text("Benign MS: under review")
    expect(page.locator("#summary-reason")).to_contain_text("the disease is active")
    expect(page.locator("#summary-activity")).to_contain_text("new MRI activity")
    expect(page.locator("#summary-next")).to_contain_text("Most urgent")
    for element in (status, page.locator("#classification-status")):
        assert element.evaluate("e => getComputedStyle(e).color") != OK_GREEN


def test_write_button_stays_in_view_while_scrolling(page: Page, stack: Stack) -> None:
    open_dashboard(page, stack, "natalizumab-jcv-positive")
    button = page.locator("#write-button")
    expect(button).to_be_visible()
    expect(page.locator("#write-what")).to_contain_text("to the EHR's FHIR server")
    viewport = page.viewport_size
    assert viewport is not None
    page_height = page.evaluate("() => document.documentElement.scrollHeight")
    assert page_height > viewport["height"] + 500, "a page long enough to scroll"
    for fraction in (0.5, 1.0):
        page.evaluate(
            f"() => window.scrollTo(0, document.documentElement.scrollHeight * {fraction})"
        )
        page.wait_for_function(f"() => window.scrollY > {int(viewport['height'] * fraction / 2)}")
        box = button.bounding_box()
        assert box is not None
        assert box["y"] >= 0, box
        assert box["y"] + box["height"] <= viewport["height"], box
    button.focus()  # and it is still the real, usable button (keyboard included)
    expect(button).to_be_focused()
