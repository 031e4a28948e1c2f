"""Dashboard content, "Write plan to the EHR", read-only degradation and FHIR error pages."""

from __future__ import annotations

import json
import logging
import re

import pytest
from flask.testing import FlaskClient

from tests.web.web_flow import OPEN_ISS, World, csrf_token, full_launch, post_write


def transaction_posts(world: World) -> int:
    bodies = [c.request.body for c in world.rsps.calls if c.request.method == "POST"]
    texts = [b.decode() if isinstance(b, bytes) else str(b or "") for b in bodies]
    return sum(1 for text in texts if '"type":"transaction"' in text)


def test_write_creates_plan_with_provenance_then_relaunch_is_up_to_date(
    world: World, browser: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    dashboard = full_launch(browser, world.v2)
    html = browser.get(dashboard).get_data(as_text=True)
    assert 'data-testid="write-plan"' in html
    assert 'data-up-to-date="false"' in html

    status, location = post_write(browser, dashboard)
    assert (status, location) == (303, dashboard)
    [bundle] = world.v2.fhir.transactions
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types.count("CarePlan") == 1
    assert "Task" in types
    assert types[-1] == "Provenance"
    provenance = bundle["entry"][-1]["resource"]
    written = [e["fullUrl"] for e in bundle["entry"][:-1]]
    assert [t["reference"] for t in provenance["target"]] == written
    assert provenance["agent"][0]["who"] == {
        "reference": "https://ehr2.example/fhir/Practitioner/dr-neuro"
    }

    result = browser.get(dashboard).get_data(as_text=True)
    assert 'data-testid="write-result"' in result
    created = re.search(r'id="result-created">(\d+)<', result)
    assert created
    assert int(created.group(1)) == types.count("Task")
    assert 'data-up-to-date="true"' in result  # re-read after the write: nothing left to do
    assert "Plan up to date." in result
    assert 'data-testid="write-plan"' not in result

    audit = [r.getMessage() for r in caplog.records if r.name == "smart_app.audit"]
    assert len(audit) == 1
    assert "agent=https://ehr2.example/fhir/Practitioner/dr-neuro" in audit[0]
    assert "msm-001" not in audit[0]
    assert "Synthetic" not in audit[0]

    # a second launch of the same patient shows the plan up to date and writes nothing
    again = full_launch(browser, world.v2)
    assert 'data-up-to-date="true"' in browser.get(again).get_data(as_text=True)
    assert len(world.v2.fhir.transactions) == 1


def test_write_403_degrades_to_read_only_with_download(world: World, browser: FlaskClient) -> None:
    world.v2.fhir.transaction_status = 403
    dashboard = full_launch(browser, world.v2)
    token = csrf_token(browser.get(dashboard).get_data(as_text=True))
    status, location = post_write(browser, dashboard)
    assert (status, location) == (303, dashboard)
    attempts = transaction_posts(world)
    assert attempts == 1
    # once refused, a replayed POST does not try again
    again = browser.post(
        f"{dashboard}/write", data={"csrf_token": token}, headers={"Origin": "http://localhost"}
    )
    assert again.status_code == 303
    assert transaction_posts(world) == attempts
    page = browser.get(dashboard)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="read-only-notice"' in html
    assert "You may not write CarePlan or Task" in html
    assert 'data-testid="write-plan"' not in html
    download = browser.get(f"{dashboard}/plan.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    bundle = json.loads(download.get_data())
    assert bundle["type"] == "transaction"
    assert bundle["entry"]


def test_write_scope_not_granted_is_read_only_and_sends_no_write(
    world: World, browser: FlaskClient
) -> None:
    world.v2.auth.scope = "launch openid fhirUser patient/*.rs"
    dashboard = full_launch(browser, world.v2)
    html = browser.get(dashboard).get_data(as_text=True)
    assert 'data-testid="read-only-notice"' in html
    assert "do not allow writing CarePlan and Task" in html
    assert 'id="download-plan"' in html
    assert 'id="write-form"' not in html
    response = browser.post(f"{dashboard}/write", headers={"Origin": "http://localhost"})
    assert response.status_code == 400  # no form, no CSRF token: refused
    assert world.v2.fhir.transactions == []


def test_capability_statement_without_task_write_is_read_only(
    world: World, browser: FlaskClient
) -> None:
    world.v2.fhir.writable = False
    dashboard = full_launch(browser, world.v2)
    html = browser.get(dashboard).get_data(as_text=True)
    assert 'data-testid="read-only-notice"' in html
    assert "CapabilityStatement does not allow creating and updating Task" in html


def test_plan_not_readable_evaluates_without_it_and_says_so(
    world: World, browser: FlaskClient
) -> None:
    world.v2.fhir.plan_search_status = 403
    dashboard = full_launch(browser, world.v2)
    page = browser.get(dashboard)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "could not be read with this launch" in html
    assert 'data-testid="classification"' in html


def test_batch_refused_falls_back_to_parallel_searches(world: World, browser: FlaskClient) -> None:
    world.v2.fhir.batch_status = 405
    dashboard = full_launch(browser, world.v2)
    page = browser.get(dashboard)
    assert page.status_code == 200
    assert "Synthetic-Cohort, Test Msm001" in page.get_data(as_text=True)
    gets = [c.request.url for c in world.rsps.calls if c.request.method == "GET"]
    assert any("/Observation?patient=msm-001" in str(url) for url in gets)


def test_500_shows_the_operation_outcome(world: World, browser: FlaskClient) -> None:
    dashboard = full_launch(browser, world.v2)
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": "HAPI-0389 db down"}],
    }
    world.v2.fhir.queued.append((500, {}, json.dumps(body)))
    page = browser.get(dashboard)
    assert page.status_code == 502
    html = page.get_data(as_text=True)
    assert 'data-testid="error-outcome"' in html
    assert "HAPI-0389 db down" in html


def test_malformed_fhir_payload_is_a_clear_error(world: World, browser: FlaskClient) -> None:
    dashboard = full_launch(browser, world.v2)
    world.v2.fhir.queued.append((200, {}, "<html>proxy error</html>"))
    page = browser.get(dashboard)
    assert page.status_code == 502
    assert "not JSON" in page.get_data(as_text=True)


def test_open_server_launch_needs_no_oauth(world: World, browser: FlaskClient) -> None:
    response = browser.get("/launch", query_string={"iss": OPEN_ISS, "patient": "msm-002"})
    assert response.status_code == 303
    dashboard = response.headers["Location"]
    html = browser.get(dashboard).get_data(as_text=True)
    assert "Synthetic-Cohort, Test Msm002" in html
    assert world.open_fhir.authorizations
    assert set(world.open_fhir.authorizations) == {None}
    status, _ = post_write(browser, dashboard)
    assert status == 303
    assert len(world.open_fhir.transactions) == 1
    assert world.v2.auth.token_requests == []


def test_open_server_without_patient_shows_picker(world: World, browser: FlaskClient) -> None:
    page = browser.get("/launch", query_string={"iss": OPEN_ISS})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="patient-picker"' in html
