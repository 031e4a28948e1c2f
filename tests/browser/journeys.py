"""Browser journeys shared by the browser tests: a patient's dashboard through the sandbox's
picker, writing its plan, and signing in to the clinic's worklist."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.browser_stack import Stack


def open_dashboard(page: Page, stack: Stack, scenario: str) -> str:
    """A standalone launch through the sandbox's picker; returns the dashboard's URL."""
    patient = stack.patients[scenario]
    page.goto(f"{stack.app}/standalone")
    page.fill("#patient-search", stack.family)
    page.locator("#search-button").click()
    page.check(f"input[name=sandbox_patient][value='{patient.patient_id}']")
    page.get_by_role("button", name="Open the app for this patient").click()
    expect(page.locator("#classification")).to_have_attribute(
        "data-patient", f"Patient/{patient.patient_id}", timeout=30_000
    )
    return page.url


def write_plan_from_dashboard(page: Page, stack: Stack, scenario: str) -> None:
    """A standalone patient launch through the sandbox's picker, then "Write plan"."""
    open_dashboard(page, stack, scenario)
    button = page.locator("[data-testid=write-plan]")
    if button.count():
        button.click()
        expect(page.locator("#plan-status")).to_have_attribute(
            "data-up-to-date", "true", timeout=30_000
        )


def sign_in_to_worklist(page: Page, stack: Stack) -> None:
    """From the sandbox's launcher page: the worklist link, signed in as its clinician."""
    page.goto(f"{stack.sandbox}/ehr?q={stack.family}")
    page.locator("#worklist-link a").click()
    expect(page.locator("#worklist-table")).to_be_visible(timeout=30_000)
