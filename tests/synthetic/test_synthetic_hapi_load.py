"""The synthetic cohort loads into a real HAPI FHIR server, idempotently, and reads back intact.

fhir.resources validation is a proxy; this is the real check that "noisy" data is still FHIR that a
server accepts (https://hl7.org/fhir/R4/http.html#transaction: PUT = update-or-create).
"""

from __future__ import annotations

from datetime import date

import pytest

from smart_app.domain import EvaluationContext, evaluate_patient
from smart_app.fhir import FhirClient
from smart_app.fhir.patient_record import read_patient_record
from smart_app.service.context import rules_context
from smart_app.service.server_reads import read_setup
from smart_app.synthetic import SCENARIO_NAMES, cohort, transaction_bundle

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 24)


def statuses(response: dict[str, object]) -> list[str]:
    entries = response.get("entry")
    assert isinstance(entries, list)
    return [str(entry["response"]["status"]) for entry in entries]


def test_cohort_loads_twice_without_duplicates_and_evaluates_the_same(fhir: FhirClient) -> None:
    patients = cohort(as_of=AS_OF, patients=len(SCENARIO_NAMES) + 15)
    bundle = transaction_bundle(patients)

    first = statuses(fhir.transaction(bundle))
    assert len(first) == len(bundle["entry"])
    assert all(s.startswith(("200", "201")) for s in first), sorted(set(first))
    second = statuses(fhir.transaction(bundle))
    assert all(s.startswith("200") for s in second), sorted(set(second))

    for patient in patients:
        record = read_patient_record(
            fhir, patient.patient_id, plan=None, setup=read_setup(fhir, rules_context(AS_OF))
        )
        stored = {(r["resourceType"], r["id"]) for r in record.resources}
        local = {(r["resourceType"], r["id"]) for r in patient.resources}
        assert stored == local, patient.scenario
        if patient.expected is None:
            continue
        from_server = evaluate_patient(list(record.resources), EvaluationContext(AS_OF)).to_json()
        local_report = evaluate_patient(patient.resources, EvaluationContext(AS_OF)).to_json()
        assert from_server["classification"] == local_report["classification"], patient.scenario
        assert from_server["recommendations"] == local_report["recommendations"], patient.scenario
