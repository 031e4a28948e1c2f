"""The application service: the use cases every edge (web, CDS Hooks, CLI, queue worker) calls.

Read a patient's record (one reader, batch or parallel searches), evaluate it with one
:class:`EvaluationContext`, plan, and write the plan with its Provenance. Only this package calls
the pure engine (smart_app.domain); the edges stay thin adapters.
"""

from __future__ import annotations

from smart_app.service.connection import unattended_client
from smart_app.service.context import EvaluationContext, evaluation_context
from smart_app.service.patient_plan import (
    Assessment,
    PatientRun,
    WriteOutcome,
    assess_patient,
    update_exported_patient_plan,
    update_patient_plan,
    write_plan,
)

__all__ = [
    "Assessment",
    "EvaluationContext",
    "PatientRun",
    "WriteOutcome",
    "assess_patient",
    "evaluation_context",
    "unattended_client",
    "update_exported_patient_plan",
    "update_patient_plan",
    "write_plan",
]
