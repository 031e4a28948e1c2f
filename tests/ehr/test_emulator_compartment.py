"""The emulated EHRs keep the patient compartment: resources the proxy makes up (radiology
reports, reported medications, another app's plan) and its held pages are the launched patient's
only. Each test tries the attack with another patient's token."""

from __future__ import annotations

import pytest

from tests.ehr.ehr_helpers import ehr_sandbox, token_at, write_chart
from tests.sandbox.sandbox_helpers import FHIR, PUBLIC

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_patients(fhir_base_url: str) -> tuple[str, str]:
    return write_chart(fhir_base_url), write_chart(fhir_base_url)


def test_a_held_page_is_refused_to_another_patients_token(
    fhir_base_url: str, two_patients: tuple[str, str]
) -> None:
    mine, theirs = two_patients
    ehr = ehr_sandbox(fhir_base_url, "epic", theirs)
    first = ehr.client.get(
        "/fhir/Observation?category=survey&_count=1", headers=ehr.headers()
    ).get_json()
    (following,) = [lk["url"] for lk in first["link"] if lk["relation"] == "next"]
    other = token_at(ehr.client, ehr.state, mine, FHIR)
    attack = ehr.client.get(
        following.removeprefix(PUBLIC),
        headers={
            "Authorization": f"Bearer {other['access_token']}",
            "Accept": "application/fhir+json",
        },
    )
    assert attack.status_code == 403
    assert theirs not in attack.get_data(as_text=True)
    own = ehr.client.get(following.removeprefix(PUBLIC), headers=ehr.headers())
    assert own.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "DiagnosticReport/rad-{theirs}-mri",
        "MedicationRequest/ms-{theirs}-ifn",
        "CarePlan/other-app-careplan-{theirs}",
        "Task/other-app-task-{theirs}",
    ],
)
def test_made_up_resources_of_another_patient_are_refused(
    path: str, fhir_base_url: str, two_patients: tuple[str, str]
) -> None:
    mine, theirs = two_patients
    ehr = ehr_sandbox(fhir_base_url, "epic", mine)
    assert (
        ehr.client.get(f"/fhir/{path.format(theirs=mine)}", headers=ehr.headers()).status_code
        == 200
    )
    answer = ehr.client.get(f"/fhir/{path.format(theirs=theirs)}", headers=ehr.headers())
    assert answer.status_code == 403
    assert theirs not in answer.get_data(as_text=True)


def test_a_search_for_another_patient_is_refused(
    fhir_base_url: str, two_patients: tuple[str, str]
) -> None:
    mine, theirs = two_patients
    ehr = ehr_sandbox(fhir_base_url, "oracle", mine)
    answer = ehr.client.get(
        f"/fhir/DiagnosticReport?patient={theirs}&category=LP29684-5", headers=ehr.headers()
    )
    assert answer.status_code == 403
