"""Write from the dashboard through a real EHR launch (the sandbox as Epic, Oracle Health, HAPI).

The sandbox is a real HTTP server in front of HAPI; the app is the Flask test client, launched as
the EHR launches it (``/launch`` -> the sandbox's ``/authorize`` -> ``/callback``). The page says
where the plan goes before the write and what landed where after it; both are checked against
the EHR's database and ms-monitor's plan store.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from launch.sandbox.clients import Flags
from launch.sandbox.state import LaunchContext
from smart_app import create_app
from smart_app.settings import Settings
from tests.ehr.ehr_helpers import write_chart
from tests.web.web_flow import csrf_token
from tests.writeback.writeback_helpers import (
    RunningEhr,
    ehr_notes,
    inbox_messages,
    our_plan_in,
    running_ehr,
    store_link,
    store_snapshot,
)

pytestmark = pytest.mark.integration

APP_BASE = "http://127.0.0.1:5000"
CLINICIAN = "Practitioner/sandbox-neurologist"


def app_for(
    ehr: RunningEhr,
    tmp_path: Path,
    plan_store_url: str | None,
    *,
    offline_access: bool = True,
    site: dict[str, object] | None = None,
) -> FlaskClient:
    entry: dict[str, object] = {
        "iss": ehr.fhir,
        "client_id": "ms-monitor-public",
        "auth_method": "none",
        "redirect_uri": f"{APP_BASE}/callback",
        "offline_access": offline_access,
    }
    if site is not None:
        entry["site"] = site
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps([entry]))
    settings = Settings(
        issuers_file=issuers,
        cookie_secure=False,
        secret_key="writeback-test-only",
        plan_store_url=plan_store_url,
    )
    app = create_app(settings)
    app.config["SERVER_NAME"] = "127.0.0.1:5000"
    client: FlaskClient = app.test_client()
    return client


def launch(browser: FlaskClient, ehr: RunningEhr, patient: str) -> str:
    """An EHR launch of ``patient`` as the sandbox's clinician; the dashboard's path."""
    launch_id = ehr.state.new_launch(LaunchContext(patient=patient, fhir_user=CLINICIAN))
    started = browser.get("/launch", query_string={"iss": ehr.fhir, "launch": launch_id})
    assert started.status_code == 302, started.get_data(as_text=True)
    authorized = requests.get(started.headers["Location"], allow_redirects=False, timeout=30)
    assert authorized.status_code == 302, authorized.text
    callback = urlsplit(authorized.headers["Location"])
    landed = browser.get(callback.path, query_string=callback.query)
    assert landed.status_code in (302, 303), landed.get_data(as_text=True)
    return urlsplit(landed.headers["Location"]).path


def write(browser: FlaskClient, dashboard: str) -> str:
    page = browser.get(dashboard).get_data(as_text=True)
    answer = browser.post(
        f"{dashboard}/write",
        data={"csrf_token": csrf_token(page)},
        headers={"Origin": f"http://{APP_BASE.split('//')[1]}"},
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return browser.get(dashboard).get_data(as_text=True)


def targets_of(html: str) -> str:
    found = re.search(r'data-targets="([^"]*)"', html)
    assert found, html
    return found.group(1)


def landed(html: str) -> list[str]:
    block = re.search(r'<ul id="write-landed"[^>]*>(.*?)</ul>', html, re.S)
    assert block, html
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S)


@pytest.fixture
def patient(fhir_base_url: str) -> str:
    return write_chart(fhir_base_url)


@pytest.fixture(params=["epic", "oracle"])
def vendor(request: pytest.FixtureRequest, fhir_base_url: str) -> Iterator[RunningEhr]:
    with running_ehr(fhir_base_url, request.param, APP_BASE) as ehr:
        yield ehr


def test_dashboard_on_a_vendor_ehr_writes_to_the_store_and_one_note(
    vendor: RunningEhr, patient: str, fhir_base_url: str, plan_store_url: str, tmp_path: Path
) -> None:
    browser = app_for(vendor, tmp_path, plan_store_url)
    dashboard = launch(browser, vendor, patient)
    before = browser.get(dashboard).get_data(as_text=True)
    assert targets_of(before) == "plan-store ehr-note"
    assert "kept in ms-monitor&#39;s plan store" in before

    after = write(browser, dashboard)
    lines = landed(after)
    assert any(line.startswith("Plan written to ms-monitor&#39;s plan store") for line in lines)
    assert any(line.startswith("Clinical note written to the EHR") for line in lines)
    link = store_link(plan_store_url, vendor.fhir, patient)
    kept = store_snapshot(plan_store_url, link)
    assert any(ref.startswith("CarePlan/") for ref in kept)
    assert our_plan_in(fhir_base_url, patient) == []
    assert len(ehr_notes(fhir_base_url, patient)) == 1
    # the store's Provenance: the clinician as an identifier (not on the store), never a
    # dangling reference that would sink the transaction (HAPI-1094)
    provenance = requests.get(
        f"{plan_store_url}/Provenance", params={"target": next(iter(kept))}, timeout=30
    ).json()["entry"][0]["resource"]
    author = provenance["agent"][0]["who"]
    assert "reference" not in author
    assert author["identifier"] == {"system": vendor.fhir, "value": f"{vendor.fhir}/{CLINICIAN}"}

    # a second launch of the same patient: nothing to write, nothing written
    again = launch(browser, vendor, patient)
    page = browser.get(again).get_data(as_text=True)
    assert 'id="write-button"' not in page
    assert store_snapshot(plan_store_url, link) == kept
    assert len(ehr_notes(fhir_base_url, patient)) == 1
    assert vendor.state.foreign_writes == []


def test_dashboard_on_hapi_writes_into_the_ehr_with_a_provenance_that_resolves(
    patient: str, fhir_base_url: str, plan_store_url: str, tmp_path: Path
) -> None:
    with running_ehr(fhir_base_url, "hapi", APP_BASE) as ehr:
        browser = app_for(ehr, tmp_path, plan_store_url)
        dashboard = launch(browser, ehr, patient)
        assert targets_of(browser.get(dashboard).get_data(as_text=True)) == "ehr"
        after = write(browser, dashboard)
        assert landed(after)[0].startswith("Plan written to the EHR")
        plan = our_plan_in(fhir_base_url, patient)
        assert plan
        assert ehr_notes(fhir_base_url, patient) == []
        # the clinician cannot be read on HAPI with the launch's scopes, so the agent is an
        # identifier (never a reference that may not resolve), and the plan landed
        careplan = next(r["id"] for r in plan if r["resourceType"] == "CarePlan")
        provenance = requests.get(
            f"{fhir_base_url}/Provenance",
            params={"target": f"CarePlan/{careplan}"},
            timeout=30,
        ).json()["entry"][0]["resource"]
        assert provenance["agent"][0]["who"]["identifier"]["value"] == f"{ehr.fhir}/{CLINICIAN}"


def expire_and_press_write(browser: FlaskClient, ehr: RunningEhr, patient: str) -> tuple[str, str]:
    """Launch with 2 s tokens, end the EHR's online session, press "Write plan": the
    dashboard's path and where the app sent the browser to sign in again."""
    launch_id = ehr.state.new_launch(
        LaunchContext(patient=patient, fhir_user=CLINICIAN, flags=Flags(expires_in=2))
    )
    started = browser.get("/launch", query_string={"iss": ehr.fhir, "launch": launch_id})
    authorized = requests.get(started.headers["Location"], allow_redirects=False, timeout=30)
    callback = urlsplit(authorized.headers["Location"])
    dashboard = urlsplit(
        browser.get(callback.path, query_string=callback.query).headers["Location"]
    ).path
    page = browser.get(dashboard).get_data(as_text=True)
    with ehr.state.lock:
        ehr.state.refresh_tokens.clear()  # the EHR ended the online session
    time.sleep(2.5)
    pressed = browser.post(
        f"{dashboard}/write", data={"csrf_token": csrf_token(page)}, headers={"Origin": APP_BASE}
    )
    return dashboard, sign_in_again_url(pressed)


