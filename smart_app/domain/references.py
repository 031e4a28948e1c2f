"""Which patient a resource belongs to, from its Patient-compartment reference.

https://hl7.org/fhir/R4/compartmentdefinition-patient.html: the engine's types name their patient
in ``subject``, ``patient`` or (Task) ``for``. References may be relative (``Patient/1``),
absolute (``https://ehr/fhir/Patient/1``) or versioned (``Patient/1/_history/2``).
"""

from __future__ import annotations

from typing import Any

#: Where each type names its patient (the Patient compartment's reference parameters).
PATIENT_REFERENCE_ELEMENTS: tuple[str, ...] = ("subject", "patient", "for")


def patient_id_of_reference(reference: Any) -> str | None:
    """The patient id in a Reference value (``{"reference": ".../Patient/id"}``), else None."""
    if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
        return None
    parts: list[str] = reference["reference"].split("/")
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == "Patient" and parts[index + 1]:
            return parts[index + 1]
    return None


def patient_of(resource: dict[str, Any]) -> str | None:
    """The id of the patient ``resource`` belongs to: a Patient's own id, or its reference."""
    if resource.get("resourceType") == "Patient":
        value = resource.get("id")
        return value if isinstance(value, str) and value else None
    for element in PATIENT_REFERENCE_ELEMENTS:
        found = patient_id_of_reference(resource.get(element))
        if found is not None:
            return found
    return None
