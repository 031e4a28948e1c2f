"""The CDS Hooks use case: a patient's report, from prefetch or read from the FHIR server.

https://cds-hooks.hl7.org/2.0/#prefetch-template: the templates are derived from the engine's read
list (smart_app.domain.reads), so a prefetched record is the same record the reader would read.
Without prefetch the service reads ``fhirServer`` with the patient reader every other path uses
(the portable searches that server offers, with the site configuration registered for it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from smart_app.domain import PatientReport
from smart_app.domain.reads import ENGINE_READS, PATIENT_PREFETCH_KEY, PATIENT_TYPE
from smart_app.fhir import FhirClient, bundle_resources
from smart_app.fhir.patient_record import read_patient_record
from smart_app.fhir.server_profile import ServerProfiles
from smart_app.service.context import EvaluationContext
from smart_app.service.engine import report_only
from smart_app.service.patient_plan import plan_systems
from smart_app.service.server_reads import read_setup
from smart_app.site_config import SiteConfiguration

_CONTEXT_PATIENT = "{{context.patientId}}"

#: The engine's inputs, as CDS Hooks prefetch templates (same searches as a launch reads).
PREFETCH: dict[str, str] = {
    PATIENT_PREFETCH_KEY: f"{PATIENT_TYPE}/{_CONTEXT_PATIENT}",
    **{search.prefetch_key: search.query(_CONTEXT_PATIENT) for search in ENGINE_READS},
}


def prefetched_resources(prefetch: dict[str, Any]) -> list[dict[str, Any]] | None:
    """All engine inputs from prefetch, or None when any template was not filled."""
    if any(not isinstance(prefetch.get(key), dict) for key in PREFETCH):
        return None
    found: list[dict[str, Any]] = [prefetch[PATIENT_PREFETCH_KEY]]
    for key in PREFETCH:
        if key != PATIENT_PREFETCH_KEY:
            found.extend(bundle_resources(prefetch[key]))
    return found


def report_from_resources(
    resources: list[dict[str, Any]], context: EvaluationContext
) -> PatientReport:
    return report_only(resources, context)


def report_from_server(
    client: FhirClient,
    patient_id: str,
    context: EvaluationContext,
    *,
    site: SiteConfiguration | None = None,
    granted: Iterable[str] | None = None,
    profiles: ServerProfiles | None = None,
) -> PatientReport:
    """Read the patient's record (the same reads as every path, our plan included) and evaluate.

    ``granted``: the scopes of ``fhirAuthorization`` (None: not told; the server's refusals
    decide what is readable).
    """
    record = read_patient_record(
        client,
        patient_id,
        plan=plan_systems(context),
        setup=read_setup(
            client, context, site, granted=granted, from_client=False, profiles=profiles
        ),
    )
    return report_only(list(record.resources), context, unavailable=record.unavailable)