def sign_in_again_url(pressed: TestResponse) -> str:
    """Where the app sends the browser to sign in again after "Write plan" met an ended session.

    A form POST may not be redirected to another origin (CSP ``form-action 'self'``, which
    browsers apply to the form's redirects): the app answers with a page of its own that
    continues to the EHR's sign-in by a meta refresh, with a link as well."""
    assert pressed.status_code == 200
    page = pressed.get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" id="reauthorise-link"', page)
    assert link is not None
    assert f'content="0; url={link.group(1)}"' in page
    return html.unescape(link.group(1))


def test_a_reauthorisation_for_another_patient_never_resumes_the_old_dashboard(
    patient: str, fhir_base_url: str, plan_store_url: str, tmp_path: Path
) -> None:
    """Patients are never mixed: signing in again with another patient opens a new launch."""
    other = write_chart(fhir_base_url)
    with running_ehr(fhir_base_url, "oracle", APP_BASE) as ehr:
        browser = app_for(ehr, tmp_path, plan_store_url, offline_access=False)
        dashboard, again = expire_and_press_write(browser, ehr, patient)
        signed_in = requests.get(
            again, params={"sandbox_patient": other}, allow_redirects=False, timeout=30
        )
        back = urlsplit(signed_in.headers["Location"])
        returned = browser.get(back.path, query_string=back.query)
        assert returned.status_code == 303
        new_dashboard = urlsplit(returned.headers["Location"]).path
        assert new_dashboard != dashboard
        page = browser.get(new_dashboard).get_data(as_text=True)
        assert f'<code id="patient-id">{other}</code>' in page
        assert 'data-testid="resumed-write"' not in page
        assert ehr_notes(fhir_base_url, patient) == []  # nothing written for the first patient


