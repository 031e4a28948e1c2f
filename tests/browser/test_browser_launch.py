"""A clinician's path through the real stack in Chromium (issue 4, browser tests).

EHR launch from the sandbox's launcher page into an iframe, the dashboard for the right patient,
writing the plan and finding it in HAPI, a second launch that shows the plan unchanged; a
standalone launch with the patient picker, opening a recommendation's evidence; read-only mode
when the write scope is denied.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from smart_app.fhir import FhirClient
from tests.browser.browser_stack import Stack

pytestmark = pytest.mark.integration

WRITE_SCOPES_V2 = "patient/CarePlan.cu patient/Task.cu"


def ehr_launch(page: Page, stack: Stack, patient_id: str, deny_scope: str = "") -> FrameLocator:
    """Pick the patient on the sandbox EHR page and launch ms-monitor in its iframe."""
    page.goto(f"{stack.sandbox}/ehr?q={quote(stack.family)}")
    page.check(f"input[name=patient][value='{patient_id}']")
    if deny_scope:
        page.fill("input[name=deny_scope]", deny_scope)
    page.get_by_role("button", name="Launch").click()
    app = page.frame_locator("iframe.app")
    expect(app.locator("#classification")).to_be_visible(timeout=30_000)
    return app


def plan_versions(fhir: FhirClient, patient_id: str) -> dict[str, str]:
    found = [
        *fhir.search("CarePlan", {"patient": patient_id}),
        *fhir.search("Task", {"patient": patient_id}),
    ]
    return {f"{r['resourceType']}/{r['id']}": r["meta"]["versionId"] for r in found}


def test_ehr_launch_shows_the_patient_writes_the_plan_and_relaunch_is_unchanged(
    page: Page, stack: Stack
) -> None:
    patient = stack.patients["benign-strict"]
    app = ehr_launch(page, stack, patient.patient_id)

    expect(app.locator("#classification")).to_have_attribute(
        "data-patient", f"Patient/{patient.patient_id}"
    )
    expect(app.locator("#patient-banner")).to_have_count(0)  # the EHR shows its own banner
    expect(app.locator("#classification")).to_have_attribute("data-status", "benign")
    expect(app.locator("svg#course-chart")).to_be_visible()
    recommendations = app.locator("[data-testid=recommendation]")
    expect(recommendations.first).to_be_visible()
    shown = recommendations.count()

    app.locator("[data-testid=write-plan]").click()
    expect(app.locator("[data-testid=write-result]")).to_be_visible(timeout=30_000)
    expect(app.locator("#plan-status")).to_have_attribute("data-up-to-date", "true")
    viewer = page.context.new_page()  # the dashboard also works on its own, outside the frame
    viewer.goto(dashboard_url(page))
    shot = viewer.screenshot(full_page=True)  # README pictures: python -m bench.screenshots
    assert shot.startswith(b"\x89PNG")
    assert len(shot) > 10_000
    viewer.close()

    fhir = FhirClient(stack.fhir_base)
    written = plan_versions(fhir, patient.patient_id)
    assert len([r for r in written if r.startswith("CarePlan/")]) == 1
    assert len([r for r in written if r.startswith("Task/")]) == shown
    careplan = next(r for r in written if r.startswith("CarePlan/"))
    provenance = list(fhir.search("Provenance", {"target": careplan}))
    assert len(provenance) == 1, "one write, one Provenance"

    app = ehr_launch(page, stack, patient.patient_id)
    expect(app.locator("#plan-status")).to_have_attribute("data-up-to-date", "true")
    expect(app.locator("[data-testid=write-plan]")).to_have_count(0)
    assert plan_versions(fhir, patient.patient_id) == written, "no new resources, no new versions"


def test_standalone_launch_with_the_patient_picker(page: Page, stack: Stack) -> None:
    patient = stack.patients["activity-mri-new-t2"]
    page.goto(f"{stack.app}/standalone")
    page.fill("#patient-search", stack.family)
    page.locator("#search-button").click()
    page.check(f"input[name=sandbox_patient][value='{patient.patient_id}']")
    page.get_by_role("button", name="Open the app for this patient").click()

    expect(page.locator("#patient-banner")).to_be_visible()  # standalone: the app shows it
    expect(page.locator("#patient-id")).to_contain_text(patient.patient_id)
    expect(page.locator("#activity")).to_have_attribute("data-active", "true")
    consider_dmt = page.locator("[data-testid=recommendation][data-code=consider-dmt]")
    expect(consider_dmt).to_be_visible()
    dashboard = page.url
    assert dashboard.startswith(f"{stack.app}/app/")

    # its evidence opens in the app, read through the sandbox's FHIR proxy with the launch's token
    evidence = consider_dmt.locator("a.ref").first
    reference = evidence.get_attribute("data-ref")  # the link reads as a label ("EDSS 2.5, ...")
    assert reference
    evidence.click()
    expect(page.locator("[data-testid=evidence]")).to_have_attribute("data-ref", reference)
    expect(page.locator("#evidence-resource")).to_contain_text(f"Patient/{patient.patient_id}")
    page.locator("#back-to-dashboard").click()
    assert page.url == dashboard


def test_read_only_when_the_write_scopes_are_denied(page: Page, stack: Stack) -> None:
    patient = stack.patients["natalizumab-jcv-positive"]
    app = ehr_launch(page, stack, patient.patient_id, deny_scope=WRITE_SCOPES_V2)

    expect(app.locator("[data-testid=read-only-notice]")).to_be_visible()
    expect(app.locator("[data-testid=write-plan]")).to_have_count(0)
    expect(
        app.locator("[data-testid=recommendation][data-code=mri-pml-surveillance]")
    ).to_be_visible()
    href = app.locator("[data-testid=download-plan]").get_attribute("href")
    assert href
    download = page.context.request.get(f"{stack.app}{href}")
    assert download.ok
    bundle = json.loads(download.body())
    assert bundle["type"] == "transaction"
    assert any(e["resource"]["resourceType"] == "CarePlan" for e in bundle["entry"])
    assert not plan_versions(FhirClient(stack.fhir_base), patient.patient_id), "nothing written"


def test_two_patients_in_one_browser_never_mix(page: Page, stack: Stack) -> None:
    first, second = stack.patients["benign-strict"], stack.patients["activity-mri-new-t2"]
    ehr_launch(page, stack, first.patient_id)
    other = page.context.new_page()
    ehr_launch(other, stack, second.patient_id)
    dashboards = {
        first.patient_id: dashboard_url(page),
        second.patient_id: dashboard_url(other),
    }
    assert len(set(dashboards.values())) == 2

    viewer = page.context.new_page()  # same browser, same cookies
    for patient_id, url in dashboards.items():
        viewer.goto(url)
        expect(viewer.locator("#classification")).to_have_attribute(
            "data-patient", f"Patient/{patient_id}"
        )


def dashboard_url(page: Page) -> str:
    return next(frame.url for frame in page.frames if "/app/" in frame.url)
