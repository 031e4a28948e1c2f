"""The clinic's worklist over HTTP: real HAPI behind the sandbox (as HAPI, Epic, Oracle Health),
plans written by the real write path (a dashboard's "Write plan"), a provider sign-in.

The EHR target: plans in the EHR itself, found by ``CarePlan?category&status`` without a patient.
The plan-store target: plans in ms-monitor's plan store, while the EHR refuses a CarePlan search
without a patient (reported on the page, the store's rows still shown). Then the security items:
no data for an anonymous request, no worklist on a patient-level grant, a patient launch still
needs its patient, a row opens only a patient of this worklist.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from smart_app import create_app
from smart_app.service.worklist import EHR_NOT_SEARCHABLE
from smart_app.settings import Settings
from tests.ehr.ehr_helpers import write_chart
from tests.web.web_flow import csrf_token
from tests.writeback.test_dashboard_targets import APP_BASE, app_for, launch, write
from tests.writeback.writeback_helpers import RunningEhr, running_ehr

pytestmark = pytest.mark.integration
ORIGIN = {"Origin": APP_BASE}


def named_chart(fhir_base_url: str, family: str) -> str:
    """A chart (smart_app's vendor test chart) whose patient is called ``family``."""
    pid = write_chart(fhir_base_url)
    patient = requests.get(f"{fhir_base_url}/Patient/{pid}", timeout=30).json()
    patient["name"] = [{"family": family, "given": ["Wl"]}]
    patient["birthDate"] = "1979-05-04"
    answer = requests.put(f"{fhir_base_url}/Patient/{pid}", json=patient, timeout=30)
    assert answer.status_code == 200, answer.text
    return pid


def sign_in(browser: FlaskClient, ehr: RunningEhr) -> TestResponse:
    """``/worklist`` anonymous -> the sign-in -> the sandbox's authorize -> the callback."""
    started = browser.get("/worklist", query_string={"iss": ehr.fhir})
    assert started.status_code == 302
    assert urlsplit(started.headers["Location"]).path == "/worklist/sign-in"
    begun = browser.get(started.headers["Location"])
    assert begun.status_code == 302, begun.get_data(as_text=True)
    scope = parse_qs(urlsplit(begun.headers["Location"]).query)["scope"][0].split()
    assert "launch/patient" not in scope
    assert any(s.startswith("user/") for s in scope)
    assert not any(s.startswith("patient/") for s in scope)
    authorized = requests.get(begun.headers["Location"], allow_redirects=False, timeout=30)
    assert authorized.status_code == 302, authorized.text
    callback = urlsplit(authorized.headers["Location"])
    return browser.get(callback.path, query_string=callback.query)


def rows_of(page: str) -> list[str]:
    return re.findall(r'<tr class="worklist-row[^"]*" data-patient="([^"]+)"', page)


def test_worklist_of_plans_in_the_ehr_opens_a_dashboard_and_exports_csv(
    fhir_base_url: str, tmp_path: Path
) -> None:
    first = named_chart(fhir_base_url, "Worklistfirst")
    second = named_chart(fhir_base_url, '=HYPERLINK("http://evil.example")')
    without_plan = named_chart(fhir_base_url, "Worklistnoplan")
    with running_ehr(fhir_base_url, "hapi", APP_BASE) as ehr:
        browser = app_for(ehr, tmp_path, None)
        for patient in (first, second):
            write(browser, launch(browser, ehr, patient))
        cookie_before = browser.get_cookie("msm_session", domain="127.0.0.1")
        landed = sign_in(browser, ehr)
        assert landed.status_code == 303
        assert landed.headers["Location"].endswith("/worklist")
        cookie_after = browser.get_cookie("msm_session", domain="127.0.0.1")
        assert cookie_before is not None
        assert cookie_after is not None
        assert cookie_after.value != cookie_before.value  # a new session id after login

        page = browser.get("/worklist").get_data(as_text=True)
        shown = rows_of(page)
        assert first in shown
        assert second in shown
        assert without_plan not in shown
        assert "Worklistfirst, Wl" in page
        assert "1979-05-04" in page
        assert EHR_NOT_SEARCHABLE not in page
        assert re.search(r"(overdue since \d{4}-\d\d-\d\d|due now|due \d{4}-\d\d-\d\d)", page)
        # urgent rows come before the others
        urgent = re.findall(
            r'class="worklist-row[^"]*" data-patient="[^"]+" data-urgent="(\w+)"', page
        )
        assert urgent == sorted(urgent, key=lambda u: u != "true")

        exported = browser.get("/worklist.csv")
        assert exported.status_code == 200
        assert exported.mimetype == "text/csv"
        assert exported.headers["Content-Disposition"].startswith("attachment;")
        table = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
        assert table[0][0] == "patient_id"
        by_id = {row[0]: row for row in table[1:]}
        assert {first, second} <= set(by_id)
        # formula injection: the hostile name is exported as text, never as a formula
        assert by_id[second][1] == '\'=HYPERLINK("http://evil.example"), Wl'
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)

        opened = browser.post(
            f"/worklist/open/{first}", data={"csrf_token": csrf_token(page)}, headers=ORIGIN
        )
        assert opened.status_code == 303, opened.get_data(as_text=True)
        dashboard = urlsplit(opened.headers["Location"]).path
        assert dashboard.startswith("/app/")
        shown_dashboard = browser.get(dashboard)
        assert shown_dashboard.status_code == 200
        text = shown_dashboard.get_data(as_text=True)
        assert f'<code id="patient-id">{first}</code>' in text
        assert "Worklistfirst, Wl" in text
        assert 'data-testid="summary"' in text  # read with the user-level grant


