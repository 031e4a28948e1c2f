"""A real stack for the browser tests: HAPI FHIR, the SMART EHR sandbox, the app, and Chromium.

The sandbox and the app run as real HTTP servers on loopback (werkzeug, threaded) in this process;
Chromium is Debian's, driven by Playwright for Python (never ``playwright install``). A missing
Chromium fails these tests; it does not skip them.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from launch.sandbox import create_sandbox_app
from smart_app import create_app
from smart_app.fhir import FhirClient
from smart_app.settings import Settings
from smart_app.synthetic import SyntheticPatient, cohort, transaction_bundle
from tests.browser.browser_stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AS_OF = date.today()


def _free_server() -> tuple[BaseWSGIServer, int]:
    """Reserve a port by creating the server first with a placeholder app, then swap the app."""
    placeholder = Flask("placeholder")
    server = make_server("127.0.0.1", 0, placeholder, threaded=True)
    return server, server.server_port


def _unique_patients(family: str) -> dict[str, SyntheticPatient]:
    """Scenario patients under ids and a family name of this run only, so that other tests
    writing to the same HAPI server never touch them."""
    wanted = ("benign-strict", "activity-mri-new-t2", "natalizumab-jcv-positive")
    chosen = [p for p in cohort(as_of=AS_OF) if p.scenario in wanted]
    result = {}
    for patient in chosen:
        new_id = f"{family.lower()}-{patient.patient_id}"
        text = json.dumps(patient.resources).replace(patient.patient_id, new_id)
        text = text.replace("Synthetic-Cohort", family)
        resources: list[dict[str, Any]] = json.loads(text)
        result[patient.scenario] = SyntheticPatient(
            new_id, patient.scenario, resources, patient.expected
        )
    return result


@pytest.fixture(scope="session")
def stack(fhir_base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    family = f"Brw{uuid.uuid4().hex[:8]}"
    patients = _unique_patients(family)
    FhirClient(fhir_base_url).transaction(transaction_bundle(patients.values()))

    app_server, app_port = _free_server()
    app_base = f"http://127.0.0.1:{app_port}"
    sandbox_server, sandbox_port = _free_server()
    sandbox_base = f"http://127.0.0.1:{sandbox_port}"
    sandbox_server.app = create_sandbox_app(
        fhir_base_url, f"{app_base}/launch", public_base=sandbox_base
    )

    issuers = tmp_path_factory.mktemp("app") / "issuers.json"
    issuers.write_text(
        json.dumps(
            [
                {
                    "iss": f"{sandbox_base}/fhir",
                    "client_id": "ms-monitor-public",
                    "auth_method": "none",
                    "redirect_uri": f"{app_base}/callback",
                    "offline_access": True,
                    "standalone": True,
                }
            ]
        )
    )
    settings = Settings(
        issuers_file=issuers,
        cookie_secure=False,
        frame_ancestors=f"'self' {sandbox_base}",
        secret_key="browser-test-only",
    )
    app_server.app = create_app(settings)
    for server in (app_server, sandbox_server):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Stack(fhir_base_url, sandbox_base, app_base, patients, family)
    finally:
        for server in (app_server, sandbox_server):
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="session")
def worklist_stack(stack: Stack) -> Stack:
    """The stack with patients of the worklist tests only: those tests write their plans, and
    the other tests expect the stack's own patients without one."""
    family = f"Wkl{uuid.uuid4().hex[:8]}"
    patients = _unique_patients(family)
    FhirClient(stack.fhir_base).transaction(transaction_bundle(patients.values()))
    return replace(stack, patients=patients, family=family)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()
