"""What the engine reads about a patient: one list, from which every edge derives its reads.

The searches of the patient reader, the CDS Hooks prefetch templates, the Bulk Data ``_type``
list, the SMART read scopes, the resource types the evidence page serves and the Subscription
criteria all come from :data:`ENGINE_READS` (docs/clinical-rules.md, "Inputs"). Pure data: no
I/O. Searches follow https://hl7.org/fhir/R4/search.html; ``patient`` is the compartment search
parameter of every type listed (https://hl7.org/fhir/R4/compartmentdefinition-patient.html).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PatientSearch:
    """One resource type the engine reads, searched by patient.

    ``count`` is high so that one page is usual; ``prefetch_key`` names its CDS Hooks prefetch
    template (https://cds-hooks.hl7.org/2.0/#prefetch-template).
    """

    resource_type: str
    prefetch_key: str
    count: int = 500

    def query(self, patient_id: str) -> str:
        """The relative search URL for one patient (``Type?patient=id&_count=n``)."""
        return f"{self.resource_type}?patient={patient_id}&_count={self.count}"


#: The Patient resource itself is read by id; everything else by the searches below.
PATIENT_TYPE = "Patient"
PATIENT_PREFETCH_KEY = "patient"

#: The clinical inputs of the rules (docs/clinical-rules.md, "Inputs").
ENGINE_READS: tuple[PatientSearch, ...] = (
    PatientSearch("Condition", "conditions"),
    PatientSearch("Observation", "observations", count=1000),
    PatientSearch("ImagingStudy", "imaging"),
    PatientSearch("MedicationRequest", "medicationRequests"),
    PatientSearch("MedicationStatement", "medicationStatements"),
    PatientSearch("MedicationAdministration", "medicationAdministrations", count=1000),
    PatientSearch("DiagnosticReport", "diagnosticReports"),
)

#: What ms-monitor writes and reads back: its own CarePlan and Tasks.
PLAN_TYPES: tuple[str, ...] = ("CarePlan", "Task")
#: Created with every plan write, never read: who wrote what (https://hl7.org/fhir/R4/provenance.html).
AUDIT_TYPES: tuple[str, ...] = ("Provenance",)
#: Where the EHR refuses the plan: the clinical note with the plan and the inbox message about it,
#: created once per plan change and searched for before any retry (no EHR offers conditional
#: create).
NOTE_TYPES: tuple[str, ...] = ("DocumentReference", "Communication")


def clinical_types() -> tuple[str, ...]:
    """The clinical resource types, in reading order."""
    return tuple(read.resource_type for read in ENGINE_READS)


def input_types() -> tuple[str, ...]:
    """The Patient and every clinical type: what a Bulk Data export must include."""
    return (PATIENT_TYPE, *clinical_types())


def read_types() -> tuple[str, ...]:
    """Everything the app reads with a patient's token: the inputs and its own plan."""
    return (*input_types(), *PLAN_TYPES)
