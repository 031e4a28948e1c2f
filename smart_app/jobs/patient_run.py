"""One patient, end to end: read (one batch), evaluate, write the plan (one transaction).

Shared by the CLI, the web app and the queue workers so that every path writes the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smart_app.domain import (
    EvaluationContext,
    PatientReport,
    PlanChanges,
    evaluate_patient,
    plan_transaction,
)
from smart_app.fhir import FhirClient
from smart_app.fhir.patient_record import read_patient_record


@dataclass(frozen=True, slots=True)
class PatientRun:
    """What happened for one patient: the report, the reconciliation, and whether it was sent."""

    patient_id: str
    report: PatientReport
    changes: PlanChanges
    written: bool


def evaluate_and_write(
    client: FhirClient,
    patient_id: str,
    *,
    as_of: date,
    settings: EvaluationContext,
    dry_run: bool = False,
) -> PatientRun:
    """Evaluate ``patient_id`` as of ``as_of`` and bring its plan on the server up to date."""
    record = read_patient_record(client, patient_id, canonical_base=settings.canonical_base)
    report = evaluate_patient(record.resources, settings.on(as_of))
    changes = plan_transaction(report, list(record.existing_plan))
    if changes.bundle is None or dry_run:
        return PatientRun(patient_id, report, changes, written=False)
    client.transaction(changes.bundle)
    return PatientRun(patient_id, report, changes, written=True)