def test_worklist_of_plans_in_the_plan_store_when_the_ehr_refuses_the_search(
    fhir_base_url: str, plan_store_url: str, tmp_path: Path
) -> None:
    patient = named_chart(fhir_base_url, "Worliststore")
    with running_ehr(fhir_base_url, "epic", APP_BASE) as ehr:
        browser = app_for(ehr, tmp_path, plan_store_url)
        write(browser, launch(browser, ehr, patient))
        assert sign_in(browser, ehr).status_code == 303
        page = browser.get("/worklist").get_data(as_text=True)
        assert EHR_NOT_SEARCHABLE in page  # reported, never a crash
        assert rows_of(page) == [patient]  # only this EHR's links in the store
        assert "Worliststore, Wl" in page  # the name read from the EHR (Patient?_id)
        assert "plan store</td>" in page
        filtered = browser.get("/worklist", query_string={"filter": ["due-30", "pml"]})
        assert filtered.status_code == 200
        csv_link = re.search(
            r'<a href="([^"]+)" id="worklist-csv"', filtered.get_data(as_text=True)
        )
        assert csv_link is not None
        assert "filter=due-30" in csv_link.group(1)
        # a row opens the dashboard of this patient, its plan read back from the store
        opened = browser.post(
            f"/worklist/open/{patient}", data={"csrf_token": csrf_token(page)}, headers=ORIGIN
        )
        text = browser.get(urlsplit(opened.headers["Location"]).path).get_data(as_text=True)
        assert f'<code id="patient-id">{patient}</code>' in text


# -- security ---------------------------------------------------------------------------------


def test_anonymous_requests_never_see_the_worklist(fhir_base_url: str, tmp_path: Path) -> None:
    with running_ehr(fhir_base_url, "hapi", APP_BASE) as ehr:
        anonymous = app_for(ehr, tmp_path, None)
        page = anonymous.get("/worklist")
        assert page.status_code == 302
        assert urlsplit(page.headers["Location"]).path == "/worklist/sign-in"
        exported = anonymous.get("/worklist.csv")
        assert exported.status_code == 401
        assert "patient_id" not in exported.get_data(as_text=True)
        opened = anonymous.post("/worklist/open/x", headers=ORIGIN)
        assert opened.status_code in (400, 401)  # no CSRF token, no session: never a dashboard


def test_a_worklist_sign_in_belongs_to_its_browser_session(
    fhir_base_url: str, tmp_path: Path
) -> None:
    with running_ehr(fhir_base_url, "hapi", APP_BASE) as ehr:
        clinician = app_for(ehr, tmp_path, None)
        assert sign_in(clinician, ehr).status_code == 303
        assert clinician.get("/worklist").status_code == 200
        assert clinician.get("/worklist", query_string={"iss": ehr.fhir}).status_code == 200
        elsewhere = clinician.get("/worklist", query_string={"iss": "https://other.example/fhir"})
        assert elsewhere.status_code == 302  # another server: its own sign-in, never this list
        assert urlsplit(elsewhere.headers["Location"]).path == "/worklist/sign-in"
        other = clinician.application.test_client()  # same app, another browser
        assert other.get("/worklist").status_code == 302
        assert other.get("/worklist.csv").status_code == 401


def test_a_patient_level_grant_gets_no_worklist(fhir_base_url: str, tmp_path: Path) -> None:
    """A server that grants only patient-level scopes to the worklist's sign-in (simulated by
    asking the sandbox for exactly those): refused at the callback, nothing kept."""
    with running_ehr(fhir_base_url, "hapi", APP_BASE) as ehr:
        browser = registered(ehr, tmp_path, "openid fhirUser patient/*.read")
        started = browser.get("/worklist/sign-in", query_string={"iss": ehr.fhir})
        scope = parse_qs(urlsplit(started.headers["Location"]).query)["scope"][0]
        # a registration's own patient scopes are asked at user level
        patient_only = started.headers["Location"].replace("user%2F%2A.read", "patient%2F%2A.read")
        assert scope == "openid fhirUser user/*.read"
        authorized = requests.get(patient_only, allow_redirects=False, timeout=30)
        callback = urlsplit(authorized.headers["Location"])
        answer = browser.get(callback.path, query_string=callback.query)
        assert answer.status_code == 403
        assert "user-level" in answer.get_data(as_text=True)
        assert browser.get("/worklist").status_code == 302  # still signed out