def test_expired_session_reauthorises_back_to_the_same_dashboard_and_the_write_lands(
    patient: str, fhir_base_url: str, plan_store_url: str, tmp_path: Path
) -> None:
    """Oracle-like short tokens, the EHR ends the online session: "Write plan" signs in again
    and comes back to the same patient's dashboard, where the write is still offered and lands."""
    with running_ehr(fhir_base_url, "oracle", APP_BASE) as ehr:
        browser = app_for(ehr, tmp_path, plan_store_url, offline_access=False)
        launch_id = ehr.state.new_launch(
            LaunchContext(patient=patient, fhir_user=CLINICIAN, flags=Flags(expires_in=2))
        )
        started = browser.get("/launch", query_string={"iss": ehr.fhir, "launch": launch_id})
        assert "online_access" in parse_qs(urlsplit(started.headers["Location"]).query)["scope"][0]
        authorized = requests.get(started.headers["Location"], allow_redirects=False, timeout=30)
        callback = urlsplit(authorized.headers["Location"])
        dashboard = urlsplit(
            browser.get(callback.path, query_string=callback.query).headers["Location"]
        ).path
        page = browser.get(dashboard).get_data(as_text=True)  # refreshed with online_access
        assert 'id="write-button"' in page
        with ehr.state.lock:
            ehr.state.refresh_tokens.clear()  # the EHR ended the online session
        time.sleep(2.5)

        pressed = browser.post(
            f"{dashboard}/write",
            data={"csrf_token": csrf_token(page)},
            headers={"Origin": APP_BASE},
        )
        again = sign_in_again_url(pressed)
        assert again.startswith(f"{ehr.base}/authorize")
        assert "launch%2Fpatient" in again or "launch/patient" in unquote(again)
        assert ehr_notes(fhir_base_url, patient) == []  # nothing was sent
        signed_in = requests.get(
            again, params={"sandbox_patient": patient}, allow_redirects=False, timeout=30
        )
        assert signed_in.status_code == 302, signed_in.text
        back = urlsplit(signed_in.headers["Location"])
        returned = browser.get(back.path, query_string=back.query)
        assert returned.status_code == 303
        assert urlsplit(returned.headers["Location"]).path == dashboard  # the same dashboard

        page = browser.get(dashboard).get_data(as_text=True)
        assert 'data-testid="resumed-write"' in page
        after = write(browser, dashboard)
        assert any(line.startswith("Clinical note written to the EHR") for line in landed(after))
        assert len(ehr_notes(fhir_base_url, patient)) == 1


def test_oracle_site_with_an_inbox_sends_one_message_per_plan_change(
    patient: str, fhir_base_url: str, plan_store_url: str, tmp_path: Path
) -> None:
    """Where the site routes Communications to a practitioner's inbox (Oracle Health), the
    clinician who wrote the plan gets one message about the note; a relaunch sends none."""
    clinician = {"resourceType": "Practitioner", "id": "sandbox-neurologist", "active": True}
    put = requests.put(
        f"{fhir_base_url}/Practitioner/sandbox-neurologist",
        json=clinician,
        headers={"Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert put.status_code in (200, 201), put.text
    with running_ehr(fhir_base_url, "oracle", APP_BASE) as ehr:
        browser = app_for(ehr, tmp_path, plan_store_url, site={"inbox_communication": True})
        dashboard = launch(browser, ehr, patient)
        assert targets_of(browser.get(dashboard).get_data(as_text=True)) == "plan-store ehr-note"
        after = write(browser, dashboard)
        assert "Inbox message sent to the clinician." in landed(after)
        messages = inbox_messages(fhir_base_url, patient)
        assert len(messages) == 1
        assert messages[0]["recipient"] == [{"reference": CLINICIAN}]
        notes = ehr_notes(fhir_base_url, patient)
        assert messages[0]["payload"][1]["contentReference"]["reference"] == (
            f"DocumentReference/{notes[0]['id']}"
        )
        again = launch(browser, ehr, patient)
        assert 'id="write-button"' not in browser.get(again).get_data(as_text=True)
        assert len(inbox_messages(fhir_base_url, patient)) == 1
