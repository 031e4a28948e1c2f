"""The clinic's worklist in Chromium (issue 12, item 4): from the sandbox's launcher page, a
standalone provider sign-in, the worklist, a filter, a row that opens the patient's dashboard,
and the CSV download. Plans are written first through the dashboard's own "Write plan".
"""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from tests.browser.browser_stack import Stack
from tests.browser.journeys import sign_in_to_worklist, write_plan_from_dashboard

pytestmark = pytest.mark.integration


def test_worklist_sign_in_filter_open_and_csv(page: Page, worklist_stack: Stack) -> None:
    stack = worklist_stack
    natalizumab = stack.patients["natalizumab-jcv-positive"]
    active = stack.patients["activity-mri-new-t2"]
    for scenario in ("natalizumab-jcv-positive", "activity-mri-new-t2"):
        write_plan_from_dashboard(page, stack, scenario)
    page.context.clear_cookies()  # a new browser session: the worklist needs its own sign-in

    sign_in_to_worklist(page, stack)
    assert page.url.startswith(f"{stack.app}/worklist")
    expect(page.locator(f"tr[data-patient='{natalizumab.patient_id}']")).to_have_count(1)
    expect(
        page.locator(f"tr[data-patient='{active.patient_id}'] td.classification")
    ).to_contain_text("Active disease")

    page.check("#filter-pml")
    page.locator("#apply-filters").click()
    expect(page.locator("#filter-pml")).to_be_checked()
    expect(page.locator(f"tr[data-patient='{natalizumab.patient_id}']")).to_have_count(1)
    expect(page.locator(f"tr[data-patient='{active.patient_id}']")).to_have_count(0)
    assert "filter=pml" in page.url

    with page.expect_download() as download_info:
        page.locator("#worklist-csv").click()
    download = download_info.value
    assert download.suggested_filename.startswith("ms-monitor-worklist-")
    path = download.path()
    assert path is not None
    table = list(csv.reader(io.StringIO(path.read_text())))
    assert table[0][0] == "patient_id"
    ids = [row[0] for row in table[1:]]
    assert natalizumab.patient_id in ids
    assert active.patient_id not in ids  # the page's filter applies to the export

    page.locator(f"tr[data-patient='{natalizumab.patient_id}'] button.open-patient").click()
    expect(page.locator("#patient-id")).to_contain_text(natalizumab.patient_id, timeout=30_000)
    expect(page.locator("#summary")).to_be_visible()
    assert page.url.startswith(f"{stack.app}/app/")


def test_keyboard_alone_opens_a_row(page: Page, worklist_stack: Stack) -> None:
    patient = worklist_stack.patients["natalizumab-jcv-positive"]
    write_plan_from_dashboard(page, worklist_stack, "natalizumab-jcv-positive")
    sign_in_to_worklist(page, worklist_stack)
    target = f"tr[data-patient='{patient.patient_id}'] button.open-patient"
    page.locator("body").click(position={"x": 1, "y": 1})
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement === document.querySelector(sel)", target):
            break
    expect(page.locator(target)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#patient-id")).to_contain_text(patient.patient_id, timeout=30_000)
