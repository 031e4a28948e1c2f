"""The server profile and its search plan against the running sandbox, per emulated EHR.

Real HTTP: the sandbox serves on a loopback port in front of real HAPI, ms-monitor's FhirClient
reads its statement and SMART configuration, plans the portable searches and runs them. A refusal
is remembered for the issuer and the next plan leaves it out; nothing else is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import make_server

from launch.sandbox import create_sandbox_app
from launch.sandbox.state import SandboxState
from smart_app.auth.registry import ClientRegistration
from smart_app.domain.terminology import default_terminology
from smart_app.errors import FhirError
from smart_app.fhir import FhirClient
from smart_app.fhir.search_plan import SearchPlan, engine_reads_from_terminology, portable_searches
from smart_app.fhir.server_profile import ServerProfiles, search_signature
from smart_app.site_config import SiteConfiguration
from tests.ehr.ehr_helpers import example_entry, token_at, write_chart

pytestmark = pytest.mark.integration

#: The worked Epic registration example's site configuration (launch/registrations/epic.json).
EPIC_SITE = ClientRegistration.from_mapping(example_entry("epic.json")).site


@dataclass
class StaticToken:
    """A TokenSource with one access token (no refresh)."""

    value: str

    def authorization(self) -> str | None:
        return f"Bearer {self.value}"

    def refresh(self) -> bool:
        return False


@dataclass
class Running:
    base: str
    state: SandboxState
    token: dict[str, Any]


@pytest.fixture(scope="module")
def patient(fhir_base_url: str) -> str:
    return write_chart(fhir_base_url)


def serve(fhir_base_url: str, ehr: str, patient: str) -> Iterator[Running]:
    state = SandboxState()
    server = make_server("127.0.0.1", 0, None)  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{server.server_port}"
    app = create_sandbox_app(
        fhir_base_url, "http://127.0.0.1:5000/launch", public_base=base, state=state, ehr=ehr
    )
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        token = token_at(app.test_client(), state, patient, f"{base}/fhir")
        yield Running(base, state, token)
    finally:
        server.shutdown()
        server.server_close()


def run_plan(
    client: FhirClient, plan: SearchPlan, patient: str, profiles: ServerProfiles
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every planned search (batch or one GET each, all pages); refusals remembered."""
    found: list[dict[str, Any]] = []
    refused: list[str] = []
    if plan.batch:
        try:
            for page in client.batch_get(plan.urls(patient)):
                found += [e["resource"] for e in page.get("entry", [])]
            return found, refused
        except FhirError:
            profiles.remember_refusal(client.base_url, "batch")
            return found, ["batch"]
    for search in plan.searches:
        try:
            found += list(
                client.search(search.resource_type, [("patient", patient), *search.params])
            )
        except FhirError as error:
            what = (
                search.resource_type
                if error.status in (403, 404)
                else search_signature(search.resource_type, [k for k, _ in search.params])
            )
            profiles.remember_refusal(client.base_url, what)
            refused.append(what)
    return found, refused


EXPECTED_REFUSALS = {
    "hapi": [],
    "us-core": [],
    "epic": ["ImagingStudy"],
    "oracle": ["batch"],
    "athena": [],
}


@pytest.mark.parametrize("ehr", list(EXPECTED_REFUSALS))
def test_plan_runs_on_each_emulated_ehr(ehr: str, fhir_base_url: str, patient: str) -> None:
    for running in serve(fhir_base_url, ehr, patient):
        client = FhirClient(
            f"{running.base}/fhir", token_source=StaticToken(running.token["access_token"])
        )
        profiles = ServerProfiles()
        site = EPIC_SITE if ehr == "epic" else SiteConfiguration()
        reads = engine_reads_from_terminology(default_terminology())
        granted = running.token["scope"].split()
        first = portable_searches(profiles.profile_for(client, granted), site, reads)
        _found, refused = run_plan(client, first, patient, profiles)
        assert refused == EXPECTED_REFUSALS[ehr]
        second = portable_searches(profiles.profile_for(client, granted), site, reads)
        found, refused_again = run_plan(client, second, patient, profiles)
        assert refused_again == []
        assert second.batch is (ehr == "hapi")
        outcomes = [r for r in found if r["resourceType"] == "OperationOutcome"]
        assert bool(outcomes) is (ehr == "epic")  # Epic's searchset OperationOutcome entries
        keys = {f"{r['resourceType']}/{r['id']}" for r in found if r not in outcomes}
        assert f"Condition/{patient}-ms" in keys
        if ehr != "oracle":  # Oracle exposes no EDSS (a PowerForm); the engine reports no-edss
            assert f"Observation/{patient}-edss" in keys
        report = "ImagingStudy" if ehr == "hapi" else "DiagnosticReport"
        study = f"{patient}-mri" if ehr == "hapi" else f"rad-{patient}-mri"
        assert f"{report}/{study}" in keys
        assert f"MedicationRequest/{patient}-nat" in keys
        if ehr in ("epic", "us-core"):
            assert "Medication/rxnorm-354770" in keys  # included by reference
        if ehr == "epic":
            assert "ImagingStudy refused by this server" in second.summary()
            foreign = {k for k in keys if "other-app-" in k}
            assert foreign  # served; a reader must filter them out client-side
        assert running.state.foreign_writes == []
