"""One piece of evidence behind a recommendation, opened from the dashboard.

The dashboard's evidence references are links to ``/app/<launch_id>/evidence/<type>/<id>``: the app
reads the resource with the launch's own token (a link straight to the FHIR server would open
without it) and shows what the clinician needs to check the finding, with the resource itself.
Only the resource types the engine reads are served, and only the launched patient's
(https://hl7.org/fhir/R4/compartmentdefinition-patient.html), so the page cannot become a way to
read other records through the app.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, abort, render_template, session, url_for

from smart_app.errors import AuthError, FhirError
from smart_app.web.pages import auth_error_page, error_page, fhir_error_page
from smart_app.web.runtime import runtime

bp = Blueprint("evidence", __name__, url_prefix="/app")

#: What the engine reads (smart_app/fhir/patient_record.py) and writes: nothing else is served.
EVIDENCE_TYPES = frozenset(
    {
        "Condition",
        "Observation",
        "ImagingStudy",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "DiagnosticReport",
        "CarePlan",
        "Task",
    }
)
#: https://hl7.org/fhir/R4/datatypes.html#id
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
#: Where each type names its patient (the Patient compartment's reference parameters).
_PATIENT_ELEMENTS = ("subject", "patient", "for")


def patient_of(resource: dict[str, Any]) -> str | None:
    """The id of the patient a resource belongs to, from its subject/patient/for reference."""
    for element in _PATIENT_ELEMENTS:
        value = resource.get(element)
        reference = value.get("reference") if isinstance(value, dict) else None
        if isinstance(reference, str) and "Patient/" in reference:
            tail = reference.rsplit("Patient/", 1)[1]
            return tail.split("/", 1)[0] or None
    return None


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and (coding.get("display") or coding.get("code")):
            return str(coding.get("display") or coding.get("code"))
    return ""


def _value(resource: dict[str, Any]) -> str:
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict) and "value" in quantity:
        unit = quantity.get("unit") or quantity.get("code") or ""
        return f"{quantity['value']} {unit}".strip()
    for key in ("valueInteger", "valueString", "valueBoolean"):
        if key in resource:
            return str(resource[key])
    return _text(resource.get("valueCodeableConcept"))


def _when(resource: dict[str, Any]) -> str:
    for key in ("effectiveDateTime", "onsetDateTime", "started", "authoredOn", "recordedDate"):
        if resource.get(key):
            return str(resource[key])
    for key in ("effectivePeriod", "onsetPeriod", "period"):
        period = resource.get(key)
        if isinstance(period, dict) and (period.get("start") or period.get("end")):
            return f"{period.get('start', '…')} to {period.get('end', '…')}"
    return ""


def summary(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """The facts a clinician checks first: what, when, value, status (empty ones left out)."""
    what = (
        _text(resource.get("code"))
        or _text(resource.get("medicationCodeableConcept"))
        or str(resource.get("description") or resource.get("title") or "")
    )
    rows = [
        ("What", what),
        ("When", _when(resource)),
        ("Value", _value(resource)),
        ("Status", str(resource.get("status") or "")),
    ]
    clinical = _text(resource.get("clinicalStatus"))
    if clinical:
        rows.append(("Clinical status", clinical))
    return [(label, value) for label, value in rows if value]


def evidence_link(launch_id: str, reference: str) -> str | None:
    """The evidence page of a relative reference (``Observation/123``); None if not served."""
    resource_type, _, resource_id = reference.partition("/")
    if resource_type not in EVIDENCE_TYPES or not FHIR_ID.fullmatch(resource_id):
        return None
    return url_for(
        "evidence.show",
        launch_id=launch_id,
        resource_type=resource_type,
        resource_id=resource_id,
    )


@bp.get("/<launch_id>/evidence/<resource_type>/<resource_id>")
def show(launch_id: str, resource_type: str, resource_id: str) -> Any:
    """The resource behind a reference on the dashboard (read with this launch's token)."""
    rt = runtime()
    record = rt.launches.get(launch_id, session)
    if record is None:
        abort(404)
    if resource_type not in EVIDENCE_TYPES or not FHIR_ID.fullmatch(resource_id):
        abort(404)
    try:
        resource = rt.fhir_client(record).read(resource_type, resource_id)
    except FhirError as exc:
        return fhir_error_page(exc)
    except AuthError as exc:
        return auth_error_page(exc)
    if patient_of(resource) != record.context.patient:
        return error_page(
            "Not this patient's record",
            f"{resource_type}/{resource_id} does not belong to the patient of this launch.",
            403,
        )
    return render_template(
        "evidence.html",
        launch_id=launch_id,
        ref=f"{resource_type}/{resource_id}",
        facts=summary(resource),
        resource_json=json.dumps(resource, indent=2, ensure_ascii=False),
    )