def test_a_patient_launch_without_a_patient_is_still_refused(
    fhir_base_url: str, tmp_path: Path
) -> None:
    with running_ehr(fhir_base_url, "hapi", APP_BASE) as ehr:
        # no launch/patient in the registration's scopes: the sandbox names no patient
        browser = registered(ehr, tmp_path, "openid fhirUser user/*.read", standalone=True)
        started = browser.get("/standalone", query_string={"iss": ehr.fhir})
        authorized = requests.get(started.headers["Location"], allow_redirects=False, timeout=30)
        callback = urlsplit(authorized.headers["Location"])
        answer = browser.get(callback.path, query_string=callback.query)
        assert answer.status_code == 400
        assert "No patient in context" in answer.get_data(as_text=True)
        # the same grant, asked for the worklist, is accepted
        assert sign_in(browser, ehr).status_code == 303


def test_a_row_opens_only_a_patient_of_this_worklist(fhir_base_url: str, tmp_path: Path) -> None:
    patient = named_chart(fhir_base_url, "Worklistguard")
    stranger = write_chart(fhir_base_url)  # no plan: not on the worklist
    with running_ehr(fhir_base_url, "hapi", APP_BASE) as ehr:
        browser = app_for(ehr, tmp_path, None)
        write(browser, launch(browser, ehr, patient))
        sign_in(browser, ehr)
        page = browser.get("/worklist").get_data(as_text=True)
        token = {"csrf_token": csrf_token(page)}
        assert (
            browser.post(f"/worklist/open/{stranger}", data=token, headers=ORIGIN).status_code
            == 404
        )
        bad = browser.post("/worklist/open/a%20b", data=token, headers=ORIGIN)
        assert bad.status_code == 400
        cross = browser.post(
            f"/worklist/open/{patient}", data=token, headers={"Origin": "https://evil.example"}
        )
        assert cross.status_code == 403
        no_csrf = browser.post(f"/worklist/open/{patient}", headers=ORIGIN)
        assert no_csrf.status_code == 400
        assert (
            browser.post(f"/worklist/open/{patient}", data=token, headers=ORIGIN).status_code == 303
        )


def registered(
    ehr: RunningEhr, tmp_path: Path, scopes: str, *, standalone: bool = False
) -> FlaskClient:
    """The app with a registration that asks its own ``scopes``."""
    entry = {
        "iss": ehr.fhir,
        "client_id": "ms-monitor-public",
        "auth_method": "none",
        "redirect_uri": f"{APP_BASE}/callback",
        "scopes": scopes,
        "standalone": standalone,
    }
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps([entry]))
    app = create_app(
        Settings(issuers_file=issuers, cookie_secure=False, secret_key="worklist-test-only")
    )
    app.config["SERVER_NAME"] = "127.0.0.1:5000"
    client: FlaskClient = app.test_client()
    return client


def test_a_dashboard_opened_from_the_worklist_signs_in_to_the_worklist_when_its_grant_ends(
    fhir_base_url: str, tmp_path: Path
) -> None:
    patient = named_chart(fhir_base_url, "Worklistended")
    with running_ehr(fhir_base_url, "hapi", APP_BASE) as ehr:
        browser = app_for(ehr, tmp_path, None)
        write(browser, launch(browser, ehr, patient))
        sign_in(browser, ehr)
        page = browser.get("/worklist").get_data(as_text=True)
        opened = browser.post(
            f"/worklist/open/{patient}", data={"csrf_token": csrf_token(page)}, headers=ORIGIN
        )
        dashboard = urlsplit(opened.headers["Location"]).path
        assert browser.get(dashboard).status_code == 200
        # the worklist's grant ends: its tokens are gone from the app's store
        store = browser.application.extensions["ms_monitor"].store
        cookie = browser.get_cookie("msm_session", domain="127.0.0.1")
        assert cookie is not None
        raw = store.get(f"session:{cookie.value}")
        assert raw is not None
        worklist_launch = json.loads(raw)["worklist_launch"]
        assert store.get(f"tokens:{worklist_launch}") is not None
        store.delete(f"tokens:{worklist_launch}")
        again = browser.get(dashboard)
        assert again.status_code == 302
        scope = parse_qs(urlsplit(again.headers["Location"]).query)["scope"][0].split()
        assert "launch/patient" not in scope  # the worklist's sign-in, not a patient picker
        assert any(s.startswith("user/") for s in scope)
        assert browser.get("/worklist").status_code == 302  # signed out of the worklist too
