"""One patient, unattended: the application service's use case, named for the CLI and workers.

``ms-monitor run --patient`` and population runs call :func:`evaluate_and_write`; the queue worker
calls the same service (smart_app.jobs.queue). The web's launch uses the service's parts directly
(it shows the plan before the user writes it). Every path writes the plan with its Provenance.
"""

from __future__ import annotations

from smart_app.fhir import FhirClient
from smart_app.service import EvaluationContext, PatientRun, update_patient_plan

__all__ = ["PatientRun", "evaluate_and_write"]


def evaluate_and_write(
    client: FhirClient, patient_id: str, context: EvaluationContext, *, dry_run: bool = False
) -> PatientRun:
    """Evaluate ``patient_id`` in ``context`` and bring its plan on the server up to date."""
    return update_patient_plan(client, patient_id, context, dry_run=dry_run)
